"""The demo's volunteers (demo/community/volunteers.py), as a mixin of checks for the one
community demo test class (test_demo_without_cases.py): teams of several kinds, 40–80 volunteers per
street numbered V0001…, most linked to the registry, hours confirmed (posts when the
activities part made past activities, other service every month), a few reversed with their
reasons — every entry's day within the demo's year, none after the load day."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from civicgrid.community.choices import TeamKind, VolunteerAction
from civicgrid.community.models import HoursEntry, SlotAssignment, Team, Volunteer
from civicgrid.core import personal
from civicgrid.core.models import Event
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area


class VolunteersDemoChecks:
    load_day: Any

    def test_volunteers_teams_and_register(self: Any) -> None:
        for street in Area.objects.filter(kind=AreaKind.STREET):
            teams = Team.objects.filter(street=street)
            self.assertTrue(3 <= teams.count() <= 4, street.name)
            self.assertTrue(
                {TeamKind.UNIVERSITY, TeamKind.RESIDENTS, TeamKind.PARTY}
                <= set(teams.values_list("kind", flat=True))
            )
            volunteers = Volunteer.objects.filter(street=street)
            self.assertTrue(40 <= volunteers.count() <= 80, street.name)
            codes = sorted(volunteers.values_list("code", flat=True))
            self.assertEqual(codes, [f"V{n:04d}" for n in range(1, len(codes) + 1)])
            self.assertGreater(volunteers.filter(person__isnull=False).count(), volunteers.count() // 2)
            self.assertTrue(all(personal.unmasked(v.phone).startswith("13") for v in volunteers[:5]))

    def test_volunteers_hours_ledger(self: Any) -> None:
        for street in Area.objects.filter(kind=AreaKind.STREET):
            entries = HoursEntry.objects.filter(street=street)
            self.assertGreater(entries.filter(hours__gt=0).count(), 30, street.name)
            days = entries.values_list("served_on", flat=True)
            self.assertLessEqual(max(days), self.load_day)
            self.assertGreaterEqual(min(days), self.load_day - timedelta(days=400))
            services = Counter(
                entries.filter(assignment__isnull=True, reverses__isnull=True).values_list(
                    "description", flat=True
                )
            )
            self.assertTrue({"助老送餐", "夜间巡逻"} & set(services), street.name)
            reversals = entries.filter(reverses__isnull=False)
            self.assertTrue(2 <= reversals.count() <= 3, street.name)
            for reversal in reversals.select_related("reverses"):
                self.assertEqual(reversal.hours, -getattr(reversal.reverses, "hours", 0))
                note = Event.objects.get(
                    app="community", action=VolunteerAction.REVERSE_HOURS, payload__entry=reversal.pk
                )
                self.assertIn("冲销", note.payload["note"])
            # A post's hours are confirmed once, on the activity's day.
            for assignment in SlotAssignment.objects.filter(street=street, entries__isnull=False)[:20]:
                self.assertEqual(assignment.entries.count(), 1)
            total = entries.aggregate(n=Sum("hours"))["n"]
            self.assertGreater(total, Decimal(0))
