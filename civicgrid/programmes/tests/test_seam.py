"""The programmes seam: scoping (a handling unit's staff see only their unit's projects and
proposals, a member unit is seen in the streets it serves), the session and representative
actions, the machines' guards, and the webhook payloads of programmes objects."""

from datetime import date

from django.test import TestCase

from civicgrid.core.choices import Role
from civicgrid.core.errors import Forbidden, InvalidInput, NotFound
from civicgrid.core.models import Event
from civicgrid.programmes.actions import sessions
from civicgrid.programmes.choices import ProjectAction, ProposalAction, SessionKind
from civicgrid.programmes.models import (
    Claim,
    EvaluationVoter,
    MemberUnit,
    Project,
    Proposal,
    Representative,
    Session,
    WelfareProject,
)
from civicgrid.programmes.workflow import PROJECT_MACHINE, PROPOSAL_MACHINE
from civicgrid.testing.factories import build_world
from civicgrid.testing.programmes import build_programmes
from civicgrid.webhooks.payloads import object_body


class ScopeTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        cls.east = build_programmes(cls.w.east, mark="东")
        cls.west = build_programmes(cls.w.west, mark="西")

    def test_street_staff_see_their_street_only(self) -> None:
        for role in (Role.ADMIN, Role.LEADER, Role.CADRE, Role.DISPATCHER):
            user = self.w.user("east", role)
            with self.subTest(role=role):
                titles = set(Project.objects.restrict(user, "view").values_list("title", flat=True))
                self.assertEqual(titles, {"老旧小区综合改造东", "电线线路改造东"})
                self.assertEqual(list(WelfareProject.objects.restrict(user, "view")), [self.east.welfare])
                self.assertEqual(list(MemberUnit.objects.restrict(user, "view")), [self.east.member])
                self.assertEqual(list(Session.objects.restrict(user, "view")), [self.east.session])

    def test_a_handler_sees_their_units_rows_only(self) -> None:
        handler = self.w.user("east", Role.HANDLER)
        self.assertEqual(list(Project.objects.restrict(handler, "view")), [self.east.project])
        self.assertEqual(list(Proposal.objects.restrict(handler, "view")), [self.east.proposal])
        for model in (WelfareProject, Claim, MemberUnit, Session, Representative, EvaluationVoter):
            with self.subTest(model=model.__name__):
                self.assertFalse(model.objects.restrict(handler, "view").exists())

    def test_a_member_unit_serving_two_streets_is_seen_in_both_once(self) -> None:
        self.east.member.streets.add(self.w.west.street)
        for street in ("east", "west"):
            admin = self.w.user(street, Role.ADMIN)
            rows = list(MemberUnit.objects.restrict(admin, "view").filter(pk=self.east.member.pk))
            self.assertEqual(rows, [self.east.member])
        self.assertEqual(MemberUnit.objects.restrict(self.w.user("west", Role.ADMIN), "view").count(), 2)

    def test_residents_see_nothing(self) -> None:
        resident = self.w.user("east", Role.RESIDENT)
        self.assertFalse(Project.objects.restrict(resident, "view").exists())
        self.assertFalse(Proposal.objects.restrict(resident, "view").exists())

    def test_machines_offer_by_capability_and_state(self) -> None:
        admin, handler = self.w.user("east", Role.ADMIN), self.w.user("east", Role.HANDLER)
        project = self.east.project
        self.assertIn(ProjectAction.REPORT, PROJECT_MACHINE.allowed_actions(project, handler))
        self.assertNotIn(ProjectAction.CANCEL, PROJECT_MACHINE.allowed_actions(project, handler))
        self.assertIn(ProjectAction.CANCEL, PROJECT_MACHINE.allowed_actions(project, admin))
        # The child's target is not reached (180 of 450): completing is refused.
        self.assertNotIn(ProjectAction.COMPLETE, PROJECT_MACHINE.allowed_actions(project, admin))
        proposal = self.east.proposal
        assert proposal is not None
        self.assertEqual(PROPOSAL_MACHINE.allowed_actions(proposal, handler), [ProposalAction.ANSWER])

    def test_webhook_payloads_carry_no_free_text(self) -> None:
        for obj in (
            self.east.project,
            self.east.milestone,
            self.east.welfare,
            self.east.claim,
            self.east.proposal,
            self.east.evaluation,
        ):
            with self.subTest(obj=type(obj).__name__):
                body = str(object_body(obj))
                self.assertIn("'street'", body)
                for text in (
                    "电线线路改造东",
                    "冬衣",
                    "派出全科医生东",
                    "增设非机动车充电桩东",
                    "民主测评东",
                ):
                    self.assertNotIn(text, body)


class SessionActionTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()

    def test_a_session_and_representatives(self) -> None:
        admin = self.w.user("east", Role.ADMIN)
        session = sessions.create_session(
            admin,
            street=self.w.east.street.pk,
            kind=SessionKind.COMMUNITY,
            title="社区代表大会",
            held_on=date(2027, 3, 1),
        )
        self.assertTrue(
            Event.objects.filter(app="programmes", object_id=session.pk, action="create").exists()
        )
        rep = sessions.add_representative(
            admin,
            street=self.w.east.street,
            name=" 孙代表 ",
            area=self.w.east.residential[0],
            term_from=date(2026, 1, 1),
        )
        self.assertEqual((rep.name, rep.area), ("孙代表", self.w.east.residential[0]))

    def test_refusals_name_the_field(self) -> None:
        admin = self.w.user("east", Role.ADMIN)
        with self.assertRaises(InvalidInput) as caught:
            sessions.create_session(
                admin, street=self.w.east.street, kind="x", title="t", held_on=date(2027, 3, 1)
            )
        self.assertEqual(caught.exception.fields, {"kind": "invalid"})
        with self.assertRaises(InvalidInput) as caught:
            sessions.add_representative(
                admin,
                street=self.w.east.street,
                name="钱",
                area=self.w.west.residential[0],
                term_from=date(2026, 1, 1),
            )
        self.assertEqual(caught.exception.fields, {"area": "not_found"})
        with self.assertRaises(NotFound):
            sessions.create_session(
                admin,
                street=self.w.west.street,
                kind=SessionKind.RESIDENTS,
                title="t",
                held_on=date(2027, 3, 1),
            )
        with self.assertRaises(Forbidden):
            sessions.create_session(
                self.w.user("east", Role.CADRE),
                street=self.w.east.street,
                kind=SessionKind.RESIDENTS,
                title="t",
                held_on=date(2027, 3, 1),
            )
