"""Cases, the reports in them and who is kept away from them. Free text and
identifying fields are sealed under the case key (``ombud.vault``); only what
lists, alerts and counts need stays in the clear: status, urgency, choices,
times and ids."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ombud.events.models import Event


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("case status", "New")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("case status", "Acknowledged")
    INVESTIGATING = "investigating", pgettext_lazy("case status", "Investigating")
    DECIDED = "decided", pgettext_lazy("case status", "Decided")
    CLOSED = "closed", pgettext_lazy("case status", "Closed")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    API = "api", _("API")
    IN_PERSON = "in_person", _("In person, to a staff member")
    PHONE = "phone", _("By phone, to a staff member")
    EMAIL = "email", _("By e-mail, to a staff member")
    WRITTEN = "written", _("In writing, handed to a staff member")
    # Straight to the event's own channels (intake.channels), no staff member between.
    MAIL = "mail", _("E-mail to the reporting address")
    SMS = "sms", _("Text message")
    HOTLINE = "hotline", _("Voicemail on the hotline")


STAFF_CHANNELS = (Channel.IN_PERSON, Channel.PHONE, Channel.EMAIL, Channel.WRITTEN)
# Told to a staff member, who wrote it down: the reporter is asked to confirm it.
ORAL_CHANNELS = (Channel.IN_PERSON, Channel.PHONE)


class Confirmation(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed by the reporter")
    CORRECTED = "corrected", _("Corrected by the reporter")


class RepliesTo(models.TextChoices):
    """Where the team's replies go in full, only at the reporter's explicit request."""

    EMAIL = "email", _("By e-mail")
    SMS = "sms", _("By text message")


class Relation(models.TextChoices):
    TARGET = "target", _("It happened to me")
    WITNESS = "witness", _("I saw it happen")
    ON_BEHALF = "on_behalf", _("I am reporting for someone else")


class LawEnforcement(models.TextChoices):
    YES = "yes", _("Yes, please involve them")
    NO = "no", _("No")
    NOT_NOW = "not_now", _("Not now — maybe later")


class Case(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Indexed by the composite index below and the code-name constraint, both led by it:
    # one index fewer to write for every report.
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="cases", db_index=False)
    code_name = models.CharField(_("code name"), max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # Bumped by every change, so two people acting on a stale page cannot overwrite each other.
    version = models.PositiveIntegerField(default=1)
    # One responder or lead answers for the case; others may help.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_cases",
    )
    helpers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="helped_cases"
    )
    categories = models.ManyToManyField("Category", blank=True, related_name="cases")
    # The promise (services.promises) the owner and leads were last reminded of.
    reminded_for = models.DateTimeField(null=True, blank=True)
    # The case's inbox (vault.inbox): replies, texts and voicemails arriving later
    # are sealed to its public half without opening the case.
    inbox_public_key = models.BinaryField(null=True, blank=True, editable=False)
    sealed_inbox_key = models.BinaryField(null=True, blank=True, editable=False)
    # Marked as junk by a lead triaging a flood (cases.services.triage): out of the
    # queues, kept sealed and counted; back in the queue when its reporter writes again.
    junk_at = models.DateTimeField(null=True, blank=True)
    # When it was last closed (none while open): its retention runs from here (ombud.records).
    closed_at = models.DateTimeField(null=True, blank=True)
    # Crypto-shredded (ombud.records): only the metadata record is left, and the rule why.
    expunged_at = models.DateTimeField(null=True, blank=True, db_index=True)
    expunge_rule = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("case")
        constraints = [
            models.UniqueConstraint(fields=["event", "code_name"], name="code_name_unique_in_event")
        ]
        indexes = [
            models.Index(fields=["event", "status", "urgent", "created_at"]),
            # The dashboard's buckets, newest first, across every event someone works.
            models.Index(fields=["status", "urgent", "created_at"]),
        ]

    def __str__(self):
        return self.code_name

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED


class Category(models.Model):
    """What kind of incident a case is about, as the event names its kinds."""

    DEFAULTS = (
        _("Harassment"),
        _("Unwanted physical contact"),
        _("Offensive comments"),
        _("Photography or recording without consent"),
        _("Stalking or following"),
        _("Disruption of a talk or event"),
        _("Other"),
    )

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["event", "name"], name="category_unique_in_event")
        ]

    def __str__(self):
        return self.name


class Report(models.Model):
    """What one reporter said, as they said it, sealed under the case key."""

    FIELD_LABELS = {
        "what_happened": _("What happened"),
        "who": _("Who did it"),
        "who_description": _("What they look like"),
        "when": _("When"),
        "where": _("Where"),
        "circumstances": _("Circumstances"),
        "others_involved": _("Others involved"),
        "evidence_links": _("Links to evidence"),
        "safety_concerns": _("Safety or retaliation concerns"),
        "contact": _("Reporter's contact"),
        "exclude_others": _("Staff to keep away"),
    }
    SEALED_FIELDS = tuple(FIELD_LABELS)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reports")
    # Both indexed by the composite indexes below, which they lead.
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="reports", db_index=False
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    received_at = models.DateTimeField()
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports_taken",
        db_index=False,
    )
    danger_now = models.BooleanField(default=False)
    still_going_on = models.BooleanField(null=True)
    reporter_relation = models.CharField(max_length=16, choices=Relation.choices, blank=True)
    law_enforcement = models.CharField(max_length=16, choices=LawEnforcement.choices, blank=True)
    reachable = models.BooleanField(default=False, help_text="Contact details were given.")
    # The language the reporter wrote in: staff answer in it, notices to them use it.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    sealed = models.BinaryField()
    receipt_digest = models.CharField(max_length=64, unique=True)
    # Lets a resent form (lost reply on bad Wi-Fi) get the same receipt, not a second report.
    submission_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    resend_box = models.BinaryField(null=True, blank=True)
    # Told to a staff member who wrote it down; the reporter may confirm or correct it.
    taken_orally = models.BooleanField(default=False)
    confirmation = models.CharField(max_length=16, choices=Confirmation.choices, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Where the team's replies go in full; empty: behind the receipt only (the default).
    replies_to = models.CharField(max_length=8, choices=RepliesTo.choices, blank=True)
    # A keyed hash of the address or number a channel report came from, so later
    # messages from it find the case; the address itself is sealed in the contact.
    contact_digest = models.CharField(max_length=64, blank=True, db_index=True)
    # A keyed hash of the token in the reply address of Ombud's mail to the reporter.
    thread_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # Near-duplicate reports share parts of it (intake.fingerprint); keyed, so it says
    # nothing about the text without the server's key.
    fingerprint = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("report")
        indexes = [
            models.Index(fields=["taken_by", "received_at"]),
            # Flood detection and triage read an event's recent reports' fingerprints.
            models.Index(fields=["event", "received_at", "fingerprint"]),
        ]

    def __str__(self):
        return f"report {self.id}"

    @classmethod
    def labelled(cls, content: dict) -> list[tuple[str, str]]:
        """The answered fields of sealed content, in the form's order, with their labels."""
        return [
            (cls.FIELD_LABELS[name], content[name])
            for name in cls.FIELD_LABELS
            if content.get(name)
        ]


class Recusal(models.Model):
    """Keeps one person away from one case: never alerted, never shown, never counted.

    The person is stored only as a keyed tag (``services.recusal.tag_for``), and
    who it is and why are sealed under the case key: a database dump alone does
    not say which staff member a report names or was kept from.
    """

    class Reason(models.TextChoices):
        NAMED = "named", _("Named in the report")
        EXCLUDED = "excluded", _("Excluded by the reporter")
        SELF = "self", _("Recused themselves")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="recusals")
    user_tag = models.CharField(max_length=64)
    sealed = models.BinaryField()
    created_at = models.DateTimeField()
    via_inbox = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("recusal")
        constraints = [
            models.UniqueConstraint(fields=["case", "user_tag"], name="recused_once_by_tag")
        ]

    def __str__(self):
        return f"recusal {self.pk}"
