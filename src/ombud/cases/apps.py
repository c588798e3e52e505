from django.apps import AppConfig
from django.contrib.auth import get_user_model
from django.db.models.signals import post_save


class CasesConfig(AppConfig):
    name = "ombud.cases"
    label = "cases"

    def ready(self):
        from ombud.staff.models import Membership  # noqa: PLC0415 -- models load after apps

        post_save.connect(_recuse_new_member, sender=Membership, dispatch_uid="recuse-new-member")
        post_save.connect(
            _recuse_renamed_person, sender=get_user_model(), dispatch_uid="recuse-renamed-person"
        )


def _recuse_new_member(sender, instance, created, update_fields=None, raw=False, **kwargs):
    # Any path that adds someone to a roster, or changes their badge, checks
    # them against the event's cases before they can open any of them.
    if raw:
        return
    if created or update_fields is None or "badge_number" in update_fields:
        from ombud.cases.services.recusal import rescan_for_member  # noqa: PLC0415

        rescan_for_member(instance)


def _recuse_renamed_person(sender, instance, created, update_fields=None, raw=False, **kwargs):
    # A new name or e-mail may be one a report already names.
    identity = {"first_name", "last_name", "email", "username"}
    if raw or created or (update_fields is not None and not identity & set(update_fields)):
        return
    from ombud.cases.services.recusal import rescan_for_member  # noqa: PLC0415
    from ombud.staff.models import Membership  # noqa: PLC0415

    for membership in Membership.objects.filter(user=instance).select_related("user", "event"):
        rescan_for_member(membership)
