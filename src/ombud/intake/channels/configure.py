"""An event's reporting channels, as its organisers set them up: the public address or
number in the clear, what Ombud needs to use it sealed (``intake.channels.config``).

A secret is written once and never shown again; left empty when the channel is
edited, the sealed one stays. A text gateway's shared secret is made here and shown
once. The audit entry says that a channel changed, never what its secrets are.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from ombud.audit import services as audit
from ombud.intake.channels import config
from ombud.intake.models import InboundMessage, IntakeChannel

# The secrets each provider keeps, by the name they are sealed under.
SECRETS = {
    IntakeChannel.Provider.LISTENER: (),
    IntakeChannel.Provider.IMAP: ("imap_url",),
    IntakeChannel.Provider.TWILIO: ("account_sid", "auth_token"),
    IntakeChannel.Provider.GATEWAY: ("secret",),
}
PROVIDERS = {
    IntakeChannel.Kind.MAIL: (IntakeChannel.Provider.LISTENER, IntakeChannel.Provider.IMAP),
    IntakeChannel.Kind.SMS: (IntakeChannel.Provider.TWILIO, IntakeChannel.Provider.GATEWAY),
    IntakeChannel.Kind.VOICE: (IntakeChannel.Provider.TWILIO,),
}


def stored_secrets(channel: IntakeChannel) -> dict:
    """The secrets sealed on the saved row (bound to its stored address), or none."""
    if channel.pk is None:
        return {}
    return config.opened(IntakeChannel.objects.get(pk=channel.pk))


def missing_secrets(channel: IntakeChannel, given: dict) -> list[str]:
    """The provider's secrets neither given now nor sealed before (a gateway's is made)."""
    kept = stored_secrets(channel)
    return [
        name
        for name in SECRETS[channel.provider]
        if name != "secret" and not given.get(name) and not kept.get(name)
    ]


@dataclass(frozen=True)
class Saved:
    channel: IntakeChannel
    # A gateway's new shared secret, to show once; empty otherwise.
    new_secret: str = ""


def save_channel(
    channel: IntakeChannel, given: dict, *, by, new_gateway_secret: bool = False
) -> Saved:
    """Add or change one of an event's reporting channels. ``given``: the secrets typed
    now; an empty one keeps what was sealed before."""
    kept = stored_secrets(channel)
    sealed = {**kept, **{name: value for name, value in given.items() if value}}
    made = ""
    if channel.provider == IntakeChannel.Provider.GATEWAY and (
        new_gateway_secret or not sealed.get("secret")
    ):
        made = sealed["secret"] = secrets.token_urlsafe(32)
    # Only what this provider uses: a switch of provider leaves no stale secret behind.
    sealed = {name: sealed[name] for name in SECRETS[channel.provider] if name in sealed}
    config.seal(channel, sealed)
    with transaction.atomic():
        channel.save()
        audit.record(by, "event.channel_changed", channel, event_id=channel.event_id)
    return Saved(channel, made)


TURNED_AWAY_DAYS = 14


def turned_away(event, *, days: int = TURNED_AWAY_DAYS, now=None) -> list[dict]:
    """What the event's channels did not file, by channel and reason, over the last days:
    counts only, no content and no sender."""
    since = (now or timezone.now()) - timedelta(days=days)
    rows = (
        InboundMessage.objects.filter(
            event=event, outcome=InboundMessage.Outcome.REFUSED, received_at__gte=since
        )
        .values("channel", "reason")
        .annotate(count=Count("pk"))
        .order_by("channel", "reason")
    )
    channels = {c.pk: c for c in IntakeChannel.objects.filter(event=event)}
    reasons = dict(InboundMessage.Reason.choices)
    found: dict = {}
    for row in rows:
        channel = channels.get(row["channel"])
        entry = found.setdefault(row["channel"], {"channel": channel, "reasons": [], "total": 0})
        entry["reasons"].append((reasons.get(row["reason"], row["reason"]), row["count"]))
        entry["total"] += row["count"]
    return list(found.values())
