"""The inbox holds the kernel's notifications (core.notifications): a notice about any object —
here a handling unit or an area — is listed on the inbox page and in the API with its link,
sent once per key, and marked read like a case's."""

import pytest
from django.db import transaction
from django.urls import reverse

from civicgrid.cases import notifications as case_notifications
from civicgrid.cases.models import Notification
from civicgrid.core import notifications
from civicgrid.core import tasks as core_tasks
from civicgrid.core.choices import Role
from civicgrid.testing.api import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit_kinds(monkeypatch):
    monkeypatch.setattr(notifications, "KIND_LABELS", dict(notifications.KIND_LABELS))
    notifications.register_kinds(type("Kinds", (), {"choices": [("unit_changed", "单位变更")]}))


def test_a_notice_about_a_unit_is_in_the_inbox_with_its_link(world, client, unit_kinds):
    handler, unit = world.user("east", Role.HANDLER), world.east.unit
    assert notifications.notify([handler], unit, "unit_changed", "单位联系电话已更新", "unit:phone:1") == 1
    assert notifications.notify([handler], unit, "unit_changed", "单位联系电话已更新", "unit:phone:1") == 0
    note = Notification.objects.get(user=handler)
    assert (note.about, note.street_id, note.url) == (unit, world.east.street.pk, unit.get_absolute_url())
    assert note.get_kind_display() == "单位变更"

    client.force_login(handler)
    html = client.get(reverse("core:inbox")).content.decode()
    assert f'<a href="{unit.get_absolute_url()}">单位联系电话已更新</a>' in html and "单位变更" in html
    assert 'data-unread="1"' in client.get(reverse("cases:tasks")).content.decode()
    api = ApiClient(client, handler)
    (listed,) = api.get("/notifications").json()["results"]
    assert (listed["text"], listed["kind_label"], listed["case"]) == ("单位联系电话已更新", "单位变更", None)
    assert listed["url"] == unit.get_absolute_url()
    assert api.post(f"/notifications/{note.pk}/read").json()["read_at"]
    # Nobody else sees it.
    other = ApiClient(client, world.user("west", Role.HANDLER))
    assert other.post(f"/notifications/{note.pk}/read").status_code == 404


def test_an_unregistered_kind_shows_as_it_is(world):
    handler = world.user("east", Role.HANDLER)
    notifications.notify([handler], None, "something_new", "系统维护", "sys:1")
    assert Notification.objects.get(user=handler).get_kind_display() == "something_new"


def test_sent_after_the_commit_only_never_about_a_vanished_object(world, django_capture_on_commit_callbacks):
    handler, unit = world.user("east", Role.HANDLER), world.east.unit
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notifications.send_on_commit([handler], unit, "unit_changed", "单位已调整", "unit:moved:1")
        assert not Notification.objects.exists()  # not before the commit
    assert Notification.objects.get(user=handler).about == unit
    gone = ["orgs.unit", unit.pk + 1000]
    assert core_tasks.send_notification.apply(args=([handler.pk], gone, "unit_changed", "x", "k")).get() == 0
    assert Notification.objects.count() == 1


def test_a_street_desk_is_told_about_an_area(world):
    """cases' audiences work for any object (enqueue_about), with the same idempotent keys."""
    grid = world.east.grids[0]
    desk = case_notifications.desk(world.east.street.pk)
    for _ in range(2):  # a redelivered task
        case_notifications.enqueue_about(desk, grid, "case_update", "网格边界已调整", "grid:1")
    sent = Notification.objects.filter(object_id=grid.pk, url=grid.get_absolute_url())
    assert {n.user.role for n in sent} == {Role.DISPATCHER, Role.ADMIN} and sent.count() == 2
    assert {n.street_id for n in sent} == {world.east.street.pk}
    assert sent.first().get_kind_display() == "工单动态"
