"""The demo without cases and with a small registry: one load_demo (600 persons a street, no
cases), then every part's checks — community life (community_<part>.py), sensors
(sensors_checks.py), elections, inspections and welfare (<part>_checks.py). A load with a registry
is the suite's longest set-up (minutes), so the parts that need the same one share it (parts.py)."""

import datetime as dt
import shutil
import tempfile

from django.core.management import call_command
from django.test import TestCase, override_settings

from civicgrid.core import clock

from . import parts
from .community_activities import ActivitiesDemoChecks
from .community_newsletter import NewsletterDemoChecks
from .community_service import ServiceDemoChecks
from .community_volunteers import VolunteersDemoChecks
from .elections_checks import ElectionsDemoChecks
from .inspections_checks import InspectionsDemoChecks
from .sensors_checks import SensorsDemoChecks
from .welfare_checks import WelfareDemoChecks

PER_STREET = 600
PARTS = (
    ActivitiesDemoChecks,
    VolunteersDemoChecks,
    ServiceDemoChecks,
    NewsletterDemoChecks,
    SensorsDemoChecks,
    ElectionsDemoChecks,
    InspectionsDemoChecks,
    WelfareDemoChecks,
)


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class DemoWithoutCasesTests(*PARTS, TestCase):  # type: ignore[misc]
    load_day: dt.date

    @classmethod
    def setUpTestData(cls) -> None:
        cls.load_day = clock.today()
        # The deliveries' evidence photos and the newsletters' files land in a folder of the class.
        media = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, media, ignore_errors=True)
        cls.enterClassContext(override_settings(MEDIA_ROOT=media))
        call_command(
            "load_demo", "--quiet", "--cases-per-street", "0", "--residents-per-street", str(PER_STREET)
        )
        parts.set_up(cls, PARTS)

    def test_no_part_hides_another_parts_check(self) -> None:
        self.assertEqual(parts.clashes(*PARTS), [])
