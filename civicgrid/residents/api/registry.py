"""Flats, households, persons and care tags under /api/v1/residents/ (shapes in
residents.schemas), and the explicit reveal of a person's personal field.

Reads go through `restrict()`: a row outside the caller's scope is a 404, a list leaves it out.
Personal fields print masked (PersonalValue); the full value only through `/reveal`, with a
reason, logged. Sensitive care tags come only from CareTag.objects.restrict() (which leaves
them out for roles without their capability), and each one returned is logged as a look.
Writes go through residents.actions.registry, whose errors the API root maps to the one error
shape. Nothing here decides who may do what."""

from datetime import date
from typing import Annotated, Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import HttpResponse
from ninja import Query, Router, Status

from civicgrid.core import clock, privacy
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import InvalidInput
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageSize, paginate
from civicgrid.core.rest import (
    MAX_ID,
    NOT_MODIFIED,
    READ_ERRORS,
    WRITE_ERRORS,
    check_if_match,
    get_by_id,
    make_etag,
    not_modified,
)
from civicgrid.geo.models import Building

from .. import care, filters
from ..actions import registry as actions
from ..models import CareTag, Flat, Household, LocalCareKind, Person, Residence
from ..schemas import (
    CareTagEnd,
    CareTagIn,
    CareTagOut,
    CareTagPage,
    FlatDetailOut,
    FlatIn,
    FlatPage,
    FlatPatch,
    HouseholdDetailOut,
    HouseholdIn,
    HouseholdPage,
    MoveIn,
    MoveOut,
    PersonIn,
    PersonOut,
    PersonPage,
    PersonPatch,
    RevealIn,
    RevealOut,
)
from .filters import PersonListFilters

router = Router(tags=["residents"])

# The reason a sensitive tag's look is logged under when the API hands it out.
LOOK_REASON = "接口读取关爱对象"
# Fields a PATCH may clear with null: to None, or to blank (text and choice columns hold no
# NULL); the others must keep a value.
NULL_TO_NONE = frozenset({"floor", "area_m2", "birth_date"})
NULL_TO_BLANK = frozenset(
    {"owner_name", "owner_phone", "note", "id_number", "phone", "employer", "notes", "sex", "employment"}
)


# ---------------------------------------------------------------------------- look-ups


def _pick[M: Any](qs: QuerySet[M], pk: int, field: str) -> M:
    """The row a body names by id among those the caller may see; else 400 naming the field."""
    found = qs.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        raise InvalidInput(f"{field}：{pk} 不存在或不在你的管辖范围内", {field: "unknown"})
    return found


def _tags(user: Any) -> QuerySet[CareTag]:
    return CareTag.objects.restrict(user, Action.VIEW).select_related("person", "local_kind")


def _care_needs(**outer: str) -> Exists:
    # Whether any tag is in force, of any kind — never which: this is all a role without the
    # sensitive capabilities learns of a sensitive tag.
    rows = {k: OuterRef(v) for k, v in outer.items()}
    return Exists(CareTag.objects.filter(**rows).active(clock.today()))  # type: ignore[attr-defined]


def _flats(user: Any) -> QuerySet[Flat]:
    return Flat.objects.restrict(user, Action.VIEW).select_related("building")


def _households(user: Any) -> QuerySet[Household]:
    return (
        Household.objects.restrict(user, Action.VIEW)
        .select_related("flat__building", "head")
        .annotate(has_care=_care_needs(person__household="pk"))
    )


def _persons(user: Any) -> QuerySet[Person]:
    active = _tags(user).active(clock.today())  # type: ignore[attr-defined]
    return (
        Person.objects.restrict(user, Action.VIEW)
        .select_related("household__flat__building")
        .annotate(has_care=_care_needs(person="pk"))
        .prefetch_related(Prefetch("care_tags", queryset=active, to_attr="shown_tags"))
    )


def _looked_at(user: Any, tags: list[CareTag]) -> list[CareTag]:
    """`tags`, about to be returned: each sensitive one among them is logged as a look."""
    care.log_look(user, tags, reason=LOOK_REASON, via=privacy.RevealVia.API)
    return tags


def _version(request: Any, tag: str, given: int | None, current: int) -> int | None:
    """412 unless If-Match is absent or current; the version the write then checks (the body's,
    else the one the current tag stands for)."""
    check_if_match(request, tag)
    if given is None and "If-Match" in request.headers:
        return current
    return given


def _changes(payload: Any) -> dict[str, Any]:
    """The fields a PATCH sets: enumerations as their codes, null as blank where a field may be
    blank; null elsewhere is refused naming the field."""
    changes = payload.dict(exclude_unset=True)
    changes.pop("version", None)
    nulls = sorted(k for k, v in changes.items() if v is None and k not in NULL_TO_NONE | NULL_TO_BLANK)
    if nulls:
        raise InvalidInput("这些字段不能为 null：" + "、".join(nulls), dict.fromkeys(nulls, "invalid"))
    return {
        name: "" if value is None and name in NULL_TO_BLANK else getattr(value, "value", value)
        for name, value in changes.items()
    }


def _unchanged_masks(obj: Any, changes: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """A client that sends back the masked value it read keeps the value (it never had the
    full one to send)."""
    return {k: v for k, v in changes.items() if not (k in names and v and v == getattr(obj, k).masked)}


# ---------------------------------------------------------------------------- output


def building_ref(building: Building) -> dict[str, Any]:
    return {"id": building.pk, "address": building.address}


def flat_ref(flat: Flat) -> dict[str, Any]:
    return {"id": flat.pk, "room": flat.room, "building": building_ref(flat.building)}


def person_ref(person: Person | None) -> dict[str, Any] | None:
    return {"id": person.pk, "name": person.name} if person is not None else None


def flat_out(flat: Flat) -> dict[str, Any]:
    return {
        "id": flat.pk,
        "building": building_ref(flat.building),
        "room": flat.room,
        "floor": flat.floor,
        "use": flat.use,
        "use_label": flat.get_use_display(),
        "area_m2": float(flat.area_m2) if flat.area_m2 is not None else None,
        "owner_name": flat.owner_name,
        "owner_phone": str(flat.owner_phone),
        "note": flat.note,
        "version": flat.version,
        "updated_at": flat.updated_at,
    }


def household_out(household: Household) -> dict[str, Any]:
    return {
        "id": household.pk,
        "flat": flat_ref(household.flat),
        "tenure": household.tenure,
        "head": person_ref(household.head),
        "moved_in": household.moved_in,
        "moved_out": household.moved_out,
        "current": household.is_current,
        "has_care_needs": bool(getattr(household, "has_care", False)),
        "note": household.note,
        "version": household.version,
        "updated_at": household.updated_at,
    }


def tag_out(tag: CareTag) -> dict[str, Any]:
    today = clock.today()
    return {
        "id": tag.pk,
        "person": person_ref(tag.person),
        "kind": tag.kind,
        "label": tag.label,
        "local_kind": tag.local_kind.code if tag.local_kind is not None else None,
        "disability_grade": tag.disability_grade,
        "starts_on": tag.starts_on,
        "ends_on": tag.ends_on,
        "active": tag.starts_on <= today and (tag.ends_on is None or tag.ends_on >= today),
        "sensitive": care.is_sensitive(tag.kind),
        "note": str(tag.note),
        "version": tag.version,
    }


def person_out(person: Person) -> dict[str, Any]:
    household = person.household
    tags: list[CareTag] = getattr(person, "shown_tags", [])
    return {
        "id": person.pk,
        "name": person.name,
        "sex": person.sex or None,
        "birth_date": person.birth_date,
        "age_band": care.age_band(person.birth_date, clock.today()),
        "id_type": person.id_type,
        # PersonalValues: as strings they are the masked form.
        "id_number": str(person.id_number),
        "phone": str(person.phone),
        "relation": person.relation,
        "residence": person.residence,
        "employment": person.employment or None,
        "employer": person.employer,
        "notes": str(person.notes),
        "household": {"id": household.pk, "flat": flat_ref(household.flat)} if household else None,
        "has_care_needs": bool(getattr(person, "has_care", False)),
        "care_tags": [tag_out(t) for t in tags],
        "version": person.version,
        "updated_at": person.updated_at,
    }


# ---------------------------------------------------------------------------- flats


def _flat_detail(user: Any, flat_id: int) -> tuple[Flat, list[Household], str]:
    flat = get_by_id(_flats(user), flat_id)
    households = list(
        Household.objects.restrict(user, Action.VIEW)
        .filter(flat=flat)
        .select_related("head")
        .order_by("-moved_in", "-id")
    )
    heads = [h.head for h in households]
    return flat, households, make_etag(flat, flat.building, *households, *heads)


def flat_detail_out(flat: Flat, households: list[Household]) -> dict[str, Any]:
    return {
        **flat_out(flat),
        "households": [
            {
                "id": h.pk,
                "tenure": h.tenure,
                "head": person_ref(h.head),
                "moved_in": h.moved_in,
                "moved_out": h.moved_out,
                "current": h.is_current,
            }
            for h in households
        ],
    }


@router.get("/flats", response={200: FlatPage, **READ_ERRORS}, summary="房屋列表（实有房屋）")
def list_flats(
    request: Any,
    building: Annotated[int | None, Query(description="楼栋 id")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The flats of the buildings in the caller's area; `building` (id) narrows to one."""
    qs = _flats(request.auth)
    if building is not None:
        qs = qs.filter(building_id=building) if 0 < building <= MAX_ID else qs.none()
    return paginate(qs.order_by("building_id", "floor", "room", "id"), page, page_size, flat_out)


@router.get(
    "/flats/{flat_id}",
    response={200: FlatDetailOut, **NOT_MODIFIED, **READ_ERRORS},
    summary="房屋详情",
)
def get_flat(request: Any, response: HttpResponse, flat_id: int) -> Any:
    """The flat with its households (present and past). ETag / If-None-Match → 304."""
    flat, households, tag = _flat_detail(request.auth, flat_id)
    if not_modified(request, response, tag):
        return Status(304, None)
    return flat_detail_out(flat, households)


@router.post("/flats", response={201: FlatDetailOut, **WRITE_ERRORS}, summary="登记房屋")
def create_flat(request: Any, response: HttpResponse, payload: FlatIn) -> Status[dict[str, Any]]:
    """A new flat in a building of the caller's area (409 if the room is taken)."""
    user = request.auth
    data: dict[str, Any] = {k: getattr(v, "value", v) for k, v in payload.dict().items()}
    building = _pick(Building.objects.restrict(user, Action.VIEW), data.pop("building"), "building")
    with acting_as(user, "api"):
        flat = actions.save_flat(user, building=building, **data)
    flat, households, tag = _flat_detail(user, flat.pk)
    response["ETag"] = tag
    return Status(201, flat_detail_out(flat, households))


@router.patch("/flats/{flat_id}", response={200: FlatDetailOut, **WRITE_ERRORS}, summary="修改房屋")
def update_flat(request: Any, response: HttpResponse, flat_id: int, payload: FlatPatch) -> dict[str, Any]:
    """Only the fields given change. A stale `version` is 409; a stale If-Match 412."""
    user = request.auth
    flat, _households, tag = _flat_detail(user, flat_id)
    version = _version(request, tag, payload.version, flat.version)
    changes = _unchanged_masks(flat, _changes(payload), ("owner_phone",))
    room = changes.pop("room", flat.room)
    with acting_as(user, "api"):
        actions.save_flat(user, building=flat.building, room=room, flat=flat, version=version, **changes)
    flat, households, tag = _flat_detail(user, flat_id)
    response["ETag"] = tag
    return flat_detail_out(flat, households)


# ---------------------------------------------------------------------------- households


def _household_detail(user: Any, household_id: int) -> tuple[dict[str, Any], str]:
    household = get_by_id(_households(user), household_id)
    members = list(
        Person.objects.restrict(user, Action.VIEW).filter(household=household).order_by("relation", "id")
    )
    history = list(
        Residence.objects.restrict(user, Action.VIEW)
        .filter(household=household)
        .select_related("person")
        .order_by("moved_in", "id")
    )
    out = {
        **household_out(household),
        "members": [
            {
                "id": p.pk,
                "name": p.name,
                "relation": p.relation,
                "sex": p.sex or None,
                "birth_date": p.birth_date,
                "residence": p.residence,
            }
            for p in members
        ],
        "history": [
            {
                "person": person_ref(r.person),
                "relation": r.relation,
                "moved_in": r.moved_in,
                "moved_out": r.moved_out,
                "reason": r.reason,
            }
            for r in history
        ],
    }
    parts = (household, household.flat, household.flat.building, household.head, *members, *history)
    return out, make_etag(*parts, *(r.person for r in history), household.has_care)  # type: ignore[attr-defined]


@router.get("/households", response={200: HouseholdPage, **READ_ERRORS}, summary="住户列表")
def list_households(
    request: Any,
    flat: Annotated[int | None, Query(description="房屋 id")] = None,
    current: Annotated[bool | None, Query(description="true：现住；false：已迁出")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The households in the caller's area; `flat` (id) narrows to one flat, `current=true` to
    those living there now (`false`: those that left)."""
    qs = _households(request.auth)
    if flat is not None:
        qs = qs.filter(flat_id=flat) if 0 < flat <= MAX_ID else qs.none()
    if current is not None:
        qs = qs.filter(moved_out__isnull=current)
    return paginate(qs.order_by("flat_id", "id"), page, page_size, household_out)


@router.get(
    "/households/{household_id}",
    response={200: HouseholdDetailOut, **NOT_MODIFIED, **READ_ERRORS},
    summary="住户详情（成员、户主、迁入迁出记录）",
)
def get_household(request: Any, response: HttpResponse, household_id: int) -> Any:
    out, tag = _household_detail(request.auth, household_id)
    if not_modified(request, response, tag):
        return Status(304, None)
    return out


@router.post("/households", response={201: HouseholdDetailOut, **WRITE_ERRORS}, summary="登记住户")
def create_household(request: Any, response: HttpResponse, payload: HouseholdIn) -> Status[dict[str, Any]]:
    """A new household in a flat; its people are added with POST /persons or move-in."""
    user = request.auth
    flat = _pick(_flats(user), payload.flat, "flat")
    with acting_as(user, "api"):
        household = actions.register_household(
            user, flat=flat, tenure=payload.tenure.value, moved_in=payload.moved_in, note=payload.note
        )
    out, tag = _household_detail(user, household.pk)
    response["ETag"] = tag
    return Status(201, out)


# ---------------------------------------------------------------------------- persons


def _person_detail(user: Any, person_id: int) -> tuple[Person, str]:
    person = get_by_id(_persons(user), person_id)
    household = person.household
    parts = (person, household, household.flat if household else None)
    tags: list[CareTag] = person.shown_tags  # type: ignore[attr-defined]
    return person, make_etag(*parts, *tags, person.has_care, user.pk)  # type: ignore[attr-defined]


@router.get("/persons", response={200: PersonPage, **READ_ERRORS}, summary="人员列表（实有人口）")
def list_persons(
    request: Any,
    filters_: Query[PersonListFilters],
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The persons of the caller's area under the registry's filter (residents.filters: the
    list page and the export take the same parameters and give the same persons). An unknown
    area code, or one outside the caller's scope, is a 400 naming `area`."""
    user = request.auth
    matched = filters.persons(user, filters_.params()).values("pk")
    qs = _persons(user).filter(pk__in=matched).order_by("household_id", "id")
    found = paginate(qs, page, page_size)
    _looked_at(user, [t for p in found["results"] for t in p.shown_tags])
    return {**found, "results": [person_out(p) for p in found["results"]]}


@router.get(
    "/persons/{person_id}",
    response={200: PersonOut, **NOT_MODIFIED, **READ_ERRORS},
    summary="人员详情",
)
def get_person(request: Any, response: HttpResponse, person_id: int) -> Any:
    """Personal fields masked; the care tags in force the caller may see. A read that returns
    a sensitive tag is logged and never a 304."""
    user = request.auth
    person, tag = _person_detail(user, person_id)
    shown = _looked_at(user, person.shown_tags)  # type: ignore[attr-defined]
    if not_modified(request, response, tag) and not any(care.is_sensitive(t.kind) for t in shown):
        return Status(304, None)
    return person_out(person)


@router.post("/persons", response={201: PersonOut, **WRITE_ERRORS}, summary="登记人员")
def create_person(request: Any, response: HttpResponse, payload: PersonIn) -> Status[dict[str, Any]]:
    """A person in a household. An identity card number must pass its checksum (400 naming
    `id_number`); the birth date and sex it carries fill those left out. A number already
    registered in the street is 409."""
    user = request.auth
    data: dict[str, Any] = {k: getattr(v, "value", v) for k, v in payload.dict(exclude_none=True).items()}
    household = _pick(_households(user), data.pop("household"), "household")
    moved_in: date | None = data.pop("moved_in", None)
    with acting_as(user, "api"):
        person = actions.save_person(user, household=household, moved_in=moved_in, **data)
    person, tag = _person_detail(user, person.pk)
    response["ETag"] = tag
    return Status(201, person_out(person))


@router.patch("/persons/{person_id}", response={200: PersonOut, **WRITE_ERRORS}, summary="修改人员")
def update_person(
    request: Any, response: HttpResponse, person_id: int, payload: PersonPatch
) -> dict[str, Any]:
    """Only the fields given change (masked values sent back unchanged keep the value). A
    stale `version` is 409; a stale If-Match 412."""
    user = request.auth
    person, tag = _person_detail(user, person_id)
    version = _version(request, tag, payload.version, person.version)
    changes = _unchanged_masks(person, _changes(payload), ("id_number", "phone", "notes"))
    with acting_as(user, "api"):
        actions.save_person(user, person=person, version=version, **changes)
    return _person_answer(user, response, person_id)


def _person_answer(user: Any, response: HttpResponse, person_id: int) -> dict[str, Any]:
    """The person after a write, with the new ETag (404 if the write took them out of sight)."""
    person, tag = _person_detail(user, person_id)
    response["ETag"] = tag
    _looked_at(user, person.shown_tags)  # type: ignore[attr-defined]
    return person_out(person)


@router.post("/persons/{person_id}/move-in", response={200: PersonOut, **WRITE_ERRORS}, summary="迁入住户")
def move_in(request: Any, response: HttpResponse, person_id: int, payload: MoveIn) -> dict[str, Any]:
    """The person moves into `household` on `on`, leaving their present one that day (the
    history records both). 409 if they already live there."""
    user = request.auth
    person = get_by_id(Person.objects.restrict(user, Action.VIEW), person_id)
    household = _pick(_households(user), payload.household, "household")
    with acting_as(user, "api"):
        actions.move_in(
            user, person, household, relation=payload.relation.value, on=payload.on, reason=payload.reason
        )
    return _person_answer(user, response, person_id)


@router.post(
    "/persons/{person_id}/move-out", response={200: PersonOut, 204: None, **WRITE_ERRORS}, summary="迁出"
)
def move_out(request: Any, response: HttpResponse, person_id: int, payload: MoveOut) -> Any:
    """The person leaves their household on `on` (`deceased`: died); a household left empty is
    closed that day. 409 if they live in no household. The answer is the person if the caller
    still sees them (a person in no household is no longer in an area), else 204."""
    user = request.auth
    person = get_by_id(Person.objects.restrict(user, Action.VIEW), person_id)
    with acting_as(user, "api"):
        actions.move_out(user, person, on=payload.on, reason=payload.reason, deceased=payload.deceased)
    if not Person.objects.restrict(user, Action.VIEW).filter(pk=person_id).exists():
        return Status(204, None)
    return _person_answer(user, response, person_id)


@router.post(
    "/persons/{person_id}/reveal",
    response={200: RevealOut, **WRITE_ERRORS},
    summary="查看完整个人信息（须说明事由，留痕）",
)
def reveal(request: Any, response: HttpResponse, person_id: int, payload: RevealIn) -> dict[str, str]:
    """The full `id_number`, `phone` or `notes` of a person in the caller's scope, logged with
    the `reason` before it is handed out (core.privacy.reveal). 403 for roles without the
    field's capability, 400 naming `reason` without one. Never cached."""
    user = request.auth
    person = get_by_id(Person.objects.restrict(user, Action.VIEW), person_id)
    response["Cache-Control"] = "private, no-store"
    value = privacy.reveal(
        user, person, payload.field.value, reason=payload.reason, via=privacy.RevealVia.API
    )
    return {"value": value}


# ---------------------------------------------------------------------------- care tags


@router.get(
    "/persons/{person_id}/care-tags",
    response={200: CareTagPage, **READ_ERRORS},
    summary="人员的关爱对象标签",
)
def list_care_tags(
    request: Any,
    person_id: int,
    active: Annotated[bool | None, Query(description="true：今天有效的；false：已结束或未开始的")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The person's tags the caller may see, past and present (`active=true`: in force today),
    oldest first. Each sensitive tag returned is logged as a look."""
    user = request.auth
    person = get_by_id(Person.objects.restrict(user, Action.VIEW), person_id)
    qs = _tags(user).filter(person=person)
    if active is not None:
        in_force = _tags(user).active(clock.today()).values("pk")  # type: ignore[attr-defined]
        qs = qs.filter(pk__in=in_force) if active else qs.exclude(pk__in=in_force)
    found = paginate(qs.order_by("starts_on", "id"), page, page_size)
    return {**found, "results": [tag_out(t) for t in _looked_at(user, found["results"])]}


@router.post("/care-tags", response={201: CareTagOut, **WRITE_ERRORS}, summary="添加关爱对象标签")
def create_care_tag(request: Any, payload: CareTagIn) -> Status[dict[str, Any]]:
    """A tag on a person of the caller's area. A sensitive kind the caller may not see is
    refused as if the person did not exist (404); `local_kind` (a code of the street's own
    kinds) with kind `local` only; `disability_grade` 1–4 with kind `disability` only."""
    user = request.auth
    person = _pick(Person.objects.restrict(user, Action.VIEW), payload.person, "person")
    local_kind = None
    if payload.local_kind:
        local_kind = (
            LocalCareKind.objects.restrict(user, Action.VIEW)
            .filter(street_id=person.street_id, code=payload.local_kind)
            .first()
        )
        if local_kind is None:
            raise InvalidInput(f"自定义类别“{payload.local_kind}”不存在", {"local_kind": "unknown"})
    with acting_as(user, "api"):
        tag = actions.add_care_tag(
            user,
            person,
            kind=payload.kind.value,
            starts_on=payload.starts_on,
            ends_on=payload.ends_on,
            disability_grade=payload.disability_grade,
            local_kind=local_kind,
            note=payload.note,
        )
    return Status(201, tag_out(_looked_at(user, [get_by_id(_tags(user), tag.pk)])[0]))


@router.post(
    "/care-tags/{tag_id}/end", response={200: CareTagOut, **WRITE_ERRORS}, summary="结束关爱对象标签"
)
def end_care_tag(request: Any, tag_id: int, payload: CareTagEnd) -> dict[str, Any]:
    """Sets the tag's end date (the tag stays, with its history). A stale `version` is 409."""
    user = request.auth
    tag = get_by_id(_tags(user), tag_id)
    with acting_as(user, "api"):
        actions.end_care_tag(user, tag, ends_on=payload.ends_on, version=payload.version)
    return tag_out(_looked_at(user, [get_by_id(_tags(user), tag_id)])[0])
