from django import forms
from django.utils.translation import gettext_lazy as _

from ombud.records.models import RetentionPolicy
from ombud.records.services import extend, policy
from ombud.web.forms import Form, ModelForm


class PolicyForm(ModelForm):
    class Meta:
        model = RetentionPolicy
        fields = list(policy.EDITABLE)


class ExtendForm(Form):
    until = forms.DateField(
        label=_("Keep the case until"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A date after the current expunge date, at most ten years ahead."),
    )
    reason = forms.CharField(
        label=_("Why it is kept longer"),
        max_length=extend.REASON_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Sealed with the case, like its notes: only those who can open it read it."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class PurgeForm(Form):
    preview = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label=_(
            "I understand that the content of these cases is destroyed for good: nobody, "
            "the team included, can read it afterwards."
        ),
        error_messages={"required": _("Tick the box to confirm.")},
    )


class WithdrawForm(Form):
    receipt = forms.CharField(max_length=80, widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label=_("I want my report withdrawn and its content destroyed."),
        error_messages={"required": _("Tick the box to confirm.")},
    )
