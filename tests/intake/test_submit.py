import pytest
from django.db import connection

from ombud.audit.models import Entry
from ombud.cases.models import Case, Recusal, Report, Status, TimelineEntry
from ombud.intake.services import submit_report
from ombud.notify.models import OutboxMessage
from ombud.staff import services as staff_services
from ombud.staff.models import Role
from ombud.vault import receipts
from ombud.vault.models import KeyWrap
from tests import factories

pytestmark = pytest.mark.django_db


def _alerted(case=None):
    return set(OutboxMessage.objects.values_list("recipient__username", flat=True))


def test_submit_report_commits_case_report_keys_timeline_audit_and_alerts(cast):
    submission = factories.file_report(cast.event, what_happened="He grabbed my arm.")
    report = submission.report
    case = report.case
    assert case.status == Status.NEW
    assert case.code_name.count("-") == 1
    assert Report.objects.get().pk == report.pk
    wraps = set(
        KeyWrap.objects.filter(keyring=case.pk).values_list("recipient_kind", "recipient_ref")
    )
    readers = {str(u.pk) for u in (cast.lead, cast.lead2, cast.responder, cast.responder_off)}
    # Per-person mode: sealed to every acknowledged responder and lead, and the receipt.
    assert wraps == {("person", ref) for ref in readers} | {("receipt", str(report.pk))}
    kinds = list(TimelineEntry.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == ["report_received", "alert_queued"]
    assert Entry.objects.filter(action="report.created", object_id=str(report.pk)).exists()
    assert OutboxMessage.objects.count() >= 1


def test_in_server_mode_a_case_is_wrapped_to_the_server_key_and_the_receipt(cast):
    factories.server_mode(cast.event)
    report = factories.file_report(cast.event).report
    kinds = set(
        KeyWrap.objects.filter(keyring=report.case_id).values_list("recipient_kind", flat=True)
    )
    assert kinds == {"server", "receipt"}


def test_receipt_is_140_bits_and_only_its_keyed_digest_is_stored(cast):
    submission = factories.file_report(cast.event)
    assert len(submission.receipt) == receipts.LENGTH
    assert len(receipts.ALPHABET) ** receipts.LENGTH >= 2**140
    report = Report.objects.get()
    assert report.receipt_digest == receipts.digest(submission.receipt)
    assert submission.receipt not in report.receipt_digest


def test_report_text_is_not_stored_in_the_clear(cast):
    factories.file_report(cast.event, what_happened="PLAINTEXT-SENTINEL-1", who="Mallory M")
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed FROM cases_report")
        (sealed,) = cursor.fetchone()
    assert b"PLAINTEXT-SENTINEL-1" not in bytes(sealed)
    assert b"Mallory" not in bytes(sealed)


def test_leads_and_on_duty_responders_are_alerted_but_not_off_duty_or_unacknowledged(cast):
    factories.file_report(cast.event)
    assert _alerted() == {"lead", "lead2", "responder"}


def test_urgent_report_alerts_every_acknowledged_staff_member_on_duty(cast):
    factories.file_report(cast.event, danger_now=True)
    assert _alerted() == {"lead", "lead2", "responder", "staffer", "desker"}
    assert set(OutboxMessage.objects.values_list("kind", flat=True)) == {"urgent_report"}
    assert Case.objects.get().urgent


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("who", "Rita Responder"),
        ("who", "responder, Rita"),
        ("what_happened", "It was RESPONDER RITA at the party"),
        ("what_happened", "the person with badge B-77 shouted"),
        ("others_involved", "@responder saw it"),
        ("who", "responder"),
        ("circumstances", "Rïta Rëspönder was there"),
        ("what_happened", "mail responder@example.org about it"),
    ],
)
def test_staff_named_in_the_report_are_recused_before_any_alert(cast, field, text):
    submission = factories.file_report(cast.event, **{field: text})
    assert "responder" not in _alerted()
    assert factories.recused(submission.report.case) == {"responder"}


def test_a_bare_username_outside_the_naming_fields_is_an_ordinary_word(cast):
    factories.file_report(cast.event, what_happened="the lead singer was rude")
    assert not Recusal.objects.exists()
    assert "lead" in _alerted()


@pytest.mark.parametrize(
    "text", ["we met at 12", "B-77 is a room", "Rita was kind", "Lena helped me"]
)
def test_short_badges_and_lone_first_names_count_only_where_people_are_named(cast, text):
    cast.memberships["responder"].badge_number = "12"
    cast.memberships["responder"].save(update_fields=["badge_number"])
    factories.file_report(cast.event, what_happened=text)
    assert not Recusal.objects.exists()
    submission = factories.file_report(cast.event, who="12")
    assert factories.recused(submission.report.case) == {"responder"}


@pytest.mark.parametrize(
    "who", ["Rita J. Responder", "Rita-Jane Responder", "RITA RESPONDER", "Responder Rita"]
)
def test_full_names_match_with_middle_names_hyphens_and_any_case(cast, who):
    person = cast.responder
    person.first_name = "Rita Jane" if "Jane" in who else "Rita"
    person.save()
    submission = factories.file_report(cast.event, who=who)
    assert "responder" in factories.recused(submission.report.case)
    assert "lead" in _alerted()


def test_staff_excluded_by_the_reporter_are_recused(cast):
    submission = factories.file_report(
        cast.event, exclude_staff=["LEAD"], exclude_others="Lou Second"
    )
    assert factories.recused(submission.report.case) == {"lead", "lead2"}
    assert _alerted() == {"responder"}


def test_when_everyone_is_recused_the_organisation_fallback_contact_is_alerted(cast):
    cast.event.organisation.fallback_contact_email = "fallback@example.org"
    cast.event.organisation.save()
    factories.file_report(cast.event, exclude_staff=["lead", "lead2", "responder"])
    assert list(OutboxMessage.objects.values_list("address", flat=True)) == ["fallback@example.org"]


def test_staff_of_another_event_are_never_alerted(cast):
    factories.file_report(cast.event, danger_now=True)
    assert "outsider" not in _alerted()


def test_the_same_form_sent_twice_files_one_report_and_returns_the_same_receipt(cast):
    data = factories.report_input(what_happened="Sent on bad wifi")
    first = submit_report(cast.event, data, submission_key="k" * 32)
    again = submit_report(cast.event, data, submission_key="k" * 32)
    assert again.repeated
    assert again.receipt == first.receipt
    assert again.report.pk == first.report.pk
    assert Report.objects.count() == 1
    assert OutboxMessage.objects.count() == 3


def test_same_key_with_edited_content_files_the_edited_report(cast):
    submit_report(cast.event, factories.report_input(what_happened="one"), submission_key="k" * 32)
    edited = submit_report(
        cast.event, factories.report_input(what_happened="two"), submission_key="k" * 32
    )
    assert not edited.repeated
    assert Report.objects.count() == 2


def test_staff_assisted_report_records_channel_and_taker(cast):
    submission = factories.file_report(cast.event, channel="in_person", taken_by=cast.staff)
    report = Report.objects.get(pk=submission.report.pk)
    assert (report.channel, report.taken_by) == ("in_person", cast.staff)
    entry = Entry.objects.get(action="report.created")
    assert (entry.actor_kind, entry.actor_id) == ("user", str(cast.staff.pk))


def test_new_staff_member_named_in_an_earlier_report_is_recused_on_joining(cast):
    factories.server_mode(cast.event)  # the server reads, so it re-checks at once
    submission = factories.file_report(cast.event, who="Nina Newcomer")
    newcomer = factories.user("newcomer", "Nina", "Newcomer")
    factories.member(cast.event, newcomer, Role.RESPONDER)
    assert "newcomer" in factories.recused(submission.report.case)


def test_a_person_the_reporter_excluded_by_username_is_kept_away_when_they_join_later(cast):
    factories.server_mode(cast.event)  # the server reads, so it re-checks at once
    submission = factories.file_report(cast.event, exclude_staff=["latecomer"])
    latecomer = factories.user("latecomer", "Lara", "Late")
    factories.member(cast.event, latecomer, Role.RESPONDER)
    assert "latecomer" in factories.recused(submission.report.case)


def test_badge_given_later_to_a_member_named_by_badge_recuses_them(cast):
    factories.server_mode(cast.event)  # the server reads, so it re-checks at once
    submission = factories.file_report(cast.event, who="badge Z-999")
    staff_services.change_member(cast.memberships["lead2"], by=cast.admin, badge_number="Z-999")
    assert "lead2" in factories.recused(submission.report.case)


def test_recusals_store_no_user_id_in_the_clear(cast):
    factories.file_report(cast.event, who="Rita Responder")
    row = Recusal.objects.get()
    assert str(cast.responder.pk) != row.user_tag
    assert not hasattr(row, "user_id")


def test_nobody_to_alert_is_said_plainly_and_logged(cast, caplog):
    submission = factories.file_report(cast.event, exclude_staff=["lead", "lead2", "responder"])
    assert submission.alerted == 0
    assert "nobody could be alerted" in caplog.text


def test_after_a_day_a_resent_form_is_a_new_report_and_the_box_is_gone(cast):
    from datetime import timedelta  # noqa: PLC0415

    from django.utils import timezone  # noqa: PLC0415

    from ombud.intake.services import RESEND_WINDOW, forget_resend_boxes  # noqa: PLC0415

    data = factories.report_input(what_happened="sent twice, a day apart")
    first = submit_report(cast.event, data, submission_key="k" * 32)
    Report.objects.update(received_at=timezone.now() - RESEND_WINDOW - timedelta(minutes=1))
    again = submit_report(cast.event, data, submission_key="k" * 32)
    assert not again.repeated
    assert again.receipt != first.receipt
    stale = Report.objects.get(pk=first.report.pk)
    assert (stale.resend_box, stale.submission_digest) == (None, None)
    # Housekeeping forgets the boxes nobody came back for.
    submit_report(cast.event, factories.report_input(), submission_key="m" * 32)
    Report.objects.update(received_at=timezone.now() - RESEND_WINDOW - timedelta(minutes=1))
    assert forget_resend_boxes(timezone.now()) == 2
    assert not Report.objects.filter(resend_box__isnull=False).exists()


def test_a_code_name_already_taken_in_the_event_is_passed_over_in_the_same_transaction(
    cast, monkeypatch
):
    taken = factories.file_report(cast.event).report.case.code_name
    names = iter([taken, taken, "fresh-name"])
    monkeypatch.setattr("ombud.intake.services.new_code_name", lambda **_: next(names))
    roster_checks = []

    def count(execute, sql, *args):
        if sql.startswith("SELECT 1 FROM"):
            roster_checks.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(count):
        filed = factories.file_report(cast.event)
    assert filed.report.case.code_name == "fresh-name"
    assert Case.objects.filter(event=cast.event, code_name=taken).count() == 1
    # One attempt: the roster was checked once, so the transaction was not started again.
    assert len(roster_checks) == 1
