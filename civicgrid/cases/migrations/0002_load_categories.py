from django.db import migrations


def load(apps, schema_editor):
    from civicgrid.cases.category_tree import rows

    Category = apps.get_model("cases", "Category")
    by_code = {}
    for row in rows():
        parent = by_code.get(row["parent"]) if row["parent"] else None
        obj, _created = Category.objects.get_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "parent": parent,
                "kind": row["kind"],
                "is_emergency": row.get("is_emergency", False),
                "default_request_type": row.get("default_request_type", ""),
            },
        )
        by_code[row["code"]] = obj


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
