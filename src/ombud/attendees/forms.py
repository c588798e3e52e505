"""The forms of the lists page: a pretix or pretalx connection, or a CSV file."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from ombud.attendees.models import Kind
from ombud.attendees.services.sources import MAX_CSV_BYTES
from ombud.web.forms import Form

_slug = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$", _("Letters, digits, dots, dashes and underscores only.")
)
TOKEN_HELP = _(
    "Typed once and never shown again. Leave empty to keep the saved one (for the same address)."
)


def _token():
    return forms.CharField(
        label=_("API token"),
        max_length=500,
        required=False,
        strip=True,
        help_text=TOKEN_HELP,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


def _base_url(example: str):
    return forms.URLField(
        label=_("Address"),
        max_length=300,
        assume_scheme="https",
        help_text=_("The server's address, e.g. %(example)s") % {"example": example},
    )


class PretixForm(Form):
    prefix = "pretix"
    base_url = _base_url("https://pretix.eu")
    organizer = forms.CharField(
        label=_("Organizer (in pretix)"), max_length=100, validators=[_slug]
    )
    remote_event = forms.CharField(label=_("Event (in pretix)"), max_length=100, validators=[_slug])
    token = _token()


class PretalxForm(Form):
    prefix = "pretalx"
    base_url = _base_url("https://pretalx.com")
    remote_event = forms.CharField(
        label=_("Event (in pretalx)"), max_length=100, validators=[_slug]
    )
    token = _token()


class CsvForm(Form):
    prefix = "csv"
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, with a header row: name, email, badge (the badge number or order code) "
            "and, optionally, kind (attendee or speaker)."
        ),
    )
    kind = forms.ChoiceField(
        label=_("List for rows without a kind"),
        choices=Kind.choices,
        initial=Kind.ATTENDEES,
        widget=forms.RadioSelect,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Refused before it is read into memory.
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


def initial_of(source) -> dict:
    """A saved source's settings, to fill its form (never the token)."""
    if source is None:
        return {}
    return {
        "base_url": source.base_url,
        "organizer": source.organizer,
        "remote_event": source.remote_event,
    }
