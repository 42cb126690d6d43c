"""orgs 0003 encrypts the units' phones in place, fills their search hashes and takes the
numbers out of the units' audit rows; backwards the phones are plain again."""

from civicgrid.core import personal

# core 0012 is one of 0003's dependencies: there before it, with the trail (AuditLog).
BEFORE = [("orgs", "0002_clock_stamped"), ("core", "0012_personal_field_registry")]
AFTER = [("orgs", "0003_encrypt_phone")]


def _raw_phones(migrator):
    with migrator.cursor() as cursor:
        cursor.execute("SELECT code, phone FROM orgs_unit ORDER BY code")
        return dict(cursor.fetchall())


def test_phones_are_encrypted_in_place_and_the_trail_scrubbed(migrator):
    apps = migrator.migrate(BEFORE)
    district = apps.get_model("geo", "Area").objects.create(
        code="MIG-D", name="区", kind="district", path="MIG-D"
    )
    unit = apps.get_model("orgs", "Unit")
    unit.objects.create(code="MIG-1", name="派出所", kind="police", district=district, phone="021-65550110")
    unit.objects.create(code="MIG-2", name="物业", kind="property", district=district, phone="")
    content_type_id = (
        apps.get_model("contenttypes", "ContentType").objects.create(app_label="orgs", model="unit").pk
    )
    log = apps.get_model("core", "AuditLog")
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

    apps = migrator.migrate(AFTER)
    raw = _raw_phones(migrator)
    assert raw["MIG-2"] == "" and "65550110" not in raw["MIG-1"]
    assert personal.decrypt(raw["MIG-1"]) == "021-65550110"
    migrated = apps.get_model("orgs", "Unit").objects.get(code="MIG-1")
    assert migrated.phone_hash == personal.digest("phone", "02165550110")
    mark = personal.AuditMark.TEXT
    changes = [row.changes for row in apps.get_model("core", "AuditLog").objects.all()]
    assert {"phone": [mark, mark], "name": ["a", "b"]} in changes
    assert {"phone": "", "name": "物业"} in changes

    migrator.migrate(BEFORE)  # backwards: the numbers in clear again
    assert _raw_phones(migrator) == {"MIG-1": "021-65550110", "MIG-2": ""}
