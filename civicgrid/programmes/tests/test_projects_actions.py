"""Practical projects' writers and progress: the tree's rules, target-based progress (capped,
weighted children, cancelled children left out), a progress report updating the target and
every ancestor, the version check, case links and the chart's series, and the daily overdue
check (marks once, notifies once, then supervise and reschedule)."""

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command
from django.test import TestCase

from civicgrid.cases import actions as case_actions
from civicgrid.cases.actions.intake import CaseInput
from civicgrid.cases.models import Category
from civicgrid.core.choices import Role
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TransitionNotAllowed
from civicgrid.core.models import Event, Notification
from civicgrid.programmes import progress
from civicgrid.programmes.actions.frames import MILESTONE_FRAME, PROJECT_FRAME
from civicgrid.programmes.actions.projects import (
    add_milestone,
    add_target,
    create_project,
    link_case,
    mark_overdue_milestones,
    remove_target,
    unlink_case,
    update_project,
    update_target,
)
from civicgrid.programmes.choices import (
    MilestoneAction,
    MilestoneStatus,
    NotificationKind,
    ProjectAction,
    ProjectCategory,
    ProjectStatus,
)
from civicgrid.programmes.models import ProgressReport, Project, ProjectMilestone, Target
from civicgrid.testing.factories import build_world
from civicgrid.testing.programmes import build_programmes

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 7, 15, 9, 0, tzinfo=SHANGHAI)


class RuleTests(TestCase):
    """The pure rule."""

    def test_leaf_is_the_mean_of_capped_shares(self) -> None:
        self.assertEqual(
            progress.leaf_progress([(Decimal(225), Decimal(450)), (Decimal(20), Decimal(16))]),
            Decimal("75.00"),
        )
        self.assertEqual(progress.leaf_progress([]), Decimal("0.00"))

    def test_parent_is_the_weighted_mean_without_cancelled_children(self) -> None:
        children = [
            (1, Decimal(100), ProjectStatus.DONE),
            (3, Decimal(20), ProjectStatus.ACTIVE),
            (5, Decimal(0), ProjectStatus.CANCELLED),
        ]
        self.assertEqual(progress.parent_progress(children), Decimal("40.00"))
        self.assertEqual(
            progress.parent_progress([(1, Decimal(50), ProjectStatus.CANCELLED)]), Decimal("0.00")
        )


class Base(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = cls.world.east
        cls.admin, cls.handler = cls.east.users[Role.ADMIN], cls.east.users[Role.HANDLER]
        with time_machine.travel(NOW, tick=False):
            cls.made = build_programmes(cls.east)

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def project(self, **extra: object) -> Project:
        values: dict[str, object] = {
            "street": self.east.street,
            "year": 2027,
            "title": "非机动车充电设施建设",
            "category": ProjectCategory.SAFETY,
            "starts_on": date(2027, 1, 1),
            "ends_on": date(2027, 12, 31),
            "owner_unit": self.east.unit,
        }
        values.update(extra)
        return create_project(self.admin, **values)  # type: ignore[arg-type]


class TreeTests(Base):
    def test_owner_dates_parent_rules(self) -> None:
        with self.assertRaises(InvalidInput) as err:
            self.project(owner_unit=None)
        self.assertIn("owner_unit", err.exception.fields)
        with self.assertRaises(InvalidInput):
            self.project(owner_office="管理办")  # both owners
        with self.assertRaises(InvalidInput) as err:
            self.project(ends_on=date(2026, 12, 1))
        self.assertIn("ends_on", err.exception.fields)
        # The child of build_programmes has targets: it cannot be a parent.
        with self.assertRaises(InvalidInput) as err:
            self.project(parent=self.made.project)
        self.assertEqual(err.exception.fields, {"parent": "has_targets"})
        with self.assertRaises(InvalidInput):
            self.project(
                parent=self.made.parent, year=2028, starts_on=date(2028, 1, 1), ends_on=date(2028, 6, 1)
            )
        # A handler may not plan; another street's office does not find the street.
        with self.assertRaises(Forbidden):
            create_project(
                self.handler,
                street=self.east.street,
                year=2027,
                title="x",
                category="other",
                starts_on=date(2027, 1, 1),
                ends_on=date(2027, 2, 1),
                owner_office="x",
            )
        with self.assertRaises(NotFound):
            create_project(
                self.world.west.users[Role.ADMIN],
                street=self.east.street,
                year=2027,
                title="x",
                category="other",
                starts_on=date(2027, 1, 1),
                ends_on=date(2027, 2, 1),
                owner_office="x",
            )

    def test_a_new_child_and_a_cycle(self) -> None:
        child = self.project(parent=self.made.parent, weight=1)
        self.assertEqual(Event.objects.filter(object_id=child.pk, action="create").count(), 1)
        # Children: the seeded one (40 %) and the new one (0 %): the parent is 20 %.
        self.made.parent.refresh_from_db()
        self.assertEqual(self.made.parent.progress, Decimal("20.00"))
        grandchild = self.project(parent=child)
        with self.assertRaises(InvalidInput) as err:
            update_project(self.admin, child, version=child.version, parent=grandchild.pk)
        self.assertEqual(err.exception.fields, {"parent": "cycle"})
        with self.assertRaises(Conflict):
            add_target(self.admin, child, name="户数", unit="户", goal=10)

    def test_update_is_version_checked(self) -> None:
        project = self.project()
        done = update_project(self.admin, project, version=project.version, title="新名称", budget="88.5")
        self.assertEqual((done.title, done.budget, done.version), ("新名称", Decimal("88.50"), 2))
        with self.assertRaises(Conflict):
            update_project(self.admin, project, version=1, title="又改")
        with self.assertRaises(InvalidInput):
            update_project(self.admin, project, version=2, secret="x")
        moved = update_project(self.admin, project, version=2, parent=self.made.parent, weight=3)
        self.made.parent.refresh_from_db()
        # (40 × 1 + 0 × 3) / 4
        self.assertEqual(self.made.parent.progress, Decimal("10.00"))
        self.assertEqual(moved.parent_id, self.made.parent.pk)

    def test_targets(self) -> None:
        project = self.project()
        homes = add_target(self.admin, project, name="改造户数", unit="户", goal=450)
        sites = add_target(self.admin, project, name="充电点", unit="处", goal="16")
        with self.assertRaises(InvalidInput):
            add_target(self.admin, project, name="x", unit="处", goal=0)
        with self.assertRaises(InvalidInput):
            add_target(self.admin, project, name="x", unit="处", goal="NaN")
        update_target(self.admin, sites, goal=20)
        self.assertEqual(Target.objects.get(pk=sites.pk).goal, Decimal(20))
        remove_target(self.admin, homes)
        PROJECT_FRAME.run(project.pk, ProjectAction.PUBLISH, self.admin, {})
        with self.assertRaises(Conflict):
            remove_target(self.admin, sites)


class ReportTests(Base):
    def test_report_updates_the_target_the_project_and_its_parent(self) -> None:
        child, target, parent = self.made.project, self.made.target, self.made.parent
        PROJECT_FRAME.run(
            child.pk,
            ProjectAction.REPORT,
            self.handler,
            {"target": target.pk, "value": 405, "reported_on": "2027-07-10", "note": "完成 405 户"},
        )
        target.refresh_from_db()
        child.refresh_from_db()
        parent.refresh_from_db()
        self.assertEqual(target.reached, Decimal(405))
        self.assertEqual(child.progress, Decimal("90.00"))
        self.assertEqual(parent.progress, Decimal("90.00"))  # its only child
        report = ProgressReport.objects.filter(project=child).latest("pk")
        event = Event.objects.get(object_id=child.pk, action=ProjectAction.REPORT)
        self.assertEqual((event.payload["report"], event.payload["note"]), (report.pk, "完成 405 户"))
        self.assertEqual(report.event_id, event.pk)  # where its photos are
        # An older report does not lower the figure; over-achievement is capped.
        PROJECT_FRAME.run(
            child.pk,
            ProjectAction.REPORT,
            self.handler,
            {"target": target.pk, "value": 100, "reported_on": "2027-05-01", "note": "补报"},
        )
        target.refresh_from_db()
        self.assertEqual(target.reached, Decimal(405))
        PROJECT_FRAME.run(
            child.pk, ProjectAction.REPORT, self.handler, {"target": target.pk, "value": 500, "note": "超额"}
        )
        child.refresh_from_db()
        self.assertEqual(child.progress, Decimal("100.00"))

    def test_report_refusals(self) -> None:
        child = self.made.project
        with self.assertRaises(InvalidInput):
            PROJECT_FRAME.run(child.pk, ProjectAction.REPORT, self.handler, {"value": 3, "note": "x"})
        with self.assertRaises(InvalidInput):
            PROJECT_FRAME.run(
                child.pk,
                ProjectAction.REPORT,
                self.handler,
                {"target": self.made.target.pk, "value": 3, "reported_on": "2027-08-01", "note": "x"},
            )
        other = self.project()
        stray = add_target(self.admin, other, name="x", unit="处", goal=5)
        with self.assertRaises(InvalidInput):
            PROJECT_FRAME.run(
                child.pk, ProjectAction.REPORT, self.admin, {"target": stray.pk, "value": 3, "note": "x"}
            )
        # A draft takes no report; a leader does not report.
        with self.assertRaises(TransitionNotAllowed):
            PROJECT_FRAME.run(other.pk, ProjectAction.REPORT, self.admin, {"note": "x"})
        with self.assertRaises((Forbidden, TransitionNotAllowed)):
            PROJECT_FRAME.run(child.pk, ProjectAction.REPORT, self.east.users[Role.LEADER], {"note": "x"})

    def test_cancelling_a_child_leaves_it_out_of_the_parent(self) -> None:
        second = self.project(parent=self.made.parent)
        add_target(self.admin, second, name="x", unit="处", goal=5)
        self.made.parent.refresh_from_db()
        self.assertEqual(self.made.parent.progress, Decimal("20.00"))
        PROJECT_FRAME.run(second.pk, ProjectAction.CANCEL, self.admin, {"note": "并入区级项目"})
        self.made.parent.refresh_from_db()
        self.assertEqual(self.made.parent.progress, Decimal("40.00"))

    def test_complete_needs_every_target(self) -> None:
        with self.assertRaises(TransitionNotAllowed):
            PROJECT_FRAME.run(self.made.project.pk, ProjectAction.COMPLETE, self.admin, {})
        PROJECT_FRAME.run(
            self.made.project.pk,
            ProjectAction.REPORT,
            self.handler,
            {"target": self.made.target.pk, "value": 450, "note": "全部完成"},
        )
        done = PROJECT_FRAME.run(self.made.project.pk, ProjectAction.COMPLETE, self.admin, {})
        self.assertEqual(done.status, ProjectStatus.DONE)


class CaseLinkTests(Base):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.charging = Category.objects.get(name="电动车违规充电")
        point = cls.east.grids[0].shape.centroid
        cls.cases = []
        for day in (date(2027, 2, 3), date(2027, 2, 20), date(2027, 4, 9)):
            at = datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI)
            with time_machine.travel(at, tick=False):
                cls.cases.append(
                    case_actions.create_case(
                        CaseInput(
                            request_type="complaint",
                            category=cls.charging.code,
                            title="楼道飞线充电",
                            description="楼道里电瓶车飞线充电",
                            channel="hotline",
                            lon=point.x,
                            lat=point.y,
                        ),
                        cls.east.users[Role.DISPATCHER],
                    )
                )

    def test_links_by_hand_and_by_category(self) -> None:
        project = self.project(case_categories=[self.charging.pk])
        seen = progress.linked_cases(project, case_actions_cases(self.admin))
        self.assertEqual(seen.count(), 3)
        plain = self.project()
        link_case(self.admin, plain, number=self.cases[0].number)
        with self.assertRaises(Conflict):
            link_case(self.admin, plain, number=self.cases[0].number)
        with self.assertRaises(InvalidInput):
            link_case(self.admin, plain, number="NOPE")
        with self.assertRaises(NotFound):
            link_case(self.world.west.users[Role.ADMIN], plain, number=self.cases[0].number)
        self.assertEqual(list(progress.linked_cases(plain, case_actions_cases(self.admin))), [self.cases[0]])
        unlink_case(self.admin, plain, number=self.cases[0].number)
        self.assertEqual(progress.linked_cases(plain, case_actions_cases(self.admin)).count(), 0)

    def test_chart_series(self) -> None:
        project = self.project(case_categories=[self.charging.pk])
        sites = add_target(self.admin, project, name="充电点", unit="处", goal=16)
        PROJECT_FRAME.run(project.pk, ProjectAction.PUBLISH, self.admin, {})
        PROJECT_FRAME.run(
            project.pk,
            ProjectAction.REPORT,
            self.admin,
            {"target": sites.pk, "value": 4, "reported_on": "2027-03-15", "note": "4 处"},
        )
        PROJECT_FRAME.run(
            project.pk,
            ProjectAction.REPORT,
            self.admin,
            {"target": sites.pk, "value": 10, "reported_on": "2027-05-02", "note": "10 处"},
        )
        data = progress.chart(project, case_actions_cases(self.admin), [sites])
        self.assertEqual(
            data["months"], ["2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06", "2027-07"]
        )
        self.assertEqual(data["cases"], [0, 2, 0, 1, 0, 0, 0])
        self.assertEqual(data["targets"][0]["data"], [0, 0, 4, 4, 10, 10, 10])


def case_actions_cases(user: object) -> object:
    from civicgrid.cases.models import Case

    return Case.objects.restrict(user, "view")


class OverdueTests(Base):
    def test_the_job_marks_once_and_notifies_once(self) -> None:
        milestone = add_milestone(self.admin, self.made.project, title="完成 200 户", due_on=date(2027, 6, 1))
        later = add_milestone(self.admin, self.made.project, title="完成 450 户", due_on=date(2027, 11, 1))
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(mark_overdue_milestones(), 1)
        with self.captureOnCommitCallbacks(execute=True):
            out = io.StringIO()
            call_command("check_programme_milestones", stdout=out)
        self.assertIn("0", out.getvalue())
        milestone.refresh_from_db()
        self.assertEqual(milestone.status, MilestoneStatus.OVERDUE)
        self.assertEqual(ProjectMilestone.objects.get(pk=later.pk).status, MilestoneStatus.OPEN)
        notices = Notification.objects.filter(kind=NotificationKind.MILESTONE_OVERDUE, object_id=milestone.pk)
        self.assertEqual({n.user_id for n in notices}, {self.handler.pk, self.admin.pk})
        self.assertEqual(
            Event.objects.filter(object_id=milestone.pk, action=MilestoneAction.MARK_OVERDUE).count(), 1
        )

    def test_supervise_and_reschedule(self) -> None:
        milestone = self.made.milestone  # overdue
        leader = self.east.users[Role.LEADER]
        with self.captureOnCommitCallbacks(execute=True):
            MILESTONE_FRAME.run(milestone.pk, MilestoneAction.SUPERVISE, leader, {"note": "请本月底前完成"})
        milestone.refresh_from_db()
        self.assertEqual((milestone.supervisions, milestone.status), (1, MilestoneStatus.OVERDUE))
        self.assertTrue(
            Notification.objects.filter(
                kind=NotificationKind.MILESTONE_SUPERVISED, user=self.handler
            ).exists()
        )
        with self.assertRaises(InvalidInput):
            MILESTONE_FRAME.run(
                milestone.pk, MilestoneAction.RESCHEDULE, self.admin, {"due_on": "2027-06-01", "note": "x"}
            )
        MILESTONE_FRAME.run(
            milestone.pk, MilestoneAction.RESCHEDULE, self.admin, {"due_on": "2027-07-31", "note": "招标流标"}
        )
        milestone.refresh_from_db()
        self.assertEqual((milestone.status, milestone.due_on), (MilestoneStatus.OPEN, date(2027, 7, 31)))
        done = MILESTONE_FRAME.run(milestone.pk, MilestoneAction.COMPLETE, self.handler, {"note": "已完成"})
        self.assertEqual((done.status, done.done_on), (MilestoneStatus.DONE, date(2027, 7, 15)))
        # Another street's handler does not find it.
        with self.assertRaises(NotFound):
            MILESTONE_FRAME.run(
                milestone.pk, MilestoneAction.SUPERVISE, self.world.west.users[Role.LEADER], {"note": "x"}
            )
