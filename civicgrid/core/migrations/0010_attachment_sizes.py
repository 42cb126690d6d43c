"""The case photos that cases migration 0008 moved into core.Attachment were written with
size 0 (the old table had no size): fill it in from storage for every row still at 0. A file
that is missing, or that the storage cannot size, leaves its row at 0; a row already sized is
not touched, so running it again changes nothing. Backwards there is nothing to undo."""

from django.core.exceptions import SuspiciousOperation
from django.db import migrations

BATCH = 500


def stored_size(storage, name):
    """The file's size in bytes; 0 when it is missing or cannot be read."""
    try:
        return storage.size(name) if storage.exists(name) else 0
    except (OSError, ValueError, SuspiciousOperation):
        return 0


def fill_sizes(apps, schema_editor):
    attachment = apps.get_model("core", "Attachment")
    storage = attachment._meta.get_field("file").storage
    rows = attachment.objects.using(schema_editor.connection.alias).filter(size=0).exclude(file="")
    sized = []
    for pk, name in rows.values_list("pk", "file").iterator(chunk_size=BATCH):
        size = stored_size(storage, name)
        if size:
            sized.append(attachment(pk=pk, size=size))
    attachment.objects.using(schema_editor.connection.alias).bulk_update(sized, ["size"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_domain_events"),
    ]
    # cases 0008 (which wrote the rows at size 0) runs first: its `run_before` says so, core
    # names no app.

    operations = [
        migrations.RunPython(fill_sizes, migrations.RunPython.noop),
    ]
