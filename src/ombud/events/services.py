"""Organisation and event set-up use cases for organiser admins, each audited."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ombud.audit import services as audit
from ombud.cases.services import categories, grants, keytrust
from ombud.events.models import TRANSLATED_TEXTS, Event, EventText, Organisation, OrganiserAdmin
from ombud.notify import services as notify
from ombud.notify.models import OutboxMessage
from ombud.vault import personal, trust
from ombud.vault.errors import VaultError


def organisations_managed_by(user):
    if not user.is_authenticated:
        return OrganiserAdmin.objects.none()
    return OrganiserAdmin.objects.filter(user=user).values_list("organisation_id", flat=True)


def events_managed_by(user):
    return Event.objects.filter(organisation_id__in=organisations_managed_by(user)).select_related(
        "organisation"
    )


def _changed(before, after) -> list[str]:
    return [
        field.attname
        for field in type(after)._meta.concrete_fields
        if getattr(before, field.attname) != getattr(after, field.attname)
    ]


@transaction.atomic
def save_organisation(organisation: Organisation, *, by) -> Organisation:
    """Save the organisation's settings as edited (a form's instance)."""
    before = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changed = _changed(before, organisation)
    if changed:
        organisation.full_clean()
        organisation.save(update_fields=changed)
        audit.record(by, "organisation.settings_changed", organisation)
    return organisation


@transaction.atomic
def save_event_texts(event: Event, language: str, texts: dict, *, by) -> EventText:
    """The event's own texts in one of its other languages (the default language's are
    the event's settings)."""
    if language == event.default_language or language not in event.offered_languages():
        raise ValueError("not one of the event's other languages")
    found, _created = EventText.objects.select_for_update().get_or_create(
        event=event, language=language
    )
    values = {name: texts.get(name, "") for name in TRANSLATED_TEXTS}
    if any(getattr(found, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(found, name, value)
        found.save()
        audit.record(by, "event.texts_changed", found, event_id=event.pk)
    return found


@transaction.atomic
def save_event(event: Event, *, by) -> Event:
    """Create an event, or save its settings as edited (a form's instance).

    A changed code of conduct or guide must be acknowledged again; a new vault
    mode means the cases need sealing to people's keys.
    """
    if event.pk is None:
        event.full_clean()
        event.save()
        # Every event starts with the usual kinds of incident; its organisers adapt them.
        categories.add_defaults(event)
        audit.record(by, "event.created", event, event_id=event.pk)
        return event
    before = Event.objects.select_for_update().get(pk=event.pk)
    changed_coc = (before.code_of_conduct_text, before.code_of_conduct_url) != (
        event.code_of_conduct_text,
        event.code_of_conduct_url,
    )
    changed_guide = before.handling_guide != event.handling_guide
    changed_policy = changed_coc or changed_guide
    # Counters come from the locked row, never from the edited copy: a page opened
    # before someone joined the staff must not turn the roster version back.
    event.code_of_conduct_version = before.code_of_conduct_version + int(changed_coc)
    event.handling_guide_version = before.handling_guide_version + int(changed_guide)
    # Everyone's acknowledgement lapses, or the cases need sealing to people's keys:
    # the roster as intake and the grants see it changed.
    event.roster_version = before.roster_version + int(
        changed_policy or before.vault_mode != event.vault_mode
    )
    if not _changed(before, event):
        return event
    event.full_clean()
    event.save()
    audit.record(by, "event.settings_changed", event, event_id=event.pk)
    if before.vault_mode != event.vault_mode:
        audit.record(by, "event.vault_mode_changed", event, event_id=event.pk)
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
        language=event.default_language,
    )


@transaction.atomic
def create_recovery_key(organisation: Organisation, *, by) -> str | None:
    """Make the organisation's recovery key. Ombud keeps its public half; the private
    half is returned, as text to print, this once. None if it already has one."""
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if locked.recovery_public_key:
        return None
    public, private = personal.new_key_pair()
    organisation.recovery_created_at = timezone.now()
    organisation.save(update_fields=["recovery_created_at"])
    audit.record(by, "recovery_key.created", organisation)
    _certify_recovery(organisation, public, by=by)
    return personal.recovery_text(private)


def _certify_recovery(organisation: Organisation, public: bytes, *, by) -> None:
    """The server has just seen this public half come from the printed private key:
    certify it, and the admin who holds the printed key vouches for it (vault.trust)."""
    organisation.recovery_public_key = public
    organisation.recovery_certificate = trust.certify(trust.recovery_binding(organisation))
    organisation.save(update_fields=["recovery_public_key", "recovery_certificate"])
    keytrust.endorse_recovery(organisation, by=by)


def use_recovery_key(organisation: Organisation, text: str, person, *, by) -> int:
    """With the printed recovery key, open the organisation's cases again for ``person``
    (after every lead lost their password); how many cases were opened.

    The use is recorded before anything is opened. Each case is then opened in its
    own transaction with its own audit entry (``grants.recover``), so a recovery of
    many cases never holds the write lock for long, and one cut short leaves a trace.
    Raises ``VaultError`` (its message for the person who typed the key) if the text
    is not this organisation's recovery key.
    """
    private = personal.recovery_from_text(text)
    public = personal.public_of(private)
    stored = trust.recovery_binding(organisation)
    wrong = _("That is not this organisation's recovery key.")
    if public != stored.public and trust.certified(stored, organisation.recovery_certificate):
        raise VaultError(wrong)
    # A stored key that fails its certificate (someone wrote another one in, or the key
    # file is new) does not lock the real one out: the printed key proves itself by
    # opening the cases sealed to it, and is then stored and certified again.
    with transaction.atomic():
        audit.record(by, "recovery_key.used", organisation)
    opened = grants.recover(organisation, private, person, by=by)
    if public != stored.public and not opened:
        raise VaultError(wrong)
    if public != stored.public or not trust.certified(stored, organisation.recovery_certificate):
        with transaction.atomic():
            _certify_recovery(organisation, public, by=by)
            audit.record(by, "recovery_key.confirmed", organisation)
    else:
        # The admin holds the printed key: they vouch for it, if they had not yet (a
        # key made before endorsements existed is vouched for this way).
        keytrust.endorse_recovery(organisation, by=by)
    return opened


def other_ways(event) -> list:
    """The event's enabled reporting address, text number and hotline (intake.channels),
    for its public page, its printables and the API."""
    return list(event.intake_channels.filter(enabled=True).order_by("kind", "address"))
