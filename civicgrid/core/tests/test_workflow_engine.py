"""The kernel's workflow engine, action frame and parameters, on a toy machine that has
nothing to do with cases: a library lending books. If the engine knew anything of cases,
this machine could not be built."""

import datetime as dt
import threading

import pytest
from django.db import connection, models
from django.utils import timezone

from civicgrid.core import capabilities, clock
from civicgrid.core.action_forms import ActionForm
from civicgrid.core.choices import Role
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TransitionNotAllowed
from civicgrid.core.frame import Frame
from civicgrid.core.params import Kind, Param
from civicgrid.core.workflow import Guard, Machine, Transition


class LoanStatus(models.TextChoices):
    REQUESTED = "requested", "已申请"
    LENT = "lent", "已借出"
    RETURNED = "returned", "已归还"
    LOST = "lost", "已遗失"


class LoanAction(models.TextChoices):
    LEND = "lend", "借出"
    GIVE_BACK = "give_back", "归还"
    RENEW = "renew", "续借"
    REPORT = "report", "登记遗失或归还"
    REMIND = "remind", "催还"


class Shelf(models.TextChoices):
    OPEN = "open", "开架"
    STACKS = "stacks", "书库"


class Loan(models.Model):
    status = models.CharField(max_length=20, default=LoanStatus.REQUESTED)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(null=True)
    title = models.CharField(max_length=50)
    days = models.IntegerField(default=14)
    shelf = models.CharField(max_length=10, default="")
    reminded = models.BooleanField(default=False)

    class Meta:
        app_label = "core"
        managed = False

    def __str__(self) -> str:
        return self.title


capabilities.define("toy.lend", {Role.ADMIN, Role.DISPATCHER}, "借还图书")
capabilities.define("toy.renew", {Role.GRID_WORKER}, "续借")

S, A = LoanStatus, LoanAction
MAX_DAYS = 30


def _not_lost_twice(loan, user, params):
    return loan.title != "孤本"


MACHINE = Machine(
    name="toy",
    statuses=LoanStatus,
    actions=LoanAction,
    noun="借阅",
    transitions=[
        Transition(
            A.LEND,
            frozenset({S.REQUESTED}),
            S.LENT,
            "toy.lend",
            params=(
                Param("days", "天数", Kind.INT, required=True, min_value=1, max_value=lambda loan: MAX_DAYS),
                Param("shelf", "书架", Kind.CHOICE, choices=Shelf),
                Param("note", "说明", Kind.LONGTEXT),
            ),
            public="已借出",
            primary=True,
        ),
        Transition(A.GIVE_BACK, frozenset({S.LENT}), S.RETURNED, "toy.lend", danger=True),
        Transition(
            A.RENEW,
            frozenset({S.LENT}),
            None,
            "toy.renew",
            guards=(
                Guard(lambda loan, user, p: loan.days < MAX_DAYS, "已达最长借期"),
                Guard(
                    lambda loan, user, p: p is not None and loan.days + p["days"] <= MAX_DAYS,
                    lambda loan, user, p: f"最多还能续借 {MAX_DAYS - loan.days} 天",
                    on_params=True,
                    field="days",
                    code="too_long",
                ),
            ),
            params=(Param("days", "天数", Kind.INT, required=True, min_value=1),),
        ),
        # The target decided by the object: a rare book is lost, any other comes back.
        Transition(
            A.REPORT,
            frozenset({S.LENT}),
            lambda loan, user: S.LOST if loan.title == "孤本" else S.RETURNED,
            "toy.lend",
        ),
        Transition(
            A.REMIND, frozenset({S.LENT}), guards=(Guard(lambda loan, u, p: not loan.reminded, "已催还"),)
        ),
    ],
)

events: list[dict] = []


def load(ref, actor):
    loan = Loan.objects.filter(pk=ref).first()
    if loan is None or actor is None:
        raise NotFound("借阅不存在")
    return loan


def record(ctx):
    row = {
        "action": ctx.action,
        "from": ctx.from_status,
        "to": ctx.obj.status,
        "at": ctx.now,
        "note": ctx.note,
    }
    events.append(row)
    return row


FRAME = Frame(machine=MACHINE, model=Loan, load=load, record=record)


@FRAME.implements(A.LEND)
def lend(ctx, *, days, shelf, note):
    ctx.set(days=days, shelf=shelf)
    ctx.note = note


@FRAME.implements(A.GIVE_BACK)
def give_back(ctx):
    ctx.note = "按时归还"


@FRAME.implements(A.RENEW)
def renew(ctx, *, days):
    ctx.set(days=ctx.obj.days + days)


@FRAME.implements(A.REPORT)
def report(ctx):
    pass


@pytest.fixture
def loans(world, django_db_blocker):
    with connection.schema_editor() as editor:
        editor.create_model(Loan)
    events.clear()
    yield world
    with connection.schema_editor() as editor:
        editor.delete_model(Loan)


pytestmark = pytest.mark.django_db(transaction=True)


def test_a_machine_is_checked_when_it_is_built():
    with pytest.raises(ValueError, match="unknown states"):
        Machine(
            name="bad",
            statuses=LoanStatus,
            actions=LoanAction,
            noun="借阅",
            transitions=[Transition(A.LEND, frozenset({"nowhere"}), S.LENT, "toy.lend")],
        )


def test_check_says_exactly_why_not(loans):
    admin, worker = loans.user("east", Role.ADMIN), loans.user("east", Role.GRID_WORKER)
    loan = Loan.objects.create(title="红楼梦")
    with pytest.raises(InvalidInput, match="未知的操作"):
        MACHINE.check(loan, "burn", admin)
    with pytest.raises(Forbidden, match="你的角色不能执行“借出”"):
        MACHINE.check(loan, A.LEND, worker)
    with pytest.raises(TransitionNotAllowed, match="借阅当前状态为“已申请”，不能执行“归还”"):
        MACHINE.check(loan, A.GIVE_BACK, admin)
    with pytest.raises(Forbidden):  # a person never takes a system step
        MACHINE.check(Loan(status=S.LENT), A.REMIND, admin)
    assert MACHINE.allowed_actions(loan, admin) == [A.LEND]
    assert MACHINE.allowed_actions(Loan(status=S.LENT, days=30), worker) == []  # the guard says no
    assert MACHINE.allowed_actions(Loan(status=S.LENT, days=10), worker) == [A.RENEW]
    assert MACHINE.public_steps() == {A.LEND: "已借出"}


def test_the_frame_applies_the_target_bumps_the_version_and_records(loans):
    admin = loans.user("east", Role.ADMIN)
    loan = Loan.objects.create(title="红楼梦")
    moment = dt.datetime(2027, 3, 15, 9, 30, tzinfo=dt.UTC)
    with clock.at(moment):
        lent = FRAME.run(loan.pk, A.LEND, admin, {"days": "21", "shelf": "stacks", "version": 1})
    assert (lent.status, lent.days, lent.shelf, lent.version) == (S.LENT, 21, "stacks", 2)
    stored = Loan.objects.get(pk=loan.pk)
    assert (stored.status, stored.version, stored.updated_at) == (S.LENT, 2, moment)
    assert events == [{"action": A.LEND, "from": S.REQUESTED, "to": S.LENT, "at": moment, "note": ""}]
    # Stale version: a conflict, nothing written.
    with pytest.raises(Conflict, match="借阅已被他人更新"):
        FRAME.run(loan.pk, A.GIVE_BACK, admin, version=1)
    assert Loan.objects.get(pk=loan.pk).version == 2
    # A target rule: a rare book reported is lost, another one returned.
    rare = Loan.objects.create(title="孤本", status=S.LENT)
    assert FRAME.run(rare.pk, A.REPORT, admin).status == S.LOST
    assert (
        FRAME.run(Loan.objects.create(title="水浒", status=S.LENT).pk, A.REPORT, admin).status == S.RETURNED
    )


def test_parameters_are_validated_from_their_declaration(loans):
    admin, worker = loans.user("east", Role.ADMIN), loans.user("east", Role.GRID_WORKER)
    loan = Loan.objects.create(title="红楼梦")
    cases = [
        ({}, {"days": "required"}),
        ({"days": "x"}, {"days": "required"}),
        ({"days": 99}, {"days": "out_of_range"}),
        ({"days": 7, "shelf": "attic"}, {"shelf": "invalid_choice"}),
        ({"days": 7, "colour": "red"}, {"colour": "unknown"}),
    ]
    for params, fields in cases:
        with pytest.raises(InvalidInput) as caught:
            FRAME.run(loan.pk, A.LEND, admin, params)
        assert caught.value.fields == fields, params
    assert Loan.objects.get(pk=loan.pk).version == 1
    lent = FRAME.run(loan.pk, A.LEND, admin, {"days": 20})
    # A guard on the parameters names the field and says what it found.
    with pytest.raises(InvalidInput, match="最多还能续借 10 天") as caught:
        FRAME.run(lent.pk, A.RENEW, worker, {"days": 15})
    assert caught.value.fields == {"days": "too_long"}
    assert FRAME.run(lent.pk, A.RENEW, worker, {"days": 10}).days == 30
    # The state guard: no renew button any more, and a refusal if tried.
    with pytest.raises(TransitionNotAllowed, match="已达最长借期"):
        FRAME.run(lent.pk, A.RENEW, worker, {"days": 1})


def test_the_web_form_comes_from_the_same_declaration(loans):
    admin = loans.user("east", Role.ADMIN)
    loan = Loan.objects.create(title="红楼梦")
    form = ActionForm(obj=loan, user=admin, transition=MACHINE[A.LEND])
    assert list(form.fields) == ["version", "next", "days", "shelf", "note"]
    assert form.fields["days"].required and form.fields["days"].max_value == MAX_DAYS
    assert [v for v, _label in form.fields["shelf"].choices] == ["", "open", "stacks"]
    assert form.primary and not form.danger
    posted = ActionForm(
        {"version": 1, "days": 5, "shelf": "open"}, obj=loan, user=admin, transition=MACHINE[A.LEND]
    )
    assert posted.is_valid(), posted.errors
    assert posted.params() == {"version": 1, "days": 5, "shelf": "open"}


def test_a_body_never_sets_the_status(loans):
    admin = loans.user("east", Role.ADMIN)
    loan = Loan.objects.create(title="红楼梦", status=S.LENT)
    cheat = Frame(machine=MACHINE, model=Loan, load=load, record=record)
    cheat.implements(A.GIVE_BACK)(lambda ctx: ctx.set(status=S.LOST))
    with pytest.raises(AssertionError, match="applies the target"):
        cheat.run(loan.pk, A.GIVE_BACK, admin)
    assert Loan.objects.get(pk=loan.pk).status == S.LENT


def test_system_transitions_are_idempotent_and_bump_the_version(loans):
    loan = Loan.objects.create(title="红楼梦", status=S.LENT)

    def remind(ctx):
        ctx.set(reminded=True)

    assert FRAME.run_system(loan.pk, A.REMIND, remind) is True
    assert FRAME.run_system(loan.pk, A.REMIND, remind) is False  # the guard: once
    stored = Loan.objects.get(pk=loan.pk)
    assert (stored.reminded, stored.version, stored.status) == (True, 2, S.LENT)
    assert [e["action"] for e in events] == [A.REMIND]


def test_concurrent_writers_exactly_one_wins(loans):
    admin = loans.user("east", Role.ADMIN)
    loan = Loan.objects.create(title="红楼梦")
    outcomes: list[str] = []

    def lend_it() -> None:
        try:
            FRAME.run(loan.pk, A.LEND, admin, {"days": 7, "version": 1})
            outcomes.append("won")
        except (Conflict, TransitionNotAllowed):
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=lend_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 3 + ["won"]
    assert Loan.objects.get(pk=loan.pk).version == 2


def test_a_moment_parameter_reads_local_time_and_refuses_nonsense():
    due = Param("due", "上门时间", Kind.DATETIME, required=True)
    moment = due.clean("2027-03-04T09:30", None)
    assert moment.tzinfo is not None
    assert timezone.localtime(moment).replace(tzinfo=None) == dt.datetime(2027, 3, 4, 9, 30)
    assert due.clean("2027-03-04T09:30+00:00", None) == dt.datetime(2027, 3, 4, 9, 30, tzinfo=dt.UTC)
    for bad, code in (("tomorrow", "invalid"), ("1900-01-01T08:00", "out_of_range")):
        with pytest.raises(InvalidInput) as caught:
            due.clean(bad, None)
        assert caught.value.fields == {"due": code}
    field = due.form_field(None, None)
    assert field.widget.input_type == "datetime-local"
