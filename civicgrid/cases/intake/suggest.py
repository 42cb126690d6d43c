"""Intake suggestions (智能派单) per street: each street's model is a file in
settings.CIVICGRID_INTAKE_MODEL_DIR named by the street's code, trained from the street's own
closed cases and the desk's corrections (`train_street`, run by the job `cases.train_intake`
or `manage.py train_intake --from-cases`). `suggest()` reads a complaint and answers the
category, request type, confidence, the address written in it and the unit the duty table
gives; with no model for the street it answers None, never an error.

Each process keeps the models it loaded, reloading a file when it changes (mtime)."""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from civicgrid.core import clock, profile
from civicgrid.core.address import extract_address
from civicgrid.core.querysets import user_scope
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.orgs.models import Unit

from ..actions import resolve_place
from ..choices import CaseStatus, RequestType
from ..models import Case, Category, IntakeSuggestion
from ..routing import route
from .model import Example, IntakeModel, ModelFileError, TrainingError, load, save, train

log = logging.getLogger(__name__)

MAX_CASES = 50_000  # the newest closed cases of a street
_lock = threading.Lock()
_loaded: dict[Path, tuple[int, IntakeModel]] = {}


def model_path(street: Area) -> Path:
    return Path(settings.CIVICGRID_INTAKE_MODEL_DIR) / f"{street.code}.joblib"


def street_model(street: Area) -> IntakeModel | None:
    """The street's model, None when it has none (or its file is unusable: logged)."""
    path = model_path(street)
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    with _lock:
        known = _loaded.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
    try:
        model = load(path)
    except ModelFileError:
        log.warning("intake model %s unusable", path, exc_info=True)
        return None
    with _lock:
        _loaded[path] = (stamp, model)
    return model


# ---------------------------------------------------------------------------- training


def case_text(title: str, description: str) -> str:
    """Title and description, the title once when it is the description's beginning."""
    title, description = (title or "").strip(), (description or "").strip()
    return description if description.startswith(title) else f"{title}\n{description}"


def case_examples(street_id: int) -> list[Example]:
    """The street's closed cases (category and request type as closed) and every case whose
    suggestion the desk corrected (as the desk registered it), the corrections counting twice."""
    corrected = {
        case_id: (code, kind)
        for case_id, code, kind in IntakeSuggestion.objects.filter(
            street_id=street_id, accepted=False
        ).values_list("case_id", "final_category__code", "final_request_type")
    }
    closed = (
        Case.objects.filter(street_id=street_id, status=CaseStatus.CLOSED)
        .exclude(pk__in=list(corrected))
        .order_by("-received_at")
        .values_list("title", "description", "category__code", "request_type")[:MAX_CASES]
    )
    examples = [Example(case_text(t, d), code, kind) for t, d, code, kind in closed]
    for case_id, title, description in Case.objects.filter(pk__in=list(corrected)).values_list(
        "pk", "title", "description"
    ):
        code, kind = corrected[case_id]
        examples.append(Example(case_text(title, description), code, kind, weight=2.0))
    return examples


def train_street(street: Area, output: str | Path | None = None) -> IntakeModel:
    """Train the street's model from its cases and save it (in place: where suggest() reads
    it, unless `output` says elsewhere); TrainingError when there are too few (the street
    profile's `cases.intake_min_cases`) or only one category."""
    examples = case_examples(street.pk)
    needed = profile.value("cases.intake_min_cases", street.pk)
    if len(examples) < needed:
        raise TrainingError(f"{street.name}只有 {len(examples)} 件可用于训练的工单，至少需要 {needed} 件")
    model = train(examples, info={"street": street.code, "trained_at": clock.now().isoformat()})
    save(model, output or model_path(street))
    return model


# ---------------------------------------------------------------------------- suggesting


@dataclass(frozen=True)
class Suggestion:
    category: Category | None  # None: the model's label is no active category
    request_type: str  # "" when the model has no request types
    confidence: float
    address: str  # as written in the text, normalised; "" when none
    unit: Unit | None  # the duty table's lead unit for the category at that address (or street)
    trained_at: str

    @property
    def request_type_label(self) -> str:
        return str(RequestType(self.request_type).label) if self.request_type else ""

    @property
    def percent(self) -> int:
        return round(self.confidence * 100)


def suggest(text: str, street: Area | None, *, address: str = "", unit: bool = True) -> Suggestion | None:
    """What the street's model makes of `text`, None without a street, a model or a text.
    `address`: the one the desk typed, else the one found in the text, locates the unit
    (not looked up when `unit` is False)."""
    if street is None or not (text or "").strip():
        return None
    model = street_model(street)
    if model is None:
        return None
    (prediction,) = model.predict([text])
    category = Category.objects.filter(code=prediction.label, is_active=True).select_related("parent").first()
    found = extract_address(text)
    return Suggestion(
        category=category,
        request_type=prediction.request_type if prediction.request_type in RequestType.values else "",
        confidence=prediction.confidence,
        address=found,
        unit=_unit(category, street, address or found) if unit else None,
        trained_at=str(model.info.get("trained_at", "")),
    )


def hint(text: str, street: Area | None, allowed: Callable[[Category], bool] = lambda c: True) -> str:
    """For a sender that left the category out (an API client, Open311, a 12345 row): the
    confident suggestion as words to add to the error, "" without one or when the sender may
    not choose it (`allowed`: Open311 offers no private category)."""
    return describe(offered(text, street, allowed))


def offered(
    text: str, street: Area | None, allowed: Callable[[Category], bool] = lambda c: True
) -> Suggestion | None:
    """The suggestion a sender without a category is offered: a confident one it may choose."""
    found = suggest(text, street, unit=False)
    if found is None or found.category is None or not confident(found, street.pk if street else None):
        return None
    return found if allowed(found.category) else None


def describe(found: Suggestion | None) -> str:
    if found is None or found.category is None:
        return ""
    category = found.category
    return f"建议：{category.code} {category.name}（置信度 {found.percent}%）"


def street_for(user: Any, address: str = "", text: str = "") -> Area | None:
    """Whose model reads a text the user types: their only street, else the street of the
    address typed or, none typed, of the address written in the text (one of theirs)."""
    scope = user_scope(user)
    if scope is None:
        return None
    if len(scope.street_ids) == 1 and not scope.is_global:
        return Area.objects.filter(pk=next(iter(scope.street_ids))).first()
    written = address or extract_address(text or "")
    street = resolve_place(None, None, written).location.street if written else None
    if street is None or not (scope.is_global or street.id in scope.street_ids):
        return None
    return Area.objects.filter(pk=street.id).first()


def for_desk(user: Any, text: str, address: str = "") -> tuple[Suggestion | None, Area | None]:
    """The suggestion for a text the user types, and the street whose model made it. A desk of
    several streets whose text names no place of theirs gets the most confident answer of its
    streets' models, without a unit: the duty table needs the street, which is still a guess."""
    street = street_for(user, address, text)
    if street is not None:
        return suggest(text, street, address=address), street
    best: tuple[Suggestion | None, Area | None] = (None, None)
    for candidate in _desk_streets(user):
        found = suggest(text, candidate, unit=False)
        if found is not None and (best[0] is None or found.confidence > best[0].confidence):
            best = (found, candidate)
    return best


def _desk_streets(user: Any) -> list[Area]:
    """The user's streets that have a model (every street's, for a user of the whole city)."""
    scope = user_scope(user)
    if scope is None:
        return []
    streets = Area.objects.filter(kind=AreaKind.STREET).order_by("code")
    if not scope.is_global:
        streets = streets.filter(pk__in=scope.street_ids)
    return [street for street in streets if model_path(street).exists()]


def _unit(category: Category | None, street: Area, address: str) -> Unit | None:
    if category is None:
        return None
    areas: list[Any] = [street]
    if address:
        location = resolve_place(None, None, address).location
        if location.street is not None and location.street.id == street.pk:
            areas = [location.grid, location.residential_area, location.street]
    proposal = route(category, areas)
    return proposal.lead_unit if proposal else None


def confident(suggestion: Suggestion | None, street_id: int | None) -> bool:
    """Whether the category is worth showing (the profile's `cases.intake_min_confidence`)."""
    return bool(
        suggestion
        and suggestion.category
        and suggestion.confidence >= profile.value("cases.intake_min_confidence", street_id)
    )


__all__ = [
    "Suggestion",
    "TrainingError",
    "case_examples",
    "confident",
    "for_desk",
    "hint",
    "model_path",
    "street_for",
    "street_model",
    "suggest",
    "train_street",
]
