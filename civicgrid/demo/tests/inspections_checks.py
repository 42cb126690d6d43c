"""The demo's safety inspections (demo/inspections.py), as checks the demo test class without
cases runs after its one load_demo (test_demo_without_cases.py); every date relative to the load
day (make test-future)."""

import datetime as dt
from collections import Counter

from django.db.models import Count, F

from civicgrid.cases.choices import Channel
from civicgrid.core import clock
from civicgrid.core.models import Event
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.inspections.choices import (
    Escalation,
    FlatFinding,
    OrderStatus,
    PlaceKind,
    PlanKind,
    RentStatus,
)
from civicgrid.inspections.models import (
    Checklist,
    FlatCheck,
    Inspection,
    Order,
    OrderSequence,
    Place,
    Plan,
    RentEntry,
    Task,
)
from civicgrid.inspections.workflow import clean_checks_required
from civicgrid.residents.models import Flat


class InspectionsDemoChecks:
    load_day: dt.date
    inspected_streets: list[Area]

    @classmethod
    def set_up_demo_checks(cls) -> None:
        cls.inspected_streets = [
            a for a in Area.objects.filter(kind=AreaKind.STREET) if Place.objects.filter(street=a).exists()
        ]

    def test_every_street_has_places_of_every_kind_located_in_a_grid(self):
        assert len(self.inspected_streets) >= 2
        for street in self.inspected_streets:
            kinds = set(Place.objects.filter(street=street).values_list("kind", flat=True))
            assert kinds == set(PlaceKind.values), street.name
            assert not Place.objects.filter(street=street, grid=None).exists()
            assert not Place.objects.filter(street=street, responsible_phone="").exists()
            flats = Place.objects.filter(street=street, kind=PlaceKind.GROUP_RENT)
            assert not flats.filter(flat=None).exists()
            assert Place.objects.filter(street=street).exclude(unit=None).exists()

    def test_orders_in_every_state_supervised_and_escalated_and_one_case(self):
        for street in self.inspected_streets:
            orders = Order.objects.filter(street=street)
            assert set(orders.values_list("status", flat=True)) == set(OrderStatus.values), street.name
            assert orders.filter(escalation=Escalation.SUPERVISED, status=OrderStatus.ISSUED).exists()
            assert orders.filter(escalation=Escalation.ESCALATED).exists()
            assert orders.filter(status=OrderStatus.ISSUED, is_overdue=False, due_at__gt=clock.now()).exists()
            # The states' fields agree with the statuses.
            assert not orders.filter(status=OrderStatus.CLOSED, closed_at=None).exists()
            assert not orders.exclude(status=OrderStatus.CLOSED).exclude(closed_at=None).exists()
            assert not orders.filter(status=OrderStatus.REPORTED, reported_reason="").exists()
            assert not orders.filter(is_overdue=True, overdue_at=None).exists()
            # Overdue exactly when past the deadline and still open (the deadline job's view).
            now = clock.now()
            assert not orders.filter(is_overdue=True, due_at__gt=now).exists()
            still_open = orders.filter(status__in=[OrderStatus.ISSUED, OrderStatus.SUBMITTED])
            assert not still_open.filter(is_overdue=False, due_at__lte=now).exists()
            assert not orders.exclude(escalation=Escalation.NONE).filter(is_overdue=False).exists()
            case_order = orders.exclude(case=None).get()
            assert case_order.case.channel == Channel.INSPECTION
            assert case_order.case.street_id == street.pk
            # Each order logged its issue; a closed one its re-check.
            closed = orders.filter(status=OrderStatus.CLOSED).first()
            actions = set(
                Event.objects.filter(object_type="order", object_id=closed.pk).values_list(
                    "action", flat=True
                )
            )
            assert {"issue", "recheck_pass"} <= actions
            assert Task.objects.filter(order__street=street).count() == orders.count()

    def test_order_numbers_unique_and_gap_free_per_year_and_sequence_continues(self):
        numbers = list(Order.objects.values_list("number", "street__code"))
        assert len({n for n, _ in numbers}) == len(numbers)
        by = Counter((code, n.split("-")[-2]) for n, code in numbers)
        for (code, year), count in by.items():
            serials = sorted(
                int(n.rsplit("-", 1)[1]) for n, c in numbers if c == code and n.split("-")[-2] == year
            )
            assert serials == list(range(1, count + 1))
            assert OrderSequence.objects.get(street__code=code, year=int(year)).last == count

    def test_inspections_use_their_streets_checklist_revisions_and_one_kind_was_revised(self):
        wrong = Inspection.objects.exclude(checklist__street=F("street")).exclude(
            checklist__place_kind=F("place__kind")
        )
        assert not wrong.exists()
        assert not Inspection.objects.exclude(checklist__place_kind=F("place__kind")).exists()
        for street in self.inspected_streets:
            revisions = set(
                Inspection.objects.filter(street=street, place__kind=PlaceKind.SMALL).values_list(
                    "checklist__revision", flat=True
                )
            )
            assert revisions == {1, 2}
            assert Checklist.objects.filter(street=street, current=True).count() == len(PlaceKind.values)
        keys = list(Inspection.objects.values_list("client_key", flat=True))
        assert len(set(keys)) == len(keys)

    def test_a_year_of_plans_and_tasks_relative_to_the_load_day(self):
        today = self.load_day
        for street in self.inspected_streets:
            plans = Plan.objects.filter(street=street)
            assert set(plans.values_list("kind", flat=True)) == set(PlanKind.values)
            assert plans.filter(kind=PlanKind.UNANNOUNCED, unannounced=True).count() == 2
            assert plans.filter(kind=PlanKind.CAMPAIGN, coverage_target=90).exists()
            inspected = Inspection.objects.filter(street=street)
            first = inspected.order_by("inspected_at").first().inspected_at.date()
            last = inspected.order_by("inspected_at").last().inspected_at
            assert today - dt.timedelta(days=370) <= first <= today - dt.timedelta(days=300)
            assert last <= clock.now()
            # Each inspection within its task's period.
            for i in inspected.select_related("task").order_by("?")[:50]:
                if i.task.period_start:
                    assert i.task.period_start <= i.inspected_at.date() <= i.task.due_on
            tasks = Task.objects.filter(street=street, order=None)
            statuses = set(tasks.values_list("status", flat=True))
            assert statuses == {"open", "done", "cancelled"}
            assert not tasks.filter(status="open", due_on__lt=today - dt.timedelta(days=31)).exists()

    def test_group_renting_campaign_coverage_and_entries_in_every_state(self):
        for street in self.inspected_streets:
            entries = RentEntry.objects.filter(street=street)
            assert set(entries.values_list("status", flat=True)) == set(RentStatus.values)
            needed = clean_checks_required(street.pk)
            assert not entries.filter(status=RentStatus.CLOSED).exclude(clean_checks=needed).exists()
            assert not entries.filter(status=RentStatus.RECTIFIED, clean_checks__gte=needed).exists()
            assert entries.exclude(case=None).count() >= 2
            relapsed = Event.objects.filter(
                object_type="rententry", action="check_relapse", street_id=street.pk
            ).values_list("object_id", flat=True)
            assert entries.filter(pk__in=relapsed, status=RentStatus.CONFIRMED).exists()
            checks = FlatCheck.objects.filter(street=street)
            findings = set(checks.values_list("finding", flat=True))
            assert {FlatFinding.CLEAN, FlatFinding.NO_ACCESS, FlatFinding.GROUP_RENT} <= findings
            buildings = checks.values("flat__building").annotate(n=Count("flat", distinct=True))
            ra_flats = Flat.objects.filter(building__in=[b["flat__building"] for b in buildings]).count()
            covered = sum(b["n"] for b in buildings)
            assert 0 < covered < ra_flats
            assert checks.filter(checked_on__gt=self.load_day).count() == 0
            assert checks.filter(checked_on__lt=self.load_day - dt.timedelta(days=62)).count() == 0

    def test_the_daily_generator_finds_every_current_task_already_there(self):
        """The demo cuts periods as the generator does: run on the load day, it adds nothing."""
        from civicgrid.inspections.actions.plans import generate_tasks

        before = Task.objects.count()
        assert generate_tasks(self.load_day) == 0
        assert Task.objects.count() == before
