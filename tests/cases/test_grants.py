"""Per-person keys: who can open a case, how access is granted, lost and restored.

In the per-person mode (the default) a case key is sealed at intake to the
public keys of the case workers who may read it. The server holds no key that
opens it; access for anyone else is granted by someone who holds it.
"""

import pytest

from ombud.cases.models import Case
from ombud.cases.queries import cases_visible_to
from ombud.cases.services import grants, reporter
from ombud.cases.services.access import upkeep_key
from ombud.events.forms import EventForm
from ombud.staff import services as staff_services
from ombud.staff.models import Membership, Role
from ombud.vault import people, personal
from ombud.vault import services as vault
from ombud.vault.errors import VaultError
from ombud.vault.models import KeyWrap, RecipientKind
from tests import factories

pytestmark = pytest.mark.django_db


def _case(cast, **fields):
    fields.setdefault("what_happened", "GRANTCANARY said things at the party.")
    return factories.file_report(cast.event, **fields).report.case


def _person_wraps(case) -> set[str]:
    return set(
        KeyWrap.objects.filter(keyring=case.pk, recipient_kind=RecipientKind.PERSON).values_list(
            "recipient_ref", flat=True
        )
    )


def _can_open(case, person) -> bool:
    holder = factories.holding_key(person)
    if not cases_visible_to(holder).filter(pk=case.pk).exists():
        return False
    upkeep_key(case, holder)  # raises when the key does not open it
    return True


def test_intake_seals_to_each_eligible_case_worker_and_not_to_the_server(cast):
    case = _case(cast, who="Lou Second")
    assert _person_wraps(case) == {
        str(cast.lead.pk),
        str(cast.responder.pk),
        str(cast.responder_off.pk),
    }
    assert not KeyWrap.objects.filter(keyring=case.pk, recipient_kind=RecipientKind.SERVER)
    with pytest.raises(VaultError):
        vault.open_as_server(case.pk)
    assert _can_open(case, cast.lead)
    assert not _can_open(case, cast.lead2)  # named in it


def test_a_late_joiner_gets_access_when_someone_holding_the_key_signs_in(cast):
    case = _case(cast)
    late = factories.user("late", "Lara", "Late")
    factories.member(cast.event, late, Role.RESPONDER)
    assert not _can_open(case, late)
    # Nobody has vouched for their key yet: nobody seals a case to it.
    assert grants.grant_pending(factories.holding_key(cast.lead)) == 0
    assert not _can_open(case, late)
    factories.vouched(late, by=cast.lead2)  # a lead confirmed it on the dashboard
    assert grants.grant_pending(factories.holding_key(cast.lead)) >= 1
    assert _can_open(case, late)


def test_a_late_joiner_named_in_the_report_is_recused_at_the_grant(cast):
    case = _case(cast, who="Nina Named was the one")
    named = factories.user("named", "Nina", "Named")
    factories.member(cast.event, named, Role.LEAD)
    factories.vouched(named, by=cast.admin)
    grants.grant_pending(factories.holding_key(cast.lead))
    assert not _can_open(case, named)
    assert "named" in factories.recused(case)
    assert str(named.pk) not in _person_wraps(case)


def test_a_password_change_keeps_access_and_a_reset_loses_it_until_regranted(cast):
    case = _case(cast)
    assert people.rewrap(cast.responder, factories.PASSWORD, "a new long passphrase")
    cast.responder.vault_private = people.unlock(cast.responder, "a new long passphrase")
    assert upkeep_key(case, cast.responder)

    people.replace(cast.responder, factories.PASSWORD)  # reset without the old password
    assert str(cast.responder.pk) not in _person_wraps(case)
    assert not _can_open(case, cast.responder)
    # A new key pair needs vouching for again before anyone grants it a case.
    grants.grant_pending(factories.holding_key(cast.lead))
    assert not _can_open(case, cast.responder)
    factories.vouched(cast.responder, by=cast.lead)
    grants.grant_pending(factories.holding_key(cast.lead))
    assert _can_open(case, cast.responder)


def test_the_printed_recovery_key_restores_access_after_every_lead_reset(cast):
    organisation = cast.event.organisation
    private = factories.recovery_key(organisation, by=cast.admin)
    case = _case(cast)
    assert KeyWrap.objects.filter(keyring=case.pk, recipient_kind=RecipientKind.RECOVERY)
    for person in (cast.lead, cast.lead2, cast.responder, cast.responder_off):
        people.replace(person, factories.PASSWORD)
    assert not _person_wraps(case)

    printed = personal.recovery_text(private)
    restored = personal.recovery_from_text(printed)
    admin = factories.holding_key(cast.admin)
    assert grants.recover(organisation, restored, cast.lead, by=admin) == 1
    assert _can_open(case, cast.lead)
    # The lead then grants the rest of the team at their next page view, once their new
    # keys are confirmed.
    factories.vouched(cast.responder, by=cast.admin)
    grants.grant_pending(factories.holding_key(cast.lead))
    assert _can_open(case, cast.responder)


def test_the_recovery_key_never_opens_a_case_for_someone_named_in_it(cast):
    organisation = cast.event.organisation
    private = factories.recovery_key(organisation, by=cast.admin)
    case = _case(cast, who="Lou Second")
    admin = factories.holding_key(cast.admin)
    assert grants.recover(organisation, private, cast.lead2, by=admin) == 0
    assert not _can_open(case, cast.lead2)


def test_leaving_the_event_or_the_case_role_takes_the_wraps_away(cast):
    case = _case(cast)
    staff_services.remove_member(cast.memberships["responder"], by=cast.admin)
    assert str(cast.responder.pk) not in _person_wraps(case)
    staff_services.change_member(cast.memberships["responder_off"], by=cast.admin, role=Role.STAFF)
    assert str(cast.responder_off.pk) not in _person_wraps(case)
    assert _person_wraps(case) == {str(cast.lead.pk), str(cast.lead2.pk)}


def test_a_report_nobody_could_read_yet_waits_in_escrow_until_a_case_worker_signs_in():
    event = factories.event("fresh")
    lead = factories.user("fresh-lead", "Fay", "First")
    membership = factories.member(event, lead, Role.LEAD)
    # Before their first sign-in the lead has no key.
    lead.personal_key.delete()
    case = factories.file_report(event, what_happened="ESCROWCANARY").report.case
    assert not _person_wraps(case)
    assert KeyWrap.objects.filter(keyring=case.pk, recipient_kind=RecipientKind.SERVER)

    lead = type(lead).objects.get(pk=lead.pk)
    grants.grant_pending(factories.holding_key(lead))  # their first sign-in made a key
    assert _person_wraps(case) == {str(lead.pk)}
    assert not KeyWrap.objects.filter(keyring=case.pk, recipient_kind=RecipientKind.SERVER)
    with pytest.raises(VaultError):
        vault.open_as_server(case.pk)
    assert _can_open(case, lead)
    assert membership.pk


def test_moving_an_event_to_per_person_keys_reseals_its_cases_and_cannot_be_undone(cast):
    event = factories.server_mode(factories.event("small"))
    lead = factories.user("small-lead", "Sol", "Small")
    factories.member(event, lead, Role.LEAD)
    case = factories.file_report(event, what_happened="MODECANARY").report.case
    assert not _person_wraps(case)

    data = {name: getattr(event, name) for name in EventForm.Meta.fields}
    form = EventForm({**data, "vault_mode": "personal"}, instance=event)
    assert form.is_valid(), form.errors
    form.save()
    assert not _can_open(case, lead)  # not until someone with a key signs in
    grants.grant_pending(factories.holding_key(lead))
    assert _can_open(case, lead)
    with pytest.raises(VaultError):
        vault.open_as_server(case.pk)

    event.refresh_from_db()
    data = {name: getattr(event, name) for name in EventForm.Meta.fields}
    form = EventForm({**data, "vault_mode": "server"}, instance=event)
    assert not form.is_valid()
    assert "cannot go back" in str(form.errors["vault_mode"])


def test_a_session_without_the_key_is_told_to_sign_in_again_not_shown_a_500(client, cast):
    case = factories.declared(_case(cast), cast.lead)
    factories.sign_in(client, cast.lead)
    del client.cookies["ombud_key"]
    response = client.get(f"/staff/cases/{case.pk}/")
    assert response.status_code == 409
    assert "Sign out and sign in again" in response.content.decode()
    assert "GRANTCANARY" not in response.content.decode()
    assert Case.objects.filter(pk=case.pk).exists()
    assert Membership.objects.filter(user=cast.lead).exists()


def test_someone_the_reporter_names_later_loses_their_wrap_not_only_the_view(cast):
    submission = factories.file_report(cast.event, what_happened="WRAPCANARY")
    case = submission.report.case
    assert str(cast.responder.pk) in _person_wraps(case)
    reporter.add_information(submission.receipt, "It was Rita Responder who said it.")
    assert str(cast.responder.pk) not in _person_wraps(case)
    assert not _can_open(case, cast.responder)


def test_closed_cases_of_a_server_key_event_move_to_per_person_keys_too(cast):
    event = factories.server_mode(factories.event("closed-conf"))
    lead = factories.user("closed-lead", "Cleo", "Closed")
    factories.member(event, lead, Role.LEAD)
    case = factories.file_report(event).report.case
    Case.objects.filter(pk=case.pk).update(status="closed")
    event.vault_mode = "personal"
    event.save(update_fields=["vault_mode"])
    grants.grant_pending(factories.holding_key(lead))
    assert _person_wraps(case) == {str(lead.pk)}
    with pytest.raises(VaultError):
        vault.open_as_server(case.pk)
