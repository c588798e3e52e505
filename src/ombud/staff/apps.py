from django.apps import AppConfig
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save


class StaffConfig(AppConfig):
    name = "ombud.staff"
    label = "staff"

    def ready(self):
        from ombud.staff import signals  # noqa: PLC0415 -- models load after apps

        # The roster version is a data invariant (intake re-checks it), kept by
        # receivers whatever path changed the roster. What a change does to
        # access to cases is not a receiver: staff.services calls it explicitly.
        for model in (self.get_model("Membership"), self.get_model("DutyShift")):
            post_save.connect(signals.roster_changed, sender=model)
            post_delete.connect(signals.roster_changed, sender=model)
        post_save.connect(signals.person_changed, sender=get_user_model())
        from ombud.vault.models import PersonalKey  # noqa: PLC0415

        # A new public key changes whom intake can seal reports to.
        post_save.connect(signals.key_changed, sender=PersonalKey)
        post_delete.connect(signals.key_changed, sender=PersonalKey)
