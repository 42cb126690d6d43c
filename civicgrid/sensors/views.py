"""The sensors' pages (phone first): the alerts, live first (a cadre's list of whom to call),
one alert with its device, the last readings, its trail and the steps the reader may take; the
device register with each device's state. Thin: every query through restrict()."""

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from civicgrid.core import action_views, capabilities, clock
from civicgrid.core.capabilities import require
from civicgrid.core.choices import Action

from . import actions
from .actions.frames import ALERT_FRAME
from .choices import LIVE, AlertAction, AlertStatus, Condition
from .forms import DeviceForm, RetireForm
from .models import Alert, Device, Reading

VIEW = "sensors.view"
DEVICES = "sensors.devices"
PAGE = 100
READINGS = 48

app_name = "sensors"


def _alerts(user: Any) -> Any:
    return Alert.objects.restrict(user, Action.VIEW).select_related("device", "device__type", "case")


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    require(request.user, VIEW)
    rows = _alerts(request.user)
    status, condition = request.GET.get("status") or "live", request.GET.get("condition") or ""
    if status == "live":
        rows = rows.filter(status__in=LIVE)
    elif status in AlertStatus.values:
        rows = rows.filter(status=status)
    if condition in Condition.values:
        rows = rows.filter(condition=condition)
    context = {
        "alerts": list(rows.order_by("-opened_at", "-id")[:PAGE]),
        "status": status,
        "condition": condition,
        "statuses": [("live", AlertStatus.OPEN.label), *AlertStatus.choices],
        "conditions": Condition.choices,
    }
    return render(request, "sensors/alerts.html", context)


def _alert(request: HttpRequest, alert_id: int) -> Alert:
    require(request.user, VIEW)
    return get_object_or_404(_alerts(request.user).select_related("visit", "device__building"), pk=alert_id)


@login_required
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = _alert(request, alert_id)
    readings = Reading.objects.restrict(request.user, Action.VIEW).filter(device=alert.device_id)
    context = {
        "alert": alert,
        "readings": list(readings.order_by("-at")[:READINGS]),
        "action_forms": action_views.action_forms(ALERT_FRAME, alert, request.user),
        "events": action_views.timeline(alert, ALERT_FRAME.machine, dict(AlertAction.choices)),
    }
    return render(request, "sensors/alert.html", context)


@login_required
def alert_act(request: HttpRequest, alert_id: int, action: str) -> HttpResponse:
    if request.method != "POST":
        raise Http404
    return action_views.post_action(request, ALERT_FRAME, _alert(request, alert_id), action)


def _devices(user: Any) -> Any:
    return Device.objects.restrict(user, Action.VIEW).select_related(
        "type", "area", "building", "flat__building"
    )


@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    require(request.user, VIEW)
    rows = _devices(request.user).filter(active=True)
    kind = request.GET.get("type") or ""
    if kind:
        rows = rows.filter(type__code=kind)
    now = clock.now()
    devices = list(rows.order_by("type__code", "vendor_id")[:PAGE])
    live = set(
        Alert.objects.restrict(request.user, Action.VIEW)
        .filter(device__in=devices, status__in=LIVE)
        .values_list("device_id", flat=True)
    )
    context = {
        "rows": [
            {
                "device": d,
                "alert": d.pk in live,
                "offline": d.last_seen_at is None
                or d.last_seen_at < now - timedelta(minutes=d.type.offline_minutes),
            }
            for d in devices
        ],
        "type": kind,
        "total": rows.count(),
        "may_register": capabilities.may(request.user, DEVICES),
    }
    return render(request, "sensors/devices.html", context)


@login_required
def device_detail(request: HttpRequest, device_id: int) -> HttpResponse:
    require(request.user, VIEW)
    device = get_object_or_404(_devices(request.user), pk=device_id)
    readings = Reading.objects.restrict(request.user, Action.VIEW).filter(device=device)
    may_retire = device.active and capabilities.may(request.user, DEVICES)
    context = {
        "device": device,
        "readings": list(readings.order_by("-at")[:READINGS]),
        "alerts": list(_alerts(request.user).filter(device=device).order_by("-opened_at")[:20]),
        "retire_form": RetireForm(initial={"version": device.version}) if may_retire else None,
    }
    return render(request, "sensors/device.html", context)


@login_required
def device_new(request: HttpRequest) -> HttpResponse:
    """Register a device: a water meter watching an elderly person living alone, a detector or
    sensor in a building or at a place (the street office)."""
    require(request.user, DEVICES)
    form = DeviceForm(request.POST or None, user=request.user)
    if request.method == "POST":
        made = action_views.submit(
            request,
            form,
            lambda d: actions.devices.register_device(request.user, **d),
            _("未能登记设备"),
            success=_("已登记设备"),
        )
        if made is not None:
            return redirect(made.get_absolute_url())
    return render(request, "sensors/device_new.html", {"form": form})


@login_required
def device_retire(request: HttpRequest, device_id: int) -> HttpResponse:
    require(request.user, DEVICES)
    device = get_object_or_404(_devices(request.user), pk=device_id)
    if request.method != "POST":
        return redirect(device.get_absolute_url())
    action_views.submit(
        request,
        RetireForm(request.POST),
        lambda d: actions.devices.retire_device(request.user, device, **d),
        _("未能停用设备"),
        success=_("设备已停用"),
    )
    return redirect(device.get_absolute_url())


urlpatterns = [
    path("", alert_list, name="index"),
    path("alerts/<int:alert_id>/", alert_detail, name="alert"),
    path("alerts/<int:alert_id>/act/<str:action>/", alert_act, name="alert_act"),
    path("devices/", device_list, name="devices"),
    path("devices/new/", device_new, name="device_new"),
    path("devices/<int:device_id>/", device_detail, name="device"),
    path("devices/<int:device_id>/retire/", device_retire, name="device_retire"),
]
