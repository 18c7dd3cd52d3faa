"""A tiny-cohort builder for metric tests: referrals that read like the rule they test.

    cohort.referral(problem="F40.1").assessment().treatments(2).phq9(8, 4).spin(25, 10)

Days count from the referral's received date (default 2023-01-02 + ``received`` days).
Files are written as CSV in canonical form and audited through the public API with
disclosure control off, so tests see exact numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import tincheck

ORIGIN = dt.date(2023, 1, 2)
COLUMNS = {
    "referrals": ["referral_id", "client_id", "service_id", "received_date", "ended_date",
                  "end_reason", "problem_descriptor", "age", "sex"],
    "appointments": ["appointment_id", "referral_id", "date", "kind", "attendance",
                     "intensity", "therapy_type", "medium"],
    "measures": ["referral_id", "date", "instrument", "score"],
    "costs": ["service_id", "period_start", "period_end", "cost_gbp"],
    "interviews": ["interview_id", "referral_id", "timepoint", "date", "months_after_end",
                   "assessor_id", "instrument", "assessor_independent", "assessor_blind",
                   "retrospective", "disorder", "status", "usual_self_pct",
                   "second_rating", "unblinded"],
}


class Referral:
    def __init__(self, cohort, rid, client, received, length, end_reason, problem, service,
                 age, sex):
        self.cohort, self.id, self.received = cohort, rid, ORIGIN + dt.timedelta(received)
        self.ended = None if length is None else self.received + dt.timedelta(length)
        cohort.rows["referrals"].append(dict(
            referral_id=rid, client_id=client, service_id=service,
            received_date=self.received.isoformat(),
            ended_date=self.ended.isoformat() if self.ended else "",
            end_reason=end_reason or "", problem_descriptor=problem or "", age=age, sex=sex))
        self.n_contacts = 0
        self.next_day = 7

    def day(self, offset: int) -> str:
        return (self.received + dt.timedelta(offset)).isoformat()

    def contact(self, day=None, kind="treatment", attendance="attended", intensity=None,
                therapy=None, medium="face_to_face") -> Referral:
        day = self.next_day if day is None else day
        self.next_day = day + 7
        self.n_contacts += 1
        self.cohort.rows["appointments"].append(dict(
            appointment_id=f"{self.id}-A{self.n_contacts}", referral_id=self.id,
            date=self.day(day), kind=kind, attendance=attendance, intensity=intensity or "",
            therapy_type=therapy or "", medium=medium or ""))
        return self

    def assessment(self, day=None, **kw) -> Referral:
        return self.contact(day, "assessment", **kw)

    def treatment(self, day=None, **kw) -> Referral:
        return self.contact(day, "treatment", **kw)

    def treatments(self, n, every=7, **kw) -> Referral:
        for _ in range(n):
            self.contact(self.next_day, "treatment", **kw)
            self.next_day += every - 7
        return self

    def score(self, instrument, day, value) -> Referral:
        self.cohort.rows["measures"].append(dict(referral_id=self.id, date=self.day(day),
                                                 instrument=instrument, score=value))
        return self

    def scores(self, instrument, *values, days=None) -> Referral:
        days = days or [7 * i for i in range(len(values))]
        for day, value in zip(days, values):
            self.score(instrument, day, value)
        return self

    def phq9(self, *values, days=None):
        return self.scores("PHQ9", *values, days=days)

    def gad7(self, *values, days=None):
        return self.scores("GAD7", *values, days=days)

    def interview(self, timepoint, day, statuses, *, assessor="AS1", independent=True,
                  blind=True, retrospective=False, usual_self=None, instrument="SCID-5",
                  months_after_end=None, interview_id=None, second_rating=None,
                  unblinded=None) -> Referral:
        iid = interview_id or f"{self.id}-{timepoint}"
        for disorder, status in statuses.items():
            self.cohort.rows["interviews"].append(dict(
                interview_id=iid, referral_id=self.id, timepoint=timepoint,
                date=self.day(day), months_after_end="" if months_after_end is None
                else months_after_end, assessor_id=assessor, instrument=instrument,
                assessor_independent=str(independent).lower(),
                assessor_blind=str(blind).lower(), retrospective=str(retrospective).lower(),
                disorder=disorder, status=status,
                usual_self_pct="" if usual_self is None else usual_self,
                second_rating="" if second_rating is None else str(second_rating).lower(),
                unblinded="" if unblinded is None else str(unblinded).lower()))
        return self


class Cohort:
    def __init__(self, folder: Path, backend=("duckdb", None)):
        self.folder = folder
        self.engine, self.spark_session = backend
        self.rows = {name: [] for name in COLUMNS}
        self.n = 0

    def referral(self, rid=None, *, client=None, received=0, length=120,
                 end_reason="completed", problem="F32.1", service="S1", age=30,
                 sex="female") -> Referral:
        self.n += 1
        rid = rid or f"R{self.n:02d}"
        return Referral(self, rid, client or f"C{self.n:02d}", received, length, end_reason,
                        problem, service, age, sex)

    def cost(self, service, start, end, gbp) -> Cohort:
        self.rows["costs"].append(dict(service_id=service, period_start=start,
                                       period_end=end, cost_gbp=gbp))
        return self

    def write(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, columns in COLUMNS.items():
            if not self.rows[name] and name in ("costs", "interviews"):
                continue
            with open(self.folder / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
                writer.writeheader()
                writer.writerows(self.rows[name])
        return self.folder

    def audit(self, **kwargs) -> tincheck.Audit:
        kwargs.setdefault("disclosure_control", False)
        if self.engine == "spark":
            kwargs.update(engine="spark", spark_session=self.spark_session)
        return tincheck.audit(self.write(), **kwargs)


def fraction(audit, metric_id) -> tuple[int, int]:
    """(numerator, denominator) of a proportion."""
    result = audit.metrics[metric_id]
    return result.numerator, result.denominator
