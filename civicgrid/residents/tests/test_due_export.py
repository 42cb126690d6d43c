"""导出待走访名单: the due list under the page's filter, as a sheet — exactly the page's rows,
sensitive needs only for who may see them, each such look logged."""

from datetime import date
from typing import Any

import pytest
import time_machine
from django.test import Client

from civicgrid.core.choices import JobStatus, Role
from civicgrid.core.models import Job, PersonalDataAccess
from civicgrid.residents import jobs
from civicgrid.residents.due import due_list
from civicgrid.testing.residents import build_registry

from .test_transfer import workbook_cells

pytestmark = pytest.mark.django_db
LATER = date(2031, 6, 1)  # every reason of the test registry is overdue by then


def export(client: Client, user: Any, query: str, django_capture_on_commit_callbacks: Any) -> Any:
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/residents/visits/due/export/{query}")
    return response


@pytest.fixture
def registry(world: Any, settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path)
    return build_registry(world.east)


def test_the_sheet_holds_the_due_lists_rows(world, registry, client, django_capture_on_commit_callbacks):
    cadre = world.user("east", Role.CADRE)
    with time_machine.travel(LATER, tick=False):
        for query, care in (("", ""), ("?overdue=on&care=alone", "alone")):
            looks = PersonalDataAccess.objects.count()
            response = export(client, cadre, query, django_capture_on_commit_callbacks)
            job = Job.objects.filter(kind=jobs.DUE_EXPORT).latest("id")
            assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
            assert job.status == JobStatus.SUCCEEDED, job.error
            rows = due_list(cadre, care=care, overdue=bool(query))
            cells = workbook_cells(job)
            assert len(cells) == 1 + len(rows) > 1
            assert [c[0] for c in cells[1:]] == [str(r.household.flat) for r in rows]
            sensitive = sum(1 for r in rows for reason in r.reasons if reason.sensitive)
            assert PersonalDataAccess.objects.count() - looks == sensitive


def test_who_may_export_and_a_bad_parameter(world, registry, client, django_capture_on_commit_callbacks):
    worker = world.user("east", Role.GRID_WORKER)
    assert export(client, worker, "", django_capture_on_commit_callbacks).status_code == 404
    leader = world.user("east", Role.LEADER)
    assert export(client, leader, "", django_capture_on_commit_callbacks).status_code == 404
    cadre = world.user("east", Role.CADRE)
    bad = export(client, cadre, "?care=nosuch", django_capture_on_commit_callbacks)
    assert bad.status_code == 400 and "care" in bad.content.decode()
    assert not Job.objects.filter(kind=jobs.DUE_EXPORT).exists()
    page = client.get("/residents/visits/due/?overdue=on")
    assert "/residents/visits/due/export/?overdue=on" in page.content.decode()
