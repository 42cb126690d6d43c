"""(seam) The dashboard pages: filled in by the dashboard part."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from civicgrid.core.capabilities import require


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    require(request.user, "insights.dashboard")
    return render(request, "insights/dashboard.html", {})


urlpatterns = [path("dashboard/", dashboard, name="dashboard")]
