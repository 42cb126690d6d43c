"""The volunteer pages (phone-first): the register (filters: team, skill, status, name or number;
the year's and all-time hours per volunteer; the register form), a volunteer (profile, masked
phone with the logged reveal, the ledger with its running total, other service confirmed,
each entry reversed by its own button, the certificate per year, edit, leave/rejoin), the teams
(list, a team's members and hours per year), an activity's volunteer posts (add a post, assign,
mark absent, confirm the served ones in one go) and a resident's own "我的志愿服务". Thin:
parse, call one action, render; every query through restrict()."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicgrid.core import action_views, clock
from civicgrid.core.action_forms import ActionForm
from civicgrid.core.capabilities import may, require
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError, InvalidInput
from civicgrid.core.inputs import is_digits

from .. import volunteer_hours as hours
from ..actions import volunteers as actions
from ..actions.frames import ACTIVITY_FRAME, VOLUNTEER_FRAME
from ..choices import ActivityAction, PostStatus, VolunteerAction, VolunteerStatus
from ..filters.volunteers import VolunteerFilterSet
from ..forms.volunteers import TeamForm, VolunteerForm
from ..models import Activity, HoursEntry, SlotAssignment, Team, Volunteer, VolunteerSlot
from ..querysets import OWN_ROWS_ONLY, VIEW
from ..workflow import VOLUNTEER_MACHINE

WRITE = actions.VOLUNTEERS
PAGE = 50
EVENT_LABELS = {
    actions.REGISTER: gettext_lazy("登记志愿者"),
    actions.UPDATE: gettext_lazy("修改志愿者信息"),
    actions.CREATE_TEAM: gettext_lazy("登记志愿团队"),
    actions.UPDATE_TEAM: gettext_lazy("修改志愿团队"),
}
# The posts page's steps (the activity's machine); each has a form of its own there.
POST_ACTIONS = (ActivityAction.ADD_SLOT, ActivityAction.ASSIGN_VOLUNTEER, ActivityAction.MARK_ABSENT)


def _staff(request: HttpRequest) -> None:
    """The register's pages are the street's and committees' (a resident has "我的志愿服务")."""
    require(request.user, VIEW)
    if may(request.user, OWN_ROWS_ONLY):
        raise Http404


def _volunteer(request: HttpRequest, volunteer_id: int) -> Volunteer:
    require(request.user, VIEW)
    rows = Volunteer.objects.restrict(request.user, Action.VIEW).select_related("team", "area", "street")
    return get_object_or_404(rows, pk=volunteer_id)


def _team(request: HttpRequest, team_id: int) -> Team:
    _staff(request)
    return get_object_or_404(Team.objects.restrict(request.user, Action.VIEW), pk=team_id)


def _activity(request: HttpRequest, activity_id: int) -> Activity:
    _staff(request)
    rows = Activity.objects.restrict(request.user, Action.VIEW).select_related("venue")
    return get_object_or_404(rows, pk=activity_id)


def _entries(request: HttpRequest) -> Any:
    return HoursEntry.objects.restrict(request.user, Action.VIEW)


def _history(obj: Any) -> list[dict[str, Any]]:
    """The object's events, newest first, each with its note (core/_event_timeline.html)."""
    return action_views.timeline(obj, VOLUNTEER_MACHINE, EVENT_LABELS)


def _run(request: HttpRequest, form: forms.Form, call: Any, failure: str) -> Any:
    """action_views.submit with the form's `values()` (rows and lists as the actions take them)."""
    return action_views.submit(request, form, lambda _data: call(form.values()), failure)  # type: ignore[attr-defined]


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'  # ASCII names
    return response


# ---------------------------------------------------------------------------- the register


@login_required
def volunteer_list(request: HttpRequest) -> HttpResponse:
    _staff(request)
    user = request.user
    may_register = Volunteer.objects.allows(user, Action.ADD)
    form = VolunteerForm(request.POST or None, user=user, street=True) if may_register else None
    if request.method == "POST":
        if form is None:
            raise Http404
        made = _run(request, form, lambda d: actions.register_volunteer(user, **d), _("未能登记志愿者"))
        if made is not None:
            messages.success(
                request, _("已登记志愿者 %(name)s（%(code)s）") % {"name": made.name, "code": made.code}
            )
            return redirect(made.get_absolute_url())
    visible = Volunteer.objects.restrict(user, Action.VIEW)
    chosen = VolunteerFilterSet(request.GET or None, visible, user=user)
    try:
        rows = chosen.checked()
    except InvalidInput as exc:
        messages.error(request, exc.message)
        rows = visible.none()
    year = clock.today().year
    rows = hours.with_totals(rows.select_related("team"), _entries(request), year).order_by("code", "pk")
    context = {
        "filter": chosen,
        "volunteers": rows[:PAGE],
        "total": rows.count(),
        "limit": PAGE,
        "year": year,
        "form": form,
    }
    return render(request, "community/volunteers/list.html", context)


@login_required
def volunteer_detail(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    volunteer = _volunteer(request, volunteer_id)
    user = request.user
    entries = _entries(request)
    forms_ = action_views.action_forms(VOLUNTEER_FRAME, volunteer, user, skip=[VolunteerAction.REVERSE_HOURS])
    for action, _label, form in forms_:
        if action == VolunteerAction.CONFIRM_HOURS:
            # Posts are confirmed on their activity's page; here, other service.
            form.fields.pop("assignment")
            for name in ("served_on", "hours", "description"):
                form.fields[name].required = True
    writer = may(user, WRITE) and not may(user, OWN_ROWS_ONLY)
    context = {
        "volunteer": volunteer,
        "totals": hours.person_totals(volunteer, entries),
        "ledger": hours.ledger(volunteer, entries),
        "action_forms": forms_,
        "may_reverse": VOLUNTEER_MACHINE.allows(volunteer, VolunteerAction.REVERSE_HOURS, user),
        "edit_form": VolunteerForm(
            user=user,
            prefix="edit",
            initial={
                **{n: getattr(volunteer, n) for n in ("name", "availability", "joined_on", "skills")},
                **{n: getattr(volunteer, f"{n}_id") for n in ("person", "user", "team", "area")},
            },
        )
        if writer
        else None,
        "events": _history(volunteer),
    }
    return render(request, "community/volunteers/detail.html", context)


@login_required
@require_POST
def volunteer_act(request: HttpRequest, volunteer_id: int, action: str) -> HttpResponse:
    return action_views.post_action(request, VOLUNTEER_FRAME, _volunteer(request, volunteer_id), action)


@login_required
@require_POST
def volunteer_edit(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    volunteer = _volunteer(request, volunteer_id)
    form = VolunteerForm(request.POST, user=request.user, prefix="edit")
    if _run(
        request,
        form,
        lambda d: actions.update_volunteer(request.user, volunteer, version=request.POST.get("version"), **d),
        _("未能修改志愿者信息"),
    ):
        messages.success(request, _("已修改志愿者信息"))
    return redirect(volunteer.get_absolute_url())


@login_required
def certificate(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    """志愿服务时长证明 of a year (?year=, this year by default) — for the volunteer themself,
    or the staff who see them."""
    volunteer = _volunteer(request, volunteer_id)
    raw = request.GET.get("year") or str(clock.today().year)
    if not (is_digits(raw) and len(raw) == 4 and 2000 <= int(raw) <= 2100):
        raise Http404
    year = int(raw)
    sheet = hours.certificate(volunteer, year, _entries(request))
    return _pdf(hours.certificate_pdf(sheet), f"volunteer-{volunteer.code}-{year}")


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """我的志愿服务: the reader's own record(s) — hours, ledger, certificates."""
    require(request.user, VIEW)
    reader: Any = request.user  # signed in (login_required)
    rows = Volunteer.objects.restrict(reader, Action.VIEW).filter(user=reader).select_related("team")
    entries = _entries(request)
    records = [
        {"volunteer": v, "totals": hours.person_totals(v, entries), "ledger": hours.ledger(v, entries)}
        for v in rows
    ]
    return render(request, "community/volunteers/mine.html", {"records": records})


# ---------------------------------------------------------------------------- teams


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    _staff(request)
    user = request.user
    form = (
        TeamForm(request.POST or None, user=user, street=True)
        if Team.objects.allows(user, Action.ADD)
        else None
    )
    if request.method == "POST":
        if form is None:
            raise Http404
        made = _run(request, form, lambda d: actions.create_team(user, **d), _("未能登记志愿团队"))
        if made is not None:
            messages.success(request, _("已登记志愿团队“%(name)s”") % {"name": made.name})
            return redirect(made.get_absolute_url())
    year = clock.today().year
    visible = Volunteer.objects.restrict(user, Action.VIEW).filter(status=VolunteerStatus.ACTIVE)
    teams = (
        Team.objects.restrict(user, Action.VIEW)
        .annotate(
            members_count=Count("members", filter=Q(members__in=visible), distinct=True),
        )
        .order_by("-active", "name", "pk")
    )
    year_hours = hours.team_year_hours(_entries(request), year)
    rows = [{"team": t, "hours": year_hours.get(t.pk, hours.ZERO)} for t in teams]
    return render(request, "community/volunteers/teams.html", {"rows": rows, "year": year, "form": form})


@login_required
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    team = _team(request, team_id)
    user = request.user
    year = clock.today().year
    members = hours.with_totals(
        Volunteer.objects.restrict(user, Action.VIEW).filter(team=team), _entries(request), year
    ).order_by("code", "pk")
    context = {
        "team": team,
        "members": members,
        "years": hours.team_years(team, _entries(request)),
        "year": year,
        "edit_form": TeamForm(
            user=user,
            prefix="edit",
            initial={n: getattr(team, n) for n in ("name", "kind", "partner", "contact_name", "active")},
        )
        if may(user, WRITE)
        else None,
        "events": _history(team),
    }
    return render(request, "community/volunteers/team.html", context)


@login_required
@require_POST
def team_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    team = _team(request, team_id)
    form = TeamForm(request.POST, user=request.user, prefix="edit")
    if _run(request, form, lambda d: actions.update_team(request.user, team, **d), _("未能修改志愿团队")):
        messages.success(request, _("已修改志愿团队"))
    return redirect(team.get_absolute_url())


# ---------------------------------------------------------------------------- an activity's posts


def posts_context(activity: Activity, user: Any) -> dict[str, Any]:
    """What `_activity_posts.html` shows of an activity (its page includes it too)."""
    assignments = (
        SlotAssignment.objects.restrict(user, Action.VIEW).select_related("volunteer").order_by("pk")
    )
    slots = list(
        VolunteerSlot.objects.restrict(user, Action.VIEW)
        .filter(activity=activity)
        .prefetch_related(Prefetch("assignments", queryset=assignments))
        .order_by("pk")
    )
    allowed = set(ACTIVITY_FRAME.machine.allowed_actions(activity, user))
    may_confirm = may(user, "community.confirm_hours")
    add_form = None
    if ActivityAction.ADD_SLOT in allowed:
        add_form = ActionForm(
            obj=activity,
            user=user,
            transition=ACTIVITY_FRAME.machine[ActivityAction.ADD_SLOT],
            auto_id="id_post_%s",
        )
    volunteers = (
        list(
            Volunteer.objects.restrict(user, Action.VIEW)
            .filter(status=VolunteerStatus.ACTIVE, street_id=activity.street_id)
            .order_by("code")
        )
        if ActivityAction.ASSIGN_VOLUNTEER in allowed
        else []
    )
    return {
        "activity": activity,
        "slots": [
            {
                "slot": s,
                "people": list(s.assignments.all()),
                "free": s.needed - sum(1 for a in s.assignments.all() if a.status != PostStatus.ABSENT),
            }
            for s in slots
        ],
        "add_form": add_form,
        "volunteers": volunteers,
        "may_absent": ActivityAction.MARK_ABSENT in allowed,
        "may_confirm": may_confirm,
        "assigned": PostStatus.ASSIGNED,
    }


@login_required
def activity_posts(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = _activity(request, activity_id)
    return render(request, "community/volunteers/posts.html", posts_context(activity, request.user))


@login_required
@require_POST
def activity_posts_act(request: HttpRequest, activity_id: int, action: str) -> HttpResponse:
    """A post step through the activity's frame, then back to the posts page."""
    activity = _activity(request, activity_id)
    if action not in POST_ACTIONS:
        raise Http404
    action_views.post_action(request, ACTIVITY_FRAME, activity, action)
    return redirect(reverse("community:activity_posts", args=[activity.pk]))


@login_required
@require_POST
def activity_posts_confirm(request: HttpRequest, activity_id: int) -> HttpResponse:
    """The ticked assignments of this activity: their hours confirmed in one go."""
    activity = _activity(request, activity_id)
    ids = [i for i in request.POST.getlist("assignment") if i.isdigit()]
    chosen = list(
        SlotAssignment.objects.restrict(request.user, Action.VIEW)
        .filter(slot__activity=activity, pk__in=ids)
        .select_related("slot", "slot__activity")
        .order_by("pk")
    )
    if not chosen:
        messages.error(request, _("请勾选已服务的志愿者"))
    else:
        try:
            made = actions.confirm_served(request.user, chosen)
        except ActionError as exc:
            messages.error(request, _("未能确认服务时长：%(why)s") % {"why": exc.message})
        else:
            messages.success(request, _("已确认 %(n)s 人的服务时长") % {"n": len(made)})
    return redirect(reverse("community:activity_posts", args=[activity.pk]))


urlpatterns = [
    path("volunteers/", volunteer_list, name="volunteers"),
    path("volunteers/mine/", mine, name="my_volunteering"),
    path("volunteers/<int:volunteer_id>/", volunteer_detail, name="volunteer"),
    path("volunteers/<int:volunteer_id>/edit/", volunteer_edit, name="volunteer_edit"),
    path("volunteers/<int:volunteer_id>/act/<str:action>/", volunteer_act, name="volunteer_act"),
    path("volunteers/<int:volunteer_id>/certificate.pdf", certificate, name="volunteer_certificate"),
    path("volunteers/teams/", team_list, name="teams"),
    path("volunteers/teams/<int:team_id>/", team_detail, name="team"),
    path("volunteers/teams/<int:team_id>/edit/", team_edit, name="team_edit"),
    path("activities/<int:activity_id>/volunteers/", activity_posts, name="activity_posts"),
    path(
        "activities/<int:activity_id>/volunteers/act/<str:action>/",
        activity_posts_act,
        name="activity_posts_act",
    ),
    path(
        "activities/<int:activity_id>/volunteers/confirm/",
        activity_posts_confirm,
        name="activity_posts_confirm",
    ),
]
