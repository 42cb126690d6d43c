"""The newsletter: an issue composed from its period's data (rows inside the period counted,
outside not; each source's figures; a closed case's before/after photos attached; its text
redacted), composing again keeping edited and free articles, the article actions (draft only,
photos checked), publishing refused on a phone or ID number naming the article, and the PDF:
its text without the period's personal data, A3 in three columns."""

import io
import tempfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.template.loader import render_to_string
from django.test import TestCase, override_settings
from pypdf import PdfReader

from civicgrid.accounts.models import User
from civicgrid.cases.choices import PhotoStage
from civicgrid.cases.models import Callback, Case
from civicgrid.cases.tests.factories import advance, duty, jpeg, make_case
from civicgrid.community.actions.frames import NEWSLETTER_FRAME
from civicgrid.community.actions.newsletter import (
    add_article,
    create_newsletter,
    delete_article,
    edit_article,
)
from civicgrid.community.choices import (
    ActivityStatus,
    AppointmentStatus,
    ArticleSource,
    NewsletterAction,
    NewsletterStatus,
    PaperSize,
)
from civicgrid.community.models import Activity, Appointment, Article, HoursEntry, Newsletter
from civicgrid.community.newsletter_print import included, render_pdf, shown
from civicgrid.core import personal
from civicgrid.core.attachments import add_attachments
from civicgrid.core.choices import Role
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput
from civicgrid.core.models import Attachment
from civicgrid.testing.community import CommunitySet, build_community
from civicgrid.testing.factories import World, build_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
INSIDE = datetime(2027, 8, 10, 10, 0, tzinfo=SHANGHAI)
OUTSIDE = datetime(2027, 5, 10, 10, 0, tzinfo=SHANGHAI)
NOW = datetime(2027, 10, 8, 10, 0, tzinfo=SHANGHAI)
Q3 = (date(2027, 7, 1), date(2027, 9, 30))
REPORTER_PHONE = "13812345678"
ID_NUMBER = "310101199001011234"
MEDIA = tempfile.mkdtemp(prefix="newsletter-test-")


def _close(world, at, result):  # type: ignore[no-untyped-def]
    with time_machine.travel(at, tick=False):
        duty(world)
        case = make_case(world, description=f"噪声扰民，身份证{ID_NUMBER}", reporter_phone=REPORTER_PHONE)
        case = advance(world, case, "closed")
    Case.objects.filter(pk=case.pk).update(public_result=result)
    return case


def _text(pdf: bytes) -> str:
    return (
        "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
        .replace(" ", "")
        .replace("\n", "")
    )


@override_settings(MEDIA_ROOT=MEDIA)
class NewsletterActionsTests(TestCase):
    world: World
    admin: User
    made: CommunitySet
    case: Case
    old_case: Case
    before: Attachment
    after: Attachment

    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        east = cls.world.east
        cls.admin = east.users[Role.ADMIN]
        cls.made = build_community(east, at=INSIDE)
        # Rows of the period and rows before it, of every source this test checks.
        cls.case = _close(cls.world, INSIDE, f"已协调物业加装隔音垫，联系电话{REPORTER_PHONE}")
        cls.old_case = _close(cls.world, OUTSIDE, "已处理")
        with time_machine.travel(INSIDE + timedelta(hours=1), tick=False):
            cls.before = add_attachments(
                cls.world.user("east", "dispatcher"), cls.case, [jpeg()], stage=PhotoStage.BEFORE
            )[0]
            cls.after = add_attachments(
                cls.world.user("east", "dispatcher"), cls.case, [jpeg()], stage=PhotoStage.AFTER
            )[0]
        Callback.objects.create(
            case=cls.case,
            street_id=cls.case.street_id,
            at=INSIDE,
            contacted=True,
            resolution="resolved",
            satisfaction="satisfied",
        )
        Activity.objects.filter(pk=cls.made.activity.pk).update(status=ActivityStatus.DONE, attendance=18)
        old = Activity.objects.get(pk=cls.made.activity.pk)
        old.pk = None
        old.starts_at, old.ends_at, old.attendance = OUTSIDE, OUTSIDE + timedelta(hours=1), 99
        old.save()
        HoursEntry.objects.filter(pk=cls.made.entry.pk).update(
            served_on=date(2027, 8, 1), hours=Decimal("2.5")
        )
        HoursEntry.objects.create(
            volunteer=cls.made.volunteer,
            street=east.street,
            team=cls.made.team,
            served_on=date(2027, 5, 1),
            hours=Decimal("40"),
            description="期外",
            confirmed_by=cls.admin,
        )
        Appointment.objects.filter(pk=cls.made.appointment.pk).update(
            status=AppointmentStatus.DONE,
            arrived_at=INSIDE,
            called_at=INSIDE + timedelta(minutes=12),
            finished_at=INSIDE + timedelta(minutes=30),
        )

    def _issue(self, **kwargs) -> Newsletter:  # type: ignore[no-untyped-def]
        with time_machine.travel(NOW, tick=False):
            return create_newsletter(
                self.admin,
                street=self.world.east.street,
                year=2027,
                period_start=Q3[0],
                period_end=Q3[1],
                **kwargs,
            )

    def _compose(self, issue: Newsletter) -> dict[str, Article]:
        with time_machine.travel(NOW, tick=False):
            NEWSLETTER_FRAME.run(issue.pk, NewsletterAction.COMPOSE, self.admin)
        return {a.source: a for a in issue.articles.all()}

    def test_create_numbers_and_masthead(self) -> None:
        first = self._issue()
        self.assertEqual((first.number, first.masthead), (2, f"{self.world.east.street.name}之窗"))
        self.assertEqual(self._issue(masthead="新报头").number, 3)
        with self.assertRaises(InvalidInput) as raised:
            self._issue(number=2)
        self.assertEqual(raised.exception.fields, {"number": "taken"})
        with self.assertRaises(Forbidden):
            create_newsletter(
                self.world.east.users[Role.CADRE],
                street=self.world.east.street,
                year=2027,
                period_start=Q3[0],
                period_end=Q3[1],
            )
        with self.assertRaises(InvalidInput):
            create_newsletter(
                self.admin, street=self.world.west.street, year=2027, period_start=Q3[0], period_end=Q3[1]
            )

    def test_composed_from_the_period(self) -> None:
        articles = self._compose(self._issue())
        self.assertEqual(
            set(articles),
            {ArticleSource.CASES, ArticleSource.ACTIVITIES, ArticleSource.VOLUNTEERS, ArticleSource.SERVICE},
        )
        cases = articles[ArticleSource.CASES]
        self.assertEqual(cases.figures["closed"], 1)  # the May case is outside the period
        self.assertEqual(cases.figures["satisfaction_rate"], 1.0)
        self.assertEqual(cases.refs["cases"], [self.case.pk])
        self.assertEqual(cases.photos, [self.before.pk, self.after.pk])
        self.assertNotIn(REPORTER_PHONE, cases.body)
        self.assertIn("138****5678", cases.body)  # the public result's phone, redacted
        self.assertIn("隔音垫", cases.body)
        activities = articles[ArticleSource.ACTIVITIES]
        self.assertEqual((activities.figures["held"], activities.figures["attendance"]), (1, 18))
        volunteers = articles[ArticleSource.VOLUNTEERS]
        self.assertEqual((volunteers.figures["hours"], volunteers.figures["volunteers"]), (2.5, 1))
        self.assertNotIn(self.made.volunteer.name, volunteers.body)
        service = articles[ArticleSource.SERVICE]
        self.assertEqual((service.figures["appointments"], service.figures["mean_wait_minutes"]), (1, 12.0))

    def test_an_empty_period_drafts_nothing(self) -> None:
        with time_machine.travel(NOW, tick=False):
            issue = create_newsletter(
                self.admin,
                street=self.world.east.street,
                year=2027,
                period_start=date(2026, 1, 1),
                period_end=date(2026, 3, 31),
            )
            NEWSLETTER_FRAME.run(issue.pk, NewsletterAction.COMPOSE, self.admin)
        self.assertEqual(issue.articles.exclude(source=ArticleSource.FREE).count(), 0)

    def test_compose_again_keeps_edited_and_free_articles(self) -> None:
        issue = self._issue()
        articles = self._compose(issue)
        free = add_article(self.admin, issue, title="卷首语", body="金秋时节", order=0)
        edited = edit_article(self.admin, articles[ArticleSource.CASES], title="我们改过的标题")
        untouched = articles[ArticleSource.ACTIVITIES]
        again = self._compose(issue)
        self.assertEqual(again[ArticleSource.CASES].pk, edited.pk)
        self.assertEqual(again[ArticleSource.CASES].title, "我们改过的标题")
        self.assertEqual(issue.articles.filter(source=ArticleSource.CASES).count(), 1)
        self.assertTrue(Article.objects.filter(pk=free.pk).exists())
        self.assertFalse(Article.objects.filter(pk=untouched.pk).exists())
        self.assertIn(ArticleSource.ACTIVITIES, again)

    def test_articles_change_only_in_a_draft(self) -> None:
        issue = self._issue()
        articles = self._compose(issue)
        with self.assertRaises(Conflict):
            delete_article(self.admin, articles[ArticleSource.CASES])
        with self.assertRaises(InvalidInput) as raised:
            edit_article(self.admin, articles[ArticleSource.CASES], photos=[self.made.article.pk + 10**6])
        self.assertEqual(raised.exception.fields, {"photos": "not_found"})
        edit_article(self.admin, articles[ArticleSource.CASES], photos=[self.after.pk])
        with self.assertRaises(Conflict):
            edit_article(self.admin, articles[ArticleSource.CASES], version=1, title="过期")
        with time_machine.travel(NOW, tick=False):
            NEWSLETTER_FRAME.run(issue.pk, NewsletterAction.PUBLISH, self.admin)
        issue.refresh_from_db()
        self.assertEqual((issue.status, issue.published_on), (NewsletterStatus.PUBLISHED, NOW.date()))
        with self.assertRaises(Conflict):
            add_article(self.admin, issue, title="迟到的稿件", body="……")

    def test_publish_refused_on_a_phone_or_id_number(self) -> None:
        issue = self._issue()
        add_article(
            self.admin,
            issue,
            title="通知",
            body=f"报名请致电 {REPORTER_PHONE[:3]} {REPORTER_PHONE[3:7]} {REPORTER_PHONE[7:]}",
        )
        with self.assertRaises(InvalidInput) as raised:
            NEWSLETTER_FRAME.run(issue.pk, NewsletterAction.PUBLISH, self.admin)
        self.assertIn("“通知”", raised.exception.message)
        self.assertEqual(raised.exception.fields, {"articles": "personal_data"})
        issue.articles.all().delete()
        add_article(self.admin, issue, title=f"表彰{ID_NUMBER}", body="好人好事")
        with self.assertRaises(InvalidInput):
            NEWSLETTER_FRAME.run(issue.pk, NewsletterAction.PUBLISH, self.admin)
        issue.refresh_from_db()
        self.assertEqual(issue.status, NewsletterStatus.DRAFT)

    def test_pdf_has_the_articles_and_no_personal_data(self) -> None:
        issue = self._issue()
        articles = self._compose(issue)
        pdf = render_pdf(issue)
        text = _text(pdf)
        for article in articles.values():
            self.assertIn(article.title.replace(" ", ""), text)
        self.assertIn("2027年第2期", text)
        for secret in (REPORTER_PHONE, ID_NUMBER, personal_phone(self.made)):
            self.assertNotIn(secret, text)
        self.assertIn(b"/Image", pdf)  # the before/after photos are embedded
        first = PdfReader(io.BytesIO(pdf)).pages[0]
        self.assertAlmostEqual(float(first.mediabox.width), 595.3, delta=1)  # A4

    def test_a3_three_columns(self) -> None:
        issue = self._issue(paper=PaperSize.A3, columns=3)
        self._compose(issue)
        page = PdfReader(io.BytesIO(render_pdf(issue))).pages[0]
        self.assertAlmostEqual(float(page.mediabox.width), 841.9, delta=1)  # A3 portrait
        self.assertAlmostEqual(float(page.mediabox.height), 1190.6, delta=1)
        html = render_to_string(
            "community/print/newsletter.html",
            {"issue": issue, "street": issue.street, "articles": shown(issue, included(issue))},
        )
        self.assertIn("column-count: 3", html)
        self.assertIn("size: A3", html)


def personal_phone(made) -> str:  # type: ignore[no-untyped-def]
    return personal.unmasked(made.phone_sign_up.phone)
