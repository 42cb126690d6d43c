"""The published description is good enough for a generated client: openapi-python-client
builds one from /api/v1/openapi.json without a single warning, and that client — typed action
bodies, named enums, the multipart upload with its stage — drives a real server: register a
case, file and dispatch it, upload a photo of the scene (stage "before")."""

import importlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from civicgrid.accounts import tokens
from civicgrid.cases.models import Case
from civicgrid.cases.tests.factories import duty
from civicgrid.core.choices import Role

# Photo downloads answer image/*: the client hands them back as bytes.
CONFIG = "content_type_overrides:\n" + "".join(
    f"  image/{kind}: application/octet-stream\n" for kind in ("jpeg", "png", "webp")
)
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture(scope="module")
def generated(tmp_path_factory, django_db_blocker):
    from civicgrid.api.urls import api

    root = tmp_path_factory.mktemp("generated")
    (root / "openapi.json").write_text(json.dumps(api.get_openapi_schema(), ensure_ascii=False, default=str))
    (root / "config.yaml").write_text(CONFIG)
    run = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(root / "openapi.json"),
            "--config",
            str(root / "config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(root / "civicgrid_client"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": f"{GENERATOR.parent}:/usr/bin:/bin"},
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("civicgrid_client")
    finally:
        sys.path.remove(str(root))


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), "green").save(buf, format="JPEG")
    return buf.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_generated_client_registers_dispatches_and_uploads(generated, live_server, world):
    from civicgrid_client import AuthenticatedClient
    from civicgrid_client.api.cases import (
        civicgrid_cases_api_create_case as create_case,
    )
    from civicgrid_client.api.cases import (
        civicgrid_cases_api_run_action as run_action,
    )
    from civicgrid_client.api.cases import (
        civicgrid_cases_api_upload_photos as upload_photos,
    )
    from civicgrid_client.models import (
        CaseIn,
        CivicgridCasesApiUploadPhotosMultiPartBodyParams,
        DispatchParams,
        FileParams,
        PersonAction,
        PhotoStage,
    )
    from civicgrid_client.models.channel import Channel
    from civicgrid_client.models.request_type import RequestType
    from civicgrid_client.types import File

    duty(world)
    desk = world.user("east", Role.DISPATCHER)
    key = tokens.issue(desk, scopes=["read", "write"]).key
    client = AuthenticatedClient(base_url=live_server.url, token=key)
    grid = world.east.grids[0].shape.centroid

    created = create_case.sync_detailed(
        client=client,
        body=CaseIn(
            request_type=RequestType.COMPLAINT,
            category="E2105",
            description="楼上夜间噪声扰民，影响休息",
            channel=Channel.HOTLINE,
            lon=grid.x,
            lat=grid.y,
            reporter_name="王先生",
            reporter_phone="13812345678",
        ),
    )
    assert created.status_code == 201, created.content
    number = created.parsed.number

    filed = run_action.sync_detailed(number, PersonAction.FILE, client=client, body=FileParams(note="属实"))
    assert filed.status_code == 200, filed.content
    dispatched = run_action.sync_detailed(
        number,
        PersonAction.DISPATCH,
        client=client,
        body=DispatchParams(note="请尽快处置", version=filed.parsed.version),
    )
    assert dispatched.status_code == 200, dispatched.content
    assert dispatched.parsed.status == "dispatched"

    uploaded = upload_photos.sync_detailed(
        number,
        client=client,
        body=CivicgridCasesApiUploadPhotosMultiPartBodyParams(
            photos=[File(payload=io.BytesIO(_jpeg()), file_name="scene.jpg", mime_type="image/jpeg")],
            stage=PhotoStage.BEFORE,
        ),
    )
    assert uploaded.status_code == 201, uploaded.content
    case = Case.objects.get(number=number)
    assert case.status == "dispatched"
    assert [p.stage for p in case.photos.all()] == ["before"]
