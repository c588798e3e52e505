"""Account use cases: password links, API tokens, signing out everywhere, second
factors and passwords. Each change writes its audit entry in its own transaction;
the audit holds ids only, never a password, token, code or key."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from ombud.accounts import secondfactor
from ombud.accounts.models import ApiToken
from ombud.audit import services as audit
from ombud.notify import services as notify
from ombud.notify.models import OutboxMessage
from ombud.vault import people, trust
from ombud.vault.models import PersonalKey


def password_link_path(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("accounts:set_password", args=[uid, token])


@transaction.atomic
def send_password_link(
    user, *, kind=OutboxMessage.Kind.PASSWORD_LINK, event_name="Ombud", language=""
) -> None:
    if not user.email or not user.is_active:
        return
    notify.queue(
        kind,
        [(user.pk, user.email)],
        event_name=event_name,
        path=password_link_path(user),
        language=language,
    )


@transaction.atomic
def issue_token(user, password: str) -> tuple[ApiToken, str]:
    """A bearer token carrying the private key the password unlocks; shown once."""
    row, token = ApiToken.issue(user, people.unlock(user, password))
    audit.record(user, "token.issued", row)
    return row, token


@transaction.atomic
def revoke_token(user, token: str) -> None:
    """End the token the caller holds (a token of someone else is never matched)."""
    for row in ApiToken.objects.for_token(token).filter(user=user):
        audit.record(user, "token.revoked", row)
        row.delete()


@transaction.atomic
def choose_language(user, language: str) -> None:
    """The language of the person's pages and alerts; blank: their browser's, and each
    event's own for alerts."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValueError("not a language Ombud speaks")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
        audit.record(user, "account.language_changed", user)


@transaction.atomic
def sign_out_everywhere(user) -> None:
    """End every session of the person (``accounts.middleware`` compares generations)
    and every API token."""
    get_user_model().objects.filter(pk=user.pk).update(
        session_generation=F("session_generation") + 1
    )
    ApiToken.objects.filter(user=user).delete()
    audit.record(user, "account.signed_out_everywhere", user)


@transaction.atomic
def enrol_second_factor(device, code: str) -> list[str] | None:
    """Confirm a new authenticator with a code from it: its new recovery codes, or
    None when the code does not match (nothing changes)."""
    codes = secondfactor.confirm_enrolment(device, code)
    if codes is not None:
        audit.record(device.user, "account.second_factor_enrolled", device.user)
    return codes


@transaction.atomic
def renew_recovery_codes(user) -> list[str]:
    """New recovery codes, the old ones void; shown once."""
    codes = secondfactor.new_recovery_codes(user)
    audit.record(user, "account.recovery_codes_renewed", user)
    return codes


@transaction.atomic
def change_password(user, old_password: str, new_password: str) -> None:
    """Knowing the old password keeps access: the same key pair, wrapped anew.

    API tokens end: a new password ends what the old one started elsewhere.
    The caller keeps its own session (``update_session_auth_hash``).
    """
    user.set_password(new_password)
    user.save(update_fields=["password", "password_certificate"])
    people.rewrap(user, old_password, new_password)
    ApiToken.objects.filter(user=user).delete()
    audit.record(user, "account.password_changed", user)


@transaction.atomic
def reset_password(user, new_password: str) -> None:
    """A password chosen without the old one (an e-mailed link): a new key pair.

    Cases sealed to the old key stay closed to this person until a lead opens
    them again (or the organisation's recovery key is used). API tokens carry
    the old key: they end.
    """
    user.set_password(new_password)
    user.save(update_fields=["password", "password_certificate"])
    people.replace(user, new_password)
    ApiToken.objects.filter(user=user).delete()
    audit.record(user, "account.password_reset", user)


def key_fingerprint(user) -> tuple[str, bool]:
    """The fingerprint of the person's own key, derived from the private key their
    password unlocked - not from the database row a lead's dashboard reads - and
    whether that row says the same ("", True when no key is unlocked)."""
    private = getattr(user, "vault_private", b"")
    if not private:
        return "", True
    own = trust.own_binding(user.pk, private)
    stored = PersonalKey.objects.filter(user=user).first()
    return own.shown(), stored is not None and trust.person_binding(stored) == own
