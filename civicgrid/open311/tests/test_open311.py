"""Open311 GeoReport v2 (/open311/v2/): every resource in XML and JSON, the exact shapes, the
api_key rules, dates, jurisdictions, what the public sees, and the OpenAPI description."""

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicgrid.accounts import tokens
from civicgrid.accounts.actions import create_integration
from civicgrid.cases import actions
from civicgrid.cases.choices import CaseStatus, Channel
from civicgrid.cases.models import Case, Category
from civicgrid.cases.tests.factories import advance, duty, make_case
from civicgrid.core.choices import Role
from civicgrid.core.models import PersonalDataAccess
from civicgrid.core.privacy import RevealVia
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.open311.models import Submission
from civicgrid.testing.factories import box, build_world

from .schema import SPEC, conforms

BASE = "/open311/v2/"
# What must never leave through Open311 (the factories' reporter and the POSTs below).
PERSONAL = ("王先生", "13812345678", "李四", "13900001111", "li@example.com")
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def xml(response: Any) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ET.fromstring(response.content)


def body(response: Any) -> Any:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


class Open311Test(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = w = build_world()
        duty(w)
        duty(w, code="E01")
        cls.east = w.east.street.code
        now = timezone.now()
        cls.open_case = make_case(w, received_at=now - timedelta(days=3))
        cls.closed_case = advance(w, make_case(w, received_at=now - timedelta(days=2)), CaseStatus.CLOSED)
        cls.private_case = make_case(w, category="E2110", received_at=now - timedelta(days=1))
        cls.west_case = make_case(w, "west", received_at=now - timedelta(days=1))
        cls.old_case = make_case(w, received_at=now - timedelta(days=120))
        dispatcher = w.user("east", "dispatcher")
        cls.merged_case = actions.merge_case(
            make_case(w, received_at=now - timedelta(hours=5)), dispatcher, master=cls.open_case.number
        )
        cls.rejected_case = actions.reject_case(
            make_case(w, description="广告：代开发票", received_at=now - timedelta(hours=4)),
            dispatcher,
            reason="无效",
        )
        resident = w.user("east", "resident")
        cls.writer = tokens.issue(resident, scopes=["open311:write"]).key
        cls.reader = tokens.issue(resident, scopes=["open311:read"]).key
        cls.staff_reader = tokens.issue(dispatcher, scopes=["read"]).key
        cls.other_app = tokens.issue(resident, scopes=["cases:write"]).key
        cls.building = w.east.buildings[1]

    def get(self, path: str, **params: Any) -> Any:
        params.setdefault("jurisdiction_id", self.east)
        return self.client.get(BASE + path, params)

    def post(self, fmt: str = "json", **data: Any) -> Any:
        data.setdefault("jurisdiction_id", self.east)
        data.setdefault("api_key", self.writer)
        data.setdefault("service_code", "E0102")
        return self.client.post(f"{BASE}requests.{fmt}", data)

    def assert_error(self, response: Any, status: int, fmt: str = "json") -> str:
        assert response.status_code == status, response.content.decode()
        if fmt == "json":
            errors = body(response)
            assert [set(e) for e in errors] == [{"code", "description"}]
            assert errors[0]["code"] == status
            return str(errors[0]["description"])
        root = xml(response)
        assert root.tag == "errors"
        assert [e.tag for e in root] == ["error"]
        assert [c.tag for c in root[0]] == ["code", "description"]
        assert root[0].findtext("code") == str(status)
        return root[0].findtext("description") or ""

    # ------------------------------------------------------------------ discovery, services

    def test_discovery_in_both_formats(self):
        data = body(self.client.get(BASE + "discovery.json"))
        assert list(data) == ["changeset", "contact", "key_service", "jurisdictions", "endpoints"]
        # The valid jurisdiction ids, which clients are otherwise never told.
        assert data["jurisdictions"] == [
            {"jurisdiction_id": a.code, "name": a.name}
            for a in sorted((self.w.east.street, self.w.west.street), key=lambda a: a.code)
        ]
        assert datetime.fromisoformat(data["changeset"]).utcoffset() == timedelta(hours=8)
        assert data["endpoints"] == [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": "http://testserver/open311/v2",
                "changeset": data["changeset"],
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ]
        root = xml(self.client.get(BASE + "discovery.xml"))
        assert root.tag == "discovery"
        assert [c.tag for c in root] == ["changeset", "contact", "key_service", "jurisdictions", "endpoints"]
        assert [j.findtext("jurisdiction_id") for j in root.iterfind("jurisdictions/jurisdiction")] == [
            j["jurisdiction_id"] for j in data["jurisdictions"]
        ]
        assert [f.text for f in root.iterfind("endpoints/endpoint/formats/format")] == [
            "text/xml",
            "application/json",
        ]
        assert root.findtext("endpoints/endpoint/url") == "http://testserver/open311/v2"
        conforms(self.client.get(BASE + "discovery.json"), "/discovery.json")

    def test_services_are_the_public_leaf_categories(self):
        response = self.get("services.json")
        conforms(response, "/services.json")
        services = body(response)
        codes = [s["service_code"] for s in services]
        assert "E0102" in codes and "C0110" in codes
        assert "E01" not in codes and "E" not in codes  # branches are groups, not services
        assert "E2110" not in codes and "E0409" not in codes  # private categories
        assert codes == sorted(codes)
        garbage = next(s for s in services if s["service_code"] == "E0102")
        assert garbage == {
            "service_code": "E0102",
            "service_name": "暴露垃圾",
            "description": "事件·市容环境·暴露垃圾",
            "metadata": True,
            "type": "realtime",
            "keywords": "暴露垃圾, 市容环境, E0102",
            "group": "事件·市容环境",
        }
        root = xml(self.get("services.xml"))
        assert root.tag == "services"
        assert {c.tag for c in root} == {"service"}
        first = root[0]
        assert [c.tag for c in first] == list(garbage)
        assert [s.findtext("service_code") for s in root] == codes
        assert root.find("service[service_code='E0102']/metadata").text == "true"  # type: ignore[union-attr]

    def test_an_inactive_category_is_no_service(self):
        Category.objects.filter(code="E0102").update(is_active=False)
        codes = [s["service_code"] for s in body(self.get("services.json"))]
        assert "E0102" not in codes and "E0101" in codes

    def test_service_definition(self):
        response = self.get("services/E2105.json")
        conforms(response, "/services/{service_code}.json")
        data = body(response)
        assert data["service_code"] == "E2105"
        [attribute] = data["attributes"]
        assert attribute["code"] == "request_type"
        assert attribute["datatype"] == "singlevaluelist"
        assert attribute["required"] is False
        assert [v["key"] for v in attribute["values"]] == [
            "inquiry",
            "help",
            "complaint",
            "report",
            "suggestion",
        ]
        root = xml(self.get("services/E2105.xml"))
        assert root.tag == "service_definition"
        assert [c.tag for c in root] == ["service_code", "attributes"]
        assert [c.tag for c in root.find("attributes/attribute")] == [  # type: ignore[union-attr]
            "variable",
            "code",
            "datatype",
            "required",
            "datatype_description",
            "order",
            "description",
            "values",
        ]
        assert len(root.findall("attributes/attribute/values/value")) == 5
        for path in ("services/E9999.json", "services/E01.json", "services/E2110.json"):
            self.assert_error(self.get(path), 404)
        conforms(self.get("services/E9999.json"), "/services/{service_code}.json")
        self.assert_error(self.get("services/E9999.xml"), 404, "xml")

    # ------------------------------------------------------------------ jurisdiction

    def test_jurisdiction_is_optional_where_the_answer_does_not_depend_on_it(self):
        for fmt in ("json", "xml"):
            # Services are shared: without a street, those no street keeps private.
            shared = self.client.get(f"{BASE}services.{fmt}")
            assert shared.status_code == 200
            conforms(shared, f"/services.{fmt}")
            # Requests: the public cases of every street.
            everywhere = self.client.get(f"{BASE}requests.{fmt}")
            assert everywhere.status_code == 200
            conforms(everywhere, f"/requests.{fmt}")
            # An unknown street is 404 naming the valid ids.
            for path in ("services", "requests"):
                unknown = self.assert_error(self.get(f"{path}.{fmt}", jurisdiction_id="nowhere"), 404, fmt)
                assert self.east in unknown and self.w.west.street.code in unknown
        codes = {s["service_code"] for s in body(self.client.get(BASE + "services.json"))}
        assert "E0102" in codes and "E2110" not in codes
        numbers = {r["service_request_id"] for r in body(self.client.get(BASE + "requests.json"))}
        assert {self.open_case.number, self.west_case.number} <= numbers
        assert self.private_case.number not in numbers and self.rejected_case.number not in numbers
        [one] = body(self.client.get(f"{BASE}requests/{self.west_case.number}.json"))
        assert one["service_request_id"] == self.west_case.number
        updates = body(self.client.get(BASE + "servicerequestupdates.json"))
        assert {u["service_request_id"] for u in updates} >= {self.open_case.number, self.west_case.number}
        assert self.private_case.number not in {u["service_request_id"] for u in updates}
        self.assert_error(self.post(jurisdiction_id="nowhere"), 404)
        west = body(self.get("requests.json", jurisdiction_id=self.w.west.street.code))
        assert [r["service_request_id"] for r in west] == [self.west_case.number]

    def test_post_without_jurisdiction_is_placed_by_its_location(self):
        point = self.w.west.grids[0].shape.centroid
        response = self.post(jurisdiction_id="", lat=point.y, long=point.x, description="路灯不亮")
        conforms(response, "/requests.json", "post")
        [created] = body(response)
        case = Case.objects.get(number=created["service_request_id"])
        assert case.street_id == self.w.west.street.pk and case.grid_id == self.w.west.grids[0].pk
        assert Submission.objects.get(case=case).street_id == self.w.west.street.pk
        [by_building] = body(self.post(jurisdiction_id="", address_id=str(self.building.pk)))
        assert Case.objects.get(number=by_building["service_request_id"]).street == self.w.east.street
        # The token resolves without a street too.
        assert body(self.client.get(f"{BASE}tokens/{created['token']}.json"))[0]["service_request_id"] == (
            case.number
        )

    def test_post_placed_nowhere_without_jurisdiction_is_400_naming_the_valid_ids(self):
        for fmt in ("json", "xml"):
            for where in ({"lat": "30.0", "long": "120.0"}, {"address_string": "不存在路999号"}):
                response = self.post(fmt, jurisdiction_id="", **where)
                text = self.assert_error(response, 400, fmt)
                conforms(response, f"/requests.{fmt}", "post")
                assert "jurisdiction_id" in text
                for street in (self.w.east.street, self.w.west.street):
                    assert f"{street.code}（{street.name}）" in text
        assert not Submission.objects.exists()

    # ------------------------------------------------------------------ GET requests

    def test_requests_list_the_public_cases_of_the_street_newest_first(self):
        response = self.get("requests.json")
        conforms(response, "/requests.json")
        data = body(response)
        numbers = [r["service_request_id"] for r in data]
        # Not listed: a private category, another street, older than 90 days, merged, rejected.
        assert numbers == [self.closed_case.number, self.open_case.number]
        assert all(list(r) == REQUEST_FIELDS for r in data)
        closed, open_ = data
        case = Case.objects.select_related("lead_unit").get(pk=self.open_case.pk)
        assert open_ == {
            "service_request_id": case.number,
            "status": "open",
            "status_notes": "已受理",
            "service_name": "噪声扰民",
            "service_code": "E2105",
            "description": "楼上夜间噪声扰民，影响休息",
            "agency_responsible": case.lead_unit.name,  # type: ignore[union-attr]
            "service_notice": open_["service_notice"],
            "requested_datetime": timezone.localtime(case.received_at).isoformat(timespec="seconds"),
            "updated_datetime": timezone.localtime(case.updated_at).isoformat(timespec="seconds"),
            "expected_datetime": timezone.localtime(case.handling_due_at).isoformat(timespec="seconds"),
            "address": None,
            "address_id": None,
            "zipcode": None,
            "lat": case.lat,
            "long": case.lon,
            "media_url": None,
        }
        assert open_["requested_datetime"].endswith("+08:00")
        assert case.number in open_["service_notice"]
        assert closed["status"] == "closed" and closed["status_notes"] == "已办结"
        assert closed["updated_datetime"] == timezone.localtime(
            Case.objects.get(pk=self.closed_case.pk).closed_at
        ).isoformat(timespec="seconds")
        assert closed["service_notice"] is None
        text = response.content.decode()
        assert not any(p in text for p in PERSONAL)

    def test_requests_in_xml(self):
        root = xml(self.get("requests.xml"))
        assert root.tag == "service_requests"
        assert [r.tag for r in root] == ["request", "request"]
        assert [c.tag for c in root[1]] == REQUEST_FIELDS
        assert root[1].findtext("service_request_id") == self.open_case.number
        assert root[1].findtext("status") == "open"
        zipcode = root[1].find("zipcode")
        assert zipcode is not None and zipcode.text is None and len(zipcode) == 0
        assert root[0].findtext("status") == "closed"

    def test_status_and_service_code_filters(self):
        def numbers(**params: Any) -> list[str]:
            return [r["service_request_id"] for r in body(self.get("requests.json", **params))]

        assert numbers(status="open") == [self.open_case.number]
        assert numbers(status="closed") == [self.closed_case.number]
        assert numbers(status="open,closed") == [self.closed_case.number, self.open_case.number]
        assert numbers(service_code="E0102") == []
        assert numbers(service_code="E0102,E2105") == [self.closed_case.number, self.open_case.number]
        assert "status" in self.assert_error(self.get("requests.json", status="pending"), 400)
        self.assert_error(self.get("requests.xml", status="pending"), 400, "xml")

    def test_dates_and_the_90_day_span(self):
        now = timezone.localtime()
        old = timezone.localtime(self.old_case.received_at)

        def numbers(**params: Any) -> list[str]:
            return [r["service_request_id"] for r in body(self.get("requests.json", **params))]

        start = (old - timedelta(hours=1)).isoformat(timespec="seconds")
        assert numbers(start_date=start) == [self.old_case.number]  # start + 90 days
        assert numbers(end_date=(now - timedelta(days=100)).isoformat()) == [self.old_case.number]
        # An unencoded "+" of the offset arrives as a space.
        assert numbers(start_date=start.replace("+", " ")) == [self.old_case.number]
        day = (old + timedelta(days=1)).date().isoformat()
        assert numbers(start_date=(old.date() - timedelta(days=1)).isoformat(), end_date=day) == [
            self.old_case.number
        ]
        utc = (self.old_case.received_at - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for params in (
            {"start_date": utc, "end_date": now.isoformat()},  # 120 days
            {"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-04-02T00:00:00Z"},  # 91 days
            {"start_date": "2025-02-01", "end_date": "2025-01-01"},
            {"start_date": "yesterday"},
            {"end_date": "2025-13-01T00:00:00Z"},
            {"end_date": "9999-12-31T23:00:00-10:00"},
            {"start_date": "0001-01-01"},
        ):
            for fmt in ("json", "xml"):
                response = self.get(f"requests.{fmt}", **params)
                self.assert_error(response, 400, fmt)
                conforms(response, f"/requests.{fmt}")
        assert numbers(start_date="2025-01-01T00:00:00Z", end_date="2025-04-01T00:00:00Z") == []

    def test_service_request_id_overrides_the_other_filters(self):
        wanted = [
            self.old_case.number,
            self.merged_case.number,
            self.rejected_case.number,
            self.private_case.number,
        ]
        data = body(self.get("requests.json", service_request_id=",".join(wanted), status="open"))
        by_number = {r["service_request_id"]: r for r in data}
        # The private category stays hidden; merged and rejected cases answer when asked by number.
        assert set(by_number) == {self.old_case.number, self.merged_case.number, self.rejected_case.number}
        merged = by_number[self.merged_case.number]
        assert merged["status"] == "open"  # its master is open
        assert self.open_case.number in merged["status_notes"]
        rejected = by_number[self.rejected_case.number]
        assert rejected["status"] == "closed" and rejected["description"] is None
        assert "代开发票" not in json.dumps(data, ensure_ascii=False)

    def test_one_request_in_both_formats(self):
        response = self.get(f"requests/{self.open_case.number}.json")
        conforms(response, "/requests/{service_request_id}.json")
        [data] = body(response)
        assert data["service_request_id"] == self.open_case.number and list(data) == REQUEST_FIELDS
        root = xml(self.get(f"requests/{self.open_case.number}.xml"))
        assert root.tag == "service_requests" and [r.tag for r in root] == ["request"]
        assert root[0].findtext("service_code") == "E2105"
        for fmt in ("json", "xml"):
            self.assert_error(self.get(f"requests/NOPE-1.{fmt}"), 404, fmt)
            # Another street's case does not exist in this jurisdiction.
            self.assert_error(self.get(f"requests/{self.west_case.number}.{fmt}"), 404, fmt)
        conforms(self.get("requests/NOPE-1.json"), "/requests/{service_request_id}.json")

    def test_an_api_key_shows_the_accounts_own_cases_too(self):
        path = f"requests/{self.private_case.number}.json"
        self.assert_error(self.get(path), 404)
        [data] = body(self.get(path, api_key=self.staff_reader))
        assert data["service_code"] == "E2110"
        assert not any(p in json.dumps(data, ensure_ascii=False) for p in PERSONAL)
        listed = [r["service_request_id"] for r in body(self.get("requests.json", api_key=self.staff_reader))]
        assert self.private_case.number in listed and self.merged_case.number in listed
        # A resident's key adds nothing they may not see anyway.
        assert self.private_case.number not in [
            r["service_request_id"] for r in body(self.get("requests.json", api_key=self.reader))
        ]

    def test_a_bad_or_foreign_api_key_is_403_on_reads(self):
        for key in ("not-a-key", self.other_app):
            for fmt in ("json", "xml"):
                response = self.get(f"requests.{fmt}", api_key=key)
                self.assert_error(response, 403, fmt)
                conforms(response, f"/requests.{fmt}")

    def test_extensions_add_the_detailed_status(self):
        data = body(self.get("requests.json", extensions="true"))
        assert [r["extended_attributes"]["detailed_status"] for r in data] == ["PROCESSED", "RECEIVED"]
        assert data[1]["extended_attributes"] == {
            "detailed_status": "RECEIVED",
            "title": self.open_case.title,
            "channel": "hotline",
            "case_status": "new",
        }
        root = xml(self.get("requests.xml", extensions="true"))
        assert root[0].findtext("extended_attributes/detailed_status") == "PROCESSED"
        assert "extended_attributes" not in body(self.get("requests.json"))[0]
        conforms(self.get("requests.json", extensions="true"), "/requests.json")

    def test_pagination_extension(self):
        first = body(self.get("requests.json", page_size=1))
        second = body(self.get("requests.json", page_size=1, page=2))
        assert [r["service_request_id"] for r in first + second] == [
            self.closed_case.number,
            self.open_case.number,
        ]
        for params in ({"page_size": 0}, {"page_size": 1001}, {"page": "x"}):
            self.assert_error(self.get("requests.json", **params), 400)

    def test_listing_runs_a_fixed_number_of_queries(self):
        for i in range(3):
            make_case(self.w, grid=i % 4, received_at=timezone.now() - timedelta(hours=i + 1))
        with CaptureQueriesContext(connection) as few:
            assert len(body(self.get("requests.json"))) == 5
        for i in range(6):
            make_case(self.w, grid=i % 4, received_at=timezone.now() - timedelta(minutes=i + 1))
        with CaptureQueriesContext(connection) as more:
            assert len(body(self.get("requests.json", extensions="true"))) == 11
        assert len(more) == len(few) == 3  # jurisdiction, private categories, the cases

    # ------------------------------------------------------------------ POST requests

    def test_post_with_lat_long(self):
        east = self.w.east
        point = east.grids[2].shape.centroid
        response = self.post(
            lat=point.y,
            long=point.x,
            description="垃圾桶满溢",
            first_name="四",
            last_name="李",
            phone="13900001111",
            email="li@example.com",
            device_id="dev-1",
            account_id="acc-9",
            media_url="https://img.example.com/1.jpg",
        )
        conforms(response, "/requests.json", "post")
        [created] = body(response)
        assert list(created) == ["service_request_id", "token", "service_notice", "account_id"]
        assert created["account_id"] == "acc-9"
        case = Case.objects.get(number=created["service_request_id"])
        assert case.status == CaseStatus.NEW and case.channel == Channel.WEB and case.source == "open311"
        assert case.category.code == "E0102" and case.street_id == east.street.pk
        assert case.grid_id == east.grids[2].pk
        assert case.reporter_name == "李四" and case.reporter_phone == "13900001111"
        assert case.created_by == self.w.user("east", "resident")
        assert case.request_type == "complaint"  # no default for E0102: the public form's
        submission = Submission.objects.get(case=case)
        assert submission.token == created["token"]
        assert submission.email == "li@example.com" and submission.device_id == "dev-1"
        assert submission.api_token is not None and submission.api_token.prefix == self.writer[:8]
        event = case.events.get()
        assert event.data["via"] == "open311"
        # The token resolves; the media_url shows; the personal fields do not.
        for fmt in ("json", "xml"):
            resolved = self.get(f"tokens/{created['token']}.{fmt}")
            assert resolved.status_code == 200
        conforms(self.get(f"tokens/{created['token']}.json"), "/tokens/{token}.json")
        assert body(self.get(f"tokens/{created['token']}.json")) == [
            {"service_request_id": case.number, "token": created["token"]}
        ]
        root = xml(self.get(f"tokens/{created['token']}.xml"))
        assert [c.tag for c in root[0]] == ["service_request_id", "token"]
        [shown] = body(self.get(f"requests/{case.number}.json"))
        assert shown["media_url"] == "https://img.example.com/1.jpg"
        assert shown["description"] == "垃圾桶满溢"
        text = self.get(f"requests/{case.number}.xml").content.decode()
        assert not any(p in text for p in PERSONAL)
        # Nor with a key whose account sees more, nor in the masked form.
        for fmt in ("json", "xml"):
            for key in (self.staff_reader, self.reader):
                text = self.get(f"requests/{case.number}.{fmt}", api_key=key).content.decode()
                assert not any(p in text for p in (*PERSONAL, "139****1111", "l***@example.com", "dev-1"))
        # At rest the e-mail and the device id are encrypted (core.personal).
        with connection.cursor() as cursor:
            cursor.execute("SELECT email, device_id FROM open311_submission WHERE id = %s", [submission.pk])
            raw = " ".join(cursor.fetchone())
        assert "li@example.com" not in raw and "dev-1" not in raw and raw.startswith("gAAAAA")
        self.assert_error(self.get("tokens/unknown.json"), 404)
        self.assert_error(
            self.get(f"tokens/{created['token']}.xml", jurisdiction_id=self.w.west.street.code), 404, "xml"
        )

    def test_a_post_that_is_not_form_encoded_is_400_naming_the_type(self):
        before = Case.objects.count()
        for content_type in ("application/json", "text/xml"):
            response = self.client.generic(
                "POST", f"{BASE}requests.json", b'{"service_code": "E0102"}', content_type=content_type
            )
            assert content_type in self.assert_error(response, 400)
        assert Case.objects.count() == before

    def test_an_oversized_post_is_413_in_the_specs_shape_and_creates_nothing(self):
        before = Case.objects.count()
        with self.settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2000):
            for fmt in ("json", "xml"):
                response = self.post(fmt, description="很长" * 2000, lat="31.2", long="121.5")
                assert "2000" in self.assert_error(response, 413, fmt)
        assert Case.objects.count() == before

    def test_post_with_an_address_string_in_xml(self):
        response = self.post("xml", address_string=self.building.address, description="路面积水")
        root = xml(response)
        assert response.status_code == 200
        assert root.tag == "service_requests"
        assert [c.tag for c in root[0]] == ["service_request_id", "token", "service_notice", "account_id"]
        case = Case.objects.get(number=root[0].findtext("service_request_id"))
        assert case.building_id == self.building.pk and case.address == self.building.address
        [shown] = body(self.get(f"requests/{case.number}.json"))
        assert shown["address_id"] == str(self.building.pk) and shown["address"] == self.building.address

    def test_post_with_an_address_id_and_attributes(self):
        response = self.post(
            address_id=str(self.building.pk),
            **{
                "attribute[request_type]": "inquiry",
                "attribute[color][]": ["red", "blue"],
                "attribute[size]": "big",
            },
        )
        [created] = body(response)
        case = Case.objects.get(number=created["service_request_id"])
        assert case.building_id == self.building.pk
        assert (case.lon, case.lat) == (self.building.lon, self.building.lat)
        assert case.request_type == "inquiry"
        assert case.description == "暴露垃圾\n附加信息：color=red、blue；size=big"
        assert Submission.objects.get(case=case).attributes == {"color": ["red", "blue"], "size": "big"}

    def test_a_posted_case_waits_in_the_dispatchers_new_queue(self):
        from civicgrid.cases.workbench import queue_cases

        [created] = body(self.post(address_id=str(self.building.pk)))
        queue = queue_cases(self.w.user("east", "dispatcher"), {"queue": "new"})
        assert created["service_request_id"] in set(queue.values_list("number", flat=True))

    def test_post_needs_a_write_key(self):
        for fmt in ("json", "xml"):
            for key in ("", "cg_wrong", self.reader, self.other_app):
                response = self.post(fmt, api_key=key, address_id=str(self.building.pk))
                self.assert_error(response, 403, fmt)
                conforms(response, f"/requests.{fmt}", "post")
        tokens.revoke(tokens.authenticate_token(self.writer))
        self.assert_error(self.post(address_id=str(self.building.pk)), 403)
        assert not Submission.objects.exists()

    def test_post_refusals(self):
        # A place outside the street or not found is no refusal: cases/tests/test_to_locate.py.
        pk = str(self.building.pk)
        cases = [
            ({"service_code": ""}, 400),
            ({"service_code": "E9999", "address_id": pk}, 404),
            ({"service_code": "E2110", "address_id": pk}, 404),  # private: no such service
            ({}, 400),  # no location
            ({"lat": "31.2"}, 400),
            ({"lat": "abc", "long": "121.0"}, 400),
            ({"lat": "nan", "long": "121.0"}, 400),
            ({"lat": "1.0", "long": "1.0"}, 400),  # outside China: out of range
            ({"address_id": "999999"}, 400),
            ({"address_id": str(self.w.west.buildings[0].pk)}, 400),
            ({"address_id": pk, "email": "not-an-email"}, 400),
            ({"address_id": pk, "media_url": "javascript:alert(1)"}, 400),
            ({"address_id": pk, "phone": "call me"}, 400),
            ({"address_id": pk, "description": "长" * 4001}, 400),
            ({"address_id": pk, "attribute[request_type]": "praise"}, 400),
            ({"address_id": pk, "description": "a\x00b"}, 400),
            ({"lat": "30.0", "long": "120.0", "jurisdiction_id": ""}, 400),  # in no street
        ]
        for data, status in cases:
            response = self.post(**data)
            self.assert_error(response, status)
            conforms(response, "/requests.json", "post")
        assert not Submission.objects.exists()

    def test_rate_limited_key_is_429_with_retry_after(self):
        cache.clear()  # a reused primary key must not inherit another test's count
        key = tokens.issue(self.w.user("east", "resident"), scopes=["open311:write"], rate_limit=1).key
        assert self.get("requests.json", api_key=key).status_code == 200
        for fmt in ("json", "xml"):
            response = self.get(f"requests.{fmt}", api_key=key)
            self.assert_error(response, 429, fmt)
            assert int(response["Retry-After"]) >= 1
            conforms(response, f"/requests.{fmt}")

    # ------------------------------------------------------------------ updates (extension)

    def test_service_request_updates(self):
        response = self.get("servicerequestupdates.json")
        conforms(response, "/servicerequestupdates.json")
        updates = body(response)
        closed = [u for u in updates if u["service_request_id"] == self.closed_case.number]
        assert [u["status"] for u in closed] == [
            "open",
            "investigating",
            "action_scheduled",
            "in_progress",
            "in_progress",
            "fixed",
            "closed",
        ]
        assert closed[0]["description"] == "已受理您的反映"
        assert list(closed[0]) == [
            "update_id",
            "service_request_id",
            "status",
            "updated_datetime",
            "description",
            "media_url",
        ]
        statuses = {u["service_request_id"]: u["status"] for u in updates}
        assert statuses[self.merged_case.number] == "duplicate"
        assert statuses[self.rejected_case.number] == "no_further_action"
        assert self.private_case.number not in statuses and self.west_case.number not in statuses
        times = [u["updated_datetime"] for u in updates]
        assert times == sorted(times)
        root = xml(self.get("servicerequestupdates.xml"))
        assert root.tag == "service_requests_updates"
        assert {c.tag for c in root} == {"request_update"}
        assert [c.tag for c in root[0]] == list(closed[0])
        self.assert_error(self.get("servicerequestupdates.xml", start_date="bad"), 400, "xml")

    # ------------------------------------------------------------------ the frame

    def test_methods_formats_and_unknown_paths(self):
        response = self.client.delete(BASE + "requests.json")
        self.assert_error(response, 405)
        assert response["Allow"] == "GET, HEAD, POST"
        response = self.client.post(BASE + "services.xml")
        self.assert_error(response, 405, "xml")
        assert response["Allow"] == "GET, HEAD"
        self.assert_error(self.get("services.html"), 404, "xml")
        self.assert_error(self.client.get(BASE + "nothing/here.json"), 404)
        self.assert_error(self.client.get(BASE + "nothing"), 404, "xml")

    def test_xml_survives_control_characters(self):
        Case.objects.filter(pk=self.open_case.pk).update(description="响\x01铃\x0b")
        root = xml(self.get(f"requests/{self.open_case.number}.xml"))
        assert root[0].findtext("description") == "响铃"

    # ------------------------------------------------------------------ personal data in free text

    PERSONAL_TEXT = "车位被沪A12345占用，车主身份证310104199001011234，联系 138 1234 0000"
    MASKED_TEXT = "车位被沪A****5占用，车主身份证3101**********1234，联系 138****0000"

    def _case_with_personal_text(self) -> Case:
        case = make_case(self.w, description=self.PERSONAL_TEXT)
        assert case.title == self.PERSONAL_TEXT  # the title is the description's beginning
        return case

    def test_anonymous_readers_get_phones_ids_and_plates_masked(self):
        case = self._case_with_personal_text()
        [one] = body(self.get(f"requests/{case.number}.json", extensions="true"))
        assert one["description"] == self.MASKED_TEXT
        assert one["extended_attributes"]["title"] == self.MASKED_TEXT
        listed = {r["service_request_id"]: r for r in body(self.get("requests.json", extensions="true"))}
        assert listed[case.number]["description"] == self.MASKED_TEXT
        root = xml(self.get(f"requests/{case.number}.xml"))
        assert root[0].findtext("description") == self.MASKED_TEXT
        assert not PersonalDataAccess.objects.exists()

    def test_keys_without_the_personal_scope_get_it_masked_too(self):
        case = self._case_with_personal_text()
        # The integration's account may reveal phones, but its key does not hold personal:read.
        integration = create_integration(
            self.w.user("east", "admin"),
            name="12345 平台",
            streets=[self.w.east.street],
            role=Role.DISPATCHER,
        )
        key = tokens.issue(integration.service_account, scopes=["open311:read"]).key
        # …and a personal:read key whose account may not reveal anything.
        leader = tokens.issue(self.w.user("east", "leader"), scopes=["open311:read", "personal:read"]).key
        for api_key in (key, self.staff_reader, leader):
            [one] = body(self.get(f"requests/{case.number}.json", api_key=api_key, extensions="true"))
            assert one["description"] == self.MASKED_TEXT
            assert one["extended_attributes"]["title"] == self.MASKED_TEXT
        assert not PersonalDataAccess.objects.exists()

    def test_a_personal_read_key_reads_its_own_cases_in_full_logged(self):
        case = self._case_with_personal_text()
        integration = create_integration(
            self.w.user("east", "admin"),
            name="12345 平台",
            streets=[self.w.east.street],
            role=Role.DISPATCHER,
        )
        account = integration.service_account
        key = tokens.issue(account, scopes=["open311:read", "personal:read"]).key
        [one] = body(self.get(f"requests/{case.number}.json", api_key=key, extensions="true"))
        assert one["description"] == self.PERSONAL_TEXT
        assert one["extended_attributes"]["title"] == self.PERSONAL_TEXT
        row = PersonalDataAccess.objects.get()
        assert row.user == account and row.object_id == str(case.pk)
        assert row.field == "cases.case.description" and row.via == RevealVia.API
        # Descriptions without personal data are no reveal; listing logs only this case again.
        listed = {r["service_request_id"]: r for r in body(self.get("requests.json", api_key=key))}
        assert listed[case.number]["description"] == self.PERSONAL_TEXT
        assert PersonalDataAccess.objects.count() == 2
        # Another street's account with the same scope reads this street's public case masked.
        west = tokens.issue(self.w.user("west", "dispatcher"), scopes=["open311:read", "personal:read"]).key
        [one] = body(self.get(f"requests/{case.number}.json", api_key=west))
        assert one["description"] == self.MASKED_TEXT and PersonalDataAccess.objects.count() == 2

    def test_openapi_is_served_and_describes_every_route(self):
        response = self.client.get(BASE + "openapi.json")
        assert response.status_code == 200
        assert json.loads(response.content) == SPEC
        assert SPEC["openapi"].startswith("3.")
        resources = {
            "discovery",
            "services",
            "services/{service_code}",
            "requests",
            "requests/{service_request_id}",
            "tokens/{token}",
            "servicerequestupdates",
        }
        assert set(SPEC["paths"]) == {f"/{r}.{fmt}" for r in resources for fmt in ("xml", "json")}
        for path, item in SPEC["paths"].items():
            for operation in item.values():
                media = "text/xml" if path.endswith(".xml") else "application/json"
                for status, documented in operation["responses"].items():
                    assert list(documented["content"]) == [media], (path, status)


class SingleStreetTest(TestCase):
    """With one street, jurisdiction_id may be left out (the spec: only required when the
    endpoint serves several jurisdictions), and a wrong one is still 404."""

    @classmethod
    def setUpTestData(cls) -> None:
        Area.objects.create(
            kind=AreaKind.STREET, code="800001", name="唯一街道", geometry=box(121, 31, 121.1, 31.1)
        )

    def test_jurisdiction_is_optional(self):
        assert self.client.get(BASE + "services.json").status_code == 200
        assert json.loads(self.client.get(BASE + "requests.json").content) == []
        assert self.client.get(BASE + "services.json", {"jurisdiction_id": "800001"}).status_code == 200
        assert self.client.get(BASE + "services.json", {"jurisdiction_id": "800002"}).status_code == 404
