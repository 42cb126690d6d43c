"""The newsletter pages: who opens what (assert_matrix), the list's query count, residents
reading only their street's published issues, an editor's article editing and actions through
the page, the PDF, and the public page of a published issue (no login; drafts are a 404)."""

import tempfile
from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase, override_settings
from django.urls import reverse

from civicgrid.accounts.models import User
from civicgrid.community.choices import NewsletterStatus
from civicgrid.community.models import Article, Newsletter
from civicgrid.core.choices import Role
from civicgrid.testing.community import CommunitySet, build_community
from civicgrid.testing.factories import World, build_world
from civicgrid.testing.permissions import assert_matrix

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2027, 8, 10, 10, 0, tzinfo=SHANGHAI)
NOW = datetime(2027, 10, 8, 10, 0, tzinfo=SHANGHAI)


@override_settings(MEDIA_ROOT=tempfile.mkdtemp(prefix="newsletter-pages-"))
class NewsletterPagesTests(TestCase):
    world: World
    east: CommunitySet
    west: CommunitySet
    draft: Newsletter
    published: Newsletter
    users: dict[str, User]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_community(cls.world.east, at=AT, mark="东")
        cls.west = build_community(cls.world.west, at=AT, mark="西")
        cls.draft = cls.east.newsletter
        cls.published = Newsletter.objects.create(
            street=cls.world.east.street,
            masthead="东之窗",
            year=2027,
            number=2,
            period_start=date(2027, 4, 1),
            period_end=date(2027, 6, 30),
            status=NewsletterStatus.PUBLISHED,
            published_on=date(2027, 7, 5),
        )
        Article.objects.create(
            newsletter=cls.published, street=cls.world.east.street, title="已出版的稿件", body="夏日纳凉晚会"
        )
        Newsletter.objects.filter(pk=cls.west.newsletter.pk).update(status=NewsletterStatus.PUBLISHED)
        cls.users = dict(cls.world.east.users)

    def test_matrix(self) -> None:
        everyone = {**dict.fromkeys(self.users, 200), Role.HANDLER: 404}
        staff_only = {**everyone, Role.RESIDENT: 404}
        for url, expected in (
            (reverse("community:newsletters"), everyone),
            (reverse("community:newsletter", args=[self.published.pk]), everyone),
            (reverse("community:newsletter", args=[self.draft.pk]), staff_only),
            (reverse("community:newsletter_new"), {**dict.fromkeys(self.users, 404), Role.ADMIN: 200}),
        ):
            with self.subTest(url=url):
                assert_matrix(self.client, url, expected, self.users)

    def test_list_query_count(self) -> None:
        self.client.force_login(self.users[Role.ADMIN])
        url = reverse("community:newsletters")
        self.client.get(url)  # warm the caches
        with self.assertNumQueries(9):
            response = self.client.get(url)
        self.assertContains(response, "东之窗")
        self.assertNotContains(response, self.west.newsletter.masthead)

    def test_residents_read_only_their_streets_published_issues(self) -> None:
        self.client.force_login(self.users[Role.RESIDENT])
        response = self.client.get(reverse("community:newsletters"))
        self.assertContains(response, reverse("community:newsletter", args=[self.published.pk]))
        self.assertNotContains(response, reverse("community:newsletter", args=[self.draft.pk]))
        self.assertNotContains(response, self.west.newsletter.masthead)
        page = self.client.get(reverse("community:newsletter", args=[self.published.pk]))
        self.assertContains(page, "夏日纳凉晚会")
        self.assertNotContains(page, "community/newsletters/articles/")  # no editor
        self.assertEqual(
            self.client.get(reverse("community:newsletter", args=[self.west.newsletter.pk])).status_code, 404
        )

    def test_editor_edits_and_composes(self) -> None:
        self.client.force_login(self.users[Role.ADMIN])
        url = reverse("community:newsletter", args=[self.draft.pk])
        page = self.client.get(url)
        self.assertContains(page, reverse("community:newsletter_act", args=[self.draft.pk, "compose"]))
        article = self.east.article
        response = self.client.post(
            reverse("community:newsletter_article", args=[article.pk]),
            {
                f"a{article.pk}-title": "新的卷首语",
                f"a{article.pk}-body": "金秋",
                f"a{article.pk}-order": "0",
                f"a{article.pk}-included": "on",
                "version": self.draft.version,
            },
        )
        self.assertRedirects(response, url)
        article.refresh_from_db()
        self.assertEqual((article.title, article.edited), ("新的卷首语", True))
        with time_machine.travel(NOW, tick=False):
            self.client.force_login(self.users[Role.ADMIN])  # a session of that day
            response = self.client.post(
                reverse("community:newsletter_act", args=[self.draft.pk, "compose"]),
                {"version": self.draft.version + 1},
            )
        self.assertRedirects(response, url)
        self.assertTrue(Article.objects.filter(pk=article.pk).exists())
        pdf = self.client.get(reverse("community:newsletter_pdf", args=[self.draft.pk]))
        self.assertEqual(pdf["Content-Type"], "application/pdf")

    def test_public_page(self) -> None:
        args = [self.world.east.street.code, 2027, 2]
        response = self.client.get(reverse("community:public_newsletter", args=args))
        self.assertContains(response, "夏日纳凉晚会")
        self.assertContains(response, "东之窗")
        pdf = self.client.get(reverse("community:public_newsletter_pdf", args=args))
        self.assertEqual(pdf["Content-Type"], "application/pdf")
        draft = [self.world.east.street.code, self.draft.year, self.draft.number]
        self.assertEqual(self.client.get(reverse("community:public_newsletter", args=draft)).status_code, 404)
        other = [self.world.west.street.code, 2027, 2]
        self.assertEqual(self.client.get(reverse("community:public_newsletter", args=other)).status_code, 404)
