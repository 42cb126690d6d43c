"""Typed parameters of an action: one declaration feeds the web form, the API request schema
and the validation (`clean_params`), so the three never disagree.

A `Param` names its kind (text, number, yes/no, choice, a reference to a row, files…), its
label, whether it is required, and what the kind needs (choices, bounds, the rows a user may
pick from, a resolver for references such as a case number, a cleaner for uploaded files).
"""

import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import InvalidInput
from .inputs import date_problem
from .widgets import SearchableSelectMultiple


class Kind(enum.StrEnum):
    TEXT = "text"  # one line
    LONGTEXT = "longtext"  # a textarea
    INT = "int"
    FLOAT = "float"  # a decimal number with bounds (a coordinate, a position the browser measured)
    BOOL = "bool"
    CHOICE = "choice"
    REF = "ref"  # one row, by id, from `queryset(user)`
    REFS = "refs"  # several rows, by id
    FILES = "files"  # uploaded files, cleaned one by one by `cleaner`
    DATE = "date"  # a day, YYYY-MM-DD, within core.inputs' bounds
    DATETIME = "datetime"  # a moment, YYYY-MM-DDTHH:MM in local time (or with an offset)


EMPTY: tuple[Any, ...] = (None, "", [], ())
FALSE_WORDS = (False, "false", "False", "0", 0, "no", "off", "")


@dataclass(frozen=True)
class Param:
    name: str
    label: Any
    kind: Kind = Kind.TEXT
    required: bool = False
    # The message when a required value is missing (default: "请填写<label>").
    required_message: str = ""
    help: Any = ""
    placeholder: Any = ""
    max_length: int | None = None
    # CHOICE: a TextChoices class (a named enum in the API), or a callable giving
    # (value, label) pairs / optgroups for the form (a plain string in the API).
    choices: type[models.TextChoices] | Callable[[], list[Any]] | None = None
    # CHOICE: how the form lists the empty choice of an optional select.
    blank_label: Any = "—"
    # INT/FLOAT: bounds; `max_value` may depend on the object (a street's own limit).
    min_value: float | None = None
    max_value: int | Callable[[Any], int] | None = None
    range_message: str = ""  # "%(min)s", "%(max)s" are filled in
    # BOOL: labels of a yes/no radio (else a checkbox).
    yes_no: tuple[Any, Any] | None = None
    default: Any = None
    # REF/REFS: the rows the acting user may pick.
    queryset: Callable[[Any], models.QuerySet[Any]] | None = None
    # A value looked up rather than taken as it is (a case number, a category code):
    # (value, user) -> the row, raising InvalidInput.
    resolve: Callable[[Any, Any], Any] | None = None
    # FILES: one uploaded file -> its cleaned form (raises InvalidInput for a bad file).
    cleaner: Callable[[Any], Any] | None = None
    # The form's initial value from the object and the user.
    initial: Callable[[Any, Any], Any] | None = None
    textarea_rows: int = 2
    # The form's widget when the kind's default does not fit (a long grouped choice list).
    widget: Callable[[], forms.Widget] | None = None
    # The form carries it in a hidden input that the page fills (a GPS position, a scanned code).
    hidden: bool = False

    # -------------------------------------------------------------- validation

    def bound(self, value: int | Callable[[Any], int] | None, obj: Any) -> int | None:
        return value(obj) if callable(value) else value

    def missing(self) -> InvalidInput:
        return InvalidInput(self.required_message or f"请填写{self.label}", {self.name: "required"})

    def clean(self, value: Any, user: Any, obj: Any = None) -> Any:
        """The value converted and checked; InvalidInput names this parameter when it is wrong."""
        if self.kind is Kind.BOOL:
            return self.default if value is None else value not in FALSE_WORDS
        if value in EMPTY:
            if self.required:
                raise self.missing()
            if self.kind is Kind.FILES or (self.kind is Kind.REFS and value is not None):
                return []  # an empty list means "none"; an absent one keeps the default ("not chosen")
            if self.default is None and self.kind in (Kind.TEXT, Kind.LONGTEXT, Kind.CHOICE):
                return ""
            return self.default
        if self.resolve is not None:
            return self.resolve(value, user)
        handler = getattr(self, f"_clean_{self.kind.value}")
        return handler(value, user, obj)

    def _clean_text(self, value: Any, user: Any, obj: Any) -> Any:
        text = str(value).strip()
        if not text and self.required:
            raise self.missing()
        if self.max_length is not None and len(text) > self.max_length:
            raise InvalidInput(f"{self.label}不能超过 {self.max_length} 个字", {self.name: "too_long"})
        return text

    _clean_longtext = _clean_text

    def _clean_int(self, value: Any, user: Any, obj: Any) -> int:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise (
                self.missing()
                if self.required
                else InvalidInput(f"{self.label}须为整数", {self.name: "invalid"})
            ) from None
        self._check_range(number, obj)
        return number

    def _check_range(self, number: float, obj: Any) -> None:
        low, high = self.min_value, self.bound(self.max_value, obj)
        # `number != number`: NaN, which no bound would refuse.
        if number != number or (low is not None and number < low) or (high is not None and number > high):
            message = (self.range_message or f"{self.label}须在 %(min)s–%(max)s 之间") % {
                "min": low,
                "max": high,
            }
            raise InvalidInput(message, {self.name: "out_of_range"})

    def _clean_float(self, value: Any, user: Any, obj: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number):
            raise InvalidInput(f"{self.label}须为数字", {self.name: "invalid"})
        self._check_range(number, obj)
        return number

    def _clean_datetime(self, value: Any, user: Any, obj: Any) -> datetime:
        if not isinstance(value, datetime):
            try:
                value = datetime.fromisoformat(str(value).strip())
            except ValueError:
                raise InvalidInput(
                    f"{self.label}须为日期时间（YYYY-MM-DDTHH:MM）", {self.name: "invalid"}
                ) from None
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        if date_problem(timezone.localtime(value).date()):
            raise InvalidInput(f"{self.label}超出可接受的日期范围", {self.name: "out_of_range"})
        return value

    def _clean_date(self, value: Any, user: Any, obj: Any) -> date:
        if isinstance(value, datetime):
            value = value.date()
        if not isinstance(value, date):
            try:
                value = date.fromisoformat(str(value).strip())
            except ValueError:
                raise InvalidInput(f"{self.label}须为日期（YYYY-MM-DD）", {self.name: "invalid"}) from None
        if date_problem(value):
            raise InvalidInput(f"{self.label}超出可接受的日期范围", {self.name: "out_of_range"})
        return value

    @property
    def enum(self) -> type[models.TextChoices] | None:
        """The choices when they are a named enum (a named schema in the API)."""
        return cast(type[models.TextChoices], self.choices) if isinstance(self.choices, type) else None

    def listed_choices(self) -> list[Any]:
        """Choices given by a callable: (value, label) pairs, or (group, pairs) optgroups."""
        if self.choices is None or self.enum is not None:
            return []
        return cast(Callable[[], list[Any]], self.choices)()

    def choice_values(self) -> list[str]:
        if self.enum is not None:
            return list(self.enum.values)
        flat: list[str] = []
        for value, label in self.listed_choices():
            flat.extend(v for v, _ in label) if isinstance(label, list | tuple) else flat.append(value)
        return [v for v in flat if v]

    def _clean_choice(self, value: Any, user: Any, obj: Any) -> str:
        if self.enum is not None:
            if value not in self.enum.values:
                allowed = "、".join(f"{v}（{lbl}）" for v, lbl in self.enum.choices)
                raise InvalidInput(
                    f"{self.label}“{value}”无效，可选：{allowed}", {self.name: "invalid_choice"}
                )
        elif str(value) not in self.choice_values():
            raise InvalidInput(f"{self.label}“{value}”无效", {self.name: "invalid_choice"})
        return str(value)

    def _rows(self, user: Any) -> models.QuerySet[Any]:
        assert self.queryset is not None, f"{self.name}: a reference needs a queryset"
        return self.queryset(user)

    def _clean_ref(self, value: Any, user: Any, obj: Any) -> Any:
        pk = _as_id(value)
        row = self._rows(user).filter(pk=pk).first() if pk is not None else None
        if row is None:
            raise InvalidInput(f"{self.label} {value} 不存在或不可选", {self.name: "unknown"})
        return row

    def _clean_refs(self, value: Any, user: Any, obj: Any) -> list[Any]:
        values = value if isinstance(value, list | tuple) else [value]
        ids = [_as_id(v) for v in values]
        rows = list(self._rows(user).filter(pk__in=[i for i in ids if i is not None]))
        missing = sorted({str(v) for v, i in zip(values, ids, strict=True) if i not in {r.pk for r in rows}})
        if missing:
            raise InvalidInput(f"{self.label} {missing} 不存在或不可选", {self.name: "unknown"})
        return rows

    def _clean_files(self, value: Any, user: Any, obj: Any) -> list[Any]:
        files = value if isinstance(value, list | tuple) else [value]
        return [self.cleaner(f) if self.cleaner else f for f in files]

    # -------------------------------------------------------------- the web form

    def form_field(self, obj: Any, user: Any) -> forms.Field:
        common: dict[str, Any] = {"label": self.label, "required": self.required, "help_text": self.help}
        if self.default is not None and self.kind is not Kind.BOOL:
            common["initial"] = self.default
        if self.kind in (Kind.TEXT, Kind.LONGTEXT):
            attrs = {"placeholder": self.placeholder} if self.placeholder else {}
            widget = (
                forms.Textarea(attrs={"rows": self.textarea_rows, **attrs})
                if self.kind is Kind.LONGTEXT
                else forms.HiddenInput()
                if self.hidden
                else forms.TextInput(attrs=attrs)
            )
            return forms.CharField(max_length=self.max_length, widget=widget, **common)
        if self.kind is Kind.INT:
            high = self.bound(self.max_value, obj)
            low = None if self.min_value is None else int(self.min_value)
            field = forms.IntegerField(min_value=low, max_value=high, **common)
            return field
        if self.kind is Kind.FLOAT:
            return forms.FloatField(
                min_value=self.min_value,
                max_value=self.bound(self.max_value, obj),
                widget=forms.HiddenInput if self.hidden else forms.NumberInput(attrs={"step": "any"}),
                **common,
            )
        if self.kind is Kind.DATE:
            return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        if self.kind is Kind.DATETIME:
            moment = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
            return forms.DateTimeField(widget=moment, **common)
        if self.kind is Kind.BOOL:
            if self.yes_no is None:
                return forms.BooleanField(label=self.label, required=False, help_text=self.help)
            return forms.TypedChoiceField(
                choices=[("1", self.yes_no[0]), ("0", self.yes_no[1])],
                coerce=lambda v: v == "1",
                initial="1" if self.default else "0",
                widget=forms.RadioSelect,
                label=self.label,
                help_text=self.help,
            )
        if self.kind is Kind.CHOICE:
            if self.enum is not None:
                options: list[Any] = list(self.enum.choices)
                if not self.required and self.default is None:
                    options = [("", self.blank_label), *options]
            else:
                options = self.listed_choices()
            if self.widget is not None:
                common["widget"] = self.widget()
            return forms.ChoiceField(choices=options, **common)
        if self.kind is Kind.REF:
            # Django's own blank ("- Select an option -") has no Chinese in its catalogue.
            return forms.ModelChoiceField(queryset=self._rows(user), empty_label=_("请选择"), **common)
        if self.kind is Kind.REFS:
            # Ticked in a searchable list (core.widgets), not Ctrl-clicked.
            picker = self.widget() if self.widget is not None else SearchableSelectMultiple()
            return forms.ModelMultipleChoiceField(queryset=self._rows(user), widget=picker, **common)
        return MultipleFileField(**common)

    def form_value(self, value: Any) -> Any:
        """A cleaned form value as the action takes it (rows by id)."""
        if isinstance(value, models.Model):
            return value.pk
        if self.kind is Kind.REFS:
            return [v.pk if isinstance(v, models.Model) else v for v in value]
        return value


def _as_id(value: Any) -> int | None:
    if isinstance(value, models.Model):
        return value.pk
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def clean_params(
    params: tuple[Param, ...], raw: Mapping[str, Any], user: Any, *, action_label: str, obj: Any = None
) -> dict[str, Any]:
    """Every declared parameter checked and converted; unknown names are an error listing the known ones."""
    known = {p.name for p in params}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InvalidInput(
            f"操作“{action_label}”不接受参数：{', '.join(unknown)}（可用：{', '.join(sorted(known))}）",
            dict.fromkeys(unknown, "unknown"),
        )
    return {p.name: p.clean(raw.get(p.name), user, obj) for p in params}


# ------------------------------------------------------------------ files in forms


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files (photos) in one input; their content is checked by the parameter's cleaner."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/*", "multiple": True, "class": "photo-input"})
        )
        kwargs["required"] = False
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files]
