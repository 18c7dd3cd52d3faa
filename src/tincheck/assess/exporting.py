"""The app's one output: the canonical interviews table (``docs/data-model.md``), with a
manifest naming the audit trail's head, and the verification of that trail.

One interview version is current per assignment (the newest); each of its disorder
modules rated present, subthreshold or absent is one row (``not assessed`` writes no
row, as the data model says). ``interview_id`` is ``<study_id>-<timepoint>``, with
``-r2`` for a second rating; ``assessor_id`` is the assessor's pseudonymous code, never
the user name. ``assessor_blind`` is the assessor's standing (blind by design; the app
shows them nothing of the treatment) and ``unblinded`` says whether they nonetheless
learnt it before rating.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .. import __version__, codes
from ..schema import INTERVIEWS
from .chain import Verification, verify_events
from .csvcells import write_csv
from .models import Event, Interview
from .services import Actor, interview_content, record_export

COLUMNS = list(INTERVIEWS.column_names)
DISORDER_ORDER = codes.values("disorder")
TIMEPOINT_ORDER = codes.values("timepoint")


def _number(value) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _bool(value: bool) -> str:
    return "true" if value else "false"


def interview_rows() -> list[dict]:
    """The interviews table as rows of text cells, in a fixed order."""
    current = {}
    for row in (Interview.objects.select_related(
            "assignment__visit__participant__linkage", "assignment__assessor")
            .prefetch_related("ratings").order_by("assignment_id", "version")):
        current[row.assignment_id] = row  # the newest version wins
    out = []
    ordered = sorted(current.values(), key=lambda r: (
        r.assignment.visit.participant.study_id,
        TIMEPOINT_ORDER.index(r.assignment.visit.timepoint), r.assignment.kind))
    for row in ordered:
        task = row.assignment
        visit, person = task.visit, task.assessor
        second = task.kind == "second"
        statuses = {r.disorder: r.status for r in row.ratings.all()}
        base = {
            "interview_id": f"{visit.participant.study_id}-{visit.timepoint}"
                            + ("-r2" if second else ""),
            "referral_id": visit.participant.linkage.referral_id,
            "timepoint": visit.timepoint,
            "date": row.date.isoformat(),
            "months_after_end": _number(visit.months_after_end)
            if visit.timepoint == "follow_up" else "",
            "assessor_id": person.code,
            "instrument": row.instrument,
            "assessor_independent": _bool(person.independent),
            "assessor_blind": _bool(person.blind),
            "retrospective": _bool(row.retrospective),
            "usual_self_pct": _number(row.usual_self_pct),
            "second_rating": _bool(second),
            "unblinded": _bool(row.unblinded),
        }
        for disorder in DISORDER_ORDER:
            status = statuses.get(disorder)
            if status in ("present", "subthreshold", "absent"):
                out.append({**base, "disorder": disorder, "status": status})
    return out


@dataclass(frozen=True)
class ExportResult:
    csv: bytes
    manifest: dict


def export(actor: Actor) -> ExportResult:
    """The interviews table as CSV bytes and its manifest; records the export event."""
    rows = interview_rows()
    missing = [c for c in COLUMNS if rows and c not in rows[0]]
    if missing:  # the data model grew a column the app does not fill: never guess
        raise RuntimeError(f"interviews columns not filled by the app: {missing}")
    data = write_csv(COLUMNS, [[r.get(c, "") for c in COLUMNS] for r in rows])
    digest = hashlib.sha256(data).hexdigest()
    interviews = len({r["interview_id"] for r in rows})
    event = record_export(actor, {"file": "interviews.csv", "sha256": digest,
                                  "rows": len(rows), "interviews": interviews})
    from .services import study_uuid

    manifest = {
        "file": "interviews.csv",
        "sha256": digest,
        "rows": len(rows),
        "interviews": interviews,
        "columns": COLUMNS,
        "exported_at": event.at,
        "exported_by": event.actor,
        "study_uuid": study_uuid(),
        "audit_trail": {"head_seq": event.seq, "head_hash": event.entry_hash,
                        "rule": "entry_hash = sha256(prev_hash + canonical event); "
                                "docs/assess.md"},
        "tincheck_version": __version__,
    }
    return ExportResult(data, manifest)


def write_export(actor: Actor, out: Path) -> ExportResult:
    """Write ``out`` (the CSV) and ``<out stem>.manifest.json`` beside it."""
    result = export(actor)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    tmp.write_bytes(result.csv)
    tmp.replace(out)
    manifest_path(out).write_text(json.dumps(result.manifest, indent=2) + "\n",
                                  encoding="utf-8")
    return result


def manifest_path(csv_path: Path) -> Path:
    return csv_path.with_name(csv_path.stem + ".manifest.json")


# ------------------------------------------------------------------ verification

def _event_rows(batch: int = 2000):
    last = 0
    while True:
        chunk = list(Event.objects.filter(seq__gt=last).order_by("seq").values_list(
            "seq", "at", "actor", "role", "action", "target", "payload", "prev_hash",
            "entry_hash")[:batch])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1][0]


@dataclass(frozen=True)
class Report:
    chain: Verification
    records: list[str]      # stored interviews that differ from their events
    manifest: list[str]     # problems of a given export manifest

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.records and not self.manifest


def verify(manifest: Path | None = None) -> Report:
    """Recompute the chain; check every stored interview version against the event that
    recorded it; and, given an export's manifest, that the chain holds that export."""
    chain = verify_events(_event_rows())
    records = []
    if chain.ok:
        payloads = dict(Event.objects.filter(action__in=(
            "interview_saved", "interview_corrected")).values_list("seq", "payload"))
        for row in Interview.objects.select_related("assignment__visit__participant")\
                .prefetch_related("ratings").order_by("event_seq"):
            task = row.assignment
            name = (f"{task.visit.participant.study_id} {task.visit.timepoint} "
                    f"{'second rating ' if task.kind == 'second' else ''}version "
                    f"{row.version}")
            text = payloads.get(row.event_seq)
            if text is None:
                records.append(f"interview {name}: no event recorded it (event "
                               f"{row.event_seq})")
                continue
            event = json.loads(text)
            if event.get("content") != interview_content(row) or \
                    event.get("version") != row.version:
                records.append(f"interview {name} differs from event {row.event_seq}, "
                               "which recorded it")
        expected = Event.objects.filter(action__in=(
            "interview_saved", "interview_corrected")).count()
        if expected != Interview.objects.count():
            records.append(f"{expected} interview events but {Interview.objects.count()} "
                           "stored interview versions")
    problems = _check_manifest(manifest) if manifest is not None else []
    return Report(chain, records, problems)


def _check_manifest(path: Path) -> list[str]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        head_seq, head_hash = doc["audit_trail"]["head_seq"], doc["audit_trail"]["head_hash"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{path.name}: not a readable export manifest ({exc})"]
    event = Event.objects.filter(seq=head_seq).first()
    if event is None or event.entry_hash != head_hash:
        return [f"{path.name}: the chain holds no event {head_seq} with hash "
                f"{head_hash[:12]}…: this export is not from this study's trail"]
    problems = []
    payload = json.loads(event.payload)
    if payload.get("sha256") != doc.get("sha256"):
        problems.append(f"{path.name}: its sha256 differs from the export event's")
    csv_file = path.with_name(doc.get("file_name", "")) if doc.get("file_name") else None
    for candidate in [csv_file, path.with_name(path.name.replace(".manifest.json", ".csv"))]:
        if candidate is not None and candidate.is_file():
            actual = hashlib.sha256(candidate.read_bytes()).hexdigest()
            if actual != doc.get("sha256"):
                problems.append(f"{candidate.name} was changed after the export (its sha256 "
                                "differs from the manifest's)")
            break
    return problems
