from django.apps import AppConfig
from django.db.models.signals import post_save


class CasesConfig(AppConfig):
    name = "ombud.cases"
    label = "cases"

    def ready(self):
        from ombud.staff.models import Membership  # noqa: PLC0415 -- models load after apps

        post_save.connect(_recuse_new_member, sender=Membership, dispatch_uid="recuse-new-member")


def _recuse_new_member(sender, instance, created, update_fields=None, raw=False, **kwargs):
    # Any path that adds someone to a roster, or changes their badge, checks
    # them against the event's cases before they can open any of them.
    if raw:
        return
    if created or update_fields is None or "badge_number" in update_fields:
        from ombud.cases.services.recusal import rescan_for_member  # noqa: PLC0415

        rescan_for_member(instance)
