from ombud.notify.services import SUBJECTS


def one_line(message) -> str:
    """The whole alert for chat and SMS: constant subject, event, link."""
    context = message.context
    return f"{SUBJECTS[message.kind]} ({context.get('event_name', '')}): {context.get('url', '')}"
