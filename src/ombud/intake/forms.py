import re
import secrets

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from ombud.cases.forms import AttachmentsField
from ombud.cases.models import STAFF_CHANNELS, Channel, LawEnforcement, Relation
from ombud.intake import held, throttle
from ombud.intake.services import (
    FIELD_LIMITS,
    SUBMISSION_KEY_MAX,
    SUBMISSION_KEY_MIN,
    ReportInput,
)
from ombud.staff.models import Membership
from ombud.web.forms import Form

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
YES_NO_UNSURE = [("yes", _("Yes")), ("no", _("No")), ("unsure", _("I don't know"))]
_SUBMISSION_KEY = re.compile(rf"^[A-Za-z0-9_-]{{{SUBMISSION_KEY_MIN},{SUBMISSION_KEY_MAX}}}$")


# The form's optional questions, grouped below the two that matter first (the
# template's <details> sections, by these names).
SECTIONS = {
    "who": ["who", "who_description"],
    "when": ["when", "where", "circumstances", "others_involved"],
    "evidence": ["evidence_links", "attachments"],
    "you": ["safety_concerns", "reporter_relation", "law_enforcement", "contact"],
    "exclude": ["exclude_staff", "exclude_others"],
}


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)  # 32 characters, 192 bits


def _text(label, name, *, help_text="", rows=None):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    return forms.CharField(
        label=label,
        required=False,
        max_length=FIELD_LIMITS[name],
        help_text=help_text,
        widget=widget,
        strip=True,
    )


class ReportForm(Form):
    """The procedure's questions, in its order; only what happened is required."""

    files_gone_message = _(
        "The files you chose before are no longer kept. Please choose them again."
    )

    danger_now = forms.ChoiceField(
        label=_("Is anyone in danger right now?"),
        choices=YES_NO,
        required=False,
        widget=forms.RadioSelect,
    )
    still_going_on = forms.ChoiceField(
        label=_("Is it still going on?"),
        choices=YES_NO_UNSURE,
        required=False,
        widget=forms.RadioSelect,
    )
    what_happened = forms.CharField(
        label=_("What happened?"),
        max_length=FIELD_LIMITS["what_happened"],
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The behaviour, in your own words. This is the only question you must answer."),
        error_messages={"required": _("Please tell us, in a few words, what happened.")},
    )
    who = _text(
        _("Who did it?"),
        "who",
        help_text=_("Their name or badge number, if you know it."),
    )
    who_description = _text(
        _("If you don't know their name: what do they look like?"),
        "who_description",
        help_text=_("Appearance, clothing, anything that would help staff recognise them."),
        rows=2,
    )
    when = _text(
        _("When did it happen?"),
        "when",
        help_text=_("Only if it was not just now, e.g. “yesterday around 3pm”."),
    )
    where = _text(_("Where did it happen?"), "where", help_text=_("Room, talk, online channel…"))
    circumstances = _text(
        _("What was going on around it?"),
        "circumstances",
        help_text=_("The circumstances: the talk, the party, what led up to it."),
        rows=3,
    )
    others_involved = _text(
        _("Who else was there or involved?"),
        "others_involved",
        help_text=_(
            "Witnesses or other people involved. Please do not ask them about it yourself."
        ),
        rows=2,
    )
    evidence_links = _text(
        _("Links to evidence"),
        "evidence_links",
        help_text=_("Links to posts, messages or photos, one per line, if there are any."),
        rows=2,
    )
    safety_concerns = _text(
        _("Are you worried about your safety or about retaliation?"),
        "safety_concerns",
        help_text=_("What worries you, so that the team can plan for it."),
        rows=2,
    )
    reporter_relation = forms.ChoiceField(
        label=_("How are you connected to what happened?"),
        choices=Relation.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    law_enforcement = forms.ChoiceField(
        label=_("Do you want the staff to involve venue security or the police?"),
        choices=LawEnforcement.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("If everyone is safe, the staff involve them only if the person harmed asks."),
    )
    contact = _text(
        _("How can staff reach you? (optional)"),
        "contact",
        help_text=_(
            "E-mail or phone. Leave empty to stay anonymous: your receipt lets you follow up."
        ),
    )
    exclude_staff = forms.MultipleChoiceField(
        label=_("Staff who should not see this report"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("They will not be alerted and cannot open it."),
    )
    exclude_others = _text(
        _("Anyone else on the staff who should not see it?"),
        "exclude_others",
        help_text=_("Their name or badge number."),
    )
    attachments = AttachmentsField(label=_("Photos or files (optional)"))
    # Files chosen on a try that came back with an error, sealed for this one (intake.held).
    held_files = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)
    drop_held_files = forms.BooleanField(
        label=_("Do not send the files chosen before"), required=False
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False)
    # When the form was loaded, signed (intake.throttle). Whatever comes back is
    # never an error: at worst the report draws on the ordinary budget.
    loaded = forms.Field(widget=forms.HiddenInput, required=False)

    def __init__(self, event, *args, **kwargs):
        super().__init__(*args, **kwargs)
        listed = (
            Membership.objects.acknowledged()
            .filter(event=event, shown_publicly=True)
            .select_related("user")
            .order_by("user__first_name", "user__last_name")
        )
        self.members_by_key = {str(m.pk): m for m in listed}
        self.fields["exclude_staff"].choices = [
            (key, str(m.user)) for key, m in self.members_by_key.items()
        ]
        if not self.is_bound:
            self.initial.setdefault("submission_key", new_submission_key())
            self.initial.setdefault("loaded", throttle.stamp())

    @cached_property
    def open_sections(self) -> set:
        """The sections shown open: those holding an answer or an error, so nothing
        typed and no error is ever folded away."""
        if not self.is_bound:
            return set()
        return {
            name
            for name, fields in SECTIONS.items()
            if any(self[f].errors or self[f].value() not in (None, "", []) for f in fields)
        }

    def clean_submission_key(self):
        # A key that is not one of ours only loses the resend guarantee, never the report.
        key = self.cleaned_data["submission_key"]
        return key if _SUBMISSION_KEY.match(key or "") else ""

    def clean_loaded(self):
        return throttle.loaded_at(self.cleaned_data["loaded"])

    def clean_held_files(self):
        """The files held from the try before, or none; their token stays for the view
        to release once the report is sent (or to hold again with any new ones)."""
        token = self.cleaned_data["held_files"]
        self.held_token, self.held = token, []
        if token:
            try:
                self.held = held.take(token)
            except held.HeldGone:
                self.held_token = ""
                self.add_error("attachments", self.files_gone_message)
        return token

    def clean(self):
        data = super().clean()
        if "attachments" not in data:
            return data
        files = [*([] if data.get("drop_held_files") else self.held), *data["attachments"]]
        if len(files) > settings.ATTACHMENT_MAX_FILES:
            self.add_error(
                "attachments",
                _("Up to %(count)d files can be sent with a report.")
                % {"count": settings.ATTACHMENT_MAX_FILES},
            )
        elif sum(f.size for f in files) > settings.ATTACHMENT_MAX_TOTAL_BYTES:
            self.add_error(
                "attachments",
                _("The files can be up to %(total)s together.")
                % {"total": filesizeformat(settings.ATTACHMENT_MAX_TOTAL_BYTES)},
            )
        else:
            data["attachments"] = files
        return data

    def files_to_hold(self) -> list:
        """After an error: the files this form would send, if they themselves were fine."""
        if self.errors.get("attachments"):
            return []
        data = getattr(self, "cleaned_data", {})
        return list(data.get("attachments") or [])

    def report_input(self, **extra) -> ReportInput:
        data = self.cleaned_data
        going_on = {"yes": True, "no": False}.get(data["still_going_on"])
        return ReportInput(
            content={name: data.get(name, "") for name in FIELD_LIMITS},
            danger_now=data["danger_now"] == "yes",
            still_going_on=going_on,
            reporter_relation=data["reporter_relation"],
            law_enforcement=data["law_enforcement"],
            exclude_staff=[self.members_by_key[k].user.username for k in data["exclude_staff"]],
            attachments=data.get("attachments") or [],
            **extra,
        )


class StaffReportForm(ReportForm):
    """Staff write the report with or for the reporter, and say how it reached them."""

    channel = forms.ChoiceField(
        label=_("How did the report reach you?"),
        choices=[(c.value, c.label) for c in STAFF_CHANNELS],
        initial=Channel.IN_PERSON,
        widget=forms.RadioSelect,
    )
    field_order = ["channel"]


class ReceiptForm(Form):
    unknown_message = _(
        "We could not find a report with this receipt. Check it for typing mistakes; "
        "letters and digits that look alike (O and 0, I and 1) are treated the same."
    )
    receipt = forms.CharField(
        label=_("Your receipt"),
        max_length=80,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        help_text=_("The code you were given when you sent your report, e.g. 7K3M-QX2P-…"),
    )


class AddInformationForm(Form):
    text = forms.CharField(
        label=_("Add information or reply"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Only the response team reads it."),
    )
    attachments = AttachmentsField(label=_("Add photos or files (optional)"))


class OutcomeCommentForm(Form):
    closed_message = _(
        "The proposed outcome is no longer open for comments. "
        "You can still write to the response team below."
    )
    comment = forms.CharField(
        label=_("Your comment on the proposed outcome"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only the response team reads it, before they make their decision final."),
    )
