"""Base form classes: labels are questions or names, so no colon after them."""

from django import forms


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
