"""/api/v1/ records around a case (detail sub-records, timeline, photos), the duty table and the
inbox; conditional requests on cases (ETag, If-None-Match → 304, If-Match → 412); query counts."""

import datetime as dt
import io
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings
from PIL import Image

from civicgrid.cases import actions, notifications
from civicgrid.cases.choices import CaseStatus, NotificationKind
from civicgrid.cases.models import Case, CaseEvent, DutyRule, Notification, Photo
from civicgrid.core.choices import Role
from civicgrid.core.models import PersonalDataAccess
from civicgrid.orgs.models import Unit
from civicgrid.testing.api import BASE, ApiClient, TokenLogin
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix

from .factories import advance, duty, make_case


def jpeg(
    colour: str = "red", size: tuple[int, int] = (64, 48), name: str = "scene.jpg"
) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["message"], error
    if field is not None:
        assert field in error["fields"], error
    return error


def stored_files(root: str) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


class CaseRecordsApiTests(TestCase):
    media: str

    @classmethod
    def setUpClass(cls) -> None:
        # Before setUpTestData: photos written while the data is made land here too.
        cls.media = tempfile.mkdtemp(prefix="civicgrid-api-")
        cls.addClassCleanup(shutil.rmtree, cls.media, ignore_errors=True)
        cls.enterClassContext(override_settings(MEDIA_ROOT=cls.media))
        super().setUpClass()

    @classmethod
    def setUpTestData(cls) -> None:
        w = cls.w = build_world()
        cls.rule = duty(w)
        cls.rule.co_units.add(w.shared_unit)
        cls.west_rule = duty(w, "west")
        cls.desk = w.user("east", Role.DISPATCHER)
        handler, leader = w.user("east", Role.HANDLER), w.user("east", Role.LEADER)
        # A case with every kind of record: extension, supervision, callback, a merged follower.
        done = advance(w, make_case(w), CaseStatus.IN_PROGRESS)
        actions.run_action(done.pk, "request_extension", handler, {"working_days": 2, "reason": "需协调物业"})
        actions.run_action(done.pk, "approve_extension", cls.desk, {"note": "同意"})
        actions.run_action(done.pk, "supervise", leader, {"note": "请尽快处理"})
        follower = make_case(w, grid=0)
        actions.run_action(follower.pk, "merge", cls.desk, {"master": done.number})
        done = advance(w, Case.objects.get(pk=done.pk), CaseStatus.CLOSED)
        actions.run_action(
            done.pk,
            "callback",
            cls.desk,
            {"resolution": "resolved", "satisfaction": "satisfied", "note": "已回访"},
        )
        cls.done, cls.follower = done, follower
        cls.open_case = make_case(w, grid=1)
        cls.west_case = make_case(w, street="west")

    def api(
        self, street: str = "east", role: str = Role.DISPATCHER, scopes: tuple[str, ...] = ("write",)
    ) -> ApiClient:
        return ApiClient(self.client, self.w.user(street, role), scopes=scopes)

    # ------------------------------------------------------------------------ detail records

    def test_detail_carries_callbacks_supervisions_extensions_and_merged_cases(self) -> None:
        data = self.api().get(f"/cases/{self.done.number}").json()
        [callback] = data["callbacks"]
        self.assertEqual(
            (callback["resolution"], callback["satisfaction_label"], callback["note"]),
            ("resolved", "满意", "已回访"),
        )
        self.assertIn("east-dispatcher", callback["by"])
        self.assertEqual([(s["kind"], s["note"]) for s in data["supervisions"]], [("leader", "请尽快处理")])
        [ext] = data["extensions"]
        self.assertEqual(
            (ext["status"], ext["working_days"], ext["unit"]["id"]), ("approved", 2, self.w.east.unit.pk)
        )
        self.assertTrue(ext["new_due_at"].endswith("+08:00"))
        self.assertEqual(data["merged_cases"], [self.follower.number])
        self.assertEqual(data["photos"], [])
        ids = [e["id"] for e in data["timeline"]]
        self.assertEqual(ids, sorted(ids))

    # ------------------------------------------------------------------------ ETag / If-None-Match

    def test_case_detail_etag_and_304(self) -> None:
        api = self.api()
        path = f"/cases/{self.open_case.number}"
        tag = api.get(path)["ETag"]
        not_modified = api.get(path, headers={"If-None-Match": tag})
        self.assertEqual((not_modified.status_code, not_modified.content), (304, b""))
        self.assertEqual(
            api.get(f"/cases/{self.open_case.pk}", headers={"If-None-Match": tag}).status_code, 304
        )
        # Another reader, another tag (allowed_actions and masking are theirs).
        self.assertNotEqual(self.api(role=Role.LEADER).get(path)["ETag"], tag)
        # An action changes it; so does the system's response-overdue mark (it bumps the version).
        actions.run_action(self.open_case.pk, "comment", self.desk, {"note": "已联系"})
        after_comment = api.get(path, headers={"If-None-Match": tag})
        self.assertEqual(after_comment.status_code, 200)
        tag = after_comment["ETag"]
        due = Case.objects.get(pk=self.open_case.pk).response_due_at
        version = Case.objects.get(pk=self.open_case.pk).version
        self.assertTrue(actions.mark_response_overdue(self.open_case.pk, due + dt.timedelta(days=1)))
        self.assertEqual(Case.objects.get(pk=self.open_case.pk).version, version + 1)
        self.assertEqual(api.get(path, headers={"If-None-Match": tag}).status_code, 200)

    def test_a_phone_reveal_is_never_a_304(self) -> None:
        api = self.api()
        path = f"/cases/{self.open_case.number}"
        tag = api.get(path)["ETag"]
        revealed = api.get(path, reveal="phone", reason="回访诉求人", headers={"If-None-Match": tag})
        self.assertEqual(revealed.status_code, 200)
        self.assertEqual(revealed.json()["reporter"]["phone"], "13812345678")
        self.assertNotEqual(revealed["ETag"], tag)
        self.assertIn("no-store", revealed["Cache-Control"])
        again = api.get(
            path, reveal="phone", reason="回访诉求人", headers={"If-None-Match": revealed["ETag"]}
        )
        self.assertEqual(again.status_code, 200)
        self.assertEqual(PersonalDataAccess.objects.count(), 2)  # each read logged

    # ------------------------------------------------------------------------ If-Match on actions

    def test_if_match_on_actions(self) -> None:
        api = self.api()
        ref = self.open_case.number
        tag = api.get(f"/cases/{ref}")["ETag"]
        filed = api.post(f"/cases/{ref}/actions/file", {"note": "属实"}, headers={"If-Match": tag})
        self.assertEqual(filed.status_code, 200, filed.content)
        self.assertEqual(filed.json()["status"], "filed")
        new_tag = filed["ETag"]
        self.assertEqual(api.get(f"/cases/{ref}")["ETag"], new_tag)  # the answer's tag is the detail's
        # The old tag is stale now: 412, and nothing happens.
        version = Case.objects.get(pk=self.open_case.pk).version
        for stale in (tag, f"W/{new_tag}", "5", '"nonsense"'):
            error = assert_error(
                api.post(f"/cases/{ref}/actions/comment", {"note": "x"}, headers={"If-Match": stale}),
                412,
                "precondition_failed",
            )
            self.assertIn("If-Match", error["message"])
        self.assertEqual(Case.objects.get(pk=self.open_case.pk).version, version)
        # `*` only asks for the case to exist; a body version still wins and still gives 409.
        star = api.post(f"/cases/{ref}/actions/comment", {"note": "y"}, headers={"If-Match": "*"})
        self.assertEqual(star.status_code, 200)
        current = star["ETag"]
        assert_error(
            api.post(
                f"/cases/{ref}/actions/comment", {"note": "z", "version": 1}, headers={"If-Match": current}
            ),
            409,
            "conflict",
        )
        # Outside the scope the header changes nothing: 404 as always.
        assert_error(
            self.api("west").post(
                f"/cases/{ref}/actions/comment", {"note": "x"}, headers={"If-Match": current}
            ),
            404,
            "not_found",
        )

    # ------------------------------------------------------------------------ timeline

    def test_events_are_paginated_filtered_and_scoped(self) -> None:
        api = self.api()
        path = f"/cases/{self.done.number}/events"
        everything = [e.action for e in CaseEvent.objects.filter(case=self.done).order_by("at", "id")]
        page = api.get(path, page_size=4).json()
        self.assertEqual(page["count"], len(everything))
        self.assertEqual([e["action"] for e in page["results"]], everything[:4])
        rest = [
            e["action"] for p in range(2, 5) for e in api.get(path, page_size=4, page=p).json()["results"]
        ]
        self.assertEqual(rest, everything[4:])
        self.assertEqual([e["action"] for e in api.get(path, action="sign").json()["results"]], ["sign"])
        assert_error(api.get(path, action="dance"), 400, "invalid", "action")
        assert_error(self.api("west").get(path), 404, "not_found")
        # A handler sees the cases dispatched to its unit, with their timelines.
        self.assertEqual(self.api(role=Role.HANDLER).get(path).json()["count"], len(everything))
        assert_error(
            self.api(role=Role.HANDLER).get(f"/cases/{self.open_case.number}/events"), 404, "not_found"
        )

    # ------------------------------------------------------------------------ photos

    def test_upload_list_and_download_photos(self) -> None:
        grid = self.api(role=Role.GRID_WORKER)
        ref = self.done.number
        before = Case.objects.get(pk=self.done.pk).version
        response = grid.upload(
            f"/cases/{ref}/photos", {"photos": [jpeg("red"), jpeg("blue", (800, 600))], "stage": "before"}
        )
        self.assertEqual(response.status_code, 201, response.content)
        data = response.json()
        self.assertEqual(data["version"], before + 1)
        self.assertEqual(
            (data["event"]["action"], data["event"]["note"]), ("comment", "上传了 2 张处置前照片")
        )
        self.assertEqual(
            [(p["stage"], p["width"]) for p in data["photos"]], [("before", 64), ("before", 800)]
        )
        photos = list(Photo.objects.filter(case=self.done).order_by("id"))
        self.assertEqual([p.event_id for p in photos], [data["event"]["id"]] * 2)
        self.assertEqual({p.street_id for p in photos}, {self.done.street_id})
        self.assertEqual(Case.objects.get(pk=self.done.pk).version, before + 1)

        listed = self.api().get(f"/cases/{ref}/photos").json()
        self.assertEqual(listed["count"], 2)
        url = listed["results"][1]["url"]
        self.assertTrue(
            url.startswith("http://testserver/api/v1/cases/") and url.endswith(f"/{photos[1].pk}")
        )
        self.assertEqual(self.api().get(f"/cases/{ref}/photos", stage="after").json()["count"], 0)
        self.assertEqual(self.api().get(f"/cases/{ref}").json()["photos"], listed["results"])

        path = url.removeprefix("http://testserver" + BASE)
        full = self.api().get(path)
        self.assertEqual((full.status_code, full["Content-Type"]), (200, "image/jpeg"))
        with Image.open(io.BytesIO(b"".join(full.streaming_content))) as image:
            self.assertEqual(image.size, (800, 600))
        thumb = self.api().get(path, size="thumb")
        with Image.open(io.BytesIO(b"".join(thumb.streaming_content))) as image:
            self.assertLessEqual(max(image.size), 320)
        self.assertNotEqual(thumb["ETag"], full["ETag"])
        self.assertEqual(self.api().get(path, headers={"If-None-Match": full["ETag"]}).status_code, 304)
        assert_error(self.api("west").get(path), 404, "not_found")
        assert_error(
            self.api().get(f"/cases/{self.open_case.number}/photos/{photos[1].pk}"), 404, "not_found"
        )
        # Without the token nothing at all.
        self.assertEqual(self.client.get(BASE + path).status_code, 401)

    def test_an_invalid_file_is_400_naming_the_field_and_nothing_is_written(self) -> None:
        api = self.api()
        ref = self.open_case.number
        files_before, version = stored_files(self.media), Case.objects.get(pk=self.open_case.pk).version
        events = CaseEvent.objects.filter(case=self.open_case).count()
        not_an_image = SimpleUploadedFile("notes.jpg", b"not an image at all", content_type="image/jpeg")
        gif = io.BytesIO()
        Image.new("RGB", (8, 8)).save(gif, format="GIF")
        cases = [
            ({"photos": [jpeg(), not_an_image]}, "photos", "invalid_image"),
            ({"photos": [SimpleUploadedFile("a.gif", gif.getvalue())]}, "photos", "format"),
            ({"stage": "after"}, "photos", "required"),
            ({"photos": [jpeg()], "stage": "during"}, "stage", "invalid_choice"),
            ({"photos": [jpeg(name=f"{n}.jpg") for n in range(10)]}, "photos", "too_many"),
            ({"photos": [jpeg()], "version": "latest"}, "version", "invalid"),
        ]
        for body, field, reason in cases:
            error = assert_error(api.upload(f"/cases/{ref}/photos", body), 400, "invalid", field)
            self.assertEqual(error["fields"][field], reason, body)
        # A stale version or ETag: refused before anything is stored.
        assert_error(
            api.upload(f"/cases/{ref}/photos", {"photos": [jpeg()], "version": version + 5}), 409, "conflict"
        )
        assert_error(
            api.upload(f"/cases/{ref}/photos", {"photos": [jpeg()]}, headers={"If-Match": '"stale"'}),
            412,
            "precondition_failed",
        )
        self.assertFalse(Photo.objects.filter(case=self.open_case).exists())
        self.assertEqual(CaseEvent.objects.filter(case=self.open_case).count(), events)
        self.assertEqual(Case.objects.get(pk=self.open_case.pk).version, version)
        self.assertEqual(stored_files(self.media), files_before)

    def test_upload_permissions(self) -> None:
        ref = self.open_case.number
        tag = self.api().get(f"/cases/{ref}")["ETag"]
        ok = self.api().upload(
            f"/cases/{ref}/photos", {"photos": [jpeg()], "note": "现场"}, headers={"If-Match": tag}
        )
        self.assertEqual(ok.status_code, 201, ok.content)
        self.assertEqual(ok.json()["event"]["note"], "现场")
        self.assertEqual(ok.json()["photos"][0]["stage"], "after")
        assert_error(self.api("west").upload(f"/cases/{ref}/photos", {"photos": [jpeg()]}), 404, "not_found")
        # Outside the scope the file is not even looked at: still 404, not 400.
        junk = SimpleUploadedFile("x.jpg", b"junk")
        assert_error(self.api("west").upload(f"/cases/{ref}/photos", {"photos": [junk]}), 404, "not_found")
        assert_error(
            self.api(role=Role.RESIDENT).upload(f"/cases/{ref}/photos", {"photos": [jpeg()]}),
            404,
            "not_found",
        )
        read_only = self.api(scopes=("read",))
        assert_error(
            read_only.upload(f"/cases/{ref}/photos", {"photos": [jpeg()]}), 403, "insufficient_scope"
        )
        self.assertEqual(Photo.objects.filter(case=self.open_case).count(), 1)

    def test_action_bodies_still_refuse_photos(self) -> None:
        error = assert_error(
            self.api().post(
                f"/cases/{self.open_case.pk}/actions/comment", {"note": "x", "photos": ["a.jpg"]}
            ),
            400,
            "invalid",
            "photos",
        )
        self.assertIn("/photos", error["message"])

    # ------------------------------------------------------------------------ duty table

    def test_duties_filters_scope_and_detail(self) -> None:
        api = self.api()
        rows = api.get("/duties").json()["results"]
        self.assertEqual([r["id"] for r in rows], [self.rule.pk])  # the west rule is not the caller's
        [row] = rows
        self.assertEqual(row["category"]["code"], "E21")
        self.assertEqual((row["area"]["code"], row["area_kind"]), (self.w.east.street.code, "street"))
        self.assertEqual(row["lead_unit"], {"id": self.w.east.unit.pk, "name": self.w.east.unit.name})
        self.assertEqual([u["id"] for u in row["co_units"]], [self.w.shared_unit.pk])
        self.assertEqual(len(api.get("/duties", category="E21").json()["results"]), 1)
        self.assertEqual(api.get("/duties", category="E2105").json()["count"], 0)  # exactly that category
        self.assertEqual(api.get("/duties", area=self.w.east.grids[0].code).json()["count"], 0)
        self.assertEqual(api.get("/duties", unit=self.w.shared_unit.pk).json()["count"], 1)  # as co-handler
        self.assertEqual(api.get("/duties", unit=self.w.east.unit.pk).json()["count"], 1)
        self.assertEqual(api.get("/duties", unit=10**20).json()["count"], 0)
        self.assertEqual(api.get("/duties", active="false").json()["count"], 0)
        self.assertEqual(
            [r["id"] for r in self.api("west").get("/duties").json()["results"]], [self.west_rule.pk]
        )
        url = f"{BASE}/duties/{self.rule.pk}"
        assert_matrix(
            TokenLogin(self.client), url, {Role.ADMIN: 404, Role.DISPATCHER: 404}, self.w.west.users
        )
        assert_matrix(TokenLogin(self.client), url, {Role.ADMIN: 200, Role.RESIDENT: 404}, self.w.east.users)
        tag = api.get(f"/duties/{self.rule.pk}")["ETag"]
        self.assertEqual(api.get(f"/duties/{self.rule.pk}", headers={"If-None-Match": tag}).status_code, 304)
        DutyRule.objects.get(pk=self.rule.pk).co_units.clear()
        self.assertEqual(api.get(f"/duties/{self.rule.pk}", headers={"If-None-Match": tag}).status_code, 200)

    # ------------------------------------------------------------------------ inbox

    def test_notifications_inbox_and_marking_read(self) -> None:
        handler = self.w.user("east", Role.HANDLER)
        other = self.w.user("east", Role.ADMIN)
        for n in range(3):
            notifications.notify(
                [handler, other], self.done, NotificationKind.DISPATCHED, f"新派单 {n}", f"t:{n}"
            )
        notifications.notify([handler], None, NotificationKind.CASE_UPDATE, "系统通知", "t:sys")
        api = self.api(role=Role.HANDLER)
        page = api.get("/notifications").json()
        self.assertEqual(page["count"], 4)
        newest = page["results"][0]
        self.assertEqual((newest["text"], newest["case"], newest["read_at"]), ("系统通知", None, None))
        self.assertEqual(newest["url"], "")  # about nothing: no page
        self.assertEqual(page["results"][1]["case"], {"id": self.done.pk, "number": self.done.number})
        # The notice's page, as stored when it was written: the case page, an absolute path.
        self.assertEqual(page["results"][1]["url"], f"/cases/{self.done.number}/")
        self.assertEqual(page["results"][1]["kind_label"], "新派单")
        first = api.post(f"/notifications/{newest['id']}/read").json()
        self.assertTrue(first["read_at"].endswith("+08:00"))
        self.assertEqual(api.post(f"/notifications/{newest['id']}/read").json()["read_at"], first["read_at"])
        self.assertEqual(api.get("/notifications", unread="true").json()["count"], 3)
        self.assertEqual(
            [n["id"] for n in api.get("/notifications", unread="false").json()["results"]], [newest["id"]]
        )
        # Somebody else's notice does not exist for this caller.
        theirs = Notification.objects.filter(user=other).first()
        assert theirs is not None
        assert_error(api.post(f"/notifications/{theirs.pk}/read"), 404, "not_found")
        self.assertEqual(api.post("/notifications/read-all").json(), {"updated": 3})
        self.assertEqual(api.get("/notifications", unread="true").json()["count"], 0)
        # Marking one read answers with its case and page too.
        about_case = api.post(f"/notifications/{page['results'][1]['id']}/read").json()
        self.assertEqual(
            (about_case["case"], about_case["url"]),
            ({"id": self.done.pk, "number": self.done.number}, f"/cases/{self.done.number}/"),
        )
        self.assertEqual(Notification.objects.filter(user=other, read_at__isnull=True).count(), 3)
        assert_error(
            self.api(role=Role.HANDLER, scopes=("read",)).post("/notifications/read-all"),
            403,
            "insufficient_scope",
        )

    # ------------------------------------------------------------------------ query counts

    def test_list_query_counts_do_not_grow_with_rows(self) -> None:
        handler = self.w.user("east", Role.HANDLER)
        notifications.notify([handler], self.done, NotificationKind.DISPATCHED, "a", "q:a")
        notifications.notify([handler], self.open_case, NotificationKind.DISPATCHED, "b", "q:b")
        notifications.notify([handler], None, NotificationKind.CASE_UPDATE, "c", "q:c")
        actions.add_photos(self.done.pk, self.desk, photos=[jpeg(), jpeg("blue"), jpeg("green")])
        for code in ("E01", "E02", "E03"):
            rule = duty(self.w, code=code)
            rule.co_units.add(self.w.shared_unit, Unit.objects.get(pk=self.w.east.unit.pk))
        ref = self.done.number
        for api, path in [
            (self.api(), "/duties"),
            (self.api(), f"/cases/{ref}/events"),
            (self.api(), f"/cases/{ref}/photos"),
            (self.api(role=Role.HANDLER), "/notifications"),
            (self.api(), "/cases"),
        ]:
            one, small = api.count_queries(path, page_size=1)
            many, full = api.count_queries(path)
            self.assertEqual(len(small.json()["results"]), 1, path)
            self.assertGreater(len(full.json()["results"]), 2, path)
            self.assertEqual(many, one, path)
