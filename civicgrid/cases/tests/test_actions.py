import datetime as dt
import io
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from PIL import Image

from civicgrid.cases import actions
from civicgrid.cases.choices import AssignmentStatus, CaseAction, CaseStatus, ExtensionStatus
from civicgrid.cases.errors import Conflict, InvalidInput, NotFound, TransitionNotAllowed
from civicgrid.cases.models import Case, CaseEvent, Category, DutyRule, Notification, Photo
from civicgrid.core.choices import Role
from civicgrid.orgs.choices import UnitKind
from civicgrid.orgs.models import Unit

from .factories import advance, duty, make_case

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def w(world):
    duty(world)
    return world


def desk(w, street="east"):
    return w.user(street, Role.DISPATCHER)


def test_create_locates_numbers_routes_and_writes_the_timeline(w):
    case = make_case(w, received_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=SH))
    second = make_case(w, grid=3, received_at=dt.datetime(2026, 3, 3, 9, 0, tzinfo=SH))
    assert case.number == "900001001-2026-000001" and second.number == "900001001-2026-000002"
    assert case.street == w.east.street and case.grid == w.east.grids[0]
    assert case.residential_area == w.east.residential[0]
    assert second.grid == w.east.grids[3] and second.residential_area == w.east.residential[1]
    assert case.lead_unit == w.east.unit  # routed by the duty table
    assert case.status == CaseStatus.NEW and case.version == 1
    event = case.events.get()
    assert event.action == CaseAction.CREATE and event.data["routed_to"] == w.east.unit.name
    west = make_case(w, street="west", received_at=dt.datetime(2026, 3, 4, 9, 0, tzinfo=SH))
    assert west.number == "900001002-2026-000001"  # numbers are per street (and year of receipt)


def test_address_only_case_is_located_through_the_building(w):
    case = make_case(w, lon=None, lat=None, address="东路 2 1 号")
    assert case.building == w.east.buildings[2] and case.grid == w.east.grids[2]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "NOPE"}, "category"),
        ({"request_type": "gossip"}, "request_type"),
        ({"channel": "pigeon"}, "channel"),
        ({"description": "  "}, "description"),
        ({"lon": None, "lat": None, "address": "不存在路1号"}, "address"),
        ({"lon": 120.0, "lat": 30.0}, "address"),
        ({"lon": 121.05, "lat": None}, "lat"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(w, overrides, field):
    with pytest.raises(InvalidInput) as err:
        make_case(w, **overrides)
    assert field in err.value.fields
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


def test_staff_cannot_register_cases_in_another_street(w):
    with pytest.raises(InvalidInput, match="不在你的管辖范围"):
        make_case(w, street="west", actor_role="dispatcher", lon=w.east.grids[0].shape.centroid.x)
    assert not Case.objects.exists()


def test_cases_outside_scope_are_not_found(w):
    case = make_case(w)
    with pytest.raises(NotFound):
        actions.run_action(case.pk, "file", desk(w, "west"), {})
    with pytest.raises(NotFound):
        actions.run_action(case.number, "comment", w.user("east", Role.RESIDENT), {"note": "x"})


def test_unknown_parameters_and_actions_are_refused(w):
    case = make_case(w)
    with pytest.raises(InvalidInput) as err:
        actions.run_action(case.pk, "file", desk(w), {"colour": "red"})
    assert err.value.fields == {"colour": "unknown"}
    with pytest.raises(InvalidInput):
        actions.run_action(case.pk, "teleport", desk(w), {})


def test_co_handling_units_are_tracked_separately(w):
    police = Unit.objects.create(
        kind=UnitKind.POLICE, code="E-PS", name="东派出所", district=w.district, street=w.east.street
    )
    cop = w.user("east", Role.HANDLER).__class__.objects.create(username="east-cop", role=Role.HANDLER)
    cop.memberships.create(unit=police)
    case = advance(w, make_case(w), CaseStatus.FILED)
    case = actions.run_action(case.pk, "dispatch", desk(w), {"co_units": [police.pk]})
    co, lead = case.assignments.order_by("role")
    assert (co.role, co.unit, lead.role, lead.unit) == ("co", police, "lead", w.east.unit)
    case = actions.run_action(case.pk, "sign", cop, {})
    assert case.status == CaseStatus.DISPATCHED  # the co-handler's signature does not start the case
    case = actions.run_action(case.pk, "sign", w.user("east", Role.HANDLER), {})
    assert case.status == CaseStatus.IN_PROGRESS and case.responded_at is not None
    case = actions.run_action(case.pk, "report_back", cop, {"feedback": "已上门劝导"})
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.assignments.get(unit=police).status == AssignmentStatus.HANDLED
    case = actions.run_action(case.pk, "report_back", w.user("east", Role.HANDLER), {"feedback": "已处理"})
    assert case.status == CaseStatus.HANDLED


def test_return_goes_back_to_the_desk_and_redispatch_replaces_assignments(
    w, django_capture_on_commit_callbacks
):
    case = advance(w, make_case(w), CaseStatus.DISPATCHED)
    with django_capture_on_commit_callbacks(execute=True):
        case = actions.run_action(
            case.pk, "return", w.user("east", Role.HANDLER), {"reason": "不是本单位职责"}
        )
    assert case.status == CaseStatus.RETURNED and case.lead_unit is None
    assert Notification.objects.filter(user=desk(w), kind="returned").exists()
    with pytest.raises(InvalidInput):
        actions.run_action(case.pk, "return", w.user("east", Role.HANDLER), {"reason": ""})
    other = Unit.objects.create(
        kind=UnitKind.HOUSING, code="E-FG", name="东房管办", district=w.district, street=w.east.street
    )
    case = actions.run_action(case.pk, "dispatch", desk(w), {"lead_unit": other.pk})
    assert case.lead_unit == other
    assert list(case.assignments.values_list("unit__name", "status").order_by("id")) == [
        ("东城管中队", AssignmentStatus.RETURNED),
        ("东房管办", AssignmentStatus.PENDING),
    ]


def test_dispatch_without_any_duty_needs_a_unit(world):
    case = advance(world, make_case(world), CaseStatus.FILED)
    assert case.lead_unit is None
    with pytest.raises(InvalidInput) as err:
        actions.run_action(case.pk, "dispatch", desk(world), {})
    assert "lead_unit" in err.value.fields
    with pytest.raises(InvalidInput):
        actions.run_action(case.pk, "dispatch", desk(world), {"lead_unit": world.west.unit.pk})  # not visible


def test_extension_moves_the_deadline_by_working_days(w):
    case = make_case(w, received_at=dt.datetime(2026, 9, 28, 10, 0, tzinfo=SH))
    # 5 working days over 国庆: 9-29, 9-30, 10-8, 10-9 and the make-up Saturday 10-10.
    assert case.handling_due_at == dt.datetime(2026, 10, 10, 23, 59, 59, tzinfo=SH)
    case = advance(w, case, CaseStatus.IN_PROGRESS)
    handler = w.user("east", Role.HANDLER)
    with pytest.raises(InvalidInput):
        actions.run_action(case.pk, "request_extension", handler, {"working_days": 16, "reason": "太复杂"})
    case = actions.run_action(case.pk, "request_extension", handler, {"working_days": 3, "reason": "需协调"})
    with pytest.raises(TransitionNotAllowed):  # one pending request at a time
        actions.run_action(case.pk, "request_extension", handler, {"working_days": 2, "reason": "再延"})
    case = actions.run_action(case.pk, "approve_extension", desk(w), {"note": "同意"})
    assert case.handling_due_at == dt.datetime(2026, 10, 14, 23, 59, 59, tzinfo=SH)  # 10-12, 10-13, 10-14
    assert case.extensions.get().status == ExtensionStatus.APPROVED
    case = actions.run_action(case.pk, "request_extension", handler, {"working_days": 2, "reason": "再延"})
    with pytest.raises(InvalidInput):
        actions.run_action(case.pk, "refuse_extension", desk(w), {})
    case = actions.run_action(case.pk, "refuse_extension", desk(w), {"note": "不予延期"})
    assert case.handling_due_at == dt.datetime(2026, 10, 14, 23, 59, 59, tzinfo=SH)


def test_verify_fail_sends_it_back_to_the_unit(w):
    case = advance(w, make_case(w), CaseStatus.HANDLED)
    case = actions.run_action(
        case.pk, "verify_fail", w.user("east", Role.GRID_WORKER), {"reason": "仍有噪声"}
    )
    assert case.status == CaseStatus.IN_PROGRESS and case.handled_at is None
    case = actions.run_action(case.pk, "report_back", w.user("east", Role.HANDLER), {"feedback": "再次处理"})
    assert case.status == CaseStatus.HANDLED


def test_merged_cases_follow_the_master(w):
    master = advance(w, make_case(w), CaseStatus.FILED)
    child = make_case(w, description="楼上噪声很大")
    grandchild = make_case(w, description="夜里噪声扰民")
    actions.run_action(grandchild.pk, "merge", desk(w), {"master": child.number})
    child = actions.run_action(child.pk, "merge", desk(w), {"master": master.number})
    assert child.status == CaseStatus.MERGED and child.master == master
    assert Case.objects.get(pk=grandchild.pk).master == master  # followers move to the new master
    for bad, reason in [(master.number, "self"), (make_case(w, street="west").number, "unknown")]:
        other = make_case(w)
        with pytest.raises(InvalidInput) as err:
            actions.run_action(other.pk if reason != "self" else master.pk, "merge", desk(w), {"master": bad})
        assert err.value.fields["master"] == reason
    master = advance(w, master, CaseStatus.CLOSED)
    for follower in (child, grandchild):
        follower = Case.objects.get(pk=follower.pk)
        assert follower.status == CaseStatus.CLOSED and follower.resolution_note == master.resolution_note
        assert follower.events.last().note_text == f"随主单 {master.number} 结案"


def test_reopen_gives_a_fresh_three_working_day_limit(w, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH))  # a Monday
    case = advance(w, make_case(w), CaseStatus.CLOSED)
    case = actions.run_action(case.pk, "reopen", desk(w), {"reason": "问题复发"})
    assert case.status == CaseStatus.REOPENED and case.closed_at is None
    assert case.handling_due_at == dt.datetime(2026, 11, 5, 23, 59, 59, tzinfo=SH)
    assert actions.run_action(case.pk, "dispatch", desk(w), {}).status == CaseStatus.DISPATCHED


def test_escalation_ladders_stop_at_the_top(w):
    case = advance(w, make_case(w), CaseStatus.FILED)
    cadre = w.user("east", Role.CADRE)
    case = actions.run_action(case.pk, "escalate", cadre, {"ladder": "level"})
    case = actions.run_action(case.pk, "escalate", cadre, {"ladder": "level"})
    assert case.escalation_level == "district"
    with pytest.raises(TransitionNotAllowed):
        actions.run_action(case.pk, "escalate", cadre, {"ladder": "level"})
    case = actions.run_action(case.pk, "escalate", cadre, {"ladder": "dispute", "note": "调解未成"})
    assert case.dispute_level == "dispute"
    with pytest.raises(InvalidInput):
        actions.run_action(case.pk, "escalate", cadre, {"ladder": "sideways"})


def test_contacting_the_requester_counts_as_the_response(w):
    case = make_case(w)
    case = actions.run_action(case.pk, "comment", desk(w), {"note": "已回电", "contacted_requester": True})
    assert case.responded_at is not None


def test_callback_records_and_validates(w):
    case = advance(w, make_case(w), CaseStatus.CLOSED)
    with pytest.raises(InvalidInput) as err:
        actions.run_action(case.pk, "callback", desk(w), {"resolution": "maybe", "satisfaction": "satisfied"})
    assert "resolution" in err.value.fields
    actions.run_action(case.pk, "callback", desk(w), {"contacted": False, "note": "无人接听"})
    actions.run_action(case.pk, "callback", desk(w), {"resolution": "partly", "satisfaction": "basically"})
    assert list(case.callbacks.values_list("contacted", "resolution", "satisfaction")) == [
        (False, "", ""),
        (True, "partly", "basically"),
    ]


def test_stale_version_is_a_conflict_and_changes_nothing(w):
    case = make_case(w)
    actions.run_action(case.pk, "file", desk(w), {"version": 1})
    with pytest.raises(Conflict):
        actions.run_action(case.pk, "comment", w.user("east", Role.ADMIN), {"note": "x", "version": 1})
    case.refresh_from_db()
    assert case.version == 2 and case.events.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_exactly_one_wins(world):
    duty(world)
    case = advance(world, make_case(world), CaseStatus.FILED)
    users = [world.user("east", Role.DISPATCHER), world.user("east", Role.ADMIN)] * 3
    barrier = threading.Barrier(len(users))
    outcomes: list[str] = []

    def attempt(user):
        try:
            barrier.wait()
            actions.run_action(case.pk, "dispatch", user, {"version": case.version})
            outcomes.append("ok")
        except (Conflict, TransitionNotAllowed):
            outcomes.append("conflict")
        except Exception as exc:  # anything else is a bug: record it so the assertion shows it
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * (len(users) - 1) + ["ok"]
    case.refresh_from_db()
    assert case.status == CaseStatus.DISPATCHED and case.version == 3
    assert case.events.filter(action="dispatch").count() == 1
    assert case.assignments.count() == 1


def _jpeg_with_gps() -> io.BytesIO:
    image = Image.new("RGB", (64, 48), "red")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (31.0, 12.0, 0.0), 3: "E", 4: (121.0, 30.0, 0.0)}
    buf = io.BytesIO()
    image.save(buf, format="JPEG", exif=exif)
    buf.seek(0)
    buf.name = "scene.jpg"
    return buf


def test_photos_are_stripped_of_exif_and_thumbnailed(w, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = make_case(w, photos=[_jpeg_with_gps()])
    photo = case.photos.get()
    with Image.open(photo.image.path) as stored:
        assert not stored.getexif()
    with Image.open(photo.thumbnail.path) as thumb:
        assert max(thumb.size) <= 320
    with pytest.raises(InvalidInput, match="不是有效的图片"):
        bogus = io.BytesIO(b"not an image")
        bogus.name = "x.jpg"
        make_case(w, photos=[bogus])


def test_a_failing_photo_write_leaves_no_half_created_case(w, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    original = Photo.save

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Photo, "save", broken)
    with pytest.raises(OSError):
        make_case(w, photos=[_jpeg_with_gps()])
    monkeypatch.setattr(Photo, "save", original)
    assert not Case.objects.exists() and not CaseEvent.objects.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # files written before the failure are gone


def test_notifications_are_sent_once(w, django_capture_on_commit_callbacks):
    case = advance(w, make_case(w), CaseStatus.FILED)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        actions.run_action(case.pk, "dispatch", desk(w), {})
    handler = w.user("east", Role.HANDLER)
    assert Notification.objects.filter(user=handler, kind="dispatched").count() == 1
    for callback in callbacks:  # a retried side effect must not notify twice
        callback()
    assert Notification.objects.filter(user=handler, kind="dispatched").count() == 1


def test_a_late_worker_dates_the_notice_at_the_write(w, django_capture_on_commit_callbacks):
    from civicgrid.core import clock

    case = advance(w, make_case(w), CaseStatus.FILED)
    written = dt.datetime(2026, 3, 2, 9, 30, tzinfo=SH)
    with clock.at(written), django_capture_on_commit_callbacks() as callbacks:
        actions.run_action(case.pk, "dispatch", desk(w), {})
    assert not Notification.objects.filter(kind="dispatched").exists()
    with clock.at(written + dt.timedelta(hours=3)):  # the queue was slow
        for callback in callbacks:
            callback()
    notice = Notification.objects.get(user=w.user("east", Role.HANDLER), kind="dispatched")
    assert notice.created_at == written


def test_duty_table_most_specific_area_and_category_win(w):
    grid_unit = Unit.objects.create(
        kind=UnitKind.PROPERTY, code="E-WY", name="东物业", district=w.district, street=w.east.street
    )
    noise_unit = Unit.objects.create(
        kind=UnitKind.POLICE, code="E-PS2", name="东派出所", district=w.district, street=w.east.street
    )
    DutyRule.objects.create(
        category=Category.objects.get(code="E2105"), area=w.east.street, lead_unit=noise_unit
    )
    DutyRule.objects.create(
        category=Category.objects.get(code="E21"), area=w.east.grids[1], lead_unit=grid_unit
    )
    assert make_case(w, grid=0).lead_unit == noise_unit  # street-level, most specific category
    assert make_case(w, grid=1).lead_unit == grid_unit  # grid-level beats street-level
    assert make_case(w, grid=2, category="E2101").lead_unit == w.east.unit  # the class-level rule
    assert make_case(w, grid=2, category="E0101").lead_unit is None  # no match: the dispatcher's queue


def test_a_failing_photo_write_during_report_back_rolls_the_action_back(w, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    case = advance(w, make_case(w), CaseStatus.IN_PROGRESS)
    handler = w.user("east", Role.HANDLER)

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(Photo, "save", broken)
        with pytest.raises(OSError):
            actions.run_action(
                case.pk, "report_back", handler, {"feedback": "已处理", "photos": [_jpeg_with_gps()]}
            )
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.events.last().action == "sign"
    assert case.assignments.get().status == AssignmentStatus.SIGNED
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
    case = actions.run_action(
        case.pk, "report_back", handler, {"feedback": "已处理", "photos": [_jpeg_with_gps()]}
    )
    photo = case.photos.get()
    assert photo.stage == "after" and photo.event == case.events.last()
    gridworker = w.user("east", Role.GRID_WORKER)
    case = actions.run_action(case.pk, "verify_pass", gridworker, {"photos": [_jpeg_with_gps()]})
    assert case.photos.count() == 2 and case.events.last().data["photos"] == 1


def test_unchanged_source_update_writes_nothing(w):
    from civicgrid.cases.actions import CaseInput

    data = CaseInput(
        request_type="complaint",
        category="E2105",
        description="噪声",
        channel="hotline",
        address="东路11号",
        source="12345",
        external_id="A1",
    )
    case = actions.create_case(data, None)
    same, changed = actions.update_from_source(case, data, "fp2")
    assert changed == [] and same.version == case.version and case.events.count() == 1
    assert Case.objects.get(pk=case.pk).source_fingerprint == "fp2"


def test_cases_are_found_by_id_or_number_and_absurd_ids_are_not_found(w):
    case = make_case(w)
    assert actions.load_case(case.number, desk(w)) == case
    assert actions.load_case(str(case.pk), desk(w)) == case
    with pytest.raises(NotFound):
        actions.load_case("9" * 40, desk(w))


def test_dispatch_whistles_the_duty_tables_co_handlers(w):
    police = Unit.objects.create(
        kind=UnitKind.POLICE, code="E-PS3", name="东派出所", district=w.district, street=w.east.street
    )
    DutyRule.objects.get(area=w.east.street).co_units.add(police)
    case = advance(w, make_case(w), CaseStatus.FILED)
    case = actions.run_action(case.pk, "dispatch", desk(w), {})
    assert sorted(case.assignments.values_list("role", "unit__name")) == [
        ("co", "东派出所"),
        ("lead", "东城管中队"),
    ]
    other = advance(w, make_case(w), CaseStatus.FILED)
    other = actions.run_action(
        other.pk, "dispatch", desk(w), {"co_units": []}
    )  # the desk chose: no co-handlers
    assert list(other.assignments.values_list("role", flat=True)) == ["lead"]
