"""Base form classes: labels are questions or names, so no colon after them."""

from django import forms


class NoLabelSuffix:
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class Form(NoLabelSuffix, forms.Form):
    pass


class ModelForm(NoLabelSuffix, forms.ModelForm):
    pass


def posted(request):
    """The form data to bind: a POST is bound even when empty, so it gets its errors."""
    return request.POST if request.method == "POST" else None
