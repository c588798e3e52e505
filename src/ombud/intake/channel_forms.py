"""The organiser's form for one reporting channel: its public address or number, its
provider, and the secrets Ombud needs, which are never shown again once saved."""

from urllib.parse import urlsplit

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from ombud.intake.channels import configure, inbound
from ombud.intake.models import IntakeChannel
from ombud.notify.services import validate_deliverable
from ombud.web.forms import ModelForm


def _secret(label, help_text=""):
    return forms.CharField(
        label=label,
        max_length=1000,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=help_text,
    )


SECRET_FIELDS = ("imap_url", "account_sid", "auth_token")
KEEP = _("Typed once and never shown again. Leave empty to keep the saved one.")


class IntakeChannelForm(ModelForm):
    imap_url = _secret(
        _("Mailbox URL"),
        _("IMAP only, with the password: imaps://user:password@host/INBOX."),
    )
    account_sid = _secret(_("Twilio account SID"))
    auth_token = _secret(_("Twilio auth token"))
    new_secret = forms.BooleanField(
        label=_("Make a new gateway secret"),
        required=False,
        help_text=_("The gateway's shared secret is made for you and shown once."),
    )

    class Meta:
        model = IntakeChannel
        fields = ["address", "provider", "enabled", "imap_done_folder", "ringing", "ring_seconds"]

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = self.instance.kind = kind
        providers = configure.PROVIDERS[kind]
        self.fields["provider"].choices = [
            (value, label) for value, label in IntakeChannel.Provider.choices if value in providers
        ]
        self.fields["provider"].widget = forms.RadioSelect(choices=self.fields["provider"].choices)
        self.fields["provider"].initial = self.instance.provider or providers[0]
        address = self.fields["address"]
        if kind == IntakeChannel.Kind.MAIL:
            address.label = _("Reporting address")
            address.help_text = _("The address printed on the poster, e.g. conduct@example.org.")
            unused = ("account_sid", "auth_token", "new_secret", "ringing", "ring_seconds")
        else:
            address.label = _("Number")
            address.help_text = _("With its country code, e.g. +1 202 555 0142.")
            unused = ("imap_url", "imap_done_folder")
            if kind == IntakeChannel.Kind.VOICE:
                unused += ("new_secret",)
            else:
                unused += ("ringing", "ring_seconds")
        for name in unused:
            del self.fields[name]
        if "imap_done_folder" in self.fields:
            self.fields["imap_done_folder"].help_text = _(
                "IMAP only. Empty: each message is deleted from the mailbox once it is sealed."
            )
        self.kept = configure.stored_secrets(self.instance)
        for name in SECRET_FIELDS:
            if name in self.fields and self.kept.get(name):
                self.fields[name].help_text = KEEP

    def clean_address(self):
        value = (self.cleaned_data.get("address") or "").strip()
        if self.kind == IntakeChannel.Kind.MAIL:
            value = value.lower()
            try:
                validate_email(value)
                validate_deliverable(value)
            except forms.ValidationError:
                raise forms.ValidationError(_("Enter an e-mail address.")) from None
        else:
            number = inbound.normalise_number(value)
            if any(c.isalpha() for c in value) or not 8 <= len(number) - 1 <= 15:
                raise forms.ValidationError(
                    _("Enter the number with its country code, e.g. +1 202 555 0142.")
                )
            value = number
        taken = IntakeChannel.objects.filter(kind=self.kind, address=value)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            # Whose it is stays unsaid: it may be another organisation's.
            raise forms.ValidationError(_("This address or number is already in use."))
        if self.kind != IntakeChannel.Kind.MAIL:
            # Webhooks name the event, not the number: one text number and one hotline each.
            siblings = IntakeChannel.objects.filter(event_id=self.instance.event_id, kind=self.kind)
            if self.instance.pk:
                siblings = siblings.exclude(pk=self.instance.pk)
            if siblings.exists():
                if self.kind == IntakeChannel.Kind.SMS:
                    raise forms.ValidationError(
                        _("This event already has a text-message number: change that one.")
                    )
                raise forms.ValidationError(_("This event already has a hotline: change that one."))
        return value

    def clean_ring_seconds(self):
        value = self.cleaned_data.get("ring_seconds")
        if value is not None and not 5 <= value <= 120:
            raise forms.ValidationError(_("Between 5 and 120 seconds."))
        return value

    def clean_imap_url(self):
        value = self.cleaned_data.get("imap_url", "")
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        if value and (parts is None or parts.scheme not in ("imap", "imaps") or not parts.hostname):
            # The message never repeats the URL: it holds a password.
            raise forms.ValidationError(_("Enter an imap:// or imaps:// URL with the host."))
        return value

    @property
    def secrets_typed(self) -> bool:
        """A secret was typed into a form that came back: it is not shown again."""
        names = [n for n in SECRET_FIELDS if n in self.fields]
        return self.is_bound and any(self.data.get(self.add_prefix(n)) for n in names)

    def secrets(self) -> dict:
        return {
            name: self.cleaned_data.get(name, "") for name in SECRET_FIELDS if name in self.fields
        }

    def clean(self):
        data = super().clean()
        provider = data.get("provider")
        if provider:
            self.instance.provider = provider
            for name in configure.missing_secrets(self.instance, self.secrets()):
                if name in self.fields:
                    self.add_error(name, _("Needed for this provider."))
        return data
