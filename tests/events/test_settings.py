"""Organiser admins set up organisations and events and make the recovery key; each
change goes through a service that audits it."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from ombud.audit.models import Entry
from ombud.cases.models import Category
from ombud.events import services
from ombud.events.forms import EventForm
from ombud.events.models import Event, Organisation
from ombud.staff.models import Role
from ombud.vault import personal
from ombud.vault.errors import VaultError
from tests import factories

pytestmark = pytest.mark.django_db


def _actions(by) -> list[str]:
    # Vouching for keys (the personas', a new recovery key) has tests of its own
    # (tests/vault/test_key_trust.py): here, what the settings services record.
    entries = Entry.objects.filter(actor_id=str(by.pk)).exclude(action="key.endorsed")
    return list(entries.order_by("seq").values_list("action", flat=True))


def _event_data(event, **changes) -> dict:
    data = {name: getattr(event, name) for name in EventForm.Meta.fields}
    data.update(changes)
    return data


def _recently_signed_in(client, person):
    factories.sign_in(client, person)
    session = client.session
    session["auth_at"] = time.time()
    session.save()
    return client


def test_a_new_event_starts_with_the_usual_categories_and_is_audited(client, cast):
    factories.sign_in(client, cast.admin)
    today = timezone.localdate()
    data = _event_data(
        Event(starts_on=today, ends_on=today + timedelta(days=2)), name="Next", slug="next"
    )
    response = client.post("/staff/manage/org/conf-org/new-event/", data)
    assert response.status_code == 302
    event = Event.objects.get(slug="next")
    assert Category.objects.filter(event=event).count() == len(Category.DEFAULTS)
    assert _actions(cast.admin) == ["event.created"]


def test_settings_and_vault_mode_changes_are_audited_and_a_save_without_change_is_not(cast):
    event = factories.server_mode(factories.event("small", org=cast.event.organisation))
    services.save_event(Event.objects.get(pk=event.pk), by=cast.admin)
    assert _actions(cast.admin) == []
    edited = Event.objects.get(pk=event.pk)
    edited.vault_mode = "personal"
    services.save_event(edited, by=cast.admin)
    assert _actions(cast.admin) == ["event.settings_changed", "event.vault_mode_changed"]


def test_an_event_page_opened_before_someone_joined_does_not_turn_the_roster_back(cast):
    stale = Event.objects.get(pk=cast.event.pk)
    factories.member(cast.event, factories.user("joiner", "Jo", "Iner"), Role.RESPONDER)
    joined = Event.objects.values_list("roster_version", flat=True).get(pk=cast.event.pk)
    stale.emergency_number = "112"
    services.save_event(stale, by=cast.admin)
    saved = Event.objects.get(pk=cast.event.pk)
    assert (saved.emergency_number, saved.roster_version) == ("112", joined)


def test_organisation_settings_are_saved_and_audited(client, cast):
    factories.sign_in(client, cast.admin)
    response = client.post(
        "/staff/manage/org/conf-org/",
        {"name": "Conf People", "fallback_contact_email": "help@example.org"},
    )
    assert response.status_code == 302
    organisation = Organisation.objects.get(slug="conf-org")
    assert (organisation.name, organisation.fallback_contact_email) == (
        "Conf People",
        "help@example.org",
    )
    assert _actions(cast.admin) == ["organisation.settings_changed"]


def test_the_recovery_key_is_made_once_shown_once_and_audited(client, cast):
    _recently_signed_in(client, cast.admin)
    made = client.post("/staff/manage/org/conf-org/recovery/")
    assert made.status_code == 200
    organisation = Organisation.objects.get(slug="conf-org")
    public = bytes(organisation.recovery_public_key)
    again = client.post("/staff/manage/org/conf-org/recovery/")
    assert again.status_code == 200
    assert bytes(Organisation.objects.get(slug="conf-org").recovery_public_key) == public
    assert "was made on" in again.content.decode()
    assert _actions(cast.admin) == ["recovery_key.created"]


def test_a_wrong_recovery_key_is_refused_and_nothing_is_recorded(client, cast):
    services.create_recovery_key(cast.event.organisation, by=cast.admin)
    _recently_signed_in(client, cast.admin)
    _public, other = personal.new_key_pair()
    response = client.post(
        "/staff/manage/org/conf-org/recovery/use/",
        {
            "recovery_key": personal.recovery_text(other),
            "person": cast.memberships["lead"].pk,
        },
    )
    assert response.status_code == 400
    assert "is not this organisation" in response.content.decode()
    assert "recovery_key.used" not in _actions(cast.admin)
    with pytest.raises(VaultError):
        services.use_recovery_key(cast.event.organisation, "nonsense", cast.lead, by=cast.admin)


def test_using_the_recovery_key_is_recorded_before_any_case_is_opened(client, cast):
    text = services.create_recovery_key(cast.event.organisation, by=cast.admin)
    factories.file_report(cast.event)
    _recently_signed_in(client, cast.admin)
    response = client.post(
        "/staff/manage/org/conf-org/recovery/use/",
        {"recovery_key": text, "person": cast.memberships["lead"].pk},
    )
    assert response.status_code == 302
    assert _actions(cast.admin) == ["recovery_key.created", "recovery_key.used", "case.recovered"]
