"""A database writer cannot redirect sealing (vault.trust).

Each test plays someone who can write the database - a stolen database password,
an SQL injection, a careless backup restore - and puts a public key of their own
where Ombud would seal case keys: a responder's key, the organisation's recovery
key, an endorsement. With the key file too they can forge certificates; then only
the endorsements, signed with keys people hold, stand between them and the cases.
"""

import io

import pytest
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.core.management import call_command
from django.db.models import F

from ombud.audit.models import Entry
from ombud.cases.services import grants, keytrust
from ombud.notify.models import OutboxMessage
from ombud.staff import roster
from ombud.staff.models import Membership, Role
from ombud.vault import keys, personal, trust
from ombud.vault import services as vault
from ombud.vault.errors import VaultError
from ombud.vault.models import KeyAlarm, KeyEndorsement, KeyWrap, PersonalKey, RecipientKind
from tests import factories

pytestmark = pytest.mark.django_db


def _sealed_to(case) -> set[str]:
    return set(
        KeyWrap.objects.filter(keyring=case.pk).values_list("recipient_kind", "recipient_ref")
    )


def _attacker_opens(case, private) -> bool:
    """Whether a private key of the attacker's opens any wrap of the case."""
    for wrap in KeyWrap.objects.filter(keyring=case.pk):
        for recipient in (
            vault.PersonRecipient(int(wrap.recipient_ref), private_key=private)
            if wrap.recipient_kind == RecipientKind.PERSON
            else None,
            vault.RecoveryRecipient(int(wrap.recipient_ref), private_key=private)
            if wrap.recipient_kind == RecipientKind.RECOVERY
            else None,
        ):
            if recipient is None:
                continue
            try:
                vault.open_keyring(case.pk, recipient)
            except VaultError:
                continue  # this wrap is not the attacker's
            return True
    return False


def _swap_responder_key(cast, *, forge_certificate=False) -> bytes:
    """Write the attacker's public key into the responder's key row; return its private."""
    public, private = personal.new_key_pair()
    key = PersonalKey.objects.get(user=cast.responder)
    fields = {"public_key": public, "signing_public": personal.signing_public_of(private)}
    if forge_certificate:  # only with the key file
        binding = trust.Binding(
            trust.PERSON, str(cast.responder.pk), public, fields["signing_public"]
        )
        fields["certificate"] = trust.certify(binding)
    PersonalKey.objects.filter(pk=key.pk).update(**fields)  # no signals: a raw write
    cache.clear()
    roster._cache.clear()
    return private


def test_a_swapped_responder_key_is_never_sealed_to_and_the_leads_are_alerted(cast):
    private = _swap_responder_key(cast)
    case = factories.file_report(cast.event, what_happened="after the swap").report.case
    assert ("person", str(cast.responder.pk)) not in _sealed_to(case)
    assert ("person", str(cast.lead.pk)) in _sealed_to(case)  # the others still get it
    assert not _attacker_opens(case, private)
    alarm = KeyAlarm.objects.get()
    assert (alarm.subject_kind, alarm.subject_ref) == ("person", str(cast.responder.pk))
    assert Entry.objects.filter(action="key.rejected", object_id=str(alarm.pk)).exists()
    warned = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.KEY_REJECTED)
    assert {m.recipient_id for m in warned} >= {cast.lead.pk, cast.lead2.pk, cast.admin.pk}
    # Once per key, however many reports come in.
    factories.file_report(cast.event, what_happened="and again")
    assert KeyAlarm.objects.count() == 1
    assert warned.count() == len({m.pk for m in warned})


def test_a_grant_never_goes_to_a_swapped_key(cast):
    case = factories.file_report(cast.event).report.case
    KeyWrap.objects.filter(recipient_ref=str(cast.responder.pk)).delete()  # as if new
    private = _swap_responder_key(cast)
    grants.grant_pending(factories.holding_key(cast.lead))
    assert ("person", str(cast.responder.pk)) not in _sealed_to(case)
    assert not _attacker_opens(case, private)


def test_with_the_key_file_a_forged_certificate_still_gets_no_grant(cast):
    """Intake trusts the certificate (it has no one's key to ask); a grant is made in a
    holder's session, and their key reaches only keys people vouched for."""
    case = factories.file_report(cast.event).report.case
    KeyWrap.objects.filter(recipient_ref=str(cast.responder.pk)).delete()
    private = _swap_responder_key(cast, forge_certificate=True)
    # Even an endorsement written in the lead's name, with a signature of the attacker's.
    forged = trust.Binding(
        trust.PERSON,
        str(cast.responder.pk),
        personal.public_of(private),
        personal.signing_public_of(private),
    )
    lead_key = trust.person_binding(PersonalKey.objects.get(user=cast.lead))
    KeyEndorsement.objects.create(
        signer=cast.lead,
        signer_key=lead_key.fingerprint,
        subject_kind="person",
        subject_ref=str(cast.responder.pk),
        subject_key=forged.fingerprint,
        signature=trust.sign(private, forged),
        created_at=case.created_at,
    )
    assert grants.grant_pending(factories.holding_key(cast.lead2)) == 0
    assert ("person", str(cast.responder.pk)) not in _sealed_to(case)
    assert not _attacker_opens(case, private)
    # The false signature in the lead's name is noticed and raises the alarm.
    assert KeyAlarm.objects.filter(subject_ref=str(cast.responder.pk)).exists()


def test_a_swapped_recovery_key_is_never_sealed_to(cast):
    organisation = cast.event.organisation
    factories.recovery_key(organisation, by=cast.admin)
    public, private = personal.new_key_pair()
    type(organisation).objects.filter(pk=organisation.pk).update(recovery_public_key=public)
    case = factories.file_report(cast.event).report.case
    assert not any(kind == "recovery" for kind, _ref in _sealed_to(case))
    assert not _attacker_opens(case, private)
    assert KeyAlarm.objects.filter(subject_kind="recovery").exists()
    # Nor does a lead's next page view seal older cases to it.
    grants.grant_pending(factories.holding_key(cast.lead))
    assert not any(kind == "recovery" for kind, _ref in _sealed_to(case))


def test_a_genuine_recovery_key_is_sealed_to_at_intake_and_by_grants(cast):
    organisation = cast.event.organisation
    before = factories.file_report(cast.event).report.case
    factories.recovery_key(organisation, by=cast.admin)
    event = type(cast.event).objects.select_related("organisation").get(pk=cast.event.pk)
    after = factories.file_report(event).report.case
    assert ("recovery", str(organisation.pk)) in _sealed_to(after)
    grants.grant_pending(factories.holding_key(cast.lead))
    assert ("recovery", str(organisation.pk)) in _sealed_to(before)


def test_signing_in_puts_a_swapped_key_right(cast):
    _swap_responder_key(cast)
    factories.holding_key(cast.responder)  # their password opens their real key
    key = PersonalKey.objects.get(user=cast.responder)
    private = factories.holding_key(cast.responder).vault_private
    assert bytes(key.public_key) == personal.public_of(private)
    assert trust.certified(trust.person_binding(key), key.certificate)
    case = factories.file_report(cast.event).report.case
    assert ("person", str(cast.responder.pk)) in _sealed_to(case)


def test_a_new_key_file_keeps_reports_in_escrow_until_the_database_is_certified_again(
    cast, settings, tmp_path
):
    """After a lost key file is replaced, no certificate holds: nobody is sealed to and
    nobody signs in, until the operator certifies the database as found
    (`ombud keys recertify`); the escrowed reports then go to the team."""
    settings.VAULT_KEY_FILE = tmp_path / "new-keys.json"
    keys.create()
    try:
        case = factories.file_report(cast.event).report.case
        assert {kind for kind, _ref in _sealed_to(case)} == {"server", "receipt"}
        assert authenticate(username="lead", password=factories.PASSWORD) is None
        call_command("keys", "recertify", stdout=io.StringIO())
        assert authenticate(username="lead", password=factories.PASSWORD) == cast.lead
        cache.clear()
        roster._cache.clear()
        later = factories.file_report(cast.event).report.case
        assert ("person", str(cast.lead.pk)) in _sealed_to(later)
        grants.grant_pending(factories.holding_key(cast.lead))  # releases the escrow
        assert ("person", str(cast.lead.pk)) in _sealed_to(case)
        assert not any(kind == "server" for kind, _ref in _sealed_to(case))
    finally:
        keys.load.cache_clear()


def test_a_lead_confirms_a_new_key_on_the_dashboard_with_its_fingerprint(client, cast):
    late = factories.user("late", "Lara", "Late")
    factories.member(cast.event, late, Role.RESPONDER)
    factories.sign_in(client, cast.lead)
    page = client.get("/staff/").content.decode()
    assert "Keys to confirm" in page
    shown = trust.person_binding(PersonalKey.objects.get(user=late)).shown()
    assert shown in page
    membership = late.memberships.get()
    wrong = client.post(f"/staff/keys/{membership.pk}/confirm/", {"fingerprint": "ABCD"})
    assert wrong.status_code == 302
    assert not KeyEndorsement.objects.filter(subject_ref=str(late.pk)).exists()
    done = client.post(f"/staff/keys/{membership.pk}/confirm/", {"fingerprint": shown})
    assert done.status_code == 302
    assert KeyEndorsement.objects.filter(signer=cast.lead, subject_ref=str(late.pk)).exists()
    assert Entry.objects.filter(action="key.endorsed").exists()
    assert "Keys to confirm" not in client.get("/staff/").content.decode()
    # Their own page shows them the same fingerprint to compare.
    factories.sign_in(client, late)
    assert shown in client.get("/staff/security/").content.decode()


def test_only_leads_and_organiser_admins_confirm_keys(client, cast):
    late = factories.user("late", "Lara", "Late")
    membership = factories.member(cast.event, late, Role.RESPONDER)
    shown = trust.person_binding(PersonalKey.objects.get(user=late)).shown()
    for person in (cast.responder, cast.staff, cast.desk, cast.outsider):
        factories.sign_in(client, person)
        url = f"/staff/keys/{membership.pk}/confirm/"
        assert client.post(url, {"fingerprint": shown}).status_code == 404
    assert not KeyEndorsement.objects.filter(subject_ref=str(late.pk)).exists()
    assert keytrust.keys_to_confirm(factories.holding_key(cast.responder)) == []


def test_a_database_writer_with_an_account_cannot_vouch_their_way_in(cast):
    """An attacker with an account of their own (the desk: a real key, certified at
    sign-in) writes themselves onto the response team and an endorsement of a lead's
    key signed with their real key. No report is sealed to them, the lead's session
    signs nothing back, and no grant reaches them."""
    case = factories.file_report(cast.event).report.case
    attacker = factories.holding_key(cast.desk)
    lead = trust.person_binding(PersonalKey.objects.get(user=cast.lead))
    attacker_key = trust.own_binding(attacker.pk, attacker.vault_private)
    KeyEndorsement.objects.create(
        signer=attacker,
        signer_key=attacker_key.fingerprint,
        subject_kind="person",
        subject_ref=str(cast.lead.pk),
        subject_key=lead.fingerprint,
        signature=trust.sign(attacker.vault_private, lead),
        created_at=case.created_at,
    )
    # A bare UPDATE, as SQL would: the membership's certificate no longer holds.
    Membership.objects.filter(pk=cast.memberships["desk"].pk).update(role=Role.RESPONDER)
    type(cast.event).objects.filter(pk=cast.event.pk).update(roster_version=F("roster_version") + 1)
    cache.clear()
    roster._cache.clear()
    later = factories.file_report(cast.event).report.case
    assert ("person", str(attacker.pk)) not in _sealed_to(later)
    assert KeyAlarm.objects.filter(subject_kind="membership").exists()
    grants.grant_pending(factories.holding_key(cast.lead))
    assert not KeyEndorsement.objects.filter(signer=cast.lead, subject_ref=str(attacker.pk))
    assert ("person", str(attacker.pk)) not in _sealed_to(case)
    assert keytrust.keys_to_confirm(factories.holding_key(cast.lead)) == []


def test_a_damaged_row_does_not_take_the_dashboard_down(client, cast):
    """A wrap that does not open (damaged, or written by someone else) leaves that one
    case waiting; the holder's dashboard still works. Absurd key-derivation settings
    written into a key row are refused, not computed."""
    case = factories.file_report(cast.event).report.case
    KeyWrap.objects.filter(keyring=case.pk, recipient_ref=str(cast.lead.pk)).update(
        wrapped=b"not a box"
    )
    KeyWrap.objects.filter(keyring=case.pk, recipient_ref=str(cast.responder.pk)).delete()
    factories.sign_in(client, cast.lead)
    assert client.get("/staff/").status_code == 200
    key = PersonalKey.objects.get(user=cast.responder_off)
    with pytest.raises(personal.WrongPassword):
        personal.unwrap_private(
            personal.WrappedPrivateKey(
                bytes(key.wrapped_private), bytes(key.salt), {**key.kdf, "memory_cost": 2**40}
            ),
            factories.PASSWORD,
            context=b"any",
        )
