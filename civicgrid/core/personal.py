"""Personal data at rest (docs/decisions/0007-personal-data.md).

A `PersonalDataField` column holds a Fernet token (`cryptography`'s MultiFernet over the keys
of CIVICGRID_FIELD_KEYS: the first encrypts, all decrypt), and its companion `SearchHashField`
the HMAC-SHA256 of the normalised value, so an exact search ("the case of 13912345678")
never decrypts the table. On a model instance the attribute is a `PersonalValue`: a str whose
text is the masked form, so every output (templates, API schemas, JSON, exports, the admin)
shows the mask by construction. The full value is read by a person only through
`privacy.reveal()` (logged); code that uses it without showing it (matching a phone, sending
a message) calls `unmasked()`, and every such call is a reviewed exception.

Declaring the two fields is the whole registration: `fields()` lists every personal column of
every installed model (reveals, the key rotation and the audit log read it from there).
"""

import base64
import functools
import hashlib
import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django import forms
from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Cast
from django.db.models.lookups import Exact, IsNull
from django.db.models.query_utils import DeferredAttribute


class Kind(models.TextChoices):
    """How a value is normalised for the search hash and masked for display."""

    PHONE = "phone", "电话"
    EMAIL = "email", "电子邮箱"
    TEXT = "text", "文本"
    ID_NUMBER = "id_number", "证件号码"


def normalise(kind: str, value: str) -> str:
    """What the search hash is taken over: a phone's digits (138-1234 5678 finds 13812345678),
    an e-mail in lower case, any other text stripped."""
    text = (value or "").strip()
    if kind == Kind.PHONE:
        return "".join(ch for ch in text if ch.isdigit())
    if kind == Kind.EMAIL:
        return text.lower()
    if kind == Kind.ID_NUMBER:
        # 31011519800101123x and 310115 19800101 123X are one document.
        return "".join(text.split()).upper()
    return text


def mask_phone(phone: str) -> str:
    """13800000000 → 138****0000: enough to recognise a number, not to call it."""
    digits = (phone or "").strip()
    if not digits:
        return ""
    if len(digits) <= 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_email(email: str) -> str:
    """wang.li@example.com → w***@example.com: the domain tells where, not who."""
    local, at, domain = (email or "").strip().partition("@")
    if not at:
        return mask_text(email)
    return f"{local[:1]}***@{domain}"


def mask_id_number(number: str) -> str:
    """310115198001011234 → 310***********1234: the region and the last four, as on a receipt."""
    text = "".join((number or "").split())
    if not text:
        return ""
    if len(text) <= 7:
        return "*" * len(text)
    return f"{text[:3]}{'*' * (len(text) - 7)}{text[-4:]}"


def mask_text(text: str) -> str:
    """A device id or free text: its first character, then stars."""
    text = (text or "").strip()
    return f"{text[:1]}***" if text else ""


MASKS: dict[str, Callable[[str], str]] = {
    Kind.PHONE: mask_phone,
    Kind.EMAIL: mask_email,
    Kind.TEXT: mask_text,
    Kind.ID_NUMBER: mask_id_number,
}


# ---------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class Keys:
    fernet: MultiFernet
    primary: Fernet
    hash_keys: tuple[bytes, ...]  # one per configured key, the primary's first


def _hash_key(key: bytes) -> bytes:
    # A key of its own for the hashes, derived from the Fernet key: one secret per slot to manage.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"civicgrid.personal.search").derive(
        key
    )


@functools.cache
def keys() -> Keys:
    configured = [k.strip() for k in settings.CIVICGRID_FIELD_KEYS if k.strip()]
    if not configured:
        raise ImproperlyConfigured("CIVICGRID_FIELD_KEYS is empty")
    try:
        fernets = [Fernet(k.encode()) for k in configured]
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"CIVICGRID_FIELD_KEYS: every key must be a Fernet key (32 url-safe base64 bytes): {exc}"
        ) from None
    raw = [base64.urlsafe_b64decode(k.encode()) for k in configured]
    return Keys(MultiFernet(fernets), fernets[0], tuple(_hash_key(r) for r in raw))


def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    if setting == "CIVICGRID_FIELD_KEYS":
        keys.cache_clear()


setting_changed.connect(_forget_keys, dispatch_uid="civicgrid-personal-keys")


def encrypt(text: str) -> str:
    return keys().primary.encrypt(text.encode()).decode() if text else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return keys().fernet.decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A personal-data column cannot be decrypted with any key of CIVICGRID_FIELD_KEYS "
            "(was a key dropped before `manage.py rotate_field_keys` finished?)"
        ) from None


def is_current(token: str) -> bool:
    """Whether `token` is already encrypted with the first key (the rotation skips it)."""
    try:
        keys().primary.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def digest(kind: str, value: str, key: bytes | None = None) -> str:
    """The search hash of `value` under `key` (the primary's by default); "" for nothing."""
    text = normalise(kind, value)
    if not text:
        return ""
    return hmac.new(key or keys().hash_keys[0], text.encode(), hashlib.sha256).hexdigest()


def digests(kind: str, value: str) -> list[str]:
    """The hash under every configured key: a search finds rows not yet rotated too."""
    return [d for d in (digest(kind, value, k) for k in keys().hash_keys) if d]


# ---------------------------------------------------------------------------- the value


class PersonalValue(str):
    """A personal value on a model instance. As a str it *is* the masked form (templates,
    JSON, schemas, spreadsheets print that); equality and hashing follow the full value, so
    code comparing values (has it changed?) stays right."""

    __slots__ = ("_plain", "kind")
    _plain: str
    kind: str

    def __new__(cls, plain: str, kind: str) -> "PersonalValue":
        obj = super().__new__(cls, MASKS[kind](plain))
        obj._plain = plain
        obj.kind = kind
        return obj

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        return (self._plain, self.kind)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PersonalValue):
            return self._plain == other._plain
        if isinstance(other, str):
            return self._plain == other
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self._plain)

    def __repr__(self) -> str:
        return f"PersonalValue({str.__str__(self)!r})"

    @property
    def masked(self) -> str:
        return str.__str__(self)


def unmasked(value: Any) -> str:
    """The full value, for code that uses it without showing it to anyone (matching a phone
    the 12345 file or the public status lookup gave). Output goes through privacy.reveal()."""
    if isinstance(value, PersonalValue):
        return value._plain
    return str(value or "")


class AuditMark(str):
    """What the audit log keeps of a personal field: a marker instead of the value (the row
    is JSON), compared by the value it stands for so that a change is still recorded."""

    __slots__ = ("_plain",)
    _plain: str
    TEXT = "[已加密]"

    def __new__(cls, value: Any) -> "AuditMark":
        plain = unmasked(value)
        obj = super().__new__(cls, cls.TEXT if plain else "")
        obj._plain = plain
        return obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AuditMark) and self._plain == other._plain

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self._plain)


# ---------------------------------------------------------------------------- the fields


class PersonalDescriptor(DeferredAttribute):
    """Wraps whatever is assigned in a PersonalValue, so even an unsaved instance prints
    the mask. A form posts back what it showed: assigning the current mask keeps the value
    (a mask is never a real number: it has stars in it)."""

    field: "PersonalDataField"

    def __set__(self, instance: models.Model, value: Any) -> None:
        name = self.field.attname
        current = instance.__dict__.get(name)
        if (
            isinstance(current, PersonalValue)
            and isinstance(value, str)
            and not isinstance(value, PersonalValue)
            and current._plain
            and value == current.masked
        ):
            return
        instance.__dict__[name] = self.field.wrap(value)


class PersonalDataField(models.TextField):
    """An encrypted personal value; `max_length` bounds the value typed, not the token;
    `capability` names who may have it revealed (privacy.reveal()). Needs a
    `SearchHashField(of=<this field>)` on the same model (a system check says so)."""

    descriptor_class = PersonalDescriptor

    def __init__(
        self, *args: Any, kind: str = Kind.TEXT, capability: str = "privacy.reveal_personal", **kwargs: Any
    ) -> None:
        self.kind = Kind(kind)
        # Who may have it revealed (core.capabilities); not in migrations: it is no schema.
        self.capability = capability
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind.value
        if kwargs.get("default") == "":
            del kwargs["default"]
        return name, path, args, kwargs

    def wrap(self, value: Any) -> PersonalValue:
        if isinstance(value, PersonalValue):
            return value
        return PersonalValue(str(value or "").strip(), self.kind)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> PersonalValue:
        # Wrapped here too: values() and values_list() build no instance.
        return self.wrap(decrypt(value or ""))

    def to_python(self, value: Any) -> Any:
        return self.wrap(value)

    def get_prep_value(self, value: Any) -> Any:
        return encrypt(unmasked(value))

    def value_to_string(self, obj: models.Model) -> str:
        # Serialised output (dumpdata, fixtures) carries the mask like every other output.
        return str(self.value_from_object(obj))

    def get_lookup(self, lookup_name: str) -> Any:
        # A token differs on every write: only "is it empty" can be asked of the column
        # itself; a value is searched through its hash (personal.matching()).
        return {"exact": _BlankOnly, "isnull": IsNull}.get(lookup_name)

    def formfield(self, **kwargs: Any) -> Any:
        return forms.CharField(
            label=self.verbose_name,
            required=not self.blank,
            max_length=self.max_length,
            help_text=self.help_text,
            **{k: v for k, v in kwargs.items() if k in {"initial", "label"}},
        )

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if not any(isinstance(f, SearchHashField) and f.of == self.name for f in self.model._meta.fields):
            errors.append(
                checks.Error(
                    f"{self.model._meta.label}.{self.name} has no SearchHashField(of={self.name!r})",
                    obj=self,
                    id="civicgrid.E701",
                )
            )
        return errors


class _BlankOnly(Exact):
    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None):
            raise FieldError(
                f"{self.lhs.target.name}: personal data is found by its hash (core.personal.matching)"
            )
        return ""


class SearchHashField(models.CharField):
    """The keyed hash of a PersonalDataField on the same model, filled on every save (a
    `save(update_fields=…)` that names the personal field must name this one too)."""

    def __init__(self, *args: Any, of: str, **kwargs: Any) -> None:
        self.of = of
        # db_default: rows inserted by code that predates the column (a rolling deploy, a
        # historical model in a migration) stay valid; the rotation fills their hash in.
        kwargs.update(max_length=64, blank=True, default="", db_default="", db_index=True, editable=False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        for key in ("max_length", "blank", "default", "db_default", "db_index", "editable"):
            kwargs.pop(key, None)
        kwargs["of"] = self.of
        return name, path, args, kwargs

    def source(self) -> PersonalDataField:
        field = self.model._meta.get_field(self.of)
        assert isinstance(field, PersonalDataField)
        return field

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = digest(self.source().kind, unmasked(getattr(model_instance, self.of)))
        setattr(model_instance, self.attname, value)
        return value


# ---------------------------------------------------------------------------- registry, search


@dataclass(frozen=True)
class Registered:
    model: type[models.Model]
    field: PersonalDataField
    hash_field: SearchHashField

    @property
    def key(self) -> str:
        """The name a reveal is logged under: "<app>.<model>.<field>"."""
        return f"{self.model._meta.label_lower}.{self.field.name}"

    @property
    def label(self) -> str:
        return f"{self.model._meta.verbose_name}·{self.field.verbose_name}"

    @property
    def capability(self) -> str:
        return self.field.capability


@dataclass(frozen=True)
class RedactedText:
    """A plain column whose text residents type personal data into (a case's description):
    shown through core.redact everywhere, its full text revealed like a personal field (the
    same reason, capability and log). Registered by its app (`register_redacted`)."""

    model: type[models.Model]
    name: str
    capability: str

    @property
    def key(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    @property
    def label(self) -> str:
        field = self.model._meta.get_field(self.name)
        return f"{self.model._meta.verbose_name}·{getattr(field, 'verbose_name', self.name)}"


_redacted: list[RedactedText] = []


def register_redacted(model: type[models.Model], name: str, capability: str) -> None:
    """Declare `model.name` as free text with personal data in it (an app's ready())."""
    entry = RedactedText(model._meta.concrete_model or model, name, capability)
    if entry not in _redacted:
        _redacted.append(entry)
        _by_key.cache_clear()


def fields() -> Iterator[Registered]:
    """Every personal column of every installed model."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, SearchHashField):
                yield Registered(model, field.source(), field)


@functools.cache
def _by_key() -> dict[str, Registered | RedactedText]:
    """Everything privacy.reveal() may hand out, by the name its reveals are logged under: the
    personal columns and the redacted texts. Built once (the models are fixed once loaded): a
    page of the reveal log labels every row through it."""
    entries: list[Registered | RedactedText] = [*fields(), *_redacted]
    return {entry.key: entry for entry in entries}


def revealable_of(model: type[models.Model], name: str) -> Registered | RedactedText:
    concrete = model._meta.concrete_model or model
    entry = _by_key().get(f"{concrete._meta.label_lower}.{name}")
    if entry is None:
        raise ValueError(f"{model._meta.label}.{name} is no personal field and no redacted text")
    return entry


def field_of(model: type[models.Model], name: str) -> Registered:
    entry = revealable_of(model, name)
    if not isinstance(entry, Registered):
        raise ValueError(f"{model._meta.label}.{name} is not a personal field")
    return entry


# Looks that are logged like reveals but hand out no field (a sensitive care tag seen on a
# page): their log key -> label, registered by the owning app (`register_look`).
_looks: dict[str, Any] = {}


def register_look(key: str, label: Any) -> None:
    _looks[key] = label


def label_of(key: str) -> str:
    entry = _by_key().get(key)
    if entry is not None:
        return entry.label
    return str(_looks.get(key, key))


def matching(model: type[models.Model], name: str, value: str, prefix: str = "") -> Q:
    """Rows whose `name` is exactly `value` (normalised), by its hash under every key;
    `prefix` reaches the field through a relation ("user__")."""
    entry = field_of(model, name)
    found = digests(entry.field.kind, value)
    if not found:
        return Q(pk__in=[])
    return Q(**{f"{prefix}{entry.hash_field.attname}__in": found})


def hash_fields(model: type[models.Model]) -> list[SearchHashField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, SearchHashField)]


def seal(row: dict[str, Any], fields: list[SearchHashField]) -> None:
    """Turn a row given as {attname: value} into what `save()` would write (tokens and
    hashes), for writers that build no instance (the COPY path of cases.bulk); `fields` is
    hash_fields() of its model."""
    for field in fields:
        plain = unmasked(row.get(field.of, ""))
        row[field.attname] = digest(field.source().kind, plain)
        row[field.of] = encrypt(plain)


# ---------------------------------------------------------------------------- key rotation


ROTATION_BATCH = 500


def rotate(
    batch: int = ROTATION_BATCH, progress: Callable[[str, int, int, int], None] | None = None
) -> dict[str, int]:
    """Re-encrypt and re-hash every personal column under the first key of
    CIVICGRID_FIELD_KEYS (`manage.py rotate_field_keys`). A row already on it is skipped, so
    the rotation can be stopped and run again; each batch is locked and written in its own
    transaction (a concurrent edit is never overwritten with an older value). `progress` gets
    (model label, rows seen, rows in all, rows rewritten); returns the rewritten per model."""
    by_model: dict[type[models.Model], list[Registered]] = {}
    for entry in fields():
        by_model.setdefault(entry.model, []).append(entry)
    rewritten: dict[str, int] = {}
    for model, entries in by_model.items():
        label = model._meta.label_lower
        manager = model._base_manager
        raw = {f"_raw_{e.field.attname}": Cast(e.field.attname, models.TextField()) for e in entries}
        names = [n for e in entries for n in (e.field.attname, e.hash_field.attname)]
        total, seen, rewritten[label], last = manager.count(), 0, 0, None
        while True:
            with transaction.atomic():
                rows = manager.order_by("pk").only("pk", *names).annotate(**raw).select_for_update()
                chunk = list((rows if last is None else rows.filter(pk__gt=last))[:batch])
                if not chunk:
                    break
                stale = [obj for obj in chunk if _refresh_hashes(obj, entries)]
                if stale:
                    manager.bulk_update(stale, names)
            last, seen, rewritten[label] = chunk[-1].pk, seen + len(chunk), rewritten[label] + len(stale)
            if progress:
                progress(label, seen, total, rewritten[label])
    return rewritten


def _refresh_hashes(obj: models.Model, entries: list[Registered]) -> bool:
    """Whether `obj` has a token or a hash not under the first key (then its hashes are
    recomputed here; bulk_update() encrypts the values under the first key)."""
    stale = False
    for e in entries:
        token = getattr(obj, f"_raw_{e.field.attname}") or ""
        fresh = digest(e.field.kind, unmasked(getattr(obj, e.field.attname)))
        if (token and not is_current(token)) or getattr(obj, e.hash_field.attname) != fresh:
            stale = True
    if stale:
        for e in entries:
            setattr(obj, e.hash_field.attname, digest(e.field.kind, unmasked(getattr(obj, e.field.attname))))
    return stale


# ---------------------------------------------------------------------------- migrations


MIGRATION_BATCH = 2000


def encrypt_in_place(app_label: str, model_name: str, name: str) -> Any:
    """The RunPython of a migration that turned a plain column into a PersonalDataField (and
    added its hash): encrypts the existing values and fills the hashes; backwards, writes the
    values back in clear. Raw SQL on the historical table, so no model code is involved."""
    from django.db import migrations

    def run(apps: Any, schema_editor: Any, forward: bool) -> None:
        model = apps.get_model(app_label, model_name)
        field = model._meta.get_field(name)
        hash_field = next(f for f in model._meta.fields if isinstance(f, SearchHashField) and f.of == name)
        connection = schema_editor.connection
        q = connection.ops.quote_name
        table, pk = q(model._meta.db_table), q(model._meta.pk.column)
        select = (
            f"SELECT {pk}, {q(field.column)} FROM {table} WHERE {pk} > %s AND {q(field.column)} <> '' "
            f"ORDER BY {pk} LIMIT {MIGRATION_BATCH}"
        )
        update = f"UPDATE {table} SET {q(field.column)} = %s, {q(hash_field.column)} = %s WHERE {pk} = %s"
        last: Any = 0
        with connection.cursor() as cursor:
            while True:
                cursor.execute(select, [last])
                rows = cursor.fetchall()
                if not rows:
                    break
                last = rows[-1][0]
                if forward:
                    values = [(encrypt(v.strip()), digest(field.kind, v), i) for i, v in rows]
                else:
                    values = [(decrypt(v), "", i) for i, v in rows]
                cursor.executemany(update, values)

    return migrations.RunPython(
        lambda apps, schema_editor: run(apps, schema_editor, True),
        lambda apps, schema_editor: run(apps, schema_editor, False),
    )
