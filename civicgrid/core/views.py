"""Views that work for every app: the audit history of any registry object, the inbox
(`/inbox/`: any app's notices, the reader's own read marks), the files attached to any
object (`/attachments/<pk>/`) and the logged reveal of any personal field (`/reveal/…`).

core imports no app, so models are looked up by label; only audited models with
`objects.restrict` qualify, and the object itself must be visible to the user. An
attachment is served to whoever sees its owner (`Attachment.objects.restrict()`), a 404 to
anyone else; `serve_attachment()` is the one place that answers with a file (cases' photo
URLs use it too).
"""

import mimetypes
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import notifications, personal, privacy
from .choices import Action, AuditEvent
from .errors import InvalidInput, NotFound
from .inputs import MAX_ID
from .models import Attachment, AuditedModel, AuditLog, Notification

HISTORY_PAGE_SIZE = 50
NOTIFICATIONS_PER_PAGE = 30
# Ids beyond a signed 64-bit integer exist nowhere (and SQLite refuses to compare them).


def _registry_model(app_label: str, model_name: str) -> type[models.Model]:
    try:
        model = apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        raise Http404(_("没有这种对象")) from None
    # lint: allow-unrestricted (asks whether the model can be restricted)
    if not issubclass(model, AuditedModel) or not hasattr(model._default_manager.all(), "restrict"):
        raise Http404(_("没有这种对象"))
    return model


def _label(model: type[models.Model], attname: str) -> str:
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return str(field.verbose_name)
    try:
        return str(model._meta.get_field(attname).verbose_name)  # type: ignore[union-attr]
    except (FieldDoesNotExist, AttributeError):
        return attname


def _rows(model: type[models.Model], entry: AuditLog) -> list[tuple[str, Any, Any]]:
    """(field label, before, after) for one log entry; a side that did not exist is None."""
    changes = entry.changes or {}
    rows: list[tuple[str, Any, Any]] = []
    for attname, value in changes.items():
        if entry.event == AuditEvent.UPDATE and isinstance(value, list) and len(value) == 2:
            before, after = value
        elif entry.event == AuditEvent.DELETE:
            before, after = value, None
        else:
            before, after = None, value
        rows.append((_label(model, attname), before, after))
    return rows


@login_required
def object_history(request: HttpRequest, app_label: str, model_name: str, pk: str) -> HttpResponse:
    model = _registry_model(app_label, model_name)
    visible = model._default_manager.all().restrict(request.user, Action.VIEW)  # type: ignore[attr-defined]
    try:
        obj = get_object_or_404(visible, pk=pk)
    except (ValueError, TypeError):
        raise Http404 from None
    page = Paginator(AuditLog.for_object(obj), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    entries = [(entry, _rows(model, entry)) for entry in page.object_list]
    return render(
        request,
        "core/object_history.html",
        {"object": obj, "opts": model._meta, "page": page, "entries": entries},
    )


# ---------------------------------------------------------------------------- inbox


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` the form carried when it points into this site, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The reader's notices about any object, newest first; `?show=unread` only the unread."""
    notes = Notification.objects.restrict(request.user, Action.VIEW)
    show = request.GET.get("show", "")
    if show == "unread":
        notes = notes.filter(read_at__isnull=True)
    page = Paginator(notes, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "core/inbox.html", {"page": page, "show": show})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notice read; htmx gets the row back (and an event the page may listen to)."""
    try:
        note = notifications.mark_read(request.user, pk)
    except NotFound:
        raise Http404 from None
    if getattr(request, "htmx", False):
        response = render(request, "core/_notification.html", {"note": note})
        response["HX-Trigger"] = "notifications-changed"
        return response
    return redirect(safe_next(request, reverse("core:inbox")))


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications.mark_all_read(request.user)
    messages.success(request, _("已将 %(n)s 条通知标为已读") % {"n": count})
    return redirect("core:inbox")


# ---------------------------------------------------------------------------- attachments


def serve_attachment(attachment: Attachment, size: str = "full") -> FileResponse:
    """Answer with an attachment's file — or, for `size` "thumb", its thumbnail when it has
    one — that the caller has already found through restrict(). Never a public file: a
    private cache, no type sniffing, inline with its stored name; 404 when the file is gone."""
    field = attachment.thumbnail if size == "thumb" and attachment.thumbnail else attachment.file
    try:
        handle = field.open("rb")
    except (OSError, ValueError):
        raise Http404(_("文件不存在")) from None
    content_type = mimetypes.guess_type(field.name or "")[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def attachment_file(request: HttpRequest, pk: int, size: str = "full") -> FileResponse:
    """A file attached to any object, for those who see the object; a 404 for anyone else,
    as for an attachment that does not exist (never a 403 that would tell it does)."""
    if not 0 < pk <= MAX_ID:
        raise Http404(_("文件不存在"))
    attachment = get_object_or_404(Attachment.objects.restrict(request.user, Action.VIEW), pk=pk)
    return serve_attachment(attachment, size)


# ---------------------------------------------------------------------------- reveal


@login_required
@require_POST
@never_cache
def reveal_personal(
    request: HttpRequest, app_label: str, model_name: str, pk: str, field: str
) -> HttpResponse:
    """Any personal field in full (the `{% personal %}` tag's button), for a role holding its
    capability, on a row the user sees; logged with the reason posted (privacy.reveal()).
    POST only, so that a prefetch or a crawler reveals nothing; everyone else gets a 404."""
    try:
        model = apps.get_model(app_label, model_name)
        personal.field_of(model, field)
        visible = model._default_manager.all().restrict(request.user, Action.VIEW)  # type: ignore[attr-defined]
        obj = visible.get(pk=pk)
    except (LookupError, ValueError, TypeError, AttributeError, ObjectDoesNotExist):
        raise Http404(_("页面不存在")) from None
    if not getattr(obj, field) or not privacy.may_reveal(request.user, obj, field):
        raise Http404(_("页面不存在"))
    context = privacy.personal_context(request.user, obj, field)
    try:
        context["revealed"] = privacy.reveal(
            request.user, obj, field, reason=request.POST.get("reason", ""), via=privacy.RevealVia.WEB
        )
    except InvalidInput as exc:
        context["error"] = exc.message
        status = 400
    else:
        status = 200
    template = "core/_personal.html" if getattr(request, "htmx", False) else "core/reveal.html"
    return render(request, template, context, status=status)
