"""Cases and what they hold. Free text and identifying fields are sealed
under the case key (``ombud.vault``); only what lists, alerts and counts
need stays in the clear: status, urgency, choices, times and ids."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

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


STAFF_CHANNELS = (Channel.IN_PERSON, Channel.PHONE, Channel.EMAIL, Channel.WRITTEN)


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
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="cases")
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
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="reports")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    received_at = models.DateTimeField()
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports_taken",
    )
    danger_now = models.BooleanField(default=False)
    still_going_on = models.BooleanField(null=True)
    reporter_relation = models.CharField(max_length=16, choices=Relation.choices, blank=True)
    law_enforcement = models.CharField(max_length=16, choices=LawEnforcement.choices, blank=True)
    reachable = models.BooleanField(default=False, help_text="Contact details were given.")
    sealed = models.BinaryField()
    receipt_digest = models.CharField(max_length=64, unique=True)
    # Lets a resent form (lost reply on bad Wi-Fi) get the same receipt, not a second report.
    submission_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    resend_box = models.BinaryField(null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        indexes = [models.Index(fields=["taken_by", "received_at"])]

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

    class Meta:
        verbose_name = _("recusal")
        constraints = [
            models.UniqueConstraint(fields=["case", "user_tag"], name="recused_once_by_tag")
        ]

    def __str__(self):
        return f"recusal {self.pk}"


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


class TimelineEntry(models.Model):
    """What happened to a case, when and by whom; details in the clear hold no content."""

    class Kind(models.TextChoices):
        REPORT_RECEIVED = "report_received", _("Report received")
        STATUS_CHANGED = "status_changed", _("Status changed")
        NOTE_ADDED = "note_added", _("Note added")
        MESSAGE_TO_REPORTER = "message_to_reporter", _("Message sent to the reporter")
        MESSAGE_FROM_REPORTER = "message_from_reporter", _("Reporter added information")
        ALERT_QUEUED = "alert_queued", _("Alert sent")
        RECUSAL = "recusal", _("Someone was recused")
        ESCALATED = "escalated", _("Alert escalated")
        ALERT_ACKNOWLEDGED = "alert_acknowledged", _("Alert acknowledged")
        DECLARED = "declared", _("Declared no conflict of interest")
        SELF_RECUSAL = "self_recusal", _("Someone recused themselves")
        OWNER = "owner", _("Owner assigned")
        HELPER = "helper", _("Helper added")
        SAFETY_STEP = "safety_step", _("Safety step")
        INTERIM_ACTION = "interim_action", _("Interim action taken")
        INTERIM_REVIEWED = "interim_reviewed", _("Interim action reviewed")
        ACCOUNT = "account", _("Account recorded")
        LINKED = "linked", _("Linked to another case")
        RESPONDENT = "respondent", _("Person reported identified")
        CATEGORIES = "categories", _("Categories set")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    by_reporter = models.BooleanField(default=False)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"

    def describe(self) -> str:
        """One line for the case page, in the reader's language; never content."""
        describer = _DESCRIBERS.get(self.kind)
        return describer(self.detail) if describer else str(self.get_kind_display())


def _label(choices, value) -> str:
    return str(dict(choices).get(value, value or ""))


def _status_changed(detail) -> str:
    return _("Status changed to “%(status)s”") % {
        "status": _label(Status.choices, detail.get("to"))
    }


def _alert_queued(detail) -> str:
    count = detail.get("count", 0)
    return ngettext("%(count)d person alerted", "%(count)d people alerted", count) % {
        "count": count
    }


def _report_received(detail) -> str:
    return _("Report received (%(channel)s%(urgent)s)") % {
        "channel": _label(Channel.choices, detail.get("channel")),
        "urgent": _(", urgent") if detail.get("urgent") else "",
    }


def _linked(detail) -> str:
    return _("Linked to %(other)s (%(kind)s)") % {
        "other": detail.get("other", ""),
        "kind": _label(CaseLink.Kind.choices, detail.get("link")),
    }


def _account(detail) -> str:
    return _("Account recorded: %(who)s") % {
        "who": _label(Account.GivenBy.choices, detail.get("given_by"))
    }


def _safety_step(detail) -> str:
    step = _label(SafetyStep.Kind.choices, detail.get("step"))
    if detail.get("override"):
        return _("%(step)s: present danger, against the reporter's choice") % {"step": step}
    return step


def _categories(detail) -> str:
    names = detail.get("names") or []
    return _("Categories: %(names)s") % {"names": ", ".join(names) or "—"}


_DESCRIBERS = {
    TimelineEntry.Kind.CATEGORIES: _categories,
    TimelineEntry.Kind.STATUS_CHANGED: _status_changed,
    TimelineEntry.Kind.ALERT_QUEUED: _alert_queued,
    TimelineEntry.Kind.REPORT_RECEIVED: _report_received,
    TimelineEntry.Kind.LINKED: _linked,
    TimelineEntry.Kind.ACCOUNT: _account,
    TimelineEntry.Kind.SAFETY_STEP: _safety_step,
}
