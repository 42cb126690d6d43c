"""/community/: the reader's community at a glance. Staff see each part's figures for their
streets (the coming activities, the volunteers' hours this year, today's queue and the open
上门办 requests, the latest newsletter issue); a resident sees what is open to them and what
is theirs. Each part's pages hang off its tab."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from civicgrid.core import clock
from civicgrid.core.capabilities import may

from ..choices import (
    ActivityStatus,
    AppointmentStatus,
    HomeServiceStatus,
    NewsletterStatus,
    SignUpStatus,
    VolunteerStatus,
)
from ..models import Activity, Appointment, HomeService, HoursEntry, Newsletter, SignUp, Volunteer
from ..querysets import OWN_ROWS_ONLY

COMING = 8


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not may(user, "community.view"):
        raise Http404
    now, today = clock.now(), clock.today()
    activities = Activity.objects.restrict(user, "view")
    coming = activities.filter(status__in=[ActivityStatus.OPEN, ActivityStatus.CLOSED], ends_at__gte=now)
    newsletters = Newsletter.objects.restrict(user, "view")
    context: dict[str, Any] = {
        "resident": may(user, OWN_ROWS_ONLY),
        "coming": list(coming.select_related("venue", "room").order_by("starts_at")[:COMING]),
        "newsletter": newsletters.filter(status=NewsletterStatus.PUBLISHED).first(),
    }
    if context["resident"]:
        context["my_sign_ups"] = list(
            SignUp.objects.restrict(user, "view")
            .exclude(status=SignUpStatus.CANCELLED)
            .filter(activity__ends_at__gte=now)
            .select_related("activity")
            .order_by("activity__starts_at")
        )
        context["my_appointments"] = list(
            Appointment.objects.restrict(user, "view")
            .filter(status__in=[AppointmentStatus.BOOKED, AppointmentStatus.WAITING])
            .select_related("item", "slot")
        )
        context["my_requests"] = list(
            HomeService.objects.restrict(user, "view")
            .filter(status__in=[HomeServiceStatus.REQUESTED, HomeServiceStatus.SCHEDULED])
            .select_related("item")
        )
        return render(request, "community/index_resident.html", context)
    counts = dict(
        activities.filter(starts_at__year=today.year)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    year_hours = HoursEntry.objects.restrict(user, "view").filter(served_on__year=today.year)
    queue = Appointment.objects.restrict(user, "view").filter(arrived_at__date=today)
    context.update(
        {
            "activity_counts": [(status, counts.get(status.value, 0)) for status in ActivityStatus],
            "volunteers": Volunteer.objects.restrict(user, "view")
            .filter(status=VolunteerStatus.ACTIVE)
            .count(),
            "hours": year_hours.aggregate(total=Sum("hours"))["total"] or 0,
            "queue_waiting": queue.filter(status=AppointmentStatus.WAITING).count(),
            "queue_done": queue.filter(status=AppointmentStatus.DONE).count(),
            "home_open": HomeService.objects.restrict(user, "view")
            .filter(status__in=[HomeServiceStatus.REQUESTED, HomeServiceStatus.SCHEDULED])
            .count(),
            "drafts": newsletters.filter(status=NewsletterStatus.DRAFT).count(),
        }
    )
    return render(request, "community/index.html", context)


urlpatterns = [path("", index, name="index")]
