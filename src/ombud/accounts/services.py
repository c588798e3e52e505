"""Account use cases: inviting staff and sending password links, through the outbox."""

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from ombud.notify import services as notify
from ombud.notify.models import OutboxMessage


def password_link_path(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("accounts:set_password", args=[uid, token])


@transaction.atomic
def send_password_link(user, *, kind=OutboxMessage.Kind.PASSWORD_LINK, event_name="Ombud") -> None:
    if not user.email or not user.is_active:
        return
    notify.queue(
        kind, [(user.pk, user.email)], event_name=event_name, path=password_link_path(user)
    )
