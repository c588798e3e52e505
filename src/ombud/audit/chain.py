"""The hash chain: how an entry's hash is computed and how the log is verified."""

import hashlib
import json
from dataclasses import dataclass

GENESIS = "0" * 64


def entry_hash(prev_hash: str, fields: dict) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def hashed_fields(entry) -> dict:
    return {
        "at": entry.at.isoformat(),
        "actor_kind": entry.actor_kind,
        "actor_id": entry.actor_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "event_id": entry.event_id,
    }


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    head: str
    problem: str = ""
    at_seq: int | None = None


def verify(entries) -> Verdict:
    """Walk entries in sequence order; any edit, deletion, insertion or reordering breaks it."""
    prev = GENESIS
    count = 0
    for entry in entries:
        if entry.prev_hash != prev:
            return Verdict(
                False, count, prev, "an entry is missing, inserted or out of order", entry.seq
            )
        if entry_hash(prev, hashed_fields(entry)) != entry.entry_hash:
            return Verdict(False, count, prev, "an entry was altered", entry.seq)
        prev = entry.entry_hash
        count += 1
    return Verdict(True, count, prev)
