"""Files attached to any object (core.models.Attachment): the checks every upload passes
— the type sniffed from the bytes (Pillow), the size limit CIVICGRID_PHOTO_MAX_BYTES,
EXIF (and so the GPS position) stripped, a thumbnail made (CIVICGRID_PHOTO_THUMBNAIL) —,
the owners that accept attachments and how to store them with cleanup on rollback.

An app lets its model take attachments with `accept(Model, stages=SomeChoices)`; from then
on an attachment of one of its rows is visible exactly when the row is (`Model.objects.
restrict()`), and `add_attachments()` is the writer for apps without a timeline of their
own. Cases store photos with their timeline row through `store()` (cases.actions).
"""

import contextlib
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Q
from PIL import Image, ImageOps, UnidentifiedImageError

from .audit import acting_as, current_actor
from .audit import write as write_audit
from .choices import Action, AuditEvent
from .errors import Forbidden, InvalidInput, NotFound
from .models import Attachment

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_PIXELS = 40_000_000  # refuse decompression bombs long before Pillow's own warning


# ---------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class CleanedImage:
    """An upload that passed the checks, re-encoded without metadata, with its thumbnail."""

    file: ContentFile
    thumbnail: ContentFile
    width: int
    height: int
    media_type: str


def clean_image(upload: Any, field: str = "photos") -> CleanedImage:
    """Validate an uploaded file and return it re-encoded without metadata, with its
    thumbnail. Raises InvalidInput naming the file (and `field`)."""
    name = getattr(upload, "name", "photo")
    size = getattr(upload, "size", None)
    limit = settings.CIVICGRID_PHOTO_MAX_BYTES
    if size is not None and size > limit:
        raise InvalidInput(f"照片 {name} 超过 {limit // (1024 * 1024)} MB", {field: "too_large"})
    data = upload.read()
    if len(data) > limit:
        raise InvalidInput(f"照片 {name} 超过 {limit // (1024 * 1024)} MB", {field: "too_large"})
    too_big = InvalidInput(f"照片 {name} 图片尺寸过大", {field: "too_large"})
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image: Image.Image = Image.open(io.BytesIO(data))
        fmt = image.format or ""
        if fmt not in ALLOWED_FORMATS:
            raise InvalidInput(
                f"照片 {name} 的格式 {fmt or '未知'} 不受支持（请用 JPEG/PNG/WebP）", {field: "format"}
            )
        if image.width * image.height > MAX_PIXELS:
            raise too_big
        # Apply the EXIF orientation, then drop every metadata block (EXIF GPS included).
        image = ImageOps.exif_transpose(image)
        clean = Image.new(image.mode, image.size)
        clean.paste(image)
    except InvalidInput:
        raise
    except Image.DecompressionBombError as exc:
        # Pillow's own guard on the header's size, before our MAX_PIXELS could look.
        raise too_big from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(f"文件 {name} 不是有效的图片", {field: "invalid_image"}) from exc
    ext = ALLOWED_FORMATS[fmt]
    if fmt == "JPEG" and clean.mode not in ("RGB", "L"):
        clean = clean.convert("RGB")
    out = io.BytesIO()
    clean.save(out, format=fmt, quality=88)
    thumb = clean.copy()
    thumb.thumbnail(settings.CIVICGRID_PHOTO_THUMBNAIL)
    if thumb.mode not in ("RGB", "L"):
        thumb = thumb.convert("RGB")
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, format="JPEG", quality=80)
    stem = uuid.uuid4().hex
    return CleanedImage(
        ContentFile(out.getvalue(), name=f"{stem}.{ext}"),
        ContentFile(thumb_out.getvalue(), name=f"{stem}_thumb.jpg"),
        clean.width,
        clean.height,
        Image.MIME[fmt],
    )


# ---------------------------------------------------------------------------- owners


@dataclass(frozen=True)
class Owner:
    model: type[models.Model]
    # The stages (kinds) its attachments may have; None: any.
    stages: Any = None


OWNERS: dict[str, Owner] = {}


def accept(model: type[models.Model], *, stages: Any = None) -> None:
    """Let rows of `model` (whose manager has restrict()) take attachments of `stages`
    (a TextChoices class), called from the owning app's ready()."""
    OWNERS[model._meta.label_lower] = Owner(model, stages)


def owner_of(obj: models.Model) -> Owner:
    owner = OWNERS.get(obj._meta.label_lower)
    if owner is None:
        raise InvalidInput(f"{obj._meta.verbose_name}不能添加附件", {"object": "not_accepted"})
    return owner


def owner_scope_q(user: Any, action: str) -> Q:
    """Attachments whose owner `user` may see (`view`) or change (any other action)."""
    owner_action = Action.VIEW if str(action) == Action.VIEW else Action.CHANGE
    q = Q(pk__in=[])
    for owner in OWNERS.values():
        visible = owner.model._default_manager.restrict(user, owner_action).values("pk")  # type: ignore[attr-defined]
        q |= Q(content_type=ContentType.objects.get_for_model(owner.model), object_id__in=visible)
    return q


def stage_label(attachment: Attachment) -> str:
    ct = ContentType.objects.get_for_id(attachment.content_type_id)  # cached: no query per row
    owner = OWNERS.get(f"{ct.app_label}.{ct.model}")
    if owner is None or owner.stages is None or attachment.stage not in owner.stages.values:
        return attachment.stage
    return str(owner.stages(attachment.stage).label)


def check_stage(owner: Owner, stage: str) -> str:
    if owner.stages is not None and stage not in owner.stages.values:
        allowed = "、".join(f"{v}（{label}）" for v, label in owner.stages.choices)
        raise InvalidInput(f"附件阶段“{stage}”无效，可选：{allowed}", {"stage": "invalid_choice"})
    return str(stage)


# ---------------------------------------------------------------------------- storing


@dataclass
class StoredFiles:
    """Files written during a transaction, removed again if it rolls back."""

    names: list[str] = field(default_factory=list)

    def cleanup(self) -> None:
        for name in self.names:
            with contextlib.suppress(OSError):
                default_storage.delete(name)


def store(
    obj: models.Model,
    cleaned: Iterable[CleanedImage],
    stage: str,
    actor: Any,
    stored: StoredFiles,
    *,
    event_id: int | None = None,
    model: type[Attachment] = Attachment,
) -> list[Attachment]:
    """Write the files and their rows (inside the caller's transaction); every file name
    goes to `stored`, which the caller cleans up if the transaction rolls back. `model` may
    be a proxy of Attachment (cases' Photo)."""
    rows = []
    for image in cleaned:
        row = model(
            content_type=ContentType.objects.get_for_model(obj),
            object_id=obj.pk,
            street_id=getattr(obj, "street_id", None),
            stage=stage,
            media_type=image.media_type,
            size=image.file.size,
            width=image.width,
            height=image.height,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            event_id=event_id,
        )
        row.file.save(image.file.name or "", image.file, save=False)
        stored.names.append(row.file.name or "")
        row.thumbnail.save(image.thumbnail.name or "", image.thumbnail, save=False)
        stored.names.append(row.thumbnail.name or "")
        row.save()
        rows.append(row)
    return rows


def add_attachments(actor: Any, obj: models.Model, files: list[Any], *, stage: str = "") -> list[Attachment]:
    """The writer for owners without a timeline of their own: the actor must be able to
    change `obj` (NotFound if they cannot even see it, as if it did not exist; Forbidden if
    they only see it), every file is checked before anything is written, then one
    transaction stores them with an audit row each; files written before a rollback are
    removed again."""
    owner = owner_of(obj)
    rows_of = owner.model._default_manager  # its restrict() decides, as for the attachments
    if not rows_of.restrict(actor, Action.VIEW).filter(pk=obj.pk).exists():  # type: ignore[attr-defined]
        raise NotFound(f"{obj._meta.verbose_name}不存在")
    if not rows_of.restrict(actor, Action.CHANGE).filter(pk=obj.pk).exists():  # type: ignore[attr-defined]
        raise Forbidden(f"无权为该{obj._meta.verbose_name}添加附件")
    stage = check_stage(owner, stage)
    if not files:
        raise InvalidInput("请选择要上传的文件", {"files": "required"})
    cleaned = [clean_image(f, "files") for f in files]
    stored = StoredFiles()
    try:
        with acting_as(actor, current_actor()[1]), transaction.atomic():
            rows = store(obj, cleaned, stage, actor, stored)
            for row in rows:
                changes = {"object": str(obj), "stage": stage, "file": row.file.name}
                write_audit(row, AuditEvent.CREATE, changes)
    except BaseException:
        stored.cleanup()
        raise
    return rows
