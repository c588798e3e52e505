"""Forms about an account a staff member wrote down, and about how the reporter hears
from the team: the receipt sent on, the reporter's correction."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ombud.cases.services.reporter import MESSAGE_LIMIT
from ombud.web.forms import Form


class SendReceiptForm(Form):
    """Where the reporter wants their receipt: typed by the staff member, with them."""

    to = forms.CharField(label=_("Their e-mail address"), max_length=254)

    def __init__(self, *args, via: str, **kwargs):
        super().__init__(*args, prefix=via, **kwargs)
        if via == "sms":
            self.fields["to"].label = _("Their mobile number")
            self.fields["to"].help_text = _("With its country code, e.g. +1 202 555 0142.")
            self.fields["to"].widget.attrs.update(type="tel", autocomplete="off")
        else:
            self.fields["to"].widget.attrs.update(type="email", autocomplete="off")


class CorrectionForm(Form):
    correction = forms.CharField(
        label=_("What is wrong or missing"),
        max_length=MESSAGE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Your correction is added to your report; what was written down stays as it was. "
            "Only the response team reads it."
        ),
    )
