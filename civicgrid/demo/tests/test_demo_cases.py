"""The demo with cases: one load_demo with a tenth of the default cases a street and no
registry, then the cases' checks and the insights' (insights_checks.py, parts.py)."""

import datetime as dt
from collections import Counter
from io import StringIO
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.http import HttpRequest
from django.test import TestCase, override_settings
from shapely import Point

from civicgrid.accounts.models import User
from civicgrid.cases import deadlines, metrics
from civicgrid.cases.choices import (
    OPEN_STATUSES,
    CaseAction,
    CaseStatus,
    Channel,
    ExtensionStatus,
    PatrolStatus,
    PlaceStatus,
    RequestType,
    Satisfaction,
    SupervisionKind,
)
from civicgrid.cases.models import (
    Assignment,
    Callback,
    Case,
    CaseEvent,
    DutyRule,
    ExtensionRequest,
    Patrol,
    Supervision,
)
from civicgrid.core import clock, personal
from civicgrid.core.models import Event, MessageDelivery
from civicgrid.demo import data, volume
from civicgrid.demo.builder import (
    DemoPlan,
    build_plan,
)
from civicgrid.demo.cases import (
    DEMO_SOURCE,
    STREET_DUTIES,
    TOPICS,
    demo_days,
    plan_street_cases,
    street_infos,
)
from civicgrid.demo.history import plan_year
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.geometry import parse_polygon
from civicgrid.geo.models import Area
from civicgrid.geo.services import find_building
from civicgrid.orgs.choices import UnitKind

from . import parts
from .insights_checks import InsightsDemoChecks
from .test_load_demo import STREETS

SH = ZoneInfo("Asia/Shanghai")

# The tests load a tenth of the default volume: the same planning and the same shares.
PER_STREET = 300


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class DemoCasesTests(InsightsDemoChecks, TestCase):
    """A load_demo with PER_STREET cases a street, once for the class; the insights' checks
    (insights_checks.py) run on the same load (parts.py)."""

    output: str
    plan: DemoPlan
    load_day: dt.date

    @classmethod
    def setUpTestData(cls) -> None:
        out = StringIO()
        cls.load_day = clock.today()
        call_command(
            "load_demo", "--cases-per-street", str(PER_STREET), "--residents-per-street", "0", stdout=out
        )
        cls.output = out.getvalue()
        cls.plan = build_plan()
        parts.set_up(cls, (InsightsDemoChecks,))

    def street(self, key: str) -> Area:
        return Area.objects.get(kind=AreaKind.STREET, name=STREETS[key])

    def test_the_insights_checks_hide_none_of_these(self) -> None:
        assert parts.clashes(InsightsDemoChecks, DemoCasesTests) == []

    def test_some_residents_type_a_phone_or_a_plate_that_public_readers_see_masked(self):
        from civicgrid.core.redact import redact

        for key in STREETS:
            texts = list(Case.objects.filter(street=self.street(key)).values_list("description", flat=True))
            typed = [t for t in texts if redact(t) != t]
            assert 3 <= len(typed) <= len(texts) // 5, key  # a few, as in real orders
            assert all("****" in redact(t) for t in typed)

    def test_a_year_of_cases_per_street_each_registered_at_its_receipt(self):
        first_day, last_day = demo_days(self.load_day)
        first = dt.datetime.combine(first_day, dt.time.min, tzinfo=SH)
        last = dt.datetime.combine(last_day, dt.time.max, tzinfo=SH)
        for key in STREETS:
            cases = Case.objects.filter(street=self.street(key))
            # Merged duplicate reports, what grid workers find on patrol and the root-cause
            # stories (demo/insights.py) come on top.
            stories = cases.filter(external_id__startswith=f"demo-{key}-src-")
            assert PER_STREET <= cases.count() - stories.count() <= PER_STREET + 40, key
            planned = cases.filter(source=DEMO_SOURCE, master__isnull=True).exclude(patrols__isnull=False)
            planned = planned.exclude(pk__in=stories)
            assert planned.count() == PER_STREET
            assert not cases.exclude(source=DEMO_SOURCE).exists()
            assert all(e.startswith(f"demo-{key}-") for e in cases.values_list("external_id", flat=True))
            assert not cases.exclude(received_at__range=(first, last)).exists()
            # Every case was created by create_case: it has its 登记 event at its receipt.
            assert cases.filter(events__action=CaseAction.CREATE).distinct().count() == cases.count()
            # Located (a grid and a building) but for the 12345 orders left to locate (待定位).
            located = cases.exclude(place_status=PlaceStatus.TO_LOCATE)
            assert located.filter(grid__isnull=False, building__isnull=False).count() == located.count()
        # Timelines are in the past, in order, never before the receipt.
        now = clock.now()
        assert not CaseEvent.objects.filter(at__lt=F("case__received_at")).exists()
        assert not CaseEvent.objects.filter(at__gt=now).exists()
        assert not Case.objects.filter(closed_at__lt=F("received_at")).exists()
        assert not Case.objects.filter(responded_at__lt=F("received_at")).exists()
        assert Case.objects.filter(created_at=F("received_at")).count() == Case.objects.count()

    def test_every_state_and_channel_in_every_street(self):
        for key in STREETS:
            cases = Case.objects.filter(street=self.street(key))
            assert set(cases.values_list("status", flat=True)) == set(CaseStatus.values), key
            assert set(cases.values_list("channel", flat=True)) == set(Channel.values), key
            assert set(cases.values_list("request_type", flat=True)) == set(RequestType.values), key
            # Residents read a result on every closed or rejected case (cases.public).
            assert not cases.filter(status__in=["closed", "rejected"], public_result="").exists(), key
            assert cases.filter(is_overdue=True, status__in=OPEN_STATUSES).exists(), key
            assert cases.filter(status__in=OPEN_STATUSES, is_overdue=False).exists(), key
            # Callbacks of every kind, and a reopened case after an unsatisfied one.
            callbacks = Callback.objects.filter(case__street=self.street(key))
            assert set(callbacks.values_list("satisfaction", flat=True)) >= set(Satisfaction.values)
            assert callbacks.filter(contacted=False).exists()
        assert ExtensionRequest.objects.filter(status=ExtensionStatus.APPROVED).exists()
        assert Supervision.objects.filter(kind=SupervisionKind.LEADER).exists()
        assert CaseEvent.objects.filter(action=CaseAction.ESCALATE).exists()
        # The community matters of the seeds dominate.
        top = Case.objects.values("category__code").annotate(n=Count("pk")).order_by("-n")[:5]
        assert {row["category__code"] for row in top} <= {
            "E2105",
            "E2104",
            "E2101",
            "E2103",
            "E0505",
            "E2106",
            "E2107",
            "E2102",
        }

    def test_the_rates_are_alive_in_every_street(self):
        for key in STREETS:
            dispatcher = User.objects.get(username=f"{key}-dispatcher")
            figures = metrics.summary(dispatcher)
            for rate in metrics.RATES:
                value = figures[f"{rate.key}_rate"]
                assert value is not None and 0 < value < 1, (key, rate.key, value)
            assert 0 < figures["overdue"] < figures["counted"]
            groups = metrics.compute(dispatcher, group_by="unit")
            assert len(groups) >= 5
            street = self.street(key)
            assert {g["key"] for g in metrics.compute(dispatcher, group_by="street")} == {street.pk}
            assert figures["total"] == Case.objects.filter(street=street).count()

    def test_routing_by_the_demo_duty_table(self):
        lujiazui = self.street("lujiazui")
        assert DutyRule.objects.filter(area=lujiazui).count() == len(STREET_DUTIES)
        noise = Case.objects.filter(street=lujiazui, category__code="E2105").exclude(lead_unit=None)
        assert noise.exists() and set(noise.values_list("lead_unit__name", flat=True)) == {"梅园派出所"}
        # 物业管理 goes to the residential area's property company where there is one.
        managed = Case.objects.filter(street=lujiazui, category__code="E2104").exclude(lead_unit=None)
        assert UnitKind.PROPERTY in set(managed.values_list("lead_unit__kind", flat=True))
        # Co-handlers of the duty table are dispatched with the lead (群租: 派出所, 城管).
        renting = Assignment.objects.filter(case__street=lujiazui, case__category__code="E2101", role="co")
        assert {"梅园派出所", "陆家嘴城管中队"} <= set(renting.values_list("unit__name", flat=True))
        # The street's handler account sees the 城管中队's task list.
        handler = User.objects.get(username="lujiazui-handler")
        assert Case.objects.restrict(handler, "view").filter(lead_unit__name="陆家嘴城管中队").exists()

    def test_merged_cases_follow_their_master(self):
        children = Case.objects.filter(master__isnull=False).select_related("master")
        assert children.exists()
        for child in children:
            assert child.external_id.startswith(child.master.external_id + "-")
            if child.master.status == CaseStatus.CLOSED:
                assert child.status == CaseStatus.CLOSED and child.closed_at == child.master.closed_at
            else:
                assert child.status == CaseStatus.MERGED

    def test_plans_are_deterministic(self):
        info = street_infos(self.plan)[0]
        first, second = plan_street_cases(info), plan_street_cases(info)
        assert first == second
        assert len({p.external_id for p in first}) == len(first)

    def test_statuses_agree_with_the_timestamps_and_the_timeline(self):
        cases = Case.objects.all()
        closed = cases.filter(status=CaseStatus.CLOSED)
        assert not closed.filter(Q(closed_at=None) | Q(callback_due_at=None) | Q(responded_at=None)).exists()
        assert not cases.filter(status=CaseStatus.REJECTED, closed_at=None).exists()
        assert not cases.filter(status__in=OPEN_STATUSES).exclude(closed_at=None).exists()
        assert not cases.filter(
            status__in=[CaseStatus.HANDLED, CaseStatus.VERIFIED], handled_at=None
        ).exists()
        assert not cases.filter(status=CaseStatus.VERIFIED, verified_at=None).exists()
        in_hand = cases.filter(status=CaseStatus.IN_PROGRESS).exclude(lead_unit=None)
        assert in_hand.exists()
        signed = Assignment.objects.filter(role="lead", status="signed").values("case")
        assert not in_hand.filter(master=None).exclude(pk__in=signed).exists()
        assert not cases.filter(called_back_at__isnull=False).exclude(callbacks__isnull=False).exists()
        assert not cases.filter(closed_at__lt=F("responded_at")).exists()
        # Each write bumped the version once and left one timeline row and one domain event.
        rows = dict(cases.annotate(n=Count("events")).values_list("pk", "n"))
        logged = dict(
            Event.objects.filter(app="cases", object_type="case")
            .values("object_id")
            .annotate(n=Count("pk"))
            .values_list("object_id", "n")
        )
        for pk, version in cases.values_list("pk", "version"):
            assert rows[pk] == logged[pk] == version, pk
        last = {}
        for case_id, to_status in CaseEvent.objects.order_by("at", "id").values_list("case_id", "to_status"):
            last[case_id] = to_status
        assert dict(cases.values_list("pk", "status")) == last

    def test_old_orders_are_closed_and_called_back_recent_ones_spread_over_the_loop(self):
        month_ago = dt.datetime.combine(self.load_day - dt.timedelta(days=45), dt.time(), tzinfo=SH)
        old = Case.objects.filter(received_at__lt=month_ago, master=None)
        done = old.filter(status__in=[CaseStatus.CLOSED, CaseStatus.REJECTED])
        assert done.count() >= 0.93 * old.count()
        closed = old.filter(status=CaseStatus.CLOSED)
        assert closed.exclude(called_back_at=None).count() >= 0.9 * closed.count()
        rejected = Case.objects.filter(status=CaseStatus.REJECTED).count() / Case.objects.count()
        assert 0.01 <= rejected <= 0.08
        week_ago = dt.datetime.combine(self.load_day - dt.timedelta(days=7), dt.time(), tzinfo=SH)
        recent = Case.objects.filter(received_at__gte=week_ago, master=None)
        spread = dict(recent.values_list("status").annotate(n=Count("pk")))
        assert len(spread) >= 5, spread
        assert max(spread.values()) < 0.7 * recent.count(), spread

    def test_overdue_orders_are_a_few_percent(self):
        for key in STREETS:
            figures = metrics.summary(User.objects.get(username=f"{key}-dispatcher"))
            assert 0.01 <= figures["overdue"] / figures["counted"] <= 0.1, (key, figures["overdue"])
            # Open orders past their limit carry the deadline job's mark.
            street = self.street(key)
            now = clock.now()
            late = Case.objects.filter(street=street, status__in=OPEN_STATUSES, handling_due_at__lt=now)
            assert late.exists() and not late.filter(is_overdue=False).exists()
        assert Supervision.objects.filter(kind=SupervisionKind.OVERDUE).exists()

    def test_reporters_phones_are_encrypted_and_masked(self):
        with_phone = Case.objects.exclude(reporter_phone="")
        assert with_phone.count() > Case.objects.count() // 2
        case = with_phone.filter(channel=Channel.HOTLINE).first()
        number = personal.unmasked(case.reporter_phone)
        assert len(number) == 11 and number.isdigit()
        with connection.cursor() as cursor:
            cursor.execute("SELECT reporter_phone FROM cases_case WHERE id = %s", [case.pk])
            stored = cursor.fetchone()[0]
        assert number not in stored and number[-4:] not in stored
        assert number not in str(case.reporter_phone)

    def test_inboxes_hold_the_year_s_notices_read_but_the_last_week_s(self):
        from civicgrid.cases.models import Notification

        notices = Notification.objects.filter(user__username__endswith="-dispatcher")
        week_ago = clock.now() - dt.timedelta(days=8)
        assert notices.filter(created_at__lt=week_ago).exists()
        assert not notices.filter(created_at__lt=week_ago, read_at=None).exists()
        assert notices.filter(read_at=None).exists()
        # Dated when the write happened, not when the load ran.
        first = dt.datetime.combine(demo_days(self.load_day)[0], dt.time(), tzinfo=SH)
        assert not notices.filter(created_at__lt=first).exists()

    def test_dashboards_count_the_whole_demo(self):
        from civicgrid.insights.models import CaseRollup, Dimension

        streets = CaseRollup.objects.filter(dimension=Dimension.STREET)
        assert streets.aggregate(n=Sum("total"))["n"] == Case.objects.count()
        closed = Case.objects.filter(status=CaseStatus.CLOSED).count()
        assert streets.aggregate(n=Sum("status_closed"))["n"] == closed

    # --- issue 12's features, as a new user of the demo finds them ------------------------

    def test_12345_orders_to_locate_corrected_and_in_grid_conflict(self):
        for key in STREETS:
            cases = Case.objects.filter(street=self.street(key))
            # 待定位: open 12345 orders whose address matched nothing, in their street, no grid.
            unlocated = cases.filter(place_status=PlaceStatus.TO_LOCATE, status__in=OPEN_STATUSES)
            assert unlocated.count() == volume.TO_LOCATE, key
            assert not unlocated.filter(Q(grid__isnull=False) | Q(building__isnull=False)).exists()
            assert set(unlocated.values_list("channel", flat=True)) == {Channel.HOTLINE}
            assert all(find_building(a) is None for a in unlocated.values_list("address", flat=True))
            # 更正位置 by the desk on its timeline, the case now in its building's grid.
            moved = CaseEvent.objects.filter(case__street=self.street(key), action=CaseAction.RELOCATE)
            assert moved.count() == volume.RELOCATED, key
            for event in moved.select_related("case__building"):
                assert event.case.place_status == PlaceStatus.LOCATED
                assert event.case.grid_id == event.case.building.grid_id
                assert event.data["by"] == "building" and "确认地点为" in event.note
            # 网格冲突: the map point's grid is not the building's.
            conflicts = cases.filter(grid_conflict=True, status__in=OPEN_STATUSES).select_related("building")
            assert conflicts.count() == volume.GRID_CONFLICTS, key
            assert all(c.grid_id != c.building.grid_id for c in conflicts)

    def test_grid_workers_patrol_their_grid_and_report_on_patrol(self):

        now = clock.now()
        for key in STREETS:
            worker = User.objects.get(username=f"{key}-gridworker")
            patrols = Patrol.objects.filter(worker=worker)
            ended = patrols.filter(status=PatrolStatus.ENDED)
            assert ended.count() == volume.PATROL_WEEKS * volume.PATROLS_PER_WEEK, key
            assert patrols.filter(status=PatrolStatus.ACTIVE).count() == 1, key
            grid = Area.objects.filter(kind=AreaKind.GRID, memberships__user=worker).order_by("code").first()
            shape = parse_polygon(grid.geometry)
            for patrol in patrols:
                assert patrol.grid_id == grid.pk and patrol.started_at > now - dt.timedelta(days=50)
                assert all(shape.contains(Point(lon, lat)) for lon, lat, _s in patrol.track)
            lo, hi = volume.PATROL_MINUTES
            for patrol in ended:
                assert lo * 60 <= patrol.duration.total_seconds() <= hi * 60
                assert 1000 < patrol.distance_m < 12000  # kilometres on foot, not a random scatter
            # What they found on patrol: linked cases, registered during it, by the worker.
            found = Case.objects.filter(patrols__worker=worker).distinct()
            assert found.exists(), key
            for case in found:
                patrol = case.patrols.get()
                assert patrol.started_at < case.received_at < (patrol.ended_at or now)
                assert case.created_by == worker and case.channel == Channel.PATROL
        # The patrol log, as the street's dispatcher reads it: their worker's patrols.
        from django.urls import reverse

        assert self.client.login(
            request=HttpRequest(), username="lujiazui-dispatcher", password=data.DEMO_PASSWORD
        )
        page = self.client.get(reverse("cases:patrols")).content.decode()
        assert User.objects.get(username="lujiazui-gridworker").full_name in page
        assert User.objects.get(username="pingliang-gridworker").full_name not in page
        assert "没有巡查记录" not in page

    def test_verifications_carry_gps_check_ins(self):
        for key in STREETS:
            checks = [
                e.data["checkin"]
                for e in CaseEvent.objects.filter(
                    case__street=self.street(key), action__in=[CaseAction.VERIFY_PASS, CaseAction.VERIFY_FAIL]
                )
                if "checkin" in e.data
            ]
            assert len(checks) >= 2, key
            assert all(c["distance_m"] is not None for c in checks)
            near = [c for c in checks if not c["far"]]
            assert near and all(c["distance_m"] < 100 for c in near), key
            assert any(c["far"] and c["distance_m"] > c["limit_m"] for c in checks), key

    def test_residents_rate_a_share_of_closed_cases_and_the_desk_still_calls_back(self):
        closed = Case.objects.filter(status=CaseStatus.CLOSED, reporter_anonymous=False).exclude(
            reporter_phone=""
        )
        rated = closed.filter(callbacks__by_resident=True).distinct()
        assert 0.15 <= rated.count() / closed.count() <= 0.35, (rated.count(), closed.count())
        ratings = Callback.objects.filter(by_resident=True)
        assert {"resolved", "unresolved"} == set(ratings.values_list("resolution", flat=True))
        assert set(ratings.values_list("satisfaction", flat=True)) == set(Satisfaction.values)
        assert ratings.exclude(note="").exists() and ratings.filter(note="").exists()
        # One rating a case, after its close, on its timeline; the desk called back all the same.
        assert not ratings.values("case").annotate(n=Count("pk")).filter(n__gt=1).exists()
        assert not ratings.filter(at__lt=F("case__closed_at")).exists()
        assert CaseEvent.objects.filter(action=CaseAction.RATE).count() == ratings.count()
        assert (
            rated.filter(callbacks__by_resident=False, callbacks__contacted=True).distinct().count()
            == rated.count()
        )
        # The bulk history's cases are rated too (through the action), not only the showcase.
        assert rated.filter(external_id__regex=r"-0(0[5-9]|[1-9])\d\d$").exists()

    def test_a_few_showcase_cases_publish_a_photo_of_the_result(self):
        from civicgrid.cases.models import Photo
        from civicgrid.cases.public import public_photos

        public = Photo.objects.filter(public=True)
        assert 2 <= public.count() <= 40
        published = CaseEvent.objects.filter(action=CaseAction.PUBLISH_PHOTO, data__public=True)
        assert published.count() == public.count()
        for event in published.select_related("case"):
            assert event.case.status == CaseStatus.CLOSED and public_photos(event.case).exists()

    def test_demo_residents_find_their_own_reports(self):
        from civicgrid.cases.public import my_reports

        for key in STREETS:
            resident = User.objects.get(username=f"{key}-resident")
            mine = my_reports(resident)
            # A few: the grid conflicts they pinned next door, and some of the year's web reports.
            assert volume.GRID_CONFLICTS <= len(mine) <= 10, key
            assert sum(r.case.grid_conflict for r in mine) == volume.GRID_CONFLICTS
            assert all(r.case.created_by == resident for r in mine)

    def test_showcase_events_sent_messages_and_the_bulk_history_none(self):
        deliveries = MessageDelivery.objects.all()
        assert deliveries.count() > 100
        kinds = set(deliveries.values_list("kind", flat=True))
        assert {"dispatched", "handled", "case_result"} <= kinds
        # Written when the event happened, over the year (as of the morning after), not at the
        # load (and sent after the commit, which a test case never reaches).
        first = dt.datetime.combine(demo_days(self.load_day)[0], dt.time(), tzinfo=SH)
        assert deliveries.filter(
            created_at__lt=clock.now() - dt.timedelta(days=60), created_at__gt=first
        ).exists()
        # Of the bulk history's orders, only the deadline job's reminders of those open now:
        # the history itself (cases.bulk) tells nobody.
        about = Case.objects.filter(pk__in=deliveries.values("object_id")).values_list("pk", "external_id")
        bulk = [
            pk
            for pk, e in about
            if "patrol" not in e
            # The root-cause stories (demo/insights.py) come through the bulk path too.
            and (e.split("-")[2] == "src" or int(e.split("-")[2]) > volume.SHOWCASE_PER_STREET)
        ]
        assert len(bulk) < len(about)
        of_bulk = deliveries.filter(object_id__in=bulk)
        assert set(of_bulk.values_list("kind", flat=True)) <= {"due_soon", "overdue", "supervision"}

    def test_second_run_adds_no_cases(self):
        def counts() -> tuple[int, ...]:
            models = (Case, CaseEvent, Callback, Patrol, MessageDelivery, Event)
            return tuple(m.objects.count() for m in models)

        before = counts()
        out = StringIO()
        call_command(
            "load_demo", "--cases-per-street", str(PER_STREET), "--residents-per-street", "0", stdout=out
        )
        assert counts() == before
        assert "未做修改" in out.getvalue()
        assert "响应率" in self.output and "满意率" in self.output


def test_the_default_volume_has_the_declared_shares():
    """The planning of one street at the default volume, without the database (deadlines of
    five days): channels, categories, dates and weekdays as volume.py declares them."""
    today = clock.today()
    info = street_infos(build_plan())[0]

    def due(received_at, request_type, code, urgency):
        return deadlines.Deadlines(received_at + dt.timedelta(days=1), received_at + dt.timedelta(days=7))

    assert set(volume.CATEGORIES) == set(TOPICS)  # every category has its texts
    plans = plan_year(info, due, today)
    assert plan_year(info, due, today) == plans  # deterministic for a load day
    n = len(plans)
    assert n == volume.CASES_PER_STREET - volume.SHOWCASE_PER_STREET
    channels = Counter(p.channel for p in plans)
    total = sum(volume.CHANNELS.values())
    for channel, weight in volume.CHANNELS.items():
        assert abs(channels[channel] / n - weight / total) < 0.03, channel
    assert channels.most_common(1)[0][0] == Channel.HOTLINE
    categories = Counter(p.category for p in plans)
    top = sum(c for _code, c in categories.most_common(6))
    assert 0.55 <= top / n <= 0.8
    assert {code for code, _c in categories.most_common(6)} <= {
        "E2105",
        "E2101",
        "E2107",
        "E2106",
        "E0505",
        "E2103",
        "E2104",
    }
    assert len(categories) >= 20  # the long tail
    first, last = demo_days(today)
    days = [p.received_at.astimezone(SH).date() for p in plans]
    assert min(days) >= first and max(days) <= last
    weekdays = Counter(d.weekday() for d in days)
    assert weekdays[0] > 1.4 * weekdays[6]  # Monday brings the weekend's matters
    types = Counter(p.request_type for p in plans)
    assert types.most_common(1)[0][0] == RequestType.COMPLAINT and set(types) == set(RequestType.values)
    # The resident's rating comes after the desk's callback (a quarter of those with a phone).
    desk = {p.external_id: [s for s in p.steps if s.action != CaseAction.RATE] for p in plans}
    fates = Counter(steps[-1].action if steps else "" for steps in desk.values())
    assert 0.015 <= fates[CaseAction.REJECT] / n <= 0.05
    assert fates[CaseAction.CALLBACK] / n >= 0.8
    called = [
        p for p in plans if desk[p.external_id] and desk[p.external_id][-1].action == CaseAction.CALLBACK
    ]
    rated = [p for p in called if p.steps[-1].action == CaseAction.RATE]
    assert all(p.reporter_phone and not p.reporter_anonymous for p in rated)
    assert 0.15 <= len(rated) / len(called) <= 0.3
