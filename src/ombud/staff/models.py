from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ombud.events.models import Event, phone_validator
from ombud.vault import trust


class Role(models.TextChoices):
    STAFF = "staff", pgettext_lazy("role", "Staff")
    DESK = "desk", _("Registration desk")
    RESPONDER = "responder", _("Responder")
    LEAD = "lead", _("Incident lead")


# Roles that work cases: alerted for every report, read and act on cases.
CASE_ROLES = (Role.RESPONDER, Role.LEAD)


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True, user__is_active=True)

    def acknowledged(self):
        """Staff who have acknowledged the event's code of conduct and handling guide.

        A later version asks them to acknowledge again, but does not take them
        off duty meanwhile: a typo fixed mid-event must not silence every alert.
        """
        return self.active().filter(
            coc_acknowledged_version__gt=0, guide_acknowledged_version__gt=0
        )

    def outdated(self):
        """Acknowledged, but not the versions now in force."""
        return self.acknowledged().exclude(
            coc_acknowledged_version=F("event__code_of_conduct_version"),
            guide_acknowledged_version=F("event__handling_guide_version"),
        )

    def on_duty(self, at):
        shifts = DutyShift.objects.filter(
            membership=OuterRef("pk"), starts_at__lte=at, ends_at__gt=at
        )
        return self.acknowledged().filter(Exists(shifts))

    def case_workers(self):
        return self.filter(role__in=CASE_ROLES)


class Membership(models.Model):
    """A person on an event's staff roster, in one role."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.STAFF)
    phone = models.CharField(_("phone"), max_length=40, blank=True, validators=[phone_validator])
    badge_number = models.CharField(_("badge number"), max_length=40, blank=True)
    shown_publicly = models.BooleanField(
        _("show on the public staff list"),
        default=False,
        help_text=_("Name and phone are shown on the event page while on duty."),
    )
    active = models.BooleanField(_("active"), default=True)
    coc_acknowledged_version = models.PositiveIntegerField(default=0)
    guide_acknowledged_version = models.PositiveIntegerField(default=0)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Vouches (under the key file) that Ombud itself wrote who is on the team, in which
    # role, acknowledged or not: a row written by anyone else is never sealed to.
    certificate = models.CharField(max_length=64, blank=True, editable=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("staff membership")
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="one_membership_per_event")
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}, {self.event})"

    def save(self, *args, **kwargs):
        # Every row Ombud writes carries its certificate; one written by anyone else
        # (or changed with a bare UPDATE) does not, and no case is sealed to it.
        self.certificate = trust.record_certificate("membership", *self.certified_fields())
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "certificate"}
        super().save(*args, **kwargs)

    @property
    def is_acknowledged(self) -> bool:
        """Put on duty: has acknowledged the code of conduct and the handling guide."""
        return self.coc_acknowledged_version > 0 and self.guide_acknowledged_version > 0

    @property
    def is_current(self) -> bool:
        """Has acknowledged the versions now in force."""
        return (
            self.coc_acknowledged_version == self.event.code_of_conduct_version
            and self.guide_acknowledged_version == self.event.handling_guide_version
        )

    @property
    def works_cases(self) -> bool:
        return self.role in CASE_ROLES

    def certified_fields(self) -> tuple:
        return (
            self.event_id,
            self.user_id,
            self.role,
            int(self.active),
            self.coc_acknowledged_version,
            self.guide_acknowledged_version,
        )

    @property
    def is_certified(self) -> bool:
        return trust.record_certified(self.certificate, "membership", *self.certified_fields())

    @property
    def is_lead(self) -> bool:
        return self.role == Role.LEAD


class DutyShift(models.Model):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="shifts")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))

    class Meta:
        verbose_name = _("duty shift")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"
            )
        ]

    def __str__(self):
        return f"{self.membership.user}: {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


class Briefing(models.Model):
    """The mandatory onsite staff meeting where the procedure is repeated."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="briefings")
    title = models.CharField(_("title"), max_length=200, default=_("Staff briefing"))
    held_at = models.DateTimeField(_("held at"))
    location = models.CharField(_("location"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("staff briefing")
        ordering = ["held_at"]

    def __str__(self):
        return self.title


class BriefingAttendance(models.Model):
    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="attendance")
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="briefings_attended"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("briefing attendance")
        constraints = [
            models.UniqueConstraint(fields=["briefing", "membership"], name="attended_once")
        ]

    def __str__(self):
        return f"{self.membership.user} at {self.briefing}"
