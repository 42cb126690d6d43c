"""Case photos and notifications move into the kernel's generic tables (core.Attachment,
core.Notification), keeping their ids — the API's photo URLs and the inbox's read links
name them — and the photo files where they are. One INSERT … SELECT per table, so a large
inbox moves in one statement; the reverse moves the case rows back."""

from django.core.management.color import no_style
from django.db import migrations
from django.urls import reverse

MEDIA_TYPE = (
    "CASE WHEN lower(image) LIKE '%%.png' THEN 'image/png' "
    "WHEN lower(image) LIKE '%%.webp' THEN 'image/webp' ELSE 'image/jpeg' END"
)


def _case_type(apps):
    content_type = apps.get_model("contenttypes", "ContentType")
    return content_type.objects.get_or_create(app_label="cases", model="case")[0].pk


def _reset_sequences(schema_editor, *models):
    with schema_editor.connection.cursor() as cursor:
        for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


def to_kernel(apps, schema_editor):
    ct = _case_type(apps)
    # The case page's URL around the number, e.g. "/cases/" + number + "/".
    before, after = reverse("cases:case", args=["NUMBER"]).split("NUMBER")
    q = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_attachment (id, content_type_id, object_id, street_id, stage, file, "
            "thumbnail, media_type, size, width, height, uploaded_by_id, uploaded_at, event_id) "
            f"SELECT id, %s, case_id, street_id, stage, image, thumbnail, {MEDIA_TYPE}, 0, width, "
            "height, uploaded_by_id, uploaded_at, event_id FROM cases_photo",
            [ct],
        )
        cursor.execute(
            "INSERT INTO core_notification (id, user_id, content_type_id, object_id, street_id, kind, "
            f"text, url, created_at, read_at, {q('key')}) "
            "SELECT n.id, n.user_id, CASE WHEN n.case_id IS NULL THEN NULL ELSE %s END, n.case_id, "
            "n.street_id, n.kind, n.text, CASE WHEN c.id IS NULL THEN '' ELSE %s || c.number || %s END, "
            f"n.created_at, n.read_at, n.{q('key')} "
            "FROM cases_notification n LEFT JOIN cases_case c ON c.id = n.case_id",
            [ct, before, after],
        )
    _reset_sequences(
        schema_editor, apps.get_model("core", "Attachment"), apps.get_model("core", "Notification")
    )


def from_kernel(apps, schema_editor):
    ct = _case_type(apps)
    q = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_photo (id, case_id, event_id, stage, image, thumbnail, uploaded_by_id, "
            "uploaded_at, width, height, street_id) SELECT id, object_id, event_id, stage, file, "
            "thumbnail, uploaded_by_id, uploaded_at, width, height, street_id FROM core_attachment "
            "WHERE content_type_id = %s",
            [ct],
        )
        cursor.execute("DELETE FROM core_attachment WHERE content_type_id = %s", [ct])
        mine = "content_type_id IS NULL OR content_type_id = %s"
        cursor.execute(
            f"INSERT INTO cases_notification (id, user_id, case_id, kind, text, created_at, read_at, "
            f"{q('key')}, street_id) SELECT id, user_id, object_id, kind, text, created_at, read_at, "
            f"{q('key')}, street_id FROM core_notification WHERE {mine}",
            [ct],
        )
        cursor.execute(f"DELETE FROM core_notification WHERE {mine}", [ct])
    _reset_sequences(schema_editor, apps.get_model("cases", "Photo"), apps.get_model("cases", "Notification"))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_response_overdue_and_ladder"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0008_attachment_notification"),
    ]
    # The photos arrive with size 0; core 0010 fills the sizes in from storage afterwards.
    run_before = [("core", "0010_attachment_sizes")]

    operations = [
        migrations.RunPython(to_kernel, from_kernel),
        migrations.RemoveIndex(model_name="notification", name="notification_inbox_idx"),
        migrations.RemoveField(model_name="notification", name="case"),
        migrations.RemoveField(model_name="notification", name="street"),
        migrations.RemoveField(model_name="notification", name="user"),
        migrations.DeleteModel(name="Photo"),
        migrations.DeleteModel(name="Notification"),
        migrations.CreateModel(
            name="Photo",
            fields=[],
            options={
                "verbose_name": "照片",
                "verbose_name_plural": "照片",
                "ordering": ["uploaded_at", "id"],
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("core.attachment",),
        ),
    ]
