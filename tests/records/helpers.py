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


def rich_case(cast, at, consequence="written", canary=CANARY, **report_fields):
    """A closed case with content in every kind of sealed field: the report and a file,
    a note with a file, a message, an account, a person reported, an interim action, a
    safety step against the reporter's choice, a recusal, a link and a decision."""
    from ombud.cases.services import attachments, links, respondents, team  # noqa: PLC0415

    report_fields.setdefault("exclude_staff", ["offduty"])
    report_fields.setdefault("contact", f"{canary} contact")
    files = [attachments.CheckedFile("photo.txt", "text/plain", f"{canary} file".encode())]
    submission = factories.file_report(
        cast.event, what_happened=f"{canary} at the party", attachments=files, **report_fields
    )
    case = submission.report.case
    work.change_status(case, "acknowledged", by=cast.lead, expected_version=case.version)
    case.refresh_from_db()
    factories.declared(case, cast.lead, cast.lead2, cast.responder)
    note_file = attachments.CheckedFile("n.txt", "text/plain", f"{canary} note file".encode())
    work.add_note(case, f"{canary} note", by=cast.lead, files=[note_file])
    work.message_reporter(case, f"{canary} message", by=cast.lead)
    work.record_account(case, "witness", f"{canary} account", by=cast.lead, person="Wit Ness")
    respondents.record(case, by=cast.lead, name=f"{canary} Person", badge="Z-99")
    team.record_interim_action(case, f"{canary} interim", by=cast.lead)
    team.record_safety_step(case, "law_enforcement", by=cast.lead, danger_reason=f"{canary} danger")
    other = factories.file_report(cast.event, what_happened="another").report.case
    links.link(case, other.code_name, "related", by=cast.lead)
    decided(cast, case, consequence)
    case.refresh_from_db()
    work.change_status(
        case, "closed", by=cast.lead, expected_version=case.version, closing_message="Closed."
    )
    Case.objects.filter(pk=case.pk).update(closed_at=at)
    case.refresh_from_db()
    return case, submission.receipt
