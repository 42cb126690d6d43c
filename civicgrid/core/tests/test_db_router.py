"""The read-replica router (core/db_router.py). Under pytest the `replica` alias mirrors the
test database (settings: TEST MIRROR), so reads routed to it see the same rows; these tests
are transactional so that the replica connection sees committed data."""

import pytest
from django.db import connections, router
from django.test.utils import CaptureQueriesContext

from civicgrid.cases.models import Case
from civicgrid.cases.tests.factories import make_case
from civicgrid.core.choices import Role
from civicgrid.core.db_router import read_alias, reading_from_replica

BOTH = ["default", "replica"]


@pytest.fixture
def replica_on(settings):
    settings.CIVICGRID_READ_REPLICA = True


def test_the_replica_alias_mirrors_the_test_database(settings):
    assert settings.DATABASES["replica"]["TEST"]["MIRROR"] == "default"


def test_without_a_replica_everything_uses_default(settings):
    settings.CIVICGRID_READ_REPLICA = False
    with reading_from_replica() as alias:
        assert alias == "default"
        assert router.db_for_read(Case) == "default"
    assert read_alias() == "default"


def test_router_picks_replica_for_dashboard_reads_only(replica_on):
    assert router.db_for_read(Case) == "default"  # outside the block: the primary
    with reading_from_replica() as alias:
        assert alias == "replica"
        assert router.db_for_read(Case) == "replica"
        assert router.db_for_write(Case) == "default"  # writes never go to the replica
    assert router.db_for_read(Case) == "default"
    assert not router.allow_migrate("replica", "cases", model_name="case")
    assert router.allow_migrate("default", "cases", model_name="case")


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_metrics_page_reads_from_the_replica_and_writes_stay_on_default(world, client, replica_on):
    case = make_case(world)
    client.force_login(world.user("east", Role.LEADER))
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_default,
    ):
        response = client.get("/cases/metrics/")
    assert response.status_code == 200
    assert 'data-metric="total">1<' in response.content.decode()  # the replica sees the case
    replica_sql = " ".join(q["sql"] for q in on_replica.captured_queries)
    # The figures (metrics.summary/compute aggregate into "response_numerator" …) were computed
    # on the replica, and not on the primary (the session, the user, the menus stay there).
    assert "response_numerator" in replica_sql
    default_sql = " ".join(q["sql"] for q in on_default.captured_queries)
    assert "response_numerator" not in default_sql and "django_session" in default_sql

    # A row read from the replica is saved to the primary.
    with reading_from_replica():
        loaded = Case.objects.get(pk=case.pk)
        assert loaded._state.db == "replica"
        loaded.title = "改过的标题"
        with CaptureQueriesContext(connections["default"]) as writes:
            loaded.save(update_fields=["title"])
    assert any(q["sql"].upper().startswith("UPDATE") for q in writes.captured_queries)
    assert Case.objects.using("default").get(pk=case.pk).title == "改过的标题"


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_metrics_api_reads_from_the_replica(world, client, replica_on):
    from civicgrid.accounts import tokens

    make_case(world)
    key = tokens.issue(world.user("east", Role.LEADER)).key
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = client.get("/api/v1/metrics", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200 and response.json()["total"]["total"] == 1
    assert any("response_numerator" in q["sql"] for q in on_replica.captured_queries)
