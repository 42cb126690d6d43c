"""Per-street policy (FixMyStreet's cobrands are the model): one registry of the settings a
street sets for itself, each with a city default that a district may change and a street may
override in turn.

Each app declares its settings in its own `profile_settings.py` (found by
`autodiscover_modules` when core is ready), e.g.

    define("cases.callback_working_days", Int(1, 30), 3, _("回访期限（工作日）"))

and reads them for a street as

    profile.for_area(case.street_id)["cases.callback_working_days"]

The rows that hold districts' and streets' overrides belong to the `profiles` app (core may
not import areas); it plugs its loader in with `use_store()` and calls `changed()` when a row
is written. Resolved profiles are cached per process and dropped on a change here at once,
in other processes within a second (a version number in the shared cache, as for the
spatial index and the holiday table).
"""

import abc
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from asgiref.local import Local
from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template import Context, Engine, TemplateSyntaxError, Variable
from django.template.base import Node, TextNode, VariableNode
from django.template.defaulttags import IfNode
from django.utils.translation import gettext_lazy as _

from .versions import SharedVersion

VERSION_KEY = "civicgrid:profile-version"
VERSION_CHECK_SECONDS = 1.0

# The layers of a profile, most specific first; "city" is the declared default.
STREET, DISTRICT, CITY = "street", "district", "city"
LAYER_LABELS = {STREET: _("街道"), DISTRICT: _("区"), CITY: _("全市默认")}


# --- kinds: how a setting is validated and edited --------------------------------------


class Kind(abc.ABC):
    """How a setting's value is checked (`clean`, raising ValidationError with a message
    that the page puts on the field) and edited (`form_fields`: empty means "inherit")."""

    @abc.abstractmethod
    def clean(self, value: Any) -> Any: ...

    @abc.abstractmethod
    def form_fields(self, label: Any, help_text: Any) -> dict[str, forms.Field]:
        """The page's fields for this setting by suffix of the key ("" for one field)."""

    def initial(self, value: Any) -> Any:
        """A stored value as its form field shows it."""
        return value

    def show(self, value: Any) -> str:
        return str(value)


class OneField(Kind):
    """A setting edited in one form field."""

    @abc.abstractmethod
    def form_field(self, label: Any, help_text: Any) -> forms.Field: ...

    def form_fields(self, label: Any, help_text: Any) -> dict[str, forms.Field]:
        return {"": self.form_field(label, help_text)}


@dataclass(frozen=True)
class Int(OneField):
    minimum: int | None = None
    maximum: int | None = None

    def clean(self, value: Any) -> int:
        if isinstance(value, bool):
            raise ValidationError(_("请填写整数"))
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            raise ValidationError(_("请填写整数")) from None
        _check_range(number, self.minimum, self.maximum)
        return number

    def form_field(self, label: Any, help_text: Any) -> forms.Field:
        return forms.IntegerField(
            label=label, help_text=help_text, required=False, min_value=self.minimum, max_value=self.maximum
        )


@dataclass(frozen=True)
class Float(OneField):
    minimum: float | None = None
    maximum: float | None = None

    def clean(self, value: Any) -> float:
        if isinstance(value, bool):
            raise ValidationError(_("请填写数字"))
        try:
            number = float(str(value).strip())
        except (TypeError, ValueError):
            raise ValidationError(_("请填写数字")) from None
        if number != number:  # NaN
            raise ValidationError(_("请填写数字"))
        _check_range(number, self.minimum, self.maximum)
        return number

    def form_field(self, label: Any, help_text: Any) -> forms.Field:
        return forms.FloatField(
            label=label, help_text=help_text, required=False, min_value=self.minimum, max_value=self.maximum
        )


@dataclass(frozen=True)
class Bool(OneField):
    def clean(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes"}:
            return True
        if text in {"0", "false", "no"}:
            return False
        raise ValidationError(_("请选择是或否"))

    def form_field(self, label: Any, help_text: Any) -> forms.Field:
        choices = [("", _("沿用默认")), ("1", _("是")), ("0", _("否"))]
        return forms.TypedChoiceField(
            label=label, help_text=help_text, required=False, choices=choices, coerce=self.clean
        )

    def initial(self, value: Any) -> Any:
        return None if value is None else ("1" if value else "0")

    def show(self, value: Any) -> str:
        return str(_("是") if value else _("否"))


@dataclass(frozen=True)
class Choice(OneField):
    choices: tuple[tuple[str, Any], ...] = ()

    def clean(self, value: Any) -> str:
        if str(value) not in {key for key, _label in self.choices}:
            raise ValidationError(_("不是可选的值：%(value)s"), params={"value": value})
        return str(value)

    def form_field(self, label: Any, help_text: Any) -> forms.Field:
        return forms.ChoiceField(
            label=label, help_text=help_text, required=False, choices=[("", _("沿用默认")), *self.choices]
        )

    def show(self, value: Any) -> str:
        return str(dict(self.choices).get(value, value))


@dataclass(frozen=True)
class Codes(OneField):
    """A list of codes (e.g. category codes), given as text separated by commas or spaces;
    `known` (from the declaring app) says which codes exist."""

    known: Callable[[], Iterable[str]] = field(default=lambda: ())

    def clean(self, value: Any) -> list[str]:
        items = value.replace("，", ",").replace(",", " ").split() if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(c, str) for c in items):
            raise ValidationError(_("请填写编码，以逗号分隔"))
        codes = list(dict.fromkeys(c.strip().upper() for c in items if c.strip()))
        unknown = sorted(set(codes) - set(self.known()))
        if unknown:
            raise ValidationError(_("不存在的编码：%(codes)s"), params={"codes": "、".join(unknown)})
        return codes

    def form_field(self, label: Any, help_text: Any) -> forms.Field:
        return forms.CharField(
            label=label,
            help_text=help_text,
            required=False,
            max_length=2000,
            widget=forms.Textarea({"rows": 2}),
        )

    def initial(self, value: Any) -> Any:
        return None if value is None else self.show(value)

    def show(self, value: Any) -> str:
        return ", ".join(value)


@dataclass(frozen=True)
class Limits(Kind):
    """Whole numbers per named part (e.g. working days per request type). Parts override one
    by one: a street that sets only "complaint" keeps the district's or city's others."""

    parts: tuple[tuple[str, Any], ...] = ()
    minimum: int | None = None
    maximum: int | None = None

    def clean(self, value: Any) -> dict[str, int]:
        if not isinstance(value, Mapping):
            raise ValidationError(_("格式不正确"))
        unknown = set(value) - {key for key, _label in self.parts}
        if unknown:
            raise ValidationError(
                _("未知的项：%(keys)s"), params={"keys": "、".join(sorted(map(str, unknown)))}
            )
        part = Int(self.minimum, self.maximum)
        return {key: part.clean(value[key]) for key, _label in self.parts if key in value}

    def form_fields(self, label: Any, help_text: Any) -> dict[str, forms.Field]:
        part = Int(self.minimum, self.maximum)
        return {key: part.form_field(part_label, "") for key, part_label in self.parts}

    def show(self, value: Any) -> str:
        labels = dict(self.parts)
        return "，".join(f"{labels[key]} {value[key]}" for key, _label in self.parts if key in value)


# A message template may use its variables, filters and {% if %}: nothing that reads other
# templates or loads code, so what passed the check on save renders at send time.
TEMPLATE_TAGS = frozenset({"IfNode", "TextNode", "VariableNode"})
_template_engine = Engine(autoescape=False)


@dataclass(frozen=True)
class Template(OneField):
    """A message template in Django's syntax over `variables` (plain text, no escaping);
    `max_length` bounds the text typed. A bad template is a form error, never one at send time."""

    variables: tuple[str, ...] = ()
    max_length: int = 2000

    def clean(self, value: Any) -> str:
        text = str(value or "").replace("\r\n", "\n").strip()
        if not text:
            raise ValidationError(_("模板不能为空"))
        if len(text) > self.max_length:
            raise ValidationError(_("不能超过 %(n)s 个字"), params={"n": self.max_length})
        try:
            compiled = _template_engine.from_string(text)
        except TemplateSyntaxError as exc:
            raise ValidationError(_("模板语法错误：%(error)s"), params={"error": exc}) from None
        for node in compiled.nodelist.get_nodes_by_type(Node):
            if type(node).__name__ not in TEMPLATE_TAGS:
                raise ValidationError(_("模板中只能使用变量和 if 标签"))
            if isinstance(node, TextNode) and ("{{" in node.s or "{%" in node.s):
                raise ValidationError(_("模板语法错误：有未闭合的 {{ 或 {%"))
        unknown = sorted(set(_variables_of(compiled.nodelist)) - set(self.variables))
        if unknown:
            raise ValidationError(
                _("未知的变量：%(names)s（可用：%(known)s）"),
                params={"names": "、".join(unknown), "known": "、".join(self.variables)},
            )
        try:
            compiled.render(Context(dict.fromkeys(self.variables, "")))
        except Exception as exc:  # a filter that fails on text: the street must know now
            raise ValidationError(_("模板无法生成：%(error)s"), params={"error": exc}) from None
        return text

    def render(self, text: str, context: dict[str, Any]) -> str:
        return _template_engine.from_string(str(text)).render(Context(context)).strip()

    def form_field(self, label: Any, help_text: Any) -> forms.Field:
        return forms.CharField(
            label=label,
            help_text=help_text,
            required=False,
            max_length=self.max_length,
            widget=forms.Textarea({"rows": 3}),
        )


def _variables_of(nodelist: Any) -> Iterable[str]:
    """The first name of every variable a template reads ({{ a.b }} and {% if a %} read "a")."""
    for node in nodelist.get_nodes_by_type(VariableNode):
        var = node.filter_expression.var
        if isinstance(var, Variable) and var.lookups:
            yield var.lookups[0]
    for node in nodelist.get_nodes_by_type(IfNode):
        for condition, _nodes in node.conditions_nodelists:
            yield from _condition_names(condition)


def _condition_names(condition: Any) -> Iterable[str]:
    if condition is None:
        return
    value = getattr(condition, "value", None)
    if value is not None:  # a leaf: a FilterExpression
        var = value.var
        if isinstance(var, Variable) and var.lookups:
            yield var.lookups[0]
        return
    for part in (getattr(condition, "first", None), getattr(condition, "second", None)):
        yield from _condition_names(part)


def _check_range(number: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and number < minimum:
        raise ValidationError(_("不能小于 %(n)s"), params={"n": minimum})
    if maximum is not None and number > maximum:
        raise ValidationError(_("不能大于 %(n)s"), params={"n": maximum})


# --- the registry ----------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    key: str  # "<app>.<name>"
    kind: Kind
    # The city default, or a function returning it (read when asked, so settings taken from
    # the environment and overridden in tests still count).
    default: Any
    label: Any
    help: Any = ""

    @property
    def app(self) -> str:
        return self.key.split(".", 1)[0]

    def city_default(self) -> Any:
        return self.default() if callable(self.default) else self.default

    def clean(self, value: Any) -> Any:
        return self.kind.clean(value)


_registry: dict[str, Setting] = {}


class UnknownSetting(KeyError):
    pass


def define(key: str, kind: Kind, default: Any, label: Any, help: Any = "") -> Setting:
    """Declare a setting once; declaring the same key again with another kind is an error."""
    if "." not in key:
        raise ValueError(f"profile setting {key!r} must be named '<app>.<name>'")
    setting = Setting(key, kind, default, label, help)
    known = _registry.get(key)
    if known is not None and known.kind != kind:
        raise ValueError(f"profile setting {key!r} is already defined as {known.kind!r}")
    _registry[key] = setting
    return setting


def get(key: str) -> Setting:
    try:
        return _registry[key]
    except KeyError:
        raise UnknownSetting(
            f"no profile setting {key!r} is defined (see <app>/profile_settings.py)"
        ) from None


def all_settings() -> list[Setting]:
    return [_registry[key] for key in sorted(_registry)]


# --- resolution ------------------------------------------------------------------------

Layers = Sequence[tuple[str, Mapping[str, Any]]]


class Profile:
    """The settings of one area: its own overrides, then those above it, then the city
    default. `profile[key]` is the value in force, `source(key)` the layer it comes from."""

    def __init__(self, layers: Layers) -> None:
        self.layers = tuple((name, dict(values)) for name, values in layers)
        self._values: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key not in self._values:
            self._values[key] = _resolve(get(key), self.layers)
        return self._values[key]

    @property
    def own(self) -> dict[str, Any]:
        """What the most specific layer (the street itself) overrides."""
        return self.layers[0][1] if self.layers else {}

    @property
    def parent(self) -> "Profile":
        """The profile without the most specific layer: what "use the default" gives."""
        return Profile(self.layers[1:])

    def source(self, key: str) -> str:
        """The layer the value in force comes from (for Limits: the most specific one that
        sets any part)."""
        return next((name for name, values in self.layers if key in values), CITY)


def _resolve(setting: Setting, layers: Layers) -> Any:
    if isinstance(setting.kind, Limits):
        merged = dict(setting.city_default())
        for _name, values in reversed(layers):
            merged.update(values.get(setting.key, {}))
        return merged
    return next(
        (values[setting.key] for _name, values in layers if setting.key in values), setting.city_default()
    )


Loader = Callable[[int], Layers]
_loader: Loader | None = None
_lock = threading.Lock()
_cache: dict[int, Profile] = {}
_version = SharedVersion(VERSION_KEY)
# Set while this thread has changed profiles in a transaction that has not committed yet:
# reads go to the database (the transaction sees its own rows) and are never cached, so a
# rollback cannot leave values in the cache that do not exist.
_local = Local()


def use_store(loader: Loader) -> None:
    """Where the overrides come from: `loader(area_id)` returns the layers of that area,
    most specific first (the profiles app plugs itself in when it is ready)."""
    global _loader
    _loader = loader
    with _lock:
        _cache.clear()


def for_area(area_id: int | None) -> Profile:
    """The profile of a street (or a district); None gives the city default."""
    if area_id is None or _loader is None:
        return Profile(())
    if getattr(_local, "dirty", False):
        if transaction.get_connection().in_atomic_block:
            return Profile(_loader(area_id))
        _local.dirty = False  # the transaction ended without committing
    _sync_version()
    with _lock:
        found = _cache.get(area_id)
    if found is None:
        found = Profile(_loader(area_id))
        with _lock:
            _cache[area_id] = found
    return found


def value(key: str, area_id: int | None) -> Any:
    return for_area(area_id)[key]


def changed() -> None:
    """A district's or street's overrides were written (called by the writer)."""
    if transaction.get_connection().in_atomic_block:
        _local.dirty = True

    def committed() -> None:
        _local.dirty = False
        invalidate()

    # Runs at once outside a transaction, after the commit inside one.
    transaction.on_commit(committed)


def invalidate() -> None:
    """Drop this process's cached profiles and tell the other processes to drop theirs."""
    with _lock:
        _cache.clear()
    _version.bump()


def _sync_version() -> None:
    if _version.stale(VERSION_CHECK_SECONDS):
        with _lock:
            _cache.clear()
