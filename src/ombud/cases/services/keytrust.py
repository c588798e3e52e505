"""The team's keys in practice (the checks themselves are ``vault.trust``).

- **Alarms.** A key that fails its certificate, or an endorsement whose
  signature is false, is never used; the event's incident leads (and for a
  recovery key the organisation's admins) are alerted once per key, content
  free, and the audit log says so (``key.rejected``).
- **Vouching.** Whoever adds someone to a response team, or confirms their key
  on the dashboard, signs it (``endorse``). In each person's own session their
  key signs back the keys that vouched for them, and every key it already
  reaches (``vouch_in_session``): the team's signatures grow into a web that a
  single changed key - a password reset - does not break.
"""

import logging
from datetime import timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ombud.audit import services as audit
from ombud.audit.services import Actor
from ombud.cases import rules
from ombud.events.models import Event, OrganiserAdmin
from ombud.notify import services as notify
from ombud.notify.models import OutboxMessage
from ombud.staff.models import CASE_ROLES, Membership, Role
from ombud.staff.queries import memberships_of
from ombud.staff.signals import bump_roster
from ombud.vault import personal, trust
from ombud.vault import services as vault
from ombud.vault.models import KeyAlarm, KeyEndorsement, PersonalKey

log = logging.getLogger(__name__)

ALERT_EVERY = timedelta(hours=1)
# Fingerprints this process has raised an alarm about: intake asks the database once.
_alarmed: set = set()


def raise_alarms(event, people, recovery_rejected=None) -> None:
    """Alarms for the keys of ``people`` (roster members) and the recovery key that
    failed their certificates; inside the caller's transaction."""
    for person in people:
        if person.key_rejected:
            alarm(trust.PERSON, person.user_id, person.key_rejected, event=event)
        if person.membership_rejected:
            alarm("membership", person.membership_id, person.membership_rejected, event=event)
    if recovery_rejected is not None:
        alarm(trust.RECOVERY, recovery_rejected.ref, recovery_rejected.fingerprint, event=event)


def recovery_recipient(organisation):
    """``(recipient, rejected)``: the organisation's recovery key as a recipient if its
    certificate vouches for it; else None, and the binding that failed (if any)."""
    if not organisation.recovery_public_key:
        return None, None
    binding = trust.recovery_binding(organisation)
    if not trust.certified(binding, organisation.recovery_certificate):
        return None, binding
    recipient = vault.RecoveryRecipient(organisation.pk, public_key=binding.public)
    return recipient, None


@transaction.atomic
def alarm(kind: str, ref, fingerprint: str, *, event=None, organisation=None) -> bool:
    """Raise the alarm about a key (its binding's fingerprint) that failed a check, once
    per key (part of the caller's transaction when there is one). True when this call
    raised it."""
    if fingerprint in _alarmed:
        return False
    try:
        with transaction.atomic():
            raised = KeyAlarm.objects.create(
                key=fingerprint,
                subject_kind=kind,
                subject_ref=str(ref),
                event_id=event.pk if event else None,
                raised_at=timezone.now(),
            )
    except IntegrityError:
        _alarmed.add(fingerprint)  # raised before, and committed
        return False
    organisation = organisation or (event.organisation if event else None)
    audit.record(Actor.system(), "key.rejected", raised, event_id=event.pk if event else None)
    # One alert an hour per event is enough to send people to look (a lost key file
    # fails every key at once); each key still has its alarm and its audit entry.
    recent = KeyAlarm.objects.filter(
        event_id=raised.event_id, raised_at__gte=raised.raised_at - ALERT_EVERY
    ).exclude(pk=raised.pk)
    if organisation is not None and not recent.exists():
        notify.queue(
            OutboxMessage.Kind.KEY_REJECTED,
            notify.reach(_alarm_recipients(organisation, event), every_channel=True),
            event_name=event.name if event else organisation.name,
            path=reverse("cases:dashboard"),
            language=event.default_language if event else "",
        )
    log.error("a %s key failed its check and was not used (alarm %s)", kind, raised.pk)
    # Remembered once it is committed: a rolled-back alarm is raised again.
    transaction.on_commit(lambda: _alarmed.add(fingerprint))
    return True


def _alarm_recipients(organisation, event) -> dict:
    leads = Membership.objects.acknowledged().filter(role=Role.LEAD)
    leads = leads.filter(event=event) if event else leads.filter(event__organisation=organisation)
    people = {m.user_id: m.user.email for m in leads.select_related("user")}
    for admin in OrganiserAdmin.objects.filter(organisation=organisation).select_related("user"):
        people[admin.user_id] = admin.user.email
    return people


def endorse(subject, *, by) -> KeyEndorsement | None:
    """``by`` (holding their private key) vouches for ``subject``'s current key. Nothing
    when the subject has no certified key yet, or ``by`` has no key unlocked."""
    private = getattr(by, "vault_private", b"")
    key = PersonalKey.objects.filter(user=subject).first()
    if not private or key is None:
        return None
    binding = trust.person_binding(key)
    if not trust.certified(binding, key.certificate):
        return None
    with transaction.atomic():
        made = _sign(by, private, binding)
        if made is not None:
            bump_roster(Membership.objects.filter(user=subject).values_list("event_id", flat=True))
    return made


def endorse_recovery(organisation, *, by) -> KeyEndorsement | None:
    """The organiser admin who made (or confirmed) the recovery key vouches for it."""
    private = getattr(by, "vault_private", b"")
    recipient, _rejected = recovery_recipient(organisation)
    if not private or recipient is None:
        return None
    with transaction.atomic():
        return _sign(by, private, trust.recovery_binding(organisation))


@transaction.atomic
def _sign(signer, private: bytes, binding: trust.Binding) -> KeyEndorsement | None:
    own = trust.own_binding(signer.pk, private)
    try:
        with transaction.atomic():
            made = KeyEndorsement.objects.create(
                signer=signer,
                signer_key=own.fingerprint,
                subject_kind=binding.kind,
                subject_ref=binding.ref,
                subject_key=binding.fingerprint,
                signature=trust.sign(private, binding),
                created_at=timezone.now(),
            )
    except IntegrityError:
        return None  # vouched for already
    audit.record(signer, "key.endorsed", made)
    return made


def vouch_in_session(holder) -> trust.TrustedKeys | None:
    """In the holder's own session: sign back whoever vouched for their key (the first
    time they see them: trust on first use), and sign every key their key already
    reaches, then return what it reaches. None without an unlocked key."""
    private = getattr(holder, "vault_private", b"")
    if not private:
        return None
    own = trust.own_binding(holder.pk, private)
    signed = set(
        KeyEndorsement.objects.filter(signer_key=own.fingerprint).values_list(
            "subject_ref", "subject_key"
        )
    )

    def sign_once(binding) -> None:
        if binding.ref != own.ref and (binding.ref, binding.fingerprint) not in signed:
            _sign(holder, private, binding)
            signed.add((binding.ref, binding.fingerprint))

    if not signed:
        # This key's first work: it signs back the keys that vouched for it (trust on
        # first use) - only true signatures, by incident leads of events its holder is
        # on or organiser admins of those events, as Ombud wrote them onto the roster.
        for binding in _vouchers_of(holder, own):
            sign_once(binding)
    # Then every key this one reaches now: signing them adds no trust, only paths that
    # outlast someone else's new key.
    trusted = trust.trusted_by(holder.pk, private)
    for binding in list(trusted.people.values()):
        sign_once(binding)
    for binding in trusted.tampered:
        alarm(binding.kind, binding.ref, binding.fingerprint, organisation=_organisation_of(holder))
    return trusted


def _vouchers_of(holder, own: trust.Binding) -> list:
    endorsements = KeyEndorsement.objects.filter(
        subject_kind=trust.PERSON, subject_ref=own.ref, subject_key=own.fingerprint
    )
    found = []
    for endorsement in endorsements:
        key = PersonalKey.objects.filter(user_id=endorsement.signer_id).first()
        if key is None:
            continue
        signer = trust.person_binding(key)
        if (
            trust.certified(signer, key.certificate)
            and signer.fingerprint == endorsement.signer_key
            and personal.signature_valid(
                signer.signing_public, bytes(endorsement.signature), own.message()
            )
            and _may_vouch_for(endorsement.signer_id, holder)
        ):
            found.append(signer)
    return found


def _may_vouch_for(signer_id, holder) -> bool:
    """A lead of an event the holder is on, or an organiser admin of its organisation,
    by rows Ombud wrote (their certificates hold)."""
    events = Membership.objects.filter(user=holder).values("event")
    leads = Membership.objects.filter(user_id=signer_id, role=Role.LEAD, event__in=events)
    admins = OrganiserAdmin.objects.filter(
        user_id=signer_id, organisation__events__in=events
    ).distinct()
    return any(m.is_certified and m.is_acknowledged for m in leads) or any(
        a.is_certified for a in admins
    )


def _organisation_of(user):
    membership = Membership.objects.filter(user=user).select_related("event__organisation").first()
    if membership is not None:
        return membership.event.organisation
    admin = OrganiserAdmin.objects.filter(user=user).select_related("organisation").first()
    return admin.organisation if admin is not None else None


def _confirmable_events(viewer, memberships, managed) -> list[tuple[int, int]]:
    """(id, roster version) of the events whose case workers' keys the viewer may confirm
    (``rules.may_confirm_keys``): those they lead and their organisations' events."""
    if memberships is None:
        memberships = memberships_of(viewer)
    if managed is None:
        managed = Event.objects.filter(organisation__admins__user=viewer).values_list(
            "pk", "roster_version"
        )
    found = {
        m.event_id: m.event.roster_version
        for m in memberships
        if m.user_id == viewer.pk and rules.leads(m)
    }
    found.update(managed)
    return sorted(found.items())


def keys_to_confirm(viewer, *, memberships=None, managed=None) -> list:
    """Case workers of the events the viewer may confirm keys for (as a lead or an
    organiser admin) whose current key the viewer's own key does not reach yet:
    (membership, the fingerprint to compare with them). Kept per viewer until a roster
    of those events changes (an endorsement changes it too). A page that has the
    viewer's ``memberships`` (``memberships_of``) and the (id, roster version) of the
    events they ``managed`` as an organiser admin passes them: no query then."""
    if not getattr(viewer, "vault_private", b""):
        return []
    events = _confirmable_events(viewer, memberships, managed)
    if not events:
        return []
    stamp = tuple(events)  # sorted already
    cache_key = f"ombud:keys-to-confirm:{viewer.pk}"
    cached = cache.get(cache_key)
    if cached is None or cached[0] != stamp:
        cached = (stamp, _unconfirmed(viewer, [pk for pk, _version in events]))
        cache.set(cache_key, cached, timeout=24 * 3600)
    if not cached[1]:
        return []  # the usual answer: no query for the memberships
    found = {
        m.pk: m
        for m in Membership.objects.filter(pk__in=[pk for pk, _f in cached[1]]).select_related(
            "user", "event"
        )
    }
    return [(found[pk], shown) for pk, shown in cached[1] if pk in found]


def _unconfirmed(viewer, event_ids) -> list:
    trusted = vouch_in_session(viewer)
    memberships = (
        Membership.objects.acknowledged()
        .case_workers()
        .filter(event_id__in=event_ids, user__personal_key__isnull=False)
        .exclude(user=viewer)
        .select_related("user__personal_key")
        .order_by("user__first_name", "user__last_name", "pk")
    )
    found, seen = [], set()
    for membership in memberships:
        key = membership.user.personal_key
        binding = trust.person_binding(key)
        if membership.user_id in seen or not trust.certified(binding, key.certificate):
            continue
        if not membership.is_certified:
            continue  # a row Ombud did not write: an alarm, never a key to confirm
        if not trusted.trusts_binding(binding):
            found.append((membership.pk, binding.shown()))
            seen.add(membership.user_id)
    return found


def confirm(subject, shown: str, *, by) -> KeyEndorsement | None:
    """The viewer compared the fingerprint ``shown`` to them with the person's own, and
    confirms their key. None if the key changed since, or the viewer may not."""
    key = PersonalKey.objects.filter(user=subject).first()
    if key is None or trust.person_binding(key).shown() != shown:
        return None  # not the key they compared: nothing is confirmed
    if not any(
        rules.may_confirm_keys(by, m.event)
        for m in Membership.objects.filter(user=subject, role__in=CASE_ROLES)
    ):
        return None
    return endorse(subject, by=by)
