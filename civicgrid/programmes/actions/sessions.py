"""The representatives' meeting the proposals and the evaluations share: sessions and
representatives (the street's proposals desk, programmes.proposals). Each call is one
transaction with its event (core.events) and audit rows."""

from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.core import capabilities, events
from civicgrid.core.errors import Forbidden, InvalidInput, NotFound
from civicgrid.core.inputs import as_id, clean_text
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.residents.models import Person

from ..choices import SessionKind
from ..models import Representative, Session

DESK = "programmes.proposals"


def _street(actor: Any, street: Any) -> Area:
    """A street the actor may keep the meeting of (NotFound outside their scope)."""
    if not capabilities.may(actor, DESK):
        raise Forbidden(_("你的角色不能办理代表会议工作"))
    pk = street.pk if isinstance(street, Area) else as_id(str(street))
    found = (
        Area.objects.restrict(actor, "view").filter(pk=pk, kind=AreaKind.STREET).first()
        if pk is not None
        else None
    )
    if found is None:
        raise NotFound(_("街道不存在或不在你的管辖范围内"))
    return found


def create_session(
    actor: Any,
    *,
    street: Any,
    kind: str,
    title: str,
    held_on: date,
    proposals_until: date | None = None,
    note: str = "",
) -> Session:
    area = _street(actor, street)
    if kind not in SessionKind.values:
        raise InvalidInput(_("会议类型不正确"), {"kind": "invalid"})
    if proposals_until is not None and proposals_until < held_on:
        raise InvalidInput(_("提案截止日期不能早于会议日期"), {"proposals_until": "before_session"})
    with transaction.atomic():
        session = Session.objects.create(
            street=area,
            kind=kind,
            title=clean_text(title, "title", _("会议名称"), 120),
            held_on=held_on,
            proposals_until=proposals_until,
            note=clean_text(note, "note", _("备注"), 2000, required=False),
            created_by=actor,
        )
        events.log(session, "create", actor)
    return session


def add_representative(
    actor: Any,
    *,
    street: Any,
    name: str,
    term_from: date,
    term_to: date | None = None,
    area: Any = None,
    affiliation: str = "",
    person: Any = None,
) -> Representative:
    """A representative of the street's meeting; `person` links them to the registry (a
    person of the same street the actor may see), `area` names their residential area."""
    home = _street(actor, street)
    committee = None
    if area not in (None, ""):
        pk = area.pk if isinstance(area, Area) else as_id(str(area))
        committee = Area.objects.restrict(actor, "view").filter(pk=pk, street=home).first() if pk else None
        if committee is None:
            raise InvalidInput(_("居民区不在该街道"), {"area": "not_found"})
    linked = None
    if person not in (None, ""):
        pk = person.pk if isinstance(person, Person) else as_id(str(person))
        linked = Person.objects.restrict(actor, "view").filter(pk=pk, street=home).first() if pk else None
        if linked is None:
            raise InvalidInput(_("实有人口中没有这个人"), {"person": "not_found"})
    if term_to is not None and term_to < term_from:
        raise InvalidInput(_("任期结束不能早于任期开始"), {"term_to": "before_start"})
    with transaction.atomic():
        representative = Representative.objects.create(
            street=home,
            name=clean_text(name, "name", _("姓名"), 40),
            person=linked,
            area=committee,
            affiliation=clean_text(affiliation, "affiliation", _("界别/单位"), 60, required=False),
            term_from=term_from,
            term_to=term_to,
        )
        events.log(representative, "create", actor)
    return representative
