from django import forms
from django.utils.translation import gettext_lazy as _

from ombud.decisions import rules
from ombud.decisions.models import Appeal, Consequence
from ombud.decisions.services import banlist
from ombud.decisions.services.decide import IDENTITY_FIELDS, IDENTITY_LIMIT, TEXT_LIMIT
from ombud.web.forms import Form


def _area(label, *, required=False, help_text="", rows=3):
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT_LIMIT,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _line(label, *, help_text="", **attrs):
    return forms.CharField(
        label=label,
        required=False,
        max_length=IDENTITY_LIMIT,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": "off", **attrs}),
    )


class ProposeForm(Form):
    consequence = forms.ChoiceField(label=_("Consequence"), choices=Consequence.choices)
    ban_until = forms.DateField(
        label=_("Ban ends on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("For a ban for a period: its last day. Leave empty for a permanent ban."),
    )
    permanent = forms.BooleanField(label=_("The ban is permanent"), required=False)
    reasoning = _area(_("Reasoning"), required=True, rows=4)
    to_respondent = _area(_("What is told to the respondent"))
    to_reporter = _area(
        _("What is told to the reporter"),
        help_text=_("The reporter reads this with their receipt."),
    )
    respondent_name = _line(_("Respondent's name"))
    respondent_badge = _line(_("Respondent's badge number"))
    respondent_email = _line(_("Respondent's e-mail"), type="email")
    show_to_reporter = forms.BooleanField(
        label=_("Show the proposed outcome to the reporter now, so they can comment"),
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("consequence") == Consequence.BAN:
            if data.get("ban_until") and data.get("permanent"):
                self.add_error("ban_until", _("A ban has an end date or is permanent, not both."))
            elif not data.get("ban_until") and not data.get("permanent"):
                self.add_error("ban_until", _("Give the ban's end date, or tick “permanent”."))
            if self.lacks_identity():
                self.add_error("respondent_name", str(banlist.NoIdentity()))
        return data

    def lacks_identity(self) -> bool:
        typed = {k: self.data.get(f"respondent_{k}", "") for k in IDENTITY_FIELDS}
        return not banlist.has_identity(**typed)

    def offering(self, recorded: dict) -> "ProposeForm":
        """The same form, everything kept, with the respondent recorded in the case
        filled in where no identity was typed: to check and send again."""
        data = self.data.copy()
        for k in IDENTITY_FIELDS:
            data[f"respondent_{k}"] = recorded.get(k, "")
        form = type(self)(data, auto_id=self.auto_id, initial=self.initial)
        form.full_clean()
        form.add_error(
            "respondent_name",
            _(
                "A ban needs the respondent's name, badge number or e-mail address. The "
                "person recorded in this case is filled in now: check it and propose again."
            ),
        )
        return form

    def texts(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("reasoning", "to_respondent", "to_reporter")}

    def identity(self) -> dict:
        return {k: self.cleaned_data[f"respondent_{k}"] for k in ("name", "badge", "email")}


def recorded_identity(respondents) -> dict:
    """The latest person recorded in the case with a name, badge or e-mail, as the
    propose form's respondent fields; empty when there is none."""
    for _respondent, who in reversed(list(respondents)):
        identity = {k: who.get(k, "") for k in IDENTITY_FIELDS}
        if any(identity.values()):
            return identity
    return {}


def propose_initial(identity: dict) -> dict:
    return {f"respondent_{k}": v for k, v in identity.items()}


class DecisionActionForm(Form):
    decision = forms.UUIDField(widget=forms.HiddenInput)


class MakeFinalForm(DecisionActionForm):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class AppealForm(DecisionActionForm):
    grounds = _area(_("The respondent's grounds for appeal"), required=True, rows=4)


class ReviewForm(DecisionActionForm):
    outcome = forms.ChoiceField(
        label=_("Outcome of the review"),
        choices=[(Appeal.Outcome.UPHELD, _("Uphold")), (Appeal.Outcome.OVERTURNED, _("Overturn"))],
        widget=forms.RadioSelect,
    )
    reasoning = _area(_("Reasoning"), required=True, rows=4)


class RulesForm(Form):
    """One pair of fields per consequence: approvals needed, and whether a lead must be one."""

    def __init__(self, *args, current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in Consequence.choices:
            rule = current[value]
            self.fields[f"{value}_approvals"] = forms.IntegerField(
                label=_("%(consequence)s: approvals needed besides the proposer")
                % {"consequence": label},
                min_value=0,
                max_value=rules.MAX_APPROVALS,
                initial=rule.approvals,
            )
            self.fields[f"{value}_lead"] = forms.BooleanField(
                label=_("%(consequence)s: at least one approval by an incident lead")
                % {"consequence": label},
                required=False,
                initial=rule.lead_required,
            )

    def rows(self):
        return [
            (label, self[f"{value}_approvals"], self[f"{value}_lead"])
            for value, label in Consequence.choices
        ]


class DeskCheckForm(Form):
    who = forms.CharField(
        label=_("Name or badge number"),
        max_length=IDENTITY_LIMIT,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class ReporterCommentForm(Form):
    comment = forms.CharField(
        label=_("Your comment on the proposed outcome"),
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
