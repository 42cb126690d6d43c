"""The demo's community life (demo/community/) and sensors (demo/sensors.py): one load_demo with a
small registry and no cases for every part's checks (the mixins in community_<part>.py and
sensors_checks.py): each demo test class is a full load, the suite's longest kind of test."""

import datetime as dt
import shutil
import tempfile

from django.core.management import call_command
from django.test import TestCase, override_settings

from civicgrid.core import clock

from .community_activities import ActivitiesDemoChecks
from .community_newsletter import NewsletterDemoChecks
from .community_service import ServiceDemoChecks
from .community_volunteers import VolunteersDemoChecks
from .sensors_checks import SensorsDemoChecks


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class DemoCommunityTests(
    ActivitiesDemoChecks,
    VolunteersDemoChecks,
    ServiceDemoChecks,
    NewsletterDemoChecks,
    SensorsDemoChecks,
    TestCase,
):
    load_day: dt.date

    @classmethod
    def setUpTestData(cls) -> None:
        cls.load_day = clock.today()
        media = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, media, ignore_errors=True)
        cls.enterClassContext(override_settings(MEDIA_ROOT=media))
        call_command("load_demo", "--quiet", "--cases-per-street", "0", "--residents-per-street", "600")
