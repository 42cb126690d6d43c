"""/api/v1/community/newsletters: who reads what (a resident: their street's published issues),
an issue created, composed, its free article added and edited with the issue's version, publish
refused with a 400 naming `articles`, published, the PDF; another street's ids are 404."""

import tempfile
from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase, override_settings

from civicgrid.community.choices import NewsletterStatus
from civicgrid.community.models import Newsletter
from civicgrid.core.choices import Role
from civicgrid.testing.api import ApiClient
from civicgrid.testing.community import CommunitySet, build_community
from civicgrid.testing.factories import World, build_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 10, 8, 10, 0, tzinfo=SHANGHAI)
BASE = "/community/newsletters"


@override_settings(MEDIA_ROOT=tempfile.mkdtemp(prefix="newsletter-api-"))
class NewsletterApiTests(TestCase):
    world: World
    east: CommunitySet
    west: CommunitySet

    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_community(cls.world.east, at=datetime(2027, 8, 10, 10, tzinfo=SHANGHAI), mark="东")
        cls.west = build_community(cls.world.west, at=datetime(2027, 8, 10, 10, tzinfo=SHANGHAI), mark="西")

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def api(self, role: str = Role.ADMIN, street: str = "east") -> ApiClient:
        return ApiClient(self.client, self.world.user(street, role))

    def test_residents_read_only_published_issues(self) -> None:
        resident = self.api(Role.RESIDENT)
        self.assertEqual(resident.get(BASE).json()["count"], 0)
        self.assertEqual(resident.get(f"{BASE}/{self.east.newsletter.pk}").status_code, 404)
        Newsletter.objects.filter(pk=self.east.newsletter.pk).update(status=NewsletterStatus.PUBLISHED)
        listed = resident.get(BASE).json()
        self.assertEqual([n["id"] for n in listed["results"]], [self.east.newsletter.pk])
        detail = resident.get(f"{BASE}/{self.east.newsletter.pk}").json()
        self.assertEqual(detail["actions"], [])
        self.assertEqual(self.api(street="west").get(f"{BASE}/{self.east.newsletter.pk}").status_code, 404)

    def test_create_compose_edit_publish(self) -> None:
        admin = self.api()
        made = admin.post(
            BASE,
            {
                "street": self.world.east.street.code,
                "year": 2027,
                "period_start": str(date(2027, 7, 1)),
                "period_end": str(date(2027, 9, 30)),
                "paper": "A3",
                "columns": 3,
            },
        )
        self.assertEqual(made.status_code, 201, made.content)
        issue = made.json()
        self.assertEqual((issue["number"], issue["status"]), (2, "draft"))
        composed = admin.post(f"{BASE}/{issue['id']}/actions/compose", {"version": issue["version"]})
        self.assertEqual(composed.status_code, 200, composed.content)
        added = admin.post(
            f"{BASE}/{issue['id']}/articles", {"title": "通知", "body": "请致电13812345678报名"}
        )
        self.assertEqual(added.status_code, 201, added.content)
        refused = admin.post(f"{BASE}/{issue['id']}/actions/publish", {})
        self.assertEqual(refused.status_code, 400)
        error = refused.json()["error"]
        self.assertEqual(error["fields"], {"articles": "personal_data"})
        self.assertIn("“通知”", error["message"])
        version = admin.get(f"{BASE}/{issue['id']}").json()["version"]
        patched = self.client.patch(
            f"/api/v1{BASE}/articles/{added.json()['id']}",
            {"version": version, "body": "请到居委会报名"},
            content_type="application/json",
            headers=admin.headers(),
        )
        self.assertEqual(patched.status_code, 200, patched.content)
        self.assertTrue(patched.json()["edited"])
        published = admin.post(f"{BASE}/{issue['id']}/actions/publish", {})
        self.assertEqual(published.json()["status"], "published")
        pdf = admin.get(f"{BASE}/{issue['id']}/newsletter.pdf")
        self.assertEqual(pdf["Content-Type"], "application/pdf")
