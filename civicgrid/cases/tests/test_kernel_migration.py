"""cases migration 0008 moves case photos and notifications into the kernel's tables with
their ids (the API's photo URLs and the inbox's read links name them) and files, and back."""

from datetime import UTC, datetime

from civicgrid.testing.factories import historical_case

BEFORE = [("cases", "0007_response_overdue_and_ladder")]
AFTER = [("cases", "0008_photos_and_notifications_in_the_kernel")]


def test_photos_and_notifications_move_with_their_ids(migrator):
    apps = migrator.migrate(BEFORE)
    area = apps.get_model("geo", "Area")
    district = area.objects.create(kind="district", code="990001", name="旧区", path="990001/")
    street = area.objects.create(kind="street", code="990001001", name="旧街道", parent=district)
    category = apps.get_model("cases", "Category").objects.create(code="E9", name="旧分类")
    user = apps.get_model("accounts", "User").objects.create(username="old-user", role="dispatcher")
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    case = historical_case(apps, street, category, "990001001-2026-000007", at)
    event = apps.get_model("cases", "CaseEvent").objects.create(
        case=case, at=at, action="comment", street_id=street.pk
    )
    photo = apps.get_model("cases", "Photo").objects.create(
        id=41,
        case=case,
        event=event,
        stage="after",
        image="cases/2026/01/old.png",
        thumbnail="cases/2026/01/old_thumb.jpg",
        width=640,
        height=480,
        uploaded_by=user,
        street=street,
    )
    notification = apps.get_model("cases", "Notification")
    about_case = notification.objects.create(
        id=52, user=user, case=case, kind="dispatched", text="新派单", key="d:1", street=street
    )
    notification.objects.create(id=53, user=user, kind="case_update", text="系统通知", key="s:1")

    apps = migrator.migrate(AFTER)
    moved = apps.get_model("core", "Attachment").objects.get()
    assert (moved.pk, moved.object_id, moved.event_id, moved.street_id) == (41, case.pk, event.pk, street.pk)
    assert (moved.file.name, moved.thumbnail.name, moved.media_type) == (
        "cases/2026/01/old.png",
        "cases/2026/01/old_thumb.jpg",
        "image/png",
    )
    assert (moved.stage, moved.width, moved.uploaded_by_id) == ("after", 640, user.pk)
    assert moved.content_type.model == "case" and moved.uploaded_at == photo.uploaded_at
    notes = {n.pk: n for n in apps.get_model("core", "Notification").objects.all()}
    assert set(notes) == {52, 53}
    assert (notes[52].object_id, notes[52].street_id, notes[52].url) == (
        case.pk,
        street.pk,
        "/cases/990001001-2026-000007/",
    )
    assert notes[52].created_at == about_case.created_at and notes[52].content_type.model == "case"
    assert (notes[53].content_type_id, notes[53].url, notes[53].kind) == (None, "", "case_update")
    # New rows continue after the moved ids.
    new = apps.get_model("core", "Notification").objects.create(user_id=user.pk, kind="x", text="x", key="n")
    assert new.pk > 53

    attachment = apps.get_model("core", "Attachment")  # core's state is the same before
    apps = migrator.migrate(BEFORE)
    assert apps.get_model("cases", "Photo").objects.get().pk == 41
    back = apps.get_model("cases", "Notification").objects.values_list("pk", flat=True)
    assert set(back) == {52, 53, new.pk}
    assert not attachment.objects.exists()
