"""The demo's practical projects (实事项目) of one street for the load day's year: a dozen
top-level projects across the categories — seed 002's rewiring of old homes (450 户) and
e-bike charging sites (16 处, linked to the 电动车违规充电 cases of the street) among them —,
one programme (美丽家园) with a child per residential area, a draft and a cancelled one;
milestones (most done on time, a few left to go overdue, one supervised) and progress reports
every few weeks with figures that follow each project's pace. Every write goes through
`programmes.actions` inside `clock.at()`; the overdue check runs at the end."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from civicgrid.accounts.models import User
from civicgrid.cases.models import Category
from civicgrid.core import clock
from civicgrid.core.choices import Role
from civicgrid.programmes.actions import projects as writers
from civicgrid.programmes.actions.frames import MILESTONE_FRAME, PROJECT_FRAME
from civicgrid.programmes.choices import MilestoneAction, MilestoneStatus, ProjectAction, ProjectCategory
from civicgrid.programmes.models import Project, ProjectMilestone

if TYPE_CHECKING:  # the package imports this module before it defines the plan
    from . import StreetPlan


def at(day: date, hour: int) -> datetime:
    from . import at as moment  # imported late: the package imports this module first

    return moment(day, hour)


OFFICES = ("街道管理办", "街道自治办", "街道服务办", "街道平安办")
C = ProjectCategory


@dataclass(frozen=True)
class Spec:
    title: str
    category: str
    target: str
    unit: str
    goal: int
    budget: int  # 万元
    pace: float  # how far ahead (>1) or behind (<1) of its period the work runs
    charging: bool = False  # the e-bike charging complaints are its linked cases


SPECS = (
    Spec(
        gettext_noop("老旧住房电线线路改造"),
        C.SAFETY,
        gettext_noop("改造户数"),
        gettext_noop("户"),
        450,
        180,
        1.05,
    ),
    Spec(
        gettext_noop("非机动车充电设施建设"),
        C.SAFETY,
        gettext_noop("新建充电点"),
        gettext_noop("处"),
        16,
        96,
        1.2,
        charging=True,
    ),
    Spec(
        gettext_noop("既有多层住宅加装电梯"),
        C.RENEWAL,
        gettext_noop("完工电梯"),
        gettext_noop("台"),
        12,
        600,
        0.7,
    ),
    Spec(
        gettext_noop("社区长者食堂建设"),
        C.ELDERLY,
        gettext_noop("新开长者食堂"),
        gettext_noop("家"),
        2,
        150,
        0.9,
    ),
    Spec(
        gettext_noop("独居老人助餐送餐服务"),
        C.ELDERLY,
        gettext_noop("送餐服务老人"),
        gettext_noop("人"),
        300,
        45,
        1.3,
    ),
    Spec(
        gettext_noop("口袋公园建设"),
        C.ENVIRONMENT,
        gettext_noop("建成口袋公园"),
        gettext_noop("处"),
        3,
        210,
        0.8,
    ),
    Spec(
        gettext_noop("垃圾箱房改造"), C.ENVIRONMENT, gettext_noop("改造箱房"), gettext_noop("座"), 20, 60, 1.1
    ),
    Spec(
        gettext_noop("非机动车停车棚增设"),
        C.TRAFFIC,
        gettext_noop("新增停车位"),
        gettext_noop("个"),
        200,
        40,
        0.5,
    ),
    Spec(
        gettext_noop("社区文化活动中心改造"),
        C.CULTURE,
        gettext_noop("改造场馆"),
        gettext_noop("处"),
        1,
        120,
        0.6,
    ),
    Spec(
        gettext_noop("15 分钟社区生活圈便民服务点"),
        C.SERVICE,
        gettext_noop("新设服务点"),
        gettext_noop("个"),
        5,
        35,
        1.0,
    ),
    Spec(
        gettext_noop("独居老人家庭烟感报警器安装"),
        C.SAFETY,
        gettext_noop("安装户数"),
        gettext_noop("户"),
        500,
        25,
        1.5,
    ),
)


def _day(plan: "StreetPlan", days: int, start: date) -> date:
    return min(start + timedelta(days=days), plan.today)


def _owner(plan: "StreetPlan", index: int) -> dict[str, Any]:
    # Every other project is a handling unit's (it reports), the others a street office's.
    if plan.units and index % 2 == 0:
        return {"owner_unit": plan.units[(index // 2) % len(plan.units)]}
    return {"owner_office": _(OFFICES[index % len(OFFICES)])}


def _plan(plan: "StreetPlan", project: Project, spec: Spec, year_start: date, year_end: date) -> int:
    """A target and four milestones; returns the rows made."""
    admin = plan.users[Role.ADMIN]
    writers.add_target(admin, project, name=_(spec.target), unit=_(spec.unit), goal=spec.goal)
    steps = ((_("完成方案设计"), 45), (_("完成施工招标"), 100), (_("完成过半"), 200), (_("全部完工"), 350))
    for title, offset in steps:
        writers.add_milestone(
            admin, project, title=title, due_on=min(year_start + timedelta(days=offset), year_end)
        )
    return 1 + len(steps)


def _progress(plan: "StreetPlan", project: Project, spec: Spec, start: date, end: date, rng: Any) -> int:
    """Reports every three to five weeks, the figure following the project's pace; the
    milestones done as the work passes them (a slow project leaves some undone)."""
    # The owner unit's handler reports (the street office for its own projects).
    handlers = User.objects.filter(role=Role.HANDLER, is_active=True, memberships__unit=project.owner_unit_id)
    reporter = (handlers.order_by("pk").first() if project.owner_unit_id else None) or plan.users[Role.ADMIN]
    made, day, span = 0, start + timedelta(days=rng.randint(25, 40)), (end - start).days
    target = project.targets.get()
    while day < plan.today:
        share = min(1.0, spec.pace * (day - start).days / span)
        figure = int(spec.goal * share)
        if figure > target.reached:
            with clock.at(at(day, 16)):
                PROJECT_FRAME.run(
                    project.pk,
                    ProjectAction.REPORT,
                    reporter,
                    {
                        "target": target.pk,
                        "value": figure,
                        "reported_on": day.isoformat(),
                        "note": _("截至本日累计完成 %(n)d%(unit)s，施工有序推进")
                        % {"n": figure, "unit": _(spec.unit)},
                    },
                )
            target.reached = Decimal(figure)
            made += 1
        day += timedelta(days=rng.randint(21, 35))
    share, finished = float(target.reached) / spec.goal, target.reached >= spec.goal
    last = min(day - timedelta(days=1), plan.today - timedelta(days=1))
    for milestone in ProjectMilestone.objects.filter(project=project).order_by("due_on"):
        fraction = (milestone.due_on - start).days / span
        if not finished and (milestone.due_on >= plan.today or share < fraction * 0.9):
            continue
        done_on = min(milestone.due_on - timedelta(days=rng.randint(0, 10)), last)
        with clock.at(at(max(done_on, start), 17)):
            MILESTONE_FRAME.run(
                milestone.pk,
                MilestoneAction.COMPLETE,
                reporter,
                {"done_on": max(done_on, start).isoformat(), "note": _("按期完成")},
            )
        made += 1
    if finished:
        with clock.at(at(plan.today - timedelta(days=1), 10)):
            PROJECT_FRAME.run(
                project.pk, ProjectAction.COMPLETE, plan.users[Role.ADMIN], {"note": _("目标全部完成")}
            )
    return made


def load(plan: "StreetPlan") -> int:
    admin, rng = plan.users.get(Role.ADMIN), plan.rng("projects")
    if admin is None:
        return 0
    year = plan.today.year
    year_start, year_end = date(year, 1, 1), date(year, 12, 31)
    made_on = min(date(year, 1, 5), plan.today)
    charging = list(Category.objects.filter(name="电动车违规充电").values_list("pk", flat=True))
    made, projects = 0, []
    with clock.at(at(made_on, 9)):
        for index, spec in enumerate(SPECS):
            project = writers.create_project(
                admin,
                street=plan.street,
                year=year,
                title=_(spec.title),
                category=spec.category,
                starts_on=year_start,
                ends_on=year_end,
                budget=spec.budget,
                description=_("%(street)s %(year)d 年实事项目") % {"street": plan.street.name, "year": year},
                case_categories=charging if spec.charging else (),
                **_owner(plan, index),
            )
            made += 1 + _plan(plan, project, spec, year_start, year_end)
            PROJECT_FRAME.run(project.pk, ProjectAction.PUBLISH, admin, {"note": _("经居民代表会议审议通过")})
            projects.append((project, spec))
        # 美丽家园: one programme, a child per residential area (weighted by its size).
        programme = writers.create_project(
            admin,
            street=plan.street,
            year=year,
            title=_("美丽家园建设"),
            category=C.RENEWAL,
            starts_on=year_start,
            ends_on=year_end,
            budget=800,
            owner_office=_("街道管理办"),
        )
        made += 1
        for index, area in enumerate(plan.areas[:3]):
            spec = Spec(
                f"{area.name}美丽家园改造",
                C.RENEWAL,
                "完成改造楼栋",
                "幢",
                rng.randint(8, 20),
                0,
                rng.choice((0.6, 0.9, 1.1)),
            )
            child = writers.create_project(
                admin,
                street=plan.street,
                year=year,
                title=spec.title,
                category=C.RENEWAL,
                starts_on=year_start,
                ends_on=year_end,
                area=area,
                parent=programme,
                weight=index + 1,
                **_owner(plan, index * 2),
            )
            made += 1 + _plan(plan, child, spec, year_start, year_end)
            PROJECT_FRAME.run(child.pk, ProjectAction.PUBLISH, admin, {})
            projects.append((child, spec))
        PROJECT_FRAME.run(programme.pk, ProjectAction.PUBLISH, admin, {})
        draft = writers.create_project(
            admin,
            street=plan.street,
            year=year,
            title=_("加装电梯（二期）"),
            category=C.RENEWAL,
            starts_on=year_start,
            ends_on=year_end,
            owner_office=_("街道管理办"),
        )
        writers.add_target(admin, draft, name=_("完工电梯"), unit=_("台"), goal=10)
        cancelled = writers.create_project(
            admin,
            street=plan.street,
            year=year,
            title=_("地下车库改建停车场"),
            category=C.TRAFFIC,
            starts_on=year_start,
            ends_on=year_end,
            owner_office=_("街道平安办"),
        )
        made += 3
    with clock.at(at(min(made_on + timedelta(days=20), plan.today), 11)):
        PROJECT_FRAME.run(cancelled.pk, ProjectAction.CANCEL, admin, {"note": _("产权未理清，转入明年计划")})
    for project, spec in projects:
        made += _progress(plan, project, spec, year_start, year_end, rng)
    # The daily check on the load day: the slow projects' passed milestones become overdue;
    # the leader supervises the oldest.
    with clock.at(at(plan.today, 6)):
        writers.mark_overdue_milestones()
    leader = plan.users.get(Role.LEADER)
    oldest = (
        ProjectMilestone.objects.filter(street=plan.street, status=MilestoneStatus.OVERDUE)
        .order_by("due_on")
        .first()
    )
    if leader is not None and oldest is not None:
        with clock.at(at(plan.today, 9)):
            MILESTONE_FRAME.run(
                oldest.pk,
                MilestoneAction.SUPERVISE,
                leader,
                {"note": _("请责任单位说明滞后原因，两周内报送整改计划")},
            )
        made += 1
    return made
