"""Certifying what the database holds as it is, under the key file in use now.

For one moment only: after a key file was lost and a new one made (every
certificate made under the old one fails, so nobody could sign in and no case
could be sealed to anyone). The operator vouches for the database as it stands -
check the roster first - exactly as the upgrade to certificates did. Personal
keys are certified again by their holders' next sign-in anyway.
"""

from django.apps import apps
from django.db import transaction

from ombud.audit import services as audit
from ombud.audit.services import Actor
from ombud.vault import trust
from ombud.vault.models import PersonalKey


@transaction.atomic
def as_found() -> dict:
    """Certify every password hash, roster row, organiser admin, personal key and
    recovery key as the database has it; how many of each."""
    counted = {}
    user_model = apps.get_model("accounts", "User")
    for user in user_model.objects.all():
        user.certify_password()
        user.save(update_fields=["password_certificate"])
    counted["passwords"] = user_model.objects.count()
    for label, name in (("staff", "Membership"), ("events", "OrganiserAdmin")):
        rows = apps.get_model(label, name).objects.all()
        for row in rows:
            row.save(update_fields=["certificate"])  # their save() certifies them
        counted[name] = rows.count()
    for key in PersonalKey.objects.all():
        key.certificate = trust.certify(trust.person_binding(key))
        key.save(update_fields=["certificate"])
    counted["PersonalKey"] = PersonalKey.objects.count()
    organisations = apps.get_model("events", "Organisation").objects.exclude(
        recovery_public_key=None
    )
    for organisation in organisations:
        binding = trust.recovery_binding(organisation)
        organisation.recovery_certificate = trust.certify(binding)
        organisation.save(update_fields=["recovery_certificate"])
    counted["recovery keys"] = organisations.count()
    audit.record(Actor.system(), "keys.recertified", None)
    return counted
