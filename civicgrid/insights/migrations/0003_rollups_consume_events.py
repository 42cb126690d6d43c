"""The rollups' watermark moves to their event consumer's cursor (core.EventCursor
"insights.rollups"): the same ids, since cases 0008 gave each timeline row an event with its id."""

from django.db import migrations


def move_watermark(apps, schema_editor):
    state = apps.get_model("insights", "RollupState").objects.filter(pk=1).first()
    if state is not None:
        apps.get_model("core", "EventCursor").objects.update_or_create(
            name="insights.rollups",
            defaults={
                "last_event_id": state.last_event_id,
                "gap_id": state.gap_id,
                "gap_seen_at": state.gap_seen_at,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0002_city_rollups"),
        ("cases", "0009_caseevent_domain_event"),
    ]

    operations = [
        migrations.RunPython(move_watermark, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(model_name="rollupstate", name="gap_id"),
        migrations.RemoveField(model_name="rollupstate", name="gap_seen_at"),
        migrations.RemoveField(model_name="rollupstate", name="last_event_id"),
    ]
