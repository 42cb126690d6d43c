"""Deliveries of any app's objects (inspections' orders, group-rent entries, tasks), not only
cases: the case fields become optional, object_type/object_id/object_number name the object
(a case's too, existing rows filled in), and the once-only constraint counts per object type
(a case's event_id is its timeline row, another object's the domain event)."""

from django.db import migrations, models
from django.db.models import F


def name_cases(apps, schema_editor):
    apps.get_model("webhooks", "Delivery").objects.update(
        object_type="case", object_id=F("case_id"), object_number=F("case_number")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0003_consume_events"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="delivery",
            name="webhooks_delivery_once",
        ),
        migrations.AddField(
            model_name="delivery",
            name="object_id",
            field=models.BigIntegerField(blank=True, null=True, verbose_name="对象 ID"),
        ),
        migrations.AddField(
            model_name="delivery",
            name="object_number",
            field=models.CharField(blank=True, default="", max_length=32, verbose_name="对象编号"),
        ),
        migrations.AddField(
            model_name="delivery",
            name="object_type",
            field=models.CharField(blank=True, default="", max_length=32, verbose_name="对象类型"),
        ),
        migrations.AlterField(
            model_name="delivery",
            name="case_id",
            field=models.BigIntegerField(blank=True, null=True, verbose_name="工单 ID"),
        ),
        migrations.AlterField(
            model_name="delivery",
            name="case_number",
            field=models.CharField(blank=True, default="", max_length=32, verbose_name="工单编号"),
        ),
        migrations.RunPython(name_cases, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.UniqueConstraint(
                fields=("subscription", "object_type", "event_id"), name="webhooks_delivery_once"
            ),
        ),
    ]
