"""The one way every channel files a report or adds to the reporter's case
(intake.channels.inbound): idempotent by the provider's id, sealed to the case's
inbox when the receiver cannot open the case, recusal before alerting."""

import pytest

from ombud.cases.models import Channel, Message, Recusal, Report
from ombud.cases.services import reporter, work
from ombud.intake.channels import inbound
from ombud.intake.models import InboundMessage, IntakeChannel
from ombud.notify.models import OutboxMessage
from ombud.vault import services as vault
from ombud.vault.errors import VaultError
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def texts(cast):
    return IntakeChannel.objects.create(
        event=cast.event,
        kind=IntakeChannel.Kind.SMS,
        provider=IntakeChannel.Provider.GATEWAY,
        address="+4930555000",
    )


def _arrival(channel, source="SM1", text="INBOUNDCANARY someone followed me", sender="+49 151 000"):
    return inbound.Arrival(channel=channel, source_id=source, sender=sender, text=text)


def test_a_first_text_files_a_sealed_report_with_the_sender_as_contact(cast, texts):
    received = inbound.receive(_arrival(texts), channel_value=Channel.SMS)
    assert received.outcome == InboundMessage.Outcome.FILED
    report = received.report
    assert report.channel == Channel.SMS
    assert b"INBOUNDCANARY" not in bytes(report.sealed)
    assert report.contact_digest == inbound.contact_digest("sms", "+49151000")
    view = reporter.view(received.receipt)
    assert view.content["what_happened"] == "INBOUNDCANARY someone followed me"
    assert view.content["contact"] == "+49 151 000"
    assert OutboxMessage.objects.filter(subject_id=report.case_id).exists()  # alerted


def test_the_same_delivery_twice_files_one_report(cast, texts):
    first = inbound.receive(_arrival(texts), channel_value=Channel.SMS)
    again = inbound.receive(_arrival(texts), channel_value=Channel.SMS)
    assert again.repeated
    assert again.report == first.report
    assert not again.receipt
    assert Report.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_a_later_text_joins_the_case_sealed_to_its_inbox_and_recuses_who_it_names(cast, texts):
    first = inbound.receive(_arrival(texts), channel_value=Channel.SMS)
    case = first.report.case
    later = inbound.receive(
        _arrival(texts, "SM2", "LATERCANARY and Lou Second saw it"), channel_value=Channel.SMS
    )
    assert later.outcome == InboundMessage.Outcome.ADDED
    assert later.report == first.report
    message = Message.objects.get(case=case)
    assert message.via_inbox
    assert b"LATERCANARY" not in bytes(message.sealed)
    # Nobody holding only the server key opens it (per-person mode) ...
    with pytest.raises(VaultError):
        vault.open_as_server(case.pk)
    # ... the reporter reads it behind the receipt, the team on the case page.
    assert [m.text for m in reporter.view(first.receipt).thread] == [
        "LATERCANARY and Lou Second saw it"
    ]
    assert "lead2" in factories.recused(case)
    assert Recusal.objects.get(case=case).via_inbox
    factories.declared(case, cast.lead)
    opened = work.open_case(case, by=factories.holding_key(cast.lead))
    assert [m.text for m in opened.messages] == ["LATERCANARY and Lou Second saw it"]
    assert cast.lead2.pk in {r.user.pk for r in opened.recusals}


def test_another_number_opens_its_own_report(cast, texts):
    first = inbound.receive(_arrival(texts), channel_value=Channel.SMS)
    other = inbound.receive(_arrival(texts, "SM3", sender="+44 20 0000"), channel_value=Channel.SMS)
    assert other.outcome == InboundMessage.Outcome.FILED
    assert other.report.case_id != first.report.case_id


def test_an_empty_message_is_counted_not_filed(cast, texts):
    received = inbound.receive(_arrival(texts, text="  "), channel_value=Channel.SMS)
    assert received.outcome == InboundMessage.Outcome.REFUSED
    assert received.reason == InboundMessage.Reason.EMPTY
    assert not Report.objects.exists()
