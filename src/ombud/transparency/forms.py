from django import forms
from django.utils.translation import gettext_lazy as _

from ombud.transparency.models import MAX_THRESHOLD, MIN_THRESHOLD, PROSE_LIMIT
from ombud.web.forms import Form


class ReportTextForm(Form):
    prose = forms.CharField(
        label=_("What the community reads with the numbers"),
        help_text=_(
            "Plain text, shown as written above the tables. Say what happened in general "
            "terms and what the team learned: never a name or anything that points to a person."
        ),
        max_length=PROSE_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    threshold = forms.IntegerField(
        label=_("Smallest number shown"),
        help_text=_("Any count below it reads “fewer than …”. At least 5."),
        min_value=MIN_THRESHOLD,
        max_value=MAX_THRESHOLD,
    )
