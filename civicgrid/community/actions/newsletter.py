"""The street's newsletter (社区报): an issue is created as a draft for a period, its articles
drafted from the platform's data (COMPOSE, newsletter_sources.py) and written by the editor
(add, edit, delete), then published — refused while an included article holds a phone or ID
number —, withdrawn and reopened. Every article write locks the issue's row, happens only while
the issue is a draft and bumps its version (the page's and the API's ETag); each call is one
transaction with its event (core.events) and audit rows."""

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from civicgrid.core import capabilities, clock, events
from civicgrid.core.choices import Action
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from civicgrid.core.frame import FilesContext
from civicgrid.core.inputs import as_id, clean_text
from civicgrid.core.models import Attachment
from civicgrid.core.redact import has_personal_data
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from ..choices import ArticleSource, NewsletterAction, NewsletterStatus, PaperSize
from ..models import Article, Newsletter
from ..newsletter_sources import drafts
from .frames import NEWSLETTER_FRAME

NEWSLETTER = "community.newsletter"
CREATE, ADD_ARTICLE, EDIT_ARTICLE, DELETE_ARTICLE = "create", "add_article", "edit_article", "delete_article"
MAX_PHOTOS = 6
ORDER_STEP = 10


def _may_write(actor: Any) -> None:
    if not capabilities.may(actor, NEWSLETTER):
        raise Forbidden(_("你的角色不能编辑社区报"))


def _order(value: Any) -> int:
    number = as_id(str(value)) if str(value).strip() != "0" else 0
    if number is None or number > 999:
        raise InvalidInput(_("顺序须为 0–999 的整数"), {"order": "invalid"})
    return number


# ---------------------------------------------------------------------------- issues


def next_number(street: Area, year: int) -> int:
    last = Newsletter.objects.filter(street=street, year=year).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def default_masthead(street: Area) -> str:
    """The street's previous issue's masthead, else "<street>社区报"."""
    previous = Newsletter.objects.filter(street=street).order_by("-year", "-number", "-pk").first()
    return previous.masthead if previous else _("%(street)s社区报") % {"street": street.name}


def create_newsletter(
    actor: Any,
    *,
    street: Any,
    year: int,
    period_start: date,
    period_end: date,
    number: int | None = None,
    paper: str = PaperSize.A4,
    columns: int = 2,
    masthead: str = "",
) -> Newsletter:
    """A draft issue of `street` (one the actor works in) for the period; `number` the next
    free one of the year unless given."""
    _may_write(actor)
    pk = street.pk if isinstance(street, Area) else as_id(str(street))
    home = (
        Area.objects.restrict(actor, Action.VIEW).filter(pk=pk, kind=AreaKind.STREET).first() if pk else None
    )
    if home is None:
        raise InvalidInput(_("街道不存在或不在你的管辖范围内"), {"street": "not_found"})
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInput(_("年度不正确"), {"year": "invalid"})
    if not isinstance(period_start, date) or not isinstance(period_end, date):
        raise InvalidInput(_("请填写内容起止日期"), {"period_start": "required"})
    if period_end < period_start:
        raise InvalidInput(_("截止日期不能早于起始日期"), {"period_end": "before_start"})
    if paper not in PaperSize.values:
        raise InvalidInput(_("纸张不正确"), {"paper": "invalid"})
    if columns not in (2, 3):
        raise InvalidInput(_("栏数须为 2 或 3"), {"columns": "invalid"})
    title = clean_text(masthead, "masthead", _("报头"), 40, required=False)
    with transaction.atomic():
        # The street's row orders concurrent creations, so "the next free number" is free.
        Area.objects.select_for_update().filter(pk=home.pk).exists()
        if number is None:
            number = next_number(home, year)
        elif not isinstance(number, int) or not 1 <= number <= 999:
            raise InvalidInput(_("期号须为 1–999"), {"number": "invalid"})
        elif Newsletter.objects.filter(street=home, year=year, number=number).exists():
            raise InvalidInput(
                _("%(year)d年第%(n)d期已存在") % {"year": year, "n": number}, {"number": "taken"}
            )
        made = Newsletter.objects.create(
            street=home,
            year=year,
            number=number,
            period_start=period_start,
            period_end=period_end,
            paper=paper,
            columns=columns,
            masthead=title or default_masthead(home),
            editor=actor,
        )
        events.log(made, CREATE, actor, payload={"year": year, "number": number})
    return made


def _draft(actor: Any, newsletter: Any) -> Newsletter:
    """The issue, locked, if the actor may edit it and it is a draft."""
    _may_write(actor)
    pk = newsletter.pk if isinstance(newsletter, Newsletter) else as_id(str(newsletter))
    if pk is None or not Newsletter.objects.restrict(actor, Action.VIEW).filter(pk=pk).exists():
        raise NotFound(_("社区报不存在或不在你的管辖范围内"))
    row = Newsletter.objects.select_for_update().get(pk=pk)
    if row.status != NewsletterStatus.DRAFT:
        raise Conflict(_("社区报%(status)s，不能修改稿件") % {"status": row.get_status_display()})  # type: ignore[attr-defined]
    return row


def _bump(newsletter: Newsletter) -> None:
    """An article changed: the issue's version moves with it (its ETag and forms go stale)."""
    Newsletter.objects.filter(pk=newsletter.pk).update(version=F("version") + 1, updated_at=clock.now())
    newsletter.version += 1


def _version(newsletter: Newsletter, version: Any) -> None:
    if version not in (None, "") and str(version) != str(newsletter.version):
        raise Conflict(
            _("社区报已被他人更新（当前版本 %(now)s），请刷新后重试") % {"now": newsletter.version}
        )


# ---------------------------------------------------------------------------- articles


def add_article(
    actor: Any, newsletter: Any, *, title: str, body: str, order: Any = None, included: bool = True
) -> Article:
    """A free article (卷首语, 通知…); last unless `order` is given."""
    title = clean_text(title, "title", _("标题"), 80)
    body = clean_text(body, "body", _("正文"), 20000)
    with transaction.atomic():
        row = _draft(actor, newsletter)
        if order in (None, ""):
            last = row.articles.aggregate(n=Max("order"))["n"]
            order = (last or 0) + ORDER_STEP
        made = Article.objects.create(
            newsletter=row,
            street_id=row.street_id,
            title=title,
            body=body,
            order=_order(order),
            included=bool(included),
            source=ArticleSource.FREE,
        )
        _bump(row)
        events.log(row, ADD_ARTICLE, actor, payload={"article": made.pk})
    return made


def _article(actor: Any, article: Any) -> tuple[Article, Newsletter]:
    _may_write(actor)
    pk = article.pk if isinstance(article, Article) else as_id(str(article))
    rows = Article.objects.restrict(actor, Action.VIEW)
    newsletter_id = rows.filter(pk=pk).values_list("newsletter_id", flat=True).first() if pk else None
    if pk is None or newsletter_id is None:
        raise NotFound(_("稿件不存在或不在你的管辖范围内"))
    issue = _draft(actor, newsletter_id)
    return Article.objects.select_for_update().get(pk=pk), issue


def _photos(actor: Any, value: Any) -> list[int]:
    """Attachment ids the actor may see, images only."""
    if not isinstance(value, (list, tuple)):
        raise InvalidInput(_("照片须为列表"), {"photos": "invalid"})
    ids = []
    for item in value:
        pk = as_id(str(item))
        if pk is None:
            raise InvalidInput(_("照片不正确"), {"photos": "invalid"})
        if pk not in ids:
            ids.append(pk)
    if len(ids) > MAX_PHOTOS:
        raise InvalidInput(_("每篇稿件最多 %(n)d 张照片") % {"n": MAX_PHOTOS}, {"photos": "too_many"})
    found = set(
        Attachment.objects.restrict(actor, Action.VIEW)
        .filter(pk__in=ids, media_type__startswith="image/")
        .values_list("pk", flat=True)
    )
    if set(ids) - found:
        raise InvalidInput(_("照片不存在、不是图片或不在你的管辖范围内"), {"photos": "not_found"})
    return ids


def edit_article(actor: Any, article: Any, *, version: Any = None, **changes: Any) -> Article:
    """Change an article's title, body, included, order or photos. `version` is the issue's."""
    allowed = {"title", "body", "included", "order", "photos"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(_("不能修改的字段"), dict.fromkeys(sorted(unknown), "unknown"))
    values: dict[str, Any] = {}
    if "title" in changes:
        values["title"] = clean_text(changes["title"], "title", _("标题"), 80)
    if "body" in changes:
        values["body"] = clean_text(changes["body"], "body", _("正文"), 20000)
    if "included" in changes:
        values["included"] = bool(changes["included"])
    if "order" in changes:
        values["order"] = _order(changes["order"])
    if "photos" in changes:
        values["photos"] = _photos(actor, changes["photos"])
    with transaction.atomic():
        row, issue = _article(actor, article)
        _version(issue, version)
        changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
        for name, value in values.items():
            setattr(row, name, value)
        if changed:
            row.edited = True
            row.save()
            _bump(issue)
        events.log(issue, EDIT_ARTICLE, actor, payload={"article": row.pk, "changed": changed})
    return row


def delete_article(actor: Any, article: Any) -> None:
    """A free article goes; a drafted one is left out instead (included=False), so composing
    again does not bring it back."""
    with transaction.atomic():
        row, issue = _article(actor, article)
        if row.source != ArticleSource.FREE:
            raise Conflict(_("从平台数据生成的稿件不能删除，请取消“刊用”"))
        payload = {"article": row.pk, "title": row.title}
        row.delete()
        _bump(issue)
        events.log(issue, DELETE_ARTICLE, actor, payload=payload)


# ---------------------------------------------------------------------------- the machine


@NEWSLETTER_FRAME.implements(NewsletterAction.COMPOSE)
def compose(ctx: FilesContext) -> None:
    """One drafted article per source with something in the period: the drafts the editor has
    not touched are replaced, edited and free articles kept (a source whose article was
    edited drafts no second one)."""
    issue: Newsletter = ctx.obj
    made = drafts(issue, ctx.actor)
    kept = set(
        issue.articles.exclude(source=ArticleSource.FREE).filter(edited=True).values_list("source", flat=True)
    )
    replaced = issue.articles.exclude(source=ArticleSource.FREE).filter(edited=False).delete()[0]
    order = list(ArticleSource.values)
    new = [
        Article(
            newsletter=issue,
            street_id=issue.street_id,
            order=(order.index(d.source) + 1) * ORDER_STEP,
            source=d.source,
            title=d.title[:80],
            body=d.body,
            figures=d.figures,
            refs=d.refs,
            photos=d.photos,
        )
        for d in made
        if d.source not in kept
    ]
    Article.objects.bulk_create(new)
    ctx.payload.update(drafted=[a.source for a in new], replaced=replaced, kept=sorted(kept))


@NEWSLETTER_FRAME.implements(NewsletterAction.PUBLISH)
def publish(ctx: FilesContext, *, published_on: date | None = None) -> None:
    """Refused while an included article's title or body holds a phone or ID number (or a
    plate: core.redact finds all three; the article named); published on the day given, else
    today."""
    issue: Newsletter = ctx.obj
    for title, body in (
        issue.articles.filter(included=True).order_by("order", "pk").values_list("title", "body")
    ):
        if has_personal_data(title) or has_personal_data(body):
            raise InvalidInput(
                _("稿件“%(title)s”中有电话号码、身份证号或车牌号，请删除后再出版") % {"title": title},
                {"articles": "personal_data"},
            )
    ctx.set(published_on=published_on or clock.today())


@NEWSLETTER_FRAME.implements(NewsletterAction.WITHDRAW)
def withdraw(ctx: FilesContext, *, note: str) -> None:
    ctx.note = note


@NEWSLETTER_FRAME.implements(NewsletterAction.REOPEN)
def reopen(ctx: FilesContext, *, note: str = "") -> None:
    ctx.set(published_on=None)
    ctx.note = note
