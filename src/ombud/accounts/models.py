import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "ombud_"
TOKEN_LIFETIME = timedelta(hours=12)


class UserManager(DjangoUserManager):
    def _create_user_object(self, username, email, password, **extra_fields):
        # Django sets the hash directly here: certify it, as set_password does.
        user = super()._create_user_object(username, email, password, **extra_fields)
        user.certify_password()
        return user


class User(AbstractUser):
    """A person who signs in: staff, responders, leads, admins, the desk.

    Reporters never have accounts; they hold receipts.
    """

    # Bumped by "sign out everywhere": every session of an older generation ends.
    session_generation = models.PositiveIntegerField(default=0)
    # Vouches (under the key file) that Ombud set this password hash for this username:
    # a hash written into the database by anyone else signs nobody in, so it cannot
    # be used to make a key pair for them (accounts.backends, vault.trust).
    password_certificate = models.CharField(max_length=64, blank=True, editable=False)
    # Pages and alerts speak this language; blank: the browser's, and the event's for alerts.
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default=""
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("user")

    def __str__(self):
        return self.get_full_name() or self.username

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self.certify_password()

    def check_password(self, raw_password):
        def upgrade(raw):
            # Django re-hashes with the preferred hasher on a successful check.
            self.set_password(raw)
            self._password = None
            self.save(update_fields=["password", "password_certificate"])

        return check_password(raw_password, self.password, upgrade)

    def set_unusable_password(self):
        super().set_unusable_password()
        self.certify_password()

    def certify_password(self) -> None:
        from ombud.vault import trust  # noqa: PLC0415 -- accounts sits below vault

        self.password_certificate = trust.record_certificate(
            "password", self.username, self.password
        )

    @property
    def password_is_certified(self) -> bool:
        from ombud.vault import trust  # noqa: PLC0415

        return trust.record_certified(
            self.password_certificate, "password", self.username, self.password
        )


def _token_digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough; keyed from the key file, so
    # that someone who can write the database cannot make a token of their own.
    from ombud.vault import keys  # noqa: PLC0415 -- accounts sits below vault

    return hmac.new(keys.load().derived("api tokens"), token.encode(), hashlib.sha256).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def live(self):
        return self.filter(expires_at__gt=timezone.now(), user__is_active=True)

    def for_token(self, token: str):
        return self.live().filter(digest=_token_digest(token))


class ApiToken(models.Model):
    """A bearer token for the API; only its digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # The holder's private key, sealed under the token itself (vault.holders).
    sealed_private = models.BinaryField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")

    def __str__(self):
        return f"API token of {self.user_id}"

    @classmethod
    def issue(cls, user, private_key: bytes = b"") -> tuple["ApiToken", str]:
        from ombud.vault import holders  # noqa: PLC0415 -- accounts sits below vault

        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = timezone.now()
        row = cls.objects.create(
            user=user,
            digest=_token_digest(token),
            created_at=now,
            expires_at=now + TOKEN_LIFETIME,
            sealed_private=holders.seal_for_token(token, user.pk, private_key)
            if private_key
            else None,
        )
        return row, token
