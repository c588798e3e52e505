"""Timeline entries of linked cases keep the other case's id, not its code name:
the name is shown only to readers who may see that case (services.timeline)."""

from django.db import migrations


def by_id(apps, schema_editor):
    entry_model = apps.get_model("cases", "TimelineEntry")
    case_model = apps.get_model("cases", "Case")
    for entry in entry_model.objects.filter(kind="linked").select_related("case"):
        detail = dict(entry.detail)
        name = detail.pop("other", None)
        if "other_id" in detail:
            continue
        other = case_model.objects.filter(event_id=entry.case.event_id, code_name=name).first()
        detail["other_id"] = str(other.pk) if other else None
        entry.detail = detail
        entry.save(update_fields=["detail"])


def by_name(apps, schema_editor):
    entry_model = apps.get_model("cases", "TimelineEntry")
    case_model = apps.get_model("cases", "Case")
    for entry in entry_model.objects.filter(kind="linked"):
        detail = dict(entry.detail)
        other = case_model.objects.filter(pk=detail.pop("other_id", None) or None).first()
        detail["other"] = other.code_name if other else ""
        entry.detail = detail
        entry.save(update_fields=["detail"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_categories")]

    operations = [migrations.RunPython(by_id, by_name)]
