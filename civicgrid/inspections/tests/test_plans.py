"""Plans: each period's tasks (weekly, monthly, quarterly, a campaign's range), generated once
however often the job runs, only for the plan's area and kinds; an unannounced plan's tasks
stay unannounced and hidden from the place's own unit and the cadres."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.core.choices import Action, Role
from civicgrid.core.errors import InvalidInput
from civicgrid.core.models import Notification
from civicgrid.inspections.actions.frames import TASK_FRAME
from civicgrid.inspections.actions.plans import generate_tasks, period, save_plan
from civicgrid.inspections.choices import PlaceKind, PlanKind, Recurrence, TaskAction, TaskStatus
from civicgrid.inspections.models import Plan, Task
from civicgrid.testing.api import ApiClient
from civicgrid.testing.factories import build_world
from civicgrid.testing.inspections import build_inspections

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 6, 10, 0, tzinfo=SHANGHAI)  # Friday 6 March
TODAY = NOW.date()


@time_machine.travel(NOW, tick=False)
class PlanTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)
        cls.admin = cls.world.user("east", Role.ADMIN)
        cls.worker = cls.world.user("east", Role.GRID_WORKER)
        cls.street = cls.world.east.street

    def test_periods(self) -> None:
        plan = Plan(starts_on=date(2026, 1, 1), recurrence=Recurrence.WEEKLY)
        self.assertEqual(period(plan, TODAY), (date(2026, 3, 2), date(2026, 3, 8)))
        plan.recurrence = Recurrence.MONTHLY
        self.assertEqual(period(plan, TODAY), (date(2026, 3, 1), date(2026, 3, 31)))
        plan.recurrence = Recurrence.QUARTERLY
        self.assertEqual(period(plan, date(2026, 12, 5)), (date(2026, 10, 1), date(2026, 12, 31)))
        campaign = Plan(kind=PlanKind.CAMPAIGN, starts_on=date(2026, 3, 1), ends_on=date(2026, 4, 15))
        self.assertEqual(period(campaign, TODAY), (date(2026, 3, 1), date(2026, 4, 15)))
        self.assertIsNone(period(campaign, date(2026, 4, 16)))

    def test_generation_is_idempotent_and_matches_kinds(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            plan = save_plan(
                self.admin,
                street=self.street,
                title="群租房逐户复查",
                place_kinds=[PlaceKind.GROUP_RENT],
                recurrence=Recurrence.MONTHLY,
                starts_on=date(2026, 3, 1),
                assignee=self.worker,
            )
        tasks = Task.objects.filter(plan=plan)
        self.assertEqual(
            list(tasks.values_list("place_id", "due_on")), [(self.east.flat_place.pk, date(2026, 3, 31))]
        )
        generate_tasks(TODAY)
        generate_tasks(TODAY)
        self.assertEqual(tasks.count(), 1)
        # The next month is a new period.
        generate_tasks(date(2026, 4, 2))
        self.assertEqual(tasks.count(), 2)
        self.assertTrue(Notification.objects.filter(user=self.worker, kind="inspections.task").exists())

    def test_area_narrows_the_places(self) -> None:
        petrol_grid = self.east.petrol.grid
        plan = save_plan(
            self.admin,
            street=self.street,
            area=petrol_grid,
            title="末网格全覆盖",
            starts_on=TODAY,
            assignee=self.worker,
        )
        places = set(Task.objects.filter(plan=plan).values_list("place_id", flat=True))
        self.assertIn(self.east.petrol.pk, places)
        self.assertNotIn(self.east.shop.pk, places)

    def test_validation_names_fields(self) -> None:
        with self.assertRaises(InvalidInput) as raised:
            save_plan(self.admin, street=self.street, title="", kind=PlanKind.CAMPAIGN, starts_on=TODAY)
        self.assertEqual(set(raised.exception.fields), {"title", "ends_on", "assignee"})

    def test_unannounced_copied_and_hidden(self) -> None:
        leader = self.world.user("east", Role.LEADER)
        with self.captureOnCommitCallbacks(execute=True):
            plan = save_plan(
                self.admin,
                street=self.street,
                title="加油站暗查",
                kind=PlanKind.UNANNOUNCED,
                place_kinds=[PlaceKind.PETROL],
                starts_on=TODAY,
                ends_on=date(2026, 3, 20),
                assignee=leader,
            )
        task = Task.objects.get(plan=plan)
        self.assertTrue(Notification.objects.filter(user=leader, object_id=plan.pk).exists())
        self.assertTrue(task.unannounced and plan.unannounced)
        for role in (Role.HANDLER, Role.CADRE, Role.GRID_WORKER, Role.DISPATCHER):
            with self.subTest(role=role):
                user = self.world.user("east", role)
                self.assertFalse(Task.objects.restrict(user, Action.VIEW).filter(pk=task.pk).exists())
                self.assertFalse(Plan.objects.restrict(user, Action.VIEW).filter(pk=plan.pk).exists())
                self.assertFalse(Notification.objects.filter(user=user, object_id=plan.pk).exists())
        self.assertTrue(Task.objects.restrict(leader, Action.VIEW).filter(pk=task.pk).exists())

    def test_reassign_and_cancel(self) -> None:
        cadre = self.world.user("east", Role.CADRE)
        task = self.east.task
        TASK_FRAME.run(
            task.pk, TaskAction.REASSIGN, self.admin, {"assignee": str(cadre.pk), "due_on_days": "3"}
        )
        task.refresh_from_db()
        self.assertEqual(task.assignee, cadre)
        TASK_FRAME.run(task.pk, TaskAction.CANCEL, self.admin, {"note": "场所已停业"})
        task.refresh_from_db()
        self.assertEqual(task.status, TaskStatus.CANCELLED)


@time_machine.travel(NOW, tick=False)
class PlanApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)

    def test_create_plan_and_hidden_tasks(self) -> None:
        admin = ApiClient(self.client, self.world.user("east", Role.ADMIN))
        worker = self.world.user("east", Role.GRID_WORKER)
        response = admin.post(
            "/inspections/plans",
            {"title": "商铺周查", "recurrence": "weekly", "place_kinds": ["small"], "assignee": worker.pk},
        )
        self.assertEqual(response.status_code, 201, response.content)
        plan = response.json()["id"]
        tasks = ApiClient(self.client, worker).get("/inspections/tasks", plan=plan, mine="true").json()
        self.assertEqual([t["place"] for t in tasks["results"]], [self.east.shop.pk])
        self.assertEqual(tasks["results"][0]["due_on"], "2026-03-08")
        secret = self.east.secret_task.pk
        for role in (Role.HANDLER, Role.CADRE):
            with self.subTest(role=role):
                api = ApiClient(self.client, self.world.user("east", role))
                self.assertEqual(api.get(f"/inspections/tasks/{secret}").status_code, 404)
                self.assertNotIn(secret, [t["id"] for t in api.get("/inspections/tasks").json()["results"]])
                self.assertEqual(api.get(f"/inspections/plans/{self.east.secret_plan.pk}").status_code, 404)
        leader = ApiClient(self.client, self.world.user("east", Role.LEADER))
        self.assertEqual(leader.get(f"/inspections/tasks/{secret}").status_code, 200)

    def test_task_action(self) -> None:
        admin = ApiClient(self.client, self.world.user("east", Role.ADMIN))
        response = admin.post(f"/inspections/tasks/{self.east.task.pk}/actions/cancel", {"note": "停业"})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["status"], "cancelled")
