"""The street's newsletter (社区报, as each seed is: 《平凉之窗》…): an issue for a period, composed
from what the platform holds — closed cases, practical projects, election results, activities
and volunteers' hours, welfare claims — as editable article drafts with their figures filled
in, plus free articles; printed as a multi-column A4/A3 PDF and shown as a web page. Nothing
personal is printed: publishing refuses an article with a phone or ID number in it."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AuditedModel
from civicgrid.geo.models import Area

from ..choices import ArticleSource, NewsletterStatus, PaperSize
from ..querysets import NewsletterPartQuerySet, NewsletterQuerySet


class Newsletter(AuditedModel):
    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    masthead = models.CharField(_("报头"), max_length=40)
    year = models.PositiveSmallIntegerField(_("年度"))
    number = models.PositiveSmallIntegerField(_("期号"))
    period_start = models.DateField(_("内容起始日期"))
    period_end = models.DateField(_("内容截止日期"))
    paper = models.CharField(_("纸张"), max_length=2, choices=PaperSize.choices, default=PaperSize.A4)
    columns = models.PositiveSmallIntegerField(
        _("栏数"), default=2, validators=[MinValueValidator(2), MaxValueValidator(3)]
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=NewsletterStatus.choices, default=NewsletterStatus.DRAFT
    )
    published_on = models.DateField(_("出版日期"), null=True, blank=True)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("编辑"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)

    objects = NewsletterQuerySet.as_manager()

    class Meta:
        verbose_name = _("社区报")
        verbose_name_plural = _("社区报")
        ordering = ["-year", "-number", "id"]
        constraints = [
            models.UniqueConstraint(fields=["street", "year", "number"], name="community_newsletter_number"),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="community_newsletter_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.masthead} {self.year}-{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("community:newsletter", args=[self.pk])


class Article(AuditedModel):
    """An article of an issue. A drafted article keeps where it came from (`source`, `refs`:
    the ids of the rows it was drafted from) and the `figures` filled in; the editor may rewrite
    `title` and `body` freely. `photos`: ids of core attachments (a case's before/after photos)
    printed with it, taken only from rows the editor may see; a drafted article's candidates
    are `refs["photos"]`. `edited`: the editor changed it, so composing again keeps it."""

    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="articles")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    source = models.CharField(
        _("来源"), max_length=12, choices=ArticleSource.choices, default=ArticleSource.FREE
    )
    title = models.CharField(_("标题"), max_length=80)
    body = models.TextField(_("正文"))
    figures = models.JSONField(_("数据"), default=dict, blank=True)
    refs = models.JSONField(default=dict, blank=True)
    photos = models.JSONField(default=list, blank=True)
    included = models.BooleanField(_("刊用"), default=True)
    edited = models.BooleanField(_("已修改"), default=False)

    objects = NewsletterPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("稿件")
        verbose_name_plural = _("稿件")
        ordering = ["newsletter_id", "order", "id"]

    def __str__(self) -> str:
        return self.title
