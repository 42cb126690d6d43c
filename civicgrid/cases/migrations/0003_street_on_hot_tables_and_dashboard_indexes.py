"""Every hot table of the work-order loop carries its street (for a Citus plan distributed by
street, and so a street's rows are found without joining cases), plus the indexes the
dashboards need (docs/performance.md). The new columns are added nullable, filled from the
case in one UPDATE per table, then made NOT NULL (Notification stays nullable: a notice may
concern no case)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

CHILDREN = ("assignment", "photo", "callback", "supervision", "extensionrequest", "notification")
REQUIRED = tuple(name for name in CHILDREN if name != "notification")


def street_fk(null: bool) -> models.ForeignKey:
    return models.ForeignKey(
        blank=null,
        null=null,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="geo.area",
        verbose_name="街道",
    )


def fill_streets(apps, schema_editor):
    case_model = apps.get_model("cases", "Case")
    street = Subquery(case_model.objects.filter(pk=OuterRef("case_id")).values("street_id")[:1])
    for name in CHILDREN:
        model = apps.get_model("cases", name)
        # One set-based UPDATE per table, whatever its size.
        model.objects.filter(street__isnull=True, case__isnull=False).update(street_id=street)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_load_categories"),
        ("geo", "0001_initial"),
    ]

    operations = [
        *(migrations.AddField(model_name=name, name="street", field=street_fk(True)) for name in CHILDREN),
        migrations.RunPython(fill_streets, migrations.RunPython.noop),
        *(migrations.AlterField(model_name=name, name="street", field=street_fk(False)) for name in REQUIRED),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["street", "-received_at"], name="case_street_received_idx"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["street", "status", "handling_due_at", "id", "is_overdue"],
                name="case_street_handling_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["street", "status", "callback_due_at"], name="case_street_callback_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("responded_at__isnull", True)),
                fields=["response_due_at"],
                name="case_awaiting_response_idx",
            ),
        ),
    ]
