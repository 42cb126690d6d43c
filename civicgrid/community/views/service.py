"""The service centre's pages (phone first): the catalogue with today's responsible of each item
(and the badge when A is away; staff names only for the desk, who may see the accounts), an
item and its booking page (a day, its slots with places left), an appointment (the resident's
ticket and cancel; the desk's steps), the desk's queue of today (htmx polling), staff leave
(record, cancel, who covers what), 上门办 (list, request, one request, the assignee's
"我的上门任务" with the completion form) and the figures. Thin: parse, call one action, render;
every query through restrict()."""

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.core import action_views, clock, profile
from civicgrid.core.action_forms import ActionForm
from civicgrid.core.capabilities import may, require
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError
from civicgrid.core.models import Attachment
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.residents.models import Person

from ..actions import service as actions
from ..actions.frames import APPOINTMENT_FRAME, HOME_SERVICE_FRAME
from ..choices import (
    AppointmentAction,
    AppointmentStatus,
    ContactChannel,
    HomeServiceAction,
    HomeServicePhoto,
    HomeServiceReason,
    HomeServiceStatus,
    LeaveKind,
    ServiceCategory,
)
from ..filters.service import HomeServiceFilterSet
from ..models import Appointment, HomeService, ServiceCentre, ServiceItem, StaffLeave, Window
from ..querysets import OWN_ROWS_ONLY
from ..routing import route, routes
from ..service_figures import (
    bounds,
    home_on_time,
    no_show_rate,
    queue_now,
    served_per_day,
    waiting,
    waiting_by,
)
from ..service_slots import bookable_days, day_slots

VIEW, DESK, SERVICE, BOOK = "community.view", actions.DESK, actions.SERVICE, actions.BOOK
HOME_PAGE = 50
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
EVENT_LABELS = {
    actions.BOOK_APPOINTMENT: gettext_lazy("预约"),
    actions.WALK_IN: gettext_lazy("现场取号"),
    actions.REQUEST_HOME: gettext_lazy("申请上门办"),
}


def _items(user: Any) -> Any:
    return (
        ServiceItem.objects.restrict(user, Action.VIEW)
        .filter(active=True)
        .select_related("window", "a_staff", "b_staff", "centre__duty_officer")
    )


# ---------------------------------------------------------------------------- the catalogue


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    """The items by category, each with its documents, time limit, window and today's responsible."""
    require(request.user, VIEW)
    items = list(_items(request.user).order_by("category", "code"))
    today = routes(items, clock.now())
    groups = [
        {"label": label, "items": [(i, today[i.pk]) for i in items if i.category == value]}
        for value, label in ServiceCategory.choices
    ]
    resident = may(request.user, OWN_ROWS_ONLY)
    mine = (
        Appointment.objects.restrict(request.user, Action.VIEW)
        .filter(user=request.user.pk, status__in=[AppointmentStatus.BOOKED, AppointmentStatus.WAITING])
        .select_related("item", "slot")
        .order_by("-pk")[:10]
        if resident
        else []
    )
    context = {
        "groups": [g for g in groups if g["items"]],
        "resident": resident,
        "mine": mine,
        "desk": may(request.user, DESK),
        "show_staff": may(request.user, DESK),
        "keeper": may(request.user, SERVICE),
    }
    return render(request, "community/service/catalogue.html", context)


def _item(request: HttpRequest, item_id: int) -> ServiceItem:
    require(request.user, VIEW)
    return get_object_or_404(_items(request.user), pk=item_id)


@login_required
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item(request, item_id)
    context = {
        "item": item,
        "route": route(item, clock.now()),
        "may_book": may(request.user, BOOK),
        "show_staff": may(request.user, DESK),
        "roles_form": RolesForm(item=item) if may(request.user, SERVICE) else None,
        "edit_form": _item_edit_form(item) if may(request.user, SERVICE) else None,
    }
    return render(request, "community/service/item.html", context)


class RolesForm(forms.Form):
    """An item's A and B: two of the street's desk staff (actions.assign_roles checks again)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    a_staff: Any = forms.ModelChoiceField(label=gettext_lazy("A角"), queryset=None, empty_label=None)  # type: ignore[arg-type]
    b_staff: Any = forms.ModelChoiceField(label=gettext_lazy("B角"), queryset=None, empty_label=None)  # type: ignore[arg-type]

    def __init__(self, data: Any = None, *, item: ServiceItem) -> None:
        initial = {"version": item.version, "a_staff": item.a_staff_id, "b_staff": item.b_staff_id}
        super().__init__(data, initial=initial)
        staff = actions.desk_staff(item.street_id).order_by("full_name", "pk")
        for name in ("a_staff", "b_staff"):
            self.fields[name].queryset = staff  # type: ignore[attr-defined]


@login_required
def item_roles(request: HttpRequest, item_id: int) -> HttpResponse:
    """Change an item's A and B (the street office)."""
    item = _item(request, item_id)
    require(request.user, SERVICE)
    if request.method != "POST":
        return redirect(item.get_absolute_url())
    form = RolesForm(request.POST, item=item)
    action_views.submit(
        request,
        form,
        lambda d: actions.assign_roles(request.user, item, **d),
        _("未能调整A角B角"),
        success=_("已调整A角与B角"),
    )
    return redirect(item.get_absolute_url())


# ---------------------------------------------------------------------------- the centre and items

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class CentreForm(forms.Form):
    """A street's service centre (actions.create_centre checks the street and the hours again)."""

    street = forms.ChoiceField(label=gettext_lazy("街道"))
    name = forms.CharField(label=gettext_lazy("名称"), max_length=80)
    address = forms.CharField(label=gettext_lazy("地址"), max_length=120, required=False)
    phone = forms.CharField(label=gettext_lazy("咨询电话"), max_length=30, required=False)
    opens = forms.TimeField(label=gettext_lazy("上午开始办理"), widget=TIME)
    closes = forms.TimeField(label=gettext_lazy("下午停止办理"), widget=TIME)

    def __init__(self, *args: Any, streets: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["street"].choices = [(a.pk, a.name) for a in streets]  # type: ignore[attr-defined]


class WindowForm(forms.Form):
    number = forms.IntegerField(label=gettext_lazy("窗口号"), min_value=1, max_value=999)
    name = forms.CharField(label=gettext_lazy("窗口名称"), max_length=40)


class ItemForm(forms.Form):
    """What an item's page edits (actions.update_item); its code and A/B are set when it is made."""

    name = forms.CharField(label=gettext_lazy("事项名称"), max_length=80)
    category = forms.ChoiceField(label=gettext_lazy("类别"), choices=ServiceCategory.choices)
    documents = forms.CharField(
        label=gettext_lazy("所需材料"),
        help_text=gettext_lazy("每行一项"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    description = forms.CharField(
        label=gettext_lazy("办理说明"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    time_limit_days = forms.IntegerField(
        label=gettext_lazy("办理时限（工作日）"),
        help_text=gettext_lazy("0 为即办"),
        min_value=0,
        max_value=365,
    )
    window = forms.ChoiceField(label=gettext_lazy("受理窗口"), required=False)
    per_slot = forms.IntegerField(label=gettext_lazy("每时段可约人数"), min_value=1, max_value=50)
    bookable = forms.BooleanField(label=gettext_lazy("可预约"), required=False)
    home_service = forms.BooleanField(label=gettext_lazy("可上门办理"), required=False)

    def __init__(self, *args: Any, centre: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        windows = [(w.pk, str(w)) for w in centre.windows.filter(active=True).order_by("number")]
        self.fields["window"].choices = [("", "—"), *windows]  # type: ignore[attr-defined]


class ItemEditForm(ItemForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class NewItemForm(ItemForm):
    code = forms.CharField(label=gettext_lazy("事项编码"), max_length=20)
    a_staff = forms.ChoiceField(label=gettext_lazy("A角"))
    b_staff = forms.ChoiceField(label=gettext_lazy("B角"))
    field_order = ["code", "name", "category", "a_staff", "b_staff"]

    def __init__(self, *args: Any, centre: Any, **kwargs: Any) -> None:
        super().__init__(*args, centre=centre, **kwargs)
        staff = [
            (u.pk, u.full_name or u.username) for u in actions.desk_staff(centre.street_id).order_by("pk")
        ]
        for name in ("a_staff", "b_staff"):
            self.fields[name].choices = staff  # type: ignore[attr-defined]
        if len(staff) > 1:  # two different people from the start
            self.initial.setdefault("b_staff", staff[1][0])


def _centres(user: Any) -> Any:
    return ServiceCentre.objects.restrict(user, Action.VIEW).select_related("street", "duty_officer")


@login_required
def centre(request: HttpRequest) -> HttpResponse:
    """The street office's centres, each with its windows (and the form to add one) and its
    items, active or not; a street of the user's without a centre gets the form to open one."""
    require(request.user, SERVICE)
    centres = list(_centres(request.user).order_by("street__code"))
    have = {c.street_id for c in centres}
    streets = Area.objects.restrict(request.user, Action.VIEW).filter(kind=AreaKind.STREET)
    missing = list(streets.exclude(pk__in=have).order_by("code"))
    form = CentreForm(request.POST or None, streets=missing) if missing else None
    if form is not None and request.method == "POST":
        made = action_views.submit(
            request,
            form,
            lambda d: actions.create_centre(request.user, **{**d, "street": int(d["street"])}),
            _("未能开设服务中心"),
            success=_("已开设服务中心"),
        )
        if made is not None:
            return redirect("community:centre")
    windows = Window.objects.restrict(request.user, Action.VIEW).order_by("number")
    items = (
        ServiceItem.objects.restrict(request.user, Action.VIEW)
        .select_related("window", "a_staff", "b_staff")
        .order_by("code")
    )
    rows = [
        {
            "centre": c,
            "windows": [w for w in windows if w.centre_id == c.pk],
            "items": [i for i in items if i.centre_id == c.pk],
            "window_form": WindowForm(auto_id=f"id_w{c.pk}_%s"),
        }
        for c in centres
    ]
    return render(request, "community/service/centre.html", {"rows": rows, "form": form})


def _centre(request: HttpRequest, centre_id: int) -> ServiceCentre:
    require(request.user, SERVICE)
    return get_object_or_404(_centres(request.user), pk=centre_id)


@login_required
def window_new(request: HttpRequest, centre_id: int) -> HttpResponse:
    home = _centre(request, centre_id)
    if request.method != "POST":
        return redirect("community:centre")
    action_views.submit(
        request,
        WindowForm(request.POST),
        lambda d: actions.add_window(request.user, home, **d),
        _("未能添加窗口"),
        success=_("已添加窗口"),
    )
    return redirect("community:centre")


def _cleaned_item(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "window": data["window"] or None}


@login_required
def item_new(request: HttpRequest, centre_id: int) -> HttpResponse:
    """A new catalogue item of a centre, with its A and B."""
    home = _centre(request, centre_id)
    form = NewItemForm(
        request.POST or None, centre=home, initial={"per_slot": 1, "time_limit_days": 0, "bookable": True}
    )
    if request.method == "POST":
        made = action_views.submit(
            request,
            form,
            lambda d: actions.create_item(request.user, home, **_cleaned_item(d)),
            _("未能新增事项"),
            success=_("已新增服务事项"),
        )
        if made is not None:
            return redirect(made.get_absolute_url())
    return render(request, "community/service/item_new.html", {"centre": home, "form": form})


def _item_edit_form(item: ServiceItem, data: Any = None) -> ItemEditForm:
    fields = ("name", "category", "documents", "description", "time_limit_days", "per_slot", "bookable")
    initial = {name: getattr(item, name) for name in (*fields, "home_service", "version")}
    return ItemEditForm(data, centre=item.centre, initial={**initial, "window": item.window_id or ""})


@login_required
def item_edit(request: HttpRequest, item_id: int) -> HttpResponse:
    """Change an item's documents, time limit, window… (the street office)."""
    require(request.user, SERVICE)
    # An item taken off the catalogue is still the office's to edit: not only the active ones.
    item = get_object_or_404(
        ServiceItem.objects.restrict(request.user, Action.VIEW).select_related("centre"), pk=item_id
    )
    if request.method != "POST":
        return redirect(item.get_absolute_url())
    action_views.submit(
        request,
        _item_edit_form(item, request.POST),
        lambda d: actions.update_item(request.user, item, **_cleaned_item(d)),
        _("未能修改事项"),
        success=_("已修改服务事项"),
    )
    return redirect(item.get_absolute_url())


class BookForm(forms.Form):
    starts_at = forms.DateTimeField(widget=forms.HiddenInput)
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=50, required=False)
    phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=30, required=False)
    channel = forms.ChoiceField(
        label=gettext_lazy("预约方式"),
        choices=[
            (ContactChannel.PHONE, ContactChannel.PHONE.label),
            (ContactChannel.DESK, ContactChannel.DESK.label),
        ],
        required=False,
    )
    note = forms.CharField(label=gettext_lazy("备注"), max_length=200, required=False)


@login_required
def book(request: HttpRequest, item_id: int) -> HttpResponse:
    """Choose a day, then one of its slots with places left; staff write down the caller."""
    item = _item(request, item_id)
    require(request.user, BOOK)
    resident = may(request.user, OWN_ROWS_ONLY)
    if request.method == "POST":
        form = BookForm(request.POST)
        made = action_views.submit(
            request,
            form,
            lambda d: actions.book_appointment(
                request.user,
                item,
                d["starts_at"],
                name=d["name"],
                phone=d["phone"],
                channel=d["channel"] or None,
                note=d["note"],
            ),
            _("未能预约"),
        )
        if made is not None:
            messages.success(
                request,
                _("已预约 %(at)s") % {"at": timezone.localtime(made.slot.starts_at).strftime("%m-%d %H:%M")},
            )
            return redirect(made.get_absolute_url())
    days = bookable_days(item) if item.bookable else []
    day = parse_date(request.GET.get("day") or "") or (days[0] if days else None)
    context = {
        "item": item,
        "days": days,
        "day": day,
        "slots": day_slots(item, day) if day in days else [],
        "resident": resident,
    }
    return render(request, "community/service/book.html", context)


# ---------------------------------------------------------------------------- appointments and the queue


def _appointment(request: HttpRequest, appointment_id: int) -> Appointment:
    require(request.user, VIEW)
    qs = Appointment.objects.restrict(request.user, Action.VIEW).select_related(
        "item", "slot", "window", "handled_by"
    )
    return get_object_or_404(qs, pk=appointment_id)


@login_required
def appointment_detail(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = _appointment(request, appointment_id)
    context = {
        "appointment": appointment,
        "action_forms": action_views.action_forms(APPOINTMENT_FRAME, appointment, request.user),
        "show_staff": may(request.user, DESK),
        "events": action_views.timeline(appointment, APPOINTMENT_FRAME.machine, EVENT_LABELS),
    }
    return render(request, "community/service/appointment.html", context)


@login_required
def appointment_act(request: HttpRequest, appointment_id: int, action: str) -> HttpResponse:
    if request.method != "POST":
        raise Http404
    appointment = _appointment(request, appointment_id)
    if request.POST.get("back") != "queue":
        return action_views.post_action(request, APPOINTMENT_FRAME, appointment, action)
    # From the queue page: the step runs and the desk stays on the queue.
    if action not in AppointmentAction.values:
        raise Http404
    form = ActionForm(
        request.POST, obj=appointment, user=request.user, transition=APPOINTMENT_FRAME.machine[action]
    )
    if action_views.submit(
        request,
        form,
        lambda d: APPOINTMENT_FRAME.run(appointment.pk, action, request.user, form.params()),
        _("未能办理"),
    ):
        messages.success(
            request,
            _("%(ticket)s：%(label)s")
            % {
                "ticket": appointment.ticket or appointment.name,
                "label": APPOINTMENT_FRAME.machine.label(action),
            },
        )
    return redirect("community:queue")


class WalkInForm(forms.Form):
    # lint: allow-unrestricted (empty until __init__ sets the reader's rows)
    item = forms.ModelChoiceField(label=gettext_lazy("服务事项"), queryset=ServiceItem.objects.none())
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=50)
    phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=30, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = _items(user).order_by("category", "code")  # type: ignore[attr-defined]


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Today at the desk: waiting in order with minutes waited, at the windows, still expected;
    the walk-in form. `?part=1` is the list alone (what htmx polls)."""
    require(request.user, DESK)
    now, today = clock.now(), clock.today()
    start, end = bounds(today, today)
    rows = Appointment.objects.restrict(request.user, Action.VIEW).select_related(
        "item", "window", "handled_by"
    )
    waiting_rows: list[Any] = list(
        rows.filter(status=AppointmentStatus.WAITING, arrived_at__gte=start, arrived_at__lt=end).order_by(
            "arrived_at", "pk"
        )
    )
    for a in waiting_rows:
        a.waited = int((now - a.arrived_at).total_seconds() // 60)
    context = {
        "waiting": waiting_rows,
        "serving": rows.filter(status=AppointmentStatus.SERVING, arrived_at__gte=start).order_by("called_at"),
        "expected": rows.filter(
            status=AppointmentStatus.BOOKED, slot__starts_at__gte=start, slot__starts_at__lt=end
        )
        .select_related("slot")
        .order_by("slot__starts_at", "pk"),
        "now": now,
    }
    if request.GET.get("part"):
        return render(request, "community/service/_queue.html", context)
    form = WalkInForm(request.POST or None, user=request.user)
    if request.method == "POST":
        made = action_views.submit(
            request,
            form,
            lambda d: actions.walk_in(request.user, d["item"], name=d["name"], phone=d["phone"]),
            _("未能取号"),
        )
        if made is not None:
            messages.success(request, _("已取号 %(ticket)s") % {"ticket": made.ticket})
            return redirect("community:queue")
    return render(request, "community/service/queue.html", {**context, "form": form})


# ---------------------------------------------------------------------------- leave


class LeaveForm(forms.Form):
    user = forms.ChoiceField(label=gettext_lazy("工作人员"))
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=LeaveKind.choices)
    starts_at = forms.DateTimeField(label=gettext_lazy("开始"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=gettext_lazy("结束"), widget=DATETIME)
    note = forms.CharField(label=gettext_lazy("说明"), max_length=120, required=False)

    def __init__(self, *args: Any, staff: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [(u.pk, u.full_name or u.username) for u in staff]  # type: ignore[attr-defined]


@login_required
def leave(request: HttpRequest) -> HttpResponse:
    """Leave now and ahead, each with the items it sends to B; the form to record one."""
    require(request.user, SERVICE)
    now = clock.now()
    streets = sorted(request.user.scope.street_ids)  # type: ignore[union-attr]
    staff = list({u.pk: u for s in streets for u in actions.desk_staff(s).order_by("pk")}.values())
    form = LeaveForm(request.POST or None, staff=staff)
    if request.method == "POST" and action_views.submit(
        request,
        form,
        lambda d: actions.record_leave(request.user, **{**d, "user": int(d["user"])}),
        _("未能登记"),
    ):
        messages.success(request, _("已登记请假"))
        return redirect("community:leave")
    rows = (
        StaffLeave.objects.restrict(request.user, Action.VIEW)
        .filter(ends_at__gt=now - timedelta(days=30))
        .select_related("user")
        .order_by("starts_at", "pk")
    )
    items = list(_items(request.user))
    covered = [
        {
            "leave": row,
            "items": [i for i in items if row.user_id in (i.a_staff_id, i.b_staff_id)],
            "current": row.cancelled_at is None and row.starts_at <= now < row.ends_at,
        }
        for row in rows
    ]
    return render(request, "community/service/leave.html", {"rows": covered, "form": form, "now": now})


@login_required
def leave_cancel(request: HttpRequest, leave_id: int) -> HttpResponse:
    require(request.user, SERVICE)
    if request.method != "POST":
        raise Http404
    row = get_object_or_404(StaffLeave.objects.restrict(request.user, Action.VIEW), pk=leave_id)
    try:
        actions.cancel_leave(request.user, row)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤销请假"))
    return redirect("community:leave")


# ---------------------------------------------------------------------------- 上门办


def _home_rows(user: Any) -> Any:
    return HomeService.objects.restrict(user, Action.VIEW).select_related("item", "assignee", "area")


@login_required
def home_services(request: HttpRequest) -> HttpResponse:
    require(request.user, VIEW)
    chosen = HomeServiceFilterSet(request.GET, _home_rows(request.user), user=request.user)
    rows = chosen.qs.order_by("-requested_at", "-pk")
    context = {
        "filter": chosen,
        "rows": rows[:HOME_PAGE],
        "total": rows.count(),
        "limit": HOME_PAGE,
        "may_request": may(request.user, BOOK),
        "desk": may(request.user, DESK),
        "today": clock.today(),
    }
    return render(request, "community/service/home_services.html", context)


class HomeRequestForm(forms.Form):
    # lint: allow-unrestricted (empty until __init__ sets the reader's rows)
    item = forms.ModelChoiceField(label=gettext_lazy("服务事项"), queryset=ServiceItem.objects.none())
    reason = forms.ChoiceField(label=gettext_lazy("上门原因"), choices=HomeServiceReason.choices)
    person = forms.ModelChoiceField(
        label=gettext_lazy("居民（实有人口）"),
        # lint: allow-unrestricted (empty until __init__ sets the reader's rows)
        queryset=Person.objects.none(),
        required=False,
    )
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=50, required=False)
    phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=30, required=False)
    address = forms.CharField(
        label=gettext_lazy("上门地址"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("留空：取实有人口登记的住址"),
    )
    need = forms.CharField(
        label=gettext_lazy("需求说明"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, user: Any, resident: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = _items(user).filter(home_service=True).order_by("category", "code")  # type: ignore[attr-defined]
        if resident:
            for name in ("person", "name"):
                del self.fields[name]
        else:
            people = (
                Person.objects.restrict(user, Action.VIEW)
                .filter(household__isnull=False)
                .order_by("name", "pk")
            )
            self.fields["person"].queryset = people  # type: ignore[attr-defined]


@login_required
def home_service_new(request: HttpRequest) -> HttpResponse:
    require(request.user, BOOK)
    resident = may(request.user, OWN_ROWS_ONLY)
    form = HomeRequestForm(
        request.POST or None, user=request.user, resident=resident, initial={"item": request.GET.get("item")}
    )
    if request.method == "POST":
        made = action_views.submit(
            request,
            form,
            lambda d: actions.request_home_service(request.user, d.pop("item"), **d),
            _("未能提交上门办申请"),
        )
        if made is not None:
            messages.success(request, _("已提交上门办申请 %(number)s") % {"number": made.number})
            return redirect(made.get_absolute_url())
    return render(request, "community/service/home_new.html", {"form": form, "resident": resident})


def _home(request: HttpRequest, home_service_id: int) -> HomeService:
    require(request.user, VIEW)
    return get_object_or_404(_home_rows(request.user), pk=home_service_id)


@login_required
def home_service_detail(request: HttpRequest, home_service_id: int) -> HttpResponse:
    request_row = _home(request, home_service_id)
    photos = Attachment.objects.restrict(request.user, Action.VIEW).filter(
        content_type=ContentType.objects.get_for_model(HomeService),
        object_id=request_row.pk,
        stage=HomeServicePhoto.VISIT,
    )
    context = {
        "home": request_row,
        "photos": photos.order_by("pk"),
        "action_forms": action_views.action_forms(HOME_SERVICE_FRAME, request_row, request.user),
        "show_staff": may(request.user, DESK),
        "events": action_views.timeline(request_row, HOME_SERVICE_FRAME.machine, EVENT_LABELS),
        "overdue": request_row.status in (HomeServiceStatus.REQUESTED, HomeServiceStatus.SCHEDULED)
        and request_row.due_on < clock.today(),
    }
    return render(request, "community/service/home_service.html", context)


@login_required
def home_service_act(request: HttpRequest, home_service_id: int, action: str) -> HttpResponse:
    if request.method != "POST":
        raise Http404
    response = action_views.post_action(request, HOME_SERVICE_FRAME, _home(request, home_service_id), action)
    if request.POST.get("back") == "tasks":
        return redirect("community:home_tasks")
    return response


@login_required
def home_tasks(request: HttpRequest) -> HttpResponse:
    """我的上门任务: the visits given to the reader, soonest first, each with its completion form."""
    require(request.user, DESK)
    rows = (
        _home_rows(request.user)
        .filter(assignee=request.user, status=HomeServiceStatus.SCHEDULED)
        .order_by("visit_at", "pk")
    )
    complete = HOME_SERVICE_FRAME.machine[HomeServiceAction.COMPLETE]
    tasks = [
        (r, ActionForm(obj=r, user=request.user, transition=complete, auto_id=f"id_{r.pk}_%s")) for r in rows
    ]
    return render(request, "community/service/home_tasks.html", {"tasks": tasks, "today": clock.today()})


# ---------------------------------------------------------------------------- figures


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    """Waiting times, served, no-shows and 上门办 on time for a period (default: this month)."""
    require(request.user, DESK)
    today = clock.today()
    first = parse_date(request.GET.get("from") or "") or today.replace(day=1)
    last = parse_date(request.GET.get("to") or "") or today
    if last < first or (last - first).days > 366:
        first, last = today.replace(day=1), today
    rows = Appointment.objects.restrict(request.user, Action.VIEW)
    homes = HomeService.objects.restrict(request.user, Action.VIEW)
    streets = sorted(request.user.scope.street_ids)  # type: ignore[union-attr]
    context = {
        "first": first,
        "last": last,
        "queue": queue_now(rows, today),
        "total": waiting(rows, first, last),
        "by": waiting_by(rows, first, last),
        "served": served_per_day(rows, first, last),
        "no_show": no_show_rate(rows, first, last),
        "home": home_on_time(homes, first, last, today),
        "target": profile.value(
            "community.waiting_target_minutes", streets[0] if len(streets) == 1 else None
        ),
    }
    return render(request, "community/service/figures.html", context)


urlpatterns = [
    path("service/", catalogue, name="service"),
    path("service/items/<int:item_id>/", item_detail, name="item"),
    path("service/items/<int:item_id>/book/", book, name="book"),
    path("service/items/<int:item_id>/roles/", item_roles, name="item_roles"),
    path("service/items/<int:item_id>/edit/", item_edit, name="item_edit"),
    path("service/centre/", centre, name="centre"),
    path("service/centre/<int:centre_id>/windows/", window_new, name="window_new"),
    path("service/centre/<int:centre_id>/items/new/", item_new, name="item_new"),
    path("service/appointments/<int:appointment_id>/", appointment_detail, name="appointment"),
    path(
        "service/appointments/<int:appointment_id>/act/<str:action>/", appointment_act, name="appointment_act"
    ),
    path("service/queue/", queue, name="queue"),
    path("service/leave/", leave, name="leave"),
    path("service/leave/<int:leave_id>/cancel/", leave_cancel, name="leave_cancel"),
    path("service/figures/", figures, name="service_figures"),
    path("service/home/", home_services, name="home_services"),
    path("service/home/new/", home_service_new, name="home_service_new"),
    path("service/home/tasks/", home_tasks, name="home_tasks"),
    path("service/home/<int:home_service_id>/", home_service_detail, name="home_service"),
    path("service/home/<int:home_service_id>/act/<str:action>/", home_service_act, name="home_service_act"),
]
