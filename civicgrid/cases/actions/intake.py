"""Registering cases: from any channel (create_case) and updates a source sends again
(update_from_source, the 12345 import). Creating is no transition of an existing case, so it
runs outside the frame, with the same timeline row."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from civicgrid.core import clock, events, numbering
from civicgrid.core.errors import Conflict, InvalidInput
from civicgrid.core.querysets import user_scope
from civicgrid.geo.services import Location, PlaceRef, find_building, locate

from .. import deadlines
from ..choices import CaseAction, CaseStatus, Channel, PhotoStage, PlaceStatus, RequestType, Urgency
from ..models import Case, CaseSequence, Category, IntakeHint, IntakeSuggestion
from ..photos import clean_photo
from .common import StoredFiles, actor_or_none, choice, received_in_range, required, save_photos
from .frame import received_notices, record_event, run_action

# The timeline note of a new case (the channel shown by its label, cases.apps); the 12345
# import (bulk) writes the same.
CREATED_NOTE = gettext_noop("经%(channel)s登记")


def _street_label(loc: Location) -> str:
    return loc.street.name if loc.street else ""


@dataclass
class CaseInput:
    request_type: str
    category: str | Category  # a code, or a Category a bulk caller already looked up
    description: str
    channel: str
    title: str = ""
    urgency: str = Urgency.NORMAL
    lon: float | None = None
    lat: float | None = None
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_anonymous: bool = False
    source: str = ""
    external_id: str | None = None
    received_at: datetime | None = None
    photos: list[Any] = field(default_factory=list)
    # The street the order belongs to when the sender says so (a 街道 column, Open311's
    # jurisdiction, the API's `street`; geo's PlaceRef.of(area)), checked against the actor's scope.
    street: PlaceRef | None = None


@dataclass(frozen=True)
class ResolvedPlace:
    location: Location
    lon: float | None
    lat: float | None
    building: Any
    # Registered in its street without a building or point inside it (待定位).
    to_locate: bool = False
    # The given point and the building lie in different grids (the case takes the point's).
    grid_conflict: bool = False

    @property
    def place_status(self) -> str:
        return PlaceStatus.TO_LOCATE if self.to_locate else PlaceStatus.LOCATED

    def area_ids(self) -> dict[str, int | None]:
        """The case's street, residential area and grid ids for this place."""
        loc = self.location
        return {
            "street_id": loc.street.id if loc.street else None,
            "residential_area_id": loc.residential_area.id if loc.residential_area else None,
            "grid_id": loc.grid.id if loc.grid else None,
        }


NOT_LOCATED = "无法定位：地址未找到且没有坐标，或坐标不在本平台的任何街道内"


def grids_differ(location: Location, building: Any) -> bool:
    """A grid conflict: the location (of the given point) and the building are in different grids."""
    return bool(
        building is not None
        and building.grid_id is not None
        and location.grid is not None
        and building.grid_id != location.grid.id
    )


def sole_street(scope: Any) -> PlaceRef | None:
    """The street of staff who work in exactly one: where an order they register that nothing
    locates belongs."""
    if scope is None or scope.is_global or scope.role == "resident" or len(scope.street_ids) != 1:
        return None
    from civicgrid.geo.models import Area

    (street_id,) = scope.street_ids
    area = Area.objects.filter(pk=street_id).first()
    return PlaceRef.of(area) if area is not None else None


def settle(place: ResolvedPlace, data: CaseInput, fallback: Callable[[], PlaceRef | None]) -> ResolvedPlace:
    """The place inside its street. An order that no building or point places inside the
    street it belongs to (declared, else `fallback()`: the registering staff member's only
    street, or the case's own) is registered there all the same, to be located (待定位),
    keeping the point it came with; only an order with no street at all is refused."""
    declared = data.street
    located = place.location.street
    if located is not None and (declared is None or located.id == declared.id):
        return place
    street = declared or fallback()
    if street is None:
        raise InvalidInput(NOT_LOCATED, {"address": "not_located"})
    given = data.lon is not None and data.lat is not None
    lon, lat = (float(data.lon), float(data.lat)) if given else (None, None)  # type: ignore[arg-type]
    return ResolvedPlace(Location(street=street), lon, lat, None, to_locate=True)


def resolve_place(lon: float | None, lat: float | None, address: str) -> ResolvedPlace:
    """Point first (it is what the reporter saw), else the address's building; never a guess."""
    building = find_building(address) if address else None
    if lon is not None or lat is not None:
        if lon is None or lat is None:
            raise InvalidInput("经度和纬度须同时提供", {"lon" if lon is None else "lat": "required"})
        if not (73 <= float(lon) <= 136 and 3 <= float(lat) <= 54):
            raise InvalidInput(
                "坐标超出范围（应为 WGS84 经纬度）", {"lon": "out_of_range", "lat": "out_of_range"}
            )
        loc = locate(float(lon), float(lat))
        if not loc and building is not None:
            loc = locate(building.lon, building.lat)
        return ResolvedPlace(loc, float(lon), float(lat), building, grid_conflict=grids_differ(loc, building))
    if building is not None:
        return ResolvedPlace(locate(building.lon, building.lat), building.lon, building.lat, building)
    return ResolvedPlace(Location(), None, None, None)


def resolve_category(code: Any) -> Category:
    if isinstance(code, Category):  # already resolved by a bulk caller (the 12345 import)
        if not code.is_active:
            raise InvalidInput(f"问题分类“{code.code}”已停用", {"category": "unknown"})
        return code
    category = (
        Category.objects.filter(code=str(code or "").strip(), is_active=True).select_related("parent").first()
    )
    if category is None:
        raise InvalidInput(f"问题分类“{code}”不存在或已停用", {"category": "unknown"})
    return category


def _next_number(street_id: int, street_code: str, year: int) -> str:
    return f"{street_code}-{year}-{numbering.take(CaseSequence, street_id, year):06d}"


def validate_input(
    data: CaseInput, fallback: Callable[[], PlaceRef | None] = lambda: None
) -> tuple[Category, ResolvedPlace]:
    choice(data.request_type, RequestType, "request_type", "诉求类型")
    choice(data.channel, Channel, "channel", "来源渠道")
    choice(data.urgency, Urgency, "urgency", "紧急程度")
    required(data.description, "description", "诉求内容")
    received_in_range(data.received_at)
    category = resolve_category(data.category)
    place = resolve_place(data.lon, data.lat, (data.address or "").strip())
    return category, settle(place, data, fallback)


def check_street_scope(scope: Any, location: Location) -> None:
    """Staff register cases only in their own streets (residents report anywhere; no scope:
    the system)."""
    street = location.street
    if (
        scope is not None
        and scope.role != "resident"
        and not scope.is_global
        and street is not None
        and street.id not in scope.street_ids
    ):
        message = f"该位置属于{_street_label(location)}，不在你的管辖范围内"
        raise InvalidInput(message, {"address": "out_of_scope"})


def open_case_at(
    actor: Any, *, category: Category, description: str, channel: str, lon: Any, lat: Any, address: str
) -> Case:
    """A case another app opens at a place it knows (由走访立工单, 整改转工单): the category's
    default request type, registered like any other case by `actor`."""
    request_type = category.inherited("default_request_type") or RequestType.REPORT
    return create_case(
        CaseInput(
            request_type=str(request_type),
            category=category,
            description=description,
            channel=channel,
            lon=lon,
            lat=lat,
            address=address,
        ),
        actor,
    )


def create_case(
    data: CaseInput,
    actor: Any = None,
    *,
    fingerprint: str = "",
    via: str = "web",
    find_duplicates: bool = True,
    then: Sequence[tuple[str, dict[str, Any]]] = (),
    in_own_street: bool = False,
    tell_reporter: bool = True,
    suggestion: Any = None,
) -> Case:
    """Register a case from any channel. Anonymous public reports pass actor=None. System
    imports pass find_duplicates=False: 12345 merges its own repeats, and the case page lists
    live candidates anyway (the CREATE event then has no "duplicate_candidates").
    `then` lists the actor's next steps, (action, parameters), taken through the frame in the
    same transaction (the desk's 立案并派遣): a refused step registers nothing.

    `in_own_street`: an order of a channel that must never drop one (12345, the API) that
    nothing locates and that names no street belongs to the actor's only street, to be
    located there; the forms people fill in (public report, patrol) ask for a place instead.

    The reporter is told the case is registered (frame.received_notices, from the CREATE
    event) unless `tell_reporter` is False: a file import (12345), whichever path its rows take.

    `suggestion` (cases.intake.suggest.Suggestion): what the intake model suggested for the
    text the desk registered; kept with what the desk chose (`record_suggestion`)."""
    scope = user_scope(actor)
    category, place = validate_input(data, lambda: sole_street(scope) if in_own_street else None)
    check_street_scope(scope, place.location)
    street_id = place.location.street.id  # type: ignore[union-attr]
    cleaned = [clean_photo(f) for f in data.photos or []]
    received_at = data.received_at or clock.now()
    due = deadlines.compute(received_at, data.request_type, category, data.urgency, street_id)
    from ..duplicates import suggest_for_new
    from ..routing import route

    stored = StoredFiles()
    try:
        with transaction.atomic():
            loc = place.location
            proposal = route(category, [loc.grid, loc.residential_area, loc.street])
            case = Case(
                status=CaseStatus.NEW,
                request_type=data.request_type,
                category=category,
                title=(data.title or data.description).strip()[:100],
                description=data.description.strip(),
                channel=data.channel,
                urgency=data.urgency,
                lon=place.lon,
                lat=place.lat,
                address=(data.address or "").strip() or (str(place.building) if place.building else ""),
                building=place.building,
                **place.area_ids(),
                place_status=place.place_status,
                grid_conflict=place.grid_conflict,
                reporter_name=(data.reporter_name or "").strip(),
                reporter_phone=(data.reporter_phone or "").strip(),
                reporter_anonymous=bool(data.reporter_anonymous),
                created_by=actor_or_none(actor),
                source=data.source,
                external_id=data.external_id or None,
                source_fingerprint=fingerprint,
                lead_unit=proposal.lead_unit if proposal else None,
                received_at=received_at,
                response_due_at=due.response_due_at,
                handling_due_at=due.handling_due_at,
            )
            # Candidates before the number: the street's sequence row stays locked from
            # _next_number() to COMMIT, so everything that can run earlier does.
            candidates = suggest_for_new(case) if find_duplicates else None
            case.number = _next_number(street_id, loc.street.code, timezone.localtime(received_at).year)  # type: ignore[union-attr]
            try:
                with transaction.atomic():
                    case.save()
            except IntegrityError as exc:
                if (
                    data.external_id
                    and Case.objects.filter(source=data.source, external_id=data.external_id).exists()
                ):
                    raise Conflict(
                        f"外部编号 {data.external_id} 已导入", {"external_id": "duplicate"}
                    ) from exc
                raise
            created: dict[str, Any] = {
                "via": via,
                "routed_to": proposal.lead_unit.name if proposal else None,
                "co_units": [u.name for u in proposal.co_units] if proposal else [],
            }
            if candidates is not None:
                created["duplicate_candidates"] = [c.number for c in candidates]
            if suggestion is not None:
                created["intake"] = record_suggestion(case, suggestion, actor)
            notices = received_notices(case) if tell_reporter else []
            event = record_event(
                case,
                CaseAction.CREATE,
                actor,
                "",
                CaseStatus.NEW,
                note=CREATED_NOTE,
                note_params={"channel": case.channel},
                data=created,
                payload={"notify": notices} if notices else None,
            )
            save_photos(case, event, cleaned, PhotoStage.BEFORE, actor, stored)
            for action, params in then:
                case = run_action(case.pk, action, actor, params)
    except BaseException:
        stored.cleanup()
        raise
    return case


def record_suggestion(case: Case, suggestion: Any, actor: Any) -> dict[str, Any]:
    """The intake suggestion beside what the desk registered, in the registration's transaction
    (its CREATE event carries the returned summary): accepted when the desk kept both the
    category and the request type suggested. Corrections are training data (cases.intake.suggest)."""
    _row, summary = _record_suggestion(
        case,
        suggestion.category,
        suggestion.request_type,
        float(suggestion.confidence),
        suggestion.trained_at,
        actor,
    )
    return summary


def _record_suggestion(
    case: Case, suggested: Category | None, request_type: str, confidence: float, trained_at: str, actor: Any
) -> tuple[IntakeSuggestion, dict[str, Any]]:
    accepted = (
        suggested is not None and suggested.pk == case.category_id and request_type in ("", case.request_type)
    )
    row = IntakeSuggestion.objects.create(
        case=case,
        street_id=case.street_id,
        suggested_category=suggested,
        suggested_request_type=request_type,
        confidence=round(confidence, 4),
        final_category_id=case.category_id,
        final_request_type=case.request_type,
        accepted=accepted,
        by=actor_or_none(actor),
        model_trained_at=trained_at[:40],
    )
    summary = {
        "suggested": suggested.code if suggested else None,
        "request_type": request_type,
        "confidence": round(confidence, 4),
        "accepted": accepted,
    }
    return row, summary


def remember_hints(source: str, hints: Mapping[str, tuple[int, Any]]) -> None:
    """Keep the suggestion each imported row without a category got (external id → its street
    and the suggestion) until the row comes again with one; a row suggested again keeps the
    newest. A row whose case exists already (an update that lacked the category) registers no
    case when it comes again: nothing to keep. Bookkeeping for the training data, no event of
    its own (the import's job has it)."""
    registered = set(
        Case.objects.filter(source=source, external_id__in=list(hints)).values_list("external_id", flat=True)
    )
    hints = {external_id: hint for external_id, hint in hints.items() if external_id not in registered}
    if not hints:
        return
    with transaction.atomic():
        IntakeHint.objects.filter(source=source, external_id__in=list(hints)).delete()
        IntakeHint.objects.bulk_create(
            [
                IntakeHint(
                    source=source,
                    external_id=external_id,
                    street_id=street_id,
                    suggested_category=found.category,
                    suggested_request_type=found.request_type,
                    confidence=round(float(found.confidence), 4),
                    model_trained_at=found.trained_at[:40],
                )
                for external_id, (street_id, found) in hints.items()
            ]
        )


def record_hinted(source: str, created: Mapping[str, int], actor: Any) -> int:
    """Cases registered from rows that came before without a category (`created`: external id →
    case id): the suggestion they got then beside the category the desk filled in (an
    IntakeSuggestion — kept or corrected —, its event), the hint gone. Returns how many."""
    if not created:
        return 0
    with transaction.atomic():
        hints = list(
            IntakeHint.objects.select_for_update(of=("self",))
            .filter(source=source, external_id__in=list(created))
            .select_related("suggested_category")
        )
        cases = Case.objects.in_bulk([created[hint.external_id] for hint in hints])
        for hint in hints:
            case = cases[created[hint.external_id]]
            row, summary = _record_suggestion(
                case,
                hint.suggested_category,
                hint.suggested_request_type,
                hint.confidence,
                hint.model_trained_at,
                actor,
            )
            events.log(row, "record", actor_or_none(actor), payload={"case": case.number, **summary})
        IntakeHint.objects.filter(pk__in=[hint.pk for hint in hints]).delete()
    return len(hints)


def update_from_source(
    case: Case, data: CaseInput, fingerprint: str, actor: Any = None
) -> tuple[Case, list[str]]:
    """A re-sent 12345 row changed: update what the source owns and say what changed. An
    actor (who uploaded the file) may only update cases of their own streets."""
    # An order that no longer locates stays in its case's street, to be located.
    category, place = validate_input(data, lambda: PlaceRef.of(case.street))
    loc = place.location
    scope = user_scope(actor)
    if scope is not None and not scope.is_global and case.street_id not in scope.street_ids:
        raise InvalidInput("该工单不属于你管辖的街道，不能通过导入更新", {"external_id": "out_of_scope"})
    new = {
        "request_type": data.request_type,
        "category_id": category.pk,
        "description": data.description.strip(),
        "title": (data.title or data.description).strip()[:100],
        "address": (data.address or "").strip(),
        "reporter_name": (data.reporter_name or "").strip(),
        "reporter_phone": (data.reporter_phone or "").strip(),
        "received_at": data.received_at or case.received_at,
    }
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        # A place the desk has found (更正位置) is not undone by a row that locates nothing.
        if not (place.to_locate and locked.place_status == PlaceStatus.LOCATED):
            area_ids = place.area_ids()
            new.update(
                lon=place.lon,
                lat=place.lat,
                building_id=place.building.pk if place.building else None,
                residential_area_id=area_ids["residential_area_id"],
                grid_id=area_ids["grid_id"],
                place_status=place.place_status,
                grid_conflict=place.grid_conflict,
            )
        changed = [name for name, value in new.items() if getattr(locked, name) != value]
        if not changed:
            if locked.source_fingerprint != fingerprint:
                Case.objects.filter(pk=locked.pk).update(source_fingerprint=fingerprint)
            return locked, []
        if loc.street and loc.street.id != locked.street_id:
            raise InvalidInput("更新后的地址属于另一个街道，请人工处理", {"address": "street_changed"})
        for name in changed:
            setattr(locked, name, new[name])
        locked.source_fingerprint = fingerprint
        if {"received_at", "category_id", "request_type"} & set(changed):
            due = deadlines.compute(
                locked.received_at, locked.request_type, category, locked.urgency, locked.street_id
            )
            locked.response_due_at, locked.handling_due_at = due.response_due_at, due.handling_due_at
        locked.version += 1
        locked.save()
        record_event(
            locked,
            CaseAction.UPDATE,
            actor,
            locked.status,
            locked.status,
            note=gettext_noop("来源数据更新：%(fields)s"),
            note_params={"fields": changed},  # shown by their labels (cases.apps)
            data={"fields": changed},
        )
    return locked, changed
