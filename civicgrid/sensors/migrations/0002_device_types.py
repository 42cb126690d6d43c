"""The five device types shipped (more are rows added in the admin): their limits and the case
category an alarm opens (the category tree of cases' migration 0002)."""

from django.db import migrations

TYPES = [
    # code, name, metric, unit, alarm_above, alarm_events, clear_events, watches_use, offline minutes,
    # category, urgency
    ("water_meter", "智能水表", "用水量", "升", None, [], [], True, 6 * 60, "E2110", "urgent"),
    (
        "smoke_detector",
        "烟感报警器",
        "电量",
        "%",
        None,
        ["smoke"],
        ["clear"],
        False,
        24 * 60,
        "E2199",
        "emergency",
    ),
    (
        "ebike_cabinet",
        "电动自行车充电柜",
        "温度",
        "℃",
        60.0,
        ["smoke", "fire"],
        ["clear"],
        False,
        2 * 60,
        "E2103",
        "emergency",
    ),
    ("manhole_cover", "智能井盖", "倾角", "°", 15.0, ["open"], ["closed"], False, 24 * 60, "C0102", "urgent"),
    ("water_level", "积水监测", "水位", "厘米", 20.0, [], [], False, 60, "E0406", "urgent"),
]


def add_types(apps, schema_editor):
    DeviceType = apps.get_model("sensors", "DeviceType")
    Category = apps.get_model("cases", "Category")
    for code, name, metric, unit, above, alarms, clears, use, offline, category, urgency in TYPES:
        DeviceType.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "metric": metric,
                "unit": unit,
                "alarm_above": above,
                "alarm_events": alarms,
                "clear_events": clears,
                "watches_use": use,
                "offline_minutes": offline,
                "category": Category.objects.filter(code=category).first(),
                "urgency": urgency,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("sensors", "0001_initial"), ("cases", "0002_load_categories")]

    operations = [migrations.RunPython(add_types, migrations.RunPython.noop)]
