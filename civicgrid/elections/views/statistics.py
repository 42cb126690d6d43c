"""Pages of the elections app: a round's statistics (换届选举统计), for the street's office and
its leaders (`elections.statistics`). Thin: the figures are `statistics.street_statistics`."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from civicgrid.core import capabilities
from civicgrid.core.choices import Action

from ..models import ElectionRound
from ..statistics import RoundStatistics, street_statistics

STATISTICS = "elections.statistics"


def chart_data(figures: RoundStatistics) -> dict[str, Any]:
    """What the page's charts draw (the tables beside them show the same numbers)."""
    members = figures.members
    return {
        "methods": [{"name": str(label), "value": n} for _key, label, n in figures.method_rows()],
        "ages": {
            "labels": [str(label) for _key, label, _n in members.age_rows()],
            "values": [n for _key, _label, n in members.age_rows()],
        },
        "sexes": [{"name": str(label), "value": n} for _key, label, n in members.sex_rows()],
        "labels": {"methods": _("选举方式"), "ages": _("当选成员年龄"), "sexes": _("当选成员性别")},
    }


@login_required
def round_statistics(request: HttpRequest, round_id: int) -> HttpResponse:
    capabilities.require(request.user, STATISTICS)
    rounds = ElectionRound.objects.restrict(request.user, Action.VIEW).select_related("street")
    election_round = get_object_or_404(rounds, pk=round_id)
    figures = street_statistics(request.user, election_round)
    context = {"round": election_round, "figures": figures, "chart_data": chart_data(figures)}
    return render(request, "elections/statistics.html", context)


urlpatterns: list[URLPattern] = [
    path("rounds/<int:round_id>/statistics/", round_statistics, name="statistics"),
]
