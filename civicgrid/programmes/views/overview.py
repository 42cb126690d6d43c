"""/programmes/: the year at a glance for the reader's streets — practical projects by state and
their mean progress, welfare projects by state, the latest sessions — linking each part's pages."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Avg, Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from civicgrid.core import clock
from civicgrid.core.capabilities import may
from civicgrid.core.inputs import as_id

from ..choices import ProjectStatus, WelfareStatus
from ..models import Project, Session, WelfareProject


def _year(request: HttpRequest) -> int:
    raw = as_id(request.GET.get("year", ""))
    today = clock.today()
    return raw if raw is not None and 2000 <= raw <= 2100 else today.year


@login_required
def index(request: HttpRequest) -> HttpResponse:
    if not may(request.user, "programmes.view"):
        raise Http404
    year = _year(request)
    projects = Project.objects.restrict(request.user, "view").filter(year=year, parent=None)
    by_status = dict(projects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    progress = projects.exclude(status__in=[ProjectStatus.DRAFT, ProjectStatus.CANCELLED]).aggregate(
        mean=Avg("progress")
    )["mean"]
    welfare = WelfareProject.objects.restrict(request.user, "view").filter(year=year)
    welfare_by_status = dict(welfare.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    context: dict[str, Any] = {
        "year": year,
        "years": [year - 1, year, year + 1],
        "projects": [(s, by_status.get(s.value, 0)) for s in ProjectStatus],
        "progress": None if progress is None else round(float(progress)),
        "welfare": [(s, welfare_by_status.get(s.value, 0)) for s in WelfareStatus],
        "sessions": list(Session.objects.restrict(request.user, "view").select_related("street")[:5]),
    }
    return render(request, "programmes/index.html", context)


urlpatterns = [path("", index, name="index")]
