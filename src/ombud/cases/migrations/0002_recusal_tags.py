"""Recusals name their person by a keyed tag, and seal who it is with the reason."""

from django.db import migrations, models


def to_tags(apps, schema_editor):
    Recusal = apps.get_model("cases", "Recusal")
    rows = list(Recusal.objects.all())
    if not rows:
        return
    # Existing rows need the vault's key file: the tag is keyed, the reason sealed.
    from ombud.cases.services.recusal import tag_for  # noqa: PLC0415
    from ombud.vault import services as vault  # noqa: PLC0415

    for row in rows:
        case_key = vault.open_as_server(row.case_id)
        context = f"{row.case_id}:{row.user_id}"
        reason = case_key.open("recusal", context, row.sealed_reason)["reason"]
        row.user_tag = tag_for(row.user_id)
        row.sealed = case_key.seal(
            "recusal", f"{row.case_id}:{row.user_tag}", {"reason": reason, "user_id": row.user_id}
        )
        row.save(update_fields=["user_tag", "sealed"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial"), ("vault", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="recusal", name="user_tag", field=models.CharField(max_length=64, null=True)
        ),
        migrations.AddField(
            model_name="recusal", name="sealed", field=models.BinaryField(null=True)
        ),
        migrations.RunPython(to_tags, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="recusal", name="recused_once"),
        migrations.RemoveField(model_name="recusal", name="user"),
        migrations.RemoveField(model_name="recusal", name="sealed_reason"),
        migrations.AlterField(
            model_name="recusal", name="user_tag", field=models.CharField(max_length=64)
        ),
        migrations.AlterField(model_name="recusal", name="sealed", field=models.BinaryField()),
        migrations.AddConstraint(
            model_name="recusal",
            constraint=models.UniqueConstraint(
                fields=("case", "user_tag"), name="recused_once_by_tag"
            ),
        ),
    ]
