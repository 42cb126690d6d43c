"""The street's newsletter under /api/v1/community/: the issues (list with the filters of the
issues page, create a draft, one with its articles and the actions the caller may take), the
steps of its machine (compose, publish, withdraw, reopen), its articles (add a free one, edit,
delete a free one) and its PDF. Residents read their street's published issues (restrict())."""

from datetime import date
from enum import Enum
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from civicgrid.core import capabilities
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, InvalidInput, NotFound
from civicgrid.core.inputs import MAX_ID
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, paginate
from civicgrid.core.rest import (
    READ_ERRORS,
    WRITE_ERRORS,
    AreaRef,
    action_bodies,
    action_endpoint,
    action_request_body,
    make_etag,
)
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.programmes.filters import api_params, filtered

from ..actions import newsletter as actions
from ..actions.frames import NEWSLETTER_FRAME
from ..choices import ArticleSource, NewsletterStatus, PaperSize
from ..filters.newsletter import NewsletterFilterSet
from ..models import Article, Newsletter
from ..newsletter_print import included, render_pdf
from ..workflow import NEWSLETTER_MACHINE

router = Router(tags=["community"])
VIEW = "community.view"


class ArticleOut(Schema):
    id: int
    order: int
    source: ArticleSource
    title: str
    body: str
    figures: dict[str, Any]
    refs: dict[str, Any] = Field(description="生成稿件所依据的数据 id；photos 为可选照片")
    photos: list[int] = Field(description="刊用的照片（附件 id）")
    included: bool
    edited: bool


class NewsletterOut(Schema):
    id: int
    street: AreaRef
    masthead: str
    year: int
    number: int
    period_start: date
    period_end: date
    paper: PaperSize
    columns: int
    status: NewsletterStatus
    status_label: str
    published_on: date | None
    version: int


class NewsletterPage(PageOut):
    results: list[NewsletterOut]


class NewsletterDetailOut(NewsletterOut):
    articles: list[ArticleOut] = Field(description="编辑看到全部稿件，其他读者只看到刊用的")
    actions: list[str] = Field(description="调用者现在可以执行的操作")


class NewsletterIn(Schema):
    street: str = Field(description="街道编码")
    year: int = Field(ge=2000, le=2100)
    number: int | None = Field(None, ge=1, le=999, description="留空为下一期")
    period_start: date
    period_end: date
    paper: PaperSize = PaperSize.A4
    columns: int = Field(2, ge=2, le=3)
    masthead: str = Field("", max_length=40, description="留空沿用上一期，首期为“<街道>社区报”")


class NewsletterFilters(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    street: str | None = Field(None, max_length=32, description="街道编码")
    status: NewsletterStatus | None = None


class ArticleIn(Schema):
    title: str = Field(max_length=80)
    body: str = Field(max_length=20000)
    order: int | None = Field(None, ge=0, le=999)
    included: bool = True


class ArticlePatch(Schema):
    version: int | None = Field(None, description="你读到的社区报版本；已过期则 409")
    title: str | None = Field(None, max_length=80)
    body: str | None = Field(None, max_length=20000)
    order: int | None = Field(None, ge=0, le=999)
    included: bool | None = None
    photos: list[int] | None = Field(
        None, max_length=6, description="附件 id（图片，须在调用者的管辖范围内）"
    )


def _issues(user: Any) -> QuerySet[Newsletter]:
    if not capabilities.may(user, VIEW):
        raise Forbidden("你的角色不能查看社区报")
    return (
        Newsletter.objects.restrict(user, Action.VIEW)
        .select_related("street")
        .order_by("-year", "-number", "-pk")
    )


def _issue(user: Any, newsletter_id: int) -> Newsletter:
    found = _issues(user).filter(pk=newsletter_id).first() if 0 < newsletter_id <= MAX_ID else None
    if found is None:
        raise NotFound("社区报不存在或不在你的管辖范围内")
    return found


def _article(user: Any, article_id: int) -> Article:
    rows = Article.objects.restrict(user, Action.VIEW)
    found = rows.filter(pk=article_id).first() if 0 < article_id <= MAX_ID else None
    if found is None:
        raise NotFound("稿件不存在或不在你的管辖范围内")
    return found


def article_out(article: Article) -> dict[str, Any]:
    return {
        "id": article.pk,
        "order": article.order,
        "source": article.source,
        "title": article.title,
        "body": article.body,
        "figures": article.figures,
        "refs": article.refs,
        "photos": article.photos,
        "included": article.included,
        "edited": article.edited,
    }


def newsletter_out(issue: Newsletter, user: Any = None) -> dict[str, Any]:
    out = {
        "id": issue.pk,
        "street": {"code": issue.street.code, "name": issue.street.name},
        "masthead": issue.masthead,
        "year": issue.year,
        "number": issue.number,
        "period_start": issue.period_start,
        "period_end": issue.period_end,
        "paper": issue.paper,
        "columns": issue.columns,
        "status": issue.status,
        "status_label": issue.get_status_display(),  # type: ignore[attr-defined]
        "published_on": issue.published_on,
        "version": issue.version,
    }
    if user is not None:
        editor = capabilities.may(user, actions.NEWSLETTER)
        rows = issue.articles.order_by("order", "pk") if editor else included(issue)
        out["articles"] = [article_out(a) for a in rows]
        out["actions"] = NEWSLETTER_MACHINE.allowed_actions(issue, user)
    return out


def _etag(issue: Newsletter, user: Any) -> str:
    return make_etag(issue, user.pk)


@router.get(
    "/newsletters",
    response={200: NewsletterPage, **READ_ERRORS},
    summary="社区报",
    operation_id="community_list_newsletters",
)
def list_newsletters(
    request: Any,
    filters_: Query[NewsletterFilters],
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The issues the caller may read (a resident: their street's published ones)."""
    qs = filtered(NewsletterFilterSet, api_params(filters_), _issues(request.auth), request.auth)
    return paginate(qs, page, page_size, newsletter_out)


@router.post(
    "/newsletters",
    response={201: NewsletterDetailOut, **WRITE_ERRORS},
    summary="新建一期社区报（草拟）",
    operation_id="community_create_newsletter",
)
def post_newsletter(request: Any, body: NewsletterIn) -> Status[dict[str, Any]]:
    user = request.auth
    street = Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.STREET, code=body.street).first()
    if street is None:
        raise InvalidInput(f"编码“{body.street}”不存在或不在你的管辖范围内", {"street": "unknown"})
    with acting_as(user, "api"):
        made = actions.create_newsletter(
            user,
            street=street,
            year=body.year,
            number=body.number,
            period_start=body.period_start,
            period_end=body.period_end,
            paper=body.paper.value,
            columns=body.columns,
            masthead=body.masthead,
        )
    return Status(201, newsletter_out(_issue(user, made.pk), user))


@router.get(
    "/newsletters/{newsletter_id}",
    response={200: NewsletterDetailOut, **READ_ERRORS},
    summary="社区报详情（稿件）",
    operation_id="community_get_newsletter",
)
def get_newsletter(request: Any, response: HttpResponse, newsletter_id: int) -> dict[str, Any]:
    issue = _issue(request.auth, newsletter_id)
    response["ETag"] = _etag(issue, request.auth)
    return newsletter_out(issue, request.auth)


NEWSLETTER_BODIES = action_bodies(
    NEWSLETTER_FRAME, "Newsletter", "你读到的社区报版本（If-Match 亦可）；已过期则 409"
)
NewsletterActionName = Enum("NewsletterActionName", {a.upper(): a for a in NEWSLETTER_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/newsletters/{newsletter_id}/actions/{action}",
    response={200: NewsletterDetailOut, **WRITE_ERRORS},
    summary="办理社区报（生成稿件、出版、撤回、重新编辑）",
    operation_id="community_newsletter_action",
    openapi_extra=action_request_body(NEWSLETTER_BODIES, {"version": 1}),
)
def newsletter_action(
    request: Any, response: HttpResponse, newsletter_id: int, action: NewsletterActionName
) -> dict[str, Any]:
    """Runs `action` with the JSON object in the body as its parameters: publishing an issue
    with a phone or ID number in an included article is a 400 naming `articles` (the message
    names the article); 409 for a stale version or a step not allowed now."""
    user = request.auth
    after = action_endpoint(
        request,
        response,
        NEWSLETTER_FRAME,
        action.value,
        lambda: _issue(user, newsletter_id),
        lambda i: _etag(i, user),
    )
    return newsletter_out(after, user)


@router.post(
    "/newsletters/{newsletter_id}/articles",
    response={201: ArticleOut, **WRITE_ERRORS},
    summary="增加稿件（卷首语、通知…）",
    operation_id="community_add_article",
)
def post_article(request: Any, newsletter_id: int, body: ArticleIn) -> Status[dict[str, Any]]:
    user = request.auth
    issue = _issue(user, newsletter_id)
    with acting_as(user, "api"):
        made = actions.add_article(
            user, issue, title=body.title, body=body.body, order=body.order, included=body.included
        )
    return Status(201, article_out(made))


@router.patch(
    "/newsletters/articles/{article_id}",
    response={200: ArticleOut, **WRITE_ERRORS},
    summary="修改稿件",
    operation_id="community_edit_article",
)
def patch_article(request: Any, article_id: int, body: ArticlePatch) -> dict[str, Any]:
    user = request.auth
    article = _article(user, article_id)
    changes = {
        k: v for k, v in body.model_dump(exclude_unset=True, exclude={"version"}).items() if v is not None
    }
    with acting_as(user, "api"):
        done = actions.edit_article(user, article, version=body.version, **changes)
    return article_out(done)


@router.delete(
    "/newsletters/articles/{article_id}",
    response={204: None, **WRITE_ERRORS},
    summary="删除稿件（只限自由稿件；生成的稿件请取消刊用）",
    operation_id="community_delete_article",
)
def delete_article(request: Any, article_id: int) -> Status[None]:
    user = request.auth
    article = _article(user, article_id)
    with acting_as(user, "api"):
        actions.delete_article(user, article)
    return Status(204, None)


@router.get(
    "/newsletters/{newsletter_id}/newsletter.pdf",
    response={200: None, **READ_ERRORS},
    summary="社区报 PDF",
    operation_id="community_newsletter_pdf",
)
def newsletter_pdf(request: Any, newsletter_id: int) -> HttpResponse:
    issue = _issue(request.auth, newsletter_id)
    if not included(issue):
        raise NotFound("本期还没有刊用的稿件")
    response = HttpResponse(render_pdf(issue), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="newsletter-{issue.year}-{issue.number}.pdf"'
    return response
