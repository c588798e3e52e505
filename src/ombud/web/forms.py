"""Base form classes: labels are questions or names, so no colon after them."""

from django import forms
from django.utils import formats
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import ngettext, ngettext_lazy


class ErrorSummary:
    """What the error summary at the top of a page lists: each error, linked to its field.

    A person using a screen reader or a phone hears or sees every problem first
    and reaches the field from there (WCAG 3.3.1, GOV.UK's error summary pattern).
    """

    def error_summary(self):
        problems = [(None, "", message) for message in self.non_field_errors()]
        for field in self:
            if field.is_hidden or not field.errors:
                continue
            anchor = field.auto_id
            # A group of radios or checkboxes has no element with the field's own id.
            if field.use_fieldset and field.subwidgets:
                anchor = field.subwidgets[0].id_for_label or anchor
            problems += [(anchor, field.label, message) for message in field.errors]
        return problems


def _limit_sentence(limit: int) -> str:
    shown = formats.number_format(limit, force_grouping=True)
    return ngettext("Up to %(limit)s character.", "Up to %(limit)s characters.", limit) % {
        "limit": shown
    }


limit_sentence = lazy(_limit_sentence, str)
TOO_LONG = ngettext_lazy(
    "This is %(show_value)d characters long; it can be up to %(limit_value)d. "
    "Please shorten it: everything you wrote is still here.",
    "This is %(show_value)d characters long; it can be up to %(limit_value)d. "
    "Please shorten it: everything you wrote is still here.",
    "limit_value",
)


class KeepsText:
    """What a person types is kept as they wrote it.

    Limits are said, never enforced by cutting: a browser's ``maxlength`` silently
    truncates a paste, so it is not rendered. The limit is shown beside the field
    and a longer text comes back with an error, whole, to shorten. And each text
    box takes the direction of what is typed in it (Arabic inside English).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            limit = getattr(field, "max_length", None)
            if not limit or field.widget.is_hidden or not isinstance(field, forms.CharField):
                continue
            field.widget.attrs.pop("maxlength", None)
            field.widget.attrs.setdefault("dir", "auto")
            field.error_messages["max_length"] = TOO_LONG
            field.help_text = (
                format_lazy("{} {}", field.help_text, limit_sentence(limit))
                if field.help_text
                else limit_sentence(limit)
            )


class NoLabelSuffix:
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class Form(ErrorSummary, NoLabelSuffix, forms.Form):
    pass


class ModelForm(ErrorSummary, NoLabelSuffix, forms.ModelForm):
    pass


def posted(request):
    """The form data to bind: a POST is bound even when empty, so it gets its errors."""
    return request.POST if request.method == "POST" else None
