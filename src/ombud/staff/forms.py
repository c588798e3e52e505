from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from ombud.events.models import phone_validator
from ombud.notify.services import validate_deliverable
from ombud.staff.models import Briefing, Membership, Role
from ombud.web.forms import Form, ModelForm


class AcknowledgeForm(Form):
    coc_version = forms.IntegerField(widget=forms.HiddenInput)
    guide_version = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label=_("I have read the code of conduct and the handling guide and will follow them."),
        error_messages={"required": _("Please confirm that you have read both.")},
    )


class MemberForm(ModelForm):
    class Meta:
        model = Membership
        fields = ["role", "phone", "badge_number", "shown_publicly", "active"]
        widgets = {"role": forms.RadioSelect}


class PersonForm(Form):
    """A person's name and e-mail, as reports may name them and alerts reach them."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        validators=[validate_deliverable],
        help_text=_("Alerts and password links go here."),
    )


class NewMemberForm(Form):
    """Add someone to the roster: an existing account by username, or a new one."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("An existing Ombud username, or a new one to create."),
        validators=[UnicodeUsernameValidator()],
    )
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        required=False,
        validators=[validate_deliverable],
        help_text=_("Alerts and the invitation to choose a password go here."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, widget=forms.RadioSelect)
    phone = forms.CharField(
        label=_("Phone"), max_length=40, required=False, validators=[phone_validator]
    )
    badge_number = Membership._meta.get_field("badge_number").formfield()
    shown_publicly = Membership._meta.get_field("shown_publicly").formfield()

    def clean(self):
        data = super().clean()
        username = data.get("username", "")
        exists = get_user_model().objects.filter(username=username).exists()
        if username and not exists and not data.get("email"):
            self.add_error("email", _("A new account needs an e-mail address for its invitation."))
        data["existing"] = exists
        return data


class ShiftForm(Form):
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def clean(self):
        # Views parse these inside the event's time zone, whatever the browser's.
        data = super().clean()
        for name in ("starts_at", "ends_at"):
            if data.get(name) and not _plausible(data[name]):
                self.add_error(name, _IMPLAUSIBLE)
                data.pop(name)
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("A shift must end after it starts."))
        return data


class BriefingForm(ModelForm):
    class Meta:
        model = Briefing
        fields = ["title", "held_at", "location"]
        widgets = {"held_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}

    def clean_held_at(self):
        held_at = self.cleaned_data["held_at"]
        if not _plausible(held_at):
            raise forms.ValidationError(_IMPLAUSIBLE)
        return held_at


# Far-off years overflow when converted to UTC; no event is that far away.
_IMPLAUSIBLE = _("Enter a date between the years 2000 and 2999.")


def _plausible(moment) -> bool:
    return 2000 <= moment.year <= 2999


class RotaShiftForm(ShiftForm):
    member = forms.ModelChoiceField(label=_("Who"), queryset=Membership.objects.none())

    field_order = ["member", "starts_at", "ends_at"]

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = (
            Membership.objects.filter(event=event, active=True)
            .select_related("user")
            .order_by("user__first_name", "user__last_name")
        )
        self.fields["member"].label_from_instance = lambda m: f"{m.user} ({m.get_role_display()})"


class RotaImportForm(Form):
    csv = forms.CharField(
        label=_("Shifts to add, one per line"),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        max_length=200_000,
        help_text=_(
            "username, starts, ends — times in the event's time zone, e.g. "
            "“responder1, 2026-06-01 09:00, 2026-06-01 13:00”. A first line "
            "“username,starts,ends” is skipped."
        ),
    )
