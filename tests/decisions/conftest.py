import pytest

from ombud.cases.services import work
from ombud.decisions.services import decide
from tests import factories

CANARY = "DECISIONCANARY-7f3a"


@pytest.fixture
def case(cast):
    """An acknowledged case the leads and responders work; nobody recused."""
    case = factories.file_report(cast.event, what_happened=f"{CANARY} at the party").report.case
    work.change_status(case, "acknowledged", by=cast.lead, expected_version=case.version)
    case.refresh_from_db()
    # Everyone on the team has said they have no conflict of interest in it.
    return factories.declared(case, cast.lead, cast.lead2, cast.responder, cast.responder_off)


@pytest.fixture
def keyed(cast):
    """The case workers as a request carries them: private key unlocked."""
    for person in (cast.lead, cast.lead2, cast.responder, cast.responder_off):
        factories.holding_key(person)
    return cast


def propose(case, by, consequence="no_action", **extra):
    texts = {
        "reasoning": extra.pop("reasoning", f"{CANARY} reasoning"),
        "to_respondent": extra.pop("to_respondent", f"{CANARY} to respondent"),
        "to_reporter": extra.pop("to_reporter", f"{CANARY} to reporter"),
    }
    identity = extra.pop("identity", {"name": "José Ávila", "badge": "b-1234", "email": ""})
    return decide.propose(
        case, by=by, consequence=consequence, texts=texts, identity=identity, **extra
    )


def make_final(decision, by):
    decision.case.refresh_from_db()
    return decide.make_final(decision, by=by, expected_version=decision.case.version)
