"""The demo's newsletter (mixed into demo/tests/test_demo_without_cases.py's class, one load for all
parts): per street one published issue of the last full quarter, composed from the demo's data
with its free articles and no personal data, and a draft of the current quarter."""

from datetime import timedelta

from civicgrid.community.choices import ActivityStatus, ArticleSource, NewsletterStatus
from civicgrid.community.models import Activity, HoursEntry, Newsletter
from civicgrid.core import clock
from civicgrid.core.redact import has_personal_data
from civicgrid.demo.community.newsletter import quarter_start
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.programmes.choices import ProjectStatus
from civicgrid.programmes.models import Project


class NewsletterDemoChecks:
    def test_newsletter_issues_per_street(self) -> None:
        streets = Area.objects.filter(kind=AreaKind.STREET)
        self.assertTrue(streets.exists())  # type: ignore[attr-defined]
        for street in streets:
            published = Newsletter.objects.get(street=street, status=NewsletterStatus.PUBLISHED)
            draft = Newsletter.objects.get(street=street, status=NewsletterStatus.DRAFT)
            self.assertEqual(published.period_end, draft.period_start - timedelta(days=1))  # type: ignore[attr-defined]
            self.assertEqual(draft.period_end, clock.today())  # type: ignore[attr-defined]
            self.assertIsNotNone(published.published_on)  # type: ignore[attr-defined]
            self.assertEqual(quarter_start(published.period_end), published.period_start)  # type: ignore[attr-defined]
            sources = set(published.articles.values_list("source", flat=True))
            # The demo tests load no cases: the cases article is absent, the others are there.
            self.assertNotIn(ArticleSource.CASES, sources)  # type: ignore[attr-defined]
            self.assertIn(ArticleSource.FREE, sources)  # type: ignore[attr-defined]
            # The year's practical projects, when the quarter's year has them (a load day early in
            # the year closes the previous year's last quarter, before the demo's projects).
            promised = Project.objects.filter(
                street=street,
                year=published.period_end.year,
                parent__isnull=True,
                status__in=[ProjectStatus.ACTIVE, ProjectStatus.DONE],
            ).exists()
            self.assertEqual(ArticleSource.PROJECTS in sources, promised)  # type: ignore[attr-defined]
            # The other parts' rows of the quarter, when their demos made some, have their article.
            held = Activity.objects.filter(
                street=street,
                status=ActivityStatus.DONE,
                starts_at__date__range=(published.period_start, published.period_end),
            ).exists()
            served = HoursEntry.objects.filter(
                street=street, served_on__range=(published.period_start, published.period_end)
            ).exists()
            self.assertEqual(ArticleSource.ACTIVITIES in sources, held)  # type: ignore[attr-defined]
            self.assertEqual(ArticleSource.VOLUNTEERS in sources, served)  # type: ignore[attr-defined]
            for title, body in published.articles.values_list("title", "body"):
                self.assertFalse(has_personal_data(title + body), title)  # type: ignore[attr-defined]
