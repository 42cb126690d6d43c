"""知情考试 under /api/v1/residents/exams: rounds (create, re-check), the draw, exams with
their comparison, the cadre's answer and the examiner's grade. Reads go through restrict();
writes through residents.actions.exams. A sensitive care kind reads `sensitive` to a caller
who may not see it; the seed is a string (it exceeds JavaScript's safe integers)."""

from datetime import date
from typing import Annotated, Any

from ninja import Field, Query, Router, Schema, Status

from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import InvalidInput
from civicgrid.core.inputs import MAX_ID
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, paginate
from civicgrid.core.rest import READ_ERRORS, WRITE_ERRORS, AreaRef, LocalDateTime, get_by_id
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .. import exams
from ..actions import exams as actions
from ..choices import ExamAction, ExamStatus, RoundKind
from ..models import Exam, ExamRound

router = Router(tags=["residents"])


# ---------------------------------------------------------------------------- shapes


class ExamRoundOut(Schema):
    id: int
    name: str
    kind: RoundKind
    parent: int | None
    street: AreaRef
    held_on: date
    sample_size: int


class ExamRoundPage(PageOut):
    results: list[ExamRoundOut]


class ExamRoundIn(Schema):
    street: str = Field(description="街道编码")
    name: str
    held_on: date | None = None
    sample_size: int | None = Field(None, description="留空则按街道设置 residents.exam_sample_size")


class DrawIn(Schema):
    cadre: int = Field(ge=1, le=MAX_ID, description="受考干部的用户 id")
    area: str | None = Field(None, description="抽查范围（居民区或其中一个网格）的编码；留空为该干部的居民区")


class UserRef(Schema):
    id: int
    name: str


class ExamOut(Schema):
    id: int
    round: int
    cadre: UserRef
    area: AreaRef
    status: ExamStatus
    version: int
    seed: str
    population: int
    matched: int
    total: int
    match_ratio: float | None
    suggested_grade: int | None
    grade: int | None
    grade_note: str
    answered_at: LocalDateTime | None
    graded_at: LocalDateTime | None


class ExamPage(PageOut):
    results: list[ExamOut]


class ComparisonOut(Schema):
    item: str = Field(
        description="size 户人数；member 第 n 名成员的姓名；employment 其就业状况；care 关爱类别"
    )
    n: int | None = None
    kind: str | None = Field(None, description="care 项的类别代码；无权查看的敏感类别为 sensitive")
    label: str
    ok: bool


class ExamItemOut(Schema):
    position: int
    household: int
    address: str
    room: str
    answer: dict[str, Any]
    comparison: list[ComparisonOut]
    matched: int
    total: int


class ExamDetailOut(ExamOut):
    items: list[ExamItemOut]


class PersonAnswerIn(Schema):
    name: str
    employment: str = ""


class AnswerItemIn(Schema):
    position: int
    size: int | None = None
    people: list[PersonAnswerIn] = []
    care: list[str] = Field([], description="关爱类别代码（仅限本人可查看的类别）")
    neighbours: str = ""


class AnswerIn(Schema):
    version: int | None = Field(None, description="你读到的考试版本；已过期则 409")
    answers: list[AnswerItemIn] = Field(description="每户一项；未列出的户按“不清楚”计")


class GradeIn(Schema):
    version: int | None = None
    grade: int = Field(description="1–5，1 为一级（最熟悉）")
    note: str = ""


class DrawCheckOut(Schema):
    seed: str
    population: int
    drawn: list[int]
    redrawn: list[int]
    same: bool


# ---------------------------------------------------------------------------- output


def round_out(round_: ExamRound) -> dict[str, Any]:
    return {
        "id": round_.pk,
        "name": round_.name,
        "kind": round_.kind,
        "parent": round_.parent_id,
        "street": {"code": round_.street.code, "name": round_.street.name},
        "held_on": round_.held_on,
        "sample_size": round_.sample_size,
    }


def exam_out(exam: Exam) -> dict[str, Any]:
    answered = exam.status != ExamStatus.DRAWN
    return {
        "id": exam.pk,
        "round": exam.round_id,
        "cadre": {"id": exam.cadre_id, "name": exam.cadre.full_name or exam.cadre.username},
        "area": {"code": exam.area.code, "name": exam.area.name},
        "status": exam.status,
        "version": exam.version,
        "seed": str(exam.seed),
        "population": exam.population,
        "matched": exam.matched,
        "total": exam.total,
        "match_ratio": exam.match_ratio,
        "suggested_grade": exams.suggested_grade(exam.matched, exam.total) if answered else None,
        "grade": exam.grade,
        "grade_note": exam.grade_note,
        "answered_at": exam.answered_at,
        "graded_at": exam.graded_at,
    }


def _rounds(user: Any) -> Any:
    return ExamRound.objects.restrict(user, Action.VIEW).select_related("street")


def _exams(user: Any) -> Any:
    return Exam.objects.restrict(user, Action.VIEW).select_related("cadre", "area")


def _detail(exam_id: int, user: Any) -> dict[str, Any]:
    exam = get_by_id(_exams(user), exam_id)
    return {**exam_out(exam), "items": exams.items_view(exam, user, via="api")}


# ---------------------------------------------------------------------------- rounds


@router.get("/exams/rounds", response={200: ExamRoundPage, **READ_ERRORS}, summary="知情考试轮次")
def list_rounds(
    request: Any, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    """The rounds of the caller's streets (a cadre: the rounds she sat), newest first."""
    return paginate(_rounds(request.auth), page, page_size, round_out)


@router.post("/exams/rounds", response={201: ExamRoundOut, **WRITE_ERRORS}, summary="新建知情考试轮次")
def create_round(request: Any, body: ExamRoundIn) -> Status[dict[str, Any]]:
    user = request.auth
    street = Area.objects.restrict(user, Action.VIEW).filter(code=body.street, kind=AreaKind.STREET).first()
    if street is None:
        raise InvalidInput("街道不存在", {"street": "invalid"})
    with acting_as(user, "api"):
        round_ = actions.create_round(
            user, street=street, name=body.name, held_on=body.held_on, sample_size=body.sample_size
        )
    return Status(201, round_out(round_))


@router.get(
    "/exams/rounds/{round_id}", response={200: ExamRoundOut, **READ_ERRORS}, summary="知情考试轮次详情"
)
def get_round(request: Any, round_id: int) -> dict[str, Any]:
    return round_out(get_by_id(_rounds(request.auth), round_id))


@router.post(
    "/exams/rounds/{round_id}/draw", response={201: ExamDetailOut, **WRITE_ERRORS}, summary="为干部抽户"
)
def draw(request: Any, round_id: int, body: DrawIn) -> Status[dict[str, Any]]:
    """Draws the round's sample size of households at random (seed recorded) from the
    cadre's residential area, or from one grid of it."""
    user = request.auth
    round_ = get_by_id(ExamRound.objects.restrict(user, Action.CHANGE), round_id)
    cadre = exams.cadres(round_.street_id).filter(pk=body.cadre).first()
    area = None
    if body.area:
        area = Area.objects.restrict(user, Action.VIEW).filter(code=body.area).first()
        if area is None:
            raise InvalidInput("抽查范围不存在", {"area": "invalid"})
    with acting_as(user, "api"):
        exam = actions.draw(user, round_, cadre, area)
    return Status(201, _detail(exam.pk, user))


@router.post(
    "/exams/rounds/{round_id}/recheck",
    response={201: ExamRoundOut, **WRITE_ERRORS},
    summary="发起复审（一级干部）",
)
def recheck(request: Any, round_id: int) -> Status[dict[str, Any]]:
    """A re-check round for the cadres graded 1 in this first round: the same areas, the
    sample size plus 5, fresh seeds."""
    user = request.auth
    round_ = get_by_id(ExamRound.objects.restrict(user, Action.CHANGE), round_id)
    with acting_as(user, "api"):
        created = actions.create_recheck(user, round_)
    return Status(201, round_out(get_by_id(_rounds(user), created.pk)))


# ---------------------------------------------------------------------------- exams


@router.get("/exams", response={200: ExamPage, **READ_ERRORS}, summary="知情考试成绩")
def list_exams(
    request: Any,
    round: Annotated[int | None, Query(ge=1, le=MAX_ID, description="轮次 id")] = None,
    cadre: Annotated[int | None, Query(ge=1, le=MAX_ID, description="受考干部的用户 id")] = None,
    area: Annotated[str | None, Query(max_length=32, description="抽查范围的区域编码")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """Grades and match ratios per round and cadre (a cadre: her own history)."""
    qs = _exams(request.auth).order_by("-round__held_on", "-round_id", "cadre_id")
    if round is not None:
        qs = qs.filter(round_id=round)
    if cadre is not None:
        qs = qs.filter(cadre_id=cadre)
    if area:
        qs = qs.filter(area__code=area)
    return paginate(qs, page, page_size, exam_out)


@router.get("/exams/{exam_id}", response={200: ExamDetailOut, **READ_ERRORS}, summary="知情考试详情")
def get_exam(request: Any, exam_id: int) -> dict[str, Any]:
    """The drawn households (address and room), the answers and the comparison item by item."""
    return _detail(exam_id, request.auth)


@router.get("/exams/{exam_id}/draw-check", response={200: DrawCheckOut, **READ_ERRORS}, summary="复核抽签")
def draw_check(request: Any, exam_id: int) -> dict[str, Any]:
    """Redoes the draw from the recorded seed and says whether it gives the same households."""
    exam = get_by_id(_exams(request.auth).select_related("round"), exam_id)
    drawn = list(exam.items.order_by("position").values_list("household_id", flat=True))
    redrawn = exams.redraw(exam)
    return {
        "seed": str(exam.seed),
        "population": exam.population,
        "drawn": drawn,
        "redrawn": redrawn,
        "same": drawn == redrawn,
    }


@router.post(
    "/exams/{exam_id}/answer", response={200: ExamDetailOut, **WRITE_ERRORS}, summary="提交作答（受考干部）"
)
def answer(request: Any, exam_id: int, body: AnswerIn) -> dict[str, Any]:
    """The cadre's own answers, from memory; compared with the registry at once. 409 once answered."""
    user = request.auth
    raw = {"answers": [a.model_dump() for a in body.answers], "version": body.version}
    with acting_as(user, "api"):
        actions.FRAME.run(exam_id, ExamAction.ANSWER, user, raw)
    return _detail(exam_id, user)


@router.post("/exams/{exam_id}/grade", response={200: ExamDetailOut, **WRITE_ERRORS}, summary="评级（考官）")
def grade(request: Any, exam_id: int, body: GradeIn) -> dict[str, Any]:
    """Grade 1–5 (1 = 一级, the best) with a note; 409 before the answer or once graded."""
    user = request.auth
    with acting_as(user, "api"):
        actions.FRAME.run(
            exam_id, ExamAction.GRADE, user, {"grade": body.grade, "note": body.note, "version": body.version}
        )
    return _detail(exam_id, user)
