"""Member units and the welfare projects they claim (公益项目认领, seed 004).

The member register (register, update, deactivate); a welfare project and its asks (created
as a draft, asks changed while it is a draft, a published ask's quantity only raised or
lowered down to what is claimed), the bodies of its machine; claims: `claim()` takes part of an
ask under the ask row's lock, refusing what exceeds the remaining need, and marks the project
covered once every ask is; the bodies of the claim machine (confirm with its number, reject and
withdraw releasing the quantity, deliver with evidence, close). Every call is one transaction
with its event (core.events) and audit rows (AuditedModel)."""

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from civicgrid.core import capabilities, clock, events, notifications, numbering
from civicgrid.core.capabilities import roles
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from civicgrid.core.frame import FilesContext
from civicgrid.core.inputs import as_id, clean_text
from civicgrid.core.retry import retry_when_locked
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from ..choices import (
    AskKind,
    ClaimAction,
    ClaimPhoto,
    ClaimStatus,
    MemberKind,
    NotificationKind,
    WelfareAction,
    WelfareStatus,
)
from ..models import Ask, Claim, ClaimSequence, MemberUnit, WelfareProject
from .frames import CLAIM_FRAME, WELFARE_FRAME

WELFARE = "programmes.welfare"
REGISTER_MEMBER, UPDATE_MEMBER, DEACTIVATE_MEMBER = "register_member", "update_member", "deactivate_member"
CREATE, UPDATE = "create", "update"
ADD_ASK, UPDATE_ASK, REMOVE_ASK = "add_ask", "update_ask", "remove_ask"
CLAIM = "claim"

PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{6,19}$")
MAX_QUANTITY = Decimal("9999999999.99")
CHANGEABLE = (WelfareStatus.DRAFT, WelfareStatus.OPEN, WelfareStatus.COVERED)


def _may_write(actor: Any) -> None:
    if not capabilities.may(actor, WELFARE):
        raise Forbidden(_("你的角色不能办理公益项目和成员单位"))


def _streets(actor: Any, streets: Any, field: str = "streets") -> list[Area]:
    """The streets named (rows or ids), each one the actor works in; at least one."""
    ids = []
    for value in streets if isinstance(streets, Iterable) and not isinstance(streets, str) else [streets]:
        pk = value.pk if isinstance(value, Area) else as_id(str(value))
        if pk is None:
            raise InvalidInput(_("街道不正确"), {field: "invalid"})
        ids.append(pk)
    if not ids:
        raise InvalidInput(_("请至少选择一个结对街道"), {field: "required"})
    found = list(Area.objects.restrict(actor, "view").filter(pk__in=ids, kind=AreaKind.STREET).order_by("pk"))
    if len(found) != len(set(ids)):
        raise InvalidInput(_("街道不存在或不在你的管辖范围内"), {field: "not_found"})
    return found


def _street(actor: Any, street: Any) -> Area:
    return _streets(actor, [street], "street")[0]


def _phone(value: Any) -> str:
    phone = str(value or "").strip()
    if phone and not PHONE_RE.match(phone):
        raise InvalidInput(_("联系电话格式不正确"), {"contact_phone": "invalid"})
    return phone


def _choice(value: Any, choices: Any, field: str, label: str) -> str:
    if value not in choices.values:
        raise InvalidInput(_("%(label)s不正确") % {"label": label}, {field: "invalid"})
    return str(value)


def quantity_of(value: Any, field: str = "quantity") -> Decimal:
    """A positive quantity with at most two decimals (a form's or JSON's number or text)."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("数量须为数字"), {field: "invalid"}) from None
    if not number.is_finite() or number <= 0 or number > MAX_QUANTITY:
        raise InvalidInput(_("数量须大于 0"), {field: "out_of_range"})
    if number != number.quantize(Decimal("0.01")):
        raise InvalidInput(_("数量最多保留两位小数"), {field: "invalid"})
    return number


def show(quantity: Decimal) -> str:
    """A quantity as people write it: 30, 2.5."""
    return f"{quantity.normalize():f}"


def _version(obj: Any, version: Any) -> None:
    if version is not None and str(version) != str(obj.version):
        raise Conflict(
            _("%(noun)s已被他人更新（当前版本 %(now)s），请刷新后重试")
            % {"noun": obj._meta.verbose_name, "now": obj.version}
        )


# ---------------------------------------------------------------------------- member units


def register_member(
    actor: Any,
    *,
    name: str,
    kind: str,
    streets: Any,
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    note: str = "",
) -> MemberUnit:
    """A member unit serving `streets` (each in the actor's scope; the first registers it)."""
    _may_write(actor)
    served = _streets(actor, streets)
    values = {
        "name": clean_text(name, "name", _("单位名称"), 100),
        "kind": _choice(kind, MemberKind, "kind", _("单位类型")),
        "address": clean_text(address, "address", _("地址"), 120, required=False),
        "contact_name": clean_text(contact_name, "contact_name", _("联系人"), 40, required=False),
        "contact_phone": _phone(contact_phone),
        "note": clean_text(note, "note", _("备注"), 2000, required=False),
    }
    with transaction.atomic():
        member = MemberUnit.objects.create(street=served[0], **values)
        member.streets.set(served)
        events.log(member, REGISTER_MEMBER, actor, payload={"streets": [s.code for s in served]})
    return member


def _visible(actor: Any, model: Any, ref: Any, missing: str) -> int:
    """The id of `ref` (a row or an id) if the actor may write and see it, else NotFound."""
    _may_write(actor)
    pk = ref.pk if isinstance(ref, model) else as_id(str(ref))
    if pk is None or not model.objects.restrict(actor, "view").filter(pk=pk).exists():
        raise NotFound(missing)
    return int(pk)


def _member(actor: Any, member: Any) -> MemberUnit:
    """The member unit, locked, if the actor may change it (NotFound outside their scope)."""
    pk = _visible(actor, MemberUnit, member, _("成员单位不存在或不在你的管辖范围内"))
    return MemberUnit.objects.select_for_update().get(pk=pk)


def update_member(actor: Any, member: Any, *, version: Any = None, **changes: Any) -> MemberUnit:
    """Change a member unit's details (name, kind, address, contact, note, streets). Of its
    streets, those the actor works in are set as given; the others it serves are kept."""
    allowed = {"name", "kind", "address", "contact_name", "contact_phone", "note", "streets"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(_("不能修改的字段"), dict.fromkeys(sorted(unknown), "unknown"))
    with transaction.atomic():
        row = _member(actor, member)
        _version(row, version)
        before = {name: getattr(row, name) for name in ("name", "kind", "address", "contact_name", "note")}
        if "name" in changes:
            row.name = clean_text(changes["name"], "name", _("单位名称"), 100)
        if "kind" in changes:
            row.kind = _choice(changes["kind"], MemberKind, "kind", _("单位类型"))
        if "address" in changes:
            row.address = clean_text(changes["address"], "address", _("地址"), 120, required=False)
        if "contact_name" in changes:
            row.contact_name = clean_text(
                changes["contact_name"], "contact_name", _("联系人"), 40, required=False
            )
        if "contact_phone" in changes:
            row.contact_phone = _phone(changes["contact_phone"])
        if "note" in changes:
            row.note = clean_text(changes["note"], "note", _("备注"), 2000, required=False)
        payload: dict[str, Any] = {
            "changed": sorted(
                [n for n, v in before.items() if getattr(row, n) != v]
                + (["contact_phone"] if "contact_phone" in changes else [])
            )
        }
        if "streets" in changes:
            mine = set(Area.objects.restrict(actor, "view").filter(kind=AreaKind.STREET))
            given = set(_streets(actor, changes["streets"])) if changes["streets"] else set()
            kept = {s for s in row.streets.all() if s not in mine}
            if not given | kept:
                raise InvalidInput(_("请至少选择一个结对街道"), {"streets": "required"})
            row.streets.set(given | kept)
            payload["streets"] = sorted(s.code for s in given | kept)
        row.version += 1
        row.save()
        events.log(row, UPDATE_MEMBER, actor, payload=payload)
    return row


def deactivate_member(actor: Any, member: Any, *, version: Any = None, note: str = "") -> MemberUnit:
    """The unit no longer claims (its past claims stay on record)."""
    with transaction.atomic():
        row = _member(actor, member)
        _version(row, version)
        if not row.active:
            raise Conflict(_("该成员单位已停用"))
        row.active = False
        row.version += 1
        row.save(update_fields=["active", "version", "updated_at"])
        events.log(row, DEACTIVATE_MEMBER, actor, payload={"note": note} if note else {})
    return row


# ---------------------------------------------------------------------------- welfare projects


def _clean_project(actor: Any, street: Area, values: dict[str, Any]) -> dict[str, Any]:
    """The project's own fields (those given), cleaned."""
    out: dict[str, Any] = {}
    texts = {
        "title": (_("项目名称"), 120, True),
        "need": (_("需求说明"), 4000, True),
        "place": (_("实施地点"), 120, False),
        "beneficiaries": (_("受益对象"), 120, False),
    }
    for name, (label, length, required) in texts.items():
        if name in values:
            out[name] = clean_text(values[name], name, str(label), length, required=required)
    if "area" in values:
        area = values["area"]
        out["area"] = None
        if area not in (None, ""):
            pk = area.pk if isinstance(area, Area) else as_id(str(area))
            found = (
                Area.objects.restrict(actor, "view").filter(pk=pk, street=street, kind=AreaKind.RESIDENTIAL)
                if pk
                else None
            )
            out["area"] = found.first() if found is not None else None
            if out["area"] is None:
                raise InvalidInput(_("居民区不在该街道"), {"area": "not_found"})
    if "beneficiary_count" in values:
        count = values["beneficiary_count"]
        if count in (None, ""):
            out["beneficiary_count"] = None
        else:
            number = as_id(str(count))
            if number is None or number > 10**7:
                raise InvalidInput(_("受益人数须为正整数"), {"beneficiary_count": "invalid"})
            out["beneficiary_count"] = number
    if "deadline" in values:
        deadline = values["deadline"]
        if deadline is not None and not isinstance(deadline, date):
            raise InvalidInput(_("认领截止日期不正确"), {"deadline": "invalid"})
        out["deadline"] = deadline
    return out


def _clean_ask(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    return {
        "kind": _choice(values.get("kind"), AskKind, f"{prefix}kind", _("需求类型")),
        "item": clean_text(values.get("item"), f"{prefix}item", _("需求内容"), 60),
        "unit": clean_text(values.get("unit"), f"{prefix}unit", _("计量单位"), 12),
        "quantity": quantity_of(values.get("quantity"), f"{prefix}quantity"),
    }


def create_welfare(
    actor: Any,
    *,
    street: Any,
    year: int,
    title: str,
    need: str,
    place: str = "",
    area: Any = None,
    beneficiaries: str = "",
    beneficiary_count: int | None = None,
    deadline: date | None = None,
    asks: list[dict[str, Any]] | None = None,
) -> WelfareProject:
    """A draft welfare project with its asks (published later by its machine)."""
    _may_write(actor)
    home = _street(actor, street)
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInput(_("年度不正确"), {"year": "invalid"})
    values = _clean_project(
        actor,
        home,
        {
            "title": title,
            "need": need,
            "place": place,
            "area": area,
            "beneficiaries": beneficiaries,
            "beneficiary_count": beneficiary_count,
            "deadline": deadline,
        },
    )
    cleaned = [_clean_ask(a, f"asks.{i}.") for i, a in enumerate(asks or [])]
    with transaction.atomic():
        project = WelfareProject.objects.create(street=home, year=year, created_by=actor, **values)
        for order, ask in enumerate(cleaned):
            Ask.objects.create(project=project, street=home, order=order, **ask)
        events.log(project, CREATE, actor, payload={"year": year, "asks": len(cleaned)})
    return project


def _project(actor: Any, project: Any, states: Iterable[str] = CHANGEABLE) -> WelfareProject:
    """The welfare project, locked, if the actor may change it now."""
    pk = _visible(actor, WelfareProject, project, _("公益项目不存在或不在你的管辖范围内"))
    row = WelfareProject.objects.select_for_update().get(pk=pk)
    if row.status not in states:
        raise Conflict(
            _("公益项目%(status)s，不能修改") % {"status": row.get_status_display()}  # type: ignore[attr-defined]
        )
    return row


def update_welfare(actor: Any, project: Any, *, version: Any = None, **changes: Any) -> WelfareProject:
    """Change the project's description (title, need, place, area, beneficiaries, deadline)
    while it is not closed or cancelled; its asks change through the ask actions."""
    allowed = {"title", "need", "place", "area", "beneficiaries", "beneficiary_count", "deadline"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(_("不能修改的字段"), dict.fromkeys(sorted(unknown), "unknown"))
    with transaction.atomic():
        row = _project(actor, project)
        _version(row, version)
        street = Area.objects.get(pk=row.street_id)
        values = _clean_project(actor, street, changes)
        changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
        for name, value in values.items():
            setattr(row, name, value)
        row.version += 1
        row.save()
        events.log(row, UPDATE, actor, payload={"changed": changed})
    return row


def _bump(project: WelfareProject) -> None:
    """An ask changed: the project's version moves with it (its ETag and forms go stale)."""
    WelfareProject.objects.filter(pk=project.pk).update(version=F("version") + 1, updated_at=clock.now())
    project.version += 1


def add_ask(actor: Any, project: Any, *, kind: str, item: str, unit: str, quantity: Any) -> Ask:
    with transaction.atomic():
        row = _project(actor, project, (WelfareStatus.DRAFT,))
        values = _clean_ask({"kind": kind, "item": item, "unit": unit, "quantity": quantity})
        order = row.asks.count()
        ask = Ask.objects.create(project=row, street_id=row.street_id, order=order, **values)
        _bump(row)
        events.log(
            row, ADD_ASK, actor, payload={"ask": ask.pk, "item": ask.item, "quantity": show(ask.quantity)}
        )
    return ask


def _ask(actor: Any, ask: Any) -> tuple[Ask, WelfareProject]:
    pk = _visible(actor, Ask, ask, _("认领需求不存在或不在你的管辖范围内"))
    project = _project(actor, Ask.objects.values_list("project_id", flat=True).get(pk=pk))
    return Ask.objects.select_for_update().get(pk=pk), project


def update_ask(actor: Any, ask: Any, **changes: Any) -> Ask:
    """A draft's ask changes freely; once published only its quantity, never below what is
    claimed (the project is covered or reopened to match)."""
    with transaction.atomic():
        row, project = _ask(actor, ask)
        if project.status != WelfareStatus.DRAFT and set(changes) - {"quantity"}:
            raise Conflict(_("公益项目已发布，只能调整需求数量"))
        values = _clean_ask({**{n: getattr(row, n) for n in ("kind", "item", "unit", "quantity")}, **changes})
        if values["quantity"] < row.claimed:
            raise InvalidInput(
                _("需求数量不能少于已认领的 %(claimed)s%(unit)s")
                % {"claimed": show(row.claimed), "unit": row.unit},
                {"quantity": "below_claimed"},
            )
        previous = row.quantity
        for name, value in values.items():
            setattr(row, name, value)
        row.save()
        _bump(project)
        events.log(
            project,
            UPDATE_ASK,
            actor,
            payload={"ask": row.pk, "quantity": show(row.quantity), "previous": show(previous)},
        )
        _settle(project)
    return row


def remove_ask(actor: Any, ask: Any) -> None:
    with transaction.atomic():
        row, project = _ask(actor, ask)
        if project.status != WelfareStatus.DRAFT:
            raise Conflict(_("公益项目已发布，不能删除认领需求"))
        payload = {"ask": row.pk, "item": row.item}
        row.delete()
        _bump(project)
        events.log(project, REMOVE_ASK, actor, payload=payload)


def _settle(project: WelfareProject) -> None:
    """Covered when every ask is fully claimed, open again when one is not (system steps:
    each runs only when the machine allows it now)."""
    full = not project.asks.filter(claimed__lt=F("quantity")).exists()
    action = WelfareAction.MARK_COVERED if full else WelfareAction.REOPEN_CLAIMS
    if WELFARE_FRAME.run_system(project.pk, action):
        project.refresh_from_db()


@WELFARE_FRAME.implements(WelfareAction.PUBLISH)
def publish(ctx: FilesContext, *, note: str = "") -> None:
    project: WelfareProject = ctx.obj
    today = clock.today()
    if project.deadline is not None and project.deadline < today:
        raise InvalidInput(_("认领截止日期已过，请先修改截止日期"), {"deadline": "past"})
    ctx.set(published_on=today)
    ctx.note = note


@WELFARE_FRAME.implements(WelfareAction.CLOSE)
def close(ctx: FilesContext, *, note: str = "") -> None:
    ctx.note = note


@WELFARE_FRAME.implements(WelfareAction.CANCEL)
def cancel(ctx: FilesContext, *, note: str) -> None:
    """Cancelled: each claim still awaiting confirmation is withdrawn (its own event)."""
    ctx.note = note
    for pk in ctx.obj.claims.filter(status=ClaimStatus.CLAIMED).values_list("pk", flat=True):
        CLAIM_FRAME.act(pk, ClaimAction.WITHDRAW, ctx.actor, lambda c: _release(c, _("公益项目已撤销")))


# ---------------------------------------------------------------------------- claims


def street_admins(street_id: int) -> list[Any]:
    """The street office's accounts that confirm claims."""
    return list(get_user_model().objects.working_in(street_id, roles("programmes.confirm_claims")))


@retry_when_locked(give_up=lambda exc: Conflict(_("认领正被他人登记，请稍后重试")))
def claim(actor: Any, *, ask: Any, member: Any, quantity: Any, note: str = "") -> Claim:
    """Member unit `member` claims `quantity` of `ask`: refused when it exceeds what remains
    (naming `quantity` and the remaining need), when the project is not open for claims or
    past its deadline, or when the unit is inactive or does not serve the street. The ask's
    row is locked for the check and the addition, so of two claims on the last units exactly
    one wins; the last one covering every ask marks the project covered."""
    _may_write(actor)
    amount = quantity_of(quantity)
    note = clean_text(note, "note", _("说明"), 2000, required=False)
    ask_pk = ask.pk if isinstance(ask, Ask) else as_id(str(ask))
    if not ask_pk or not Ask.objects.restrict(actor, "view").filter(pk=ask_pk).exists():
        raise InvalidInput(_("认领需求不存在或不在你的管辖范围内"), {"ask": "not_found"})
    member_pk = member.pk if isinstance(member, MemberUnit) else as_id(str(member))
    unit = MemberUnit.objects.restrict(actor, "view").filter(pk=member_pk).first() if member_pk else None
    if unit is None:
        raise InvalidInput(_("成员单位不存在或不在你的管辖范围内"), {"member": "not_found"})
    if not unit.active:
        raise InvalidInput(_("该成员单位已停用，不能认领"), {"member": "inactive"})
    with transaction.atomic():
        # The project's row first, then the ask's: the order every welfare write locks them in.
        project_id = Ask.objects.values_list("project_id", flat=True).get(pk=ask_pk)
        project = WelfareProject.objects.select_for_update().get(pk=project_id)
        row = Ask.objects.select_for_update().get(pk=ask_pk)
        if not unit.streets.filter(pk=row.street_id).exists():
            raise InvalidInput(_("该成员单位不与本街道结对，不能认领"), {"member": "other_street"})
        if project.status not in (WelfareStatus.OPEN, WelfareStatus.COVERED):
            raise InvalidInput(
                _("公益项目%(status)s，不能认领") % {"status": project.get_status_display()},  # type: ignore[attr-defined]
                {"ask": "not_open"},
            )
        today = clock.today()
        if project.deadline is not None and project.deadline < today:
            raise InvalidInput(_("已过认领截止日期"), {"ask": "past_deadline"})
        if amount > row.remaining:
            raise InvalidInput(
                _("超出剩余需求：还可认领 %(remaining)s %(unit)s")
                % {"remaining": show(row.remaining), "unit": row.unit},
                {"quantity": "over_claimed"},
            )
        row.claimed += amount
        row.save(update_fields=["claimed", "updated_at"])
        made = Claim.objects.create(
            ask=row,
            project=project,
            street_id=row.street_id,
            member=unit,
            quantity=amount,
            note=note,
            claimed_on=today,
            recorded_by=actor,
        )
        events.log(made, CLAIM, actor, payload={"ask": row.pk, "member": unit.pk, "quantity": show(amount)})
        _settle(project)
        notifications.send_on_commit(
            street_admins(row.street_id),
            made,
            NotificationKind.CLAIM_RECORDED,
            gettext_noop("%(member)s 认领了“%(project)s”的 %(quantity)s%(unit)s %(item)s，请确认"),
            f"claim-recorded:{made.pk}",
            {
                "member": unit.name,
                "project": project.title,
                "quantity": show(amount),
                "unit": row.unit,
                "item": row.item,
            },
        )
    return made


def _release(ctx: Any, note: str = "") -> None:
    """A claim no longer holds its quantity: the ask gets it back and a covered project
    takes claims again."""
    held: Claim = ctx.obj
    WelfareProject.objects.select_for_update().filter(pk=held.project_id).exists()
    ask = Ask.objects.select_for_update().get(pk=held.ask_id)
    ask.claimed -= held.quantity
    ask.save(update_fields=["claimed", "updated_at"])
    ctx.payload["released"] = show(held.quantity)
    if note:
        ctx.note = note
    WELFARE_FRAME.run_system(held.project_id, WelfareAction.REOPEN_CLAIMS)


@CLAIM_FRAME.implements(ClaimAction.CONFIRM)
def confirm(ctx: FilesContext, *, note: str = "") -> None:
    """Confirmed: numbered for its confirmation letter (认领确认书) <year>-GY-0001."""
    held: Claim = ctx.obj
    year = held.project.year
    number = numbering.take(ClaimSequence, held.street_id, year)
    ctx.set(number=f"{year}-GY-{number:04d}", confirmed_on=clock.today())
    ctx.payload["number"] = ctx.obj.number
    ctx.note = note


@CLAIM_FRAME.implements(ClaimAction.REJECT)
def reject(ctx: FilesContext, *, note: str) -> None:
    _release(ctx, note)


@CLAIM_FRAME.implements(ClaimAction.WITHDRAW)
def withdraw(ctx: FilesContext, *, note: str) -> None:
    _release(ctx, note)


@CLAIM_FRAME.implements(ClaimAction.DELIVER)
def deliver(
    ctx: FilesContext,
    *,
    delivered_quantity: float,
    delivered_on: date | None = None,
    note: str = "",
    photos: list[Any] | None = None,
) -> None:
    """Delivered (no more than claimed), on a day not in the future, with its evidence."""
    held: Claim = ctx.obj
    amount = quantity_of(delivered_quantity, "delivered_quantity")
    if amount > held.quantity:
        raise InvalidInput(
            _("实际交付不能超过认领数量 %(quantity)s") % {"quantity": show(held.quantity)},
            {"delivered_quantity": "over_claimed"},
        )
    day = delivered_on or clock.today()
    if day > clock.today() or (held.confirmed_on is not None and day < held.confirmed_on):
        raise InvalidInput(_("交付日期须在确认日期与今天之间"), {"delivered_on": "out_of_range"})
    Ask.objects.filter(pk=held.ask_id).update(delivered=F("delivered") + amount, updated_at=ctx.now)
    ctx.set(delivered_quantity=amount, delivered_on=day)
    ctx.payload["delivered_quantity"] = show(amount)
    ctx.note = note
    ctx.photos = list(photos or [])
    ctx.stage = ClaimPhoto.EVIDENCE


@CLAIM_FRAME.implements(ClaimAction.CLOSE)
def close_claim(ctx: FilesContext, *, note: str = "") -> None:
    ctx.set(closed_on=clock.today())
    ctx.note = note
