"""The writers of practical projects (实事项目): a project with its tree, targets and milestones,
its links to cases, and the bodies of the project and milestone machines (publish, progress
reports, complete, reopen, cancel; a milestone completed, supervised, rescheduled). Each write
is one transaction with one event (core.events) and its audit rows (AuditedModel).

Rules (docs/programmes.md, "Practical projects"):
- a project names its owner: a handling unit (which then reports its progress) or a street
  office, exactly one of them;
- a parent lies in the same street and year, is not cancelled, has no targets of its own (its
  progress is its children's) and is not a descendant of the child (no cycles);
- targets only on projects without children; removed only while the project is a draft;
- every change of a target, a child or the tree recomputes the progress (progress.refresh)."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from civicgrid.cases.models import Case, Category
from civicgrid.cases.notifications import users_of_units
from civicgrid.core import capabilities, clock, events, notifications
from civicgrid.core.capabilities import roles
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from civicgrid.core.frame import FilesContext
from civicgrid.core.inputs import as_id, clean_text, date_problem
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.orgs.models import Unit

from .. import progress
from ..choices import (
    MilestoneAction,
    MilestoneStatus,
    NotificationKind,
    ProjectAction,
    ProjectCategory,
    ProjectPhoto,
    ProjectStatus,
)
from ..models import CaseLink, ProgressReport, Project, ProjectMilestone, Target
from .frames import MILESTONE_FRAME, PROJECT_FRAME

MANAGE = "programmes.projects"
UPDATE, ADD_TARGET, UPDATE_TARGET, REMOVE_TARGET = "update", "add_target", "update_target", "remove_target"
ADD_MILESTONE, LINK_CASE, UNLINK_CASE = "add_milestone", "link_case", "unlink_case"
MISSING = _("实事项目不存在或不在你的管辖范围内")
CLOSED = (ProjectStatus.DONE, ProjectStatus.CANCELLED)
MAX_AMOUNT = Decimal(10**9)

# What update_project accepts.
EDITABLE = (
    "title",
    "category",
    "description",
    "owner_unit",
    "owner_office",
    "budget",
    "starts_on",
    "ends_on",
    "area",
    "parent",
    "weight",
    "case_categories",
)


# ---------------------------------------------------------------------------- checks


def _may_manage(actor: Any) -> None:
    if not capabilities.may(actor, MANAGE):
        raise Forbidden(_("你的角色不能编制实事项目"))


def _street(actor: Any, street: Any) -> Area:
    _may_manage(actor)
    pk = street.pk if isinstance(street, Area) else as_id(str(street))
    found = (
        Area.objects.restrict(actor, "view").filter(pk=pk, kind=AreaKind.STREET).first()
        if pk is not None
        else None
    )
    if found is None:
        raise NotFound(_("街道不存在或不在你的管辖范围内"))
    return found


def _locked(actor: Any, project: Any) -> Project:
    """The project (a row or id) in the actor's scope, locked for this transaction."""
    pk = project.pk if isinstance(project, Project) else as_id(str(project))
    if pk is None or not Project.objects.restrict(actor, "view").filter(pk=pk).exists():
        raise NotFound(MISSING)
    return Project.objects.select_for_update(of=("self",)).get(pk=pk)


def _amount(value: Any, field: str, label: str, *, positive: bool) -> Decimal:
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("%(label)s须为数字") % {"label": label}, {field: "invalid"}) from None
    if not number.is_finite() or number > MAX_AMOUNT or number < 0 or (positive and number <= 0):
        raise InvalidInput(_("%(label)s超出范围") % {"label": label}, {field: "out_of_range"})
    return number


def _date(value: Any, field: str) -> date:
    if not isinstance(value, date) or date_problem(value):
        raise InvalidInput(_("日期不正确"), {field: "invalid"})
    return value


def _unit(actor: Any, unit: Any) -> Unit | None:
    if unit in (None, ""):
        return None
    pk = unit.pk if isinstance(unit, Unit) else as_id(str(unit))
    found = Unit.objects.restrict(actor, "view").filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise InvalidInput(_("责任单位不存在"), {"owner_unit": "not_found"})
    return found


def _area(actor: Any, street: Area, area: Any) -> Area | None:
    if area in (None, ""):
        return None
    pk = area.pk if isinstance(area, Area) else as_id(str(area))
    found = (
        Area.objects.restrict(actor, "view").filter(pk=pk, street=street).exclude(pk=street.pk).first()
        if pk
        else None
    )
    if found is None:
        raise InvalidInput(_("实施地点不在该街道"), {"area": "not_found"})
    return found


def _categories(values: Any) -> list[Category]:
    raw = [as_id(str(getattr(v, "pk", v))) for v in values or ()]
    ids = [pk for pk in raw if pk is not None]
    if len(ids) != len(raw):
        raise InvalidInput(_("工单类别不存在"), {"case_categories": "not_found"})
    found = list(Category.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise InvalidInput(_("工单类别不存在"), {"case_categories": "not_found"})
    return found


def _parent(actor: Any, street: Area, year: int, parent: Any, child: Project | None = None) -> Project | None:
    if parent in (None, ""):
        return None
    pk = parent.pk if isinstance(parent, Project) else as_id(str(parent))
    found = Project.objects.restrict(actor, "view").filter(pk=pk).first() if pk is not None else None
    if found is None or found.street_id != street.pk or found.year != year:
        raise InvalidInput(_("上级项目须是同一街道同一年度的项目"), {"parent": "invalid"})
    if found.status == ProjectStatus.CANCELLED:
        raise InvalidInput(_("上级项目已取消"), {"parent": "cancelled"})
    if found.targets.exists():
        raise InvalidInput(_("上级项目有自己的量化目标，不能再有子项目"), {"parent": "has_targets"})
    if child is not None:
        ancestor: Project | None = found
        while ancestor is not None:  # the tree is a few levels deep
            if ancestor.pk == child.pk:
                raise InvalidInput(_("不能把项目放到它自己的下级项目之下"), {"parent": "cycle"})
            ancestor = ancestor.parent
    return found


def _owner(unit: Unit | None, office: str) -> None:
    if (unit is None) == (not office):
        raise InvalidInput(_("请填写责任单位或责任科室（二者选一）"), {"owner_unit": "required"})


def _period(starts_on: Any, ends_on: Any, year: int) -> None:
    starts_on, ends_on = _date(starts_on, "starts_on"), _date(ends_on, "ends_on")
    if ends_on < starts_on:
        raise InvalidInput(_("计划完成日期不能早于开始日期"), {"ends_on": "before_start"})
    if starts_on.year > year or ends_on.year < year:
        raise InvalidInput(_("项目期限须覆盖所属年度"), {"starts_on": "outside_year"})


def _weight(value: Any) -> int:
    weight = as_id(str(value))
    if weight is None or not 1 <= weight <= 100:
        raise InvalidInput(_("权重须在 1 到 100 之间"), {"weight": "out_of_range"})
    return weight


# ---------------------------------------------------------------------------- projects


def create_project(
    actor: Any,
    *,
    street: Any,
    year: int,
    title: str,
    category: str,
    starts_on: date,
    ends_on: date,
    description: str = "",
    owner_unit: Any = None,
    owner_office: str = "",
    budget: Any = None,
    area: Any = None,
    parent: Any = None,
    weight: int = 1,
    case_categories: Any = (),
) -> Project:
    home = _street(actor, street)
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInput(_("年度不正确"), {"year": "invalid"})
    if category not in ProjectCategory.values:
        raise InvalidInput(_("项目类别不正确"), {"category": "invalid"})
    unit = _unit(actor, owner_unit)
    office = clean_text(owner_office, "owner_office", _("责任科室"), 60, required=False)
    _owner(unit, office)
    _period(starts_on, ends_on, year)
    fields = {
        "title": clean_text(title, "title", _("项目名称"), 120),
        "description": clean_text(description, "description", _("项目内容"), 5000, required=False),
        "budget": None if budget in (None, "") else _amount(budget, "budget", _("预算"), positive=False),
        "area": _area(actor, home, area),
        "weight": _weight(weight),
    }
    categories = _categories(case_categories)
    with transaction.atomic():
        above = _parent(actor, home, year, parent)
        if above is not None:
            above = Project.objects.select_for_update(of=("self",)).get(pk=above.pk)
        project = Project.objects.create(
            street=home,
            year=year,
            category=category,
            owner_unit=unit,
            owner_office=office,
            starts_on=starts_on,
            ends_on=ends_on,
            parent=above,
            created_by=actor,
            **fields,
        )
        project.case_categories.set(categories)
        events.log(project, "create", actor, payload={"year": year, "parent": getattr(above, "pk", None)})
        if above is not None:
            progress.refresh(above)
    return project


def update_project(actor: Any, project: Any, *, version: int | None, **changes: Any) -> Project:
    """Change the project's plan (the fields of EDITABLE). `version` is the one the editor read:
    Conflict when someone changed it since."""
    _may_manage(actor)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(_("不能修改这些字段"), dict.fromkeys(sorted(unknown), "unknown"))
    with transaction.atomic():
        row = _locked(actor, project)
        if version is not None and version != row.version:
            raise Conflict(
                _("实事项目已被他人更新（当前版本 %(now)d，你提交的是 %(yours)d），请刷新后重试")
                % {"now": row.version, "yours": version}
            )
        if row.status == ProjectStatus.CANCELLED:
            raise Conflict(_("项目已取消，不能修改"))
        old_parent, old_weight = row.parent, row.weight
        categories = changes.pop("case_categories", None)
        for name, value in changes.items():
            if name == "title":
                row.title = clean_text(value, "title", _("项目名称"), 120)
            elif name == "description":
                row.description = clean_text(value, "description", _("项目内容"), 5000, required=False)
            elif name == "category":
                if value not in ProjectCategory.values:
                    raise InvalidInput(_("项目类别不正确"), {"category": "invalid"})
                row.category = value
            elif name == "owner_unit":
                row.owner_unit = _unit(actor, value)
            elif name == "owner_office":
                row.owner_office = clean_text(value, "owner_office", _("责任科室"), 60, required=False)
            elif name == "budget":
                row.budget = (
                    None if value in (None, "") else _amount(value, "budget", _("预算"), positive=False)
                )
            elif name == "area":
                row.area = _area(actor, row.street, value)
            elif name == "weight":
                row.weight = _weight(value)
            elif name == "parent":
                row.parent = _parent(actor, row.street, row.year, value, child=row)
            else:
                setattr(row, name, value)
        _owner(row.owner_unit, row.owner_office)
        _period(row.starts_on, row.ends_on, row.year)
        row.version += 1
        row.save()
        if categories is not None:
            row.case_categories.set(_categories(categories))
        events.log(
            row,
            UPDATE,
            actor,
            payload={"fields": sorted([*changes, *(["case_categories"] if categories is not None else [])])},
        )
        if row.parent_id != getattr(old_parent, "pk", None) or row.weight != old_weight:
            if old_parent is not None:
                progress.refresh(old_parent)
            progress.refresh(row)
    return row


def _touch(project: Project, action: str, actor: Any, payload: dict[str, Any]) -> None:
    """A change of the project's parts: its version bumped (so the page's and the API's tags
    change) and the event logged."""
    project.version += 1
    Project.objects.filter(pk=project.pk).update(version=project.version, updated_at=clock.now())
    events.log(project, action, actor, payload=payload)


def _open_for_plan(project: Project) -> None:
    if project.status in CLOSED:
        raise Conflict(_("项目已完成或已取消，不能再修改目标和节点"))


def add_target(
    actor: Any, project: Any, *, name: str, unit: str, goal: Any, order: int | None = None
) -> Target:
    _may_manage(actor)
    label, measure = clean_text(name, "name", _("指标"), 60), clean_text(unit, "unit", _("计量单位"), 12)
    amount = _amount(goal, "goal", _("目标值"), positive=True)
    with transaction.atomic():
        row = _locked(actor, project)
        _open_for_plan(row)
        if row.children.exists():
            raise Conflict(_("有子项目的项目按子项目计算进度，不能有自己的量化目标"))
        position = order if order is not None else row.targets.count()
        target = Target.objects.create(
            project=row, street_id=row.street_id, name=label, unit=measure, goal=amount, order=position
        )
        _touch(row, ADD_TARGET, actor, {"target": target.pk, "goal": str(amount)})
        progress.refresh(row)
    return target


def _target(actor: Any, target: Any) -> Target:
    pk = target.pk if isinstance(target, Target) else as_id(str(target))
    found = Target.objects.restrict(actor, "view").filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise NotFound(_("指标不存在或不在你的管辖范围内"))
    return found


def update_target(
    actor: Any, target: Any, *, goal: Any, name: str | None = None, unit: str | None = None
) -> Target:
    _may_manage(actor)
    found = _target(actor, target)
    amount = _amount(goal, "goal", _("目标值"), positive=True)
    with transaction.atomic():
        row = _locked(actor, found.project_id)
        _open_for_plan(row)
        found = Target.objects.select_for_update().get(pk=found.pk)
        found.goal = amount
        if name is not None:
            found.name = clean_text(name, "name", _("指标"), 60)
        if unit is not None:
            found.unit = clean_text(unit, "unit", _("计量单位"), 12)
        found.save()
        _touch(row, UPDATE_TARGET, actor, {"target": found.pk, "goal": str(amount)})
        progress.refresh(row)
    return found


def remove_target(actor: Any, target: Any) -> None:
    _may_manage(actor)
    found = _target(actor, target)
    with transaction.atomic():
        row = _locked(actor, found.project_id)
        if row.status != ProjectStatus.DRAFT:
            raise Conflict(_("项目发布后不能删除目标；可调整目标值"))
        found.delete()
        _touch(row, REMOVE_TARGET, actor, {"target": found.pk})
        progress.refresh(row)


def add_milestone(actor: Any, project: Any, *, title: str, due_on: date) -> ProjectMilestone:
    _may_manage(actor)
    label, due = clean_text(title, "title", _("节点"), 80), _date(due_on, "due_on")
    with transaction.atomic():
        row = _locked(actor, project)
        _open_for_plan(row)
        milestone = ProjectMilestone.objects.create(
            project=row, street_id=row.street_id, title=label, due_on=due
        )
        _touch(row, ADD_MILESTONE, actor, {"milestone": milestone.pk, "due_on": due.isoformat()})
    return milestone


# ---------------------------------------------------------------------------- case links


def _case(actor: Any, project: Project, number: str) -> Case:
    text = str(number or "").strip()
    found = (
        Case.objects.restrict(actor, "view").filter(number=text, street_id=project.street_id).first()
        if text and len(text) <= 32 and "\x00" not in text
        else None
    )
    if found is None:
        raise InvalidInput(_("没有这个工单编号，或工单不在项目所在街道"), {"number": "not_found"})
    return found


def link_case(actor: Any, project: Any, *, number: str) -> CaseLink:
    _may_manage(actor)
    with transaction.atomic():
        row = _locked(actor, project)
        case = _case(actor, row, number)
        if CaseLink.objects.filter(project=row, case=case).exists():
            raise Conflict(_("工单 %(number)s 已关联本项目") % {"number": case.number})
        link = CaseLink.objects.create(project=row, case=case, street_id=row.street_id, linked_by=actor)
        _touch(row, LINK_CASE, actor, {"case": case.pk, "number": case.number})
    return link


def unlink_case(actor: Any, project: Any, *, number: str) -> None:
    _may_manage(actor)
    with transaction.atomic():
        row = _locked(actor, project)
        case = _case(actor, row, number)
        if not CaseLink.objects.filter(project=row, case=case).delete()[0]:
            raise NotFound(_("工单 %(number)s 没有关联本项目") % {"number": case.number})
        _touch(row, UNLINK_CASE, actor, {"case": case.pk, "number": case.number})


# ---------------------------------------------------------------------------- the project's machine


@PROJECT_FRAME.implements(ProjectAction.PUBLISH)
def publish(ctx: FilesContext, *, note: str = "") -> None:
    ctx.note = note


@PROJECT_FRAME.implements(ProjectAction.REPORT)
def report(
    ctx: FilesContext,
    *,
    target: Target | None = None,
    value: float | None = None,
    reported_on: date | None = None,
    note: str = "",
    photos: Any = None,
) -> None:
    """报告进展: the figure reached on one target as of a day (cumulative), a note and photos.
    The target's `reached` is the figure of its latest-dated report; the progress of the project
    and its ancestors follow."""
    project: Project = ctx.obj
    if (target is None) != (value is None):
        raise InvalidInput(_("请同时选择指标并填写累计完成数"), {"value" if target else "target": "required"})
    day = reported_on or clock.today()
    if day > clock.today():
        raise InvalidInput(_("截至日期不能晚于今天"), {"reported_on": "future"})
    figure = None if value is None else _amount(value, "value", _("累计完成"), positive=False)
    made = ProgressReport.objects.create(
        project=project,
        street_id=project.street_id,
        target=target,
        value=figure,
        reported_on=day,
        note=note,
        reported_by=ctx.actor,
    )
    if target is not None:
        later = ProgressReport.objects.filter(target=target, reported_on__gt=day).exists()
        if not later:
            Target.objects.filter(pk=target.pk).update(reached=figure)
        # Written here and by the frame alike, so the ancestors read the new figure.
        ctx.set(progress=progress.refresh(project))
    ctx.note = note
    ctx.photos, ctx.stage = list(photos or []), ProjectPhoto.PROGRESS
    # The report's photos are stored with this event; the page finds them through it.
    ctx.payload.update(
        report=made.pk, target=getattr(target, "pk", None), value=None if figure is None else str(figure)
    )


@PROJECT_FRAME.implements(ProjectAction.COMPLETE)
def complete(ctx: FilesContext, *, note: str = "") -> None:
    ctx.note = note
    _refresh_above(ctx)


@PROJECT_FRAME.implements(ProjectAction.REOPEN)
def reopen(ctx: FilesContext, *, note: str) -> None:
    ctx.note = note
    _refresh_above(ctx)


@PROJECT_FRAME.implements(ProjectAction.CANCEL)
def cancel(ctx: FilesContext, *, note: str) -> None:
    """A cancelled child no longer counts in its parent's progress."""
    ctx.note = note
    _refresh_above(ctx)


def _refresh_above(ctx: FilesContext) -> None:
    project: Project = ctx.obj
    if project.parent_id is not None:
        # The frame writes the new status after the body: the parent counts it already.
        progress.refresh(project.parent, {project.pk: ctx.target})  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- milestones


def street_admins(street_id: int) -> list[Any]:
    """The street's programmes office: the accounts there that keep its projects."""
    return list(get_user_model().objects.working_in(street_id, roles("programmes.projects")))


def owners(project: Project) -> list[Any]:
    """Who answers for the project: its owner unit's members (none for an office's project)."""
    return users_of_units([project.owner_unit_id]) if project.owner_unit_id else []


@MILESTONE_FRAME.implements(MilestoneAction.COMPLETE)
def complete_milestone(ctx: FilesContext, *, done_on: date | None = None, note: str = "") -> None:
    day = done_on or clock.today()
    if day > clock.today():
        raise InvalidInput(_("实际完成日期不能晚于今天"), {"done_on": "future"})
    ctx.set(done_on=day)
    ctx.note = note


@MILESTONE_FRAME.implements(MilestoneAction.SUPERVISE)
def supervise(ctx: FilesContext, *, note: str) -> None:
    """督办: counted, and the owner unit told (one notice per supervision)."""
    milestone: ProjectMilestone = ctx.obj
    count = milestone.supervisions + 1
    ctx.set(supervisions=count)
    ctx.note = note
    ctx.payload["supervisions"] = count
    project = milestone.project
    notifications.send_on_commit(
        owners(project) or street_admins(project.street_id),
        milestone,
        NotificationKind.MILESTONE_SUPERVISED,
        gettext_noop("实事项目“%(project)s”的节点“%(milestone)s”已逾期，第 %(n)d 次督办：%(note)s"),
        f"milestone-supervised:{milestone.pk}:{count}",
        {"project": project.title, "milestone": milestone.title, "n": count, "note": note},
    )


@MILESTONE_FRAME.implements(MilestoneAction.RESCHEDULE)
def reschedule(ctx: FilesContext, *, due_on: date, note: str) -> None:
    if due_on < clock.today():
        raise InvalidInput(_("新的计划完成日期不能早于今天"), {"due_on": "past"})
    ctx.set(due_on=due_on)
    ctx.note = note
    ctx.payload["due_on"] = due_on.isoformat()


def _notify_overdue(milestone: ProjectMilestone) -> None:
    project = milestone.project
    users = {u.pk: u for u in [*owners(project), *street_admins(project.street_id)]}
    notifications.send_on_commit(
        users.values(),
        milestone,
        NotificationKind.MILESTONE_OVERDUE,
        gettext_noop("实事项目“%(project)s”的节点“%(milestone)s”已逾期（计划 %(due)s 完成）"),
        # One notice per milestone and due date: a rescheduled milestone that slips again is news.
        f"milestone-overdue:{milestone.pk}:{milestone.due_on.isoformat()}",
        {"project": project.title, "milestone": milestone.title, "due": milestone.due_on.isoformat()},
    )


def mark_overdue_milestones() -> int:
    """The daily check: every open milestone whose day has passed becomes overdue (the system
    transition; one already marked is left alone), its owner unit and the street's
    administrators told. Returns how many were marked. Only active projects' milestones: a
    draft's plan is not yet promised, a done or cancelled project's is over."""
    due = ProjectMilestone.objects.filter(
        status=MilestoneStatus.OPEN, due_on__lt=clock.today(), project__status=ProjectStatus.ACTIVE
    )
    marked = 0
    for pk in due.order_by("pk").values_list("pk", flat=True):

        def tell(ctx: Any) -> None:
            _notify_overdue(ctx.obj)

        if MILESTONE_FRAME.run_system(pk, MilestoneAction.MARK_OVERDUE, tell):
            marked += 1
    return marked
