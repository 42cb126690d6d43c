"""Deliveries now come from the domain event log (core.events, consumer "webhooks"): the events
cases 0008 wrote for the timeline so far were delivered the old way, so it starts after them."""

from django.db import migrations
from django.db.models import Max


def start_after_history(apps, schema_editor):
    last = apps.get_model("core", "Event").objects.aggregate(last=Max("pk"))["last"] or 0
    apps.get_model("core", "EventCursor").objects.update_or_create(
        name="webhooks", defaults={"last_event_id": last}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0002_clock_stamped"),
        ("cases", "0009_caseevent_domain_event"),
    ]

    operations = [migrations.RunPython(start_after_history, migrations.RunPython.noop, elidable=True)]
