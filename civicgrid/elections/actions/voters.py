"""The register's writers (选民登记): residents' groups, the register built from the residents
registry, additions (补充登记) and strikes, household and group representatives, objections
(申诉) filed against the published list and the bodies of their machine
(workflow.OBJECTIONS: uphold/reject), proxies (委托投票), letters and notices (告居民书、选举
通知书和回执). Each call is one transaction with its event (core.events) and audit rows."""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.core import capabilities, clock, events
from civicgrid.core.choices import Action
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from civicgrid.core.frame import Context
from civicgrid.core.inputs import as_id
from civicgrid.geo.models import Building
from civicgrid.residents.actions.registry import bump
from civicgrid.residents.choices import Sex
from civicgrid.residents.models import Household, Person

from .. import register
from ..checks import electorate
from ..choices import (
    Basis,
    ElectionStatus,
    MailingKind,
    Method,
    ObjectionAction,
    ObjectionKind,
    Step,
    VoterSource,
    VoterStatus,
)
from ..models import Election, Mailing, Objection, Proxy, ResidentsGroup, Voter
from .frames import OBJECTION_FRAME

CONDUCT = "elections.conduct"
# The election's own event when its register is (re)built from the registry.
BUILD_REGISTER = "build_register"
S = ElectionStatus

# When each part of the register may change: groups until registration closes, the register
# itself while registration is open (and the additions up to publication); after publication
# only an upheld objection changes it.
GROUP_STATUSES = frozenset({S.PREPARING, S.COMMITTEE, S.GROUPS, S.REGISTERING})
BUILD_STATUSES = frozenset({S.GROUPS, S.REGISTERING})
REGISTER_STATUSES = frozenset({S.GROUPS, S.REGISTERING, S.REGISTERED})
OBJECTION_STATUSES = frozenset({S.LISTED, S.NOMINATED})
PROXY_STATUSES = frozenset({S.REGISTERED, S.LISTED, S.NOMINATED, S.SECOND_ROUND})

SEXES = frozenset({"", *Sex.values})


# ---------------------------------------------------------------------------- loading


def _election(actor: Any, election: Any, *, lock: bool = False) -> Election:
    """The election in the actor's scope (NotFound outside it), if the actor conducts elections;
    `lock` (inside a transaction) serialises writers of one election's register."""
    qs = Election.objects.restrict(actor, Action.VIEW).select_related("round", "area")
    if lock:
        qs = qs.select_for_update(of=("self",))
    pk = election.pk if isinstance(election, Election) else as_id(str(election))
    found = qs.filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise NotFound(_("选举不存在或不在你的管辖范围内"))
    if not capabilities.may(actor, CONDUCT):
        raise Forbidden(_("你的角色不能办理选民登记"))
    return found


def _voter(actor: Any, voter: Any) -> Voter:
    pk = voter.pk if isinstance(voter, Voter) else as_id(str(voter))
    found = Voter.objects.restrict(actor, Action.VIEW).filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise NotFound(_("选民不存在或不在你的管辖范围内"))
    return found


def _require_status(election: Election, allowed: Iterable[str], what: str) -> None:
    if election.status not in allowed:
        raise Conflict(
            _("选举当前为“%(status)s”，不能%(what)s")
            % {"status": election.get_status_display(), "what": what},
            {"status": election.status},
        )


def _member(election: Election, model: type[Any], ref: Any, field: str) -> Any:
    """A row of `model` of this election named by `ref` (row or id), else InvalidInput naming `field`."""
    if ref in (None, ""):
        return None
    pk = ref.pk if isinstance(ref, model) else as_id(str(ref))
    found = model.objects.filter(election=election, pk=pk).first() if pk is not None else None
    if found is None:
        raise InvalidInput(_("%s不属于本次选举") % model._meta.verbose_name, {field: "invalid"})
    return found


def _group_of_building(election: Election) -> dict[int, int]:
    """Building id → the election's group whose range holds it."""
    out: dict[int, int] = {}
    for group in election.groups.all():
        for building_id in register.building_ids(group.buildings):
            out[building_id] = group.pk
    return out


# ---------------------------------------------------------------------------- groups


def create_group(
    actor: Any, election: Any, *, number: Any, name: str = "", buildings: Any = ""
) -> ResidentsGroup:
    """A residents' group (居民小组) of the election; `buildings` are ids of buildings of the
    committee's area (a list, or text separated by commas, spaces or 、), each in one group only.
    Voters already on the register in those buildings and in no group join it."""
    try:
        number = int(str(number).strip())
    except ValueError:
        raise InvalidInput(_("组号须为正整数"), {"number": "invalid"}) from None
    if number < 1 or number > 999:
        raise InvalidInput(_("组号须为正整数"), {"number": "invalid"})
    name = (name or "").strip()
    if len(name) > 60:
        raise InvalidInput(_("名称不超过 60 字"), {"name": "too_long"})
    raw = buildings if isinstance(buildings, str) else ",".join(str(b) for b in buildings or ())
    try:
        wanted = register.building_ids(raw)
    except ValueError:
        raise InvalidInput(_("楼栋请填写楼栋编号，以逗号分隔"), {"buildings": "invalid"}) from None
    with transaction.atomic():
        election = _election(actor, election, lock=True)
        _require_status(election, GROUP_STATUSES, _("划分居民小组"))
        if election.groups.filter(number=number).exists():
            raise Conflict(_("已有第 %d 居民小组") % number, {"number": "taken"})
        known = set(
            Building.objects.filter(residential_area_id=election.area_id, pk__in=wanted).values_list(
                "pk", flat=True
            )
        )
        if unknown := [b for b in wanted if b not in known]:
            raise InvalidInput(
                _("楼栋 %s 不在本居民区") % "、".join(map(str, unknown)), {"buildings": "invalid"}
            )
        taken = _group_of_building(election)
        if clash := [b for b in wanted if b in taken]:
            raise InvalidInput(
                _("楼栋 %s 已划入其他居民小组") % "、".join(map(str, clash)), {"buildings": "taken"}
            )
        group = ResidentsGroup.objects.create(
            election=election,
            street_id=election.street_id,
            number=number,
            name=name,
            buildings=",".join(map(str, wanted)),
        )
        joined = 0
        for voter in election.voters.filter(group__isnull=True, household__flat__building_id__in=wanted):
            voter.group_id = group.pk
            bump(voter, ["group_id"])
            joined += 1
        events.log(group, "create_group", actor, payload={"buildings": wanted, "voters": joined})
    return group


# ---------------------------------------------------------------------------- the register


def build_register(actor: Any, election: Any) -> dict[str, int]:
    """The register from the residents registry (register.eligible_persons), run as often as
    wanted: a new eligible person is added, one listed stays listed (household and group
    brought up to date), one no longer eligible is struck with the reason. Voters added by hand
    or after an objection are kept, and a strike stands (add_voter lists the person again). For
    the household method each household with no representative gets its head, or its oldest
    listed member."""
    with transaction.atomic():
        election = _election(actor, election, lock=True)
        _require_status(election, BUILD_STATUSES, _("从实有人口生成选民名单"))
        rules = election.round.rules()
        groups = _group_of_building(election)
        existing = {v.person_id: v for v in election.voters.filter(person__isnull=False)}
        added: list[Voter] = []
        seen: set[int] = set()
        kept = 0
        for person in register.eligible_persons(election):
            seen.add(person.pk)
            household = person.household
            assert household is not None  # eligible_persons() lists members of households only
            group_id = groups.get(household.flat.building_id)
            voter = existing.get(person.pk)
            if voter is None:
                added.append(
                    Voter(
                        election=election,
                        street_id=election.street_id,
                        person=person,
                        household_id=person.household_id,
                        group_id=group_id,
                        name=person.name,
                        sex=person.sex,
                        birth_date=person.birth_date,
                        basis=register.BASIS_OF_RESIDENCE[person.residence],
                        source=VoterSource.REGISTRY,
                    )
                )
                continue
            if voter.status != VoterStatus.LISTED:
                continue
            kept += 1
            changed = {"household_id": person.household_id, "group_id": voter.group_id or group_id}
            if voter.source == VoterSource.REGISTRY:
                changed |= {
                    "name": person.name,
                    "sex": person.sex,
                    "birth_date": person.birth_date,
                    "basis": register.BASIS_OF_RESIDENCE[person.residence],
                }
            fields = [f for f, value in changed.items() if getattr(voter, f) != value]
            if fields:
                for f in fields:
                    setattr(voter, f, changed[f])
                bump(voter, fields)
        # Rows the registry gave: one at a time they would be thousands of audit rows; the
        # build's event says how many it added and each row says its source.
        Voter.objects.bulk_create(added, batch_size=500)
        gone = (
            election.voters.filter(status=VoterStatus.LISTED, source=VoterSource.REGISTRY)
            .exclude(person_id__in=seen)
            .select_related("person__household__flat__building")
        )
        struck = 0
        for voter in gone:
            _strike(voter, register.ineligibility(voter.person, election, rules))
            struck += 1
        kept += election.voters.filter(status=VoterStatus.LISTED).exclude(source=VoterSource.REGISTRY).count()
        reps = _choose_household_reps(election) if election.method == Method.HOUSEHOLD else 0
        result = {"added": len(added), "kept": kept, "struck": struck}
        events.log(election, BUILD_REGISTER, actor, payload={**result, "household_reps": reps})
    return result


def _choose_household_reps(election: Election) -> int:
    """Give each household on the register without a listed representative its head, or its
    oldest listed member (the earliest birth date; the first listed if none is known)."""
    listed = list(election.voters.filter(status=VoterStatus.LISTED, household__isnull=False).order_by("id"))
    has_rep = {v.household_id for v in listed if v.is_household_rep}
    heads = dict(
        Household.objects.filter(pk__in={v.household_id for v in listed}).values_list("pk", "head_id")
    )
    chosen: dict[int, Voter] = {}
    for voter in listed:
        if voter.household_id in has_rep:
            continue
        best = chosen.get(voter.household_id)  # type: ignore[arg-type]
        if best is None or _rep_rank(voter, heads) < _rep_rank(best, heads):
            chosen[voter.household_id] = voter  # type: ignore[index]
    for voter in chosen.values():
        voter.is_household_rep = True
        bump(voter, ["is_household_rep"])
    return len(chosen)


def _rep_rank(voter: Voter, heads: Mapping[int, int | None]) -> tuple[bool, date, int]:
    is_head = voter.person_id is not None and heads.get(voter.household_id) == voter.person_id  # type: ignore[arg-type]
    return (not is_head, voter.birth_date or date.max, voter.pk)


def _strike(voter: Voter, reason: str) -> None:
    voter.status = VoterStatus.STRUCK
    voter.struck_reason = reason[:200]
    voter.is_household_rep = voter.is_group_rep = False
    bump(voter, ["status", "struck_reason", "is_household_rep", "is_group_rep"])


def _clean_voter_fields(
    election: Election, *, name: str, sex: str, birth_date: date | None, basis: str
) -> tuple[str, str]:
    name = (name or "").strip()
    if not name or len(name) > 50:
        raise InvalidInput(_("请填写姓名（不超过 50 字）"), {"name": "required"})
    sex = (sex or "").strip()
    if sex not in SEXES:
        raise InvalidInput(_("性别不正确"), {"sex": "invalid"})
    if basis not in Basis.values:
        raise InvalidInput(_("登记依据不正确"), {"basis": "invalid"})
    if birth_date is not None:
        age = election.round.rules().voting_age
        if birth_date > register.latest_birth_date(election.election_day, age):
            raise InvalidInput(
                _("选举日（%(day)s）未满 %(age)d 周岁，不能登记为选民")
                % {"day": election.election_day, "age": age},
                {"birth_date": "under_age"},
            )
    return name, sex


def _list_voter(
    actor: Any,
    election: Election,
    *,
    source: str,
    name: str,
    sex: str = "",
    birth_date: date | None = None,
    basis: str = Basis.RESIDENT,
    person: Person | None = None,
    group: ResidentsGroup | None = None,
) -> Voter:
    """Put a person on the register (inside the caller's transaction): a registry person is
    listed again if struck; one already listed is a Conflict."""
    household_id = None
    if person is not None:
        name, sex, birth_date = name or person.name, sex or person.sex, birth_date or person.birth_date
        household_id = person.household_id
        if group is None and person.household_id is not None:
            building_id = Household.objects.filter(pk=person.household_id).values_list(
                "flat__building_id", flat=True
            )[0]
            group_pk = _group_of_building(election).get(building_id)
            group = election.groups.filter(pk=group_pk).first() if group_pk else None
    name, sex = _clean_voter_fields(election, name=name, sex=sex, birth_date=birth_date, basis=basis)
    listed = election.voters.filter(status=VoterStatus.LISTED)
    if person is not None:
        voter = election.voters.filter(person=person).first()
        if voter is not None and voter.status == VoterStatus.LISTED:
            raise Conflict(_("%s 已在选民名单中") % voter.name, {"person": "listed", "voter": voter.pk})
        if voter is not None:
            voter.status, voter.struck_reason, voter.source = VoterStatus.LISTED, "", source
            voter.basis, voter.group_id, voter.household_id = basis, group.pk if group else None, household_id
            bump(voter, ["status", "struck_reason", "source", "basis", "group_id", "household_id"])
            events.log(voter, "add_voter", actor, payload={"source": source, "relisted": True})
            return voter
    elif listed.filter(name=name, birth_date=birth_date).exists():
        raise Conflict(_("%s 已在选民名单中") % name, {"name": "listed"})
    voter = Voter.objects.create(
        election=election,
        street_id=election.street_id,
        person=person,
        household_id=household_id,
        group=group,
        name=name,
        sex=sex,
        birth_date=birth_date,
        basis=basis,
        source=source,
    )
    events.log(voter, "add_voter", actor, payload={"source": source})
    return voter


def _person(election: Election, ref: Any, field: str = "person") -> Person | None:
    """A person of the election's street registry (the register reads the street's registry
    for the committee, whatever the actor may read of it otherwise)."""
    if ref in (None, ""):
        return None
    pk = ref.pk if isinstance(ref, Person) else as_id(str(ref))
    found = Person.objects.filter(street_id=election.street_id, pk=pk).first() if pk is not None else None
    if found is None:
        raise InvalidInput(_("实有人口中没有这个人"), {field: "invalid"})
    return found


def add_voter(
    actor: Any,
    election: Any,
    *,
    name: str,
    sex: str = "",
    birth_date: date | None = None,
    basis: str = Basis.RESIDENT,
    person: Any = None,
    group: Any = None,
) -> Voter:
    """补充登记: a voter added by the election committee (e.g. a resident without 户籍 who
    applied), from the registry (`person`) or by name; of age on election day."""
    with transaction.atomic():
        election = _election(actor, election, lock=True)
        _require_status(election, REGISTER_STATUSES, _("补充登记选民"))
        return _list_voter(
            actor,
            election,
            source=VoterSource.ADDITION,
            name=name,
            sex=sex,
            birth_date=birth_date,
            basis=basis,
            person=_person(election, person),
            group=_member(election, ResidentsGroup, group, "group"),
        )


def strike_voter(actor: Any, voter: Any, *, reason: str) -> Voter:
    """Take a voter off the register (除名) with the reason, before the list is published."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise InvalidInput(_("请填写除名原因（不超过 200 字）"), {"reason": "required"})
    found = _voter(actor, voter)
    with transaction.atomic():
        election = _election(actor, found.election_id, lock=True)
        _require_status(election, REGISTER_STATUSES, _("除名"))
        found = Voter.objects.get(pk=found.pk)
        if found.status != VoterStatus.LISTED:
            raise Conflict(_("%s 已除名") % found.name, {"voter": "struck"})
        _strike(found, reason)
        events.log(found, "strike_voter", actor, payload={"reason": reason})
    return found


def set_representative(
    actor: Any, voter: Any, *, household: bool | None = None, group: bool | None = None
) -> Voter:
    """Make a listed voter (or no longer) the household's representative (户代表: one per
    household) and/or a representative of their residents' group (居民代表: at most the
    rules' group_representatives_max per group)."""
    found = _voter(actor, voter)
    with transaction.atomic():
        election = _election(actor, found.election_id, lock=True)
        _require_status(election, REGISTER_STATUSES, _("推选代表"))
        found = Voter.objects.get(pk=found.pk)
        if found.status != VoterStatus.LISTED:
            raise Conflict(_("%s 已除名，不能推选为代表") % found.name, {"voter": "struck"})
        fields = []
        if household is not None and household != found.is_household_rep:
            if household:
                if found.household_id is None:
                    raise InvalidInput(_("%s 未关联住户，不能作为户代表") % found.name, {"household": "none"})
                other = (
                    election.voters.filter(
                        household_id=found.household_id, is_household_rep=True, status=VoterStatus.LISTED
                    )
                    .exclude(pk=found.pk)
                    .first()
                )
                if other is not None:
                    raise Conflict(
                        _("该户已有户代表：%s") % other.name, {"household": "taken", "voter": other.pk}
                    )
            found.is_household_rep = household
            fields.append("is_household_rep")
        if group is not None and group != found.is_group_rep:
            if group:
                if found.group_id is None:
                    raise InvalidInput(_("%s 未划入居民小组") % found.name, {"group": "none"})
                limit = election.round.rules().group_representatives_max
                have = election.voters.filter(
                    group_id=found.group_id, is_group_rep=True, status=VoterStatus.LISTED
                ).count()
                if have >= limit:
                    raise Conflict(
                        _("每个居民小组至多推选 %(limit)d 名居民代表，该组已有 %(have)d 名")
                        % {"limit": limit, "have": have},
                        {"group": "limit"},
                    )
            found.is_group_rep = group
            fields.append("is_group_rep")
        if fields:
            bump(found, fields)
            events.log(
                found,
                "set_representative",
                actor,
                payload={"household": found.is_household_rep, "group": found.is_group_rep},
            )
    return found


# ---------------------------------------------------------------------------- objections


def file_objection(
    actor: Any,
    election: Any,
    *,
    kind: str,
    filer_name: str,
    subject_name: str,
    statement: str,
    subject_voter: Any = None,
    subject_person: Any = None,
) -> Objection:
    """申诉 against the published list: from its publication (Step.LIST_PUBLISHED done) until
    the rules' objection_days after it. Omitted persons may be named from the registry; a
    wrongly listed voter or wrong details name the voter."""
    if kind not in ObjectionKind.values:
        raise InvalidInput(_("申诉类型不正确"), {"kind": "invalid"})
    filer_name, subject_name = (filer_name or "").strip(), (subject_name or "").strip()
    statement = (statement or "").strip()
    for field, value, limit in (("filer_name", filer_name, 50), ("subject_name", subject_name, 50)):
        if not value or len(value) > limit:
            raise InvalidInput(_("请填写姓名（不超过 %d 字）") % limit, {field: "required"})
    if not statement or len(statement) > 2000:
        raise InvalidInput(_("请填写申诉理由（不超过 2000 字）"), {"statement": "required"})
    with transaction.atomic():
        election = _election(actor, election, lock=True)
        _require_status(election, OBJECTION_STATUSES, _("受理选民名单申诉"))
        published = (
            election.milestones.filter(step=Step.LIST_PUBLISHED).values_list("done_on", flat=True).first()
        )
        if published is None:
            raise Conflict(_("选民名单尚未公布，不能申诉"), {"filed_on": "not_published"})
        today = clock.today()
        deadline = register.objection_deadline(published, election.round.rules())
        if today > deadline:
            raise Conflict(
                _("申诉期限已过：选民名单于 %(published)s 公布，应在 %(deadline)s 前提出申诉")
                % {"published": published, "deadline": deadline},
                {"filed_on": "too_late"},
            )
        voter = _member(election, Voter, subject_voter, "subject_voter")
        person = _person(election, subject_person, "subject_person")
        if kind == ObjectionKind.OMITTED:
            if (
                person is not None
                and election.voters.filter(person=person, status=VoterStatus.LISTED).exists()
            ):
                raise Conflict(_("%s 已在选民名单中") % person.name, {"subject_person": "listed"})
        elif voter is None or voter.status != VoterStatus.LISTED:
            raise InvalidInput(_("请选择名单上的选民"), {"subject_voter": "required"})
        objection = Objection.objects.create(
            election=election,
            street_id=election.street_id,
            kind=kind,
            filed_on=today,
            filer_name=filer_name,
            subject_name=subject_name,
            subject_voter=voter,
            subject_person=person if kind == ObjectionKind.OMITTED else None,
            statement=statement,
        )
        events.log(objection, "file", actor, payload={"kind": kind, "voter": voter.pk if voter else None})
    return objection


def _decide(ctx: Context, decision: str) -> Objection:
    objection: Objection = ctx.obj
    today = ctx.now.date()
    ctx.set(decision=decision, decided_on=today, decided_by=ctx.actor)
    election = Election.objects.select_related("round").get(pk=objection.election_id)
    ctx.payload["late"] = today > register.decision_due(objection.filed_on, election.round.rules())
    ctx.note = decision
    ctx.data["election"] = election
    return objection


@OBJECTION_FRAME.implements(ObjectionAction.UPHOLD)
def uphold(ctx: Context, decision: str) -> None:
    """申诉成立: an omitted person is listed (source OBJECTION); a wrongly listed voter is struck."""
    objection = _decide(ctx, decision)
    election: Election = ctx.data["election"]
    if objection.kind == ObjectionKind.OMITTED:
        person = objection.subject_person
        basis = register.BASIS_OF_RESIDENCE.get(person.residence, Basis.OTHER) if person else Basis.OTHER
        voter = _list_voter(
            ctx.actor,
            election,
            source=VoterSource.OBJECTION,
            name="" if person else objection.subject_name,
            basis=basis,
            person=person,
        )
        ctx.payload["voter"] = voter.pk
    elif objection.kind == ObjectionKind.WRONGLY_LISTED and objection.subject_voter_id is not None:
        voter = Voter.objects.get(pk=objection.subject_voter_id)
        if voter.status == VoterStatus.LISTED:
            _strike(voter, _("申诉成立：%s") % decision)
            events.log(voter, "strike_voter", ctx.actor, payload={"objection": objection.pk})
        ctx.payload["voter"] = voter.pk


@OBJECTION_FRAME.implements(ObjectionAction.REJECT)
def reject(ctx: Context, decision: str) -> None:
    _decide(ctx, decision)


# ---------------------------------------------------------------------------- proxies, mailings


def record_proxy(
    actor: Any, election: Any, *, principal: Any, proxy: Any, document: str, authorised_on: date | None = None
) -> Proxy:
    """委托投票: a written authorisation (its number required) from a voter of the electorate
    to another listed voter; one per principal, at most the rules' proxy_limit per proxy; not
    in an election by residents' group representatives."""
    document = (document or "").strip()
    if not document or len(document) > 40:
        raise InvalidInput(_("请填写书面委托书编号（不超过 40 字）"), {"document": "required"})
    with transaction.atomic():
        election = _election(actor, election, lock=True)
        if election.method == Method.REPRESENTATIVE:
            raise Conflict(_("居民代表选举不适用委托投票"), {"method": election.method})
        _require_status(election, PROXY_STATUSES, _("登记委托投票"))
        today = clock.today()
        authorised_on = authorised_on or today
        if authorised_on > today:
            raise InvalidInput(_("委托日期不能晚于今天"), {"authorised_on": "future"})
        giver = _member(election, Voter, principal, "principal")
        taker = _member(election, Voter, proxy, "proxy")
        if giver is None or not electorate(election).filter(pk=giver.pk).exists():
            raise InvalidInput(_("委托人须是本次选举名单上的选民（代表）"), {"principal": "invalid"})
        if taker is None or taker.status != VoterStatus.LISTED:
            raise InvalidInput(_("受委托人须是名单上的选民"), {"proxy": "invalid"})
        if giver.pk == taker.pk or (giver.person_id is not None and giver.person_id == taker.person_id):
            raise InvalidInput(_("委托人与受委托人不能是同一人"), {"proxy": "same_person"})
        if Proxy.objects.filter(election=election, principal=giver).exists():
            raise Conflict(_("%s 已委托他人投票") % giver.name, {"principal": "already"})
        if Proxy.objects.filter(election=election, proxy=giver).exists():
            raise Conflict(_("%s 已接受他人委托，不能再委托他人") % giver.name, {"principal": "is_proxy"})
        limit = election.round.rules().proxy_limit
        if Proxy.objects.filter(election=election, proxy=taker).count() >= limit:
            raise Conflict(
                _("每一选民接受委托不得超过 %(limit)d 人，%(name)s 已接受 %(limit)d 人委托")
                % {"limit": limit, "name": taker.name},
                {"proxy": "limit"},
            )
        row = Proxy.objects.create(
            election=election,
            street_id=election.street_id,
            principal=giver,
            proxy=taker,
            authorised_on=authorised_on,
            document=document,
            recorded_by=actor,
        )
        events.log(row, "record_proxy", actor, payload={"principal": giver.pk, "proxy": taker.pk})
    return row


def record_mailing(
    actor: Any, election: Any, *, kind: str, sent: Any, receipts: Any = 0, sent_on: date | None = None
) -> Mailing:
    """A batch of letters (告居民书) or notices (选举通知书) sent, with the receipts (回执)
    returned for the notices; letters have no receipts."""
    if kind not in MailingKind.values:
        raise InvalidInput(_("类别不正确"), {"kind": "invalid"})
    values = {}
    for field, raw in (("sent", sent), ("receipts", receipts or 0)):
        try:
            values[field] = int(str(raw).strip())
        except ValueError:
            raise InvalidInput(_("份数须为整数"), {field: "invalid"}) from None
    if not 1 <= values["sent"] <= 1_000_000:
        raise InvalidInput(_("发放份数须为正整数"), {"sent": "out_of_range"})
    if not 0 <= values["receipts"] <= values["sent"]:
        raise InvalidInput(_("收回回执不能多于发放份数"), {"receipts": "out_of_range"})
    if kind == MailingKind.LETTER and values["receipts"]:
        raise InvalidInput(_("告居民书没有回执"), {"receipts": "invalid"})
    with transaction.atomic():
        election = _election(actor, election)
        today = clock.today()
        sent_on = sent_on or today
        if sent_on > today or sent_on < today - timedelta(days=366):
            raise InvalidInput(_("发放日期须在一年内且不晚于今天"), {"sent_on": "out_of_range"})
        row = Mailing.objects.create(
            election=election,
            street_id=election.street_id,
            kind=kind,
            sent_on=sent_on,
            sent=values["sent"],
            receipts=values["receipts"],
            recorded_by=actor,
        )
        events.log(row, "record_mailing", actor, payload={"kind": kind, **values})
    return row
