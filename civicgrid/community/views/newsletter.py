"""The newsletter pages: the issues (list and a new issue), an issue — the web version, one
column on a phone; for its editors the actions (compose, publish, withdraw, reopen), an editor
per article (title, body, included, order, photos among its candidates), a free article and the
trail —, its PDF, and the public page of a published issue (no login) with its PDF. Thin: parse,
call one action, render; every query through restrict()."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicgrid.core import action_views, clock
from civicgrid.core.capabilities import may, require
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from ..actions import newsletter as actions
from ..actions.frames import NEWSLETTER_FRAME
from ..choices import ArticleSource, NewsletterStatus, PaperSize
from ..filters.newsletter import NewsletterFilterSet
from ..models import Article, Newsletter
from ..newsletter_print import included, render_pdf, shown
from ..workflow import NEWSLETTER_MACHINE

VIEW, EDIT = "community.view", actions.NEWSLETTER
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PAGE = 30
EVENT_LABELS = {
    actions.CREATE: gettext_lazy("新建一期"),
    actions.ADD_ARTICLE: gettext_lazy("增加稿件"),
    actions.EDIT_ARTICLE: gettext_lazy("修改稿件"),
    actions.DELETE_ARTICLE: gettext_lazy("删除稿件"),
}


class NewsletterForm(forms.Form):
    # lint: allow-unrestricted (empty until __init__ sets the reader's rows)
    street = forms.ModelChoiceField(label=gettext_lazy("街道"), queryset=Area.objects.none())
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    number = forms.IntegerField(
        label=gettext_lazy("期号"),
        min_value=1,
        max_value=999,
        required=False,
        help_text=gettext_lazy("留空为下一期"),
    )
    period_start = forms.DateField(label=gettext_lazy("内容起始日期"), widget=DATE)
    period_end = forms.DateField(label=gettext_lazy("内容截止日期"), widget=DATE)
    paper = forms.ChoiceField(label=gettext_lazy("纸张"), choices=PaperSize.choices)
    columns = forms.TypedChoiceField(
        label=gettext_lazy("栏数"), choices=[(2, "2"), (3, "3")], coerce=int, initial=2
    )
    masthead = forms.CharField(
        label=gettext_lazy("报头"), max_length=40, required=False, help_text=gettext_lazy("留空沿用上一期")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("year", clock.today().year)
        super().__init__(*args, **kwargs)
        streets = Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.STREET).order_by("code")
        self.fields["street"].queryset = streets  # type: ignore[attr-defined]
        if len(streets) == 1:
            self.fields["street"].initial = streets[0].pk


class ArticleForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("标题"), max_length=80)
    body = forms.CharField(
        label=gettext_lazy("正文"), widget=forms.Textarea(attrs={"rows": 8}), max_length=20000
    )
    order = forms.IntegerField(label=gettext_lazy("顺序"), min_value=0, max_value=999, required=False)
    included = forms.BooleanField(label=gettext_lazy("刊用"), required=False, initial=True)


class EditArticleForm(ArticleForm):
    photos = forms.TypedMultipleChoiceField(
        label=gettext_lazy("照片"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, article: Article, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        candidates = list(dict.fromkeys([*article.refs.get("photos", []), *article.photos]))
        photos: Any = self.fields["photos"]
        photos.choices = [(pk, _("照片 %(n)d") % {"n": i}) for i, pk in enumerate(candidates, 1)]
        self.candidates = candidates


def _issue(request: HttpRequest, newsletter_id: int) -> Newsletter:
    require(request.user, VIEW)
    rows = Newsletter.objects.restrict(request.user, Action.VIEW).select_related("street", "editor")
    return get_object_or_404(rows, pk=newsletter_id)


def _article(request: HttpRequest, article_id: int) -> Article:
    require(request.user, EDIT)
    rows = Article.objects.restrict(request.user, Action.VIEW).select_related("newsletter")
    return get_object_or_404(rows, pk=article_id)


def _history(issue: Newsletter) -> list[dict[str, Any]]:
    return action_views.timeline(issue, NEWSLETTER_MACHINE, EVENT_LABELS)


def _pdf(content: bytes, issue: Newsletter) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="newsletter-{issue.year}-{issue.number}.pdf"'
    return response


@login_required
def newsletters(request: HttpRequest) -> HttpResponse:
    require(request.user, VIEW)
    chosen = NewsletterFilterSet(
        request.GET, Newsletter.objects.restrict(request.user, Action.VIEW), user=request.user
    )
    rows = chosen.qs.select_related("street").order_by("-year", "-number", "-pk")
    page = Paginator(rows, PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "community/newsletter/list.html",
        {"page": page, "filter": chosen, "may_create": Newsletter.objects.allows(request.user, Action.ADD)},
    )


@login_required
def newsletter_new(request: HttpRequest) -> HttpResponse:
    if not Newsletter.objects.allows(request.user, Action.ADD):
        raise Http404
    form = NewsletterForm(request.POST or None, user=request.user)
    if request.method == "POST":
        made = action_views.submit(
            request,
            form,
            lambda d: actions.create_newsletter(
                request.user,
                street=d["street"],
                year=d["year"],
                number=d["number"],
                period_start=d["period_start"],
                period_end=d["period_end"],
                paper=d["paper"],
                columns=d["columns"],
                masthead=d["masthead"],
            ),
            _("未能新建社区报"),
        )
        if made is not None:
            messages.success(request, _("已新建 %(issue)s，请从平台数据生成稿件") % {"issue": made})
            return redirect(made.get_absolute_url())
    return render(request, "community/newsletter/new.html", {"form": form})


@login_required
def newsletter_detail(request: HttpRequest, newsletter_id: int) -> HttpResponse:
    issue = _issue(request, newsletter_id)
    editor = may(request.user, EDIT)
    editing = editor and issue.status == NewsletterStatus.DRAFT
    articles = list(issue.articles.order_by("order", "pk")) if editor else included(issue)
    context = {
        "issue": issue,
        "articles": shown(issue, [a for a in articles if a.included]),
        "editing": editing,
        "editors": [
            (
                a,
                EditArticleForm(
                    article=a,
                    prefix=f"a{a.pk}",
                    initial={
                        "title": a.title,
                        "body": a.body,
                        "order": a.order,
                        "included": a.included,
                        "photos": a.photos,
                    },
                ),
            )
            for a in articles
        ]
        if editing
        else [],
        "free": ArticleSource.FREE,
        "article_form": ArticleForm(prefix="new") if editing else None,
        "action_forms": action_views.action_forms(NEWSLETTER_FRAME, issue, request.user),
        "events": _history(issue) if editor else [],
    }
    return render(request, "community/newsletter/detail.html", context)


@login_required
@require_POST
def newsletter_act(request: HttpRequest, newsletter_id: int, action: str) -> HttpResponse:
    return action_views.post_action(request, NEWSLETTER_FRAME, _issue(request, newsletter_id), action)


@login_required
@require_POST
def article_add(request: HttpRequest, newsletter_id: int) -> HttpResponse:
    issue = _issue(request, newsletter_id)
    form = ArticleForm(request.POST, prefix="new")
    action_views.submit(
        request,
        form,
        lambda d: actions.add_article(request.user, issue, **d),
        _("未能增加稿件"),
        success=_("已增加稿件"),
    )
    return redirect(issue.get_absolute_url())


@login_required
@require_POST
def article_edit(request: HttpRequest, article_id: int) -> HttpResponse:
    article = _article(request, article_id)
    form = EditArticleForm(request.POST, article=article, prefix=f"a{article.pk}")
    done = action_views.submit(
        request,
        form,
        lambda d: actions.edit_article(request.user, article, version=request.POST.get("version"), **d),
        _("未能保存稿件"),
    )
    if done:
        messages.success(request, _("已保存稿件“%(title)s”") % {"title": done.title})
    return redirect(article.newsletter.get_absolute_url())


@login_required
@require_POST
def article_delete(request: HttpRequest, article_id: int) -> HttpResponse:
    article = _article(request, article_id)
    try:
        actions.delete_article(request.user, article)
    except ActionError as exc:
        messages.error(request, _("未能删除稿件：%(why)s") % {"why": exc.message})
    else:
        messages.success(request, _("已删除稿件“%(title)s”") % {"title": article.title})
    return redirect(article.newsletter.get_absolute_url())


@login_required
def newsletter_pdf(request: HttpRequest, newsletter_id: int) -> HttpResponse:
    issue = _issue(request, newsletter_id)
    if not included(issue):
        raise Http404(_("本期还没有刊用的稿件"))
    return _pdf(render_pdf(issue), issue)


def _published(street_code: str, year: int, number: int) -> Newsletter:
    # lint: allow-unrestricted (public page: a published issue of a street, by its code)
    rows = Newsletter.objects.for_residents().select_related("street", "editor")
    found = rows.filter(street__code=street_code[:32], year=year, number=number).first()
    if found is None:
        raise Http404
    return found


def public_newsletter(request: HttpRequest, street_code: str, year: int, number: int) -> HttpResponse:
    issue = _published(street_code, year, number)
    return render(
        request,
        "community/newsletter/public.html",
        {"issue": issue, "articles": shown(issue, included(issue))},
    )


def public_newsletter_pdf(request: HttpRequest, street_code: str, year: int, number: int) -> HttpResponse:
    issue = _published(street_code, year, number)
    return _pdf(render_pdf(issue), issue)


urlpatterns = [
    path("newsletters/", newsletters, name="newsletters"),
    path("newsletters/new/", newsletter_new, name="newsletter_new"),
    path("newsletters/<int:newsletter_id>/", newsletter_detail, name="newsletter"),
    path("newsletters/<int:newsletter_id>/act/<str:action>/", newsletter_act, name="newsletter_act"),
    path("newsletters/<int:newsletter_id>/articles/", article_add, name="newsletter_article_add"),
    path("newsletters/<int:newsletter_id>/newsletter.pdf", newsletter_pdf, name="newsletter_pdf"),
    path("newsletters/articles/<int:article_id>/", article_edit, name="newsletter_article"),
    path("newsletters/articles/<int:article_id>/delete/", article_delete, name="newsletter_article_delete"),
    path(
        "public/<str:street_code>/newsletters/<int:year>/<int:number>/",
        public_newsletter,
        name="public_newsletter",
    ),
    path(
        "public/<str:street_code>/newsletters/<int:year>/<int:number>/newsletter.pdf",
        public_newsletter_pdf,
        name="public_newsletter_pdf",
    ),
]
