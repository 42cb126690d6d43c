"""Proposal actions: filing with co-signers and per-session numbers, the filing deadline,
editing while filed, merge (invalid targets refused naming `into`; merged ones follow the
target), decline (reason required), assign (unit or office; the profile's default deadline;
the unit told), answer (the assigned unit only), rating and reassign after 不满意."""

import threading
from datetime import date, datetime
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.test import TestCase

from civicgrid.core import profile
from civicgrid.core.choices import Role
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TransitionNotAllowed
from civicgrid.core.models import Event
from civicgrid.programmes.actions import proposals as actions
from civicgrid.programmes.actions.frames import PROPOSAL_FRAME
from civicgrid.programmes.choices import ProposalAction, ProposalStatus, Rating
from civicgrid.programmes.models import Proposal
from civicgrid.testing.factories import build_world
from civicgrid.testing.programmes import build_programmes

DAY = datetime(2027, 4, 10, 10, 0)


@time_machine.travel(DAY, tick=False)
class ProposalActionTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        cls.east = build_programmes(cls.w.east, mark="东")
        cls.west = build_programmes(cls.w.west, mark="西")
        cls.admin = cls.w.user("east", Role.ADMIN)
        cls.handler = cls.w.user("east", Role.HANDLER)
        cls.reps = cls.east.representatives

    def file(self, title: str = "加装电梯", cosigners: tuple = (), proposer: object = None) -> Proposal:
        return actions.file_proposal(
            self.admin,
            session=self.east.session,
            proposer=proposer or self.reps[0],
            title=title,
            body="多层住宅老人上下楼难，建议加装电梯",
            category="livelihood",
            cosigners=cosigners,
        )

    def act(self, proposal: Proposal, action: str, user: object = None, **params: object) -> Proposal:
        return PROPOSAL_FRAME.run(proposal.pk, action, user or self.admin, params)

    # ------------------------------------------------------------------ filing

    def test_filing_numbers_per_session_with_cosigners(self) -> None:
        first = self.file(cosigners=(self.reps[1].pk, self.reps[2]))
        second = self.file("垃圾分类")
        self.assertEqual((first.number, second.number), (2, 3))  # the builder's proposal is 1
        self.assertEqual(set(first.cosigners.all()), {self.reps[1], self.reps[2]})
        self.assertEqual(first.status, ProposalStatus.FILED)
        event = Event.objects.get(object_type="proposal", object_id=first.pk, action="file")
        self.assertEqual(event.payload["cosigners"], [self.reps[1].pk, self.reps[2].pk])

    def test_cosigners_must_be_other_active_representatives_of_the_street(self) -> None:
        with self.assertRaises(InvalidInput) as caught:
            self.file(cosigners=(self.reps[0],))
        self.assertEqual(caught.exception.fields, {"cosigners": "proposer"})
        with self.assertRaises(InvalidInput) as caught:
            self.file(cosigners=(self.west.representatives[0],))
        self.assertEqual(caught.exception.fields, {"cosigners": "not_found"})
        actions.end_term(self.admin, self.reps[2], term_to=date(2027, 4, 1))
        with self.assertRaises(InvalidInput) as caught:
            self.file(proposer=self.reps[2])
        self.assertEqual(caught.exception.fields, {"proposer": "not_found"})
        with self.assertRaises(InvalidInput):
            self.file(cosigners=("x",))

    def test_filing_is_refused_after_the_sessions_deadline(self) -> None:
        self.east.session.proposals_until = date(2027, 4, 9)
        self.east.session.save()
        with self.assertRaises(InvalidInput) as caught:
            self.file()
        self.assertEqual(caught.exception.fields, {"session": "closed"})
        self.east.session.proposals_until = date(2027, 4, 10)
        self.east.session.save()
        self.assertEqual(self.file().number, 2)

    def test_only_the_desk_files_in_its_street(self) -> None:
        with self.assertRaises(Forbidden):
            actions.file_proposal(
                self.handler,
                session=self.east.session,
                proposer=self.reps[0],
                title="x",
                body="y",
                category="other",
            )
        with self.assertRaises(NotFound):
            actions.file_proposal(
                self.w.user("west", Role.ADMIN),
                session=self.east.session,
                proposer=self.reps[0],
                title="x",
                body="y",
                category="other",
            )
        with self.assertRaises(InvalidInput) as caught:
            self.file(title="")
        self.assertEqual(caught.exception.fields, {"title": "required"})

    def test_a_filed_proposal_is_edited_with_its_version(self) -> None:
        proposal = self.file()
        edited = actions.update_proposal(
            self.admin,
            proposal,
            version=1,
            title="加装电梯（修改）",
            body="正文",
            category="elderly",
            cosigners=[self.reps[1]],
        )
        self.assertEqual((edited.title, edited.version), ("加装电梯（修改）", 2))
        self.assertEqual(list(edited.cosigners.all()), [self.reps[1]])
        with self.assertRaises(Conflict):
            actions.update_proposal(self.admin, proposal, version=1, title="x", body="y", category="other")
        self.act(edited, ProposalAction.ACCEPT)
        with self.assertRaises(Conflict):
            actions.update_proposal(self.admin, proposal, version=3, title="x", body="y", category="other")

    # ------------------------------------------------------------------ merge and decline

    def test_merge_gathers_signers_and_merged_ones_follow_the_answer(self) -> None:
        target = self.file("停车难", cosigners=(self.reps[1],))
        other = self.file("小区停车位不足", proposer=self.reps[2], cosigners=(self.reps[0],))
        third = self.file("夜间停车", proposer=self.reps[1])
        self.act(third, ProposalAction.MERGE, into=other.pk, note="同题")
        merged = self.act(other, ProposalAction.MERGE, into=target.pk, note="同一事项")
        self.assertEqual((merged.status, merged.merged_into_id), (ProposalStatus.MERGED, target.pk))
        third.refresh_from_db()
        self.assertEqual(third.merged_into_id, target.pk)  # followed its target
        # The target's proposer is not its own co-signer; the others joined.
        self.assertEqual(set(target.cosigners.all()), {self.reps[1], self.reps[2]})
        self.act(target, ProposalAction.ACCEPT)
        self.act(target, ProposalAction.ASSIGN, unit=self.w.east.unit.pk)
        self.act(target, ProposalAction.ANSWER, user=self.handler, answer="已划定夜间停车位")
        self.assertEqual(
            [(p.number, p.answer) for p in target.merged.order_by("number")],
            [(other.number, ""), (third.number, "")],
        )
        self.assertEqual(Proposal.objects.get(pk=target.pk).answer, "已划定夜间停车位")

    def test_merge_into_an_invalid_target_names_the_field(self) -> None:
        proposal, declined = self.file(), self.file("不予立案的")
        self.act(declined, ProposalAction.DECLINE, note="不属于街道职责")
        for into in (proposal.pk, declined.pk, self.west.proposal.pk):
            with self.subTest(into=into), self.assertRaises(InvalidInput) as caught:
                self.act(proposal, ProposalAction.MERGE, into=into)
            self.assertIn("into", caught.exception.fields)
        with self.assertRaises(InvalidInput) as caught:
            self.act(proposal, ProposalAction.MERGE)
        self.assertIn("into", caught.exception.fields)

    def test_decline_needs_a_reason(self) -> None:
        proposal = self.file()
        with self.assertRaises(InvalidInput) as caught:
            self.act(proposal, ProposalAction.DECLINE, note=" ")
        self.assertIn("note", caught.exception.fields)
        declined = self.act(proposal, ProposalAction.DECLINE, note="属区级事权，已转区相关部门")
        self.assertEqual(declined.decline_reason, "属区级事权，已转区相关部门")
        self.assertEqual(declined.status, ProposalStatus.DECLINED)

    # ------------------------------------------------------------------ assign, answer, rate

    def test_assign_needs_a_unit_or_office_and_defaults_the_deadline(self) -> None:
        proposal = self.file()
        self.act(proposal, ProposalAction.ACCEPT)
        with self.assertRaises(InvalidInput) as caught:
            self.act(proposal, ProposalAction.ASSIGN)
        self.assertEqual(caught.exception.fields, {"unit": "required"})
        with self.assertRaises(InvalidInput) as caught:
            self.act(proposal, ProposalAction.ASSIGN, office="管理办", deadline="2027-04-01")
        self.assertEqual(caught.exception.fields, {"deadline": "past"})
        with mock.patch.object(profile, "value", return_value=45) as setting:
            done = self.act(proposal, ProposalAction.ASSIGN, office="社区管理办")
        setting.assert_called_with("programmes.proposal_answer_days", self.w.east.street.pk)
        self.assertEqual((done.assigned_office, done.assigned_on), ("社区管理办", date(2027, 4, 10)))
        self.assertEqual(done.deadline, date(2027, 5, 25))

    def test_assigning_to_a_unit_tells_its_staff(self) -> None:
        proposal = self.file()
        self.act(proposal, ProposalAction.ACCEPT)
        with (
            mock.patch("civicgrid.core.notifications.enqueue") as enqueue,
            self.captureOnCommitCallbacks(execute=True),
        ):
            done = self.act(proposal, ProposalAction.ASSIGN, unit=self.w.east.unit.pk, deadline="2027-05-01")
        self.assertEqual(done.deadline, date(2027, 5, 1))
        user_ids, _about, kind, _text, _key, params = enqueue.call_args.args
        self.assertIn(self.handler.pk, user_ids)
        self.assertEqual(kind, "programmes.assigned")
        self.assertEqual(params["number"], proposal.number)

    def test_only_the_assigned_units_handler_answers(self) -> None:
        proposal = self.east.proposal
        west_handler = self.w.user("west", Role.HANDLER)
        with self.assertRaises(NotFound):
            self.act(proposal, ProposalAction.ANSWER, user=west_handler, answer="x")
        office_one = self.file()
        self.act(office_one, ProposalAction.ACCEPT)
        self.act(office_one, ProposalAction.ASSIGN, office="社区管理办")
        with self.assertRaises(NotFound):
            self.act(office_one, ProposalAction.ANSWER, user=self.handler, answer="x")
        with self.assertRaises(Forbidden):
            self.act(proposal, ProposalAction.ANSWER, user=self.w.user("east", Role.CADRE), answer="x")
        done = self.act(proposal, ProposalAction.ANSWER, user=self.handler, answer="已增设 20 个充电桩")
        self.assertEqual((done.status, done.answered_on), (ProposalStatus.ANSWERED, date(2027, 4, 10)))

    def test_rating_and_reassign_after_unsatisfied(self) -> None:
        proposal = self.east.proposal
        self.act(proposal, ProposalAction.ANSWER, user=self.handler, answer="正在协调")
        rated = self.act(proposal, ProposalAction.RATE, rating=Rating.SATISFIED)
        with self.assertRaises(TransitionNotAllowed):
            self.act(rated, ProposalAction.REASSIGN, note="再办")
        # A satisfied rating cannot be reassigned; build an unsatisfied one.
        other = self.file()
        self.act(other, ProposalAction.ACCEPT)
        self.act(other, ProposalAction.ASSIGN, unit=self.w.east.unit.pk)
        self.act(other, ProposalAction.ANSWER, user=self.handler, answer="暂无条件")
        low = self.act(other, ProposalAction.RATE, rating=Rating.UNSATISFIED, note="没有解决")
        self.assertEqual(
            (low.rating, low.rated_on, low.status), (Rating.UNSATISFIED, date(2027, 4, 10), "rated")
        )
        with self.assertRaises(InvalidInput):
            self.act(low, ProposalAction.REASSIGN)  # the reason is required
        again = self.act(low, ProposalAction.REASSIGN, note="请再研究", deadline="2027-06-30")
        self.assertEqual(again.status, ProposalStatus.ASSIGNED)
        self.assertEqual((again.answer, again.rating, again.rated_on), ("", "", None))
        self.assertEqual(again.deadline, date(2027, 6, 30))
        event = Event.objects.filter(object_type="proposal", object_id=other.pk, action="reassign").get()
        self.assertEqual(event.payload["previous_answer"], "暂无条件")
        self.assertEqual(event.payload["previous_rating"], Rating.UNSATISFIED)

    def test_a_stale_version_loses(self) -> None:
        proposal = self.file()
        self.act(proposal, ProposalAction.ACCEPT)
        with self.assertRaises(Conflict):
            PROPOSAL_FRAME.run(proposal.pk, ProposalAction.DECLINE, self.admin, {"note": "x"}, version=1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_filings_get_distinct_numbers(world) -> None:
    programmes = build_programmes(world.east)
    admin = world.user("east", Role.ADMIN)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def attempt(n: int) -> None:
        try:
            barrier.wait()
            actions.file_proposal(
                admin,
                session=programmes.session,
                proposer=programmes.representatives[n % 3],
                title=f"同时提交{n}",
                body="b",
                category="other",
            )
            outcomes.append("ok")
        except Exception as exc:  # anything else is a bug: record it so the assertion shows it
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == ["ok"] * 4
    numbers = sorted(Proposal.objects.filter(session=programmes.session).values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4, 5]
