"""A reporter withdraws their report through the receipt: told first what it does,
then the content is crypto-shredded, the leads are told without content, and the
receipt says "withdrawn" and nothing else. A decision already taken stays."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ombud.audit.models import Entry
from ombud.cases.models import Case, Report
from ombud.decisions.models import BanEntry, BanIdentifier
from ombud.decisions.services import banlist
from ombud.notify.models import OutboxMessage
from ombud.notify.services import render_email
from ombud.records.services import expiry, purge, withdrawal
from ombud.vault.models import KeyWrap
from tests import factories
from tests.records.helpers import CANARY, decided, keyed

pytestmark = pytest.mark.django_db

FOLLOWUP = "/receipt/"
WITHDRAW = "/receipt/withdraw/"


def _filed(cast):
    submission = factories.file_report(cast.event, what_happened=f"{CANARY} at the party")
    return submission.report.case, submission.receipt


def test_the_follow_up_page_offers_withdrawal_and_explains_it_first(cast, client):
    case, receipt = _filed(cast)
    page = client.post(FOLLOWUP, {"receipt": receipt})
    assert page.status_code == 200
    assert reverse("withdrawal:withdraw") in page.text
    explained = client.post(WITHDRAW, {"receipt": receipt})
    assert explained.status_code == 200
    assert "destroyed now" in explained.text
    assert "What the team may keep" in explained.text
    case.refresh_from_db()
    assert case.expunged_at is None  # nothing done before the confirmation
    unconfirmed = client.post(WITHDRAW, {"receipt": receipt, "confirm_step": "1"})
    assert unconfirmed.status_code == 400
    assert "Tick the box" in unconfirmed.text
    case.refresh_from_db()
    assert case.expunged_at is None


def test_withdrawing_shreds_the_case_tells_the_leads_and_the_receipt_says_only_withdrawn(
    cast, client
):
    case, receipt = _filed(cast)
    done = client.post(WITHDRAW, {"receipt": receipt, "confirm_step": "1", "confirm": "on"})
    assert done.status_code == 200
    assert "Withdrawn." in done.text
    case.refresh_from_db()
    assert (case.expunge_rule, case.status) == (expiry.WITHDRAWN, "closed")
    assert case.closed_at is not None
    assert not KeyWrap.objects.filter(keyring=case.pk).exists()
    assert bytes(Report.objects.get(case=case).sealed) == b""
    alerts = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.REPORT_WITHDRAWN)
    assert {a.recipient_id for a in alerts} >= {cast.lead.pk, cast.lead2.pk}
    assert cast.responder.pk not in {a.recipient_id for a in alerts}
    mail = render_email(alerts.first())
    assert case.code_name not in mail.body
    assert CANARY not in mail.body
    assert "withdrew" in mail.subject
    assert Entry.objects.filter(action="report.withdrawn", actor_kind="reporter").count() == 1
    again = client.post(FOLLOWUP, {"receipt": receipt, "action": "add", "text": "more"})
    assert again.status_code == 200
    assert "Withdrawn." in again.text
    assert CANARY not in again.text
    assert "Messages" not in again.text


def test_a_ban_already_decided_stays_in_force_after_withdrawal_until_its_retention(cast):
    keyed(cast)
    submission = factories.file_report(cast.event, what_happened=f"{CANARY} at the party")
    case = submission.report.case
    from ombud.cases.services import work  # noqa: PLC0415

    work.change_status(case, "acknowledged", by=cast.lead, expected_version=case.version)
    case.refresh_from_db()
    factories.declared(case, cast.lead, cast.lead2, cast.responder, cast.responder_off)
    ends = timezone.localdate() + timedelta(days=30)
    decided(
        cast,
        case,
        "ban",
        ban_until=ends,
        identity={"name": "Quentin Quorn", "badge": "", "email": ""},
    )
    assert withdrawal.decision_stays(case)
    withdrawal.withdraw(submission.receipt)
    case.refresh_from_db()
    assert case.expunge_rule == expiry.WITHDRAWN
    assert banlist.is_banned(cast.event, "Quentin Quorn")  # the decision stays in force
    assert BanEntry.objects.filter(decision__case=case).exists()
    # After the ban ends it no longer matches; its digests go when the retention passes.
    after_ban = ends + timedelta(days=1)
    assert not banlist.is_banned(cast.event, "Quentin Quorn", today=after_ban)
    assert purge.withdrawn_due(timezone.now()) == []
    later = timezone.now() + timedelta(days=30 + 31 * 13)
    assert [c.pk for c in purge.withdrawn_due(later)] == [case.pk]
    purge.finish_withdrawn(case, now=later)
    assert not BanIdentifier.objects.filter(entry__decision__case=case).exists()
    assert withdrawal.withdrawn_event(submission.receipt) is None  # receipt forgotten


def test_withdrawal_through_the_api(cast, client):
    case, receipt = _filed(cast)
    assert client.post("/api/v1/receipt/withdrawal").status_code == 401
    unknown = client.post("/api/v1/receipt/withdrawal", HTTP_X_RECEIPT="AAAA-BBBB")
    assert unknown.status_code == 404
    done = client.post("/api/v1/receipt/withdrawal", HTTP_X_RECEIPT=receipt)
    assert done.status_code == 200
    assert done.json()["status"] == "withdrawn"
    case.refresh_from_db()
    assert case.expunge_rule == expiry.WITHDRAWN
    view = client.get("/api/v1/receipt", HTTP_X_RECEIPT=receipt)
    assert view.status_code == 410
    assert view.json()["code"] == "withdrawn"
    assert CANARY not in view.text
    entries = Entry.objects.count()
    again = client.post("/api/v1/receipt/withdrawal", HTTP_X_RECEIPT=receipt)
    assert again.status_code == 200  # sent again: the same answer, nothing more done
    assert Entry.objects.count() == entries


def test_an_open_case_with_a_pending_alert_is_closed_and_its_alerts_cancelled(cast):
    case, receipt = _filed(cast)
    assert OutboxMessage.objects.filter(subject_id=case.pk).exists()
    withdrawal.withdraw(receipt)
    assert not OutboxMessage.objects.filter(subject_id=case.pk).exists()
    assert Case.objects.get(pk=case.pk).status == "closed"
