"""What every object page with a machine does with its actions: list the forms of the actions
the reader may take now, and run one form's POST through the object's frame (then back to the
object's page, PRG, with a message saying what happened). Apps call these from thin views."""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .action_forms import ActionForm
from .errors import ActionError, Conflict
from .frame import Frame
from .models import Event
from .workflow import Machine


def problems(form: forms.Form) -> str:
    """A form's errors in one line, each named by its field's label."""
    return "；".join(
        (f"{form.fields[name].label}：{err}" if name in form.fields else str(err))
        for name, errs in form.errors.items()
        for err in errs
    )


def error_field(exc: Exception, form: forms.Form) -> str | None:
    """The form field an action's error names, if the form shows it (else None: the form's own
    error), for `form.add_error(error_field(exc, form), exc.message)`."""
    field = next(iter(getattr(exc, "fields", {}) or {}), None)
    return field if field in form.fields else None


def submit(request: HttpRequest, form: forms.Form, call: Any, failure: str, success: str = "") -> Any:
    """Run an action (`call` with the valid form's cleaned data) for a page's own form: a
    refusal is shown on the field it names and as a message after `failure`; done, the message
    `success` if given. None when the form or the action refused."""
    if not form.is_valid():
        messages.error(request, _("%(what)s：%(problems)s") % {"what": failure, "problems": problems(form)})
        return None
    try:
        done = call(form.cleaned_data)
    except (ActionError, forms.ValidationError) as exc:
        message = exc.message if isinstance(exc, ActionError) else "；".join(exc.messages)
        if isinstance(exc, ActionError):
            form.add_error(error_field(exc, form), message)
        messages.error(request, _("%(what)s：%(problems)s") % {"what": failure, "problems": message})
        return None
    if success:
        messages.success(request, success)
    return done


def action_forms(
    frame: Frame, obj: Any, user: Any, skip: Iterable[str] = ()
) -> list[tuple[str, str, ActionForm]]:
    """(action, label, form) for each action `user` may take on `obj` now through `frame`,
    in table order; `skip` leaves out those with a page of their own (the phone form)."""
    machine, left_out = frame.machine, set(skip)
    return [
        (
            action,
            machine.label(action),
            ActionForm(obj=obj, user=user, transition=machine[action], auto_id=f"id_{action}_%s"),
        )
        for action in machine.allowed_actions(obj, user)
        if action not in left_out and frame.takes(action)
    ]


def post_action(request: HttpRequest, frame: Frame, obj: Any, action: str, ref: Any = None) -> HttpResponse:
    """One action form's POST on `obj` (found in the reader's scope by the caller): run it,
    say what happened, back to the object's page. `ref` is what the frame loads (its pk)."""
    machine = frame.machine
    if action not in machine.actions.values or not frame.takes(action):
        raise Http404(_("没有这个操作"))
    label = machine.label(action)
    form = ActionForm(request.POST, request.FILES, obj=obj, user=request.user, transition=machine[action])
    if not form.is_valid():
        if "version" in form.errors:
            messages.error(request, _("页面已过期，请刷新后重试。"))
        else:
            messages.error(
                request, _("未能%(action)s：%(problems)s") % {"action": label, "problems": problems(form)}
            )
        return redirect(obj.get_absolute_url())
    try:
        done = frame.run(obj.pk if ref is None else ref, action, request.user, form.params())
    except Conflict:
        messages.error(request, _("%(noun)s已被他人更新，请刷新") % {"noun": machine.noun})
    except ActionError as exc:
        messages.error(request, _("未能%(action)s：%(message)s") % {"action": label, "message": exc.message})
    else:
        messages.success(request, _("已%(action)s") % {"action": label})
        obj = done
    return redirect(obj.get_absolute_url())


def timeline(
    obj: Any,
    machine: Machine | None = None,
    labels: Mapping[str, Any] | None = None,
    extra: Callable[[Event], Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """An object's events, newest first, for core/_event_timeline.html: each named by its
    machine's action (else by `labels`, else by its code), with who took it and their note;
    `extra` adds what a page shows of an event's payload besides."""
    # lint: allow-unrestricted (the events of an object the caller found in the reader's scope)
    rows = Event.objects.filter(app=obj._meta.app_label, object_type=obj._meta.model_name, object_id=obj.pk)
    named = labels or {}
    return [
        {
            "at": e.at,
            "label": machine.label(e.action)
            if machine is not None and e.action in machine
            else named.get(e.action, e.action),
            "actor": e.actor_label or _("系统"),
            "note": e.payload.get("note", ""),
            **(extra(e) if extra is not None else {}),
        }
        for e in rows.order_by("-at", "-id")
    ]
