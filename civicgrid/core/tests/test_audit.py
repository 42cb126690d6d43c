import pytest

from civicgrid.core.audit import acting_as
from civicgrid.core.choices import AuditEvent
from civicgrid.core.models import AuditLog
from civicgrid.geo.models import Area, Building
from civicgrid.orgs.models import Unit

pytestmark = pytest.mark.django_db


def test_create_update_delete_are_logged_with_actor_and_diff(world):
    admin = world.user("east", "admin")
    grid = world.east.grids[0]
    with acting_as(admin, "web"):
        building = Building.objects.create(
            address="东路 9 号", lon=grid.shape.centroid.x, lat=grid.shape.centroid.y
        )
        building.floors = 6
        building.save()
        building_pk = building.pk
        building.delete()

    rows = list(
        AuditLog.objects.filter(object_id=str(building_pk), content_type__model="building").order_by("id")
    )
    assert [r.event for r in rows] == [AuditEvent.CREATE, AuditEvent.UPDATE, AuditEvent.DELETE]
    created, updated, deleted = rows
    assert created.actor == admin and created.via == "web"
    assert created.changes["normalized_address"] == "东路9号"
    assert created.street_id == world.east.street.pk
    assert updated.changes == {"floors": [None, 6]}
    assert deleted.changes["address"] == "东路 9 号"


def test_save_without_change_writes_nothing(world):
    unit = world.east.unit
    before = AuditLog.objects.count()
    Unit.objects.get(pk=unit.pk).save()
    assert AuditLog.objects.count() == before


def test_writes_outside_a_request_are_attributed_to_the_system(world):
    area = Area.objects.get(pk=world.east.street.pk)
    area.description = "测试说明"
    area.save()
    row = AuditLog.for_object(area).first()
    assert row.actor is None and row.actor_label == "系统"
    assert row.changes == {"description": ["", "测试说明"]}


def test_for_object_lists_only_that_object_newest_first(world):
    unit = world.east.unit
    for person in ("张一", "张二"):
        unit.contact_person = person
        unit.save()
    rows = list(AuditLog.for_object(unit))
    assert all(r.object_id == str(unit.pk) for r in rows)
    assert rows[0].changes == {"contact_person": ["张一", "张二"]}
