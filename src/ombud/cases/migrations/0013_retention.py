from django.db import migrations, models


def closed_when(apps, schema_editor):
    """Cases closed before the field existed: closed at their last change to "closed"
    in the timeline (else their last change at all)."""
    Case = apps.get_model("cases", "Case")
    TimelineEntry = apps.get_model("cases", "TimelineEntry")
    for case in Case.objects.filter(status="closed", closed_at__isnull=True).iterator():
        last = (
            TimelineEntry.objects.filter(case=case, kind="status_changed", detail__to="closed")
            .order_by("-at")
            .values_list("at", flat=True)
            .first()
        )
        Case.objects.filter(pk=case.pk).update(closed_at=last or case.updated_at)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0012_channels_inbox_and_oral_reports"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="closed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="case",
            name="expunge_rule",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.AddField(
            model_name="case",
            name="expunged_at",
            field=models.DateTimeField(blank=True, db_index=True, null=True),
        ),
        migrations.RunPython(closed_when, migrations.RunPython.noop),
    ]
