import pytest

from ombud.intake.models import IntakeChannel
from tests.intake.mail.messages import REPORTING


@pytest.fixture
def reporting(cast):
    """The event's reporting address, at Ombud's listener."""
    event = cast.event
    event.languages = "en,de"
    event.save(update_fields=["languages"])
    return IntakeChannel.objects.create(
        event=event,
        kind=IntakeChannel.Kind.MAIL,
        provider=IntakeChannel.Provider.LISTENER,
        address=REPORTING,
    )
