from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ombud.events.models import (
    QUICK_EXIT_DEFAULT,
    TRANSLATED_TEXTS,
    Event,
    EventText,
    Organisation,
    VaultMode,
)
from ombud.staff.models import Membership
from ombud.vault import trust
from ombud.web.forms import Form, ModelForm


class LanguagesField(forms.MultipleChoiceField):
    """Checkboxes on the page; the model's comma-separated codes are read too."""

    def to_python(self, value):
        if isinstance(value, str):
            value = [code for code in value.split(",") if code]
        return super().to_python(value)


class EventForm(ModelForm):
    languages = LanguagesField(
        label=_("Languages of the event's pages"),
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Visitors see the first of their own languages the event offers. Write the "
            "event's texts in each language on its own page."
        ),
    )
    code_of_conduct_url = forms.URLField(
        label=Event._meta.get_field("code_of_conduct_url").verbose_name,
        required=False,
        assume_scheme="https",
    )
    quick_exit_url = forms.URLField(
        label=Event._meta.get_field("quick_exit_url").verbose_name,
        help_text=Event._meta.get_field("quick_exit_url").help_text,
        max_length=Event._meta.get_field("quick_exit_url").max_length,
        validators=Event._meta.get_field("quick_exit_url").validators,
        assume_scheme="https",
        required=False,
    )

    class Meta:
        model = Event
        fields = [
            "name",
            "slug",
            "starts_on",
            "ends_on",
            "time_zone",
            "venue",
            "emergency_number",
            "venue_security_contact",
            "duty_phone",
            "emergency_note",
            "default_language",
            "languages",
            "staff_recognition",
            "code_of_conduct_text",
            "code_of_conduct_url",
            "what_happens_next",
            "quick_exit_url",
            "handling_guide",
            "ack_minutes",
            "urgent_ack_minutes",
            "duty_hours_start",
            "duty_hours_end",
            "ack_promise_hours",
            "ack_promise_hours_after",
            "update_promise_days",
            "vault_mode",
        ]
        help_texts = {
            "vault_mode": _(
                "Per person is the safe choice. Moving an event from the server key to per "
                "person seals its reports to the team's keys at the next sign-in of a "
                "responder or lead; there is no way back."
            ),
        }
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "staff_recognition": forms.Textarea(attrs={"rows": 2}),
            "emergency_note": forms.Textarea(attrs={"rows": 2}),
            "what_happens_next": forms.Textarea(attrs={"rows": 4}),
            "code_of_conduct_text": forms.Textarea(attrs={"rows": 8}),
            "handling_guide": forms.Textarea(attrs={"rows": 8}),
            "duty_hours_start": forms.TimeInput(attrs={"type": "time"}),
            "duty_hours_end": forms.TimeInput(attrs={"type": "time"}),
            "vault_mode": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["languages"] = self.instance.offered_languages()
        self.fields["default_language"].help_text = _(
            "The event's texts above are in this language; pages use it when a visitor's "
            "own language is not offered."
        )

    def clean(self):
        data = super().clean()
        chosen = data.get("languages") or []
        default = data.get("default_language")
        if default and default not in chosen:
            self.add_error(
                "default_language", _("The default language must be one of the event's languages.")
            )
        # Stored as the model keeps them: codes, comma-separated, in Ombud's order.
        data["languages"] = ",".join(code for code, _name in settings.LANGUAGES if code in chosen)
        return data

    def clean_quick_exit_url(self):
        # Left empty, "Leave this page" still goes somewhere neutral.
        return self.cleaned_data["quick_exit_url"] or QUICK_EXIT_DEFAULT

    def clean_vault_mode(self):
        mode = self.cleaned_data["vault_mode"]
        was = self.instance.vault_mode if self.instance.pk else None
        if was == VaultMode.PERSONAL and mode == VaultMode.SERVER:
            # The server cannot open these reports, so it cannot seal them to itself.
            raise forms.ValidationError(
                _(
                    "An event whose reports are sealed to people's keys cannot go back to "
                    "the server key."
                )
            )
        return mode


class OrganisationForm(ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "fallback_contact_email", "eu_directive_deadlines"]


class RecoveryForm(Form):
    recovery_key = forms.CharField(
        label=_("The printed recovery key"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off", "spellcheck": "false"}),
    )
    person = forms.ModelChoiceField(
        label=_("Open the cases again for"),
        queryset=Membership.objects.none(),
        help_text=_("A responder or lead who has signed in since losing access."),
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = (
            Membership.objects.acknowledged()
            .case_workers()
            .filter(event__organisation=organisation, user__personal_key__isnull=False)
            .select_related("user__personal_key", "event")
            .order_by("user__first_name")
        )
        # Choosing someone vouches for their key: its fingerprint, to compare with theirs.
        self.fields["person"].label_from_instance = lambda m: (
            _("%(who)s (%(event)s), key %(key)s")
            % {
                "who": m.user,
                "event": m.event,
                "key": trust.person_binding(m.user.personal_key).shown(),
            }
        )


class EventTextsForm(ModelForm):
    """The event's own texts in one of its other languages."""

    class Meta:
        model = EventText
        fields = TRANSLATED_TEXTS
        widgets = {
            "code_of_conduct_text": forms.Textarea(attrs={"rows": 8}),
            "staff_recognition": forms.Textarea(attrs={"rows": 2}),
            "emergency_note": forms.Textarea(attrs={"rows": 2}),
            "what_happens_next": forms.Textarea(attrs={"rows": 4}),
        }
