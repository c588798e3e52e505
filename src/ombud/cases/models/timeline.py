"""A case's timeline: what happened, when and by whom; never content."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ombud.cases.models.case import Case, Channel, Status
from ombud.cases.models.work import Account, CaseLink, SafetyStep


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
        CONFIRMATION = "confirmation", _("The reporter read the written account")
        CALL = "call", _("Hotline call")
        RECEIPT_SENT = "receipt_sent", _("Receipt sent to the reporter")
        JUNK = "junk", _("Marked as junk in a flood")
        NOT_JUNK = "not_junk", _("Back in the queue: not junk")
        ESCALATION_PAUSED = (
            "escalation_paused",
            _("Alert ladder paused: one of many near-identical reports in a flood"),
        )

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
        indexes = [
            # The flood worker leaves cases put back from the junk alone
            # (services.floods); a few rows, looked up by case every few seconds.
            models.Index(
                fields=["case"], condition=Q(kind="not_junk"), name="cases_timeline_put_back"
            ),
        ]

    def __str__(self):
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"

    def describe(self) -> str:
        """One line for the case page, in the reader's language; never content.

        A linked case is named only through ``services.timeline.shown_to``, which
        checks that the reader may see it."""
        describer = _DESCRIBERS.get(self.kind)
        detail = getattr(self, "shown_detail", None) or {
            k: v for k, v in self.detail.items() if k != "other_id"
        }
        return describer(detail) if describer else str(self.get_kind_display())


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
    channel = _label(Channel.choices, detail.get("channel"))
    if detail.get("urgent"):
        return _("Urgent report received (%(channel)s)") % {"channel": channel}
    return _("Report received (%(channel)s)") % {"channel": channel}


def _linked(detail) -> str:
    kind = _label(CaseLink.Kind.choices, detail.get("link"))
    if not detail.get("other"):
        return _("Linked to a case you cannot open (%(kind)s)") % {"kind": kind}
    return _("Linked to %(other)s (%(kind)s)") % {"other": detail["other"], "kind": kind}


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


def _confirmation(detail) -> str:
    if detail.get("corrected"):
        return _("Corrected by the reporter")
    return _("Confirmed by the reporter")


def _call(detail) -> str:
    seconds = int(detail.get("seconds") or 0)
    length = _("%(minutes)d min %(seconds)02d s") % {
        "minutes": seconds // 60,
        "seconds": seconds % 60,
    }
    if detail.get("answered_by"):
        return _("Hotline call, %(length)s, answered by %(name)s") % {
            "length": length,
            "name": detail["answered_by"],
        }
    if detail.get("voicemail"):
        return _("Hotline call, %(length)s, not answered: voicemail left") % {"length": length}
    return _("Hotline call, %(length)s, not answered") % {"length": length}


_DESCRIBERS = {
    TimelineEntry.Kind.CONFIRMATION: _confirmation,
    TimelineEntry.Kind.CALL: _call,
    TimelineEntry.Kind.CATEGORIES: _categories,
    TimelineEntry.Kind.STATUS_CHANGED: _status_changed,
    TimelineEntry.Kind.ALERT_QUEUED: _alert_queued,
    TimelineEntry.Kind.REPORT_RECEIVED: _report_received,
    TimelineEntry.Kind.LINKED: _linked,
    TimelineEntry.Kind.ACCOUNT: _account,
    TimelineEntry.Kind.SAFETY_STEP: _safety_step,
}
