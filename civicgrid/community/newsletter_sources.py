"""What an issue of the street's newsletter is drafted from (COMPOSE, actions/newsletter.py): one
draft per source from the rows of the issue's period that the editor may see (restrict()), each
a title and a body in the newsletter's voice with its figures filled in, the figures themselves
and the ids of the rows it came from. A source with nothing in the period drafts nothing.
Nothing personal is written: cases are told by category, residential area, what was done
(`public_result`, redacted) and how long it took; volunteers by their hours and teams; member
units by their names (organisations); progress notes redacted."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.cases.choices import CaseStatus, PhotoStage
from civicgrid.cases.figures import COUNTED, figure_q
from civicgrid.cases.models import Case
from civicgrid.core import clock
from civicgrid.core.choices import Action
from civicgrid.core.models import Attachment
from civicgrid.core.redact import redact
from civicgrid.elections.choices import ElectionStatus, Position, Step
from civicgrid.elections.models import Count as ElectionCount
from civicgrid.elections.models import Election, Member
from civicgrid.programmes.choices import ProjectStatus
from civicgrid.programmes.models import Claim, ProgressReport, Project, Target

from .choices import ActivityStatus, AppointmentStatus, ArticleSource, HomeServiceStatus, SignUpStatus
from .models import Activity, Appointment, HomeService, HoursEntry, Newsletter, SignUp, Volunteer

VIEW = Action.VIEW
STORIES = 3  # closed cases told in the case article
CANDIDATES = 30  # the most recent closed cases with a public result it chooses among
HIGHLIGHTS = 3


@dataclass
class Draft:
    source: str
    title: str
    body: str
    figures: dict[str, Any]
    refs: dict[str, list[int]] = field(default_factory=dict)
    photos: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def end(self) -> datetime:
        """The first moment after the period (local midnight after its last day)."""
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))

    def moments(self, name: str) -> dict[str, datetime]:
        return {f"{name}__gte": self.start, f"{name}__lt": self.end}

    def days(self, name: str) -> dict[str, tuple[date, date]]:
        return {f"{name}__range": (self.first, self.last)}

    @property
    def label(self) -> str:
        return _("%(first)s至%(last)s") % {"first": _day(self.first), "last": _day(self.last)}


def _day(day: date) -> str:
    return _("%(m)d月%(d)d日") % {"m": day.month, "d": day.day}


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def number(value: Decimal | float | int | None) -> str:
    """30, 2.5: a figure as people write it."""
    return f"{Decimal(str(value or 0)).normalize():f}"


# ---------------------------------------------------------------------------- closed cases


def _took(case: Case) -> str:
    assert case.closed_at is not None
    hours = max(1, round((case.closed_at - case.received_at).total_seconds() / 3600))
    if hours < 48:
        return _("%(n)d小时") % {"n": hours}
    return _("%(n)d天") % {"n": round(hours / 24)}


def cases(newsletter: Newsletter, user: Any, period: Period) -> Draft | None:
    closed = (
        Case.objects.restrict(user, VIEW)
        .filter(
            COUNTED, street_id=newsletter.street_id, status=CaseStatus.CLOSED, **period.moments("closed_at")
        )
        .order_by()
    )
    now = clock.now()
    totals = closed.aggregate(
        total=Count("pk"),
        satisfied=Count("pk", filter=figure_q("satisfaction_numerator", now)),
        contacted=Count("pk", filter=figure_q("satisfaction_denominator", now)),
        on_time=Count("pk", filter=figure_q("on_time_closure_numerator", now)),
    )
    if not totals["total"]:
        return None
    by_category = [
        [row["category__name"], row["n"]]
        for row in closed.values("category__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "category__name")[:5]
    ]
    told = list(
        closed.exclude(public_result="")
        .select_related("category", "residential_area")
        .order_by("-closed_at", "-pk")[:CANDIDATES]
    )
    photos: dict[int, list[tuple[int, str]]] = {}
    if told:
        rows = (
            Attachment.objects.restrict(user, VIEW)
            .filter(
                content_type=ContentType.objects.get_for_model(Case),
                object_id__in=[c.pk for c in told],
                stage__in=[PhotoStage.BEFORE, PhotoStage.AFTER],
                media_type__startswith="image/",
            )
            .order_by("uploaded_at", "pk")
            .values_list("object_id", "pk", "stage")
        )
        for case_id, pk, stage in rows:
            photos.setdefault(case_id, []).append((pk, stage))

    # Cases with both a before and an after photo first; sorted() is stable, so the most recent.
    stories = sorted(told, key=lambda c: -len({s for _pk, s in photos.get(c.pk, [])}))[:STORIES]
    candidates = [pk for case in stories for pk, _stage in photos.get(case.pk, [])]
    chosen = []
    for case in stories:
        for stage in (PhotoStage.BEFORE, PhotoStage.AFTER):
            first = next((pk for pk, s in photos.get(case.pk, []) if s == stage), None)
            if first is not None:
                chosen.append(first)
    figures = {
        "closed": totals["total"],
        "by_category": by_category,
        "satisfied": totals["satisfied"],
        "contacted": totals["contacted"],
        "satisfaction_rate": rate(totals["satisfied"], totals["contacted"]),
        "on_time": totals["on_time"],
        "on_time_rate": rate(totals["on_time"], totals["total"]),
    }
    lines = [
        _(
            "%(period)s，街道共办结居民诉求工单%(n)d件，其中%(categories)s。"
            "回访中满意或基本满意的%(satisfied)d件，满意率%(satisfaction)s；按时办结率%(on_time)s。"
        )
        % {
            "period": period.label,
            "n": totals["total"],
            "categories": "、".join(_("%(name)s%(n)d件") % {"name": n, "n": c} for n, c in by_category),
            "satisfied": totals["satisfied"],
            "satisfaction": percent(figures["satisfaction_rate"]),
            "on_time": percent(figures["on_time_rate"]),
        }
    ]
    for case in stories:
        area = case.residential_area.name if case.residential_area else newsletter.street.name
        lines.append(
            _("【%(area)s】居民反映的“%(category)s”问题，%(took)s办结：%(result)s")
            % {
                "area": area,
                "category": case.category.name,
                "took": _took(case),
                "result": redact(case.public_result).strip(),
            }
        )
    return Draft(
        source=ArticleSource.CASES,
        title=_("件件有回音 事事有着落——本期办结工单%(n)d件") % {"n": totals["total"]},
        body="\n\n".join(lines),
        figures=figures,
        refs={"cases": [c.pk for c in stories], "photos": candidates},
        photos=chosen,
    )


# ---------------------------------------------------------------------------- practical projects


def projects(newsletter: Newsletter, user: Any, period: Period) -> Draft | None:
    year = period.last.year
    listed = list(
        Project.objects.restrict(user, VIEW)
        .filter(
            street_id=newsletter.street_id,
            year=year,
            parent__isnull=True,
            status__in=[ProjectStatus.ACTIVE, ProjectStatus.DONE],
        )
        .order_by("pk")
    )
    if not listed:
        return None
    ids = [p.pk for p in listed]
    family = Project.objects.restrict(user, VIEW).filter(Q(pk__in=ids) | Q(parent_id__in=ids))
    targets = list(
        Target.objects.restrict(user, VIEW).filter(project__in=family).values_list("goal", "reached")
    )
    reports = ProgressReport.objects.restrict(user, VIEW).filter(
        project__in=family, **period.days("reported_on")
    )
    notes: dict[int, tuple[str, str, date]] = {}
    for project_id, title, note, on in (
        reports.exclude(note="")
        .order_by("project_id", "-reported_on", "-pk")
        .values_list("project_id", "project__title", "note", "reported_on")
    ):
        notes.setdefault(project_id, (title, redact(note), on))
    done = sum(1 for p in listed if p.status == ProjectStatus.DONE)
    mean = sum((p.progress for p in listed), Decimal(0)) / len(listed)
    reached = sum(1 for goal, value in targets if value is not None and value >= goal)
    figures = {
        "projects": len(listed),
        "done": done,
        "progress": float(round(mean, 1)),
        "targets": len(targets),
        "targets_reached": reached,
        "reports": reports.count(),
    }
    lines = [
        _(
            "%(year)d年街道实事项目共%(n)d项，已完成%(done)d项，平均完成进度%(progress)s%%；"
            "%(targets)d项指标中已有%(reached)d项达到目标值。%(period)s共报告进展%(reports)d次。"
        )
        % {
            "year": year,
            "n": len(listed),
            "done": done,
            "progress": number(figures["progress"]),
            "targets": len(targets),
            "reached": reached,
            "period": period.label,
            "reports": figures["reports"],
        }
    ]
    for title, note, on in list(notes.values())[:HIGHLIGHTS]:
        lines.append(_("【%(title)s】%(note)s（%(day)s）") % {"title": title, "note": note, "day": _day(on)})
    return Draft(
        source=ArticleSource.PROJECTS,
        title=_("实事项目稳步推进 %(done)d项已完成") % {"done": done},
        body="\n\n".join(lines),
        figures=figures,
        refs={"projects": ids},
    )


# ---------------------------------------------------------------------------- elections


def elections(newsletter: Newsletter, user: Any, period: Period) -> Draft | None:
    held = list(
        Election.objects.restrict(user, VIEW)
        .filter(
            street_id=newsletter.street_id,
            status__in=[ElectionStatus.ANNOUNCED, ElectionStatus.REPORTED],
            milestones__step=Step.RESULTS_ANNOUNCED,
            **period.days("milestones__done_on"),
        )
        .select_related("area")
        .distinct()
        .order_by("area__code", "pk")
    )
    if not held:
        return None
    last: dict[int, Any] = {}
    for count in ElectionCount.objects.restrict(user, VIEW).filter(election__in=held).order_by("round_no"):
        last[count.election_id] = count
    members: Counter[int] = Counter()
    chairs: dict[int, str] = {}
    for member in Member.objects.restrict(user, VIEW).filter(election__in=held).select_related("candidate"):
        members[member.election_id] += 1
        if member.position == Position.CHAIR:
            chairs[member.election_id] = member.candidate.name
    registered = sum(c.registered for c in last.values())
    cast = sum(c.ballots_cast for c in last.values())
    figures = {
        "committees": len(held),
        "registered": registered,
        "cast": cast,
        "turnout": rate(cast, registered),
        "members": sum(members.values()),
    }
    lines = [
        _(
            "%(period)s，%(n)d个居民区完成居民委员会换届选举，登记选民%(registered)d人，"
            "参加投票%(cast)d人，参选率%(turnout)s，共选出新一届居委会成员%(members)d名。"
        )
        % {
            "period": period.label,
            "n": len(held),
            "registered": registered,
            "cast": cast,
            "turnout": percent(figures["turnout"]),
            "members": figures["members"],
        }
    ]
    for election in held:
        final = last.get(election.pk)
        line = _("【%(area)s】参选率%(turnout)s，选出成员%(n)d名") % {
            "area": election.area.name,
            "turnout": percent(float(final.turnout) if final else None),
            "n": members[election.pk],
        }
        if election.pk in chairs:
            line += _("，%(name)s当选主任") % {"name": chairs[election.pk]}
        lines.append(line + "。")
    return Draft(
        source=ArticleSource.ELECTIONS,
        title=_("%(n)d个居委会完成换届选举") % {"n": len(held)},
        body="\n\n".join(lines),
        figures=figures,
        refs={"elections": [e.pk for e in held]},
    )


# ---------------------------------------------------------------------------- activities


def activities(newsletter: Newsletter, user: Any, period: Period) -> Draft | None:
    held = Activity.objects.restrict(user, VIEW).filter(
        street_id=newsletter.street_id, status=ActivityStatus.DONE, **period.moments("starts_at")
    )
    totals = held.order_by().aggregate(n=Count("pk"), attendance=Sum("attendance"))
    if not totals["n"]:
        return None
    sign_ups = SignUp.objects.restrict(user, VIEW).filter(activity__in=held, status=SignUpStatus.CONFIRMED)
    checked_in = sign_ups.filter(checked_in_at__isnull=False).count()
    highlights = list(
        held.filter(attendance__isnull=False)
        .select_related("venue")
        .order_by("-attendance", "starts_at")[:HIGHLIGHTS]
    )
    figures = {
        "held": totals["n"],
        "attendance": totals["attendance"] or 0,
        "sign_ups": sign_ups.count(),
        "checked_in": checked_in,
    }
    lines = [
        _(
            "%(period)s，街道各睦邻点、邻里汇共举办社区活动%(n)d场，报名%(sign_ups)d人次，"
            "签到%(checked_in)d人次，实到%(attendance)d人次。"
        )
        % {
            "period": period.label,
            "n": totals["n"],
            "sign_ups": figures["sign_ups"],
            "checked_in": checked_in,
            "attendance": figures["attendance"],
        }
    ]
    for activity in highlights:
        place = activity.venue.name if activity.venue else activity.place
        lines.append(
            _("【%(title)s】%(day)s在%(place)s举行，%(n)d位居民参加。")
            % {
                "title": activity.title,
                "day": _day(timezone.localtime(activity.starts_at).date()),
                "place": place or newsletter.street.name,
                "n": activity.attendance,
            }
        )
    return Draft(
        source=ArticleSource.ACTIVITIES,
        title=_("家门口的精彩 %(n)d场社区活动") % {"n": totals["n"]},
        body="\n\n".join(lines),
        figures=figures,
        refs={"activities": [a.pk for a in highlights]},
    )


# ---------------------------------------------------------------------------- volunteers


def volunteers(newsletter: Newsletter, user: Any, period: Period) -> Draft | None:
    entries = HoursEntry.objects.restrict(user, VIEW).filter(
        street_id=newsletter.street_id, **period.days("served_on")
    )
    totals = entries.order_by().aggregate(hours=Sum("hours"), people=Count("volunteer", distinct=True))
    if not totals["hours"]:
        return None
    teams = list(
        entries.filter(team__isnull=False)
        .values("team_id", "team__name")
        .annotate(hours=Sum("hours"))
        .order_by("-hours", "team__name")[:HIGHLIGHTS]
    )
    joined = (
        Volunteer.objects.restrict(user, VIEW)
        .filter(street_id=newsletter.street_id, **period.days("joined_on"))
        .count()
    )
    figures = {
        "hours": float(totals["hours"]),
        "volunteers": totals["people"],
        "joined": joined,
        "teams": [[t["team__name"], float(t["hours"])] for t in teams],
    }
    lines = [
        _("%(period)s，%(people)d名志愿者累计服务%(hours)s小时，新登记志愿者%(joined)d名。")
        % {
            "period": period.label,
            "people": totals["people"],
            "hours": number(totals["hours"]),
            "joined": joined,
        }
    ]
    if teams:
        lines.append(
            _("服务时长居前的志愿团队：%(teams)s。感谢每一位志愿者的付出！")
            % {
                "teams": "、".join(
                    _("%(name)s（%(hours)s小时）") % {"name": t["team__name"], "hours": number(t["hours"])}
                    for t in teams
                )
            }
        )
    return Draft(
        source=ArticleSource.VOLUNTEERS,
        title=_("志愿服务%(hours)s小时 温暖社区每一天") % {"hours": number(totals["hours"])},
        body="\n\n".join(lines),
        figures=figures,
        refs={"teams": [t["team_id"] for t in teams]},
    )


# ---------------------------------------------------------------------------- welfare claims


def welfare(newsletter: Newsletter, user: Any, period: Period) -> Draft | None:
    claims = Claim.objects.restrict(user, VIEW).filter(street_id=newsletter.street_id)
    confirmed = claims.filter(**period.days("confirmed_on"))
    delivered = claims.filter(**period.days("delivered_on"))
    ids = sorted(set(confirmed.values_list("pk", flat=True)) | set(delivered.values_list("pk", flat=True)))
    if not ids:
        return None
    rows = list(
        claims.filter(pk__in=ids).order_by("pk").values_list("member__name", "project__title", "ask__item")
    )
    members = sorted({m for m, _p, _i in rows})
    titles = list(dict.fromkeys(p for _m, p, _i in rows))
    figures = {
        "confirmed": confirmed.count(),
        "delivered": delivered.count(),
        "units": len(members),
        "welfare_projects": len(titles),
    }
    lines = [
        _(
            "%(period)s，区域化党建成员单位认领公益项目获确认%(confirmed)d项、完成交付%(delivered)d项，"
            "参与单位%(members)d家：%(names)s。"
        )
        % {
            "period": period.label,
            "confirmed": figures["confirmed"],
            "delivered": figures["delivered"],
            "members": len(members),
            "names": "、".join(members),
        }
    ]
    lines.append(_("涉及项目：%(titles)s。") % {"titles": "、".join(titles[:HIGHLIGHTS])})
    return Draft(
        source=ArticleSource.WELFARE,
        title=_("共建单位认领公益项目 爱心传递到身边"),
        body="\n\n".join(lines),
        figures=figures,
        refs={"claims": ids},
    )


# ---------------------------------------------------------------------------- service centre


def service(newsletter: Newsletter, user: Any, period: Period) -> Draft | None:
    done = Appointment.objects.restrict(user, VIEW).filter(
        street_id=newsletter.street_id, status=AppointmentStatus.DONE, **period.moments("finished_at")
    )
    waits = [
        (called - arrived).total_seconds() / 60
        for arrived, called in done.values_list("arrived_at", "called_at")
        if arrived is not None and called is not None
    ]
    home = list(
        HomeService.objects.restrict(user, VIEW)
        .filter(street_id=newsletter.street_id, status=HomeServiceStatus.DONE, **period.moments("done_at"))
        .values_list("done_at", "due_on")
    )
    appointments = done.count()
    if not appointments and not home:
        return None
    on_time = sum(1 for done_at, due in home if timezone.localtime(done_at).date() <= due)
    figures = {
        "appointments": appointments,
        "mean_wait_minutes": round(sum(waits) / len(waits), 1) if waits else None,
        "home_services": len(home),
        "home_on_time": on_time,
    }
    lines = [
        _("%(period)s，社区事务受理服务中心预约办结%(n)d件%(wait)s。")
        % {
            "period": period.label,
            "n": appointments,
            "wait": _("，平均等候%(m)s分钟") % {"m": number(figures["mean_wait_minutes"])} if waits else "",
        }
    ]
    if home:
        lines.append(
            _(
                "针对独居老人、行动不便居民的“上门办”服务办结%(n)d件，其中%(on_time)d件在期限内办结，让居民少跑腿。"
            )
            % {"n": len(home), "on_time": on_time}
        )
    return Draft(
        source=ArticleSource.SERVICE,
        title=_("家门口办事更便捷 上门服务暖人心"),
        body="\n\n".join(lines),
        figures=figures,
    )


SOURCES: tuple[Callable[[Newsletter, Any, Period], Draft | None], ...] = (
    cases,
    projects,
    elections,
    activities,
    volunteers,
    welfare,
    service,
)


def drafts(newsletter: Newsletter, user: Any) -> list[Draft]:
    """One draft per source with something in the issue's period, in the issue's order."""
    period = Period(newsletter.period_start, newsletter.period_end)
    return [d for source in SOURCES if (d := source(newsletter, user, period)) is not None]
