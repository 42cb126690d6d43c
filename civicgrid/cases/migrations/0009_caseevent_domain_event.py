"""Each timeline row points at its domain event (docs/decisions/0006). The rows written before
get one each, with the same id (the event table is new, so the ids are free; one INSERT …
SELECT, no Python per row); the notices of those events were sent the old way, so the
notifications consumer starts after them."""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    event = apps.get_model("core", "Event")._meta.db_table
    timeline = apps.get_model("cases", "CaseEvent")._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(event)} (id, app, object_type, object_id, action, street_id, version, "
            "actor_id, actor_label, at, payload) "
            f"SELECT id, 'cases', 'case', case_id, action, street_id, NULL, actor_id, actor_label, at, '{{}}' "
            f"FROM {quote(timeline)}"
        )
        cursor.execute(f"UPDATE {quote(timeline)} SET event_id = id")
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
                f"FROM {quote(event)}",
                [event],
            )
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quote(event)}")
        (last,) = cursor.fetchone()
    apps.get_model("core", "EventCursor").objects.update_or_create(
        name="cases.notifications", defaults={"last_event_id": last}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_photos_and_notifications_in_the_kernel"),
        ("core", "0009_domain_events"),
    ]

    operations = [
        migrations.AddField(
            model_name="caseevent",
            name="event",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="case_event",
                to="core.event",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
