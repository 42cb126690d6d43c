# Integration names are unique per street (accounts.actions.check_name), not across streets:
# a global constraint told every administrator which names other streets use.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_encrypt_phone"),
    ]

    operations = [
        migrations.AlterField(
            model_name="apiclient",
            name="name",
            field=models.CharField(max_length=100, verbose_name="名称"),
        ),
    ]
