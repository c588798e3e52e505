"""SMS through any gateway that takes this request (provider-neutral):

    POST $OMBUD_SMS_GATEWAY_URL
    Authorization: Bearer $OMBUD_SMS_GATEWAY_TOKEN
    Idempotency-Key: <alert id, the same on every retry>
    {"id": "<alert id>", "to": "+15550100", "text": "Ombud: ... https://..."}

Any 2xx means the gateway accepted it. A small adapter in front of a
provider's own API (Twilio, Vonage, a GSM modem) is a few lines.
"""

from django.conf import settings

from ombud.notify.channels import http
from ombud.notify.channels.text import one_line


def post_text(session, message_id, to: str, text: str, **more) -> None:
    """The gateway request for one text (alerts to staff, and messages to reporters from
    the event's own number, ``more={"from": ...}``)."""
    if not settings.SMS_GATEWAY_URL:
        raise http.DeliveryFailed("no SMS gateway is configured (OMBUD_SMS_GATEWAY_URL)")
    http.post(
        session,
        "POST",
        settings.SMS_GATEWAY_URL,
        json={"id": str(message_id), **more, "to": to, "text": text},
        headers={
            "Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}",
            "Idempotency-Key": str(message_id),
        },
    )


def send(session, message, config: dict, kind: str) -> None:
    post_text(session, message.id, config["target"], one_line(message))
