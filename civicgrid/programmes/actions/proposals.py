"""Representatives' proposals (代表提案, seed 003): the desk files a proposal on a
representative's behalf with its co-signers, then accepts, merges or declines it, assigns it
to a unit or an office with a deadline; the unit answers and the proposer rates the answer; an
answer rated 不满意 is assigned again. Filing and editing are plain actions (one transaction,
an event); the rest are the bodies of PROPOSAL_FRAME.

Merging: the merged proposal's proposer and co-signers become co-signers of the target (so
the answer sheet names everyone it answers), its own merged ones follow it to the target, and
it keeps `merged_into` — it is answered by the target's answer (pages and sheet show them)."""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from civicgrid.core import clock, events, notifications, profile
from civicgrid.core.capabilities import roles
from civicgrid.core.choices import Action
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from civicgrid.core.frame import FilesContext
from civicgrid.core.inputs import as_id, clean_text
from civicgrid.core.retry import retry_when_locked

from ..choices import NotificationKind, ProjectCategory, ProposalAction, ProposalStatus
from ..models import Proposal, Representative, Session
from .frames import PROPOSAL_FRAME

FILE, UPDATE, END_TERM = "file", "update", "end_term"
ANSWER_DAYS = "programmes.proposal_answer_days"


# ---------------------------------------------------------------------------- filing


def _session(actor: Any, session: Any) -> Session:
    if not Proposal.objects.allows(actor, Action.ADD):
        raise Forbidden(_("你的角色不能办理代表提案"))
    pk = session.pk if isinstance(session, Session) else as_id(str(session))
    found = Session.objects.restrict(actor, Action.VIEW).filter(pk=pk).first() if pk else None
    if found is None:
        raise NotFound(_("会议不存在或不在你的管辖范围内"))
    return found


def _representatives(session: Session, refs: Iterable[Any], field: str) -> list[Representative]:
    """The session street's active representatives named by `refs` (rows or ids)."""
    ids = []
    for ref in refs:
        pk = ref.pk if isinstance(ref, Representative) else as_id(str(ref))
        if pk is None:
            raise InvalidInput(_("代表不存在"), {field: "not_found"})
        ids.append(pk)
    found = {
        r.pk: r for r in Representative.objects.filter(pk__in=ids, street_id=session.street_id, active=True)
    }
    if len(found) != len(set(ids)):
        raise InvalidInput(_("只能选择本街道在任的代表"), {field: "not_found"})
    return [found[pk] for pk in dict.fromkeys(ids)]


def _category(category: Any) -> str:
    if category not in ProjectCategory.values:
        raise InvalidInput(_("提案类别不正确"), {"category": "invalid"})
    return str(category)


def _cosigners(session: Session, proposer: Representative, cosigners: Iterable[Any]) -> list[Representative]:
    chosen = _representatives(session, cosigners, "cosigners")
    if any(r.pk == proposer.pk for r in chosen):
        raise InvalidInput(_("附议人不能是提案人本人"), {"cosigners": "proposer"})
    return chosen


def file_proposal(
    actor: Any,
    *,
    session: Any,
    proposer: Any,
    title: str,
    body: str,
    category: str,
    cosigners: Iterable[Any] = (),
) -> Proposal:
    """A proposal filed by the desk for `proposer`, numbered next in its session (the session
    row locked, so two filings at once get distinct numbers); refused after the session's
    `proposals_until`."""
    found = _session(actor, session)
    if found.proposals_until is not None and clock.today() > found.proposals_until:
        raise InvalidInput(
            _("本次会议的提案已于 %(day)s 截止") % {"day": found.proposals_until.isoformat()},
            {"session": "closed"},
        )
    (author,) = _representatives(found, [proposer], "proposer")
    signers = _cosigners(found, author, cosigners)
    fields = {
        "title": clean_text(title, "title", _("案由"), 120),
        "body": clean_text(body, "body", _("提案内容"), 5000),
        "category": _category(category),
    }

    @retry_when_locked(give_up=lambda exc: Conflict(_("提案正在登记，请稍后重试")))
    def numbered() -> Proposal:
        with transaction.atomic():
            # The session row's lock queues concurrent filings: each reads the last number after
            # the previous one committed.
            Session.objects.select_for_update().filter(pk=found.pk).first()
            last = Proposal.objects.filter(session=found).aggregate(n=Max("number"))["n"] or 0
            proposal = Proposal.objects.create(
                session=found, street_id=found.street_id, number=last + 1, proposer=author, **fields
            )
            proposal.cosigners.set(signers)
            events.log(
                proposal,
                FILE,
                actor,
                payload={
                    "number": proposal.number,
                    "proposer": author.pk,
                    "cosigners": [r.pk for r in signers],
                },
            )
        return proposal

    return numbered()


def update_proposal(
    actor: Any,
    proposal: Any,
    *,
    version: int,
    title: str,
    body: str,
    category: str,
    cosigners: Iterable[Any] = (),
) -> Proposal:
    """The filed proposal's text and co-signers corrected (while 已提交; the version the
    editor read must still be current)."""
    if not Proposal.objects.allows(actor, Action.ADD):
        raise Forbidden(_("你的角色不能办理代表提案"))
    pk = proposal.pk if isinstance(proposal, Proposal) else as_id(str(proposal))
    visible = Proposal.objects.restrict(actor, Action.VIEW).filter(pk=pk).first() if pk else None
    if visible is None:
        raise NotFound(_("提案不存在或不在你的管辖范围内"))
    fields = {
        "title": clean_text(title, "title", _("案由"), 120),
        "body": clean_text(body, "body", _("提案内容"), 5000),
        "category": _category(category),
    }
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().select_related("session", "proposer").get(pk=visible.pk)
        if locked.version != version:
            raise Conflict(_("提案已被他人更新，请刷新"))
        if locked.status != ProposalStatus.FILED:
            raise Conflict(_("只有已提交、尚未立案的提案可以修改"))
        signers = _cosigners(locked.session, locked.proposer, cosigners)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.version += 1
        locked.save(update_fields=[*fields, "version", "updated_at"])
        locked.cosigners.set(signers)
        events.log(locked, UPDATE, actor, payload={"cosigners": [r.pk for r in signers]})
    return locked


# ---------------------------------------------------------------------------- representatives


def end_term(actor: Any, representative: Any, *, term_to: date) -> Representative:
    """A representative's term ended (they can no longer file or co-sign)."""
    if not Representative.objects.allows(actor, Action.ADD):
        raise Forbidden(_("你的角色不能办理代表会议工作"))
    pk = representative.pk if isinstance(representative, Representative) else as_id(str(representative))
    found = Representative.objects.restrict(actor, Action.VIEW).filter(pk=pk).first() if pk else None
    if found is None:
        raise NotFound(_("代表不存在或不在你的管辖范围内"))
    if term_to < found.term_from:
        raise InvalidInput(_("任期结束不能早于任期开始"), {"term_to": "before_start"})
    with transaction.atomic():
        locked = Representative.objects.select_for_update().get(pk=found.pk)
        if not locked.active:
            raise Conflict(_("该代表已离任"))
        locked.term_to, locked.active = term_to, False
        locked.save(update_fields=["term_to", "active", "updated_at"])
        events.log(locked, END_TERM, actor, payload={"term_to": term_to.isoformat()})
    return locked


# ---------------------------------------------------------------------------- the machine's bodies


@PROPOSAL_FRAME.implements(ProposalAction.ACCEPT)
def accept(ctx: FilesContext, *, note: str = "") -> None:
    ctx.note = note


@PROPOSAL_FRAME.implements(ProposalAction.MERGE)
def merge(ctx: FilesContext, *, into: Proposal, note: str = "") -> None:
    """并案: into another proposal of the session, whose co-signers gain this proposal's
    proposer and co-signers; the proposals merged into this one follow it."""
    proposal: Proposal = ctx.obj
    target = Proposal.objects.select_for_update().get(pk=into.pk)
    signers = {proposal.proposer_id, *proposal.cosigners.values_list("pk", flat=True)}
    followers = list(Proposal.objects.filter(merged_into=proposal))
    for follower in followers:
        signers |= {follower.proposer_id, *follower.cosigners.values_list("pk", flat=True)}
        follower.merged_into = target
        follower.save(update_fields=["merged_into", "updated_at"])
    target.cosigners.add(*(signers - {target.proposer_id}))
    ctx.set(merged_into=target)
    ctx.note = note
    ctx.payload.update(into=target.pk, number=target.number, followers=[f.pk for f in followers])


@PROPOSAL_FRAME.implements(ProposalAction.DECLINE)
def decline(ctx: FilesContext, *, note: str) -> None:
    ctx.set(decline_reason=note)
    ctx.note = note


def default_deadline(proposal: Proposal, today: date) -> date:
    return today + timedelta(days=int(profile.value(ANSWER_DAYS, proposal.street_id)))


def _deadline(proposal: Proposal, deadline: date | None, today: date) -> date:
    if deadline is None:
        return default_deadline(proposal, today)
    if deadline < today:
        raise InvalidInput(_("答复期限不能早于今天"), {"deadline": "past"})
    return deadline


def _unit_members(unit_id: int) -> list[Any]:
    """The unit's accounts that answer proposals."""
    rows = get_user_model().objects.filter(
        memberships__unit_id=unit_id, is_active=True, role__in=roles("programmes.answer")
    )
    return list(rows.distinct())


@PROPOSAL_FRAME.implements(ProposalAction.ASSIGN)
def assign(
    ctx: FilesContext, *, unit: Any = None, office: str = "", deadline: date | None = None, note: str = ""
) -> None:
    """交办 to a unit or an office (one of them required) with the answer's deadline (default:
    the street's `programmes.proposal_answer_days` from today); the unit's staff are told."""
    proposal: Proposal = ctx.obj
    office = (office or "").strip()
    if unit is None and not office:
        raise InvalidInput(_("请选择承办单位或填写承办科室"), {"unit": "required"})
    today = clock.today()
    due = _deadline(proposal, deadline, today)
    ctx.set(assigned_unit=unit, assigned_office=office, assigned_on=today, deadline=due)
    ctx.note = note
    ctx.payload.update(unit=unit.pk if unit else None, office=office, deadline=due.isoformat())
    if unit is not None:
        notifications.send_on_commit(
            _unit_members(unit.pk),
            proposal,
            NotificationKind.PROPOSAL_ASSIGNED,
            gettext_noop("代表提案第 %(number)s 号“%(title)s”已交办，请于 %(deadline)s 前答复"),
            f"proposal-assigned:{proposal.pk}:{proposal.version}",
            {"number": proposal.number, "title": proposal.title, "deadline": due.isoformat()},
        )


@PROPOSAL_FRAME.implements(ProposalAction.ANSWER)
def answer(ctx: FilesContext, *, answer: str) -> None:
    """The assigned unit's answer (a handler reaches only the proposals assigned to their
    unit: the frame loads in their scope)."""
    ctx.set(answer=answer, answered_on=clock.today())


@PROPOSAL_FRAME.implements(ProposalAction.RATE)
def rate(ctx: FilesContext, *, rating: str, note: str = "") -> None:
    ctx.set(rating=rating, rating_note=note, rated_on=clock.today())
    ctx.note = note
    ctx.payload["rating"] = rating


@PROPOSAL_FRAME.implements(ProposalAction.REASSIGN)
def reassign(ctx: FilesContext, *, note: str, deadline: date | None = None) -> None:
    """重新交办 after an unsatisfying answer: a new deadline, the answer and the rating cleared
    (the old answer stays in this event)."""
    proposal: Proposal = ctx.obj
    today = clock.today()
    due = _deadline(proposal, deadline, today)
    ctx.payload.update(
        previous_answer=proposal.answer,
        previous_answered_on=proposal.answered_on.isoformat() if proposal.answered_on else None,
        previous_rating=proposal.rating,
        deadline=due.isoformat(),
    )
    ctx.set(
        assigned_on=today,
        deadline=due,
        answer="",
        answered_on=None,
        rating="",
        rating_note="",
        rated_on=None,
    )
    ctx.note = note
    if proposal.assigned_unit_id:
        notifications.send_on_commit(
            _unit_members(proposal.assigned_unit_id),
            proposal,
            NotificationKind.PROPOSAL_ASSIGNED,
            gettext_noop("代表提案第 %(number)s 号“%(title)s”已重新交办，请于 %(deadline)s 前答复"),
            f"proposal-assigned:{proposal.pk}:{proposal.version}",
            {"number": proposal.number, "title": proposal.title, "deadline": due.isoformat()},
        )
