"""The order endpoints under /api/v1/inspections/: the list with its filters, one order, its
actions with versions, roles and scope, and the printed notice."""

import json
from typing import Any

import time_machine
from django.test import TestCase

from civicgrid.accounts import tokens
from civicgrid.core.choices import Role
from civicgrid.inspections.actions import order_deadlines
from civicgrid.inspections.choices import OrderStatus
from civicgrid.testing.factories import build_world
from civicgrid.testing.inspections import build_inspections

from .test_orders import NOW


@time_machine.travel(NOW, tick=False)
class OrderApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)

    def call(
        self, role: str, method: str, path: str, body: Any = None, street: str = "east", **headers: Any
    ) -> Any:
        user = self.world.user(street, role)
        key = tokens.issue(user, scopes=["read", "write"], rate_limit=0).key
        kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {key}", **headers}}
        if body is not None:
            kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
        return getattr(self.client, method)(f"/api/v1/inspections{path}", **kwargs)

    def test_list_filters_and_scope(self) -> None:
        number = self.east.order.number
        listing = self.call(Role.GRID_WORKER, "get", "/orders")
        self.assertEqual(listing.status_code, 200, listing.content)
        self.assertEqual([o["number"] for o in listing.json()["results"]], [number])
        self.assertEqual(self.call(Role.ADMIN, "get", "/orders", street="west").json()["count"], 0)
        self.assertEqual(self.call(Role.ADMIN, "get", "/orders?overdue=true").json()["count"], 0)
        self.assertEqual(self.call(Role.ADMIN, "get", "/orders?severity=serious").json()["count"], 1)
        self.assertEqual(self.call(Role.ADMIN, "get", "/orders?kind=petrol").json()["count"], 0)
        bad = self.call(Role.ADMIN, "get", "/orders?area=nowhere")
        self.assertEqual(bad.status_code, 400)
        self.assertIn("area", bad.json()["error"]["fields"])
        with time_machine.travel("2026-03-16 09:00 +0800", tick=False):
            order_deadlines.check_orders()
            late = self.call(Role.ADMIN, "get", "/orders?overdue=true&escalation=supervised").json()
        self.assertEqual(late["count"], 1)
        detail = self.call(Role.LEADER, "get", f"/orders/{number}")
        self.assertEqual(detail.status_code, 200)
        self.assertTrue(detail.headers["ETag"])
        self.assertEqual(self.call(Role.ADMIN, "get", f"/orders/{number}", street="west").status_code, 404)

    def test_actions_with_versions_and_roles(self) -> None:
        number = self.east.order.number
        path = f"/orders/{number}/actions/report_done"
        body = {"note": "已拆除私拉电线", "version": 1}
        self.assertEqual(self.call(Role.DISPATCHER, "post", path, body).status_code, 403)
        self.assertEqual(self.call(Role.GRID_WORKER, "post", path, {**body, "version": 7}).status_code, 409)
        self.assertEqual(self.call(Role.GRID_WORKER, "post", path, {}).status_code, 400)
        stale = self.call(Role.GRID_WORKER, "post", path, {"note": "x"}, **{"If-Match": '"nope"'})
        self.assertEqual(stale.status_code, 412)
        self.assertEqual(self.call(Role.ADMIN, "post", path, body, street="west").status_code, 404)
        done = self.call(Role.GRID_WORKER, "post", path, body)
        self.assertEqual(done.status_code, 200, done.content)
        self.assertEqual((done.json()["status"], done.json()["version"]), (OrderStatus.SUBMITTED, 2))
        closed = self.call(
            Role.GRID_WORKER, "post", f"/orders/{number}/actions/recheck_pass", {"note": "合格"}
        )
        self.assertEqual(closed.json()["status"], OrderStatus.CLOSED)
        # The deadline job's transitions are no action of a person.
        system = self.call(Role.ADMIN, "post", f"/orders/{number}/actions/supervise", {})
        self.assertEqual(system.status_code, 400)

    def test_notice_pdf(self) -> None:
        response = self.call(Role.GRID_WORKER, "get", f"/orders/{self.east.order.number}/notice.pdf")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertTrue(response.content.startswith(b"%PDF"))
