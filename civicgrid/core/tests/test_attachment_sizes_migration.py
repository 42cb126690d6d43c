"""core migration 0010 fills in the size of the attachments cases migration 0008 moved in at
size 0, from storage; a missing file stays 0 and nothing fails; backwards it changes nothing."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.migrations.loader import MigrationLoader

BEFORE = [("core", "0009_domain_events")]
AFTER = [("core", "0010_attachment_sizes")]


def test_cases_0008_runs_first():
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    assert ("cases", "0008_photos_and_notifications_in_the_kernel") in graph.forwards_plan(AFTER[0])


def test_sizes_are_filled_in_from_storage(migrator, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    apps = migrator.migrate(BEFORE)
    content_type = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="cases", model="case"
    )[0]
    attachment = apps.get_model("core", "Attachment")

    def row(pk, name, size=0):
        return attachment.objects.create(
            id=pk, content_type=content_type, object_id=1, file=name, thumbnail="", size=size
        )

    stored = default_storage.save("cases/2026/01/old.jpg", ContentFile(b"x" * 1234))
    other = default_storage.save("cases/2026/01/other.png", ContentFile(b"y" * 77))
    row(1, stored)
    row(2, "cases/2026/01/gone.jpg")  # the file went missing long ago
    row(3, other, size=99)  # already sized (by an upload): not touched
    row(4, "")  # no file at all

    apps = migrator.migrate(AFTER)
    sizes = dict(apps.get_model("core", "Attachment").objects.values_list("pk", "size"))
    assert sizes == {1: 1234, 2: 0, 3: 99, 4: 0}

    apps = migrator.migrate(BEFORE)  # backwards: nothing to undo
    assert dict(apps.get_model("core", "Attachment").objects.values_list("pk", "size")) == sizes
    apps = migrator.migrate(AFTER)  # and again: nothing changes
    assert dict(apps.get_model("core", "Attachment").objects.values_list("pk", "size")) == sizes
