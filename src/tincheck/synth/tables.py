"""Arrow tables in the canonical data model, built from a simulated chunk.

Column names, order and types come from :data:`tincheck.schema.TABLES`; codes from
:mod:`tincheck.codes`. Identifiers are readable and stable: ``R00000042`` (referral),
``C00000042`` (client), ``R00000042-003`` (its third appointment), ``I00000042-E``
(its end interview), ``SYN03`` (service), ``SYN03-T012`` (therapist).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import codes
from ..schema import TABLES
from .chunk import Chunk, Context
from .model import DISORDERS, STATUS
from .pathway import ATTENDANCE, END, INTENSITY, KIND, MEDIUM, THERAPY

ID_WIDTH = 8
ARROW_TYPES = {"str": pa.string(), "code": pa.string(), "icd10": pa.string(),
               "date": pa.date32(), "int": pa.int32(), "number": pa.float64(),
               "bool": pa.bool_()}
TIMEPOINT_LETTERS = {"baseline": "B", "end": "E", "follow_up": "F"}


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a canonical table as the generator writes it."""
    return pa.schema([(c.name, ARROW_TYPES[c.type]) for c in TABLES[table].columns])


def fixed_text(parts: list, n: int) -> pa.Array:
    """``n`` strings of fixed width joined from parts: text, or (numbers, digits).

    Built directly as Arrow buffers (every string has the same width), which is several
    times faster than formatting numbers as text.

    >>> fixed_text(["R", (np.array([42]), 4)], 1).to_pylist()
    ['R0042']
    """
    columns = []
    for part in parts:
        if isinstance(part, str):
            columns.append(np.broadcast_to(np.frombuffer(part.encode("ascii"), np.uint8),
                                           (n, len(part))))
        else:
            values, digits = part
            values = np.asarray(values, np.int64)
            if n and (values.min() < 0 or values.max() >= 10 ** digits):
                raise ValueError(f"numbers do not fit in {digits} digits")
            powers = 10 ** np.arange(digits - 1, -1, -1, dtype=np.int64)
            columns.append((values[:, None] // powers % 10 + 48).astype(np.uint8))
    data = np.ascontiguousarray(np.hstack(columns)) if columns else np.zeros((n, 0), np.uint8)
    width = data.shape[1]
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets),
                                                  pa.py_buffer(data)])


def ids(prefix: str, numbers: np.ndarray, width: int = ID_WIDTH) -> pa.Array:
    """``prefix`` + zero-padded numbers, e.g. ids("R", [42]) → ["R00000042"]."""
    numbers = np.asarray(numbers, np.int64)
    width = max(width, len(str(int(numbers.max())))) if len(numbers) else width
    return fixed_text([prefix, (numbers, width)], len(numbers))


def labelled(labels, index: np.ndarray) -> pa.Array:
    """Labels taken by index; a negative index is a missing value."""
    index = np.asarray(index)
    dictionary = pa.array(list(labels), pa.string())
    return dictionary.take(pa.array(index.astype(np.int32), mask=index < 0))


def dates(days: np.ndarray) -> pa.Array:
    """Day numbers (since 1970-01-01) as dates; negative is missing."""
    days = np.asarray(days)
    return pa.array(days.astype(np.int32), mask=days < 0).cast(pa.date32())


def numbers(values: np.ndarray, arrow_type: pa.DataType, missing=None) -> pa.Array:
    values = np.asarray(values)
    if missing is None:
        missing = np.isnan(values) if values.dtype.kind == "f" else values < 0
    return pa.array(np.where(missing, 0, values), mask=missing).cast(arrow_type)


def _table(name: str, columns: dict) -> pa.Table:
    schema = arrow_schema(name)
    return pa.Table.from_arrays([columns[f.name].cast(f.type) for f in schema], schema=schema)


def chunk_tables(ctx: Context, chunk: Chunk) -> dict[str, pa.Table]:
    """The referrals, appointments, measures and interviews tables of one chunk."""
    r, c, s, i = chunk.referrals, chunk.contacts, chunk.scores, chunk.interviews
    base = chunk.index * ctx.chunk_referrals
    n = len(r["received"])
    referral_numbers = base + np.arange(n)
    referral_ids = ids("R", referral_numbers)
    ethnicity = tuple(ctx.params["population"]["ethnicity"])
    tables = {"referrals": _table("referrals", {
        "referral_id": referral_ids,
        "client_id": ids("C", base + r["client"]),
        "service_id": labelled(ctx.services.ids, r["service"]),
        "received_date": dates(r["received"]),
        "ended_date": dates(r["ended"]),
        "end_reason": labelled(END, r["end_reason"]),
        "problem_descriptor": labelled(ctx.descriptors.code_labels, r["code"]),
        "source": labelled(codes.values("source"), r["source"]),
        "age": numbers(r["age"], pa.int32()),
        "sex": labelled(codes.values("sex"), r["sex"]),
        "ethnicity": labelled(ethnicity, r["ethnicity"]),
        "imd_decile": numbers(r["imd"], pa.int32()),
    })}

    ref = c["ref"]
    starts = np.searchsorted(ref, np.arange(n))
    sequence = np.arange(len(ref)) - starts[ref] + 1
    width = max(ID_WIDTH, len(str(int(referral_numbers.max()))))
    appointment_ids = fixed_text(["R", (base + ref, width), "-", (sequence, 3)], len(ref))
    tables["appointments"] = _table("appointments", {
        "appointment_id": appointment_ids,
        "referral_id": ids("R", base + ref),
        "date": dates(c["day"]),
        "kind": labelled(KIND, c["kind"]),
        "attendance": labelled(ATTENDANCE, c["attendance"]),
        "intensity": labelled(INTENSITY, c["intensity"]),
        "therapy_type": labelled(THERAPY, c["therapy"]),
        "medium": labelled(MEDIUM, c["medium"]),
        "therapist_id": labelled(ctx.services.staff_ids, c["staff"]),
        "duration_minutes": numbers(c["duration"], pa.int32()),
    })

    contact = pa.array(s["contact"])
    tables["measures"] = _table("measures", {
        "referral_id": ids("R", base + ref[s["contact"]]),
        "date": dates(c["day"][s["contact"]]),
        "instrument": labelled(chunk.labels, s["instrument"]),
        "score": pa.array(s["score"], pa.float64()),
        "appointment_id": appointment_ids.take(contact),
    })

    timepoints = codes.values("timepoint")
    letters = labelled([TIMEPOINT_LETTERS[t] for t in timepoints], i.timepoint)
    tables["interviews"] = _table("interviews", {
        "interview_id": pc.binary_join_element_wise(ids("I", base + i.ref), letters, "-"),
        "referral_id": ids("R", base + i.ref),
        "timepoint": labelled(timepoints, i.timepoint),
        "date": dates(i.day),
        "months_after_end": numbers(i.months_after_end, pa.float64()),
        "assessor_id": pa.array(i.assessor.astype(str), pa.string()),
        "instrument": labelled(codes.values("interview_instrument"), i.instrument),
        "assessor_independent": pa.array(i.independent, pa.bool_()),
        "assessor_blind": pa.array(i.blind, pa.bool_()),
        "retrospective": pa.array(np.zeros(len(i.ref), bool), pa.bool_()),
        "disorder": labelled(DISORDERS, i.disorder),
        "status": labelled(STATUS, i.status),
        "usual_self_pct": numbers(i.usual_self, pa.float64()),
        # the generator draws no second ratings and no broken blinding
        "second_rating": pa.array(np.zeros(len(i.ref), bool), pa.bool_()),
        "unblinded": pa.array(np.zeros(len(i.ref), bool), pa.bool_()),
    })
    return tables


def therapists_table(ctx: Context) -> pa.Table:
    s = ctx.services
    return _table("therapists", {
        "therapist_id": pa.array(list(s.staff_ids), pa.string()),
        "role": labelled(codes.values("role"), s.staff_role),
        "competence_diagnosis_specific": pa.array(s.competence[:, 0]),
        "competence_stage_specific": pa.array(s.competence[:, 1]),
        "competence_generic": pa.array(s.competence[:, 2]),
    })


def costs_table(ctx: Context, counts: np.ndarray) -> pa.Table:
    """Spend per service and financial year from referrals and contacts (``[costs]``)."""
    p = ctx.params["costs"]
    years = ctx.calendar.financial_years()
    unit = np.array([p["per_referral"], p["per_low_contact"], p["per_high_contact"]])
    spend = np.round(counts @ unit, 2)  # (services, years)
    service, year = np.meshgrid(np.arange(ctx.services.count), np.arange(len(years)),
                                indexing="ij")
    service, year = service.ravel(), year.ravel()
    keep = counts.sum(axis=2).ravel() > 0
    service, year = service[keep], year[keep]
    return _table("costs", {
        "service_id": labelled(ctx.services.ids, service),
        "period_start": dates(np.array([years[y][0] for y in year], np.int64)),
        "period_end": dates(np.array([years[y][1] for y in year], np.int64)),
        "cost_gbp": pa.array(spend[service, year], pa.float64()),
    })
