"""Form pieces shared by the reporter's and the staff's pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ombud.cases.services import attachments


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
