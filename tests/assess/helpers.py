"""Small helpers of the interview app's tests: a loaded study, form data, clients."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from tincheck import codes

from .conftest import load, users
from .sample_files import write_sample_files

ROLES = ("coordinator", "assessor", "analyst")


def interview_form(date: _dt.date, statuses: dict[str, str] | None = None, **extra) -> dict:
    """POST data of the interview form: every module rated (not assessed unless given)."""
    data = {"instrument": "SCID-5", "instrument_version": "", "date": date.isoformat(),
            "mode": "video", "duration_minutes": "60", "retrospective": "current",
            "usual_self_pct": "50", "unblinded": "no", "unblinded_how": "", "note": ""}
    for disorder in codes.values("disorder"):
        data[f"status_{disorder}"] = "not_assessed"
    for disorder, status in (statuses or {"depression": "present"}).items():
        data[f"status_{disorder}"] = status
    data.update({k: str(v) for k, v in extra.items()})
    return data


def synthetic_sample(folder: Path, referrals: int = 400, sample: int = 8,
                     seed: int = 3) -> tuple[Path, Path, Path]:
    """A synthetic service without interviews, and sample files drawn from it."""
    from tincheck.synth import generate

    service = generate(folder / "service", referrals=referrals, seed=seed, format="csv",
                       interview_fraction=0)
    sample_path, schedule_path = write_sample_files(service, folder / "study", sample=sample)
    return service, sample_path, schedule_path


def populated(folder: Path, share: float = 0.5) -> dict:
    """Users and a loaded sample in the current study; returns the users by name."""
    people = users(("cora", "coordinator"), ("alice", "assessor"), ("bob", "assessor"),
                   ("ann", "analyst"))
    _, sample_path, schedule_path = synthetic_sample(folder)
    load(sample_path, schedule_path, share=share)
    return people
