"""orgs 0003 encrypts the units' phones in place, fills their search hashes and takes the
numbers out of the units' audit rows; backwards the phones are plain again."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from civicgrid.core import personal
from civicgrid.core.models import AuditLog

BEFORE = [("orgs", "0002_clock_stamped")]
AFTER = [("orgs", "0003_encrypt_phone")]


@pytest.fixture
def back_to_the_latest_schema():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return MigrationExecutor(connection).loader.project_state(target).apps


def _raw_phones():
    with connection.cursor() as cursor:
        cursor.execute("SELECT code, phone FROM orgs_unit ORDER BY code")
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_phones_are_encrypted_in_place_and_the_trail_scrubbed(back_to_the_latest_schema):
    apps = _migrate(BEFORE)
    district = apps.get_model("geo", "Area").objects.create(
        code="MIG-D", name="区", kind="district", path="MIG-D"
    )
    unit = apps.get_model("orgs", "Unit")
    unit.objects.create(code="MIG-1", name="派出所", kind="police", district=district, phone="021-65550110")
    unit.objects.create(code="MIG-2", name="物业", kind="property", district=district, phone="")
    # Real models: contenttypes and core are not part of this state (and stay at their latest).
    content_type_id = ContentType.objects.get_or_create(app_label="orgs", model="unit")[0].pk
    log = AuditLog  # core is at its latest schema throughout
    log.objects.create(
        event="update",
        content_type_id=content_type_id,
        object_id="1",
        object_repr="派出所",
        changes={"phone": ["021-1", "021-65550110"], "name": ["a", "b"]},
    )
    log.objects.create(
        event="create",
        content_type_id=content_type_id,
        object_id="2",
        object_repr="物业",
        changes={"phone": "", "name": "物业"},
    )

    apps = _migrate(AFTER)
    raw = _raw_phones()
    assert raw["MIG-2"] == "" and "65550110" not in raw["MIG-1"]
    assert personal.decrypt(raw["MIG-1"]) == "021-65550110"
    migrated = apps.get_model("orgs", "Unit").objects.get(code="MIG-1")
    assert migrated.phone_hash == personal.digest("phone", "02165550110")
    mark = personal.AuditMark.TEXT
    changes = [row.changes for row in AuditLog.objects.all()]
    assert {"phone": [mark, mark], "name": ["a", "b"]} in changes
    assert {"phone": "", "name": "物业"} in changes

    _migrate(BEFORE)  # backwards: the numbers in clear again
    assert _raw_phones() == {"MIG-1": "021-65550110", "MIG-2": ""}
