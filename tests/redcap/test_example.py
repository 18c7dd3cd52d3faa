"""The shipped REDCap example: generated, converts back to the example's interviews,
and audits end to end."""

from __future__ import annotations

import csv
import importlib.util

import pandas as pd

import tincheck
from tincheck.redcap import convert_redcap, example_paths, write_interviews

from ..conftest import REPO
from ..ingest.folders import copy_example

SERVICE_INTERVIEWS = tincheck.example_path() / "interviews.csv"


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        "make_redcap_example", REPO / "tools" / "make_redcap_example.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_export_matches_its_generator(tmp_path, monkeypatch):
    tool = _load_tool()
    monkeypatch.setattr(tool, "OUT", tmp_path)
    tool.main()
    shipped, _ = example_paths()
    assert shipped.read_bytes() == (tmp_path / "export.csv").read_bytes(), \
        "run: python tools/make_redcap_example.py"


def test_export_is_in_the_layout_redcap_writes():
    export, _ = example_paths()
    data = export.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfrecord_id,redcap_event_name,redcap_repeat_instrument,"
                           b"redcap_repeat_instance,")
    with open(export, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["redcap_event_name"] for r in rows} == {
        "screening_arm_1", "baseline_arm_1", "end_of_treatment_arm_1", "follow_up_6m_arm_1"}
    assert sum(r["redcap_repeat_instrument"] == "contact_log" for r in rows) == 5
    assert any("\n" in r["dx_notes"] for r in rows)


def test_example_converts_back_to_the_example_services_interviews(tmp_path):
    table = convert_redcap(*example_paths())
    path = write_interviews(table, tmp_path / "interviews.csv")
    ours = pd.read_csv(path, dtype=str, keep_default_na=False)
    theirs = pd.read_csv(SERVICE_INTERVIEWS, dtype=str, keep_default_na=False)
    assert len(ours) == len(theirs) == 31
    # interview ids differ (record-event here): compare the rest, and the grouping
    ours["their_id"] = theirs.set_index(["referral_id", "timepoint", "disorder"]).loc[
        list(zip(ours.referral_id, ours.timepoint, ours.disorder)), "interview_id"].to_numpy()
    assert ours.groupby("interview_id")["their_id"].nunique().eq(1).all()
    assert ours["interview_id"].nunique() == theirs["interview_id"].nunique() == 18
    key = ["referral_id", "timepoint", "disorder"]
    left = ours.drop(columns=["interview_id", "their_id"]).sort_values(key, ignore_index=True)
    right = theirs.drop(columns=["interview_id"]).sort_values(key, ignore_index=True)
    # the example project records neither second ratings nor unblinding (blank: not a
    # second rating, not known to be unblinded); the example service says "false"
    unrecorded = ["second_rating", "unblinded"]
    assert (left[unrecorded] == "").all().all() and (right[unrecorded] == "false").all().all()
    pd.testing.assert_frame_equal(left.drop(columns=unrecorded), right.drop(columns=unrecorded))


def test_converted_example_validates_and_audits_end_to_end(tmp_path):
    folder = copy_example(tmp_path / "service")
    write_interviews(convert_redcap(*example_paths()), folder / "interviews.csv")
    report = tincheck.validate(folder)
    assert report.ok, report.to_dict()
    result = tincheck.audit(folder)
    assert result.to_json()["metrics"]
