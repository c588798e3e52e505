"""Receiving files: in memory only, and never more than the limits allow.

Django's default handlers spill big uploads to a temporary file: that would put
a report's evidence on disk unencrypted. This handler keeps every file in
memory, stops storing a file once it is over ``ATTACHMENT_MAX_BYTES`` (or the
request over ``ATTACHMENT_MAX_TOTAL_BYTES``) and flags it, so the form can say
which file was too big instead of failing the whole request.
"""

from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class BoundedMemoryUpload(FileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        self.kept = 0  # bytes held for this request, over all its files

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = BytesIO()
        self.too_large = False

    def receive_data_chunk(self, raw_data, start):
        if self.too_large:
            return
        size = self.buffer.tell() + len(raw_data)
        if (
            size > settings.ATTACHMENT_MAX_BYTES
            or self.kept + len(raw_data) > settings.ATTACHMENT_MAX_TOTAL_BYTES
        ):
            self.kept -= self.buffer.tell()
            self.buffer = BytesIO()
            self.too_large = True
            return
        self.buffer.write(raw_data)
        self.kept += len(raw_data)
        return

    def file_complete(self, file_size):
        self.buffer.seek(0)
        upload = InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
        upload.too_large = self.too_large
        return upload
