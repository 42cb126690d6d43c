"""The webhook pages: the subscriptions a user may see, one subscription with its delivery
log, create/edit/deactivate, a new secret, resending a failed delivery. Every lookup goes
through restrict() (street administrators of the subscription's streets, superusers); every
write through webhooks.actions. Anyone else gets a 404."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.cases.errors import CaseError
from civicgrid.core.choices import Action
from civicgrid.geo.models import Area

from . import actions, transport
from .choices import DeliveryStatus, alias_choices, event_choices
from .forms import SubscriptionForm
from .models import Delivery, Subscription

SUBSCRIPTIONS_PER_PAGE = 50
DELIVERIES_PER_PAGE = 30


def _streets_prefetch() -> Prefetch:
    return Prefetch("streets", queryset=Area.objects.order_by("code"))


def _subscription(request: HttpRequest, pk: int, action: str = Action.VIEW) -> Subscription:
    qs = Subscription.objects.restrict(request.user, action).select_related("owner")
    return get_object_or_404(qs.prefetch_related(_streets_prefetch()), pk=pk)


def _may_change(request: HttpRequest, subscription: Subscription) -> bool:
    return Subscription.objects.restrict(request.user, Action.CHANGE).filter(pk=subscription.pk).exists()


def _apply_errors(form: SubscriptionForm, exc: CaseError) -> None:
    fields = [name for name in exc.fields if name in form.fields]
    for name in fields:
        form.add_error(name, exc.message)
    if not fields:
        form.add_error(None, exc.message)


def _secret_page(
    request: HttpRequest, subscription: Subscription, secret: str, created: bool
) -> HttpResponse:
    # Shown in the answer to the POST, never stored in the session or a message cookie.
    response = render(
        request, "webhooks/secret.html", {"subscription": subscription, "secret": secret, "created": created}
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def subscription_list(request: HttpRequest) -> HttpResponse:
    if not Subscription.objects.all().allows(request.user, Action.VIEW):
        raise Http404
    qs: QuerySet[Subscription] = (
        Subscription.objects.restrict(request.user, Action.VIEW)
        .select_related("owner")
        .prefetch_related(_streets_prefetch())
        .annotate(failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)))
        .order_by("name", "id")
    )
    page = Paginator(qs, SUBSCRIPTIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "may_add": Subscription.objects.all().allows(request.user, Action.ADD),
    }
    return render(request, "webhooks/subscription_list.html", context)


@login_required
def subscription_create(request: HttpRequest) -> HttpResponse:
    if not Subscription.objects.all().allows(request.user, Action.ADD):
        raise Http404
    form = SubscriptionForm(request.POST or None, streets=actions.allowed_streets(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            subscription, secret = actions.create_subscription(request.user, **form.cleaned_data)
        except CaseError as exc:
            _apply_errors(form, exc)
        else:
            return _secret_page(request, subscription, secret, created=True)
    return render(request, "webhooks/subscription_form.html", {"form": form, "subscription": None})


@login_required
def subscription_edit(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription(request, pk, Action.CHANGE)
    initial = {
        "name": subscription.name,
        "url": subscription.url,
        "events": list(subscription.events or []),
        "streets": list(subscription.streets.all()),
        "active": subscription.active,
    }
    form = SubscriptionForm(
        request.POST or None,
        initial=initial,
        streets=actions.allowed_streets(request.user),
        held=subscription.events or [],
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_subscription(subscription, request.user, **form.cleaned_data)
        except CaseError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect(subscription.get_absolute_url())
    return render(request, "webhooks/subscription_form.html", {"form": form, "subscription": subscription})


@login_required
def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription(request, pk)
    deliveries = Delivery.objects.restrict(request.user, Action.VIEW).filter(subscription=subscription)
    status = request.GET.get("status", "")
    if status in DeliveryStatus.values:
        deliveries = deliveries.filter(status=status)
    else:
        status = ""
    page = Paginator(deliveries.order_by("-created_at", "-id"), DELIVERIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    labels = dict(event_choices() + alias_choices())
    context: dict[str, Any] = {
        "subscription": subscription,
        "event_labels": [labels.get(kind, kind) for kind in subscription.events or []],
        "page": page,
        "status": status,
        "statuses": DeliveryStatus.choices,
        "may_change": _may_change(request, subscription),
        "url_problem": _url_problem(subscription.url),
    }
    return render(request, "webhooks/subscription_detail.html", context)


def _url_problem(url: str) -> str:
    """Why a stored URL would be refused now (saved before the rule, or the settings changed):
    every delivery to it fails, so the page says so."""
    try:
        transport.check_url(url)
    except transport.UnsafeURL as exc:
        return str(exc)
    return ""


@login_required
@require_POST
def subscription_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription(request, pk, Action.CHANGE)
    active = request.POST.get("active") == "1"
    try:
        actions.set_active(subscription, request.user, active)
    except CaseError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已启用。") if active else _("已停用：不再推送新的事件。"))
    return redirect(subscription.get_absolute_url())


@login_required
@require_POST
def subscription_rotate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription(request, pk, Action.CHANGE)
    try:
        subscription, secret = actions.rotate_secret(subscription, request.user)
    except CaseError as exc:
        messages.error(request, exc.message)
        return redirect(subscription.get_absolute_url())
    return _secret_page(request, subscription, secret, created=False)


@login_required
@require_POST
def delivery_resend(request: HttpRequest, pk: Any) -> HttpResponse:
    found = get_object_or_404(Delivery.objects.restrict(request.user, Action.VIEW), pk=pk)
    try:
        done = actions.resend_delivery(found, request.user)
    except CaseError as exc:
        messages.error(request, exc.message)
    else:
        done.refresh_from_db()
        if done.status == DeliveryStatus.SUCCEEDED:
            messages.success(request, _("已重发，对方已确认接收。"))
        else:
            messages.info(request, _("已安排重发。"))
    return redirect(found.subscription.get_absolute_url())
