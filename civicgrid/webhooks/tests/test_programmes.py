"""Webhooks for programmes (`programmes.<action>`): the machines' actions are offered, and a
project published and a claim confirmed are delivered to the subscriptions of their street with
payloads that carry no title, need, note or person's name."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction

from civicgrid.core.choices import Role
from civicgrid.programmes.actions.frames import CLAIM_FRAME, PROJECT_FRAME
from civicgrid.programmes.choices import ClaimAction, ProjectAction, ProjectCategory, ProjectStatus
from civicgrid.programmes.models import Project, Target
from civicgrid.testing.programmes import build_programmes
from civicgrid.webhooks.choices import event_choices
from civicgrid.webhooks.models import Delivery

from .test_delivery import subscribe

pytestmark = pytest.mark.django_db


def test_programmes_kinds_are_offered():
    kinds = [kind for kind, _label in event_choices()]
    for kind in ("programmes.publish", "programmes.report", "programmes.confirm", "programmes.answer"):
        assert kind in kinds
    assert kinds.count("programmes.complete") == 1  # projects' and milestones'


def test_a_published_project_and_a_confirmed_claim_are_delivered(
    world, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        made = build_programmes(world.east, mark="标记")
        draft = Project.objects.create(
            street=world.east.street,
            year=2027,
            title="口袋公园建设标记",
            category=ProjectCategory.ENVIRONMENT,
            owner_office="社区管理办",
            starts_on=date(2027, 3, 1),
            ends_on=date(2027, 10, 31),
            status=ProjectStatus.DRAFT,
        )
        Target.objects.create(
            project=draft, street=world.east.street, name="公园", unit="个", goal=Decimal(3)
        )
    wanted = subscribe(world, receiver, events=["programmes.publish", "programmes.confirm"])
    subscribe(world, receiver, street="west", events=["programmes.publish"])  # another street
    admin = world.user("east", Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        PROJECT_FRAME.run(draft.pk, ProjectAction.PUBLISH, admin, {"note": "经居民代表会议通过"})
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        CLAIM_FRAME.run(made.claim.pk, ClaimAction.CONFIRM, admin, {"note": "同意"})

    assert len(receiver.requests) == 2
    project_body, claim_body = (r.json() for r in receiver.requests)
    assert {d.subscription for d in Delivery.objects.all()} == {wanted}
    assert project_body["event"] == "programmes.publish"
    assert project_body["object"]["type"] == "project" and project_body["object"]["status"] == "active"
    assert project_body["object"]["street"]["code"] == world.east.street.code
    assert claim_body["event"] == "programmes.confirm"
    assert claim_body["object"]["type"] == "claim" and claim_body["object"]["number"].endswith("-GY-0001")
    assert claim_body["object"]["quantity"] == 10.0
    # An organisation's name is no personal data; its contact, titles, needs and notes stay out.
    assert claim_body["object"]["member_unit"] == "联合医院标记"
    text = json.dumps([project_body, claim_body], ensure_ascii=False)
    for private in (
        "口袋公园建设标记",
        "经居民代表会议通过",
        "同意",
        "派出全科医生",
        "上门体检医生",
        "李联系",
        "13912345678",
    ):
        assert private not in text
