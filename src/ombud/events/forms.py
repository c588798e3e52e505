from django import forms

from ombud.events.models import Event, Organisation
from ombud.web.forms import ModelForm


class EventForm(ModelForm):
    code_of_conduct_url = forms.URLField(
        label=Event._meta.get_field("code_of_conduct_url").verbose_name,
        required=False,
        assume_scheme="https",
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
            "staff_recognition",
            "code_of_conduct_text",
            "code_of_conduct_url",
            "handling_guide",
            "ack_minutes",
            "urgent_ack_minutes",
            "duty_hours_start",
            "duty_hours_end",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "staff_recognition": forms.Textarea(attrs={"rows": 2}),
            "code_of_conduct_text": forms.Textarea(attrs={"rows": 8}),
            "handling_guide": forms.Textarea(attrs={"rows": 8}),
            "duty_hours_start": forms.TimeInput(attrs={"type": "time"}),
            "duty_hours_end": forms.TimeInput(attrs={"type": "time"}),
        }


class OrganisationForm(ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "fallback_contact_email"]
