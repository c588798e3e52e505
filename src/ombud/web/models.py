from django.db import models


class SharedState(models.Model):
    """Short-lived state every node must see alike (``web.shared``): rate-limit counts
    and the hotline's call state, when the database is PostgreSQL. Keys are keyed
    hashes, never an address, a number or anything a report says."""

    key = models.CharField(max_length=120, primary_key=True)
    count = models.IntegerField(default=0)
    value = models.TextField(default="")
    # Seconds since the epoch: compared in SQL the same way on both databases.
    expires = models.BigIntegerField(db_index=True)

    class Meta:
        db_table = "web_sharedstate"  # named in web.shared's SQL

    def __str__(self):
        return self.key
