"""What the response team does on a case: accounts, who was reported, links,
declarations, safety steps, interim actions, escalation, notes, messages and
files. Content is sealed under the case key."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ombud.cases.models.case import Case, Report


class Account(models.Model):
    """What someone told the team, recorded by a staff member: the reporter, the
    person reported or a witness. Who gave it and what they said are sealed."""

    class GivenBy(models.TextChoices):
        REPORTER = "reporter", _("The reporter")
        RESPONDENT = "respondent", _("The person reported")
        WITNESS = "witness", _("A witness")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="accounts")
    given_by = models.CharField(max_length=16, choices=GivenBy.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    sealed = models.BinaryField()

    class Meta:
        verbose_name = _("account")
        ordering = ["recorded_at", "pk"]

    def __str__(self):
        return f"account {self.id}"


class Respondent(models.Model):
    """Who was reported, as the team established it: sealed, plus keyed tags of the
    normalised name, badge and e-mail (``vault.identity``) to recognise a repeat."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="respondents")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    sealed = models.BinaryField()

    class Meta:
        verbose_name = _("person reported")
        ordering = ["recorded_at", "pk"]

    def __str__(self):
        return f"respondent {self.id}"


class RespondentTag(models.Model):
    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, related_name="tags")
    # Tags are per organisation: the same person across its events, never across others.
    organisation_id = models.BigIntegerField()
    kind = models.CharField(max_length=8)
    tag = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["organisation_id", "tag"])]

    def __str__(self):
        return f"{self.kind} tag {self.pk}"


class CaseLink(models.Model):
    """Two cases about the same incident (duplicate) or connected ones (related).
    Nothing moves: each report stays under its own case key and receipt."""

    class Kind(models.TextChoices):
        DUPLICATE = "duplicate", _("Duplicate: the same incident")
        RELATED = "related", _("Related")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links")
    other = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="linked_from")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("case link")
        constraints = [
            models.UniqueConstraint(fields=["case", "other"], name="linked_once"),
            models.CheckConstraint(
                condition=~models.Q(case=models.F("other")), name="not_linked_to_itself"
            ),
        ]

    def __str__(self):
        return f"{self.kind} link {self.pk}"


class Declaration(models.Model):
    """A case worker's "no conflict of interest" for one case, given before it first
    opened for them. (A conflict is a self-recusal instead: see ``Recusal``.)"""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="declarations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("declaration of no conflict")
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="declared_once_per_case")
        ]

    def __str__(self):
        return f"declaration {self.pk}"


class SafetyStep(models.Model):
    """Something done to keep people safe. Involving security or the police needs the
    reporter's wish or a present danger, said in a sealed reason."""

    class Kind(models.TextChoices):
        ESCORT_OFFERED = "escort_offered", _("Escort offered")
        SECURITY_INFORMED = "security_informed", _("Venue security informed")
        LAW_ENFORCEMENT_CONTACTED = "law_enforcement", _("Law enforcement contacted")

    REFERRALS = (Kind.SECURITY_INFORMED, Kind.LAW_ENFORCEMENT_CONTACTED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="safety_steps")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    # Present danger overrode the reporter's choice: the written reason is sealed.
    override = models.BooleanField(default=False)
    sealed_reason = models.BinaryField(null=True, blank=True)

    class Meta:
        verbose_name = _("safety step")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class InterimAction(models.Model):
    """Done on the spot by one responder (a verbal warning, asking someone to leave a
    talk); the team reviews it within a day."""

    REVIEW_WITHIN = timedelta(hours=24)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="interim_actions")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    sealed = models.BinaryField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("interim action")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"interim action {self.pk}"

    @property
    def review_due(self):
        return self.at + self.REVIEW_WITHIN


class Escalation(models.Model):
    """Until someone acknowledges a new case, its alert climbs a ladder of people
    and channels (``services.escalation``)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="escalation")
    level = models.PositiveSmallIntegerField(default=1)
    started_at = models.DateTimeField()
    next_at = models.DateTimeField(null=True, blank=True, db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("escalation")

    def __str__(self):
        return f"escalation {self.pk} at level {self.level}"


class Note(models.Model):
    """An internal note by the response team; never shown to the reporter."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    sealed = models.BinaryField()

    class Meta:
        verbose_name = _("note")
        ordering = ["created_at"]

    def __str__(self):
        return f"note {self.id}"


class Message(models.Model):
    """Between the response team and one reporter, through the receipt."""

    class Direction(models.TextChoices):
        TO_REPORTER = "to_reporter", _("To the reporter")
        FROM_REPORTER = "from_reporter", _("From the reporter")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="messages")
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(max_length=16, choices=Direction.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    sealed = models.BinaryField()
    # Sealed to the case's inbox (vault.inbox) by a channel, not under the case key.
    via_inbox = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("message")
        ordering = ["created_at"]

    def __str__(self):
        return f"message {self.id}"


class Attachment(models.Model):
    """A file given with a report or a note. Its name, type and bytes are sealed
    under the case key; only which report or note it belongs to is in the clear."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )
    note = models.ForeignKey(
        Note, on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    sealed_meta = models.BinaryField()
    sealed_data = models.BinaryField()
    via_inbox = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("attachment")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(report__isnull=False) ^ models.Q(note__isnull=False),
                name="attachment_belongs_to_a_report_or_a_note",
            )
        ]

    def __str__(self):
        return f"attachment {self.id}"
