"""Decisions on cases, their approvals and appeals, and the organisation's ban list.

Free text (reasoning, what is told to whom, who the respondent is, comments,
grounds) is sealed under the case key. Only the consequence, states, times
and actors stay in the clear. The ban list holds keyed hashes only.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ombud.cases.models import Case, Report
from ombud.events.models import Event, Organisation


class Consequence(models.TextChoices):
    """The ladder, mildest first."""

    NO_ACTION = "no_action", _("No action")
    VERBAL = "verbal", _("Verbal correction")
    WRITTEN = "written", _("Written warning")
    REMOVAL = "removal", _("Removal from the event without refund")
    BAN = "ban", _("Ban from future events")


class ApprovalRule(models.Model):
    """How many approvals, besides the proposer's, a consequence needs at one event."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    consequence = models.CharField(max_length=16, choices=Consequence.choices)
    approvals = models.PositiveSmallIntegerField(_("approvals needed besides the proposer"))
    lead_required = models.BooleanField(_("at least one approval by an incident lead"))

    class Meta:
        verbose_name = _("approval rule")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "consequence"], name="one_rule_per_consequence"
            )
        ]

    def __str__(self):
        return (
            f"{self.consequence}: {self.approvals}{' incl. a lead' if self.lead_required else ''}"
        )


class Decision(models.Model):
    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        FINAL = "final", _("Final")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="decisions")
    consequence = models.CharField(max_length=16, choices=Consequence.choices)
    ban_until = models.DateField(null=True, blank=True)  # a ban without it is permanent
    state = models.CharField(max_length=16, choices=State.choices, default=State.PROPOSED)
    shown_to_reporter = models.BooleanField(default=False)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField()
    closed_by = models.ForeignKey(  # who made it final, or withdrew it
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    sealed = models.BinaryField()

    class Meta:
        verbose_name = _("decision")
        ordering = ["proposed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(state="final"), name="one_final_decision"
            ),
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(state="proposed"), name="one_open_proposal"
            ),
        ]

    def __str__(self):
        return f"decision {self.id}"

    @property
    def is_ban(self) -> bool:
        return self.consequence == Consequence.BAN


class Approval(models.Model):
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="approvals")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    as_lead = models.BooleanField()
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("approval")
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "by"], name="approve_once"),
        ]

    def __str__(self):
        return f"approval {self.pk}"


class ReporterComment(models.Model):
    """What the reporter said, through their receipt, about a proposed outcome."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="comments")
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    sealed = models.BinaryField()

    class Meta:
        verbose_name = _("reporter comment")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"comment {self.id}"


class Appeal(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        UPHELD = "upheld", _("Upheld")
        OVERTURNED = "overturned", _("Overturned")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="appeal")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    sealed = models.BinaryField()  # the grounds
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    sealed_review = models.BinaryField(null=True, blank=True)

    class Meta:
        verbose_name = _("appeal")

    def __str__(self):
        return f"appeal {self.id}"


class BanEntry(models.Model):
    """Organisation-wide: who may not come back, as keyed hashes only (``services.banlist``)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="ban")
    expires_on = models.DateField(null=True, blank=True)  # none: permanent
    created_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)  # overturned on appeal

    class Meta:
        verbose_name = _("ban-list entry")
        verbose_name_plural = _("ban-list entries")

    def __str__(self):
        return f"ban {self.pk}"


class BanIdentifier(models.Model):
    class Kind(models.TextChoices):
        NAME = "name", _("Name")
        BADGE = "badge", _("Badge number")
        EMAIL = "email", _("E-mail")

    entry = models.ForeignKey(BanEntry, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    digest = models.CharField(max_length=64, db_index=True)

    class Meta:
        verbose_name = _("ban-list identifier")

    def __str__(self):
        return f"{self.kind} of ban {self.entry_id}"
