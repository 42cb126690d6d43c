"""Hot topics (insights.topics, insights.jobs): the tokens kept, two clearly different themes
found as two topics with their words on top, the same texts giving the same topics, fewer
topics for few texts, and the run as a background job — from the page and from the weekly
beat task — stored in a TopicRun."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from django.test import SimpleTestCase, TestCase
from django.urls import reverse

from civicgrid.cases.tests.factories import make_case
from civicgrid.core.choices import JobStatus, Role
from civicgrid.core.models import Job
from civicgrid.insights import jobs, tasks, topics
from civicgrid.insights.choices import TopicRunStatus
from civicgrid.insights.models import TopicRun
from civicgrid.profiles.actions import save_profile
from civicgrid.testing.factories import build_world

NOW = datetime(2026, 3, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
CHARGING = ["电动车", "充电", "楼道", "飞线"]
NOISE = ["噪音", "施工", "夜间", "扰民"]
FILLER = ["某某路", "楼下", "昨天", "早上", "居民", "反映", "希望", "尽快", "处理", "情况"]


def texts(rng: random.Random, theme: list[str], n: int) -> list[str]:
    """Descriptions of one theme, worded differently each time."""
    out = []
    for i in range(n):
        words = rng.sample(theme, 3) + rng.sample(FILLER, 3)
        rng.shuffle(words)
        out.append("，".join(words) + f"，第{i + 1}次。")
    return out


class ClusterTests(SimpleTestCase):
    def test_tokens(self) -> None:
        self.assertEqual(
            topics.tokens("小区居民反映：3号楼楼道里电动车飞线充电，已经2次了"),
            ["楼道", "电动车", "飞线", "充电"],
        )

    def test_two_themes_two_topics(self) -> None:
        rng = random.Random(3)
        charging, noise = texts(rng, CHARGING, 40), texts(rng, NOISE, 40)
        found = topics.cluster(charging + noise, 2)
        self.assertEqual(len(found), 2)
        groups = sorted(found, key=lambda t: min(t.members))
        self.assertEqual(sorted(groups[0].members), list(range(40)))
        self.assertEqual(sorted(groups[1].members), list(range(40, 80)))
        self.assertEqual(set(groups[0].terms[:4]), set(CHARGING))
        self.assertEqual(set(groups[1].terms[:4]), set(NOISE))
        # Reproducible: the same texts, the same topics, in the same order.
        again = topics.cluster(charging + noise, 2)
        self.assertEqual([(t.terms, t.members) for t in again], [(t.terms, t.members) for t in found])

    def test_fewer_topics_for_few_texts(self) -> None:
        rng = random.Random(5)
        few = texts(rng, CHARGING, 6) + texts(rng, NOISE, 6)
        self.assertLessEqual(len(topics.cluster(few, 8)), 2)
        self.assertEqual(topics.cluster(few[:4], 8), [])
        self.assertEqual(topics.cluster(["的", "了", "12"] * 5, 8), [])  # no telling word at all


@time_machine.travel(NOW, tick=False)
class TopicJobTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        rng = random.Random(9)
        cls.charging = [
            make_case(cls.world, description=text, category="E2103", received_at=NOW - timedelta(days=i % 20))
            for i, text in enumerate(texts(rng, CHARGING, 12))
        ]
        cls.noise = [
            make_case(cls.world, description=text, received_at=NOW - timedelta(days=i % 20, hours=2))
            for i, text in enumerate(texts(rng, NOISE, 12))
        ]
        # Older than the 30 days analysed.
        make_case(cls.world, description="电动车楼道飞线充电", received_at=NOW - timedelta(days=40))
        cls.admin = cls.world.user("east", Role.ADMIN)
        save_profile(cls.world.east.street, cls.admin, {"insights.topic_clusters": 2})

    def test_run_from_the_page(self) -> None:
        desk = self.world.user("east", Role.DISPATCHER)
        self.client.force_login(desk)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("insights:topics_run"), {"street": self.world.east.street.code}
            )
        job = Job.objects.get(kind=jobs.TOPICS)
        self.assertRedirects(response, job.get_absolute_url(), fetch_redirect_response=False)
        job.refresh_from_db()
        self.assertEqual(job.status, JobStatus.SUCCEEDED, job.error)
        self.assertEqual(job.created_by, desk)
        run = TopicRun.objects.get(job=job)
        self.assertEqual(job.result["topic_run"], run.pk)
        self.assertEqual(
            (run.status, run.cases, run.street), (TopicRunStatus.DONE, 24, self.world.east.street)
        )
        self.assertEqual((run.date_from, run.date_to), (NOW.date() - timedelta(days=29), NOW.date()))
        self.assertEqual(len(run.clusters), 2)
        by_theme = sorted(run.clusters, key=lambda c: c["terms"][0] in NOISE)
        self.assertEqual(sorted(by_theme[0]["case_ids"]), sorted(c.pk for c in self.charging))
        self.assertEqual(sorted(by_theme[1]["case_ids"]), sorted(c.pk for c in self.noise))
        for cluster, theme in zip(by_theme, (CHARGING, NOISE), strict=True):
            self.assertEqual(set(cluster["terms"][:4]), set(theme))
            self.assertEqual(cluster["size"], 12)
            self.assertEqual(len(cluster["examples"]), 5)
            self.assertEqual([e["id"] for e in cluster["examples"]], cluster["case_ids"][:5])
        # The job page shows the outcome.
        page = self.client.get(job.get_absolute_url())
        self.assertContains(page, "话题数")

    def test_refused(self) -> None:
        self.client.force_login(self.world.user("east", Role.HANDLER))
        self.assertEqual(self.client.post(reverse("insights:topics_run")).status_code, 404)
        self.client.force_login(self.world.user("east", Role.DISPATCHER))
        response = self.client.post(reverse("insights:topics_run"), {"street": self.world.west.street.code})
        self.assertContains(response, "街道编码", status_code=400)
        self.assertFalse(Job.objects.exists())

    def test_weekly_beat_task(self) -> None:
        entry = settings.CELERY_BEAT_SCHEDULE["insights-weekly-topics"]
        self.assertEqual(entry["task"], tasks.weekly_topics.name)
        schedule = entry["schedule"]
        self.assertEqual((schedule.hour, schedule.minute, schedule.day_of_week), ({6}, {0}, {1}))
        job_ids = tasks.weekly_topics()
        runs = TopicRun.objects.filter(job_id__in=job_ids).select_related("street", "job")
        self.assertEqual({r.street for r in runs}, {self.world.east.street, self.world.west.street})
        for run in runs:
            assert run.job is not None
            self.assertEqual(
                (run.status, run.job.status, run.job.created_by), ("done", JobStatus.SUCCEEDED, None)
            )
        east = next(r for r in runs if r.street == self.world.east.street)
        self.assertEqual(len(east.clusters), 2)
