"""Smart intake (智能派单, issue 19 point 5): the suggestion on the desk form (category, request
type, confidence, address, unit), the desk's acceptance or correction recorded and fed back
into training, training per street (command and job), train_intake / classify_intake from a
spreadsheet (JSON lines), bad input, and the suggestion in the 400 of the API, Open311 and a
12345 row without a category."""

import json
import shutil
from io import StringIO
from pathlib import Path

import joblib
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from civicgrid.accounts.models import Membership
from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.intake import hotline, suggest
from civicgrid.cases.intake import model as intake_model
from civicgrid.cases.models import Case, IntakeHint, IntakeSuggestion
from civicgrid.core.choices import JobStatus, Role
from civicgrid.core.models import Event, Job
from civicgrid.core.spreadsheets import XlsxWriter
from civicgrid.geo.models import Building
from civicgrid.profiles.actions import save_profile
from civicgrid.testing.api import ApiClient
from civicgrid.testing.factories import UserFactory
from civicgrid.testing.permissions import assert_matrix

from .factories import duty, make_case
from .test_desk import desk, form_data

pytestmark = pytest.mark.django_db

NOISE = [
    "楼上装修噪声太大，晚上也在施工",
    "隔壁酒吧夜里音乐声音很吵",
    "楼下广场舞音响噪音扰民",
    "夜间施工噪声影响休息",
    "空调外机噪音很大吵得睡不着",
]
CHARGING = [
    "楼道里电动车飞线充电很危险",
    "有人把电瓶车推进电梯上楼充电",
    "电动自行车在楼道充电，存在火灾隐患",
    "居民从窗口拉电线给电动车充电",
    "电瓶车停在楼梯口充电",
]
RENTING = [
    "隔壁房子被隔成很多小间群租",
    "一套房子住了十几个人，群租",
    "二房东把客厅隔断出租，人员复杂",
    "出租屋住了很多人，进进出出",
    "房屋隔断群租，消防通道堵塞",
]
EXAMPLES = (
    [intake_model.Example(t, "E2105", "complaint") for t in NOISE]
    + [intake_model.Example(t, "E2103", "report") for t in CHARGING]
    + [intake_model.Example(t, "E2101", "report") for t in RENTING]
)
ADDRESS = "乳山路235弄3号"


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A tiny model trained once for the module (no database: the model is pure)."""
    path = tmp_path_factory.mktemp("model") / "tiny.joblib"
    intake_model.save(intake_model.train(EXAMPLES, info={"trained_at": "2026-03-01T10:00:00+08:00"}), path)
    return path


@pytest.fixture
def trained(world, settings, tmp_path, model_file):
    """The east street has the tiny model, a duty rule (E21 → its 城管中队) and a building at ADDRESS."""
    settings.CIVICGRID_INTAKE_MODEL_DIR = tmp_path / "models"
    target = suggest.model_path(world.east.street)
    target.parent.mkdir()
    shutil.copy(model_file, target)
    duty(world, "east")
    grid = world.east.grids[1]
    Building.objects.create(address=ADDRESS, lon=grid.shape.centroid.x, lat=grid.shape.centroid.y)
    return world


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    writer = XlsxWriter()
    sheet = writer.sheet("数据")
    for row in rows:
        sheet.append(row)
    writer.save(path)
    return path


# ---------------------------------------------------------------------------- the desk form


def test_desk_form_suggests_category_type_address_and_unit(client, trained):
    client.force_login(desk(trained))
    page = client.get(reverse("cases:desk_new"))
    assert 'id="intake-suggestion"' in page.content.decode()  # the block the typing refreshes

    text = f"居民来电：{ADDRESS.replace('3', '３')} 楼上装修噪声太大，晚上也在施工"
    response = client.get(reverse("cases:desk_suggest"), {"description": text})
    html = response.content.decode()
    assert response.status_code == 200
    assert "智能建议" in html and "噪声扰民" in html and "投诉" in html
    assert f"地址：{ADDRESS}" in html  # extracted and normalised (full-width digit)
    assert f"职责单位：{trained.east.unit.name}" in html  # the duty table, at that address
    assert 'data-category="E2105"' in html and 'data-request-type="complaint"' in html
    percent = int(html.split("置信度 ")[1].split("%")[0])
    assert 30 <= percent <= 100

    charging = client.get(reverse("cases:desk_suggest"), {"description": "楼道里有人给电动车飞线充电"})
    assert 'data-category="E2103"' in charging.content.decode()


def test_no_model_no_suggestion(client, world):
    client.force_login(desk(world))
    response = client.get(reverse("cases:desk_suggest"), {"description": "楼上装修噪声太大"})
    assert response.status_code == 200 and "智能建议" not in response.content.decode()
    # Registering works as before and records nothing.
    assert client.post(reverse("cases:desk_new"), form_data(world)).status_code == 302
    assert not IntakeSuggestion.objects.exists()


def test_a_low_confidence_shows_no_category(client, trained):
    save_profile(trained.east.street, trained.user("east", Role.ADMIN), {"cases.intake_min_confidence": 0.99})
    client.force_login(desk(trained))
    html = client.get(reverse("cases:desk_suggest"), {"description": "楼上装修噪声"}).content.decode()
    assert "智能建议" in html and "data-category" not in html and "噪声扰民" not in html


def test_suggestions_are_the_desks(client, trained):
    url = reverse("cases:desk_suggest") + "?description=噪声"
    users = {role: trained.user("east", role) for role in Role.values}
    expected = dict.fromkeys(Role.values, 404) | {Role.DISPATCHER: 200, Role.ADMIN: 200}
    assert_matrix(client, url, expected, users)


def two_street_desk(world):
    """A dispatcher of both streets (the district's desk)."""
    user = UserFactory(username="both-desk", role=Role.DISPATCHER)
    for side in (world.east, world.west):
        Membership.objects.create(user=user, area=side.street)
    return user


def test_a_desk_of_several_streets_reads_the_street_from_the_text(client, trained):
    client.force_login(two_street_desk(trained))
    url = reverse("cases:desk_suggest")
    # The address written in the text is the east street's: its model, and its duty table's unit.
    html = client.get(url, {"description": f"{ADDRESS}楼上装修噪声太大"}).content.decode()
    assert 'data-category="E2105"' in html and f"职责单位：{trained.east.unit.name}" in html

    # No place anywhere: the most confident of the desk's streets' models (only the east has
    # one here) suggests the category; no unit, since the street is still a guess.
    html = client.get(url, {"description": "楼道里有人给电动车飞线充电"}).content.decode()
    assert 'data-category="E2103"' in html and "职责单位" not in html

    # An address typed in the west street: the west's model, which it has not.
    west = trained.west.buildings[0].address
    html = client.get(url, {"description": "楼道里电动车充电", "address": west}).content.decode()
    assert "智能建议" not in html


def test_the_guess_takes_the_most_confident_street(trained, settings, tmp_path):
    """With a model in each street, the one surest of its answer wins."""
    user = two_street_desk(trained)
    west_examples = [intake_model.Example(t, "E2101", "report") for t in RENTING * 4] + [
        intake_model.Example(t, "E2105", "complaint") for t in NOISE
    ]
    intake_model.save(intake_model.train(west_examples), suggest.model_path(trained.west.street))
    east = suggest.suggest("隔壁房子隔成小间群租", trained.east.street, unit=False)
    west = suggest.suggest("隔壁房子隔成小间群租", trained.west.street, unit=False)
    found, street = suggest.for_desk(user, "隔壁房子隔成小间群租")
    assert west.confidence > east.confidence  # the west knows renting better (the order is east, west)
    assert street == trained.west.street and found.confidence == west.confidence
    assert found.category.code == "E2101" and found.unit is None


def test_acceptance_and_correction_are_recorded(client, trained):
    user = desk(trained)
    client.force_login(user)
    text = "楼上装修噪声太大，晚上也在施工"
    kept = client.post(reverse("cases:desk_new"), form_data(trained, description=text))
    assert kept.status_code == 302
    accepted = IntakeSuggestion.objects.get()
    assert accepted.accepted and accepted.by == user and accepted.street == trained.east.street
    assert accepted.suggested_category.code == accepted.final_category.code == "E2105"
    assert accepted.suggested_request_type == "complaint" and 0 < accepted.confidence <= 1
    assert accepted.model_trained_at == "2026-03-01T10:00:00+08:00"
    assert accepted.case.events.get().data["intake"] == {
        "suggested": "E2105",
        "request_type": "complaint",
        "confidence": accepted.confidence,
        "accepted": True,
    }

    # The desk knows better: the text says noise, the resident told them of the renting behind it.
    corrected_text = "隔壁夜里噪声很吵，一直有人进出"
    data = form_data(trained, description=corrected_text, category="E2101", request_type="report")
    assert client.post(reverse("cases:desk_new"), data).status_code == 302
    corrected = IntakeSuggestion.objects.exclude(pk=accepted.pk).get()
    assert not corrected.accepted
    assert corrected.final_category.code == "E2101" and corrected.final_request_type == "report"
    assert corrected.suggested_category.code != "E2101"

    # Corrections are training data (twice the weight); an accepted open case is not (not closed).
    examples = suggest.case_examples(trained.east.street.pk)
    assert [(e.text, e.label, e.request_type, e.weight) for e in examples] == [
        (corrected_text, "E2101", "report", 2.0)
    ]


def test_a_refused_registration_records_nothing(client, trained):
    client.force_login(desk(trained))
    data = form_data(trained, description="楼上装修噪声太大", category="NOPE")
    assert client.post(reverse("cases:desk_new"), data).status_code == 400
    assert not Case.objects.exists() and not IntakeSuggestion.objects.exists()


# ---------------------------------------------------------------------------- training per street


def closed_cases(world, labelled):
    for text, code, kind in labelled:
        make_case(world, description=text, category=code, request_type=kind)
    Case.objects.update(status=CaseStatus.CLOSED)  # their history is not what is tested here


def test_train_from_cases_command_and_job(
    client, world, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.CIVICGRID_INTAKE_MODEL_DIR = tmp_path
    closed_cases(
        world, [(t, "E2105", "complaint") for t in NOISE] + [(t, "E2103", "report") for t in CHARGING]
    )
    street = world.east.street
    with pytest.raises(CommandError, match="只有 10 件可用于训练的工单，至少需要 100 件"):
        call_command("train_intake", "--from-cases", "--street", street.code)
    assert not suggest.model_path(street).exists()

    save_profile(street, world.user("east", Role.ADMIN), {"cases.intake_min_cases": 10})
    out = StringIO()
    call_command("train_intake", "--from-cases", "--street", street.code, stdout=out)
    assert "10 条记录，2 个类别" in out.getvalue() and suggest.model_path(street).is_file()
    found = suggest.suggest("楼道电动车充电", street)
    assert found is not None and found.category.code == "E2103" and found.request_type == "report"

    # The page's 重新训练 runs the job (in-process in the tests) and lists the model.
    client.force_login(desk(world))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cases:intake_model"), {"street": street.code})
    job = Job.objects.get(kind="cases.train_intake")
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.street_id == street.pk
    page = client.get(reverse("cases:intake_model")).content.decode()
    assert "已训练：10 条记录，2 个类别" in page
    # Another street's code is not the desk's to train.
    assert client.post(reverse("cases:intake_model"), {"street": world.west.street.code}).status_code == 404


def test_training_job_too_few_cases_fails_with_its_reason(
    client, world, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.CIVICGRID_INTAKE_MODEL_DIR = tmp_path
    client.force_login(desk(world))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cases:intake_model"), {"street": world.east.street.code})
    job = Job.objects.get(kind="cases.train_intake")
    assert job.status == JobStatus.FAILED and "至少需要 100 件" in job.error


def test_model_page_is_the_desks(client, world):
    users = {role: world.user("east", role) for role in Role.values}
    expected = dict.fromkeys(Role.values, 404) | {Role.DISPATCHER: 200, Role.ADMIN: 200}
    assert_matrix(client, reverse("cases:intake_model"), expected, users)


# ---------------------------------------------------------------------------- the commands


def test_train_and_classify_from_a_spreadsheet(tmp_path):
    rows = [["编号", "内容", "分类"]] + [[i, e.text, e.label] for i, e in enumerate(EXAMPLES)]
    training = write_xlsx(tmp_path / "train.xlsx", rows)
    output = tmp_path / "out" / "model.joblib"
    out = StringIO()
    call_command(
        "train_intake",
        "--from-file",
        str(training),
        "--text-column",
        "内容",
        "--label-column",
        "分类",
        "--output",
        str(output),
        stdout=out,
    )
    assert "15 条记录，3 个类别" in out.getvalue() and output.is_file()

    texts = write_xlsx(
        tmp_path / "texts.xlsx",
        [
            ["编号", "内容"],
            [1, "半夜楼上装修噪声很吵"],
            [2, None],
            [3, "楼道里电动车充电"],
            [4, "房子隔成小间群租"],
        ],
    )
    printed = StringIO()
    call_command(
        "classify_intake", "--model", str(output), str(texts), "--text-column", "内容", stdout=printed
    )
    lines = [json.loads(line) for line in printed.getvalue().splitlines()]
    assert [(line["row"], line["label"]) for line in lines] == [
        (2, "E2105"),
        (3, None),
        (4, "E2103"),
        (5, "E2101"),
    ]
    assert all(set(line) == {"row", "label", "confidence"} for line in lines)
    assert lines[1]["confidence"] is None
    assert all(1 / 3 < line["confidence"] <= 1 for line in lines if line["label"])


def test_commands_refuse_bad_input_by_name(tmp_path):
    def train(*args: str) -> None:
        call_command("train_intake", *args)

    good = write_xlsx(tmp_path / "good.xlsx", [["内容", "分类"]] + [[e.text, e.label] for e in EXAMPLES])
    model = tmp_path / "m.joblib"
    with pytest.raises(CommandError, match="缺少必需的列：正文"):
        train(
            "--from-file",
            str(good),
            "--text-column",
            "正文",
            "--label-column",
            "分类",
            "--output",
            str(model),
        )
    with pytest.raises(CommandError, match="文件不存在"):
        train(
            "--from-file",
            str(tmp_path / "nope.xlsx"),
            "--text-column",
            "内容",
            "--label-column",
            "分类",
            "--output",
            str(model),
        )
    with pytest.raises(CommandError, match="须指定 --output"):
        train("--from-file", str(good), "--text-column", "内容", "--label-column", "分类")
    with pytest.raises(CommandError, match="须指定 --text-column 和 --label-column"):
        train("--from-file", str(good), "--output", str(model))
    one_label = write_xlsx(tmp_path / "one.xlsx", [["内容", "分类"]] + [[t, "E2105"] for t in NOISE])
    with pytest.raises(CommandError, match="同一类别（E2105），至少需要两个类别"):
        train(
            "--from-file",
            str(one_label),
            "--text-column",
            "内容",
            "--label-column",
            "分类",
            "--output",
            str(model),
        )
    few = write_xlsx(
        tmp_path / "few.xlsx", [["内容", "分类"], ["噪声", "E2105"], ["充电", "E2103"], ["", "E2101"]]
    )
    with pytest.raises(CommandError, match="只有 2 条，至少需要 4 条"):
        train(
            "--from-file", str(few), "--text-column", "内容", "--label-column", "分类", "--output", str(model)
        )
    with pytest.raises(CommandError, match="街道“nowhere”不存在"):
        train("--from-cases", "--street", "nowhere")
    assert not model.exists()  # nothing half-written

    def classify(model_path: Path) -> None:
        call_command("classify_intake", "--model", str(model_path), str(good), "--text-column", "内容")

    with pytest.raises(CommandError, match="模型文件不存在"):
        classify(tmp_path / "none.joblib")
    joblib.dump({"something": "else"}, tmp_path / "other.joblib")
    with pytest.raises(CommandError, match="不是本系统的派单模型"):
        classify(tmp_path / "other.joblib")
    (tmp_path / "text.joblib").write_text("不是模型")
    with pytest.raises(CommandError, match="无法读取模型文件"):
        classify(tmp_path / "text.joblib")


# ---------------------------------------------------------------------------- other ways in


def test_api_without_category_is_400_with_the_suggestion(client, trained):
    api = ApiClient(client, trained.user("east", Role.DISPATCHER), scopes=("cases:write",))
    point = trained.east.grids[1].shape.centroid
    body = {
        "request_type": "complaint",
        "description": "楼上装修噪声太大，晚上也在施工",
        "channel": "hotline",
        "lon": point.x,
        "lat": point.y,
    }
    response = api.post("/cases", body)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["fields"] == {"category": "required"}
    assert error["message"].startswith("缺少问题分类（category）；建议：E2105 噪声扰民（置信度 ")
    assert not Case.objects.exists()
    assert api.post("/cases", {**body, "category": "E2105"}).status_code == 201
    # A caller of two streets whose text names no place: its streets' models still answer.
    both = ApiClient(client, two_street_desk(trained), scopes=("cases:write",))
    message = both.post("/cases", body).json()["error"]["message"]
    assert message.startswith("缺少问题分类（category）；建议：E2105 噪声扰民")


def test_open311_without_service_code_is_400_with_the_suggestion(client, trained):
    from civicgrid.accounts import tokens

    key = tokens.issue(trained.user("east", Role.RESIDENT), scopes=["open311:write"]).key
    data = {
        "jurisdiction_id": trained.east.street.code,
        "api_key": key,
        "description": "楼道里电动车飞线充电很危险",
        "address_string": ADDRESS,
    }
    response = client.post("/open311/v2/requests.json", data)
    assert response.status_code == 400
    [error] = response.json()
    assert error["description"].startswith("缺少 service_code；建议：E2103 ")
    # A private category (open311.private_categories: E2101 by default) is never suggested.
    renting = client.post("/open311/v2/requests.json", {**data, "description": "房子隔断群租住了很多人"})
    assert renting.json()[0]["description"] == "缺少 service_code"


def test_a_12345_row_without_category_fails_with_the_suggestion(trained, tmp_path):
    header = list(hotline.DEFAULT_HEADERS.values())
    row = [
        "T-1",
        "2026-03-01 09:00",
        "投诉",
        "",
        "楼上装修噪声太大，晚上也在施工",
        ADDRESS,
        "王",
        "13800000000",
    ]
    path = write_xlsx(tmp_path / "12345.xlsx", [header, row + [None, None, trained.east.street.code]])
    result = hotline.import_file(path, actor=desk(trained))
    assert result.failed == 1 and not Case.objects.exists()
    [error] = result.errors
    assert error.columns == ("问题分类",)
    assert error.reason.startswith("问题分类为空（建议：E2105 噪声扰民（置信度 ")


@pytest.mark.parametrize("rows", [2, 12], ids=["row by row", "bulk path"])
def test_a_12345_row_filled_in_after_its_suggestion_records_it_kept_or_corrected(trained, tmp_path, rows):
    header = list(hotline.DEFAULT_HEADERS.values())
    noise = "楼上装修噪声太大，晚上也在施工"

    def row(ext: str, category: str, text: str = noise) -> list[object]:
        return [ext, "2026-03-01 09:00", "投诉", category, text, ADDRESS, "王", "13800000000"] + [
            None,
            None,
            trained.east.street.code,
        ]

    user = desk(trained)
    first = write_xlsx(tmp_path / "first.xlsx", [header, row("T-1", ""), row("T-2", "")])
    assert hotline.import_file(first, actor=user).failed == 2
    hints = list(IntakeHint.objects.order_by("external_id"))
    assert [(h.external_id, h.suggested_category.code, h.street_id) for h in hints] == [  # type: ignore[union-attr]
        ("T-1", "E2105", trained.east.street.pk),
        ("T-2", "E2105", trained.east.street.pk),
    ]
    # The desk fills the column in — the suggestion for one, its own choice for the other — and
    # imports the rows again, with others that never lacked a category.
    others = [row(f"T-{n}", "E2105", f"{noise}（{n}）") for n in range(3, rows + 1)]
    again = write_xlsx(tmp_path / "again.xlsx", [header, row("T-1", "E2105"), row("T-2", "E2103"), *others])
    assert hotline.import_file(again, actor=user).created == rows
    kept = IntakeSuggestion.objects.get(case__external_id="T-1")
    corrected = IntakeSuggestion.objects.get(case__external_id="T-2")
    assert (kept.suggested_category.code, kept.final_category.code, kept.by) == ("E2105", "E2105", user)  # type: ignore[union-attr]
    assert kept.accepted == (kept.suggested_request_type in ("", kept.final_request_type))
    assert (corrected.final_category.code, corrected.accepted) == ("E2103", False)
    assert IntakeSuggestion.objects.count() == 2  # the other rows had no suggestion to record
    assert not IntakeHint.objects.exists()
    logged = Event.objects.filter(app="cases", object_type="intakesuggestion", action="record")
    assert sorted(e.payload["case"] for e in logged) == sorted(
        Case.objects.filter(external_id__in=["T-1", "T-2"]).values_list("number", flat=True)
    )


def test_a_dry_run_keeps_no_suggestion(trained, tmp_path):
    header = list(hotline.DEFAULT_HEADERS.values())
    row = [
        "T-9",
        "2026-03-01 09:00",
        "投诉",
        "",
        "楼上装修噪声太大",
        ADDRESS,
        "王",
        "",
        None,
        None,
        trained.east.street.code,
    ]
    path = write_xlsx(tmp_path / "dry.xlsx", [header, row])
    assert hotline.import_file(path, actor=desk(trained), dry_run=True).failed == 1
    assert not IntakeHint.objects.exists()


def test_a_row_of_a_registered_case_keeps_no_suggestion(trained, tmp_path):
    """An update of a case already imported, its category left out, fails with the suggestion
    in its reason but keeps none: when it comes again it registers no case to record it on."""
    make_case(trained, source=hotline.SOURCE, external_id="T-5")
    header = list(hotline.DEFAULT_HEADERS.values())
    row = ["T-5", "2026-03-01 09:00", "投诉", "", "楼上装修噪声太大", ADDRESS, "王", "", None, None]
    path = write_xlsx(tmp_path / "update.xlsx", [header, row + [trained.east.street.code]])
    result = hotline.import_file(path, actor=desk(trained))
    assert result.failed == 1 and "建议：E2105" in result.errors[0].reason
    assert not IntakeHint.objects.exists()


def test_a_12345_row_of_a_desk_of_several_streets_gets_the_suggestion(trained, tmp_path):
    """No 街道 in the row and a desk of two streets: the address in the row names the street."""
    header = list(hotline.DEFAULT_HEADERS.values())
    row = ["T-7", "2026-03-01 09:00", "投诉", "", "楼上装修噪声太大", ADDRESS, "王", "", None, None, None]
    path = write_xlsx(tmp_path / "both.xlsx", [header, row])
    result = hotline.import_file(path, actor=two_street_desk(trained))
    assert result.failed == 1 and "建议：E2105" in result.errors[0].reason
    assert IntakeHint.objects.get().street == trained.east.street
