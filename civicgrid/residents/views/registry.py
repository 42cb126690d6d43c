"""The registry's pages: the person list, and the building, flat, household and person pages
with their forms. Each page posts to itself with `op` naming its form; the form calls one
action (residents.forms) and the page redirects, or shows the form again with its errors."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from civicgrid.core import clock
from civicgrid.core.capabilities import may, require
from civicgrid.core.choices import Action
from civicgrid.core.errors import InvalidInput
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area, Building

from .. import care
from ..choices import AgeBand
from ..filters import PersonFilterSet
from ..forms import (
    CareTagForm,
    EndTagForm,
    FlatForm,
    HouseholdForm,
    MoveInForm,
    MoveOutForm,
    PersonForm,
    RegistryForm,
)
from ..models import CareTag, Flat, Household, Person, Residence

PERSONS_PER_PAGE = 50
# The reasons logged with each look at a sensitive care tag (PersonalDataAccess.reason).
LOOK_LIST = "查看名单"
LOOK_PAGE = "查看住户信息"
LOOK_PERSON = "查看人员信息"


# ---------------------------------------------------------------------------- helpers


def care_of(
    user: Any, person_ids: Iterable[int], *, reason: str, current: bool = True
) -> dict[int, list[CareTag]]:
    """The care tags `user` may see of these persons (in force today, or all with
    `current=False`), by person; each sensitive one shown is logged as a look."""
    tags = CareTag.objects.restrict(user, Action.VIEW).filter(person_id__in=list(person_ids))
    if current:
        tags = tags.active(clock.today())
    rows = list(tags.select_related("person", "local_kind").order_by("starts_on", "pk"))
    care.log_look(user, rows, reason=reason)
    out: dict[int, list[CareTag]] = defaultdict(list)
    for tag in rows:
        out[tag.person_id].append(tag)
    return out


def handle(
    request: HttpRequest, forms: dict[str, Callable[..., RegistryForm]]
) -> tuple[dict[str, RegistryForm], RegistryForm | None, Any]:
    """The page's forms, blank; on a POST the one its `op` names bound and run. Returns the
    forms, the one refused (or None) and the action's result (None unless it succeeded).
    Writing needs residents.edit (404 otherwise, like the pages)."""
    op = request.POST.get("op", "") if request.method == "POST" else ""
    if request.method == "POST":
        require(request.user, "residents.edit")
        if op not in forms:
            raise Http404(_("页面不存在"))
    bound = {name: make(request.POST) if name == op else make() for name, make in forms.items()}
    for name, form in bound.items():
        form.auto_id = f"id_{name}_%s"  # several forms on one page: ids of their own
    if not op:
        return bound, None, None
    done = bound[op].run()
    return bound, (bound[op] if done is None else None), done


def answer(
    request: HttpRequest, template: str, context: dict[str, Any], failed: RegistryForm | None
) -> HttpResponse:
    """The page; after a refused form, with it shown again (its errors) and status 400."""
    if failed is not None:
        messages.error(request, _("未保存，请检查填写的内容"))
    shared = {"failed": failed, "sensitive_kinds": list(care.SENSITIVE), "today": clock.today()}
    return render(request, template, {**shared, **context}, status=400 if failed else 200)


def saved(request: HttpRequest, to: Any, *args: Any) -> HttpResponse:
    messages.success(request, _("已保存"))
    return redirect(to, *args)


def with_care(user: Any, households: list[Household], *, reason: str) -> None:
    """Mark each member with the care tags `user` may see (`.tags`) and each household with
    whether it has needs `user` may not see (`.hidden_needs`: "有关爱需求", no more)."""
    members = [p for h in households for p in h.members.all()]
    tags = care_of(user, (p.pk for p in members), reason=reason)
    for person in members:
        person.tags = tags.get(person.pk, [])  # type: ignore[attr-defined]
    hidden = care.has_hidden_needs(user, [h.pk for h in households])
    for household in households:
        household.hidden_needs = household.pk in hidden  # type: ignore[attr-defined]


def with_members(user: Any, households: QuerySet[Household]) -> QuerySet[Household]:
    members = Person.objects.restrict(user, Action.VIEW).order_by("pk")
    return households.prefetch_related(Prefetch("members", queryset=members))


def editable(user: Any) -> bool:
    return may(user, "residents.edit")


def current_households(user: Any, action: str = Action.VIEW) -> QuerySet[Household]:
    return Household.objects.restrict(user, action).current().select_related("flat", "flat__building")


# ---------------------------------------------------------------------------- person list


def area_choices(user: Any) -> list[tuple[str, str]]:
    """The residential areas and grids of the reader's scope, for the list's area select."""
    areas = Area.objects.restrict(user, Action.VIEW).filter(kind__in=[AreaKind.RESIDENTIAL, AreaKind.GRID])
    return [("", _("全部区域")), *areas.order_by("path").values_list("code", "name")]


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "residents.view")
    visible = Person.objects.restrict(request.user, Action.VIEW)
    filterset = PersonFilterSet(request.GET or None, visible, user=request.user)
    filterset.form.fields["area"].widget.choices = area_choices(request.user)  # type: ignore[attr-defined]
    try:
        persons = filterset.checked()
    except InvalidInput:
        persons = visible.none()  # the form shows each bad field
    listing = persons.select_related("household", "household__flat", "household__flat__building").order_by(
        "household__flat__building_id", "household__flat__room", "household_id", "pk"
    )
    page = Paginator(listing, PERSONS_PER_PAGE).get_page(request.GET.get("page"))
    tags = care_of(request.user, (p.pk for p in page.object_list), reason=LOOK_LIST)
    today = clock.today()
    rows = [
        {"person": p, "age": care.age_on(p.birth_date, today), "tags": tags.get(p.pk, [])}
        for p in page.object_list
    ]
    context = {"filter": filterset, "page": page, "rows": rows}
    return answer(request, "residents/person_list.html", context, None)


# ---------------------------------------------------------------------------- building


@login_required
def building_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "residents.view")
    user = request.user
    building = get_object_or_404(
        Building.objects.restrict(user, Action.VIEW).select_related("street", "grid"), pk=pk
    )
    flats = Flat.objects.restrict(user, Action.VIEW).filter(building=building)
    households = current_households(user).filter(flat__building=building)
    forms: dict[str, Callable[..., RegistryForm]] = {
        "flat": lambda data=None: FlatForm(data, user=user, building=building),
        "household": lambda data=None: HouseholdForm(data, user=user, flats=flats),
        "person": lambda data=None: PersonForm(data, user=user, households=households),
    }
    bound, failed, done = handle(request, forms)
    if done is not None:
        return saved(request, "residents:building", building.pk)
    listing = list(
        flats.prefetch_related(
            Prefetch("households", queryset=with_members(user, households), to_attr="living")
        )
    )
    with_care(user, [h for flat in listing for h in flat.living], reason=LOOK_PAGE)  # type: ignore[attr-defined]
    context = {"building": building, "flats": listing, "may_edit": editable(user), "forms": bound}
    return answer(request, "residents/building_detail.html", context, failed)


# ---------------------------------------------------------------------------- flat


@login_required
def flat_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "residents.view")
    user = request.user
    visible = Flat.objects.restrict(user, Action.VIEW)
    flat = get_object_or_404(visible.select_related("building", "street"), pk=pk)
    forms: dict[str, Callable[..., RegistryForm]] = {
        "flat": lambda data=None: FlatForm(data, user=user, building=flat.building, flat=flat),
        "household": lambda data=None: HouseholdForm(data, user=user, flats=visible.filter(pk=flat.pk)),
    }
    bound, failed, done = handle(request, forms)
    if done is not None:
        return saved(request, done.get_absolute_url())
    households = list(
        with_members(user, Household.objects.restrict(user, Action.VIEW).filter(flat=flat))
        .select_related("head")
        .order_by(F("moved_out").desc(nulls_first=True), "-pk")
    )
    with_care(user, [h for h in households if h.is_current], reason=LOOK_PAGE)
    context = {"flat": flat, "households": households, "may_edit": editable(user), "forms": bound}
    return answer(request, "residents/flat_detail.html", context, failed)


# ---------------------------------------------------------------------------- household


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "residents.view")
    user = request.user
    visible = Household.objects.restrict(user, Action.VIEW)
    household = get_object_or_404(
        with_members(user, visible).select_related("flat", "flat__building", "head"), pk=pk
    )
    forms: dict[str, Callable[..., RegistryForm]] = {}
    if household.is_current:
        forms["person"] = lambda data=None: PersonForm(
            data, user=user, households=visible.filter(pk=household.pk)
        )
    bound, failed, done = handle(request, forms)
    if done is not None:
        return saved(request, household.get_absolute_url())
    with_care(user, [household], reason=LOOK_PAGE)
    # Every stay in this household, those who left too; their names stay on the page, their
    # own pages follow them to where they live now (or are gone for a reader of this area).
    history = (
        Residence.objects.restrict(user, Action.VIEW).filter(household=household).select_related("person")
    )
    context = {
        "household": household,
        "members": list(household.members.all()),
        "history": list(history.order_by("moved_in", "pk")),
        "may_edit": editable(user),
        "forms": bound,
    }
    return answer(request, "residents/household_detail.html", context, failed)


# ---------------------------------------------------------------------------- person


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "residents.view")
    user = request.user
    person = get_object_or_404(
        Person.objects.restrict(user, Action.VIEW).select_related(
            "household", "household__flat", "household__flat__building"
        ),
        pk=pk,
    )
    open_tags = CareTag.objects.restrict(user, Action.CHANGE).filter(person=person, ends_on__isnull=True)
    elsewhere = current_households(user, Action.CHANGE).exclude(pk=person.household_id or 0)
    forms: dict[str, Callable[..., RegistryForm]] = {
        "edit": lambda data=None: PersonForm(data, user=user, person=person),
        "tag": lambda data=None: CareTagForm(data, user=user, person=person),
        "end_tag": lambda data=None: EndTagForm(data, user=user, tags=open_tags),
        "move_in": lambda data=None: MoveInForm(data, user=user, person=person, households=elsewhere),
    }
    if person.household_id is not None:
        forms["move_out"] = lambda data=None: MoveOutForm(data, user=user, person=person)
    bound, failed, done = handle(request, forms)
    if done is not None:
        if request.POST.get("op") == "move_out":
            # They left the reader's area maybe: back to the household they left.
            return saved(request, person.household.get_absolute_url())  # type: ignore[union-attr]
        return saved(request, person.get_absolute_url())
    tags = care_of(user, [person.pk], reason=LOOK_PERSON, current=False).get(person.pk, [])
    today = clock.today()
    residences = Residence.objects.restrict(user, Action.VIEW).filter(person=person)
    context = {
        "person": person,
        "age": care.age_on(person.birth_date, today),
        "age_band": AgeBand(band).label if (band := care.age_band(person.birth_date, today)) else None,
        "tags": tags,
        "residences": list(residences.select_related("household__flat__building").order_by("moved_in", "pk")),
        "may_edit": editable(user),
        "forms": bound,
    }
    return answer(request, "residents/person_detail.html", context, failed)


urlpatterns = [
    path("", person_list, name="persons"),
    path("buildings/<int:pk>/", building_detail, name="building"),
    path("flats/<int:pk>/", flat_detail, name="flat"),
    path("households/<int:pk>/", household_detail, name="household"),
    path("persons/<int:pk>/", person_detail, name="person"),
]
