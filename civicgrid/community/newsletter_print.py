"""An issue of the street's newsletter as readers get it: the printed PDF (A4 or A3, two or
three columns, the masthead, each included article with its heading, photos embedded and
figures as a small table; Noto CJK through core.pdf) and the same articles for the web page.
Photos travel inside the document as `data:` URIs (their thumbnails), so the PDF and the public
page need no file URL a reader could follow. Printing writes nothing."""

import base64
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from civicgrid.core import pdf
from civicgrid.core.models import Attachment

from .models import Article, Newsletter
from .newsletter_sources import number, percent

# The figures printed under an article (others stay in the JSON): key → label.
FIGURE_LABELS: dict[str, Any] = {
    "closed": _("办结工单（件）"),
    "satisfaction_rate": _("满意率"),
    "on_time_rate": _("按时办结率"),
    "projects": _("实事项目（项）"),
    "done": _("已完成（项）"),
    "progress": _("平均进度（%）"),
    "targets_reached": _("指标达标（项）"),
    "committees": _("完成换届（个）"),
    "turnout": _("参选率"),
    "members": _("当选成员（名）"),
    "held": _("举办活动（场）"),
    "sign_ups": _("报名（人次）"),
    "attendance": _("实到（人次）"),
    "hours": _("服务时长（小时）"),
    "volunteers": _("参与志愿者（名）"),
    "confirmed": _("认领确认（项）"),
    "delivered": _("完成交付（项）"),
    "units": _("参与单位（家）"),
    "appointments": _("预约办结（件）"),
    "mean_wait_minutes": _("平均等候（分钟）"),
    "home_services": _("上门办结（件）"),
}
RATES = {"satisfaction_rate", "on_time_rate", "turnout"}


@dataclass
class Shown:
    article: Article
    paragraphs: list[str]
    photos: list[str] = field(default_factory=list)  # data: URIs
    figures: list[tuple[Any, str]] = field(default_factory=list)


def _figures(values: dict[str, Any]) -> list[tuple[Any, str]]:
    out = []
    for key, label in FIGURE_LABELS.items():
        value = values.get(key)
        if value is None or isinstance(value, (list, dict)):
            continue
        out.append((label, percent(value) if key in RATES else number(value)))
    return out


def _uri(attachment: Attachment) -> str | None:
    stored = attachment.thumbnail or attachment.file
    try:
        with stored.open("rb") as handle:
            data = handle.read()
    except (OSError, ValueError):  # a file gone from storage prints no photo
        return None
    kind = "image/jpeg" if attachment.thumbnail else attachment.media_type
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def shown(newsletter: Newsletter, articles: list[Article]) -> list[Shown]:
    """The articles as printed, with their photos (attachments of the issue's street only)."""
    ids = [pk for a in articles for pk in a.photos]
    photos = {
        p.pk: p
        # Ids the editor chose among rows they could see, and of the street only.
        for p in Attachment.objects.filter(
            pk__in=ids, street_id=newsletter.street_id, media_type__startswith="image/"
        )
    }
    out = []
    for article in articles:
        uris = [u for pk in article.photos if pk in photos and (u := _uri(photos[pk]))]
        out.append(
            Shown(
                article=article,
                paragraphs=[p.strip() for p in article.body.split("\n") if p.strip()],
                photos=uris,
                figures=_figures(article.figures),
            )
        )
    return out


def included(newsletter: Newsletter) -> list[Article]:
    return list(newsletter.articles.filter(included=True).order_by("order", "pk"))


def render_pdf(newsletter: Newsletter) -> bytes:
    """The issue's PDF: the included articles in order."""
    return pdf.render(
        "community/print/newsletter.html",
        {
            "issue": newsletter,
            "street": newsletter.street,
            "articles": shown(newsletter, included(newsletter)),
        },
    )
