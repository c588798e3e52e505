"""A staff member's own alert channels: adding one, choosing the primary, pausing,
testing and removing - each in its own transaction with its audit entry.

The channel belongs to the person acting (``by``): the page finds channels only
among their own. Entries carry no event: a channel serves every event.
"""

from django.db import transaction

from ombud.audit import services as audit
from ombud.notify import services as notify
from ombud.notify.channels import config as channel_config
from ombud.notify.models import AlertChannel, OutboxMessage


@transaction.atomic
def add_channel(*, by, kind: str, label: str, config: dict, is_primary: bool) -> AlertChannel:
    """``label`` is what may be shown; ``config`` (where it points) is sealed."""
    if is_primary:
        AlertChannel.objects.filter(user=by).update(is_primary=False)
    channel = AlertChannel.objects.create(
        user=by,
        kind=kind,
        label=label,
        sealed_config=channel_config.seal(by.pk, kind, config),
        is_primary=is_primary,
    )
    audit.record(by, "channel.added", channel)
    return channel


@transaction.atomic
def make_primary(channel: AlertChannel, *, by) -> None:
    AlertChannel.objects.filter(user=by).update(is_primary=False)
    channel.is_primary = True
    channel.save(update_fields=["is_primary"])
    audit.record(by, "channel.made_primary", channel)


@transaction.atomic
def set_enabled(channel: AlertChannel, enabled: bool, *, by) -> None:
    channel.enabled = enabled
    channel.save(update_fields=["enabled"])
    audit.record(by, "channel.enabled" if enabled else "channel.disabled", channel)


@transaction.atomic
def remove_channel(channel: AlertChannel, *, by) -> None:
    audit.record(by, "channel.removed", channel)
    channel.delete()


@transaction.atomic
def send_test(channel: AlertChannel, *, by) -> None:
    """Queue a test alert through the channel; the worker delivers it within seconds."""
    address = ""
    if channel.kind == AlertChannel.Kind.EMAIL:
        address = channel_config.open_config(channel)["target"]
    notify.queue(
        OutboxMessage.Kind.CHANNEL_TEST,
        [(by.pk, address, channel.pk)],
        event_name="Ombud",
        path="/staff/channels/",
    )
    audit.record(by, "channel.test_sent", channel)
