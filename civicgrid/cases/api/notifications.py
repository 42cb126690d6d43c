"""The caller's inbox (the kernel's notices about cases or any other object): list, mark one or
all as read. The read marks are core.notifications'; this router adds the case a notice is
about, which only cases knows."""

from typing import Annotated, Any

from django.db.models import F, QuerySet
from ninja import Query, Router

from civicgrid.core import notifications
from civicgrid.core.choices import Action
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageSize, paginate
from civicgrid.core.rest import READ_ERRORS, WRITE_ERRORS

from ..models import Notification
from ..schemas import NotificationOut, NotificationPage, ReadAllOut
from .common import op

router = Router(tags=["cases"])


def notification_out(note: Notification) -> dict[str, Any]:
    return {
        "id": note.pk,
        "kind": note.kind,
        "kind_label": note.get_kind_display(),
        "text": note.message,
        # case_number: annotated by _inbox(); None for a notice about anything else.
        "case": {"id": note.object_id, "number": note.case_number} if note.case_number else None,  # type: ignore[attr-defined]
        "url": note.url,
        "created_at": note.created_at,
        "read_at": note.read_at,
    }


def _inbox(user: Any) -> QuerySet[Notification]:
    return (
        Notification.objects.restrict(user, Action.VIEW)
        .annotate(case_number=F("case__number"))
        .only("id", "kind", "text", "params", "url", "created_at", "read_at", "object_id")
    )


@router.get(
    "/notifications",
    response={200: NotificationPage, **READ_ERRORS},
    summary="我的通知",
    operation_id=op("list_notifications"),
)
def list_notifications(
    request: Any,
    unread: Annotated[bool | None, Query(description="true：只看未读；false：只看已读")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The caller's own inbox (the web page's 通知), newest first."""
    qs = _inbox(request.auth)
    if unread is not None:
        qs = qs.filter(read_at__isnull=unread)
    return paginate(qs.order_by("-created_at", "-id"), page, page_size, notification_out)


@router.post(
    "/notifications/{notification_id}/read",
    operation_id=op("read_notification"),
    response={200: NotificationOut, **WRITE_ERRORS},
    summary="标记通知为已读",
)
def read_notification(request: Any, notification_id: int) -> dict[str, Any]:
    """Idempotent: reading an already read notice keeps its first read time."""
    note = notifications.mark_read(request.auth, notification_id)
    return notification_out(_inbox(request.auth).get(pk=note.pk))


@router.post(
    "/notifications/read-all",
    response={200: ReadAllOut, **WRITE_ERRORS},
    summary="全部标为已读",
    operation_id=op("read_all_notifications"),
)
def read_all_notifications(request: Any) -> dict[str, Any]:
    return {"updated": notifications.mark_all_read(request.auth)}
