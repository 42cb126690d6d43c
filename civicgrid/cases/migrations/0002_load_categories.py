from django.db import migrations


def load(apps, schema_editor):
    from civicgrid.cases.category_tree import load as load_tree

    load_tree(apps.get_model("cases", "Category"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
