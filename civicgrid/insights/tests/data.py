"""A generated set of cases driven through cases.actions: every state, callbacks that reached
the requester or not, merged children, reopened, returned, extended and overdue cases,
cases without a lead unit, spread over five months and both test streets."""

import io
import random
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from PIL import Image

from civicgrid.cases import actions
from civicgrid.cases.choices import CaseStatus, Resolution, Satisfaction
from civicgrid.cases.models import Case, Category
from civicgrid.cases.tests.factories import duty, make_case
from civicgrid.core.choices import Role

FATES = (
    "new",
    "filed",
    "rejected",
    "rejected_contacted",
    "dispatched",
    "in_progress",
    "handled",
    "closed",
    "closed_callbacks",
    "reopened",
    "merged",
    "suspended",
    "returned",
    "extended",
    "consultation",
)
# Days before now the cases were received: today (response limit still ahead), last week,
# and whole months back.
AGES = (0, 0, 0.2, 1, 3, 8, 20, 35, 50, 70, 95, 130)


def photo() -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), "blue").save(buf, format="JPEG")
    buf.seek(0)
    buf.name = "after.jpg"
    return buf


def _callbacks(case: Case, desk: Any, rng: random.Random, n: int) -> Case:
    for _ in range(n):
        contacted = rng.random() < 0.75
        params: dict[str, Any] = {"contacted": contacted, "note": "回访"}
        if contacted:
            params["resolution"] = rng.choice(Resolution.values)
            params["satisfaction"] = rng.choice(Satisfaction.values)
        case = actions.run_action(case.pk, "callback", desk, params)
    return case


def drive(world: Any, case: Case, fate: str, street: str, rng: random.Random, masters: list[Case]) -> Case:
    desk = world.user(street, Role.DISPATCHER)
    handler = world.user(street, Role.HANDLER)
    unit = getattr(world, street).unit

    def do(action: str, user: Any = desk, **params: Any) -> None:
        nonlocal case
        case = actions.run_action(case.pk, action, user, params)

    if fate == "new":
        return case
    if fate.startswith("rejected"):
        if fate == "rejected_contacted":
            do("comment", note="已电话联系", contacted_requester=True)
        do("reject", reason="不属于受理范围")
        return case
    if fate == "consultation":  # the desk answers a suggestion itself
        do("file")
        do("close")
        return _callbacks(case, desk, rng, 1)
    do("file")
    if fate == "filed":
        return case
    if fate == "suspended":
        do("suspend", reason="等待产权单位答复")
        return case
    if fate == "merged" and masters:
        do("merge", master=rng.choice(masters).pk)
        return case
    do("dispatch", lead_unit=case.lead_unit_id or unit.pk)
    if fate in ("dispatched", "merged"):
        return case
    if fate == "returned":
        do("return", handler, reason="不属于本单位职责")
        return case
    do("sign", handler)
    if fate == "extended":
        do("request_extension", handler, working_days=3, reason="需要协调")
        do("approve_extension", note="同意")
        return case
    if fate == "in_progress":
        return case
    do("report_back", handler, feedback="已处理", photos=[photo()] if fate == "handled" else None)
    if fate == "handled":
        return case
    do("verify_pass")
    do("close")
    if fate == "closed":
        return case
    case = _callbacks(case, desk, rng, rng.randint(1, 3))
    if fate == "reopened":
        do("reopen", reason="群众不满意")
    return case


def finish(world: Any, case: Case, street: str, rng: random.Random) -> Case:
    """A dispatched case through to closure and a callback."""
    desk, handler = world.user(street, Role.DISPATCHER), world.user(street, Role.HANDLER)
    case = actions.run_action(case.pk, "sign", handler, {})
    case = actions.run_action(case.pk, "report_back", handler, {"feedback": "已处理"})
    case = actions.run_action(case.pk, "verify_pass", desk, {})
    case = actions.run_action(case.pk, "close", desk, {})
    return _callbacks(case, desk, rng, 1)


def populate(world: Any, per_street: int = 40, seed: int = 7, now: datetime | None = None) -> list[Case]:
    """Cases in both streets; returns them. Needs MEDIA_ROOT pointing somewhere disposable."""
    rng = random.Random(seed)
    now = now or timezone.now()
    duty(world, "east")
    duty(world, "west")
    leaves = list(Category.objects.filter(code__startswith="E21", children__isnull=True, is_active=True))
    # No duty rule outside E21: those cases have no lead unit until dispatched by hand.
    other = (
        Category.objects.filter(children__isnull=True, is_active=True).exclude(code__startswith="E21").first()
    )
    made: list[Case] = []
    for street in ("east", "west"):
        masters: list[Case] = []
        for i in range(per_street):
            fate = FATES[i % len(FATES)] if i < len(FATES) else rng.choice(FATES)
            received = now - timedelta(days=rng.choice(AGES), hours=rng.random() * 6)
            category = other if (other is not None and rng.random() < 0.15) else rng.choice(leaves)
            request_type = "suggestion" if fate == "consultation" else "complaint"
            case = make_case(
                world,
                street=street,
                grid=rng.randrange(4),
                category=category.code,
                request_type=request_type,
                received_at=received,
            )
            case = drive(world, case, fate, street, rng, masters)
            if case.status in (CaseStatus.FILED, CaseStatus.DISPATCHED) and rng.random() < 0.5:
                masters.append(case)
            made.append(case)
        # Close some masters so their merged children close with them.
        for master in masters[:2]:
            master.refresh_from_db()
            if master.status == CaseStatus.DISPATCHED:
                finish(world, master, street, rng)
    actions.check_deadlines(now)
    return made
