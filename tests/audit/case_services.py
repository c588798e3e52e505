"""Audited services on cases: intake, the reporter's follow-up, working a case, its
team, who can open it, and decisions."""

from datetime import timedelta

from django.utils import timezone

from ombud.cases.models import Case, Category, Report, Status
from ombud.cases.services import (
    alerts,
    attachments,
    categories,
    floods,
    grants,
    keytrust,
    links,
    oral,
    reporter,
    respondents,
    team,
    triage,
    work,
)
from ombud.decisions.services import appeals, decide
from ombud.decisions.services import reporter as decision_reporter
from ombud.intake.channels import inbound, voice
from ombud.intake.models import IntakeChannel
from ombud.intake.services import submit_report
from ombud.notify.models import OutboxMessage
from ombud.staff.models import Role
from ombud.vault import recertify
from tests import factories
from tests.audit.catalogue import Call, audited, filed, fresh, keyed

FILE = attachments.CheckedFile("notes.txt", "text/plain", b"AUDITCANARY in a file")


def _acknowledged(cast, submission=None):
    """A case the whole team has declared no conflict in, acknowledged by a lead."""
    case = (submission or factories.file_report(cast.event)).report.case
    work.change_status(case, Status.ACKNOWLEDGED, by=keyed(cast.lead), expected_version=1)
    return factories.declared(
        fresh(case), cast.lead, cast.lead2, cast.responder, cast.responder_off
    )


# Intake and the reporter


@audited(submit_report, "report.created@reporter")
def file_a_report(cast):
    return Call(lambda: submit_report(cast.event, factories.report_input()))


@audited(submit_report, "receipt.reissued@reporter", case="sent again")
def send_the_form_again(cast):
    data = factories.report_input(what_happened="Sent on bad wifi")
    submit_report(cast.event, data, submission_key="k" * 32)
    return Call(lambda: submit_report(cast.event, data, submission_key="k" * 32))


@audited(reporter.view, "report.read_by_reporter@reporter")
def follow_up_with_the_receipt(cast):
    receipt = factories.file_report(cast.event).receipt
    return Call(lambda: reporter.view(receipt))


@audited(reporter.replace_receipt, "receipt.replaced@reporter")
def replace_a_receipt_someone_saw(cast):
    receipt = factories.file_report(cast.event).receipt
    return Call(lambda: reporter.replace_receipt(receipt))


@audited(reporter.open_file, "attachment.read@reporter")
def download_ones_own_file(cast):
    submission = factories.file_report(cast.event, attachments=[FILE])
    attachment = submission.report.attachments.get()
    return Call(lambda: reporter.open_file(submission.receipt, attachment.pk))


@audited(reporter.add_information, "message.created@reporter", "recusal.created@system")
def add_information_naming_staff(cast):
    receipt = factories.file_report(cast.event).receipt
    return Call(lambda: reporter.add_information(receipt, "It was Rita Responder."))


@audited(decision_reporter.comment, "decision.reporter_commented@reporter")
def comment_on_the_proposed_outcome(cast):
    submission = factories.file_report(cast.event)
    _propose(_acknowledged(cast, submission), cast.lead, show_to_reporter=True)
    return Call(lambda: decision_reporter.comment(submission.receipt, "I think that is fair."))


# Working a case


@audited(work.open_case, "case.read")
def open_a_case(cast):
    case = _acknowledged(cast)
    return Call(lambda: work.open_case(fresh(case), by=keyed(cast.lead)), cast.lead)


@audited(work.read_report, "report.read")
def read_one_report(cast):
    case = _acknowledged(cast)
    report = case.reports.get()
    return Call(lambda: work.read_report(fresh(case), report.pk, by=keyed(cast.lead)), cast.lead)


@audited(work.export, "case.read", "case.exported")
def export_a_case(cast):
    case = _acknowledged(cast)
    return Call(lambda: work.export(fresh(case), by=keyed(cast.lead)), cast.lead)


@audited(alerts.retry, "alert.retried")
def retry_an_alert_that_failed(cast):
    case = filed(cast)
    message = OutboxMessage.objects.filter(subject_id=case.pk).first()
    OutboxMessage.objects.filter(pk=message.pk).update(state=OutboxMessage.State.DEAD)
    return Call(lambda: alerts.retry(fresh(message), case, by=cast.lead), cast.lead)


@audited(work.open_attachment, "attachment.read")
def download_an_attachment(cast):
    case = _acknowledged(cast)
    note = work.add_note(case, "See the file.", by=keyed(cast.lead), files=[FILE])
    attachment = note.attachments.get()
    return Call(
        lambda: work.open_attachment(fresh(case), attachment.pk, by=keyed(cast.responder)),
        cast.responder,
    )


@audited(work.change_status, "case.status_changed")
def acknowledge_a_case(cast):
    case = filed(cast)
    return Call(
        lambda: work.change_status(
            fresh(case), Status.ACKNOWLEDGED, by=keyed(cast.lead), expected_version=1
        ),
        cast.lead,
    )


@audited(work.add_note, "note.created")
def add_a_note(cast):
    case = _acknowledged(cast)
    return Call(lambda: work.add_note(fresh(case), "Talked to B.", by=keyed(cast.lead)), cast.lead)


@audited(work.record_account, "account.created")
def record_an_account(cast):
    case = _acknowledged(cast)
    return Call(
        lambda: work.record_account(fresh(case), "witness", "I saw it.", by=keyed(cast.lead)),
        cast.lead,
    )


@audited(work.message_reporter, "message.created")
def write_to_the_reporter(cast):
    case = _acknowledged(cast)
    return Call(
        lambda: work.message_reporter(fresh(case), "Thank you.", by=keyed(cast.lead)), cast.lead
    )


@audited(links.link, "case.linked")
def link_two_cases(cast):
    case, other = _acknowledged(cast), filed(cast)
    return Call(
        lambda: links.link(fresh(case), other.code_name, "related", by=keyed(cast.lead)),
        cast.lead,
    )


@audited(respondents.record, "respondent.recorded")
def record_who_was_reported(cast):
    case = _acknowledged(cast)
    return Call(
        lambda: respondents.record(fresh(case), by=keyed(cast.lead), name="José Ávila"),
        cast.lead,
    )


@audited(categories.set_for_event, "event.categories_changed")
def change_the_categories(cast):
    return Call(
        lambda: categories.set_for_event(cast.event, ["Harassment", "Other"], by=cast.lead),
        cast.lead,
    )


@audited(categories.set_for_case, "case.categories_set")
def file_a_case_under_a_category(cast):
    case = _acknowledged(cast)
    chosen = [Category.objects.get(event=cast.event, name="Harassment").pk]
    return Call(lambda: categories.set_for_case(fresh(case), chosen, by=cast.lead), cast.lead)


# The team around a case


@audited(team.declare_no_conflict, "case.declared_no_conflict")
def declare_no_conflict(cast):
    case = filed(cast)
    return Call(lambda: team.declare_no_conflict(fresh(case), by=cast.lead), cast.lead)


@audited(team.recuse_self, "case.recused_self", "recusal.created@system")
def recuse_oneself(cast):
    case = _acknowledged(cast)
    return Call(lambda: team.recuse_self(fresh(case), by=keyed(cast.responder)), cast.responder)


@audited(team.assign_owner, "case.owner_assigned")
def take_a_case(cast):
    case = _acknowledged(cast)
    return Call(lambda: team.assign_owner(fresh(case), cast.lead, by=cast.lead), cast.lead)


@audited(team.add_helper, "case.helper_added")
def add_a_helper(cast):
    case = _acknowledged(cast)
    return Call(lambda: team.add_helper(fresh(case), cast.responder, by=cast.lead), cast.lead)


@audited(team.record_safety_step, "case.safety_step")
def offer_an_escort(cast):
    case = _acknowledged(cast)
    return Call(
        lambda: team.record_safety_step(fresh(case), "escort_offered", by=cast.lead), cast.lead
    )


@audited(team.record_interim_action, "case.interim_action")
def act_on_the_spot(cast):
    case = _acknowledged(cast)
    return Call(
        lambda: team.record_interim_action(fresh(case), "Asked B. to leave.", by=keyed(cast.lead)),
        cast.lead,
    )


@audited(team.review_interim_action, "case.interim_reviewed")
def review_what_was_done_on_the_spot(cast):
    case = _acknowledged(cast)
    action = team.record_interim_action(case, "Asked B. to leave.", by=keyed(cast.lead))
    return Call(
        lambda: team.review_interim_action(fresh(case), action.pk, by=cast.responder),
        cast.responder,
    )


# Who can open a case


@audited(grants.grant_pending, "case.granted")
def grant_a_late_joiner(cast):
    filed(cast)
    late = factories.user("late", "Lara", "Late")
    factories.member(cast.event, late, Role.RESPONDER)
    factories.vouched(late, by=cast.admin)  # confirmed on the dashboard
    keytrust.vouch_in_session(keyed(cast.lead))  # the lead's key signed what it reaches
    return Call(lambda: grants.grant_pending(keyed(cast.lead)), cast.lead)


@audited(keytrust.endorse, "key.endorsed")
def vouch_for_a_key(cast):
    late = factories.user("late", "Lara", "Late")
    factories.member(cast.event, late, Role.RESPONDER)
    return Call(lambda: keytrust.endorse(fresh(late), by=keyed(cast.lead)), cast.lead)


@audited(recertify.as_found, "keys.recertified@system")
def certify_the_database_as_found(cast):
    return Call(recertify.as_found)


@audited(keytrust.alarm, "key.rejected@system")
def raise_the_alarm_about_a_key(cast):
    return Call(lambda: keytrust.alarm("person", cast.responder.pk, "f" * 64, event=cast.event))


@audited(grants.release_escrow, "case.granted", "case.escrow_released")
def release_a_report_from_escrow(cast):
    event = factories.event("fresh", org=cast.event.organisation)
    lead = factories.user("fresh-lead", "Fay", "First")
    factories.member(event, lead, Role.LEAD)
    lead.personal_key.delete()  # before their first sign-in they have no key
    factories.file_report(event)
    holder = keyed(fresh(lead))  # their first sign-in makes one
    return Call(
        lambda: grants.release_escrow(
            holder, event=event, trusted=keytrust.vouch_in_session(holder)
        ),
        lead,
    )


# Decisions and appeals


def _propose(case, by, consequence="no_action", **extra):
    texts = {"reasoning": "Because.", "to_respondent": "Stop.", "to_reporter": "We acted."}
    identity = {"name": "José Ávila", "badge": "", "email": ""}
    return decide.propose(
        case, by=keyed(by), consequence=consequence, texts=texts, identity=identity, **extra
    )


def _final(cast):
    decision = _propose(_acknowledged(cast), cast.lead)
    return decide.make_final(decision, by=keyed(cast.lead), expected_version=2)


@audited(decide.propose, "decision.proposed")
def propose_a_decision(cast):
    case = _acknowledged(cast)
    return Call(lambda: _propose(fresh(case), cast.responder), cast.responder)


@audited(decide.approve, "decision.approved")
def approve_a_decision(cast):
    decision = _propose(_acknowledged(cast), cast.lead, "written")
    return Call(lambda: decide.approve(decision, by=keyed(cast.responder)), cast.responder)


@audited(decide.make_final, "decision.made_final", "case.status_changed")
def make_a_decision_final(cast):
    decision = _propose(_acknowledged(cast), cast.lead)
    return Call(
        lambda: decide.make_final(
            decision,
            by=keyed(cast.lead),
            expected_version=Case.objects.get(pk=decision.case_id).version,
        ),
        cast.lead,
    )


@audited(decide.withdraw, "decision.withdrawn")
def withdraw_a_proposal(cast):
    decision = _propose(_acknowledged(cast), cast.lead)
    return Call(lambda: decide.withdraw(decision, by=cast.lead), cast.lead)


@audited(appeals.record, "appeal.recorded")
def record_an_appeal(cast):
    decision = _final(cast)
    return Call(
        lambda: appeals.record(decision, "New facts.", by=keyed(cast.responder)), cast.responder
    )


@audited(appeals.review, "appeal.reviewed")
def review_an_appeal(cast):
    appeal = appeals.record(_final(cast), "New facts.", by=keyed(cast.responder))
    return Call(
        lambda: appeals.review(appeal, "upheld", "It stands.", by=keyed(cast.lead2)), cast.lead2
    )


# The hotline (intake.channels.voice)


@audited(voice.log_call, "case.call_logged@system")
def a_hotline_call_on_the_callers_case(cast):
    case = filed(cast, contact="+4915100000042")
    Report.objects.filter(case=case).update(
        contact_digest=inbound.contact_digest("voice", "+4915100000042")
    )
    channel = IntakeChannel.objects.create(
        event=cast.event,
        kind=IntakeChannel.Kind.VOICE,
        provider=IntakeChannel.Provider.TWILIO,
        address="+12025550142",
    )
    return Call(lambda: voice.log_call(channel, "CA" + "0" * 32, "+4915100000042", seconds=30))


@audited(voice.hand_on, "recusal.created@system")
def a_hotline_call_handed_on(cast):
    case = filed(cast)
    return Call(lambda: voice.hand_on(fresh(case), cast.memberships["responder"]))


# Oral reports, the receipt sent on, replies in full (issue 12)


def _taken_orally(cast):
    return factories.file_report(cast.event, channel="in_person", taken_by=cast.staff)


@audited(reporter.confirm_account, "report.confirmed_by_reporter@reporter")
def confirm_the_written_account(cast):
    receipt = _taken_orally(cast).receipt
    return Call(lambda: reporter.confirm_account(receipt))


@audited(
    reporter.correct_account, "message.created@reporter", "report.corrected_by_reporter@reporter"
)
def correct_the_written_account(cast):
    receipt = _taken_orally(cast).receipt
    return Call(lambda: reporter.correct_account(receipt, "It was at ten, not at nine."))


@audited(reporter.choose_replies, "report.replies_chosen@reporter")
def ask_for_replies_in_full(cast):
    receipt = factories.file_report(cast.event, contact="mo@example.org").receipt
    return Call(lambda: reporter.choose_replies(receipt, "email"))


@audited(reporter.choose_replies, "report.replies_stopped@reporter", case="stopped")
def stop_replies_in_full(cast):
    receipt = factories.file_report(cast.event, contact="mo@example.org").receipt
    reporter.choose_replies(receipt, "email")
    return Call(lambda: reporter.choose_replies(receipt, ""))


@audited(oral.send_receipt, "receipt.sent")
def send_the_receipt_on_by_email(cast):
    submission = _taken_orally(cast)
    return Call(
        lambda: oral.send_receipt(
            fresh(submission.report), submission.receipt, "email", "mo@example.org", by=cast.staff
        ),
        cast.staff,
    )


# A flood and its triage


def _near_identical(cast, count=3):
    text = "The same words again and again, posted by a script at this event"
    return [
        factories.file_report(cast.event, what_happened=text).report.case for _n in range(count)
    ]


@audited(floods.look, "flood.started@system")
def see_a_flood(cast):
    _near_identical(cast, 12)
    return Call(lambda: floods.look(cast.event.pk, timezone.now()))


@audited(floods.end_quiet_floods, "flood.ended@system")
def see_a_flood_end(cast):
    _near_identical(cast, 12)
    floods.look(cast.event.pk, timezone.now())
    return Call(lambda: floods.end_quiet_floods(timezone.now() + timedelta(hours=1)))


@audited(triage.mark_junk, "case.marked_junk", "case.marked_junk", "case.marked_junk")
def mark_a_group_as_junk(cast):
    _near_identical(cast)
    now = timezone.now()
    group = triage.groups(cast.event, keyed(cast.lead), up_to=now)[0]
    return Call(
        lambda: triage.mark_junk(cast.event, group.key, up_to=now, by=keyed(cast.lead)),
        cast.lead,
    )


@audited(triage.not_junk, "case.not_junk")
def put_a_case_back_from_the_junk(cast):
    cases = _near_identical(cast)
    now = timezone.now()
    group = triage.groups(cast.event, keyed(cast.lead), up_to=now)[0]
    triage.mark_junk(cast.event, group.key, up_to=now, by=keyed(cast.lead))
    return Call(lambda: triage.not_junk(fresh(cases[0]), by=keyed(cast.lead)), cast.lead)
