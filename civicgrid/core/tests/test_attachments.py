"""Attachments of any object (core.attachments): a photo of a handling unit passes the same
checks as a case photo and is seen exactly by those who see the unit."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import reverse
from PIL import Image

from civicgrid.core import attachments
from civicgrid.core.choices import AuditEvent, Role
from civicgrid.core.errors import Forbidden, InvalidInput, NotFound
from civicgrid.core.models import Attachment, AuditLog
from civicgrid.geo.models import Building
from civicgrid.orgs.models import Unit
from civicgrid.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


class UnitPhoto(models.TextChoices):
    SIGN = "sign", "门牌"
    OFFICE = "office", "办公场所"


@pytest.fixture
def units_take_photos(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(attachments, "OWNERS", dict(attachments.OWNERS))
    attachments.accept(Unit, stages=UnitPhoto)
    return tmp_path


def photo(fmt: str = "JPEG", name: str = "sign.jpg") -> SimpleUploadedFile:
    image = Image.new("RGB", (800, 600), "red")
    exif = Image.Exif()
    exif[0x010F] = "手机厂商"  # Make
    exif[0x8825] = {1: "N", 2: (31.0, 12.0, 0.0), 3: "E", 4: (121.0, 30.0, 0.0)}  # GPS
    buf = io.BytesIO()
    image.save(buf, format=fmt, **({"exif": exif} if fmt == "JPEG" else {}))
    return SimpleUploadedFile(name, buf.getvalue())


def files_in(folder) -> list:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_a_unit_photo_is_checked_stripped_and_thumbnailed(world, units_take_photos):
    admin, unit = world.user("east", Role.ADMIN), world.east.unit
    (row,) = attachments.add_attachments(admin, unit, [photo()], stage=UnitPhoto.SIGN)
    assert (row.owner, row.street_id, row.stage) == (unit, world.east.street.pk, "sign")
    assert row.get_stage_display() == "门牌" and row.uploaded_by == admin
    assert (row.width, row.height, row.media_type) == (800, 600, "image/jpeg")
    assert row.size == row.file.size > 0
    with Image.open(row.file.path) as stored:
        exif = stored.getexif()
        assert not exif.get_ifd(0x8825) and 0x010F not in exif  # no GPS position, no maker
    with Image.open(row.thumbnail.path) as thumb:
        assert max(thumb.size) <= 320
    logged = AuditLog.objects.get(content_type__model="attachment", object_id=str(row.pk))
    assert (logged.event, logged.actor, logged.street_id) == (AuditEvent.CREATE, admin, world.east.street.pk)


@pytest.mark.parametrize(
    ("upload", "error"),
    [
        (SimpleUploadedFile("x.jpg", b"not an image"), {"files": "invalid_image"}),
        (photo("GIF", "x.gif"), {"files": "format"}),
    ],
)
def test_bad_files_are_refused_naming_the_field(world, units_take_photos, upload, error):
    with pytest.raises(InvalidInput) as refused:
        attachments.add_attachments(
            world.user("east", Role.ADMIN), world.east.unit, [photo(), upload], stage=UnitPhoto.SIGN
        )
    assert refused.value.fields == error and upload.name in str(refused.value)
    assert not Attachment.objects.exists() and not files_in(units_take_photos)


def test_too_large_a_wrong_stage_or_no_file_is_refused(world, units_take_photos, settings):
    admin, unit = world.user("east", Role.ADMIN), world.east.unit
    with pytest.raises(InvalidInput, match="门牌") as wrong:
        attachments.add_attachments(admin, unit, [photo()], stage="selfie")
    assert wrong.value.fields == {"stage": "invalid_choice"}
    with pytest.raises(InvalidInput) as empty:
        attachments.add_attachments(admin, unit, [], stage=UnitPhoto.SIGN)
    assert empty.value.fields == {"files": "required"}
    settings.CIVICGRID_PHOTO_MAX_BYTES = 1024
    with pytest.raises(InvalidInput, match="超过") as large:
        attachments.add_attachments(admin, unit, [photo()], stage=UnitPhoto.SIGN)
    assert large.value.fields == {"files": "too_large"}
    assert not Attachment.objects.exists()


def test_only_accepting_models_take_attachments(world, units_take_photos):
    building = Building.objects.first()
    with pytest.raises(InvalidInput) as refused:
        attachments.add_attachments(world.user("east", Role.ADMIN), building, [photo()])
    assert refused.value.fields == {"object": "not_accepted"}


def test_an_attachment_is_seen_exactly_by_those_who_see_its_owner(world, units_take_photos):
    unit = world.east.unit
    (row,) = attachments.add_attachments(world.user("east", Role.ADMIN), unit, [photo()], stage="office")
    root = UserFactory(username="root", role=Role.ADMIN, is_superuser=True)
    for user in [*world.east.users.values(), *world.west.users.values(), root]:
        sees_unit = Unit.objects.restrict(user, "view").filter(pk=unit.pk).exists()
        assert Attachment.objects.restrict(user, "view").filter(pk=row.pk).exists() == sees_unit, user
    assert not Attachment.objects.restrict(world.user("west", Role.ADMIN), "view").exists()
    assert Attachment.objects.restrict(world.user("east", Role.CADRE), "view").get() == row
    assert not Attachment.objects.restrict(world.user("east", Role.CADRE), "change").exists()
    # Adding follows the owner too: outside its scope it does not exist, inside read-only is refused.
    with pytest.raises(NotFound):
        attachments.add_attachments(world.user("west", Role.ADMIN), unit, [photo()], stage="office")
    with pytest.raises(Forbidden):
        attachments.add_attachments(world.user("east", Role.CADRE), unit, [photo()], stage="office")
    assert Attachment.objects.count() == 1


def test_a_failing_write_leaves_no_row_and_no_file(world, units_take_photos, monkeypatch):
    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Attachment, "save", broken)
    with pytest.raises(OSError):
        attachments.add_attachments(world.user("east", Role.ADMIN), world.east.unit, [photo()], stage="sign")
    assert not files_in(units_take_photos)


# ---------------------------------------------------------------------------- serving


def test_any_attachment_is_served_to_those_who_see_its_owner(world, units_take_photos, client):
    unit = world.east.unit
    (row,) = attachments.add_attachments(world.user("east", Role.ADMIN), unit, [photo()], stage="office")
    full, thumb = f"/attachments/{row.pk}/", f"/attachments/{row.pk}/thumb/"
    assert (reverse("core:attachment", args=[row.pk]), reverse("core:attachment_thumb", args=[row.pk])) == (
        full,
        thumb,
    )
    client.force_login(world.user("east", Role.CADRE))  # sees the unit, may not change it
    response = client.get(full)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, max-age=3600"
    name = row.file.name.rsplit("/", 1)[-1]
    assert response["Content-Disposition"] == f'inline; filename="{name}"'
    assert b"".join(response.streaming_content) == row.file.open("rb").read()
    small = client.get(thumb)
    with Image.open(io.BytesIO(b"".join(small.streaming_content))) as image:
        assert small["Content-Type"] == "image/jpeg" and max(image.size) <= 320
    # Whoever does not see the unit gets what a missing attachment gets: 404, never 403.
    for user in [world.user("west", Role.ADMIN), world.user("west", Role.CADRE)]:
        client.force_login(user)
        assert client.get(full).status_code == 404 and client.get(thumb).status_code == 404
    assert client.get(f"/attachments/{row.pk + 1}/").status_code == 404
    assert client.get(f"/attachments/{2**70}/").status_code == 404
    client.logout()
    assert client.get(full)["Location"].startswith(reverse("accounts:login"))


def test_an_attachment_without_thumbnail_or_file(world, units_take_photos, client):
    (row,) = attachments.add_attachments(
        world.user("east", Role.ADMIN), world.east.unit, [photo("PNG", "sign.png")], stage="sign"
    )
    client.force_login(world.user("east", Role.ADMIN))
    Attachment.objects.filter(pk=row.pk).update(thumbnail="")
    fallback = client.get(f"/attachments/{row.pk}/thumb/")  # the file itself
    assert fallback.status_code == 200 and fallback["Content-Type"] == "image/png"
    row.file.storage.delete(row.file.name)
    assert client.get(f"/attachments/{row.pk}/").status_code == 404
