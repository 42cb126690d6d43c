"""The demo's venues and activities (demo/community/activities.py), as a mixin the community demo
test class runs after one load_demo: every street's four kinds of venue with rooms and hours, a
year of activities up to three weeks ahead, sign-ups by phone and on the web, full ones with a
waiting list and a promotion, check-ins, walk-ins and attendance, a few cancelled, upcoming ones
open."""

from datetime import timedelta
from typing import Any

from django.db.models import Count, F, Q

from civicgrid.community.choices import ActivityStatus, ContactChannel, SignUpStatus, VenueKind
from civicgrid.community.models import Activity, SignUp, Venue
from civicgrid.core import clock
from civicgrid.core.models import Event
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area


class ActivitiesDemoChecks:
    assertEqual: Any
    assertTrue: Any
    assertGreater: Any
    assertLessEqual: Any

    def test_every_street_has_its_venues(self) -> None:
        for street in Area.objects.filter(kind=AreaKind.STREET):
            venues = Venue.objects.filter(street=street)
            kinds = set(venues.values_list("kind", flat=True))
            self.assertLessEqual(
                {VenueKind.HUB, VenueKind.CANTEEN, VenueKind.SERVICE_STATION, VenueKind.NEIGHBOUR_POINT},
                kinds,
            )
            areas = Area.objects.filter(parent=street, kind=AreaKind.RESIDENTIAL).count()
            self.assertEqual(venues.filter(kind=VenueKind.NEIGHBOUR_POINT).count(), areas)
            self.assertTrue(venues.get(kind=VenueKind.HUB).area is None)
            for venue in venues:
                self.assertTrue(venue.rooms.exists() and venue.hours.exists(), venue.name)

    def test_a_year_of_activities_and_three_weeks_ahead(self) -> None:
        today = clock.today()
        for street in Area.objects.filter(kind=AreaKind.STREET):
            rows = Activity.objects.filter(street=street)
            self.assertTrue(150 <= rows.count() <= 260, (street.name, rows.count()))
            first = rows.order_by("starts_at").first().starts_at.date()
            self.assertLessEqual(first, today - timedelta(days=300))
            statuses = set(rows.values_list("status", flat=True))
            self.assertLessEqual(
                {ActivityStatus.DONE, ActivityStatus.OPEN, ActivityStatus.CANCELLED}, statuses
            )
            self.assertTrue(rows.filter(series__isnull=False).exists())
            self.assertTrue(rows.filter(title__contains="重阳").exists())
            upcoming = rows.filter(starts_at__gt=clock.now())
            self.assertTrue(upcoming.exists() and not upcoming.exclude(status=ActivityStatus.OPEN).exists())

    def test_sign_ups_waiting_lists_check_ins_and_attendance(self) -> None:
        channels = set(SignUp.objects.values_list("channel", flat=True))
        self.assertLessEqual({ContactChannel.WEB, ContactChannel.PHONE}, channels)
        self.assertTrue(SignUp.objects.filter(person__isnull=False).exists())
        self.assertTrue(SignUp.objects.filter(status=SignUpStatus.WAITING).exists())
        self.assertGreater(Event.objects.filter(app="community", payload__has_key="promoted").count(), 0)
        done = Activity.objects.filter(status=ActivityStatus.DONE).annotate(
            checked=Count("sign_ups", filter=Q(sign_ups__checked_in_at__isnull=False))
        )
        self.assertGreater(done.count(), 100)
        for activity in done[:50]:
            self.assertEqual(activity.attendance, activity.checked + activity.walk_ins)
        # Never more confirmed places than the activity has.
        over = Activity.objects.annotate(
            n=Count("sign_ups", filter=Q(sign_ups__status=SignUpStatus.CONFIRMED))
        ).filter(n__gt=F("capacity"))
        self.assertEqual(over.count(), 0)
