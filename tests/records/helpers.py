"""Closed cases with an outcome, as the team makes them, closed when a test says."""

from ombud.cases.models import Case
from ombud.cases.services import work
from ombud.decisions.models import BanEntry
from ombud.decisions.services import decide
from tests import factories
from tests.decisions.conftest import make_final, propose

CANARY = "RETENTIONCANARY-5e1d"


def keyed(cast):
    for person in (cast.lead, cast.lead2, cast.responder, cast.responder_off):
        factories.holding_key(person)
    return cast


def open_case(cast, **fields):
    fields.setdefault("what_happened", f"{CANARY} at the party")
    case = factories.file_report(cast.event, **fields).report.case
    work.change_status(case, "acknowledged", by=cast.lead, expected_version=case.version)
    case.refresh_from_db()
    return factories.declared(case, cast.lead, cast.lead2, cast.responder, cast.responder_off)


def decided(cast, case, consequence, **extra):
    decision = propose(case, cast.lead, consequence, **extra)
    decide.approve(decision, by=cast.lead2)
    decide.approve(decision, by=cast.responder)
    make_final(decision, cast.lead)
    decision.refresh_from_db()
    return decision


def close(cast, case, at):
    case.refresh_from_db()
    work.change_status(case, "closed", by=cast.lead, expected_version=case.version)
    Case.objects.filter(pk=case.pk).update(closed_at=at)
    case.refresh_from_db()
    return case


def closed_case(cast, at, consequence=None, **extra):
    case = open_case(cast)
    if consequence is not None:
        decided(cast, case, consequence, **extra)
    return close(cast, case, at)


def ban_entry(case):
    return BanEntry.objects.get(decision__case=case)
