"""Source-governance plans: making one from a hotspot (its cases linked, the event, the
owner told), every step of the machine and its refusals, who may do what, the handler's
view, two concurrent completes, the overdue job, and the before/after numbers."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from civicgrid.cases.tests.factories import jpeg
from civicgrid.core.choices import Action, Role
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from civicgrid.core.models import Attachment, Event, Notification
from civicgrid.core.workflow import TransitionNotAllowed
from civicgrid.insights.actions import plans as actions
from civicgrid.insights.actions.frames import PLAN_FRAME
from civicgrid.insights.choices import NotificationKind, PlanStatus
from civicgrid.insights.models import GovernancePlan
from civicgrid.insights.plan_chart import before_after
from civicgrid.testing.concurrency import run_together
from civicgrid.testing.factories import build_world

from .plan_fixtures import NOW, at, hotspot_params, make_cases, plan_for


def _events(plan: GovernancePlan) -> list[str]:
    rows = Event.objects.filter(app="insights", object_type="governanceplan", object_id=plan.pk)
    return list(rows.order_by("pk").values_list("action", flat=True))


@time_machine.travel(NOW, tick=False)
class PlanActionTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.cases = make_cases(cls.world)
        cls.desk = cls.world.east.users[Role.DISPATCHER]
        cls.handler = cls.world.east.users[Role.HANDLER]

    def test_make_links_the_hotspots_recent_cases_logs_and_tells_the_owner(self) -> None:
        extra = self.cases["other"][0]
        with self.captureOnCommitCallbacks(execute=True):
            plan = plan_for(self.world, case_numbers=f"{extra.number}\n")
        recent = [c.number for c in self.cases["hotspot"][1:]]  # not the one 200 days back
        self.assertCountEqual(plan.cases.values_list("number", flat=True), [*recent, extra.number])
        self.assertEqual((plan.status, plan.started_on, plan.version), (PlanStatus.ACTIVE, NOW.date(), 1))
        self.assertEqual(plan.hotspot_params, hotspot_params(self.world))
        self.assertEqual(_events(plan), ["make"])
        told = Notification.objects.filter(kind=NotificationKind.PLAN, object_id=plan.pk)
        self.assertIn(self.handler.pk, set(told.values_list("user_id", flat=True)))

    def test_make_refusals_name_the_field(self) -> None:
        west_case = self.cases["other"][1]
        cases = {
            "params": {"hotspot_params": {"nonsense": "1"}},
            "case_numbers": {"case_numbers": [west_case.number, "NOPE-1"]},
            "deadline": {"deadline": "tomorrow"},
            "title": {"title": " "},
            "owner_unit": {"owner_unit": 10**9},
        }
        for field, extra in cases.items():
            with self.subTest(field), self.assertRaises(InvalidInput) as caught:
                plan_for(self.world, **extra)
            self.assertIn(field, caught.exception.fields)
        with self.assertRaises(InvalidInput) as caught:
            plan_for(self.world, case_numbers=f"{west_case.number}, NOPE-1")
        # Another street's case reads like one that does not exist.
        self.assertIn(west_case.number, caught.exception.message)
        self.assertIn("NOPE-1", caught.exception.message)
        with self.assertRaises(InvalidInput) as caught:
            plan_for(self.world, hotspot_params={"grid": "nowhere"})
        self.assertEqual(set(caught.exception.fields), {"params", "grid"})
        self.assertFalse(GovernancePlan.objects.exists())

    def test_only_street_wide_roles_of_the_street_make_plans(self) -> None:
        for role in (Role.HANDLER, Role.GRID_WORKER, Role.CADRE, Role.RESIDENT):
            with self.subTest(role), self.assertRaises(Forbidden):
                actions.make_plan(
                    self.world.east.users[role],
                    street=self.world.east.street,
                    title="x",
                    hotspot_kind="other",
                    hotspot_label="x",
                    hotspot_params=hotspot_params(self.world),
                    measures="x",
                    deadline=NOW.date(),
                )
        with self.assertRaises(Forbidden):
            plan_for(self.world, street=self.world.west.street)

    def test_every_step_and_its_refusals(self) -> None:
        plan = plan_for(self.world)
        photo = SimpleUploadedFile("p.jpg", jpeg().read(), content_type="image/jpeg")
        plan = actions.report(plan.pk, self.handler, note="已约谈两家商户", photos=[photo])
        self.assertEqual(Attachment.objects.filter(object_id=plan.pk, stage="progress").count(), 1)
        with self.assertRaises(InvalidInput) as caught:
            actions.revise(plan.pk, self.desk, note="只写原因")
        self.assertIn("measures", caught.exception.fields)
        with self.captureOnCommitCallbacks(execute=True):
            plan = actions.revise(plan.pk, self.desk, note="延期", deadline=(NOW + timedelta(days=60)).date())
        self.assertEqual(plan.deadline, (NOW + timedelta(days=60)).date())
        self.assertEqual(plan.measures, "夜间巡查，约谈商户，加装隔音设施")  # not given: unchanged
        self.assertTrue(Notification.objects.filter(key__startswith=f"plan-revised:{plan.pk}:").exists())
        other = self.cases["other"][0]
        before = plan.cases.count()
        plan = actions.link(plan.pk, self.desk, numbers=f"{other.number}，{other.number}")
        plan = actions.link(plan.pk, self.desk, numbers=other.number)  # idempotent
        self.assertEqual(plan.cases.count(), before + 1)
        with self.assertRaises(InvalidInput) as caught:
            actions.link(plan.pk, self.desk, numbers=f"{self.cases['other'][1].number} X-404")
        self.assertIn("numbers", caught.exception.fields)
        with self.assertRaises(TransitionNotAllowed):
            actions.reopen(plan.pk, self.desk, note="未完成不能重开")
        with self.assertRaises(Forbidden):
            actions.complete(plan.pk, self.handler, result="handler may not")
        plan = actions.complete(plan.pk, self.desk, result="投诉下降")
        self.assertEqual((plan.status, plan.completed_on, plan.result), ("completed", NOW.date(), "投诉下降"))
        with self.assertRaises(TransitionNotAllowed):
            actions.report(plan.pk, self.handler, note="已完成")
        plan = actions.link(plan.pk, self.desk, numbers=self.cases["other"][2].number)  # still allowed
        plan = actions.reopen(plan.pk, self.desk, note="反弹")
        self.assertEqual((plan.status, plan.completed_on), (PlanStatus.ACTIVE, None))
        plan = actions.cancel(plan.pk, self.desk, note="并入区级方案")
        self.assertEqual(plan.status, PlanStatus.CANCELLED)
        self.assertEqual(
            _events(plan),
            ["make", "report", "revise", "link", "link", "complete", "link", "reopen", "cancel"],
        )
        with self.assertRaises(Conflict):
            actions.reopen(plan.pk, self.desk, note="旧版本", version=1)

    def test_handler_sees_and_reports_only_on_its_units_plans(self) -> None:
        mine = plan_for(self.world)
        theirs = plan_for(self.world, owner_unit=None, owner=None)
        visible = GovernancePlan.objects.restrict(self.handler, Action.VIEW)
        self.assertEqual(list(visible), [mine])
        with self.assertRaises(NotFound):
            actions.report(theirs.pk, self.handler, note="不是本单位的")
        with self.assertRaises(NotFound):
            actions.report(mine.pk, self.world.west.users[Role.HANDLER], note="另一街道")
        self.assertEqual(
            list(GovernancePlan.objects.restrict(self.world.west.users[Role.DISPATCHER], Action.VIEW)), []
        )

    def test_overdue_is_told_once_per_deadline(self) -> None:
        plan = plan_for(self.world, deadline=NOW.date())
        done = plan_for(self.world, deadline=NOW.date())
        actions.complete(done.pk, self.desk, result="完成")
        self.assertEqual(actions.check_overdue(), 0)  # the deadline day itself is in time
        with time_machine.travel(NOW + timedelta(days=1), tick=False):
            with self.captureOnCommitCallbacks(execute=True):
                self.assertEqual(actions.check_overdue(), 1)
            with self.captureOnCommitCallbacks(execute=True):
                self.assertEqual(actions.check_overdue(), 0)
        told = Notification.objects.filter(kind=NotificationKind.PLAN_OVERDUE, object_id=plan.pk)
        self.assertEqual(
            set(told.values_list("user_id", flat=True)),
            {self.handler.pk, self.desk.pk, self.world.east.users[Role.ADMIN].pk},
        )
        self.assertEqual(_events(plan).count("overdue"), 1)
        actions.revise(plan.pk, self.desk, note="延期", deadline=(NOW + timedelta(days=3)).date())
        with time_machine.travel(NOW + timedelta(days=5), tick=False):
            self.assertEqual(actions.check_overdue(), 1)  # a new deadline missed: told again
        self.assertEqual(_events(plan).count("overdue"), 2)

    def test_before_after_counts_what_the_week_links_list(self) -> None:
        plan = plan_for(self.world)
        chart = before_after(self.desk, plan)
        self.assertEqual(len(chart.weeks), 12 + 1)
        self.assertEqual([w.after for w in chart.weeks], [False] * 12 + [True])
        counted = sum(w.count for w in chart.weeks)
        self.assertEqual(counted, 5)  # 60, 30, 9, 8, 2 days back; not 200, not the other grid
        for week in chart.weeks:
            response = self._list(week.link)
            self.assertEqual(response, week.count, week.link)
        self.assertEqual(chart.after, 1.0)  # the one received on Monday of this week
        with time_machine.travel(NOW + timedelta(weeks=40), tick=False):
            later = before_after(self.desk, plan)
        self.assertEqual(len(later.weeks), 12 + 26)

    def _list(self, link: str) -> int:
        """How many cases the workbench lists at `link`."""
        self.client.force_login(self.desk)
        response = self.client.get(link)
        self.assertEqual(response.status_code, 200)
        return response.context["page"].paginator.count


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_completes_one_wins(world):
    with time_machine.travel(NOW, tick=False):
        plan = plan_for(world)
        desk = world.east.users[Role.DISPATCHER]
        errors = run_together(lambda: actions.complete(plan.pk, desk, result="完成", version=1), 2)
    assert len(errors) == 1 and "Conflict" in errors[0], errors
    assert _events(plan).count("complete") == 1
    assert GovernancePlan.objects.get(pk=plan.pk).version == 2


def test_at_is_days_before_now():
    assert at(1) == NOW - timedelta(days=1)
    assert PLAN_FRAME.machine.name == "insights.plans"
