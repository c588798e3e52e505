"""The case page's forms, and form pieces shared with the reporter's pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ombud.cases.models import Account, CaseLink, SafetyStep, Status
from ombud.cases.services import attachments, team, work
from ombud.web.forms import Form


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files at once, each read and checked by content (services.attachments)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            _(
                "Photos, screenshots, PDFs or text files; up to 5 files, 10 MB each. "
                "They are encrypted like the rest of the report."
            ),
        )
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/*,.heic,.heif,application/pdf,text/plain"}),
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        uploads = [u for u in (data if isinstance(data, list | tuple) else [data]) if u]
        try:
            return attachments.check_all(uploads)
        except attachments.AttachmentRefused as exc:
            raise forms.ValidationError(str(exc), code="attachment") from None

    def bound_data(self, _data, initial):
        return initial  # a file is never sent back to the browser


class StatusForm(Form):
    status = forms.ChoiceField(choices=Status.choices)
    version = forms.IntegerField(min_value=1)
    message = forms.CharField(
        label=_("Closing message to the reporter"),
        max_length=work.TEXT_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was decided or done, as the reporter may know it."),
    )


class TextForm(Form):
    text = forms.CharField(max_length=work.TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 4}))


class NoteForm(TextForm):
    text = forms.CharField(
        label=_("Internal note"),
        max_length=work.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Seen only by the response team, never by the reporter."),
    )
    attachments = AttachmentsField(label=_("Attach photos or files (optional)"))


class MessageForm(TextForm):
    text = forms.CharField(
        label=_("Message to the reporter"),
        max_length=work.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The reporter reads this with their receipt."),
    )


class InterimForm(TextForm):
    text = forms.CharField(
        label=_("Action taken on the spot"),
        max_length=work.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "E.g. a verbal warning, or asking someone to leave a talk. The team reviews it "
            "within 24 hours."
        ),
    )


class DeclareForm(Form):
    choice = forms.ChoiceField(choices=[("no_conflict", ""), ("conflict", "")])
    # Declaring on the way to acknowledging a new report (from the dashboard) does both.
    then = forms.ChoiceField(choices=[("", ""), ("acknowledge", "")], required=False)
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class PersonForm(Form):
    person = forms.IntegerField(label=_("Who"), min_value=1)
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class SafetyForm(Form):
    step = forms.ChoiceField(choices=SafetyStep.Kind.choices)
    reason = forms.CharField(
        label=_("Why someone is in danger now"),
        max_length=team.REASON_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed for security or the police when the reporter did not ask for them."),
    )


class AccountForm(Form):
    given_by = forms.ChoiceField(label=_("Whose account"), choices=Account.GivenBy.choices)
    person = forms.CharField(
        label=_("Their name or how to tell them apart (optional)"),
        max_length=200,
        required=False,
    )
    text = forms.CharField(
        label=_("What they said"),
        max_length=work.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class RespondentForm(Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    badge = forms.CharField(label=_("Badge number"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LinkForm(Form):
    code_name = forms.CharField(
        label=_("Code name of the other case"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    kind = forms.ChoiceField(
        label=_("How they are linked"),
        choices=CaseLink.Kind.choices,
        widget=forms.RadioSelect,
        initial=CaseLink.Kind.DUPLICATE,
    )


class IdsField(forms.Field):
    """Checked boxes, as a list of ids: the case page draws the boxes itself."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            return [int(v) for v in value or []]
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Choose among the listed ones.")) from None


class VersionForm(Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class CategoriesForm(VersionForm):
    categories = IdsField()


class ReviewForm(Form):
    interim = forms.UUIDField()


class EventCategoriesForm(Form):
    names = forms.CharField(
        label=_("Categories, one per line"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "The kinds of incident cases are filed under. A category some case already has "
            "is kept, at the end, when you remove it here."
        ),
    )
