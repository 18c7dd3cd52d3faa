"""The audit trail's hash chain: how an event is hashed, and how the chain is verified.

Each event stores ``prev_hash`` (the previous event's ``entry_hash``; 64 zeros for the
first) and

    entry_hash = SHA-256(prev_hash ‖ canonical(event)), hex,

where canonical(event) is the UTF-8 JSON array
``[seq, at, actor, role, action, target, payload]`` written with
``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` and ``payload`` is the
stored text itself. Any change to any stored byte of an event changes its hash, and
removing or inserting an event breaks the link of the next one, so
:func:`verify_events` finds the first event that was altered, removed or inserted.
Anyone can check an exported chain with a few lines of code in any language.

Reference: Crosby SA, Wallach DS (2009) Efficient data structures for tamper-evident
logging. USENIX Security Symposium (hash chains for append-only logs).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

GENESIS = "0" * 64


def canonical_json(value) -> str:
    """Compact, key-sorted JSON: the one text form of a payload."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(prev_hash: str, seq: int, at: str, actor: str, role: str, action: str,
               target: str, payload: str) -> str:
    """SHA-256 of the previous hash and the canonical event (hex).

    >>> entry_hash(GENESIS, 1, "2025-01-01T00:00:00.000000+00:00", "cli", "system",
    ...            "study_created", "study", "{}")[:12]
    'a72b621c1dac'
    """
    text = json.dumps([seq, at, actor, role, action, target, payload], ensure_ascii=False,
                      separators=(",", ":"))
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first event at which the chain does not verify, and why."""

    seq: int
    action: str
    at: str
    reason: str

    def sentence(self) -> str:
        return f"event {self.seq} ({self.action}, {self.at}): {self.reason}"


@dataclass(frozen=True)
class Verification:
    events: int
    head_seq: int
    head_hash: str
    broken: Break | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify_events(rows: Iterable[tuple]) -> Verification:
    """Recompute the chain over rows ``(seq, at, actor, role, action, target, payload,
    prev_hash, entry_hash)`` in seq order; the first break is named."""
    prev, expected_seq, count = GENESIS, 1, 0
    head_seq, head_hash = 0, GENESIS
    for seq, at, actor, role, action, target, payload, prev_hash, stored in rows:
        count += 1
        problem = None
        if seq != expected_seq:
            problem = (f"sequence number {seq} where {expected_seq} was expected (events "
                       f"{expected_seq}-{seq - 1} are missing)" if seq > expected_seq else
                       f"sequence number {seq} repeats or goes backwards")
        elif prev_hash != prev:
            problem = ("its prev_hash does not match the entry_hash of the event before it "
                       "(an event before it was removed, inserted or altered)")
        elif entry_hash(prev_hash, seq, at, actor, role, action, target, payload) != stored:
            problem = "its content does not match its entry_hash (the event was altered)"
        else:
            try:
                json.loads(payload)
            except ValueError:
                problem = "its payload is not valid JSON"
        if problem:
            return Verification(count, head_seq, head_hash, Break(seq, action, at, problem))
        prev, expected_seq = stored, seq + 1
        head_seq, head_hash = seq, stored
    return Verification(count, head_seq, head_hash, None)
