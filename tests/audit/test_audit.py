import dataclasses
import itertools
import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from ombud.audit import chain
from ombud.audit.actions import ACTIONS, UnknownAction, describe
from ombud.audit.models import Entry
from ombud.audit.services import Actor, prepare, record, verify_log
from ombud.events.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db


def _entries(n=4):
    organisation = factories.organisation("audited")
    with transaction.atomic():
        for action in list(ACTIONS)[-n:]:  # any registered codes but "report.read"
            record(Actor.system(), action, organisation)
    return list(Entry.objects.order_by("seq"))


def test_record_refuses_to_run_outside_the_actions_transaction(monkeypatch):
    organisation = factories.organisation("outside")
    # The test itself runs in a transaction; pretend it does not.
    monkeypatch.setattr(connections["default"], "in_atomic_block", False)
    with pytest.raises(RuntimeError):
        record(Actor.system(), "organisation.settings_changed", organisation)
    monkeypatch.undo()
    assert not Entry.objects.exists()


@pytest.mark.parametrize("action", ["event.setings_changed", "", "Event.settings_changed"])
def test_record_refuses_an_action_that_is_not_registered(action):
    organisation = factories.organisation("typo")
    with pytest.raises(UnknownAction, match="not a registered audit action"), transaction.atomic():
        record(Actor.system(), action, organisation)
    assert not Entry.objects.exists()


def test_every_registered_action_is_a_dotted_code_with_a_description():
    for action, description in ACTIONS.items():
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", action), action
        assert str(description).strip(), action
        assert describe(action) == str(description)
    assert describe("no.such_action") == "no.such_action"


def test_entries_chain_from_genesis_and_verify():
    entries = _entries()
    assert entries[0].prev_hash == chain.GENESIS
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(entries))
    verdict = verify_log()
    assert (verdict.ok, verdict.checked) == (True, 4)
    assert verdict.head == chain.Head(entries[-1].seq, entries[-1].entry_hash)


def test_entries_prepared_before_the_transaction_take_their_place_when_appended(monkeypatch):
    organisation = factories.organisation("prepared")
    actions = list(ACTIONS)[-2:]
    first, second = (prepare(Actor.system(), a, organisation) for a in actions)
    monkeypatch.setattr(connections["default"], "in_atomic_block", False)
    with pytest.raises(RuntimeError):
        first.append()  # prepared is not written: only inside the action's transaction
    monkeypatch.undo()
    assert not Entry.objects.exists()
    with transaction.atomic():
        record(Actor.system(), actions[0], organisation)
        second.append()  # prepared second, appended first: the chain follows the order
        first.append()
        with pytest.raises(RuntimeError, match="already in the log"):
            first.append()
    entries = list(Entry.objects.order_by("seq"))
    assert [e.action for e in entries] == [actions[0], actions[1], actions[0]]
    assert [e.entry_hash for e in entries[1:]] == [second.entry.entry_hash, first.entry.entry_hash]
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(entries))
    # Times are taken when an entry joins the chain: they follow its order.
    assert all(a.at <= b.at for a, b in itertools.pairwise(entries))
    assert (verify_log().ok, verify_log().checked) == (True, 3)


def test_an_entry_is_prepared_only_for_a_registered_action_and_a_stored_row():
    with pytest.raises(UnknownAction):
        prepare(Actor.system(), "report.creatd", factories.organisation("early"))
    unsaved = Organisation(name="Not stored", slug="not-stored")
    with pytest.raises(ValueError, match="stored row"):
        prepare(Actor.system(), list(ACTIONS)[-1], unsaved)


def test_an_altered_entry_breaks_the_chain_at_that_entry():
    entries = _entries()
    entries[2].action = "report.read"
    verdict = chain.verify(entries, chain.chain_key())
    assert not verdict.ok
    assert verdict.at_seq == entries[2].seq
    assert "altered" in verdict.problem


def test_a_rewritten_chain_needs_the_key_file():
    # Someone with the database but not the key file edits an entry and
    # recomputes every hash after it: without the chain key it cannot pass.
    entries = _entries()
    entries[1].action = "report.read"
    prev = entries[0].entry_hash
    for entry in entries[1:]:
        entry.prev_hash = prev
        entry.entry_hash = chain.entry_hash(prev, chain.hashed_fields(entry), b"guessed key")
        prev = entry.entry_hash
    assert not chain.verify(entries, chain.chain_key()).ok


def test_a_log_cut_short_after_its_head_was_exported_is_caught():
    entries = _entries()
    anchor = chain.Head(entries[-1].seq, entries[-1].entry_hash)
    assert chain.verify(entries, chain.chain_key(), anchor=anchor).ok
    cut = chain.verify(entries[:-1], chain.chain_key(), anchor=anchor)
    assert not cut.ok
    assert "entries were removed" in cut.problem


def test_a_deleted_entry_breaks_the_chain():
    entries = _entries()
    verdict = chain.verify([entries[0], entries[2], entries[3]], chain.chain_key())
    assert (verdict.ok, verdict.at_seq) == (False, entries[2].seq)


def test_reordered_entries_break_the_chain():
    entries = _entries()
    verdict = chain.verify([entries[0], entries[2], entries[1], entries[3]], chain.chain_key())
    assert not verdict.ok


def test_an_inserted_entry_breaks_the_chain_even_with_a_valid_own_hash():
    entries = _entries()
    forged = dataclasses.replace(_Fake.of(entries[1]), action="forged")
    forged.entry_hash = chain.entry_hash(
        forged.prev_hash, chain.hashed_fields(forged), chain.chain_key()
    )
    verdict = chain.verify(
        [entries[0], entries[1], forged, entries[2], entries[3]], chain.chain_key()
    )
    assert not verdict.ok


@dataclasses.dataclass
class _Fake:
    seq: int
    at: object
    actor_kind: str
    actor_id: str
    action: str
    object_type: str
    object_id: str
    event_id: int
    prev_hash: str
    entry_hash: str

    @classmethod
    def of(cls, entry):
        return cls(**{f.name: getattr(entry, f.name) for f in dataclasses.fields(cls)})


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_entry SET action = 'x'", "DELETE FROM audit_entry"]
)
def test_the_database_refuses_to_change_or_remove_entries(statement):
    _entries(1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert Entry.objects.count() == 1


def test_audit_verify_command_reports_ok_and_keeps_an_anchor(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    entries = _entries(2)
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert f"audit log OK: 2 entries, head {entries[-1].entry_hash}" in out.getvalue()
    anchor = json.loads((tmp_path / "audit-anchor.json").read_text())
    assert anchor == {"seq": entries[-1].seq, "hash": entries[-1].entry_hash}


def test_audit_head_exports_and_verify_checks_against_it(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    _entries(2)
    out = StringIO()
    call_command("audit", "head", stdout=out)
    exported = tmp_path / "head.json"
    exported.write_text(out.getvalue())
    call_command("audit", "verify", "--against", str(exported), stdout=StringIO())
    exported.write_text(json.dumps({"seq": 10**9, "hash": "f" * 64}))
    with pytest.raises(CommandError, match="entries were removed"):
        call_command("audit", "verify", "--against", str(exported), stdout=StringIO())


def test_audit_verify_command_fails_on_a_broken_chain(monkeypatch):
    _entries(2)
    broken = chain.Verdict(False, 1, None, "an entry was altered", 7)
    monkeypatch.setattr(
        "ombud.audit.management.commands.audit.verify_log", lambda anchor=None: broken
    )
    with pytest.raises(CommandError, match="BROKEN at entry 7"):
        call_command("audit", "verify")
