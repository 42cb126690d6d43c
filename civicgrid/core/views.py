"""Views that work for every app: the audit history of any registry object.

core imports no app, so models are looked up by label; only audited models with
`objects.restrict` qualify, and the object itself must be visible to the user.
"""

from typing import Any

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from .choices import Action, AuditEvent
from .models import AuditedModel, AuditLog

HISTORY_PAGE_SIZE = 50


def _registry_model(app_label: str, model_name: str) -> type[models.Model]:
    try:
        model = apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        raise Http404(_("没有这种对象")) from None
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
