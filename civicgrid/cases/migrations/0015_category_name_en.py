from django.db import migrations, models


def fill(apps, schema_editor):
    from civicgrid.cases.category_tree import fill_english_names

    fill_english_names(apps.get_model("cases", "Category"))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_resident_tracking_result_rating"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="name_en",
            field=models.CharField(blank=True, max_length=100, verbose_name="英文名称"),
        ),
        # The shipped categories get their English names; names an administrator set stay.
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
