"""Fill DayRollup from the cases already there (from here on the rollups' event consumer keeps it)."""

from django.db import migrations
from django.db.models import Count
from django.db.models.functions import TruncDate


def fill(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    DayRollup = apps.get_model("insights", "DayRollup")
    # TruncDate reads the day in the current time zone (Asia/Shanghai), like the consumer.
    rows = (
        Case.objects.order_by()
        .values("street_id", "channel", day=TruncDate("received_at"))
        .annotate(n=Count("pk"))
        .iterator(chunk_size=5000)
    )
    batch = []
    for row in rows:
        batch.append(
            DayRollup(street_id=row["street_id"], day=row["day"], channel=row["channel"], received=row["n"])
        )
        if len(batch) >= 5000:
            DayRollup.objects.bulk_create(batch)
            batch = []
    DayRollup.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0004_dashboard_plans_reports"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
