"""Account changes are services that write their audit entry, with ids and never secrets."""

import re
import time

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ombud.accounts import services
from ombud.accounts.models import ApiToken
from ombud.audit import services as audit
from ombud.audit.models import Entry
from ombud.vault.models import PersonalKey
from tests import factories

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a different long passphrase"


def _entries(action):
    return list(Entry.objects.filter(action=action))


def _the_entry(action, user, obj_type="user", obj_id=None) -> Entry:
    entries = _entries(action)
    assert len(entries) == 1, (action, entries)
    entry = entries[0]
    assert (entry.actor_kind, entry.actor_id) == ("user", str(user.pk))
    assert (entry.object_type, entry.object_id) == (obj_type, str(obj_id or user.pk))
    return entry


def _no_secret_in_the_audit(*secrets):
    """Every stored field of every entry, checked against what must never be in it."""
    for entry in Entry.objects.all():
        stored = " ".join(
            str(getattr(entry, field.attname)) for field in Entry._meta.concrete_fields
        )
        for secret in secrets:
            assert secret not in stored, entry.action
    assert audit.verify_log().ok


def _recent(client):
    session = client.session
    session["auth_at"] = int(time.time())
    session.save()
    return client


def test_issuing_and_revoking_an_api_token_is_audited(client, cast):
    issued = client.post(
        "/api/v1/auth/token",
        {"username": "lead", "password": factories.PASSWORD, "otp": factories.otp()},
        content_type="application/json",
    )
    token = issued.json()["token"]
    row = ApiToken.objects.get(user=cast.lead)
    _the_entry("token.issued", cast.lead, "apitoken", row.pk)
    gone = client.delete("/api/v1/auth/token", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert gone.status_code == 204
    assert not ApiToken.objects.filter(pk=row.pk).exists()
    _the_entry("token.revoked", cast.lead, "apitoken", row.pk)
    _no_secret_in_the_audit(token, row.digest, factories.PASSWORD)


def test_a_refused_token_request_changes_and_audits_nothing(client, cast):
    refused = client.post(
        "/api/v1/auth/token",
        {"username": "lead", "password": "not it", "otp": factories.otp()},
        content_type="application/json",
    )
    assert refused.status_code == 401
    assert not ApiToken.objects.exists()
    assert not Entry.objects.filter(action__startswith="token.").exists()


def test_revoking_only_ever_ends_the_callers_own_token(cast):
    _row, theirs = ApiToken.issue(cast.lead2)
    services.revoke_token(cast.lead, theirs)
    assert ApiToken.objects.filter(user=cast.lead2).count() == 1
    assert not _entries("token.revoked")


def test_sign_out_everywhere_is_audited(cast):
    phone = factories.sign_in(Client(), cast.lead)
    ApiToken.issue(cast.lead)
    phone.post("/staff/security/", {"action": "sign_out_everywhere"})
    cast.lead.refresh_from_db()
    assert cast.lead.session_generation == 1
    assert not ApiToken.objects.filter(user=cast.lead).exists()
    _the_entry("account.signed_out_everywhere", cast.lead)


def test_an_action_whose_audit_entry_fails_changes_nothing(cast, monkeypatch):
    ApiToken.issue(cast.lead)

    def broken(*args, **kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(services.audit, "record", broken)
    with pytest.raises(RuntimeError):
        services.sign_out_everywhere(cast.lead)
    cast.lead.refresh_from_db()
    assert cast.lead.session_generation == 0
    assert ApiToken.objects.filter(user=cast.lead).exists()


def test_enrolling_a_second_factor_is_audited_once_confirmed(client, cast):
    TOTPDevice.objects.filter(user=cast.responder).delete()
    client.post("/staff/login/", {"username": "responder", "password": factories.PASSWORD})
    client.get("/staff/2fa/setup/")
    device = TOTPDevice.objects.get(user=cast.responder, confirmed=False)
    assert client.post("/staff/2fa/setup/", {"code": "12345x"}).status_code == 400
    assert not _entries("account.second_factor_enrolled")
    time.sleep(1.1)  # django-otp's wait after the wrong code
    done = client.post("/staff/2fa/setup/", {"code": f"{TOTP(device.bin_key).token():06d}"})
    codes = re.findall(r"<li>([0-9a-f]{10})</li>", done.content.decode())
    assert len(codes) == 10
    _the_entry("account.second_factor_enrolled", cast.responder)
    _no_secret_in_the_audit(device.key, *codes)


def test_new_recovery_codes_are_audited(cast):
    lead = _recent(factories.sign_in(Client(), cast.lead))
    made = lead.post("/staff/security/recovery-codes/")
    codes = re.findall(r"<li>([0-9a-f]{10})</li>", made.content.decode())
    assert len(codes) == 10
    assert StaticDevice.objects.get(user=cast.lead).token_set.count() == 10
    _the_entry("account.recovery_codes_renewed", cast.lead)
    _no_secret_in_the_audit(*codes)


def test_a_password_change_keeps_the_key_pair_and_is_audited(cast):
    public = bytes(PersonalKey.objects.get(user=cast.lead).public_key)
    ApiToken.issue(cast.lead)
    lead = factories.sign_in(Client(), cast.lead)
    changed = lead.post(
        "/staff/security/password/",
        {
            "old_password": factories.PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert changed["Location"] == "/staff/security/"
    assert lead.get("/staff/").status_code == 200  # this session goes on
    cast.lead.refresh_from_db()
    assert cast.lead.check_password(NEW_PASSWORD)
    assert bytes(PersonalKey.objects.get(user=cast.lead).public_key) == public
    assert not ApiToken.objects.filter(user=cast.lead).exists()
    _the_entry("account.password_changed", cast.lead)
    _no_secret_in_the_audit(NEW_PASSWORD, factories.PASSWORD)


def test_a_wrong_old_password_changes_and_audits_nothing(cast):
    lead = factories.sign_in(Client(), cast.lead)
    refused = lead.post(
        "/staff/security/password/",
        {"old_password": "not it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert refused.status_code == 400
    cast.lead.refresh_from_db()
    assert cast.lead.check_password(factories.PASSWORD)
    assert not _entries("account.password_changed")


def test_a_password_reset_from_a_link_replaces_the_key_pair_and_is_audited(client, cast):
    public = bytes(PersonalKey.objects.get(user=cast.lead).public_key)
    ApiToken.issue(cast.lead)
    path = services.password_link_path(cast.lead)
    link = client.get(path)
    assert link.status_code == 302  # Django moves the token out of the URL into the session
    done = client.post(
        link["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done["Location"] == "/staff/login/"
    cast.lead.refresh_from_db()
    assert cast.lead.check_password(NEW_PASSWORD)
    assert bytes(PersonalKey.objects.get(user=cast.lead).public_key) != public
    assert not ApiToken.objects.filter(user=cast.lead).exists()
    _the_entry("account.password_reset", cast.lead)
    _no_secret_in_the_audit(NEW_PASSWORD, path.rstrip("/").rsplit("/", 1)[-1])
    assert "expired" in Client().get(path, follow=True).content.decode()  # the link is spent


def test_accounts_made_by_django_commands_can_sign_in_and_a_written_hash_cannot(db):
    """`ombud createsuperuser` and create_user certify the hash they set; a hash written
    into the database by anything else signs nobody in, even with its password."""
    from django.contrib.auth import authenticate, get_user_model  # noqa: PLC0415
    from django.contrib.auth.hashers import make_password  # noqa: PLC0415

    user_model = get_user_model()
    made = user_model.objects.create_user("maker", "maker@example.org", "a long passphrase")
    assert authenticate(username="maker", password="a long passphrase") == made
    user_model.objects.filter(pk=made.pk).update(password=make_password("chosen by a writer"))
    assert authenticate(username="maker", password="chosen by a writer") is None
