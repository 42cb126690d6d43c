"""Settings come from the environment, with safe production defaults."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS, "
    "'engine': settings.DATABASES['default']['ENGINE'], 'name': str(settings.DATABASES['default']['NAME']), "
    "'lang': settings.LANGUAGE_CODE, 'tz': settings.TIME_ZONE, 'secure': settings.SESSION_COOKIE_SECURE}))"
)


def run_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CIVICGRID_") and k != "PYTEST_VERSION"}
    clean.update(env, DJANGO_SETTINGS_MODULE="civicgrid.settings")
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True)


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_settings(CIVICGRID_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "CIVICGRID_SECRET_KEY" in result.stderr


# A Fernet key (what the message of the refusal below tells how to generate).
FIELD_KEY = "Y2l2aWNncmlkLXNldHRpbmdzLXRlc3QtZmllbGRrZXk="


def test_production_refuses_to_start_without_field_keys(tmp_path):
    result = run_settings(CIVICGRID_SECRET_KEY="x" * 50, CIVICGRID_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "CIVICGRID_FIELD_KEYS" in result.stderr and "Fernet.generate_key()" in result.stderr


def test_production_defaults(tmp_path):
    result = run_settings(
        CIVICGRID_SECRET_KEY="x" * 50, CIVICGRID_FIELD_KEYS=FIELD_KEY, CIVICGRID_VAR_DIR=str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is False
    assert values["secure"] is True
    assert values["lang"] == "zh-hans" and values["tz"] == "Asia/Shanghai"
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"].startswith(str(tmp_path))


def test_database_and_hosts_from_environment(tmp_path):
    result = run_settings(
        CIVICGRID_SECRET_KEY="x" * 50,
        CIVICGRID_DATABASE_URL="postgres://u@db.example:5432/civic",
        CIVICGRID_ALLOWED_HOSTS="civic.example, www.civic.example",
        CIVICGRID_DEBUG="1",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "civic"
    assert values["hosts"] == ["civic.example", "www.civic.example"]
    assert values["debug"] is True and values["secure"] is False


CELERY_PROBE = (
    "import json, django; django.setup(); from civicgrid.celery import app; c = app.conf; "
    "print(json.dumps({'broker': c.broker_url, 'eager': c.task_always_eager, "
    "'options': c.broker_transport_options}))"
)


def celery_settings(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CIVICGRID_") and k != "PYTEST_VERSION"}
    clean.update(
        env,
        DJANGO_SETTINGS_MODULE="civicgrid.settings",
        CIVICGRID_SECRET_KEY="x" * 50,
        CIVICGRID_FIELD_KEYS=FIELD_KEY,
    )
    result = subprocess.run(
        [sys.executable, "-c", CELERY_PROBE], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_a_broker_tasks_go_to_a_worker_through_files_under_the_data_directory(tmp_path):
    values = celery_settings(CIVICGRID_VAR_DIR=str(tmp_path))
    assert values["broker"] == "filesystem://"
    assert values["eager"] is False  # a task never runs in the request that sent it
    options = values["options"]
    messages, control = tmp_path / "celery" / "messages", tmp_path / "celery" / "control"
    assert options["data_folder_in"] == options["data_folder_out"] == str(messages)
    assert options["control_folder"] == str(control)
    assert messages.is_dir() and control.is_dir()  # kombu does not create them


def test_the_message_folder_and_the_broker_are_configurable(tmp_path):
    values = celery_settings(
        CIVICGRID_VAR_DIR=str(tmp_path), CIVICGRID_CELERY_FILESYSTEM_DIR=str(tmp_path / "q")
    )
    assert values["options"]["data_folder_in"] == str(tmp_path / "q" / "messages")
    values = celery_settings(
        CIVICGRID_VAR_DIR=str(tmp_path / "other"), CIVICGRID_CELERY_BROKER_URL="redis://127.0.0.1:6379/1"
    )
    assert values["broker"] == "redis://127.0.0.1:6379/1" and values["eager"] is False
    assert "data_folder_in" not in values["options"]
    assert not (tmp_path / "other" / "celery").exists()


def test_only_the_test_suite_runs_tasks_eagerly(settings):
    # Under pytest without a broker (this run): in-process, so tests stay deterministic.
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
