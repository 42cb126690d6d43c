"""Case.called_back_at (the last callback's time, kept by record_callback) and the partial
index of the 待回访 queue, which replaces the (street, status, callback deadline) index."""

from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery


def fill_called_back_at(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Callback = apps.get_model("cases", "Callback")
    last = (
        Callback.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(m=Max("at"))
        .values("m")
    )
    Case.objects.filter(pk__in=Callback.objects.values("case")).update(called_back_at=Subquery(last))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_drop_single_column_indexes_covered_by_composites"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="called_back_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="最近回访时间"),
        ),
        migrations.RunPython(fill_called_back_at, migrations.RunPython.noop, elidable=True),
        migrations.RemoveIndex(model_name="case", name="case_street_callback_idx"),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("called_back_at__isnull", True), ("status", "closed")),
                fields=["street", "callback_due_at"],
                name="case_awaiting_callback_idx",
            ),
        ),
    ]
