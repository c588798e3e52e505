"""What intake keeps for minutes, between a reporter's tries: never readable alone."""

import uuid

from django.db import models


class HeldFiles(models.Model):
    """Files chosen on a report form that came back with an error, kept for the retry.

    Sealed under a key that only the returned page holds (``intake.held``): the
    database and the server's key file together cannot open them. Gone after an
    hour, or as soon as the report is sent.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sealed = models.BinaryField()
    size = models.PositiveBigIntegerField()
    held_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"held files {self.id}"


class BrowserResend(models.Model):
    """The same report sent again from the same browser (Back, then Send again, which
    brings a fresh submission key) gets the first receipt back for a few minutes.

    Looked up by a keyed hash of the browser's own random cookie and the report's
    content; the receipt is sealed under a key derived from both
    (``vault.receipts.seal_for_resend``), so neither the database nor the key file
    opens it, and no other browser can.
    """

    digest = models.CharField(max_length=64, db_index=True)
    report = models.ForeignKey(
        "cases.Report", on_delete=models.CASCADE, related_name="browser_resends"
    )
    box = models.BinaryField()
    # What the report's files were (a keyed hash): a resend with other files is a new report.
    files_digest = models.CharField(max_length=64)
    sent_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"browser resend {self.pk}"
