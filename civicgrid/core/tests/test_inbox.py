"""The inbox is the kernel's (/inbox/): any app's notices, listed, linked and marked read by
core's views and core.notifications' read marks; core needs no other app for it."""

import ast
from pathlib import Path

import pytest
from django.urls import reverse

from civicgrid.core import notifications
from civicgrid.core.choices import Role
from civicgrid.core.errors import NotFound
from civicgrid.core.models import Notification

pytestmark = pytest.mark.django_db

CORE = Path(notifications.__file__).parent
APPS = ("accounts", "api", "cases", "demo", "geo", "insights", "open311", "orgs", "profiles", "webhooks")


def test_the_inbox_page_lists_links_and_marks_read(world, client):
    handler, unit = world.user("east", Role.HANDLER), world.east.unit
    notifications.notify([handler], unit, "unit_changed", "单位联系电话已更新", "unit:phone:1")
    notifications.notify([handler], None, "system", "系统维护", "sys:1")
    about_unit, about_nothing = Notification.objects.order_by("pk")
    client.force_login(handler)
    response = client.get("/inbox/")
    assert response.status_code == 200 and [t.name for t in response.templates][0] == "core/inbox.html"
    html = response.content.decode()
    assert f'<a href="{unit.get_absolute_url()}">单位联系电话已更新</a>' in html and "系统维护" in html
    assert 'data-unread="2"' in html and 'href="/inbox/" class="inbox-link"' in html

    row = client.post(f"/inbox/{about_unit.pk}/read/", headers={"HX-Request": "true"})
    assert row.status_code == 200 and row["HX-Trigger"] == "notifications-changed"
    assert f'id="note-{about_unit.pk}"' in row.content.decode() and "标为已读" not in row.content.decode()
    unread = client.get("/inbox/?show=unread").content.decode()
    assert "系统维护" in unread and "单位联系电话已更新" not in unread and 'data-unread="1"' in unread
    # Without htmx: back to the inbox, or to a `next` on this site only.
    assert client.post(f"/inbox/{about_nothing.pk}/read/")["Location"] == "/inbox/"
    back = client.post(f"/inbox/{about_nothing.pk}/read/", {"next": "https://evil.example/"})
    assert back["Location"] == "/inbox/"
    assert client.get(f"/inbox/{about_nothing.pk}/read/").status_code == 405


def test_a_notice_is_its_readers_alone(world, client):
    mine, theirs = world.user("east", Role.HANDLER), world.user("east", Role.ADMIN)
    notifications.notify([mine, theirs], None, "system", "系统维护", "sys:1")
    their_note = Notification.objects.get(user=theirs)
    client.force_login(mine)
    assert "系统维护" in client.get(reverse("core:inbox")).content.decode()
    assert client.post(reverse("core:notification_read", args=[their_note.pk])).status_code == 404
    assert client.post(reverse("core:notification_read", args=[2**70])).status_code == 404
    client.post(reverse("core:inbox_read_all"))
    assert Notification.objects.get(user=mine).read_at is not None
    assert Notification.objects.get(pk=their_note.pk).read_at is None
    client.logout()
    assert client.get("/inbox/")["Location"].startswith(reverse("accounts:login"))


def test_read_marks_keep_the_first_read_time(world):
    handler = world.user("east", Role.HANDLER)
    notifications.notify([handler], None, "system", "a", "a")
    notifications.notify([handler], None, "system", "b", "b")
    first = Notification.objects.get(text="a")
    read_at = notifications.mark_read(handler, first.pk).read_at
    assert read_at is not None and notifications.mark_read(handler, first.pk).read_at == read_at
    with pytest.raises(NotFound):
        notifications.mark_read(world.user("west", Role.HANDLER), first.pk)
    assert notifications.mark_all_read(handler) == 1 and notifications.mark_all_read(handler) == 0
    assert Notification.objects.get(pk=first.pk).read_at == read_at


def test_core_imports_no_app():
    """The kernel (and so the inbox and the attachments' files) works without any other app."""
    offenders = []
    for module in CORE.rglob("*.py"):
        if {"tests", "migrations"} & set(module.relative_to(CORE).parts):
            continue
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            offenders += [
                f"{module.relative_to(CORE)}: {name}"
                for name in names
                if name.startswith("civicgrid.") and name.split(".")[1] in APPS
            ]
    assert not offenders
