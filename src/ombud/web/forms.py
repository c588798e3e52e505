"""Base form classes: labels are questions or names, so no colon after them."""

from django import forms
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import ngettext


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
    return ngettext("At most %(limit)s character.", "At most %(limit)s characters.", limit) % {
        "limit": number_format(limit, force_grouping=True)
    }


limit_sentence = lazy(_limit_sentence, str)


class TextKept:
    """Nothing typed is cut or garbled.

    A ``maxlength`` in the page cuts a paste silently, so none is rendered: the
    server refuses a longer text with an error and the form comes back with all of
    it. A text area says its limit instead. Free text takes the direction of what
    is typed in it (``dir="auto"``), so Arabic inside English reads right.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            cut = widget.attrs.pop("maxlength", None) is not None
            if isinstance(widget, forms.Textarea):
                widget.attrs.setdefault("dir", "auto")
                if cut and getattr(field, "max_length", None):
                    field.help_text = _with_limit(field.help_text, field.max_length)
            elif type(widget) is forms.TextInput and widget.attrs.get("type", "text") == "text":
                widget.attrs.setdefault("dir", "auto")


def _with_limit(help_text, limit: int):
    if not help_text:
        return limit_sentence(limit)
    return format_lazy("{} {}", help_text, limit_sentence(limit))


class NoLabelSuffix:
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class Form(ErrorSummary, TextKept, NoLabelSuffix, forms.Form):
    pass


class ModelForm(ErrorSummary, TextKept, NoLabelSuffix, forms.ModelForm):
    pass


def posted(request):
    """The form data to bind: a POST is bound even when empty, so it gets its errors."""
    return request.POST if request.method == "POST" else None
