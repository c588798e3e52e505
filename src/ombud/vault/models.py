from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RecipientKind(models.TextChoices):
    SERVER = "server", _("server key")
    RECEIPT = "receipt", _("reporter's receipt")
    PERSON = "person", _("a responder's or lead's own key")
    RECOVERY = "recovery", _("the organisation's recovery key")


class KeyWrap(models.Model):
    """A case key wrapped for one recipient.

    A keyring is the set of wraps of one case key; its id is the case's id.
    Whoever can unwrap one of them can read the case; the server-key
    recipient is the first kind, per-person keys come next.
    """

    # Indexed by the one-wrap-per-recipient constraint, which it leads.
    keyring = models.UUIDField()
    recipient_kind = models.CharField(max_length=16, choices=RecipientKind.choices)
    recipient_ref = models.CharField(max_length=64)
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("key wrap")
        constraints = [
            models.UniqueConstraint(
                fields=["keyring", "recipient_kind", "recipient_ref"], name="one_wrap_per_recipient"
            )
        ]

    def __str__(self):
        return f"{self.keyring} → {self.recipient_kind}:{self.recipient_ref}"


class PersonalKey(models.Model):
    """A responder's or lead's key pair: the public half in the clear, the private
    half wrapped under their password (Argon2id), opened only at sign-in.

    Nothing is ever sealed to ``public_key`` unless ``certificate`` proves the server
    saw it come from the private half (``vault.trust``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_key"
    )
    public_key = models.BinaryField()
    # Ed25519, derived from the private key: signs endorsements of others' keys.
    signing_public = models.BinaryField(default=b"", blank=True)
    # HMAC under a key from the server key file over who it is and both public halves.
    certificate = models.CharField(max_length=64, blank=True)
    wrapped_private = models.BinaryField()
    salt = models.BinaryField()
    kdf = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("personal key")

    def __str__(self):
        return f"personal key of {self.user_id}"


class KeyEndorsement(models.Model):
    """One person's signature on another key: "this key is theirs, I vouch for it".

    Made with the signer's own signing key (derived from their private key, which
    only they hold), so neither the database nor the key file can forge one.
    A holder grants access to a case only to keys their own key reaches through
    such signatures (``vault.trust``).
    """

    class Kind(models.TextChoices):
        PERSON = "person", _("a person's key")
        RECOVERY = "recovery", _("an organisation's recovery key")

    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Fingerprints (SHA-256 of the key bindings) as they were when it was signed: a
    # new key on either side leaves the endorsement behind, unused.
    signer_key = models.CharField(max_length=64)
    subject_kind = models.CharField(max_length=16, choices=Kind.choices)
    subject_ref = models.CharField(max_length=64)
    subject_key = models.CharField(max_length=64)
    signature = models.BinaryField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("key endorsement")
        constraints = [
            models.UniqueConstraint(
                fields=["signer_key", "subject_kind", "subject_ref", "subject_key"],
                name="endorsed_once_per_key",
            )
        ]
        indexes = [models.Index(fields=["subject_kind", "subject_ref"])]

    def __str__(self):
        return f"endorsement {self.pk}"


class KeyAlarm(models.Model):
    """A key that failed its check: raised once per key, so the leads hear of it once."""

    key = models.CharField(max_length=64, unique=True)  # the failed binding's fingerprint
    subject_kind = models.CharField(max_length=16)
    subject_ref = models.CharField(max_length=64)
    event_id = models.BigIntegerField(null=True, blank=True)
    raised_at = models.DateTimeField()

    class Meta:
        verbose_name = _("key alarm")

    def __str__(self):
        return f"key alarm {self.pk}"
