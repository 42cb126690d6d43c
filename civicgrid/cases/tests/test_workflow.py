"""Every transition, allowed and refused, per role — against the transition table."""

import pytest

from civicgrid.cases import actions, workflow
from civicgrid.cases.choices import CaseAction, CaseStatus
from civicgrid.cases.errors import Forbidden, NotFound, TransitionNotAllowed
from civicgrid.cases.models import Case
from civicgrid.core import capabilities
from civicgrid.core.choices import Role

from .factories import advance, duty, make_case

pytestmark = pytest.mark.django_db

PARAMS = {
    CaseAction.FILE: {},
    CaseAction.REJECT: {"reason": "不属于受理范围"},
    CaseAction.DISPATCH: {},
    CaseAction.REDISPATCH: {},
    CaseAction.SIGN: {},
    CaseAction.RETURN: {"reason": "非本单位职责"},
    CaseAction.REQUEST_EXTENSION: {"working_days": 3, "reason": "需协调产权单位"},
    CaseAction.REPORT_BACK: {"feedback": "已处理"},
    CaseAction.VERIFY_PASS: {},
    CaseAction.VERIFY_FAIL: {"reason": "现场仍有噪声"},
    CaseAction.CLOSE: {},
    CaseAction.CALLBACK: {"resolution": "resolved", "satisfaction": "satisfied"},
    CaseAction.REOPEN: {"reason": "居民反映问题复发"},
    CaseAction.SUPERVISE: {"note": "请加快办理"},
    CaseAction.ESCALATE: {"ladder": "level"},
    CaseAction.SUSPEND: {"reason": "等待法院判决"},
    CaseAction.RESUME: {},
    CaseAction.COMMENT: {"note": "已电话联系"},
    CaseAction.RELOCATE: {"building": "东路12号", "reason": "地址有误"},
}

# (action, state it starts from, roles that may take it)
ALLOWED = [
    (CaseAction.FILE, CaseStatus.NEW, {Role.DISPATCHER, Role.ADMIN}),
    (CaseAction.REJECT, CaseStatus.NEW, {Role.DISPATCHER, Role.ADMIN}),
    (CaseAction.DISPATCH, CaseStatus.FILED, {Role.DISPATCHER, Role.ADMIN}),
    (CaseAction.REDISPATCH, CaseStatus.DISPATCHED, {Role.DISPATCHER, Role.ADMIN}),
    (CaseAction.SIGN, CaseStatus.DISPATCHED, {Role.HANDLER}),
    (CaseAction.RETURN, CaseStatus.DISPATCHED, {Role.HANDLER}),
    (CaseAction.REQUEST_EXTENSION, CaseStatus.IN_PROGRESS, {Role.HANDLER}),
    (CaseAction.REPORT_BACK, CaseStatus.IN_PROGRESS, {Role.HANDLER}),
    (CaseAction.VERIFY_PASS, CaseStatus.HANDLED, {Role.GRID_WORKER, Role.DISPATCHER, Role.ADMIN}),
    (CaseAction.VERIFY_FAIL, CaseStatus.HANDLED, {Role.GRID_WORKER, Role.DISPATCHER, Role.ADMIN}),
    (CaseAction.CLOSE, CaseStatus.VERIFIED, {Role.DISPATCHER, Role.ADMIN}),
    (CaseAction.CALLBACK, CaseStatus.CLOSED, {Role.DISPATCHER, Role.ADMIN}),
    (CaseAction.REOPEN, CaseStatus.CLOSED, {Role.DISPATCHER, Role.ADMIN}),
    (CaseAction.SUPERVISE, CaseStatus.IN_PROGRESS, {Role.LEADER, Role.DISPATCHER, Role.ADMIN}),
    (CaseAction.ESCALATE, CaseStatus.FILED, {Role.CADRE, Role.DISPATCHER, Role.ADMIN}),
    (CaseAction.SUSPEND, CaseStatus.FILED, {Role.DISPATCHER, Role.ADMIN}),
    (CaseAction.COMMENT, CaseStatus.DISPATCHED, set(Role) - {Role.RESIDENT}),
    (CaseAction.RELOCATE, CaseStatus.DISPATCHED, {Role.DISPATCHER, Role.ADMIN}),
]
ROLES = [r for r in Role if r != Role.RESIDENT]  # residents never see staff cases (404 is tested elsewhere)


@pytest.fixture
def setup(world):
    duty(world)
    return world


@pytest.mark.parametrize(("action", "state", "allowed"), ALLOWED, ids=[a for a, _s, _r in ALLOWED])
def test_each_action_per_role(setup, action, state, allowed):
    world = setup
    for role in ROLES:
        case = advance(world, make_case(world), state)
        user = world.user("east", role)
        before = case.version
        if role in allowed:
            result = actions.run_action(case.pk, action, user, PARAMS[action])
            assert result.version == before + 1, (action, role)
            assert result.events.last().action == action
        else:
            # A handler does not even see a case before it reaches their unit: 404, not 403.
            visible = Case.objects.restrict(user).filter(pk=case.pk).exists()
            with pytest.raises((Forbidden, TransitionNotAllowed) if visible else NotFound):
                actions.run_action(case.pk, action, user, PARAMS[action])
            case.refresh_from_db()
            assert case.version == before and case.status == state, (action, role)


@pytest.mark.parametrize("action", list(PARAMS))
def test_every_action_is_refused_from_states_outside_its_sources(setup, action):
    world = setup
    transition = workflow.MACHINE[action]
    outside = [
        s for s in (CaseStatus.NEW, CaseStatus.IN_PROGRESS, CaseStatus.CLOSED) if s not in transition.sources
    ]
    for state in outside:
        case = advance(world, make_case(world), state)
        role = sorted(capabilities.roles(transition.capability))[0]
        visible = Case.objects.restrict(world.user("east", role)).filter(pk=case.pk).exists()
        with pytest.raises(TransitionNotAllowed if visible else NotFound):
            actions.run_action(case.pk, action, world.user("east", role), PARAMS[action])


def test_resume_and_merge_and_refusals_of_their_own(setup):
    world = setup
    desk = world.user("east", Role.DISPATCHER)
    case = advance(world, make_case(world), CaseStatus.FILED)
    case = actions.run_action(case.pk, "suspend", desk, {"reason": "等待"})
    with pytest.raises(TransitionNotAllowed):
        actions.run_action(case.pk, "dispatch", desk, {})
    case = actions.run_action(case.pk, "resume", desk, {})
    assert case.status == CaseStatus.FILED
    with pytest.raises(TransitionNotAllowed):
        actions.run_action(case.pk, "resume", desk, {})


def test_allowed_actions_lists_exactly_what_check_accepts(setup):
    world = setup
    case = advance(world, make_case(world), CaseStatus.DISPATCHED)
    assert set(workflow.allowed_actions(case, world.user("east", Role.HANDLER))) == {
        CaseAction.SIGN,
        CaseAction.RETURN,
        CaseAction.REQUEST_EXTENSION,
        CaseAction.COMMENT,
    }
    assert CaseAction.SIGN not in workflow.allowed_actions(case, world.user("east", Role.DISPATCHER))
    assert set(workflow.allowed_actions(case, world.user("east", Role.LEADER))) == {
        CaseAction.SUPERVISE,
        CaseAction.COMMENT,
    }


def test_close_directly_only_for_inquiries(setup):
    world = setup
    desk = world.user("east", Role.DISPATCHER)
    inquiry = advance(world, make_case(world, request_type="inquiry"), CaseStatus.FILED)
    assert actions.run_action(inquiry.pk, "close", desk, {"note": "已电话答复"}).status == CaseStatus.CLOSED
    complaint = advance(world, make_case(world), CaseStatus.FILED)
    with pytest.raises(TransitionNotAllowed, match="咨询、建议"):
        actions.run_action(complaint.pk, "close", desk, {})
