from datetime import timedelta

from django.apps import AppConfig
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save, pre_save

# What a report can name a person by: a change to any of these re-checks them.
_PERSON_IDENTITY = ("username", "first_name", "last_name", "email")
_MEMBER_IDENTITY = ("badge_number",)


class CasesConfig(AppConfig):
    name = "ombud.cases"
    label = "cases"

    def ready(self):
        from ombud.cases.services import alerts, escalation, promises  # noqa: PLC0415
        from ombud.notify import worker  # noqa: PLC0415
        from ombud.staff.models import Membership  # noqa: PLC0415

        if alerts.unwanted not in worker.unwanted_checks:
            worker.unwanted_checks.append(alerts.unwanted)
        worker.register(escalation.escalate_due, timedelta(0))
        worker.register(promises.remind_due, timedelta(minutes=5))
        person = get_user_model()
        for model, fields in ((Membership, _MEMBER_IDENTITY), (person, _PERSON_IDENTITY)):
            pre_save.connect(
                _remember_identity(fields),
                sender=model,
                weak=False,
                dispatch_uid=f"identity-before-{model.__name__}",
            )
        post_save.connect(_recheck_member, sender=Membership, dispatch_uid="recheck-member")
        post_save.connect(_recheck_person, sender=person, dispatch_uid="recheck-person")
        post_delete.connect(_member_left, sender=Membership, dispatch_uid="member-left")
        from ombud.events.models import Event  # noqa: PLC0415

        post_save.connect(_event_created, sender=Event, dispatch_uid="event-categories")


def _remember_identity(fields):
    def remember(sender, instance, raw=False, **kwargs):
        if raw or instance.pk is None:
            instance._identity_before = None
            return
        instance._identity_before = (
            sender.objects.filter(pk=instance.pk).values_list(*fields).first()
        )

    return remember


def _identity_changed(instance, fields) -> bool:
    before = getattr(instance, "_identity_before", None)
    return before is None or before != tuple(getattr(instance, f) for f in fields)


def _recheck_member(sender, instance, created, raw=False, **kwargs):
    # Whoever joins a roster, or gets a new badge, is checked against the event's
    # cases before they can open any of them (the same transaction). In the
    # per-person mode the server cannot read: their access goes, and whoever
    # grants it next checks them first (services.grants).
    if raw:
        return
    from ombud.cases.services import grants  # noqa: PLC0415
    from ombud.cases.services.recusal import rescan_for_member  # noqa: PLC0415
    from ombud.staff.models import CASE_ROLES  # noqa: PLC0415

    changed = created or _identity_changed(instance, _MEMBER_IDENTITY)
    if instance.event.vault_mode == "personal" and (
        changed or not instance.active or instance.role not in CASE_ROLES
    ):
        grants.revoke(instance.user_id, instance.event)
    if changed:
        rescan_for_member(instance)


def _event_created(sender, instance, created, raw=False, **kwargs):
    # Every event starts with the usual kinds of incident; its organisers adapt them.
    if created and not raw:
        from ombud.cases.services import categories  # noqa: PLC0415

        categories.add_defaults(instance)


def _member_left(sender, instance, **kwargs):
    from ombud.cases.services import grants  # noqa: PLC0415

    grants.revoke(instance.user_id, instance.event)


def _recheck_person(sender, instance, created, raw=False, **kwargs):
    # A new name or e-mail may be one a report already names.
    if raw or created or not _identity_changed(instance, _PERSON_IDENTITY):
        return
    from ombud.cases.services import grants  # noqa: PLC0415
    from ombud.cases.services.recusal import rescan_for_member  # noqa: PLC0415
    from ombud.staff.models import Membership  # noqa: PLC0415

    for membership in Membership.objects.filter(user=instance).select_related("user", "event"):
        if membership.event.vault_mode == "personal":
            grants.revoke(instance.pk, membership.event)
        rescan_for_member(membership)
