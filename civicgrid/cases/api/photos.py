"""A case's photos: list, download (file or thumbnail, ETag) and the multipart upload."""

import mimetypes
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from ninja import File, Form, Query, Router, Status, UploadedFile

from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageSize, paginate
from civicgrid.core.rest import NOT_MODIFIED, READ_ERRORS, WRITE_ERRORS, get_by_id, make_etag, not_modified

from .. import actions
from ..choices import PhotoStage
from ..errors import InvalidInput, NotFound
from ..models import Case, Photo
from ..schemas import PhotoPage, PhotoUploadOut
from .actions import if_match_version
from .common import case_for_records, event_out, op, photo_out

router = Router(tags=["cases"])
# One upload at most (each file up to CIVICGRID_PHOTO_MAX_BYTES).
MAX_PHOTOS_PER_UPLOAD = 9


def _photos(user: Any, case: Case) -> QuerySet[Photo]:
    return Photo.objects.restrict(user, Action.VIEW).filter(case=case).select_related("uploaded_by")


@router.get(
    "/cases/{ref}/photos",
    response={200: PhotoPage, **READ_ERRORS},
    summary="工单照片列表",
    operation_id=op("list_photos"),
)
def list_photos(
    request: Any,
    ref: str,
    stage: Annotated[PhotoStage | None, Query(description="before 处置前 / after 处置后")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """Each photo with the URLs of the file and its thumbnail; both need the same token
    (photos are never public files)."""
    user = request.auth
    case = case_for_records(user, ref)
    qs = _photos(user, case)
    if stage:
        qs = qs.filter(stage=stage)
    return paginate(qs.order_by("uploaded_at", "id"), page, page_size, lambda p: photo_out(p, case, request))


IMAGE_RESPONSE = {
    "responses": {
        "200": {
            "description": "照片文件（EXIF 已去除）",
            "content": {
                f"image/{kind}": {"schema": {"type": "string", "format": "binary"}}
                for kind in ("jpeg", "png", "webp")
            },
        }
    }
}


@router.get(
    "/cases/{ref}/photos/{photo_id}",
    operation_id=op("get_photo"),
    response={**NOT_MODIFIED, **READ_ERRORS},
    summary="下载工单照片",
    url_name="case_photo",
    openapi_extra=IMAGE_RESPONSE,
)
def get_photo(
    request: Any,
    response: HttpResponse,
    ref: str,
    photo_id: int,
    size: Annotated[Literal["full", "thumb"], Query(description="full 原图 / thumb 缩略图")] = "full",
) -> Any:
    """The file itself, only to callers who may see the case (404 otherwise, as for the case).
    The bytes never change, so the ETag lets clients keep them: If-None-Match → 304."""
    user = request.auth
    case = case_for_records(user, ref)
    photo = get_by_id(_photos(user, case), photo_id)
    field = photo.thumbnail if size == "thumb" and photo.thumbnail else photo.image
    if not_modified(request, response, make_etag(photo, field.name)):
        return Status(304, None)
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        raise NotFound("照片文件不存在") from None
    content_type = mimetypes.guess_type(field.name or "")[0] or "application/octet-stream"
    served = FileResponse(handle, content_type=content_type)
    served["ETag"] = response["ETag"]
    served["Cache-Control"] = "private, max-age=3600"
    return served


@router.post(
    "/cases/{ref}/photos",
    operation_id=op("upload_photos"),
    response={201: PhotoUploadOut, **WRITE_ERRORS},
    summary="上传工单照片",
)
def upload_photos(
    request: Any,
    ref: str,
    photos: Annotated[
        list[UploadedFile],
        File(description=f"照片文件（JPEG/PNG/WebP，可多张，最多 {MAX_PHOTOS_PER_UPLOAD} 张）"),
    ],
    stage: Annotated[PhotoStage, Form(description="before 处置前（现场）/ after 处置后")] = PhotoStage.AFTER,
    note: Annotated[str, Form(description="说明（写入工单动态；缺省为“上传了 N 张…照片”）")] = "",
    version: Annotated[int | None, Form(description="读到的版本号，过期则 409")] = None,
) -> Status[dict[str, Any]]:
    """multipart/form-data upload through `actions.add_photos`: every file is validated first
    (an invalid one is a 400 naming `photos`, and nothing is written), then the photos, one
    timeline row and the version bump are written in one transaction. Any staff role that
    sees the case may upload; honours If-Match like the actions."""
    user = request.auth
    if len(photos) > MAX_PHOTOS_PER_UPLOAD:
        raise InvalidInput(f"一次最多上传 {MAX_PHOTOS_PER_UPLOAD} 张照片", {"photos": "too_many"})
    matched = if_match_version(request, user, ref)
    with acting_as(user, "api"):
        event = actions.add_photos(
            ref,
            user,
            photos=list(photos),
            stage=stage,
            note=note,
            version=version if version is not None else matched,
        )
    case = event.case
    return Status(
        201,
        {
            "version": case.version,
            "event": event_out(event),
            "photos": [
                photo_out(p, case, request) for p in event.photos.select_related("uploaded_by").order_by("id")
            ],
        },
    )
