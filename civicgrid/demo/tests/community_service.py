"""The demo's service centre (demo/community/service.py), as a mixin the community demo test
runs after one load_demo: per street a centre, windows, 20–30 items with two different staff
as A and B, leave covering the load day (its items routed to B today), three months of
appointments with waits, no-shows and cancellations and booked ones ahead, and 上门办 at every
stage."""

from collections import Counter
from datetime import timedelta

from civicgrid.accounts.models import User
from civicgrid.community.choices import AppointmentStatus, HomeServiceStatus, Responsible
from civicgrid.community.models import Appointment, HomeService, ServiceCentre, ServiceItem, StaffLeave
from civicgrid.community.routing import routes
from civicgrid.community.service_figures import waiting
from civicgrid.core import clock
from civicgrid.demo.data import DEMO_PASSWORD
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area


class ServiceDemoChecks:
    def test_service_centre_per_street(self) -> None:
        streets = Area.objects.filter(kind=AreaKind.STREET)
        now = clock.now()
        for street in streets:
            centre = ServiceCentre.objects.get(street=street)
            self.assertTrue(4 <= centre.windows.count() <= 6)  # type: ignore[attr-defined]
            items = list(
                ServiceItem.objects.filter(street=street).select_related(
                    "a_staff", "b_staff", "centre__duty_officer"
                )
            )
            self.assertTrue(20 <= len(items) <= 30)  # type: ignore[attr-defined]
            self.assertTrue(all(i.a_staff_id != i.b_staff_id for i in items))  # type: ignore[attr-defined]
            routed = {r.responsible for r in routes(items, now).values()}
            self.assertIn(Responsible.B, routed)  # type: ignore[attr-defined]
            self.assertTrue(  # type: ignore[attr-defined]
                StaffLeave.objects.filter(
                    street=street, starts_at__lte=now, ends_at__gt=now, cancelled_at=None
                ).exists()
            )
        user = User.objects.filter(username__endswith="-service-1").first()
        self.assertTrue(user is not None and user.check_password(DEMO_PASSWORD))  # type: ignore[attr-defined]

    def test_appointments_and_home_services(self) -> None:
        statuses = Counter(Appointment.objects.values_list("status", flat=True))
        for status in (
            AppointmentStatus.DONE,
            AppointmentStatus.NO_SHOW,
            AppointmentStatus.CANCELLED,
            AppointmentStatus.BOOKED,
        ):
            self.assertGreater(statuses[status], 0, status)  # type: ignore[attr-defined]
        self.assertTrue(Appointment.objects.filter(slot=None, status=AppointmentStatus.DONE).exists())  # type: ignore[attr-defined]
        today = clock.today()
        found = waiting(Appointment.objects.all(), today - timedelta(days=90), today)
        self.assertTrue(found.count > 100 and 3 < (found.mean or 0) < 30)  # type: ignore[attr-defined]
        self.assertTrue(
            Appointment.objects.filter(
                slot__starts_at__gt=clock.now(), status=AppointmentStatus.BOOKED
            ).exists()
        )  # type: ignore[attr-defined]
        homes = Counter(HomeService.objects.values_list("status", flat=True))
        for status in (HomeServiceStatus.DONE, HomeServiceStatus.SCHEDULED, HomeServiceStatus.REQUESTED):
            self.assertGreater(homes[status], 0, status)  # type: ignore[attr-defined]
        late = [
            h
            for h in HomeService.objects.filter(status=HomeServiceStatus.DONE)
            if h.done_at.date() > h.due_on
        ]
        self.assertTrue(late)  # type: ignore[attr-defined]
