# Job.kind: from core's choices to the names of the job-kind registry (core.jobs).

from django.db import migrations, models

# The three kinds core's choices knew, now registered by cases (cases/jobs.py).
RENAMED = {
    "import_12345": "cases.import_12345",
    "case_export": "cases.case_export",
    "metrics_report": "cases.metrics_report",
}


def rename(apps, schema_editor, names=RENAMED):
    Job = apps.get_model("core", "Job")
    for old, new in names.items():
        Job.objects.filter(kind=old).update(kind=new)


def rename_back(apps, schema_editor):
    rename(apps, schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_clock_stamped"),
    ]

    operations = [
        migrations.AlterField(
            model_name="job",
            name="kind",
            field=models.CharField(max_length=64, verbose_name="类型"),
        ),
        migrations.RunPython(rename, rename_back),
    ]
