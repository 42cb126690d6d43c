"""The demo's practical projects (demo/programmes/projects.py), played for both streets of
`build_world()` (a cheap plan: the loader needs only the street, its users, areas and units)
on a load day in late October, once for the class; run again it is deterministic."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.core.models import Event
from civicgrid.demo.programmes import StreetPlan
from civicgrid.demo.programmes import projects as demo
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.programmes import progress
from civicgrid.programmes.choices import MilestoneStatus, ProjectStatus
from civicgrid.programmes.models import ProgressReport, Project, ProjectMilestone
from civicgrid.testing.factories import build_world

LOAD_DAY = date(2027, 10, 20)


class DemoProjectsTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.today = LOAD_DAY
        world = build_world()
        cls.made = []
        with time_machine.travel(datetime(2027, 10, 20, 8, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
            for side in (world.east, world.west):
                plan = StreetPlan(
                    street=side.street,
                    users=side.users,
                    areas=side.residential,
                    units=[side.unit] if side.unit else [],
                    today=LOAD_DAY,
                )
                cls.made.append(demo.load(plan))

    def test_every_street_has_its_year(self) -> None:
        for street in Area.objects.filter(kind=AreaKind.STREET, code__startswith="900001"):
            rows = Project.objects.filter(street=street)
            self.assertEqual(set(rows.values_list("year", flat=True)), {self.today.year})
            self.assertGreaterEqual(rows.filter(parent=None).count(), 10)
            titles = set(rows.values_list("title", flat=True))
            self.assertIn("老旧住房电线线路改造", titles)
            self.assertIn("非机动车充电设施建设", titles)
            statuses = set(rows.values_list("status", flat=True))
            self.assertLessEqual(
                {ProjectStatus.DRAFT, ProjectStatus.CANCELLED, ProjectStatus.ACTIVE}, statuses
            )

    def test_seed_targets_and_the_charging_categories(self) -> None:
        wiring = Project.objects.filter(title="老旧住房电线线路改造").first()
        assert wiring is not None
        self.assertEqual(wiring.targets.get().goal, Decimal(450))
        charging = Project.objects.filter(title="非机动车充电设施建设").first()
        assert charging is not None
        self.assertEqual(charging.targets.get().goal, Decimal(16))
        self.assertEqual(list(charging.case_categories.values_list("name", flat=True)), ["电动车违规充电"])

    def test_progress_is_consistent_and_made_by_actions(self) -> None:
        for project in Project.objects.all():
            self.assertEqual(project.progress, progress.compute(project), project.title)
        parent = Project.objects.filter(title="美丽家园建设").first()
        assert parent is not None
        self.assertEqual(parent.children.count(), 2)  # one per residential area (up to three)
        self.assertEqual(
            Event.objects.filter(app="programmes", object_type="project", action="create").count(),
            Project.objects.count(),
        )
        reports = ProgressReport.objects.all()
        self.assertEqual(
            reports.count(), Event.objects.filter(object_type="project", action="report").count()
        )
        self.assertTrue(reports.filter(reported_on__gt=self.today).count() == 0)

    def test_rows_counted(self) -> None:
        self.assertEqual(self.made[0], self.made[1])  # the same plan, seeded per street
        self.assertGreater(self.made[0], 100)

    def test_milestones_done_overdue_and_supervised(self) -> None:
        statuses = set(ProjectMilestone.objects.values_list("status", flat=True))
        self.assertLessEqual({MilestoneStatus.DONE, MilestoneStatus.OVERDUE}, statuses)
        self.assertTrue(ProjectMilestone.objects.filter(supervisions=1).exists())
        self.assertFalse(
            ProjectMilestone.objects.filter(
                status=MilestoneStatus.OPEN, due_on__lt=self.today, project__status=ProjectStatus.ACTIVE
            ).exists()
        )
