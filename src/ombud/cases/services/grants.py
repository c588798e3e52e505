"""Granting access in the per-person mode, by someone who already holds it.

A case is sealed, at intake, to the responders and leads who could read it
then. Someone who joins later, gets a key at their first sign-in, or lost
access by resetting their password, has no wrap yet. The next time a person
whose key opens the case is signed in (their dashboard or the case page), the
case is checked for them the way intake would have - named in the report, in
the reporter's additions or in the reporter's list of staff to keep away means
recused - and otherwise the case key is sealed to their public key.

A report that comes in while no case worker of the event has a key yet (a new
event whose leads have never signed in) is not lost: intake seals it to the
server key as well, in escrow. The first case worker to sign in afterwards
releases it - the case key is sealed to everyone who may read it, and the
server's wrap is deleted - so the server could read such a report only for
that window (docs/security.md).
"""

import logging

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q

from ombud.audit import services as audit
from ombud.cases.models import Case, Message, Recusal, Status
from ombud.cases.queries import cases_visible_to
from ombud.cases.services import keytrust, recusal
from ombud.cases.services.access import upkeep_key
from ombud.cases.services.recusal import tag_for
from ombud.events.models import Event, VaultMode
from ombud.staff import roster
from ombud.staff.queries import memberships_of
from ombud.vault import services as vault
from ombud.vault import trust
from ombud.vault.errors import VaultError
from ombud.vault.models import KeyWrap, PersonalKey, RecipientKind

BATCH = 25
log = logging.getLogger(__name__)


def _wanted(case, people, sealed_to: set[str], trusted) -> list:
    """Case workers who should be able to read the case but cannot yet, whose key the
    holder's own key vouches for (``vault.trust``)."""
    recused = recusal.recused_among(case, people)
    return [
        p
        for p in _eligible(case.event, people, trusted)
        if str(p.user_id) not in sealed_to and p.user_id not in recused
    ]


def _reasons(case, opened, people) -> dict:
    """Who of ``people`` the case's words name or the reporter kept away, read as intake
    would have (the report, the reporter's additions, their list of staff to exclude)."""
    texts = []
    for report in case.reports.all():
        content = recusal.report_content(report, opened)
        texts.append((content, content.get(recusal.EXCLUDED_STAFF, ())))
    for message in case.messages.filter(direction=Message.Direction.FROM_REPORTER):
        texts.append(
            (recusal.addition_as_naming(recusal.message_content(message, opened)["text"]), ())
        )
    reasons = {}
    for content, excluded in texts:
        reasons.update(recusal.reasons_among(people, content, excluded))
    return reasons


def _grant(case, opened, by, people, *, recovery=None) -> int:
    reasons = _reasons(case, opened, people)
    readers = [
        vault.PersonRecipient(p.user_id, public_key=p.public_key)
        for p in people
        if p.user_id not in reasons
    ]
    if recovery is not None:
        readers.append(recovery)
    try:
        with transaction.atomic():
            recusal.recuse(case, opened, reasons)
            for wrap in KeyWrap.objects.bulk_create(vault.wraps_for(opened, readers)):
                # The wrap names whom it is for: the audit says who opened what for whom.
                audit.record(by, "case.granted", wrap, event_id=case.event_id)
    except IntegrityError:
        # Someone else granted the same access at the same moment.
        return 0
    return len(readers)


def _eligible(event, people, trusted) -> list:
    return [p for p in people if p.holds_case_keys(event) and trusted.trusts_binding(p.key)]


def _recovery(organisation, trusted):
    """The recovery key as a recipient, when its certificate and an endorsement the
    holder's key reaches both vouch for it."""
    recipient, _rejected = keytrust.recovery_recipient(organisation)
    if recipient is None or not trusted.trusts_recovery(trust.recovery_binding(organisation)):
        return None
    return recipient


def _stamp(event) -> tuple:
    """What grants for an event depend on: its roster (people, keys, roles, recusal
    identities, vault mode) and whether the organisation has a recovery key."""
    return (event.roster_version, bool(event.organisation.recovery_public_key))


def _cache_key(holder) -> str:
    return f"ombud:grants-clean:{holder.pk}"


def _needing_grants(holder, event, limit: int, trusted) -> list:
    """Open cases of the event the holder reads where an eligible, non-recused case
    worker (or the organisation's recovery key) has no wrap yet: one query."""
    missing = Q()
    for person in _eligible(event, roster.for_event(event).members, trusted):
        wrapped = KeyWrap.objects.filter(
            keyring=OuterRef("pk"),
            recipient_kind=RecipientKind.PERSON,
            recipient_ref=str(person.user_id),
        )
        recused = Recusal.objects.filter(case=OuterRef("pk"), user_tag=tag_for(person.user_id))
        missing |= ~Exists(wrapped) & ~Exists(recused)
    if _recovery(event.organisation, trusted) is not None:
        recovery = KeyWrap.objects.filter(
            keyring=OuterRef("pk"), recipient_kind=RecipientKind.RECOVERY
        )
        missing |= ~Exists(recovery)
    if not missing:
        return []
    return list(
        cases_visible_to(holder)
        .exclude(status=Status.CLOSED)
        .filter(missing, event=event)
        .select_related("event__organisation")[:limit]
    )


def grant_pending(holder, *, memberships=None, limit: int = BATCH) -> int:
    """Grant what the holder's key can grant; bounded, so a page view stays quick.

    An event checked clean is not checked again until its roster or recovery key
    changes: intake seals new cases to everyone the roster allows, so nothing else
    makes a grant due (the check is per process cache; a miss only costs a query).
    The holder's clean events are one cache entry: with nothing due, a page view
    costs one query and one cache read, however many events they work - none when
    the page already has the holder's ``memberships`` (``memberships_of``).
    """
    if not getattr(holder, "vault_private", b""):
        return 0
    if memberships is None:
        memberships = memberships_of(holder)
    stamps = {
        m.event_id: _stamp(m.event)
        for m in memberships
        # (Whatever list a caller hands over: only the holder's own, on duty.)
        if m.user_id == holder.pk
        and m.active
        and m.is_acknowledged
        and m.works_cases
        and m.event.vault_mode == VaultMode.PERSONAL
    }
    clean = cache.get(_cache_key(holder)) or {}
    due_events = [pk for pk, stamp in stamps.items() if clean.get(pk) != stamp]
    if not due_events:
        return 0
    # Whom the holder's key vouches for, asked once, in their own session.
    trusted = keytrust.vouch_in_session(holder)
    granted = 0
    for event in Event.objects.filter(pk__in=due_events).select_related("organisation"):
        granted += release_escrow(holder, event=event, limit=limit, trusted=trusted)
        due = _needing_grants(holder, event, limit, trusted)
        failed = False
        for case in due:
            try:
                granted += _grant_missing(case, holder, trusted)
            except VaultError:
                # A wrap or sealed row that does not open (damaged, or written by someone
                # else): that case waits, the holder's page and the others do not.
                log.error("could not grant access to case %s: its key did not open", case.pk)
                failed = True
        if len(due) < limit and not failed:
            clean[event.pk] = _stamp(event)
    # Two pages at once may each write their own view: the loser's events are
    # checked again next time, which is all a lost entry costs.
    clean = {pk: stamp for pk, stamp in clean.items() if pk in stamps}
    cache.set(_cache_key(holder), clean, timeout=24 * 3600)
    return granted


def _grant_missing(case, holder, trusted) -> int:
    wraps = list(
        KeyWrap.objects.filter(
            keyring=case.pk, recipient_kind__in=[RecipientKind.PERSON, RecipientKind.RECOVERY]
        ).values_list("recipient_kind", "recipient_ref")
    )
    sealed = {ref for kind, ref in wraps if kind == RecipientKind.PERSON}
    people = _wanted(case, roster.for_event(case.event).members, sealed, trusted)
    # A recovery key made after the case was sealed gets its wrap too.
    recovery = None
    if not any(kind == RecipientKind.RECOVERY for kind, _ref in wraps):
        recovery = _recovery(case.event.organisation, trusted)
    if not people and recovery is None:
        return 0
    return _grant(case, upkeep_key(case, holder), holder, people, recovery=recovery)


def release_escrow(holder, *, event, trusted, limit: int = BATCH) -> int:
    """Seal the event's escrowed cases to their readers and take the server's wrap
    away. Run only for a case worker of the event signed in with a key of their own."""
    escrowed = KeyWrap.objects.filter(recipient_kind=RecipientKind.SERVER).values("keyring")
    cases = (
        Case.objects.filter(event=event, pk__in=escrowed)
        .select_related("event__organisation")
        .order_by("created_at")[:limit]
    )
    granted = 0
    for case in cases:
        people = _wanted(case, roster.for_event(case.event).members, set(), trusted)
        try:
            opened = vault.open_as_server(case.pk)
        except VaultError:
            continue
        granted += _grant(case, opened, holder, people)
        with transaction.atomic():
            sealed = KeyWrap.objects.filter(keyring=case.pk, recipient_kind=RecipientKind.PERSON)
            if sealed.exists():
                KeyWrap.objects.filter(
                    keyring=case.pk, recipient_kind=RecipientKind.SERVER
                ).delete()
                audit.record(holder, "case.escrow_released", case, event_id=case.event_id)
    return granted


def revoke(user_id, event, *, by) -> int:
    """Take someone's wraps for an event's cases away: they left, were demoted, or their
    name or badge changed (then whoever grants access next checks them again).

    Called by the roster change that causes it, inside its transaction: each revoked
    wrap gets its audit entry there."""
    wraps = KeyWrap.objects.filter(
        recipient_kind=RecipientKind.PERSON,
        recipient_ref=str(user_id),
        keyring__in=Case.objects.filter(event=event).values("pk"),
    )
    # Recorded against each case (the wrap is gone afterwards), so its access log shows it.
    revoked = list(Case.objects.filter(pk__in=wraps.values("keyring")))
    for case in revoked:
        audit.record(by, "case.access_revoked", case, event_id=event.pk)
    wraps.delete()
    return len(revoked)


def recover(organisation, recovery_private: bytes, person, *, by) -> int:
    """With the printed recovery key, open the organisation's per-person cases for
    ``person`` (a case worker of the event, not recused): after every lead lost
    their password. The server holds the recovery key for this request only.

    Checked as a grant would be: their key is certified, they hold case keys at the
    event (acknowledged, active, on the roster as Ombud wrote it), and neither the
    case's words nor its recusals keep them away. Once the printed key has opened a
    case for them, the admin who chose them (and compared the key's fingerprint shown
    beside their name) has vouched for it."""
    key = PersonalKey.objects.filter(user=person).first()
    binding = trust.person_binding(key) if key is not None else None
    if binding is None or not trust.certified(binding, key.certificate):
        raise VaultError(
            "That person has no key Ombud can vouch for yet: they should sign in once first."
        )
    opened_for = 0
    recovery = vault.RecoveryRecipient(organisation.pk, private_key=recovery_private)
    for case in Case.objects.filter(
        event__organisation=organisation, event__vault_mode=VaultMode.PERSONAL
    ).select_related("event"):
        people = roster.for_event(case.event).members
        member = next((p for p in people if p.user_id == person.pk), None)
        if member is None or not member.holds_case_keys(case.event):
            continue
        if person.pk in recusal.recused_among(case, people):
            continue
        try:
            opened = vault.open_keyring(case.pk, recovery)
        except VaultError:
            continue  # sealed before the recovery key existed, and never granted since
        named = _reasons(case, opened, [member])
        wrap = vault.wraps_for(
            opened, [vault.PersonRecipient(person.pk, public_key=binding.public)]
        )[0]
        with transaction.atomic():
            if named:
                recusal.recuse(case, opened, named)
                continue
            KeyWrap.objects.filter(
                keyring=case.pk, recipient_kind=RecipientKind.PERSON, recipient_ref=str(person.pk)
            ).delete()
            wrap.save()
            audit.record(by, "case.recovered", wrap, event_id=case.event_id)
        opened_for += 1
    if opened_for:
        keytrust.endorse(person, by=by)
    return opened_for
