"""Webhooks for inspections (`inspections.<action>`): offered in the subscription's choices
(the three machines' `cancel` one kind), delivered for an order issued and a task cancelled
with a payload without personal data, to the subscriptions of the object's street only; a
case subscription is delivered as before."""

import json

import pytest
from django.db import transaction

from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.tests.factories import advance, duty, make_case
from civicgrid.core import events
from civicgrid.core.choices import Role
from civicgrid.inspections.actions.orders import issue_order
from civicgrid.inspections.choices import PlaceKind, Severity
from civicgrid.testing.inspections import build_inspections
from civicgrid.webhooks.choices import event_choices, event_kinds
from civicgrid.webhooks.models import Delivery

from .test_delivery import dispatch, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world):
    duty(world)
    return world


def built(w, capture):
    """The east's inspections world, its events read by the consumer before any subscription."""
    with capture(execute=True), transaction.atomic():
        return build_inspections(w.east)


def test_inspections_kinds_are_offered_once_each():
    kinds = [kind for kind, _label in event_choices()]
    assert len(kinds) == len(set(kinds))
    for kind in (
        "inspections.issue",
        "inspections.supervise",
        "inspections.escalate",
        "inspections.report_up",
    ):
        assert kind in event_kinds()
    assert "inspections.recheck_pass" in kinds and "inspections.confirm" in kinds
    assert kinds.count("inspections.cancel") == 1
    assert "cases.dispatch" in kinds and "case.dispatch" in event_kinds()


def test_an_issued_order_is_delivered_without_personal_data(w, receiver, django_capture_on_commit_callbacks):
    ins = built(w, django_capture_on_commit_callbacks)
    wanted = subscribe(w, receiver, events=["inspections.issue"])
    subscribe(w, receiver, street="west", events=["inspections.issue"])  # another street
    subscribe(w, receiver, events=["inspections.escalate"])  # another event
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        order = issue_order(
            w.user("east", Role.LEADER),
            ins.petrol,
            finding="加油机旁堆放杂物，联系人13912345678",
            severity=Severity.MAJOR,
            requirement="立即清理",
        )

    assert len(receiver.requests) == 1
    body = receiver.requests[0].json()
    only = Delivery.objects.get()
    assert only.subscription == wanted and only.event == "inspections.issue"
    assert (only.object_type, only.object_id, only.object_number) == ("order", order.pk, order.number)
    assert only.case_id is None and only.case_number == ""
    assert body["event"] == "inspections.issue" and body["id"] == str(only.pk)
    assert body["object"]["type"] == "order" and body["object"]["number"] == order.number
    assert body["object"]["status"] == "issued" and body["object"]["severity"] == Severity.MAJOR
    assert body["object"]["place_kind"] == PlaceKind.PETROL
    assert body["object"]["street"] == {"code": w.east.street.code, "name": w.east.street.name}
    assert body["object"]["due_at"].endswith("+08:00")
    assert body["object_event"]["action"] == "issue"
    text = json.dumps(body, ensure_ascii=False)
    for personal in ("13912345678", "加油机旁", "立即清理", ins.petrol.name, "王经理", "东街道领导"):
        assert personal not in text


def test_a_cancel_of_a_task_is_delivered_as_the_one_cancel_kind(
    w, receiver, django_capture_on_commit_callbacks
):
    ins = built(w, django_capture_on_commit_callbacks)
    subscribe(w, receiver, events=["inspections.cancel"])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.log(ins.task, "cancel", w.user("east", Role.ADMIN))
    body = receiver.requests[0].json()
    assert body["event"] == "inspections.cancel"
    assert body["object"]["type"] == "task" and body["object"]["id"] == ins.task.pk
    # An object without a payload (an inspection record) is not delivered, whatever its event.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.log(ins.inspection, "cancel", w.user("east", Role.ADMIN))
    assert Delivery.objects.count() == 1


def test_a_case_subscription_is_delivered_as_before(w, receiver, django_capture_on_commit_callbacks):
    built(w, django_capture_on_commit_callbacks)
    subscribe(w, receiver, events=["case.dispatch", "inspections.issue"])
    case = advance(w, make_case(w), CaseStatus.FILED)
    dispatch(w, case, django_capture_on_commit_callbacks)
    only = Delivery.objects.get()
    body = receiver.requests[0].json()
    assert set(body) == {"id", "event", "occurred_at", "case", "case_event"}
    assert (only.case_id, only.case_number) == (case.pk, case.number)
    assert (only.object_type, only.object_id, only.object_number) == ("case", case.pk, case.number)
