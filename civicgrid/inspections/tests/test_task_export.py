"""The task list's Excel export (inspections.jobs, What.TASKS): its rows are the list's rows
under the same query string, read as the requester; a bad parameter is refused before any job."""

import io
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import time_machine
from django.test import TestCase, override_settings
from django.urls import reverse
from openpyxl import load_workbook

from civicgrid.core.choices import JobStatus, Role
from civicgrid.core.models import Job
from civicgrid.inspections import jobs
from civicgrid.testing.factories import build_world
from civicgrid.testing.inspections import build_inspections

from .test_exports import NOW


@time_machine.travel(NOW, tick=False)
class TaskExportTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.tmp = Path(cls.enterClassContext(TemporaryDirectory()))
        cls.enterClassContext(override_settings(MEDIA_ROOT=str(cls.tmp / "media")))

    def listed(self, user: Any, query: str) -> list[tuple[str, str]]:
        self.client.force_login(user)
        page = self.client.get(reverse("inspections:tasks") + query)
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, reverse("inspections:tasks_export"))
        return [(t.place.name, t.get_purpose_display()) for t in page.context["tasks"]]

    def exported(self, user: Any, query: str) -> list[tuple[Any, ...]]:
        self.client.force_login(user)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("inspections:tasks_export") + query)
        job = Job.objects.filter(kind=jobs.EXPORT).latest("id")
        self.assertRedirects(response, job.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual(job.status, JobStatus.SUCCEEDED, job.error)
        with job.result_file.open("rb") as fh:
            wb = load_workbook(io.BytesIO(fh.read()), read_only=True)
        return [tuple(r) for r in wb.worksheets[0].iter_rows(values_only=True)]

    def test_rows_are_the_lists(self) -> None:
        admin = self.world.user("east", Role.ADMIN)
        for query in ("", "?status=open", "?overdue=true", "?purpose=routine"):
            with self.subTest(query=query):
                rows = self.exported(admin, query)
                self.assertEqual(rows[0][0], "场所")
                self.assertEqual([(r[0], r[3]) for r in rows[1:]], self.listed(admin, query))
        self.assertGreater(len(self.exported(admin, "")), 1)

    def test_only_what_the_requester_sees(self) -> None:
        rows = self.exported(self.world.user("west", Role.ADMIN), "")
        east_places = {t.place.name for t in (self.east.task, self.east.secret_task)}
        self.assertFalse(east_places & {r[0] for r in rows[1:]})

    def test_a_bad_parameter_starts_nothing(self) -> None:
        self.client.force_login(self.world.user("east", Role.ADMIN))
        response = self.client.post(reverse("inspections:tasks_export") + "?status=nope")
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("inspections:tasks"), response["Location"])
        self.assertFalse(Job.objects.filter(kind=jobs.EXPORT).exists())
