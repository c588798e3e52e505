"""Events choose how reports are encrypted. Events that existed before keep the
server key their cases are wrapped to; new events seal reports to people."""

from django.db import migrations, models

_MODE = models.CharField(
    choices=[
        ("personal", "Per person: only the response team's own keys open reports"),
        ("server", "Server key: simpler, for small events (the server can open reports)"),
    ],
    default="personal",
    max_length=16,
    verbose_name="how reports are encrypted",
    help_text=(
        "Per person: each report is sealed to the keys of the responders and leads who may "
        "read it (and the organisation's recovery key); a copy of the server and its "
        "database cannot open it. Server key: the server holds a key that opens every "
        "report; easier, weaker."
    ),
)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0004_alert_channels_and_escalation"),
    ]

    operations = [
        # Existing rows get "server" (what their cases are wrapped to), then the default moves.
        migrations.AddField(
            model_name="event",
            name="vault_mode",
            field=models.CharField(default="server", max_length=16),
        ),
        migrations.AlterField(model_name="event", name="vault_mode", field=_MODE),
        migrations.AddField(
            model_name="organisation",
            name="recovery_created_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="organisation",
            name="recovery_public_key",
            field=models.BinaryField(blank=True, null=True),
        ),
    ]
