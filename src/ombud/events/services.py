"""Event set-up use cases for organiser admins."""

from django.db import transaction
from django.urls import reverse

from ombud.events.models import Event, OrganiserAdmin
from ombud.notify import services as notify
from ombud.notify.models import OutboxMessage


def organisations_managed_by(user):
    if not user.is_authenticated:
        return OrganiserAdmin.objects.none()
    return OrganiserAdmin.objects.filter(user=user).values_list("organisation_id", flat=True)


def events_managed_by(user):
    return Event.objects.filter(organisation_id__in=organisations_managed_by(user)).select_related(
        "organisation"
    )


@transaction.atomic
def save_event(event: Event) -> Event:
    """Save settings; a changed code of conduct or guide must be acknowledged again."""
    if event.pk:
        before = Event.objects.select_for_update().get(pk=event.pk)
        if (before.code_of_conduct_text, before.code_of_conduct_url) != (
            event.code_of_conduct_text,
            event.code_of_conduct_url,
        ):
            event.code_of_conduct_version = before.code_of_conduct_version + 1
        if before.handling_guide != event.handling_guide:
            event.handling_guide_version = before.handling_guide_version + 1
        if (event.code_of_conduct_version, event.handling_guide_version) != (
            before.code_of_conduct_version,
            before.handling_guide_version,
        ) or before.vault_mode != event.vault_mode:
            # Everyone's acknowledgement lapses, or the cases need sealing to people's
            # keys: the roster as intake and the grants see it changed.
            event.roster_version = before.roster_version + 1
    changed_policy = event.pk and (
        (event.code_of_conduct_version, event.handling_guide_version)
        != (before.code_of_conduct_version, before.handling_guide_version)
    )
    event.full_clean()
    event.save()
    if changed_policy:
        _ask_to_acknowledge_again(event)
    return event


def _ask_to_acknowledge_again(event) -> None:
    from ombud.staff.models import Membership  # noqa: PLC0415 -- staff builds on events

    people = Membership.objects.active().filter(event=event).exclude(user__email="")
    notify.queue(
        OutboxMessage.Kind.POLICY_CHANGED,
        [(user_id, email) for user_id, email in people.values_list("user_id", "user__email")],
        event_name=event.name,
        path=reverse("staff:acknowledge", args=[event.slug]),
    )
