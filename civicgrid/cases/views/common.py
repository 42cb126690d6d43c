"""Helpers shared by the work-order pages: who may open which page, the case lookup inside
the user's scope and how much of the reporter a role may see."""

from typing import Any

from django import forms
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from civicgrid.core import capabilities
from civicgrid.core.choices import Action
from civicgrid.core.privacy import RevealReason, may_reveal_phone
from civicgrid.core.privacy import reporter_view as privacy_reporter_view
from civicgrid.core.querysets import user_scope
from civicgrid.core.redact import redact

from ..errors import CaseError
from ..models import Case


def role_of(user: Any) -> str | None:
    scope = user_scope(user)
    return scope.role if scope is not None else None


def require(request: HttpRequest, capability: str) -> None:
    """Pages a role has no use for answer 404, like objects outside the scope."""
    capabilities.require(request.user, capability)


def visible_case(request: HttpRequest, number: str) -> Case:
    qs = Case.objects.restrict(request.user, Action.VIEW).select_related(
        "category",
        "category__parent",
        "street",
        "residential_area",
        "grid",
        "building",
        "lead_unit",
        "master",
    )
    return get_object_or_404(qs, number=number)


def reporter_view(case: Case, user: Any) -> dict[str, Any]:
    """The reporter as this user may see them. The phone is always masked here; roles that
    need it (privacy.reveal_phone) get `may_reveal`, a button that asks for it and
    leaves a PersonalDataAccess row. Nothing at all of an anonymous reporter shows to others."""
    desk = may_reveal_phone(user)
    out = privacy_reporter_view(case.reporter_name, case.reporter_phone, case.reporter_anonymous, desk=desk)
    out["may_reveal"] = desk and bool(case.reporter_phone)
    if out["may_reveal"]:
        out["reasons"] = RevealReason.choices  # offered; any other reason may be typed
    return out


def description_view(case: Case, user: Any) -> dict[str, Any]:
    """The description as the case page shows it: the personal data typed into it masked;
    roles that may reveal a phone get `may_reveal` (查看原文, logged) when anything was masked."""
    text = redact(case.description)
    may_reveal = may_reveal_phone(user) and text != case.description
    out: dict[str, Any] = {"text": text, "may_reveal": may_reveal, "revealed": False}
    if may_reveal:
        out["reasons"] = RevealReason.choices
    return out


def form_error(form: forms.Form, exc: CaseError) -> None:
    """An action's refusal on the form: under the field it names (a point's under the
    address), else above the form."""
    field = next((f for f in exc.fields if f in form.fields), None)
    if field in ("lon", "lat"):
        field = "address"
    form.add_error(field, exc.message)
