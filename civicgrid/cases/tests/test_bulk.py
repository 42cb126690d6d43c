"""cases.bulk.create_cases_bulk gives every case what actions.create_case(find_duplicates=False) would."""

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from civicgrid.accounts.models import Membership
from civicgrid.cases import actions, bulk
from civicgrid.cases.actions import CaseInput
from civicgrid.cases.choices import CaseAction, Channel, RequestType, Urgency
from civicgrid.cases.errors import CaseError, InvalidInput
from civicgrid.cases.intake import hotline
from civicgrid.cases.models import Case, CaseEvent, CaseSequence, Category, DutyRule
from civicgrid.core import clock
from civicgrid.core.choices import Role
from civicgrid.testing.factories import UserFactory

from .factories import duty

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
COMPARED = [
    "number",
    "status",
    "request_type",
    "category_id",
    "title",
    "description",
    "channel",
    "urgency",
    "lon",
    "lat",
    "address",
    "building_id",
    "street_id",
    "residential_area_id",
    "grid_id",
    "place_status",
    "grid_conflict",
    "reporter_name",
    "reporter_phone",
    "source",
    "external_id",
    "source_fingerprint",
    "lead_unit_id",
    "received_at",
    "response_due_at",
    "handling_due_at",
    "created_by_id",
]


def inputs(world, n: int = 30, prefix: str = "B") -> list[tuple[CaseInput, str]]:
    """Both streets, by point and by address only, three categories (one an emergency), and
    repeated complaints at the same building inside the chunk (duplicate candidates)."""
    buildings = world.east.buildings + world.west.buildings
    codes = ["E2105", "E2105", "E0401", "E21"]
    texts = ["楼上夜间噪声扰民，影响休息", "楼上噪声扰民", "路面塌陷有坑", "夜间施工噪声"]
    items = []
    for i in range(n):
        b = buildings[i % len(buildings)]
        by_point = i % 3 != 1
        data = CaseInput(
            request_type=[RequestType.COMPLAINT, RequestType.HELP][i % 2],
            category=Category.objects.get(code=codes[i % 4]) if i % 5 else codes[i % 4],
            description=texts[(i // 8) % 4] if i % 4 != 2 else texts[2],
            channel=Channel.HOTLINE,
            urgency=Urgency.URGENT if i % 7 == 3 else Urgency.NORMAL,
            lon=b.lon + 0.0001 if by_point else None,
            lat=b.lat if by_point else None,
            address="" if (by_point and i % 6 == 0) else b.address,
            reporter_name=f"居民{i}",
            reporter_phone="13800000000",
            source="12345",
            external_id=f"{prefix}-{i:04d}",
            received_at=dt.datetime(2026, 10, 5 + i % 6, 8 + i % 9, i % 60, tzinfo=SH),
        )
        items.append((data, f"fp{i}"))
    return items


def snapshot() -> list[tuple[dict, tuple]]:
    out = []
    for case in Case.objects.order_by("number"):
        event = CaseEvent.objects.get(case=case, action=CaseAction.CREATE)
        fields = {name: getattr(case, name) for name in COMPARED}
        out.append((fields, (event.note, event.data, event.actor_label, event.to_status, event.street_id)))
    return out


def reset() -> None:
    CaseEvent.objects.all().delete()
    Case.objects.all().delete()
    CaseSequence.objects.all().delete()


@pytest.fixture
def routed(world):
    duty(world, "east", "E21")
    duty(world, "west", "E2105")
    duty(world, "west", "E04")
    return world


def test_same_cases_as_create_case(routed):
    items = inputs(routed)
    for data, fp in items:
        actions.create_case(data, None, fingerprint=fp, via="import", find_duplicates=False)
    expected = snapshot()
    reset()

    outcomes = bulk.create_cases_bulk(items, via="import")

    assert all(isinstance(o, bulk.Created) for o in outcomes)
    assert [o.external_id for o in outcomes] == [d.external_id for d, _ in items]  # type: ignore[union-attr]
    assert [Case.objects.get(pk=o.pk).number for o in outcomes] == [o.number for o in outcomes]  # type: ignore[union-attr]
    got = snapshot()
    assert len(got) == len(expected) == 30
    for want, have in zip(expected, got, strict=True):
        assert have == want
    # The comparison means something: routing and emergencies occurred; no duplicate search.
    assert {f["lead_unit_id"] for f, _ in got} >= {routed.east.unit.pk, routed.west.unit.pk, None}
    assert not any("duplicate_candidates" in e[1] for _f, e in got)
    assert any(e[1]["co_units"] == [] and e[1]["routed_to"] for _f, e in got)
    emergency = [f for f, _ in got if f["category_id"] == Category.objects.get(code="E0401").pk]
    assert emergency and all(
        f["response_due_at"] - f["received_at"] < dt.timedelta(hours=2) for f in emergency
    )


def test_numbers_continue_the_sequence(routed):
    first, second = inputs(routed, 12, "A"), inputs(routed, 12, "C")
    for data, fp in first[:6]:
        actions.create_case(data, None, fingerprint=fp, via="import", find_duplicates=False)
    bulk.create_cases_bulk(first[6:], via="import")
    for data, fp in second:
        actions.create_case(data, None, fingerprint=fp, via="import", find_duplicates=False)
    expected = snapshot()
    reset()
    for data, fp in first[:6]:
        actions.create_case(data, None, fingerprint=fp, via="import", find_duplicates=False)
    bulk.create_cases_bulk(first[6:], via="import")
    bulk.create_cases_bulk(second, via="import")
    assert snapshot() == expected
    numbers = [f["number"] for f, _ in expected if f["street_id"] == routed.east.street.pk]
    assert [n[-6:] for n in sorted(numbers)] == [f"{i:06d}" for i in range(1, len(numbers) + 1)]


def test_bad_rows_are_reported_and_good_rows_created(routed):
    items = inputs(routed, 6)
    bad = [
        (CaseInput(RequestType.COMPLAINT, "NOPE", "x", Channel.HOTLINE, address="东路11号"), "x1"),
        (CaseInput(RequestType.COMPLAINT, "E2105", "x", Channel.HOTLINE, address="火星路1号"), "x2"),
        (CaseInput(RequestType.COMPLAINT, "E2105", "x", Channel.HOTLINE, lon=121.0), "x3"),
        (CaseInput("nope", "E2105", "x", Channel.HOTLINE, address="东路11号"), "x4"),
        (CaseInput(RequestType.COMPLAINT, "E2105", " ", Channel.HOTLINE, address="东路11号"), "x5"),
        (CaseInput(RequestType.COMPLAINT, "E2105", "x", Channel.HOTLINE, lon=10.0, lat=10.0), "x6"),
    ]
    mixed = [items[0], bad[0], items[1], *bad[1:], *items[2:]]
    outcomes = bulk.create_cases_bulk(mixed)
    errors = [o for o in outcomes if isinstance(o, CaseError)]
    assert [o.fields for o in errors] == [
        {"category": "unknown"},
        {"address": "not_located"},
        {"lat": "required"},
        {"request_type": "invalid_choice"},
        {"description": "required"},
        {"lon": "out_of_range", "lat": "out_of_range"},
    ]
    # The same errors as create_case gives these rows.
    for (data, _fp), got in zip(bad, errors, strict=True):
        with pytest.raises(InvalidInput) as exc:
            actions.create_case(data, None)
        assert (exc.value.message, exc.value.fields) == (got.message, got.fields)
    assert Case.objects.count() == 6
    assert all(isinstance(outcomes[i], bulk.Created) for i in (0, 2, 8, 9, 10, 11))


def test_an_external_id_already_imported_falls_back_to_row_by_row(routed):
    items = inputs(routed, 5)
    actions.create_case(items[2][0], None, fingerprint="old", via="import")
    outcomes = bulk.create_cases_bulk(items)
    assert [type(o).__name__ for o in outcomes] == ["Created", "Created", "Conflict", "Created", "Created"]
    assert Case.objects.count() == 5
    assert CaseEvent.objects.filter(action=CaseAction.CREATE).count() == 5


@pytest.mark.parametrize("n", [10, 100])
def test_queries_per_chunk_do_not_grow_with_its_size(routed, n, django_assert_max_num_queries):
    items = inputs(routed, n)
    # 25: besides the writes (two id reservations, the rows of three tables), a run reads
    # each street's profile once (the time limits); none of it grows with the chunk.
    with django_assert_max_num_queries(25):
        outcomes = bulk.create_cases_bulk(items)
    assert len([o for o in outcomes if isinstance(o, bulk.Created)]) == n


def test_a_run_looks_up_reference_data_once(routed, django_assert_max_num_queries):
    """Buildings, categories and routes learnt from the first chunk serve the next ones: a
    later chunk of the same places costs the number reservation and the writes only."""
    intake = bulk.Intake()
    bulk.create_cases_bulk(inputs(routed, 30, "A"), intake=intake)
    # Savepoint, per street: locked read and update of the sequence; the writes (two id
    # reservations, three inserts or COPYs; on PostgreSQL SET CONSTRAINTS before and after).
    items = inputs(routed, 30, "C")
    with django_assert_max_num_queries(11):
        outcomes = bulk.create_cases_bulk(items, intake=intake)
    assert all(isinstance(o, bulk.Created) for o in outcomes)
    assert Case.objects.count() == 60


def test_deadline_memo_matches_compute(routed):
    from civicgrid.cases import deadlines

    memo = deadlines.Memo()
    for code in ("E2105", "E0401", "E21"):
        category = Category.objects.get(code=code)
        for urgency in Urgency.values:
            for request_type in RequestType.values:
                for hour in (0, 9, 23):
                    at = dt.datetime(2026, 9, 30, hour, 30, tzinfo=SH)  # before the National Day break
                    want = deadlines.compute(at, request_type, category, urgency)
                    assert memo.compute(at, request_type, category, urgency) == want


def test_import_uses_the_bulk_path(routed, tmp_path, monkeypatch):
    calls = []
    real = bulk.create_cases_bulk

    def spy(items, **kwargs):
        calls.append(len(items))
        return real(items, **kwargs)

    monkeypatch.setattr(bulk, "create_cases_bulk", spy)
    monkeypatch.setattr(hotline, "BULK_SIZE", 7)
    path = tmp_path / "in.csv"
    rows = []
    for data, _fp in inputs(routed, 20):
        category = data.category if isinstance(data.category, str) else data.category.code
        when = data.received_at.strftime("%Y-%m-%d %H:%M")  # type: ignore[union-attr]
        rows.append(
            [
                data.external_id,
                when,
                "投诉",
                category,
                data.description,
                data.address,
                "王",
                "138",
                data.lon or "",
                data.lat or "",
            ]
        )
    rows.append(["BAD-1", "2026-10-05 08:00", "投诉", "E2105", "噪声", "火星路1号", "王", "138", "", ""])
    rows.append(rows[0])  # the same row again: unchanged
    from .test_import_12345 import HEADERS, write_csv

    result = hotline.import_file(write_csv(path, rows, HEADERS))
    assert calls == [7, 7, 7]
    assert result.summary() == "created=20 updated=0 unchanged=1 failed=1"
    assert [str(e) for e in result.errors] == [
        "第 22 行 [事发地址]: 地址未找到且没有坐标，也无法确定所属街道：请填写“街道”列"
    ]
    again = hotline.import_file(path)
    assert again.summary() == "created=0 updated=0 unchanged=21 failed=1"


# --- orders that arrive with their history ------------------------------------------------


def _life(world, co, at: dt.datetime) -> list[bulk.Past]:
    """The plain loop, co-handled, with an unreached callback first."""
    desk, handler = world.user("east", "dispatcher"), world.user("east", "handler")
    hour = dt.timedelta(hours=1)
    return [
        bulk.Past(CaseAction.COMMENT, at + hour, desk, note="已联系", data={"contacted_requester": True}),
        bulk.Past(CaseAction.FILE, at + 2 * hour, desk),
        bulk.Past(CaseAction.DISPATCH, at + 3 * hour, desk),
        bulk.Past(CaseAction.SIGN, at + 4 * hour, handler),
        bulk.Past(CaseAction.SIGN, at + 5 * hour, co, role="co"),
        bulk.Past(CaseAction.REPORT_BACK, at + 6 * hour, co, role="co", note="已配合"),
        bulk.Past(CaseAction.REPORT_BACK, at + 7 * hour, handler, note="已整改"),
        bulk.Past(CaseAction.VERIFY_PASS, at + 8 * hour, desk, note="核查通过"),
        bulk.Past(CaseAction.CLOSE, at + 9 * hour, desk),
        bulk.Past(CaseAction.CALLBACK, at + 30 * hour, desk, note="无人接听", data={"contacted": False}),
        bulk.Past(
            CaseAction.CALLBACK,
            at + 50 * hour,
            desk,
            note="已回访",
            data={"resolution": "resolved", "satisfaction": "satisfied"},
        ),
    ]


def _played(case: Case) -> tuple:
    """What the actions leave of a case: its fields, timeline, events, assignments, callbacks."""
    case.refresh_from_db()
    fields = {
        name: getattr(case, name)
        for name in (
            "status",
            "version",
            "lead_unit_id",
            "responded_at",
            "handled_at",
            "verified_at",
            "closed_at",
            "callback_due_at",
            "called_back_at",
            "resolution_note",
            "created_at",
            "updated_at",
        )
    }
    timeline = [
        (e.action, e.at, e.actor_id, e.actor_label, e.unit_id, e.from_status, e.to_status, e.note, e.data)
        for e in case.events.order_by("at", "id")
    ]
    logged = [
        (e.event.action, e.event.version, e.event.at, e.event.actor_id, e.event.street_id)
        for e in case.events.select_related("event").order_by("at", "id")
    ]
    assignments = sorted(
        (
            a.unit_id,
            a.role,
            a.status,
            a.dispatched_at,
            a.signed_at,
            a.handled_at,
            a.feedback,
            a.handling_due_at,
        )
        for a in case.assignments.all()
    )
    callbacks = [
        (c.at, c.by_id, c.contacted, c.resolution, c.satisfaction, c.note) for c in case.callbacks.all()
    ]
    return fields, timeline, logged, assignments, callbacks


def test_an_order_with_its_history_is_what_the_actions_would_have_written(routed):

    DutyRule.objects.get(area=routed.east.street).co_units.set([routed.shared_unit])
    # The co-handler's steps as the actions take them: by an account of the co-handling unit.
    co = UserFactory(username="co-handler", role=Role.HANDLER)
    Membership.objects.create(user=co, unit=routed.shared_unit)
    data, fp = inputs(routed, 1)[0]
    address = routed.east.buildings[0].address
    data = dataclasses.replace(data, category="E21", address=address, lon=None, lat=None)
    life = _life(routed, co, data.received_at)

    with clock.at(data.received_at):
        case = actions.create_case(data, None, fingerprint=fp, via="import", find_duplicates=False)
    for step in life:
        params = {"note": step.note, **step.data}
        if step.action == CaseAction.REPORT_BACK:
            params["feedback"] = params.pop("note")
        with clock.at(step.at):
            actions.run_action(case.pk, step.action, step.actor, params)
    expected = _played(case)
    Case.objects.all().delete()
    CaseSequence.objects.all().delete()

    (created,) = bulk.create_cases_bulk([(data, fp)], via="import", histories=[life])

    got = _played(Case.objects.get(pk=created.pk))  # type: ignore[union-attr]
    assert got[0]["status"] == "closed" and got[0]["version"] == 12
    assert len(got[4]) == 2 and {a[2] for a in got[3]} == {"handled"}
    for want, have in zip(expected, got, strict=True):
        assert have == want


def test_a_history_the_transition_table_refuses_writes_nothing(routed):
    data, fp = inputs(routed, 1)[0]
    desk = routed.user("east", "dispatcher")
    at = data.received_at
    hour = dt.timedelta(hours=1)
    for steps in (
        [bulk.Past(CaseAction.CLOSE, at + hour, desk)],  # a complaint is never closed when new
        [bulk.Past(CaseAction.FILE, at + hour, desk), bulk.Past(CaseAction.SIGN, at + 2 * hour, desk)],
        [bulk.Past(CaseAction.FILE, at - hour, desk)],  # before its receipt
        [bulk.Past(CaseAction.REOPEN, at + hour, desk)],  # not a step the bulk path writes
    ):
        with pytest.raises(ValueError):
            bulk.create_cases_bulk([(data, fp)], histories=[steps])
        assert not Case.objects.exists() and not CaseEvent.objects.exists()
