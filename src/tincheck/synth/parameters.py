"""The generator's parameters: defaults from ``parameters.toml``, overrides from a file.

:func:`load_parameters` reads the packaged defaults and merges a user's TOML file over
them. The override file holds only the keys to change, under the same section names;
an unknown key, a value of the wrong type or a probability outside [0, 1] is a
:class:`SynthConfigError` naming the file, the key, the value and what was expected.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

from .. import codes
from ..instruments import normalise_icd10

DEFAULTS = "parameters.toml"

# Sections whose tables are open: a user may add new entries (e.g. a problem
# descriptor), which must then have the same shape as an existing entry.
OPEN_TABLES = ("descriptors",)


class SynthConfigError(ValueError):
    """A parameter file or argument of the generator is not usable."""


def default_text() -> str:
    """The packaged default parameter file, as text."""
    return (files("tincheck.synth") / DEFAULTS).read_text(encoding="utf-8")


def load_parameters(config: str | Path | dict | None = None) -> dict[str, Any]:
    """The defaults, with ``config`` (a TOML file or a dict of the same shape) merged in.

    >>> load_parameters()["targets"]["finished_course"]
    0.395
    """
    params = tomllib.loads(default_text())
    if config is None:
        return params
    if isinstance(config, dict):
        source, override = "config", config
    else:
        path = Path(config)
        source = path.name
        try:
            override = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SynthConfigError(f"{path}: no such parameter file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SynthConfigError(f"{path}: cannot be read ({exc})") from None
        except tomllib.TOMLDecodeError as exc:
            raise SynthConfigError(f"{source}: not valid TOML ({exc})") from None
    _merge(params, override, source, ())
    _check(params, source)
    return params


def parameters_sha256(params: dict[str, Any]) -> str:
    """A stable digest of resolved parameters (for the manifest)."""
    return hashlib.sha256(repr(_plain(params)).encode("utf-8")).hexdigest()


def plain(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as JSON-ready data (dates as ISO text)."""
    return _plain(params)


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


def _kind(value) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, _dt.date):
        return "a date (YYYY-MM-DD)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _merge(base: dict, override: dict, source: str, path: tuple[str, ...]) -> None:
    for key, value in override.items():
        where = ".".join(path + (key,))
        if key not in base:
            if path and path[-1] in OPEN_TABLES and isinstance(value, dict):
                template = next(iter(base.values()))
                missing = sorted(set(template) - set(value))
                if missing:
                    raise SynthConfigError(
                        f"{source}: new entry {where} needs the keys {', '.join(missing)} "
                        f"(as every entry of [{'.'.join(path)}])")
                base[key] = copy.deepcopy(value)
                continue
            if _is_choice_table(path):
                _check_number(value, source, where)
                base[key] = value
                continue
            known = ", ".join(sorted(base)) or "(none)"
            raise SynthConfigError(f"{source}: unknown key {where}; expected one of {known}")
        current = base[key]
        if isinstance(current, dict):
            if not isinstance(value, dict):
                raise SynthConfigError(f"{source}: {where} = {value!r}; expected a table")
            _merge(current, value, source, path + (key,))
            continue
        if _kind(current) != _kind(value):
            raise SynthConfigError(
                f"{source}: {where} = {value!r}; expected {_kind(current)} "
                f"(default {current!r})")
        base[key] = value


# Tables of choices with weights, to which a user may add choices (checked against the
# code lists by :func:`_check_choices`).
CHOICE_TABLES = (
    "population.sex", "population.ethnicity", "population.source",
    "pathway.assessment_medium", "pathway.low_medium", "pathway.high_medium",
    "pathway.low_therapy", "pathway.high_therapy", "pathway.missed_kinds",
    "pathway.end_not_seen", "pathway.end_seen_not_treated", "pathway.end_one_treatment",
    "pathway.end_course_early", "pathway.end_course_planned", "interviews.instrument",
    "pathway.high_intensity_first",
)


def _is_choice_table(path: tuple[str, ...]) -> bool:
    joined = ".".join(path)
    return joined in CHOICE_TABLES or (len(path) == 3 and path[0] == "descriptors"
                                       and path[2] == "icd10")


def _check_number(value, source: str, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise SynthConfigError(f"{source}: {where} = {value!r}; expected a weight >= 0")


# Parameters that are probabilities (every other number must merely be finite).
_PROBABILITY_SECTIONS = ("descriptor_missing",)
_PROBABILITY_KEYS = {
    "targets": None,  # every target is a share, except the ones listed below
    "rereferral": ("same_disorder", "same_service"),
    "model.core": ("trait_share",),
    "model.response": ("comorbid_transfer", "relapse_share", "responder_share",
                       "non_responder_share", "worsening_share", "core_correlation"),
    "model.questionnaires": ("referral_unmeasured", "contact_missing", "adsm_recorded"),
    "pathway": ("engagement_trait_share", "course_open_at_extract", "one_treatment_low",
                "assessment_is_treatment", "assessment_before_treatment", "dropout_hazard",
                "missed", "late_seen", "not_seen_no_contact", "review_last_session",
                "follow_up_contact", "employment_support", "medium_switch"),
    "interviews": ("missing_end", "missing_follow_up", "not_independent", "not_blind"),
    "services": ("counsellor_share", "other_role_share"),
}
_NOT_SHARES = ("mean_treatment_sessions",)


def _check(params: dict, source: str) -> None:
    """Probabilities in [0, 1]; weights non-negative with a positive sum; funnel sums."""
    for section, keys in _PROBABILITY_KEYS.items():
        table = params
        for part in section.split("."):
            table = table[part]
        for key in (keys if keys is not None else table):
            if key in _NOT_SHARES:
                continue
            _check_share(table[key], source, f"{section}.{key}")
    for section in _PROBABILITY_SECTIONS:
        for key, value in params[section].items():
            _check_share(value, source, f"{section}.{key}")
    targets = params["targets"]
    funnel = sum(targets[k] for k in ("ended_not_seen", "ended_seen_not_treated",
                                      "ended_one_treatment", "finished_course"))
    if abs(funnel - 1) > 1e-6:
        raise SynthConfigError(
            f"{source}: the four funnel targets (targets.ended_not_seen, "
            f"ended_seen_not_treated, ended_one_treatment, finished_course) sum to "
            f"{funnel:.4f}; expected 1")
    response = params["model"]["response"]
    classes = sum(response[f"{c}_share"] for c in ("responder", "non_responder", "worsening"))
    if abs(classes - 1) > 1e-6:
        raise SynthConfigError(
            f"{source}: model.response.responder_share, non_responder_share and "
            f"worsening_share sum to {classes:.4f}; expected 1")
    if not targets["wait_6_weeks_rate"] < targets["wait_18_weeks_rate"] < 1:
        raise SynthConfigError(
            f"{source}: targets.wait_6_weeks_rate ({targets['wait_6_weeks_rate']}) must be "
            f"below targets.wait_18_weeks_rate ({targets['wait_18_weeks_rate']}), "
            "which must be below 1")
    for name, entry in params["descriptors"].items():
        _check_number(entry["finished"], source, f"descriptors.{name}.finished")
        if not isinstance(entry["icd10"], dict) or not entry["icd10"]:
            raise SynthConfigError(f"{source}: descriptors.{name}.icd10 must be a table of "
                                   "ICD-10 codes with weights")
    _check_choices(params, source)
    if params["calendar"]["data_end_months"] <= params["calendar"]["received_months"]:
        raise SynthConfigError(f"{source}: calendar.data_end_months must exceed "
                               "calendar.received_months")


# The code list each choice table draws from (None: free codes, e.g. ethnicity).
_CHOICE_CODES = {
    "population.sex": "sex", "population.ethnicity": None, "population.source": "source",
    "pathway.assessment_medium": "medium", "pathway.low_medium": "medium",
    "pathway.high_medium": "medium", "pathway.low_therapy": "therapy_type",
    "pathway.high_therapy": "therapy_type", "pathway.missed_kinds": "attendance",
    "pathway.end_not_seen": "end_reason", "pathway.end_seen_not_treated": "end_reason",
    "pathway.end_one_treatment": "end_reason", "pathway.end_course_early": "end_reason",
    "pathway.end_course_planned": "end_reason", "interviews.instrument": "interview_instrument",
    "pathway.high_intensity_first": "disorder",
}


def _check_choices(params: dict, source: str) -> None:
    """Every choice table has a positive total and only known codes."""
    tables = dict(_CHOICE_CODES)
    for name in params["descriptors"]:
        tables[f"descriptors.{name}.icd10"] = "icd10"
    for where, list_name in tables.items():
        table = params
        for part in where.split("."):
            table = table[part]
        if sum(table.values()) <= 0:
            raise SynthConfigError(f"{source}: the weights of {where} sum to 0; expected at "
                                   "least one positive weight")
        for key in table:
            if list_name == "icd10":
                if normalise_icd10(key) != key:
                    raise SynthConfigError(
                        f"{source}: {where} has {key!r}; expected ICD-10 codes written with "
                        "their dot, such as F41.1")
            elif list_name is not None and key not in codes.values(list_name):
                raise SynthConfigError(
                    f"{source}: {where} has {key!r}; expected one of "
                    f"{', '.join(codes.values(list_name))}")
    for name, entry in params["descriptors"].items():
        if entry["disorder"] not in codes.values("disorder"):
            raise SynthConfigError(
                f"{source}: descriptors.{name}.disorder = {entry['disorder']!r}; expected one "
                f"of {', '.join(codes.values('disorder'))}")


def _check_share(value, source: str, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise SynthConfigError(f"{source}: {where} = {value!r}; expected a share from 0 to 1")
