"""源头分析: the street's hotspots in four sections (repeated addresses, recurrences, rises, hot
topics), each count a link to exactly its cases and, for those who make plans, a link to a
prefilled plan form; a hot-topic run started as a background job; one run in full."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.core import capabilities, clock
from civicgrid.core.capabilities import require
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError

from .. import analysis, jobs
from ..models import TopicRun


def _page(request: HttpRequest, code: str, error: str = "", status: int = 200) -> HttpResponse:
    user = request.user
    streets = list(jobs.reader_streets(user))
    street = next((s for s in streets if s.code == code), None)
    if street is None and code:
        error, status = _("街道编码“%(code)s”不存在") % {"code": code}, 400
    street = street or (streets[0] if streets else None)
    context: dict[str, Any] = {"streets": streets, "street": street, "error": error}
    if street is not None:
        day = clock.today()
        run = analysis.latest_topics(user, street)
        context.update(
            sections=[
                ("addresses", _("重复地址"), analysis.repeated_addresses(user, street, day)),
                ("recurrences", _("反复发生"), analysis.recurrences(user, street, day)),
                ("rises", _("环比上升"), analysis.rises(user, street, day)),
            ],
            run=run,
            topics=analysis.topics_of(user, run),
            may_plan=capabilities.may(user, "insights.plans.manage"),
            may_run=jobs.may_start(user),
        )
    return render(request, "insights/rootcauses.html", context, status=status)


@login_required
def rootcauses(request: HttpRequest) -> HttpResponse:
    require(request.user, "insights.dashboard")
    return _page(request, request.GET.get("street", "").strip())


@login_required
@require_POST
def topics_run(request: HttpRequest) -> HttpResponse:
    """重新分析: start a hot-topic run of the street, then show the job's progress."""
    require(request.user, "insights.dashboard")
    code = request.POST.get("street", "").strip()
    try:
        job = jobs.start_topics(request.user, jobs.pick_street(request.user, code))
    except ActionError as exc:
        return _page(request, code, str(exc), status=400)
    return redirect(job.get_absolute_url())


@login_required
def topic(request: HttpRequest, pk: int) -> HttpResponse:
    """One run in full: every topic with its terms, size (a link to its cases) and examples."""
    require(request.user, "insights.dashboard")
    runs = TopicRun.objects.restrict(request.user, Action.VIEW).select_related("street")
    run = get_object_or_404(runs, pk=pk)
    context = {
        "run": run,
        "topics": analysis.topics_of(request.user, run),
        "may_plan": capabilities.may(request.user, "insights.plans.manage"),
    }
    return render(request, "insights/topic_run.html", context)


urlpatterns = [
    path("insights/rootcauses/", rootcauses, name="rootcauses"),
    path("insights/rootcauses/topics/run/", topics_run, name="topics_run"),
    path("insights/rootcauses/topics/<int:pk>/", topic, name="topic"),
]
