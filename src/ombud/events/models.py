import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
    URLValidator,
)
from django.db import models
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from ombud.notify.services import validate_deliverable
from ombud.vault import trust

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 ()./-]{1,30}$", _("Enter a phone number: digits, spaces and + ( ) - only.")
)


# Where "Leave this page" goes: a site nobody looking over a shoulder would wonder about.
QUICK_EXIT_DEFAULT = "https://www.bbc.com/weather"


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(zone)s is not a known time zone."), params={"zone": value})


class Organisation(models.Model):
    """Who runs events: a conference series, a community, a meetup group."""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=200)
    # The public half of the recovery key; the private half was printed once.
    recovery_public_key = models.BinaryField(null=True, blank=True, editable=False)
    recovery_created_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Vouches that the server saw the public half come from the printed key (vault.trust).
    recovery_certificate = models.CharField(max_length=64, blank=True, editable=False)
    fallback_contact_email = models.EmailField(
        _("fallback contact e-mail"),
        blank=True,
        validators=[validate_deliverable],
        help_text=_("Alerted when everyone who would be alerted is recused."),
    )
    # Directive (EU) 2019/1937, Art. 9(1)(b) and (f): deadlines the law sets for an internal
    # reporting channel, kept beside each event's own promises (cases.services.promises).
    eu_directive_deadlines = models.BooleanField(
        _("keep the EU whistleblowing directive's deadlines"),
        default=False,
        help_text=_(
            "Every report is acknowledged within 7 days and the reporter gets feedback within "
            "3 months of reporting, whatever each event promises. The team is reminded of "
            "these deadlines as it is of the event's own promises."
        ),
    )

    class Meta:
        verbose_name = _("organisation")

    def __str__(self):
        return self.name


class OrganiserAdmin(models.Model):
    """Manages an organisation's events, staff and settings; sees no report content."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="admins")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organiser_admin_of"
    )
    # As a membership's: vouches (under the key file) that Ombud wrote this row.
    certificate = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("organiser admin")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="one_admin_per_org")
        ]

    def __str__(self):
        return f"{self.user} @ {self.organisation}"

    def save(self, *args, **kwargs):
        self.certificate = trust.record_certificate(
            "organiser admin", self.organisation_id, self.user_id
        )
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "certificate"}
        super().save(*args, **kwargs)

    @property
    def is_certified(self) -> bool:
        return trust.record_certified(
            self.certificate, "organiser admin", self.organisation_id, self.user_id
        )


class VaultMode(models.TextChoices):
    PERSONAL = "personal", _("Per person: only the response team's own keys open reports")
    SERVER = "server", _("Server key: simpler, for small events (the server can open reports)")


class Event(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="events")
    slug = models.SlugField(_("short name in links"), unique=True, max_length=60)
    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    venue = models.CharField(_("venue"), max_length=300, blank=True)
    emergency_number = models.CharField(
        _("emergency number"), max_length=32, default="911", validators=[phone_validator]
    )
    duty_phone = models.CharField(
        _("on-duty phone"),
        max_length=32,
        blank=True,
        validators=[phone_validator],
        help_text=_(
            "One number that reaches whoever is on duty, e.g. a phone handed over at each "
            "shift change. It is printed on the event's poster and the staff's pocket card."
        ),
    )
    venue_security_contact = models.CharField(
        _("venue security contact"),
        max_length=300,
        blank=True,
        help_text=_("How to reach venue security, e.g. a phone number or a desk location."),
    )
    staff_recognition = models.TextField(
        _("how to recognise staff"),
        blank=True,
        help_text=_("E.g. “Staff wear bright orange T-shirts with STAFF on the back.”"),
    )
    code_of_conduct_text = models.TextField(_("code of conduct"), blank=True)
    code_of_conduct_url = models.URLField(_("code of conduct link"), blank=True)
    code_of_conduct_version = models.PositiveIntegerField(default=1, editable=False)
    quick_exit_url = models.URLField(
        _("quick exit link"),
        max_length=500,
        default=QUICK_EXIT_DEFAULT,
        validators=[URLValidator(schemes=["https"])],
        help_text=_(
            "Where “Leave this page” on the reporting pages takes someone who must hide "
            "them quickly: a neutral site such as a weather or news page."
        ),
    )
    handling_guide = models.TextField(
        _("incident handling guide"),
        blank=True,
        help_text=_("What staff must know and do when someone reports to them."),
    )
    handling_guide_version = models.PositiveIntegerField(default=1, editable=False)
    emergency_note = models.TextField(
        _("emergency numbers note"),
        blank=True,
        help_text=_(
            "Shown under the emergency number, e.g. “112 works from any phone in Germany, "
            "also without a SIM card.”"
        ),
    )
    what_happens_next = models.TextField(
        _("what happens after a report"),
        blank=True,
        help_text=_("Your own words for reporters. Empty: Ombud's standard explanation."),
    )
    # Codes from settings.LANGUAGES, comma-separated, the default among them.
    languages = models.CharField(_("languages"), max_length=100, default="en")
    default_language = models.CharField(
        _("default language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("Pages use it when a visitor's own language is not offered."),
    )
    vault_mode = models.CharField(
        _("how reports are encrypted"),
        max_length=16,
        choices=VaultMode.choices,
        default=VaultMode.PERSONAL,
        help_text=_(
            "Per person: each report is sealed to the keys of the responders and leads who may "
            "read it (and the organisation's recovery key); a copy of the server and its "
            "database cannot open it. Server key: the server holds a key that opens every "
            "report; easier, weaker."
        ),
    )
    ack_minutes = models.PositiveSmallIntegerField(
        _("minutes to acknowledge a report"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text=_("Unacknowledged after this long, the alert goes to the next level."),
    )
    urgent_ack_minutes = models.PositiveSmallIntegerField(
        _("minutes to acknowledge an urgent report"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    # Promises the response team keeps: overdue cases are flagged and reminded.
    ack_promise_hours = models.PositiveSmallIntegerField(
        _("hours to acknowledge a report during the event"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(72)],
    )
    ack_promise_hours_after = models.PositiveSmallIntegerField(
        _("hours to acknowledge a report after the event"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(336)],
    )
    update_promise_days = models.PositiveSmallIntegerField(
        _("days until the reporter hears a decision or an update"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    duty_hours_start = models.TimeField(
        _("staff on duty from"),
        default=time(8, 0),
        help_text=_("Each event day, someone should be on duty from this time…"),
    )
    duty_hours_end = models.TimeField(_("…until"), default=time(20, 0))
    # Bumped by every change to who is on the staff, their names, badges, roles,
    # acknowledgements and shifts: intake reads the roster before its write
    # transaction and checks this inside it.
    roster_version = models.PositiveBigIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("event")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="event_ends_after_start",
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The last day cannot be before the first.")})

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def offered_languages(self) -> list[str]:
        """The event's languages, its default first; only languages Ombud speaks."""
        known = dict(settings.LANGUAGES)
        chosen = [code for code in self.languages.split(",") if code in known]
        return [self.default_language, *(c for c in chosen if c != self.default_language)]

    def texts_in(self, language: str) -> dict:
        """The event's own texts in ``language``, each falling back to the default
        language when it is not translated (and saying so)."""
        own = {name: getattr(self, name) for name in TRANSLATED_TEXTS}
        texts = {name: LocalText(text, self.default_language) for name, text in own.items()}
        if language != self.default_language:
            translation = self.translations.filter(language=language).first()
            for name in TRANSLATED_TEXTS:
                text = getattr(translation, name, "") if translation else ""
                if text.strip():
                    texts[name] = LocalText(text, language)
                elif own[name].strip():
                    texts[name] = LocalText(own[name], self.default_language, fallback=True)
        return texts

    def starts_at(self) -> datetime:
        return datetime.combine(self.starts_on, time.min, tzinfo=self.zone)

    def ends_at(self) -> datetime:
        return datetime.combine(self.ends_on, time.max, tzinfo=self.zone)

    def ack_promise_hours_at(self, when: datetime) -> int:
        """The hours promised to acknowledge a report received at ``when``: the
        event's own promise until it ends, the one for afterwards from then on."""
        return self.ack_promise_hours if when <= self.ends_at() else self.ack_promise_hours_after


# The event's own words, written by the organiser in each of its languages.
TRANSLATED_TEXTS = (
    "code_of_conduct_text",
    "staff_recognition",
    "emergency_note",
    "what_happens_next",
)
# Pages that list many events (the dashboard: every event a lead ever worked) leave
# these out: pages of text each, shown only on the event's own pages.
LONG_TEXTS = (*TRANSLATED_TEXTS, "handling_guide")


@dataclass(frozen=True)
class LocalText:
    text: str
    language: str
    fallback: bool = False

    def __str__(self):
        return self.text

    def __bool__(self):
        return bool(self.text.strip())

    @property
    def language_name(self) -> str:
        """The language's name in the page's own language ("auf Englisch")."""
        return get_language_info(self.language)["name_translated"]

    @property
    def direction(self) -> str:
        return "rtl" if self.language in settings.LANGUAGES_BIDI else "ltr"


class EventText(models.Model):
    """The event's own texts in one of its other languages."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    code_of_conduct_text = models.TextField(_("code of conduct"), blank=True)
    staff_recognition = models.TextField(_("how to recognise staff"), blank=True)
    emergency_note = models.TextField(_("emergency numbers note"), blank=True)
    what_happens_next = models.TextField(_("what happens after a report"), blank=True)

    class Meta:
        verbose_name = _("event text")
        constraints = [
            models.UniqueConstraint(fields=["event", "language"], name="one_text_per_language")
        ]

    def __str__(self):
        return f"{self.event} ({self.language})"
