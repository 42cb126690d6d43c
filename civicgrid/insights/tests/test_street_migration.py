"""cases migration 0003 fills the new street column of rows that existed before it."""

from datetime import UTC, datetime

from civicgrid.testing.factories import historical_case

BEFORE = [("cases", "0002_load_categories")]
AFTER = [("cases", "0003_street_on_hot_tables_and_dashboard_indexes")]
CHILDREN = ("Assignment", "Photo", "Callback", "Supervision", "ExtensionRequest", "Notification")


def test_migration_fills_the_street_of_existing_rows(migrator):
    apps = migrator.migrate(BEFORE)
    area, unit_model = apps.get_model("geo", "Area"), apps.get_model("orgs", "Unit")
    category_model = apps.get_model("cases", "Category")
    district = area.objects.create(kind="district", code="990001", name="旧区", path="990001/")
    streets = [
        area.objects.create(kind="street", code=f"99000100{i}", name=f"旧街道{i}", parent=district)
        for i in (1, 2)
    ]
    unit = unit_model.objects.create(kind="urban", code="OLD-1", name="旧单位", district=district)
    category = category_model.objects.first() or category_model.objects.create(code="E9", name="旧分类")
    user = apps.get_model("accounts", "User").objects.create(username="old-user", role="dispatcher")
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    expected = {}
    for i, street in enumerate(streets):
        case = historical_case(apps, street, category, f"OLD-{i}", at)
        apps.get_model("cases", "Assignment").objects.create(
            case=case, unit=unit, role="lead", dispatched_at=at
        )
        apps.get_model("cases", "Photo").objects.create(case=case, stage="before", image="old.jpg")
        apps.get_model("cases", "Callback").objects.create(case=case, at=at)
        apps.get_model("cases", "Supervision").objects.create(case=case, kind="leader", at=at)
        apps.get_model("cases", "ExtensionRequest").objects.create(
            case=case, unit=unit, requested_at=at, working_days=2, reason="旧"
        )
        apps.get_model("cases", "Notification").objects.create(
            user=user, case=case, kind="dispatched", text="旧", key=f"old:{i}"
        )
        expected[case.pk] = street.pk
    apps.get_model("cases", "Notification").objects.create(
        user=user, kind="dispatched", text="无工单", key="none"
    )

    apps = migrator.migrate(AFTER)
    for name in CHILDREN:
        rows = list(
            apps.get_model("cases", name)
            .objects.filter(case__isnull=False)
            .values_list("case_id", "street_id")
        )
        assert len(rows) == 2 and all(expected[case] == street for case, street in rows), name
    assert apps.get_model("cases", "Notification").objects.get(key="none").street_id is None
