import pytest

from ombud.audit.models import Entry
from ombud.cases.models import Message
from ombud.cases.services import work
from ombud.notify.models import OutboxMessage
from ombud.vault import receipts
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed(cast):
    return factories.file_report(cast.event, what_happened="Original account", contact="me@x.org")


def test_receipt_page_asks_for_the_receipt_without_putting_it_in_the_url(client, db):
    response = client.get("/receipt/")
    assert response.status_code == 200
    assert 'method="post"' in response.content.decode()


def test_the_reporter_sees_status_and_staff_messages_but_not_internal_notes(client, cast, filed):
    case = factories.declared(filed.report.case, cast.lead)
    work.acknowledge(case, by=cast.lead, expected_version=case.version)
    lead = factories.holding_key(cast.lead)
    work.message_reporter(case, "We are on it, are you safe?", by=lead)
    work.add_note(case, "INTERNAL-ONLY note", by=lead)
    response = client.post("/receipt/", {"receipt": receipts.display(filed.receipt)})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Acknowledged" in html
    assert "We are on it, are you safe?" in html
    assert "INTERNAL-ONLY" not in html
    assert "Original account" in html
    assert Entry.objects.filter(action="report.read_by_reporter").count() == 1


def test_receipt_typed_loosely_still_works(client, filed):
    typed = " ".join(filed.receipt[i : i + 4] for i in range(0, 28, 4)).lower()
    typed = typed.replace("0", "o").replace("1", "l")
    assert client.post("/receipt/", {"receipt": typed}).status_code == 200


def test_the_reporter_adds_information_and_the_team_is_alerted(client, cast, filed):
    OutboxMessage.objects.all().delete()
    response = client.post(
        "/receipt/", {"receipt": filed.receipt, "action": "add", "text": "He also took photos."}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Added. The response team has been told." in html
    assert "He also took photos." in html
    message = Message.objects.get()
    assert message.direction == Message.Direction.FROM_REPORTER
    assert b"photos" not in bytes(message.sealed)
    assert set(OutboxMessage.objects.values_list("kind", flat=True)) == {"reporter_added"}
    assert set(OutboxMessage.objects.values_list("recipient__username", flat=True)) == {
        "lead",
        "lead2",
        "responder",
    }


def test_added_information_naming_staff_recuses_them_before_the_alert(client, cast, filed):
    OutboxMessage.objects.all().delete()
    client.post(
        "/receipt/", {"receipt": filed.receipt, "action": "add", "text": "Lou Second was there."}
    )
    assert factories.recused(filed.report.case) == {"lead2"}
    assert "lead2" not in set(OutboxMessage.objects.values_list("recipient__username", flat=True))


def test_empty_addition_is_a_form_error_and_adds_nothing(client, filed):
    response = client.post("/receipt/", {"receipt": filed.receipt, "action": "add", "text": " "})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Message.objects.exists()


@pytest.mark.parametrize("receipt", ["", "not-a-receipt", "A" * 28, "x" * 81])
def test_unknown_or_malformed_receipts_get_a_clear_message(client, filed, receipt):
    response = client.post("/receipt/", {"receipt": receipt, "action": "add", "text": "forged"})
    assert response.status_code in {400, 404}
    assert not Message.objects.exists()
    if response.status_code == 404:
        assert "could not find a report with this receipt" in response.content.decode()


def test_a_bare_username_in_an_addition_recuses_too(client, cast, filed):
    client.post("/receipt/", {"receipt": filed.receipt, "action": "add", "text": "responder"})
    assert factories.recused(filed.report.case) == {"responder"}


def test_receipt_guessing_is_slowed_but_a_valid_receipt_always_opens(client, filed, settings):
    settings.RATE_LIMITS = True
    for _ in range(100):
        assert client.post("/receipt/", {"receipt": "B" * 28}).status_code == 404
    slowed = client.post("/receipt/", {"receipt": "C" * 28})
    assert slowed.status_code == 429
    assert "try again in a few minutes" in slowed.content.decode()
    assert client.post("/receipt/", {"receipt": filed.receipt}).status_code == 200
