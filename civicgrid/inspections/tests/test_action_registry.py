"""Every action endpoint and page offers its machine's actions however the process started:
the bodies register themselves when their modules load, and the app loads them (apps.py), not
whichever test or view happened to import them first. Checked in a fresh process."""

import json
import subprocess
import sys

from django.conf import settings

PROBE = """
import json, django
django.setup()
from civicgrid.api.urls import api
paths = api.get_openapi_schema()["paths"]
print(json.dumps({
    path: len(op["post"]["requestBody"]["content"]["application/json"]["schema"]["oneOf"])
    for path, op in paths.items()
    if path.endswith("/actions/{action}") and "requestBody" in op.get("post", {})
}))
"""


def test_action_endpoints_list_their_bodies_in_a_fresh_process() -> None:
    env = {"DJANGO_SETTINGS_MODULE": "civicgrid.settings", "CIVICGRID_INSECURE_DEV_KEY": "1", "PATH": ""}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
        env=env,
    )
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    assert counts["/api/v1/inspections/orders/{number}/actions/{action}"] == 7
    assert counts["/api/v1/inspections/rent-entries/{entry_id}/actions/{action}"] == 5
    assert counts["/api/v1/inspections/tasks/{task_id}/actions/{action}"] == 2
    assert all(counts.values()), counts
