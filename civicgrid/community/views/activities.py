"""The activities pages (phone-first): the activities list (ActivityFilterSet; residents see the
published ones, upcoming first), an activity (resident: sign up, cancel, their status and place on
the waiting list; staff: the roster with masked phones, the sign-up-by-phone form, check-in per
sign-up, the machine's actions, attendance, the trail), the new/edit and series forms, the venues
(list, one venue with rooms, hours and coming activities, create/edit), the check-in QR code of
the day and the resident's page it opens, and the attendance figures. Thin: parse, call one
action, render; every query through restrict()."""

from datetime import date
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicgrid.core import action_views, clock
from civicgrid.core.capabilities import may, require
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError

from ..actions import activities as actions
from ..actions.frames import ACTIVITY_FRAME
from ..activities_data import attendance
from ..checkin import code_for, read_code
from ..choices import ActivityAction, ActivityStatus, SignUpStatus
from ..filters.activities import ActivityFilterSet, VenueFilterSet
from ..forms.activities import ActivityForm, HoursForm, RoomForm, SeriesForm, VenueForm
from ..models import Activity, Room, SignUp, Venue
from ..querysets import OWN_ROWS_ONLY
from ..workflow import ACTIVITY_MACHINE

VIEW, VENUES, ACTIVITIES = "community.view", actions.VENUES, actions.ACTIVITIES
PAGE = 30
EVENT_LABELS = {
    actions.CREATE: gettext_lazy("登记活动"),
    actions.UPDATE: gettext_lazy("修改活动"),
    actions.CREATE_VENUE: gettext_lazy("登记场所"),
    actions.UPDATE_VENUE: gettext_lazy("修改场所"),
    actions.SET_HOURS: gettext_lazy("设置开放时间"),
    actions.ADD_ROOM: gettext_lazy("增加活动室"),
    actions.UPDATE_ROOM: gettext_lazy("修改活动室"),
}


# ---------------------------------------------------------------------------- helpers


def _activity(request: HttpRequest, activity_id: int) -> Activity:
    require(request.user, VIEW)
    rows = Activity.objects.restrict(request.user, Action.VIEW).select_related("venue", "room", "street")
    return get_object_or_404(rows, pk=activity_id)


def _venue(request: HttpRequest, venue_id: int) -> Venue:
    require(request.user, VIEW)
    return get_object_or_404(
        Venue.objects.restrict(request.user, Action.VIEW).select_related("area"), pk=venue_id
    )


ROSTER_AND_POSTS = (
    ActivityAction.CANCEL_SIGN_UP,
    ActivityAction.CHECK_IN,
    ActivityAction.ADD_SLOT,
    ActivityAction.ASSIGN_VOLUNTEER,
    ActivityAction.MARK_ABSENT,
)


def _counted(rows: QuerySet[Activity]) -> QuerySet[Activity]:
    return rows.annotate(
        confirmed=Count("sign_ups", filter=Q(sign_ups__status=SignUpStatus.CONFIRMED)),
        waiting=Count("sign_ups", filter=Q(sign_ups__status=SignUpStatus.WAITING)),
    )


# ---------------------------------------------------------------------------- activities


@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    """Upcoming first (soonest on top), then past ones (latest on top)."""
    require(request.user, VIEW)
    chosen = ActivityFilterSet(
        request.GET, Activity.objects.restrict(request.user, Action.VIEW), user=request.user
    )
    rows = chosen.qs if chosen.is_valid() else chosen.queryset.none()
    now, counted = clock.now(), _counted(rows.select_related("venue", "room"))
    coming = list(counted.filter(ends_at__gte=now).order_by("starts_at", "pk")[:PAGE])
    past = Paginator(counted.filter(ends_at__lt=now).order_by("-starts_at", "pk"), PAGE)
    page = past.get_page(request.GET.get("page"))
    context = {
        "filter": chosen,
        "coming": coming,
        "past": page,
        "may_create": may(request.user, ACTIVITIES),
        "resident": may(request.user, OWN_ROWS_ONLY),
        "query": request.GET.copy(),
    }
    return render(request, "community/activities/list.html", context)


@login_required
def activity_detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = _activity(request, activity_id)
    user: Any = request.user
    counts = actions.counts(activity)
    own = may(user, OWN_ROWS_ONLY)
    context: dict[str, Any] = {
        "activity": activity,
        "confirmed": counts[SignUpStatus.CONFIRMED],
        "waiting": counts[SignUpStatus.WAITING],
        "left": max(activity.capacity - counts[SignUpStatus.CONFIRMED], 0),
        "resident": own,
        "may_sign_up": ACTIVITY_MACHINE.allows(activity, ActivityAction.SIGN_UP, user),
        "may_cancel": ACTIVITY_MACHINE.allows(activity, ActivityAction.CANCEL_SIGN_UP, user),
    }
    if own:
        mine = (
            SignUp.objects.restrict(user, Action.VIEW)
            .filter(activity=activity, user=user)
            .exclude(status=SignUpStatus.CANCELLED)
            .first()
        )
        position = (
            actions.waiting_position(mine)
            if mine is not None and mine.status == SignUpStatus.WAITING
            else None
        )
        context.update(mine=mine, position=position)
        return render(request, "community/activities/detail_resident.html", context)
    roster = (
        SignUp.objects.restrict(user, Action.VIEW)
        .filter(activity=activity)
        .select_related("person", "user")
        .order_by("status", "pk")
    )
    checked = sum(1 for s in roster if s.checked_in_at)
    # Check-in and giving a place back are buttons on the roster; the volunteer posts have
    # their own page (views.volunteers), linked with their count.
    forms_ = action_views.action_forms(ACTIVITY_FRAME, activity, user, skip=ROSTER_AND_POSTS)
    context.update(
        roster=roster,
        checked=checked,
        action_forms=forms_,
        may_check_in=ACTIVITY_MACHINE.allows(activity, ActivityAction.CHECK_IN, user),
        may_edit=may(user, ACTIVITIES) and activity.status in actions.LIVE,
        events=action_views.timeline(activity, ACTIVITY_MACHINE, EVENT_LABELS),
        posts=activity.slots.count() if may(user, "community.volunteers") else None,
    )
    return render(request, "community/activities/detail.html", context)


@login_required
@require_POST
def activity_act(request: HttpRequest, activity_id: int, action: str) -> HttpResponse:
    activity = _activity(request, activity_id)
    response = action_views.post_action(request, ACTIVITY_FRAME, activity, action)
    reader: Any = request.user
    if action == ActivityAction.SIGN_UP and may(request.user, OWN_ROWS_ONLY):
        mine = (
            SignUp.objects.restrict(request.user, Action.VIEW)
            .filter(activity=activity, user=reader, status=SignUpStatus.WAITING)
            .first()
        )
        if mine is not None:
            messages.info(
                request, _("名额已满，你在候补名单第 %(n)d 位") % {"n": actions.waiting_position(mine)}
            )
    return response


def _activity_values(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in actions.ACTIVITY_FIELDS}


@login_required
def activity_new(request: HttpRequest) -> HttpResponse:
    require(request.user, ACTIVITIES)
    form = ActivityForm(request.POST or None, user=request.user)
    if request.method == "POST":
        made = action_views.submit(
            request,
            form,
            lambda d: actions.create_activity(request.user, **_activity_values(d)),
            _("未能登记活动"),
        )
        if made is not None:
            messages.success(
                request, _("已登记活动“%(title)s”（草拟，发布后开放报名）") % {"title": made.title}
            )
            return redirect(made.get_absolute_url())
    return render(request, "community/activities/form.html", {"form": form, "title": _("登记活动")})


@login_required
def activity_edit(request: HttpRequest, activity_id: int) -> HttpResponse:
    require(request.user, ACTIVITIES)
    activity = _activity(request, activity_id)
    initial = {name: getattr(activity, name) for name in ActivityForm.base_fields}
    form = ActivityForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST":
        done = action_views.submit(
            request,
            form,
            lambda d: actions.update_activity(
                request.user, activity, version=request.POST.get("version"), **_activity_values(d)
            ),
            _("未能修改活动"),
        )
        if done is not None:
            messages.success(request, _("已修改活动"))
            return redirect(done.get_absolute_url())
    context = {"form": form, "title": _("修改活动"), "activity": activity}
    return render(request, "community/activities/form.html", context)


@login_required
def series_new(request: HttpRequest) -> HttpResponse:
    require(request.user, ACTIVITIES)
    form = SeriesForm(request.POST or None, user=request.user)
    if request.method == "POST":
        plan = action_views.submit(
            request,
            form,
            lambda d: actions.plan_series(
                request.user,
                recurrence=d["recurrence"],
                weekday=d["weekday"],
                starts_at=d["starts_at"],
                minutes=d["minutes"],
                first_day=d["first_day"],
                last_day=d["last_day"],
                publish=d["publish"],
                **_activity_values(d),
            ),
            _("未能安排周期活动"),
        )
        if plan is not None:
            messages.success(request, _("已安排 %(n)d 次活动") % {"n": len(plan.activities)})
            if plan.skipped:
                days = "、".join(d.strftime("%m-%d") for d in plan.skipped)
                messages.info(request, _("以下法定节假日已跳过：%(days)s") % {"days": days})
            return redirect(reverse("community:activities") + f"?q={plan.series.title}")
    return render(request, "community/activities/form.html", {"form": form, "title": _("安排周期活动")})


# ---------------------------------------------------------------------------- check-in


@login_required
def checkin_code(request: HttpRequest, activity_id: int) -> HttpResponse:
    """The organiser's phone page: today's QR code residents scan to check themselves in."""
    require(request.user, ACTIVITIES)
    activity = _activity(request, activity_id)
    today = clock.today()
    is_day = timezone.localtime(activity.starts_at).date() == today
    context: dict[str, Any] = {"activity": activity, "is_day": is_day}
    if is_day and activity.status in (ActivityStatus.OPEN, ActivityStatus.CLOSED):
        url = request.build_absolute_uri(reverse("community:checkin", args=[code_for(activity.pk, today)]))
        context.update(url=url, qr=segno.make(url, error="m").svg_inline(scale=6, dark="#000", light="#fff"))
    return render(request, "community/activities/checkin_code.html", context)


@login_required
def checkin(request: HttpRequest, token: str) -> HttpResponse:
    """A signed-in resident who scanned the code: their own sign-up and one big button."""
    found = read_code(token)
    if found is None:
        raise Http404
    require(request.user, "community.check_in")
    activity = _activity(request, found[0])
    reader: Any = request.user
    mine = (
        SignUp.objects.restrict(request.user, Action.VIEW)
        .filter(activity=activity, user=reader)
        .exclude(status=SignUpStatus.CANCELLED)
        .first()
    )
    problem = ""
    if found[1] != clock.today():
        problem = _("这个签到码只在 %(day)s 当天有效") % {"day": found[1].strftime("%Y-%m-%d")}
    elif mine is None:
        problem = _("你没有报名这个活动，请联系工作人员现场登记")
    elif mine.status == SignUpStatus.WAITING:
        problem = _("你在候补名单第 %(n)d 位，还没有名额，不能签到") % {"n": actions.waiting_position(mine)}
    elif request.method == "POST" and mine.checked_in_at is None:
        try:
            actions.check_in(activity.pk, request.user, sign_up=mine.pk, code=token)
        except ActionError as exc:
            problem = exc.message
        else:
            mine.refresh_from_db()
            messages.success(request, _("签到成功"))
    context = {"activity": activity, "mine": mine, "problem": problem}
    return render(request, "community/activities/checkin.html", context)


# ---------------------------------------------------------------------------- figures


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    """Attendance of the held activities the filter selects (default: this year)."""
    require(request.user, VIEW)
    if may(request.user, OWN_ROWS_ONLY):
        raise Http404
    today = clock.today()
    data = request.GET.dict()
    if not data.get("date_from") and not data.get("date_to"):
        data = {**data, "date_from": date(today.year, 1, 1).isoformat(), "date_to": today.isoformat()}
    chosen = ActivityFilterSet(data, Activity.objects.restrict(request.user, Action.VIEW), user=request.user)
    rows = chosen.qs if chosen.is_valid() else chosen.queryset.none()
    return render(
        request, "community/activities/figures.html", {"filter": chosen, "figures": attendance(rows)}
    )


# ---------------------------------------------------------------------------- venues


@login_required
def venue_list(request: HttpRequest) -> HttpResponse:
    require(request.user, VIEW)
    chosen = VenueFilterSet(request.GET, Venue.objects.restrict(request.user, Action.VIEW), user=request.user)
    rows = chosen.qs if chosen.is_valid() else chosen.queryset.none()
    venues = (
        rows.select_related("area")
        .annotate(rooms_n=Count("rooms", distinct=True))
        .order_by("kind", "name", "pk")
    )
    # A resident reads the street's venues, not the other committees' names.
    resident = may(request.user, OWN_ROWS_ONLY)
    context = {
        "filter": chosen,
        "venues": venues,
        "may_create": may(request.user, VENUES),
        "resident": resident,
    }
    return render(request, "community/venues/list.html", context)


@login_required
def venue_detail(request: HttpRequest, venue_id: int) -> HttpResponse:
    venue = _venue(request, venue_id)
    user = request.user
    coming = (
        Activity.objects.restrict(user, Action.VIEW)
        .filter(venue=venue, ends_at__gte=clock.now(), status__in=actions.LIVE)
        .select_related("room")
        .order_by("starts_at", "pk")[:20]
    )
    context = {
        "venue": venue,
        "rooms": Room.objects.restrict(user, Action.VIEW).filter(venue=venue).order_by("name"),
        "hours": venue.hours.order_by("weekday", "opens"),
        "coming": coming,
        "may_change": may(user, VENUES),
        "resident": may(user, OWN_ROWS_ONLY),
        "events": action_views.timeline(venue, ACTIVITY_MACHINE, EVENT_LABELS)
        if not may(user, OWN_ROWS_ONLY)
        else None,
    }
    return render(request, "community/venues/detail.html", context)


VENUE_FIELDS = ("kind", "name", "area", "address", "phone", "description", "accessible", "active")


@login_required
def venue_new(request: HttpRequest) -> HttpResponse:
    require(request.user, VENUES)
    form = VenueForm(request.POST or None, user=request.user)
    if request.method == "POST":
        made = action_views.submit(
            request,
            form,
            lambda d: actions.create_venue(
                request.user, street=d["street"], **{k: d[k] for k in VENUE_FIELDS}
            ),
            _("未能登记场所"),
            success=_("已登记场所，请设置活动室和开放时间"),
        )
        if made is not None:
            return redirect("community:venue_edit", venue_id=made.pk)
    return render(request, "community/venues/form.html", {"form": form})


@login_required
def venue_edit(request: HttpRequest, venue_id: int) -> HttpResponse:
    """The venue's details, its weekly hours (replaced whole) and its rooms."""
    require(request.user, VENUES)
    venue = _venue(request, venue_id)
    step = request.POST.get("step")
    initial = {name: getattr(venue, name) for name in VENUE_FIELDS}
    form = VenueForm(
        request.POST if step == "venue" else None, user=request.user, venue=venue, initial=initial
    )
    hours = HoursForm(request.POST if step == "hours" else None, venue=venue)
    room = RoomForm(request.POST if step == "room" else None, prefix="room")
    if request.method == "POST":
        version = request.POST.get("version")
        if step == "venue":
            done = action_views.submit(
                request,
                form,
                lambda d: actions.update_venue(
                    request.user, venue, version=version, **{k: d[k] for k in VENUE_FIELDS}
                ),
                _("未能修改场所"),
            )
        elif step == "hours":
            done = action_views.submit(
                request,
                hours,
                lambda d: actions.set_hours(request.user, venue, hours.hours(), version=version),
                _("未能设置开放时间"),
            )
        elif step == "room":
            done = action_views.submit(
                request,
                room,
                lambda d: actions.add_room(request.user, venue, name=d["name"], capacity=d["capacity"]),
                _("未能增加活动室"),
            )
        else:
            raise Http404
        if done is not None:
            messages.success(request, _("已保存"))
            return redirect("community:venue_edit", venue_id=venue.pk)
    rooms = Room.objects.restrict(request.user, Action.VIEW).filter(venue=venue).order_by("name")
    context = {"venue": venue, "form": form, "hours": hours, "room_form": room, "rooms": rooms}
    return render(request, "community/venues/edit.html", context)


@login_required
@require_POST
def room_edit(request: HttpRequest, room_id: int) -> HttpResponse:
    require(request.user, VENUES)
    room = get_object_or_404(Room.objects.restrict(request.user, Action.CHANGE), pk=room_id)
    form = RoomForm(request.POST, prefix=f"r{room.pk}")
    action_views.submit(
        request,
        form,
        lambda d: actions.update_room(
            request.user,
            room,
            version=request.POST.get("version"),
            name=d["name"],
            capacity=d["capacity"],
            active=d["active"],
        ),
        _("未能修改活动室"),
        success=_("已修改活动室"),
    )
    return redirect("community:venue_edit", venue_id=room.venue_id)


urlpatterns = [
    path("activities/", activity_list, name="activities"),
    path("activities/new/", activity_new, name="activity_new"),
    path("activities/series/new/", series_new, name="series_new"),
    path("activities/figures/", figures, name="activity_figures"),
    path("activities/<int:activity_id>/", activity_detail, name="activity"),
    path("activities/<int:activity_id>/edit/", activity_edit, name="activity_edit"),
    path("activities/<int:activity_id>/act/<str:action>/", activity_act, name="activity_act"),
    path("activities/<int:activity_id>/checkin-code/", checkin_code, name="activity_checkin_code"),
    path("checkin/<str:token>/", checkin, name="checkin"),
    path("venues/", venue_list, name="venues"),
    path("venues/new/", venue_new, name="venue_new"),
    path("venues/<int:venue_id>/", venue_detail, name="venue"),
    path("venues/<int:venue_id>/edit/", venue_edit, name="venue_edit"),
    path("venues/rooms/<int:room_id>/", room_edit, name="room_edit"),
]
