"""The hash chain: how an entry's hash is computed and how the log is verified.

Each entry's hash is an HMAC, keyed from the vault's key file, over the
previous hash and the entry's fields. Without the key nobody can rewrite the
chain consistently, even with write access to the database; an exported head
(``ombud audit head``) held elsewhere also proves the log was not cut short.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass

from ombud.vault import keys

GENESIS = "0" * 64


def chain_key() -> bytes:
    return keys.load().derived("audit chain")


def entry_hash(prev_hash: str, fields: dict, key: bytes) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, f"{prev_hash}\n{canonical}".encode(), hashlib.sha256).hexdigest()


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
class Head:
    """The last entry of a verified chain: enough to prove later that it is still there."""

    seq: int
    hash: str

    def as_dict(self) -> dict:
        return {"seq": self.seq, "hash": self.hash}


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    head: Head | None
    problem: str = ""
    at_seq: int | None = None


def verify(entries, key: bytes, *, anchor: Head | None = None) -> Verdict:
    """Walk entries in sequence order: any edit, deletion, insertion or reordering
    breaks the chain; a missing or changed ``anchor`` means it was cut or rewritten."""
    prev = GENESIS
    count = 0
    head = None
    anchor_seen = anchor is None
    for entry in entries:
        if entry.prev_hash != prev:
            return Verdict(
                False, count, head, "an entry is missing, inserted or out of order", entry.seq
            )
        if not hmac.compare_digest(entry_hash(prev, hashed_fields(entry), key), entry.entry_hash):
            return Verdict(False, count, head, "an entry was altered", entry.seq)
        if anchor is not None and entry.seq == anchor.seq:
            if entry.entry_hash != anchor.hash:
                return Verdict(
                    False, count, head, "the log was rewritten before the anchor", entry.seq
                )
            anchor_seen = True
        prev = entry.entry_hash
        head = Head(entry.seq, entry.entry_hash)
        count += 1
    if not anchor_seen:
        return Verdict(
            False, count, head, "the log ends before the anchor: entries were removed", anchor.seq
        )
    return Verdict(True, count, head)
