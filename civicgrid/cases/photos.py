"""Photo intake: Pillow-validated, size-limited, EXIF (and so GPS location) stripped, thumbnailed."""

import io
import uuid
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InvalidInput

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_PIXELS = 40_000_000  # refuse decompression bombs long before Pillow's own warning


def clean_photo(upload: Any, field: str = "photos") -> tuple[ContentFile, ContentFile, int, int]:
    """Validate an uploaded file and return (image, thumbnail, width, height) re-encoded
    without metadata. Raises InvalidInput naming the file."""
    name = getattr(upload, "name", "photo")
    size = getattr(upload, "size", None)
    limit = settings.CIVICGRID_PHOTO_MAX_BYTES
    if size is not None and size > limit:
        raise InvalidInput(f"照片 {name} 超过 {limit // (1024 * 1024)} MB", {field: "too_large"})
    data = upload.read()
    if len(data) > limit:
        raise InvalidInput(f"照片 {name} 超过 {limit // (1024 * 1024)} MB", {field: "too_large"})
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
            raise InvalidInput(f"照片 {name} 像素过多", {field: "too_large"})
        # Apply the EXIF orientation, then drop every metadata block (EXIF GPS included).
        image = ImageOps.exif_transpose(image)
        clean = Image.new(image.mode, image.size)
        clean.paste(image)
    except InvalidInput:
        raise
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
    return (
        ContentFile(out.getvalue(), name=f"{stem}.{ext}"),
        ContentFile(thumb_out.getvalue(), name=f"{stem}_thumb.jpg"),
        clean.width,
        clean.height,
    )
