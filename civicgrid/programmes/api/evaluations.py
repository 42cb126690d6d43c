"""Democratic evaluations under /api/v1/programmes/: the evaluations the caller may see, a new
one (with its subjects), one evaluation (with the tally once counted), its machine's steps, its
subjects, the representatives' codes, the tellers' paper ballots and the result PDF.

The codes are never in an answer: issuing says how many voters were made, and the codes are
printed on the desk's slips (the page `programmes:evaluation_slips`), handed out in person.
Voting itself is the public web page; there is no token API for casting a ballot."""

from enum import Enum
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from civicgrid.core import capabilities
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, NotFound
from civicgrid.core.inputs import MAX_ID
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, paginate
from civicgrid.core.rest import (
    READ_ERRORS,
    WRITE_ERRORS,
    AreaRef,
    ErrorOut,
    action_bodies,
    action_request_body,
    make_etag,
    run_json_action,
)

from .. import evaluation_print
from ..actions.evaluations import (
    EVALUATION_FRAME,
    add_subject,
    create_evaluation,
    issue_codes,
    record_paper_ballots,
    remove_subject,
)
from ..choices import EvaluationStatus, Mark
from ..models import Evaluation, EvaluationSubject, EvaluationVoter
from ..workflow import EVALUATION_MACHINE

router = Router(tags=["programmes"])
VIEW = "programmes.view"
MISSING = "测评不存在或不在你的管辖范围内"
PDF_ERRORS: dict[Any, Any] = {frozenset({400, 401, 403, 404, 409, 429}): ErrorOut}


class SessionRef(Schema):
    id: int
    title: str


class SubjectOut(Schema):
    id: int
    name: str
    unit: int | None = Field(description="对应单位 id（科室为空）")
    order: int


class ResultSubjectOut(Schema):
    id: int
    name: str
    good: int
    fair: int
    poor: int
    unknown: int
    rate: float | None = Field(description="满意率 =（满意+基本满意）÷（满意+基本满意+不满意）；无人了解为空")
    passed: bool


class EvaluationResultOut(Schema):
    ballots: int
    voters: int
    turnout: float | None
    pass_percent: int
    subjects: list[ResultSubjectOut] = Field(description="按满意率排序")


class EvaluationOut(Schema):
    id: int
    title: str
    session: SessionRef
    street: AreaRef
    status: EvaluationStatus
    status_label: str
    ballots: int = Field(description="收回票数（网上与纸质）")
    voters: int = Field(description="应参加测评人数（已发测评码）")
    voted: int = Field(description="已使用的测评码数（不含纸质票）")
    version: int


class EvaluationPage(PageOut):
    results: list[EvaluationOut]


class EvaluationDetailOut(EvaluationOut):
    subjects: list[SubjectOut]
    result: EvaluationResultOut | None = Field(description="计票结果（结束测评后）")
    actions: list[str] = Field(description="调用者现在可以执行的操作")


class SubjectIn(Schema):
    name: str = Field(max_length=100)
    unit: int | None = Field(None, ge=1, le=MAX_ID, description="对应单位 id")


class EvaluationIn(Schema):
    session: int = Field(ge=1, le=MAX_ID, description="代表会议 id")
    title: str = Field(max_length=120)
    subjects: list[SubjectIn] = Field(default_factory=list, max_length=40)


class CodesIn(Schema):
    representatives: list[int] | None = Field(
        None, max_length=2000, description="代表 id；不填则为街道全部在任代表"
    )


class CodesOut(Schema):
    issued: int = Field(description="本次新发测评码数（已有的不重发）")
    voters: int = Field(description="应参加测评人数")


class PaperIn(Schema):
    ballots: int = Field(ge=1, le=10_000, description="本批收回的纸质票数")
    counts: dict[str, dict[Mark, int]] = Field(
        description="测评对象 id → {评价: 票数}；每个对象的票数之和须等于 ballots"
    )


def _evaluations(user: Any) -> QuerySet[Evaluation]:
    if not capabilities.may(user, VIEW):
        raise Forbidden("你的角色不能查看民主测评")
    voters = EvaluationVoter.objects.restrict(user, Action.VIEW)
    return (
        Evaluation.objects.restrict(user, Action.VIEW)
        .select_related("session", "street")
        .annotate(
            voter_count=Count("voters", filter=Q(voters__in=voters), distinct=True),
            voted_count=Count("voters", filter=Q(voters__in=voters, voters__voted=True), distinct=True),
        )
        .order_by("-session__held_on", "-id")
    )


def _evaluation(user: Any, evaluation_id: int) -> Evaluation:
    found = _evaluations(user).filter(pk=evaluation_id).first() if 0 < evaluation_id <= MAX_ID else None
    if found is None:
        raise NotFound(MISSING)
    return found


def _subjects(user: Any, evaluation: Evaluation) -> QuerySet[EvaluationSubject]:
    return (
        EvaluationSubject.objects.restrict(user, Action.VIEW)
        .filter(evaluation=evaluation)
        .order_by("order", "id")
    )


def evaluation_out(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "id": evaluation.pk,
        "title": evaluation.title,
        "session": {"id": evaluation.session_id, "title": evaluation.session.title},
        "street": {"code": evaluation.street.code, "name": evaluation.street.name},
        "status": evaluation.status,
        "status_label": evaluation.get_status_display(),
        "ballots": evaluation.ballots,
        "voters": evaluation.voter_count,  # type: ignore[attr-defined]
        "voted": evaluation.voted_count,  # type: ignore[attr-defined]
        "version": evaluation.version,
    }


def subject_out(subject: EvaluationSubject) -> dict[str, Any]:
    return {"id": subject.pk, "name": subject.name, "unit": subject.unit_id, "order": subject.order}


def detail_out(user: Any, evaluation: Evaluation) -> dict[str, Any]:
    counted = evaluation.status in evaluation_print.COUNTED
    return {
        **evaluation_out(evaluation),
        "subjects": [subject_out(s) for s in _subjects(user, evaluation)],
        "result": evaluation.result if counted else None,
        "actions": EVALUATION_MACHINE.allowed_actions(evaluation, user),
    }


def _etag(user: Any, evaluation: Evaluation) -> str:
    # The ballots change the body without a new version: they are part of the tag.
    return make_etag(evaluation, evaluation.ballots, evaluation.voted_count, user.pk)  # type: ignore[attr-defined]


@router.get(
    "/evaluations",
    response={200: EvaluationPage, **READ_ERRORS},
    summary="民主测评",
    operation_id="programmes_list_evaluations",
)
def list_evaluations(
    request: Any, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    return paginate(_evaluations(request.auth), page, page_size, evaluation_out)


@router.post(
    "/evaluations",
    response={201: EvaluationDetailOut, **WRITE_ERRORS},
    summary="组织民主测评（草稿，含测评对象）",
    operation_id="programmes_create_evaluation",
)
def post_evaluation(request: Any, body: EvaluationIn) -> Status[dict[str, Any]]:
    """A draft evaluation at a session of the caller's street; 403 unless the caller is the
    street's desk, 400 naming `session`, `title`, `name` or `unit`."""
    user = request.auth
    with acting_as(user, "api"):
        made = create_evaluation(
            user,
            session=body.session,
            title=body.title,
            subjects=[{"name": s.name, "unit": s.unit} for s in body.subjects],
        )
    return Status(201, detail_out(user, _evaluation(user, made.pk)))


@router.get(
    "/evaluations/{evaluation_id}",
    response={200: EvaluationDetailOut, **READ_ERRORS},
    summary="民主测评详情（结束后含计票结果）",
    operation_id="programmes_get_evaluation",
)
def get_evaluation(request: Any, response: HttpResponse, evaluation_id: int) -> dict[str, Any]:
    user = request.auth
    evaluation = _evaluation(user, evaluation_id)
    response["ETag"] = _etag(user, evaluation)
    return detail_out(user, evaluation)


ACTION_BODIES = action_bodies(
    EVALUATION_FRAME, "Evaluation", "你读到的测评版本（If-Match 亦可）；已过期则 409"
)
EvaluationActionName = Enum("EvaluationActionName", {a.upper(): a for a in ACTION_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/evaluations/{evaluation_id}/actions/{action}",
    response={200: EvaluationDetailOut, **WRITE_ERRORS},
    summary="民主测评的一个步骤（开始、结束并计票、公布）",
    operation_id="programmes_evaluation_action",
    openapi_extra=action_request_body(ACTION_BODIES, {"version": 1, "note": "代表大会现场测评"}),
)
def evaluation_action(
    request: Any, response: HttpResponse, evaluation_id: int, action: EvaluationActionName
) -> dict[str, Any]:
    """`open` needs subjects and voters; `close` computes the tally into `result`. 409 for a
    stale version or a step not allowed now, 412 for a stale `If-Match`."""
    user = request.auth
    current = _evaluation(user, evaluation_id)
    run_json_action(
        request, EVALUATION_FRAME, current.pk, action.value, lambda: current, lambda e: _etag(user, e)
    )
    after = _evaluation(user, evaluation_id)
    response["ETag"] = _etag(user, after)
    return detail_out(user, after)


@router.get(
    "/evaluations/{evaluation_id}/subjects",
    response={200: list[SubjectOut], **READ_ERRORS},
    summary="测评对象",
    operation_id="programmes_list_evaluation_subjects",
)
def list_subjects(request: Any, evaluation_id: int) -> list[dict[str, Any]]:
    user = request.auth
    return [subject_out(s) for s in _subjects(user, _evaluation(user, evaluation_id))]


@router.post(
    "/evaluations/{evaluation_id}/subjects",
    response={201: SubjectOut, **WRITE_ERRORS},
    summary="添加测评对象（草稿时）",
    operation_id="programmes_add_evaluation_subject",
)
def post_subject(request: Any, evaluation_id: int, body: SubjectIn) -> Status[dict[str, Any]]:
    user = request.auth
    evaluation = _evaluation(user, evaluation_id)
    with acting_as(user, "api"):
        subject = add_subject(user, evaluation, name=body.name, unit=body.unit)
    return Status(201, subject_out(subject))


@router.delete(
    "/evaluations/subjects/{subject_id}",
    response={204: None, **WRITE_ERRORS},
    summary="移除测评对象（草稿时）",
    operation_id="programmes_remove_evaluation_subject",
)
def delete_subject(request: Any, subject_id: int) -> Status[None]:
    user = request.auth
    if not capabilities.may(user, VIEW):
        raise Forbidden("你的角色不能查看民主测评")
    rows = EvaluationSubject.objects.restrict(user, Action.VIEW)
    subject = rows.filter(pk=subject_id).first() if 0 < subject_id <= MAX_ID else None
    if subject is None:
        raise NotFound("测评对象不存在或不在你的管辖范围内")
    evaluation = _evaluation(user, subject.evaluation_id)
    with acting_as(user, "api"):
        remove_subject(user, evaluation, subject)
    return Status(204, None)


@router.post(
    "/evaluations/{evaluation_id}/codes",
    response={200: CodesOut, **WRITE_ERRORS},
    summary="为代表生成测评码（只返回数量；测评码打印在测评码条上）",
    operation_id="programmes_issue_evaluation_codes",
)
def post_codes(request: Any, evaluation_id: int, body: CodesIn) -> dict[str, Any]:
    """Voters for the given representatives (default: every active one of the street), while
    the evaluation is a draft or open; those who have a code already are skipped."""
    user = request.auth
    evaluation = _evaluation(user, evaluation_id)
    with acting_as(user, "api"):
        issued = issue_codes(user, evaluation, body.representatives)
    return {"issued": issued, "voters": _evaluation(user, evaluation_id).voter_count}  # type: ignore[attr-defined]


@router.post(
    "/evaluations/{evaluation_id}/paper-ballots",
    response={200: EvaluationDetailOut, **WRITE_ERRORS},
    summary="录入一批纸质票的计票结果",
    operation_id="programmes_record_paper_ballots",
)
def post_paper_ballots(request: Any, evaluation_id: int, body: PaperIn) -> dict[str, Any]:
    """The tellers' count while the evaluation is open; 400 naming `subject_<id>` whose marks
    do not add up to `ballots`, or `ballots` when the ballots would exceed the voters."""
    user = request.auth
    evaluation = _evaluation(user, evaluation_id)
    counts = {key: {mark.value: n for mark, n in marks.items()} for key, marks in body.counts.items()}
    with acting_as(user, "api"):
        record_paper_ballots(user, evaluation, ballots=body.ballots, counts=counts)
    return detail_out(user, _evaluation(user, evaluation_id))


@router.get(
    "/evaluations/{evaluation_id}/result.pdf",
    response={200: None, **PDF_ERRORS},
    summary="民主测评结果（PDF，结束测评后）",
    operation_id="programmes_evaluation_result_pdf",
)
def result_pdf(request: Any, evaluation_id: int) -> HttpResponse:
    evaluation = _evaluation(request.auth, evaluation_id)
    response = HttpResponse(evaluation_print.result_pdf(evaluation), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="evaluation-{evaluation.pk}-result.pdf"'
    return response
