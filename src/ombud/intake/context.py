"""What every page about one event's reports shows of the event."""

from django.utils import translation


def event_context(event) -> dict:
    return {
        "event": event,
        "event_zone": event.zone,
        "texts": event.texts_in(translation.get_language()),
    }
