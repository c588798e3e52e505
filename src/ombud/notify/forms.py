import secrets
from urllib.parse import urlsplit

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from ombud.events.models import phone_validator
from ombud.notify.channels import http
from ombud.notify.models import AlertChannel
from ombud.notify.services import validate_deliverable
from ombud.web.forms import Form

_URL_KINDS = {"slack", "mattermost", "zulip", "discord", "matrix", "webhook"}


class ChannelForm(Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AlertChannel.Kind.choices)
    target = forms.CharField(
        label=_("Where to"),
        max_length=500,
        help_text=_(
            "E-mail: an address. Slack, Mattermost, Zulip, Discord, signed webhook: the incoming "
            "webhook URL. Matrix: the homeserver URL. SMS: a phone number with country code."
        ),
    )
    room = forms.CharField(
        label=_("Matrix room"),
        max_length=255,
        required=False,
        help_text=_("Matrix only: the room ID, like !abcdef:example.org."),
    )
    secret = forms.CharField(
        label=_("Token or secret"),
        max_length=500,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Matrix: the bot's access token. Signed webhook: the signing secret (leave empty "
            "to have one made for you, shown once)."
        ),
    )
    is_primary = forms.BooleanField(
        label=_("Use this first"),
        required=False,
        help_text=_("The first alert goes to your primary channel; escalations use all of them."),
    )

    def clean(self):
        data = super().clean()
        kind, target = data.get("kind"), (data.get("target") or "").strip()
        if not kind or not target:
            return data
        if kind == "email":
            try:
                validate_email(target)
                validate_deliverable(target)
            except forms.ValidationError as exc:
                self.add_error("target", exc)
        elif kind == "sms":
            try:
                phone_validator(target)
            except forms.ValidationError as exc:
                self.add_error("target", exc)
        elif kind in _URL_KINDS:
            try:
                forms.URLField(assume_scheme="https").clean(target)
                http.check_destination(target)
            except forms.ValidationError as exc:
                self.add_error("target", exc)
            except http.DeliveryFailed as exc:
                self.add_error("target", _("This address cannot be used: %(why)s.") % {"why": exc})
        if kind == "matrix":
            room = (data.get("room") or "").strip()
            # Messages go to room IDs; an alias (#room:server) would always fail.
            if not (room.startswith("!") and ":" in room):
                self.add_error("room", _("Enter a room ID like !abcdef:example.org."))
            if not data.get("secret"):
                self.add_error("secret", _("Matrix needs the bot's access token."))
        if kind == "webhook" and not data.get("secret"):
            data["secret"] = secrets.token_urlsafe(32)
            data["generated_secret"] = True
        data["target"] = target
        return data

    def config(self) -> dict:
        data = self.cleaned_data
        config = {"target": data["target"]}
        if data["kind"] == "matrix":
            config["room"] = data["room"].strip()
        if data.get("secret"):
            config["secret"] = data["secret"]
        return config

    def label(self) -> str:
        """What may be shown of the channel: never a full URL or token."""
        data = self.cleaned_data
        kind = data["kind"]
        if kind in _URL_KINDS:
            host = urlsplit(data["target"]).hostname or ""
            return f"{host} {data.get('room', '')}".strip()[:120]
        if kind == "sms":
            return f"…{data['target'][-4:]}"
        return data["target"][:120]
