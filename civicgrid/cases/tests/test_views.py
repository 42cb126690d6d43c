"""The web UI of the work-order loop: who may open which page, what the case page offers,
how actions, conflicts, the public report and follow-up, privacy and photos behave."""

import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from civicgrid.cases import actions
from civicgrid.cases.choices import CaseStatus, Channel, NotificationKind
from civicgrid.cases.models import Case, CaseEvent, Notification, Photo
from civicgrid.cases.tests.factories import advance, duty, make_case
from civicgrid.core.capabilities import roles
from civicgrid.core.choices import Role
from civicgrid.core.models import PersonalDataAccess
from civicgrid.core.privacy import RevealVia
from civicgrid.testing.permissions import assert_matrix

pytestmark = pytest.mark.django_db

ALL_ROLES = [r.value for r in Role]


@pytest.fixture(autouse=True)
def _clear_cache():
    # The follow-up throttle counts in the cache; each test starts from zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def routed(world):
    duty(world, "east")
    duty(world, "west")
    return world


def both_streets(world):
    users = {f"east-{r}": world.user("east", r) for r in ALL_ROLES}
    users.update({f"west-{r}": world.user("west", r) for r in ALL_ROLES})
    return users


def jpeg_with_gps(color=(200, 30, 30)) -> bytes:
    image = Image.new("RGB", (64, 48), color)
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[0x8825] = {1: "N", 2: (31.0, 12.0, 30.0), 3: "E", 4: (121.0, 3.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825), "the fixture must carry GPS"
    return data


# ---------------------------------------------------------------------------- permission matrix


def test_workbench_matrix(client, world):
    users = both_streets(world)
    expected = {f"east-{r}": 404 for r in (Role.GRID_WORKER, Role.HANDLER, Role.RESIDENT)}
    expected.update({f"east-{r}": 200 for r in (Role.ADMIN, Role.DISPATCHER, Role.LEADER, Role.CADRE)})
    assert_matrix(client, reverse("cases:workbench"), expected, users)
    client.logout()
    assert client.get(reverse("cases:workbench")).status_code == 302  # login first


def test_case_page_matrix_east_vs_west(client, routed, django_capture_on_commit_callbacks):
    world = routed
    with django_capture_on_commit_callbacks(execute=True):
        case = advance(world, make_case(world), CaseStatus.DISPATCHED)
    users = both_streets(world)
    url = reverse("cases:case", args=[case.number])
    east_staff = (Role.ADMIN, Role.DISPATCHER, Role.LEADER, Role.CADRE, Role.GRID_WORKER, Role.HANDLER)
    expected = {f"east-{r}": 200 for r in east_staff}
    expected["east-resident"] = 404  # not their report
    expected.update({f"west-{r}": 404 for r in ALL_ROLES})
    assert_matrix(client, url, expected, users)
    # Nor may anyone act on it from the other street.
    client.force_login(world.user("west", Role.DISPATCHER))
    post = client.post(reverse("cases:action", args=[case.number, "comment"]), {"version": 1, "note": "x"})
    assert post.status_code == 404


def test_task_list_and_inbox_matrix(client, routed, django_capture_on_commit_callbacks):
    world = routed
    with django_capture_on_commit_callbacks(execute=True):
        east = advance(world, make_case(world), CaseStatus.DISPATCHED)
        west = advance(world, make_case(world, "west"), CaseStatus.DISPATCHED, street="west")
    users = both_streets(world)
    expected = {f"{s}-{r}": 404 for s in ("east", "west") for r in ALL_ROLES if r != Role.HANDLER}
    expected.update({"east-handler": 200, "west-handler": 200})

    def only_own_street(response, who):
        if response.status_code != 200:
            return
        html = response.content.decode()
        mine, other = (east, west) if who.startswith("east") else (west, east)
        assert mine.number in html and other.number not in html

    assert_matrix(client, reverse("cases:tasks"), expected, users, check=only_own_street)
    inbox = dict.fromkeys(users, 200)
    assert_matrix(
        client,
        reverse("core:inbox"),
        {"east-handler": 200, "west-handler": 200},
        users,
        check=only_own_street,
    )
    assert_matrix(client, reverse("core:inbox"), inbox, users)


def test_mobile_pages_matrix(client, world):
    users = {r: world.user("east", r) for r in ALL_ROLES}
    expected = dict.fromkeys(ALL_ROLES, 404)
    expected.update({Role.GRID_WORKER: 200, Role.DISPATCHER: 200, Role.ADMIN: 200})
    for name in ("cases:mobile", "cases:mobile_report", "cases:mobile_verify"):
        assert_matrix(client, reverse(name), expected, users)


# ---------------------------------------------------------------------------- workbench


def test_workbench_queues_count_and_filter(client, routed, django_capture_on_commit_callbacks):
    world = routed
    with django_capture_on_commit_callbacks(execute=True):
        new = make_case(world, grid=2, description="新的噪声扰民")
        filed = advance(world, make_case(world, grid=1, description="已立案的案子"), CaseStatus.FILED)
        handled = advance(world, make_case(world, description="已处置待核查"), CaseStatus.HANDLED)
        closed = advance(world, make_case(world, description="结案待回访"), CaseStatus.CLOSED)
        make_case(world, "west")
    client.force_login(world.user("east", Role.DISPATCHER))
    response = client.get(reverse("cases:workbench"))
    queues = {q["key"]: q["count"] for q in response.context["queues"]}
    assert queues == {
        "new": 1,
        "dispatch": 1,
        "returned": 0,
        "overdue": 0,
        "verify": 1,
        "callback": 1,
        "to_locate": 0,
        "grid_conflict": 0,
        "all": 4,
    }
    assert [c.number for c in response.context["page"]] == [new.number]  # desk starts at 待受理
    html = client.get(reverse("cases:workbench"), {"queue": "verify"}).content.decode()
    assert handled.number in html and new.number not in html
    # Text and grid filters narrow the list and the counts alike.
    response = client.get(reverse("cases:workbench"), {"queue": "all", "q": "待回访"})
    assert [c.number for c in response.context["page"]] == [closed.number]
    response = client.get(reverse("cases:workbench"), {"queue": "all", "grid": world.east.grids[1].pk})
    assert [c.number for c in response.context["page"]] == [filed.number]
    assert response.context["queues"][-1]["count"] == 1
    # After the callback, the case leaves the 待回访 queue.
    actions.run_action(
        closed,
        "callback",
        world.user("east", Role.DISPATCHER),
        {"resolution": "resolved", "satisfaction": "satisfied"},
    )
    response = client.get(reverse("cases:workbench"), {"queue": "callback"})
    assert list(response.context["page"]) == []
    assert {q["key"]: q["count"] for q in response.context["queues"]}["callback"] == 0
    closed.refresh_from_db()
    assert closed.called_back_at == closed.callbacks.get().at  # what the queue reads


def test_migration_fills_called_back_at_from_existing_callbacks(routed):
    """cases migration 0005's data step, run on today's models: the last callback's time."""
    import importlib

    from django.apps import apps

    world = routed
    closed = advance(world, make_case(world, description="早已回访"), CaseStatus.CLOSED)
    desk = world.user("east", Role.DISPATCHER)
    actions.run_action(closed, "callback", desk, {"contacted": False})
    actions.run_action(closed, "callback", desk, {"resolution": "resolved", "satisfaction": "satisfied"})
    waiting = advance(world, make_case(world, description="尚未回访"), CaseStatus.CLOSED)
    Case.objects.update(called_back_at=None)  # as before the migration
    migration = importlib.import_module("civicgrid.cases.migrations.0005_case_called_back_at")
    migration.fill_called_back_at(apps, None)
    last = closed.callbacks.order_by("-at").first()
    assert Case.objects.get(pk=closed.pk).called_back_at == last.at
    assert Case.objects.get(pk=waiting.pk).called_back_at is None


def test_workbench_htmx_returns_only_the_results(client, world):
    make_case(world)
    client.force_login(world.user("east", Role.DISPATCHER))
    response = client.get(reverse("cases:workbench"), {"queue": "all"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'class="queues"' in html
    assert [t.name for t in response.templates][0] == "cases/_workbench_results.html"


def test_workbench_query_count_is_constant(client, routed, django_assert_num_queries):
    world = routed
    make_case(world)
    client.force_login(world.user("east", Role.DISPATCHER))
    url = reverse("cases:workbench")
    client.get(url, {"queue": "all"})  # warm up (session, content types)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url, {"queue": "all"})
    for i in range(8):
        make_case(world, grid=i % 4, description=f"第{i}件不同的事情，内容各不相同")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"queue": "all"})
    assert len(response.context["page"]) == 9
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# ---------------------------------------------------------------------------- the case page


def test_case_page_query_count_does_not_grow_with_the_timeline(client, routed, settings, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.MEDIA_ROOT = tmp_path
    world = routed
    desk = world.user("east", Role.DISPATCHER)
    short = make_case(world, grid=1, description="短的时间线")
    photos = [SimpleUploadedFile(f"p{i}.jpg", jpeg_with_gps(), content_type="image/jpeg") for i in range(3)]
    long = make_case(world, grid=2, description="长的时间线，有很多备注", photos=photos)
    for i in range(8):
        actions.run_action(long, "comment", desk, {"note": f"第{i}次联系"})
    client.force_login(desk)
    for case in (short, long):
        client.get(reverse("cases:case", args=[case.number]))
    # Each page's fewest queries over two reads: a per-process cache that refreshes itself at
    # most once a second (core.versions) must not make one read look more expensive.
    counts = []
    for case in (short, long):
        reads = []
        for _read in range(2):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("cases:case", args=[case.number])).status_code == 200
            reads.append(len(queries))
        counts.append(min(reads))
    assert counts[0] == counts[1], counts


def test_case_page_shows_only_allowed_actions(client, routed, django_capture_on_commit_callbacks):
    world = routed
    with django_capture_on_commit_callbacks(execute=True):
        case = advance(world, make_case(world), CaseStatus.DISPATCHED)
    url = reverse("cases:case", args=[case.number])

    def forms_of(role):
        client.force_login(world.user("east", role))
        return {item["action"] for item in client.get(url).context["action_forms"]}

    handler = forms_of(Role.HANDLER)
    assert "sign" in handler and "return" in handler
    assert not handler & {"dispatch", "redispatch", "file", "close", "verify_pass"}
    desk = forms_of(Role.DISPATCHER)
    assert "redispatch" in desk and "sign" not in desk
    assert forms_of(Role.LEADER) == {"supervise", "comment"}
    html = client.get(url).content.decode()
    assert f'action="/cases/{case.number}/actions/supervise/"' in html
    assert "actions/sign/" not in html


def test_dispatch_form_preselects_the_routed_unit(client, routed):
    world = routed
    case = advance(world, make_case(world), CaseStatus.FILED)
    client.force_login(world.user("east", Role.DISPATCHER))
    response = client.get(reverse("cases:case", args=[case.number]))
    form = next(i["form"] for i in response.context["action_forms"] if i["action"] == "dispatch")
    assert form.initial["lead_unit"] == world.east.unit.pk
    units = set(form.fields["lead_unit"].queryset)
    assert world.east.unit in units and world.shared_unit in units and world.west.unit not in units


def test_the_loop_through_the_action_forms(client, routed, django_capture_on_commit_callbacks):
    world = routed
    case = make_case(world)

    def act(role, action, **data):
        client.force_login(world.user("east", role))
        current = Case.objects.get(pk=case.pk)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("cases:action", args=[case.number, action]),
                {"version": current.version, **data},
                follow=True,
            )
        assert response.status_code == 200
        messages = [str(m) for m in response.context["messages"]]
        assert any(m.startswith("已") for m in messages), messages
        return Case.objects.get(pk=case.pk)

    assert act(Role.DISPATCHER, "file").status == CaseStatus.FILED
    assert act(Role.DISPATCHER, "dispatch", lead_unit=world.east.unit.pk).status == CaseStatus.DISPATCHED
    assert Notification.objects.filter(
        user=world.user("east", Role.HANDLER), kind=NotificationKind.DISPATCHED
    ).exists()
    assert act(Role.HANDLER, "sign").status == CaseStatus.IN_PROGRESS
    photo = SimpleUploadedFile("after.jpg", jpeg_with_gps((30, 200, 30)), content_type="image/jpeg")
    assert act(Role.HANDLER, "report_back", feedback="已清理", photos=photo).status == CaseStatus.HANDLED
    assert Photo.objects.filter(case=case, stage="after").count() == 1
    assert (
        act(Role.GRID_WORKER, "verify_pass", next=reverse("cases:mobile_verify")).status
        == CaseStatus.VERIFIED
    )
    assert act(Role.DISPATCHER, "close", note="已解决").status == CaseStatus.CLOSED
    final = act(Role.DISPATCHER, "callback", contacted="1", resolution="resolved", satisfaction="satisfied")
    assert final.callbacks.get().satisfaction == "satisfied"


def test_stale_version_shows_the_conflict_and_changes_nothing(client, world):
    case = make_case(world)
    client.force_login(world.user("east", Role.DISPATCHER))
    page = client.get(reverse("cases:case", args=[case.number]))
    stale = next(i["form"] for i in page.context["action_forms"] if i["action"] == "file").initial["version"]
    # Someone else files it first.
    actions.run_action(case, "comment", world.user("east", Role.ADMIN), {"note": "先备注一下"})
    events_before = CaseEvent.objects.filter(case=case).count()
    response = client.post(
        reverse("cases:action", args=[case.number, "file"]), {"version": stale}, follow=True
    )
    assert "工单已被他人更新，请刷新" in response.content.decode()
    after = Case.objects.get(pk=case.pk)
    assert after.status == CaseStatus.NEW and after.version == stale + 1
    assert CaseEvent.objects.filter(case=case).count() == events_before


def test_refused_transition_and_missing_reason_are_messages(client, world):
    case = make_case(world)
    client.force_login(world.user("east", Role.DISPATCHER))
    response = client.post(reverse("cases:action", args=[case.number, "close"]), {"version": 1}, follow=True)
    assert "未能结案" in response.content.decode()
    response = client.post(reverse("cases:action", args=[case.number, "reject"]), {"version": 1}, follow=True)
    assert "理由" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.NEW
    assert (
        client.post(reverse("cases:action", args=[case.number, "nonsense"]), {"version": 1}).status_code
        == 404
    )
    assert client.get(reverse("cases:action", args=[case.number, "file"])).status_code == 405


def test_phone_masked_on_the_case_page_for_every_role(client, routed, django_capture_on_commit_callbacks):
    world = routed
    with django_capture_on_commit_callbacks(execute=True):
        case = advance(world, make_case(world, reporter_phone="13812345678"), CaseStatus.DISPATCHED)
    url = reverse("cases:case", args=[case.number])
    reveal_url = reverse("cases:reveal_phone", args=[case.number])
    staff = (Role.ADMIN, Role.DISPATCHER, Role.LEADER, Role.CADRE, Role.GRID_WORKER, Role.HANDLER)
    for role in staff:
        client.force_login(world.user("east", role))
        html = client.get(url).content.decode()
        assert "13812345678" not in html and "138****5678" in html, role
        # Only the roles that call reporters back are offered the (logged) reveal.
        offered = role in roles("privacy.reveal_phone")
        assert (reveal_url in html) is offered and ("查看号码" in html) is offered, role
    # Looking at the page reveals nothing, so it logs nothing.
    assert not PersonalDataAccess.objects.exists()


def test_reveal_phone_shows_the_number_and_logs_one_row(client, world):
    case = make_case(world, reporter_phone="13812345678")
    user = world.user("east", Role.DISPATCHER)
    client.force_login(user)
    url = reverse("cases:reveal_phone", args=[case.number])
    response = client.post(url, {"reason": "回访核实"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "13812345678" in html and "查看号码" not in html and "<html" not in html
    assert "no-store" in response["Cache-Control"]
    row = PersonalDataAccess.objects.get()
    assert row.user == user and row.user_label == user.username
    assert row.field == "cases.case.reporter_phone" and row.via == RevealVia.WEB
    assert row.content_type == ContentType.objects.get_for_model(Case) and row.object_id == str(case.pk)
    assert case.number in row.object_repr and row.street_id == world.east.street.pk
    assert row.reason == "回访核实"
    # Without htmx the same POST answers a whole page, and is logged again.
    page = client.post(url, {"reason": "回访诉求人"})
    assert page.status_code == 200 and "13812345678" in page.content.decode()
    assert PersonalDataAccess.objects.count() == 2
    # No reason, no number: a 400 that asks for one, and nothing logged.
    for data in ({}, {"reason": "   "}):
        refused = client.post(url, data, headers={"HX-Request": "true"})
        assert refused.status_code == 400 and "13812345678" not in refused.content.decode()
        assert "事由" in refused.content.decode()
    assert PersonalDataAccess.objects.count() == 2
    # A GET (a prefetch, a link) reveals nothing.
    assert client.get(url).status_code == 405 and PersonalDataAccess.objects.count() == 2


def test_reveal_phone_refused_to_other_roles_and_streets(client, routed, django_capture_on_commit_callbacks):
    world = routed
    with django_capture_on_commit_callbacks(execute=True):
        case = advance(world, make_case(world), CaseStatus.DISPATCHED)
    url = reverse("cases:reveal_phone", args=[case.number])
    users = both_streets(world)
    expected = {f"east-{r}": 404 for r in (Role.CADRE, Role.LEADER, Role.GRID_WORKER, Role.HANDLER)}
    expected["east-resident"] = 404
    expected.update({f"west-{r}": 404 for r in ALL_ROLES})
    assert_matrix(client, url, expected, users, method="post")
    client.logout()
    assert client.post(url).status_code == 302  # login first
    assert not PersonalDataAccess.objects.exists()
    # The same endpoint works for the street's administrator.
    client.force_login(world.user("east", Role.ADMIN))
    assert "13812345678" in client.post(url, {"reason": "核实情况"}).content.decode()
    assert PersonalDataAccess.objects.get().user == world.user("east", Role.ADMIN)


def test_anonymous_reporter_hidden_from_non_desk_roles(client, world):
    case = make_case(world, reporter_name="李女士", reporter_anonymous=True)
    url = reverse("cases:case", args=[case.number])
    client.force_login(world.user("east", Role.CADRE))
    html = client.get(url).content.decode()
    assert "李女士" not in html and "匿名" in html and "5678" not in html and "查看号码" not in html
    client.force_login(world.user("east", Role.DISPATCHER))
    html = client.get(url).content.decode()
    assert "李女士" in html and "138****5678" in html and "13812345678" not in html
    assert "查看号码" in html


def test_no_reveal_button_without_a_phone(client, world):
    case = make_case(world, reporter_phone="")
    client.force_login(world.user("east", Role.DISPATCHER))
    assert "查看号码" not in client.get(reverse("cases:case", args=[case.number])).content.decode()
    assert client.post(reverse("cases:reveal_phone", args=[case.number])).status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_workbench_lists_no_phone_numbers(client, world):
    case = make_case(world, reporter_phone="13812345678")
    for role in (Role.DISPATCHER, Role.ADMIN, Role.LEADER, Role.CADRE):
        client.force_login(world.user("east", role))
        for queue in ("new", "all"):
            html = client.get(reverse("cases:workbench"), {"queue": queue}).content.decode()
            assert case.number in html, (role, queue)
            assert "王先生" not in html and "13812345678" not in html and "****" not in html, role
    assert not PersonalDataAccess.objects.exists()


def test_duplicate_candidates_offer_a_merge_to_the_desk(client, routed):
    world = routed
    first = make_case(world, description="楼上夜间噪声扰民，影响休息")
    second = make_case(world, description="楼上夜里噪声扰民，严重影响休息")
    client.force_login(world.user("east", Role.DISPATCHER))
    response = client.get(reverse("cases:case", args=[second.number]))
    assert [c.case.pk for c in response.context["candidates"]] == [first.pk]
    html = response.content.decode()
    assert f'value="{first.number}"' in html and "合并到此单" in html
    client.post(
        reverse("cases:action", args=[second.number, "merge"]),
        {"version": second.version, "master": first.number},
    )
    merged = Case.objects.get(pk=second.pk)
    assert merged.status == CaseStatus.MERGED and merged.master_id == first.pk
    client.force_login(world.user("east", Role.CADRE))
    assert client.get(reverse("cases:case", args=[first.number])).context["candidates"] == []


def test_photos_are_served_only_to_those_who_see_the_case(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    photo = SimpleUploadedFile("before.jpg", jpeg_with_gps(), content_type="image/jpeg")
    case = make_case(world, photos=[photo])
    stored = case.photos.get()
    # EXIF (and so the GPS position) is gone from what was stored.
    with Image.open(stored.image.path) as image:
        exif = image.getexif()
        assert not exif.get_ifd(0x8825) and 0x8825 not in exif and 0x010F not in exif
    full = reverse("cases:photo", args=[case.number, stored.pk])
    thumb = reverse("cases:photo_thumb", args=[case.number, stored.pk])
    client.force_login(world.user("east", Role.CADRE))
    response = client.get(full)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert client.get(thumb).status_code == 200
    page = client.get(reverse("cases:case", args=[case.number])).content.decode()
    assert thumb in page and "/media/" not in page
    client.force_login(world.user("west", Role.DISPATCHER))
    assert client.get(full).status_code == 404
    assert client.get(reverse("core:attachment", args=[stored.pk])).status_code == 404


def test_a_case_photo_is_served_alike_at_both_addresses(client, world, settings, tmp_path):
    """The case's photo URL and the generic attachment URL answer with the same file and headers
    (one serving function, core.views.serve_attachment)."""
    settings.MEDIA_ROOT = tmp_path
    case = make_case(world, photos=[SimpleUploadedFile("a.jpg", jpeg_with_gps(), content_type="image/jpeg")])
    stored = case.photos.get()
    client.force_login(world.user("east", Role.CADRE))
    for by_case, generic in [
        (reverse("cases:photo", args=[case.number, stored.pk]), reverse("core:attachment", args=[stored.pk])),
        (
            reverse("cases:photo_thumb", args=[case.number, stored.pk]),
            reverse("core:attachment_thumb", args=[stored.pk]),
        ),
    ]:
        one, other = client.get(by_case), client.get(generic)
        assert one.status_code == other.status_code == 200
        for header in ("Content-Type", "Content-Disposition", "Cache-Control", "X-Content-Type-Options"):
            assert one[header] == other[header], header
        assert b"".join(one.streaming_content) == b"".join(other.streaming_content)
    assert one["Content-Type"] == "image/jpeg" and one["X-Content-Type-Options"] == "nosniff"
    assert one["Cache-Control"] == "private, max-age=3600"
    assert one["Content-Disposition"].startswith("inline; filename=")
    # A file gone from storage is a 404 at either address.
    stored.file.storage.delete(stored.file.name)
    assert client.get(reverse("cases:photo", args=[case.number, stored.pk])).status_code == 404
    assert client.get(reverse("core:attachment", args=[stored.pk])).status_code == 404


# ---------------------------------------------------------------------------- handler, grid worker


def test_task_list_groups_assignments(client, routed, django_capture_on_commit_callbacks):
    world = routed
    with django_capture_on_commit_callbacks(execute=True):
        pending = advance(world, make_case(world, description="甲事情需要处理"), CaseStatus.DISPATCHED)
        signed = advance(world, make_case(world, grid=1, description="乙事情"), CaseStatus.IN_PROGRESS)
        handled = advance(world, make_case(world, grid=2, description="丙事情"), CaseStatus.HANDLED)
        returned = advance(world, make_case(world, grid=3, description="丁事情"), CaseStatus.DISPATCHED)
        actions.run_action(returned, "return", world.user("east", Role.HANDLER), {"reason": "不属本单位"})
    client.force_login(world.user("east", Role.HANDLER))
    groups = {
        g["key"]: [a.case.number for a in g["rows"]]
        for g in client.get(reverse("cases:tasks")).context["groups"]
    }
    assert groups == {
        "pending": [pending.number],
        "signed": [signed.number],
        "returned": [returned.number],
        "handled": [handled.number],
    }


def test_mobile_report_creates_a_patrol_case_with_photo(client, routed, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = routed
    worker = world.user("east", Role.GRID_WORKER)
    client.force_login(worker)
    grid = world.east.grids[0].shape.centroid
    page = client.get(reverse("cases:mobile_report")).content.decode()
    assert 'accept="image/*"' in page and 'capture="environment"' in page and "data-geolocate" in page
    photo = SimpleUploadedFile("scene.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = client.post(
        reverse("cases:mobile_report"),
        {
            "category": "E2103",
            "description": "楼道里电动车违规充电",
            "urgency": "normal",
            "lon": grid.x,
            "lat": grid.y,
            "photos": photo,
        },
        follow=True,
    )
    case = Case.objects.get(created_by=worker)
    assert case.channel == Channel.PATROL and case.grid_id == world.east.grids[0].pk
    assert case.photos.count() == 1
    assert case.number in response.content.decode()


def test_mobile_report_by_address_and_errors(client, world):
    client.force_login(world.user("east", Role.GRID_WORKER))
    response = client.post(
        reverse("cases:mobile_report"),
        {"category": "E2103", "description": "电动车充电", "urgency": "normal"},
    )
    assert response.status_code == 200 and "请定位" in response.content.decode()
    response = client.post(
        reverse("cases:mobile_report"),
        {"category": "E2103", "description": "电动车充电", "urgency": "normal", "address": "不存在的路999号"},
    )
    assert "无法定位" in response.content.decode()
    client.post(
        reverse("cases:mobile_report"),
        {
            "category": "E2103",
            "description": "电动车充电",
            "urgency": "normal",
            "address": world.east.buildings[0].address,
        },
    )
    assert Case.objects.get().building_id == world.east.buildings[0].pk


def test_mobile_verify_lists_my_grid_and_verifies(client, routed, django_capture_on_commit_callbacks):
    world = routed
    with django_capture_on_commit_callbacks(execute=True):
        mine = advance(world, make_case(world, grid=0), CaseStatus.HANDLED)
        other_grid = advance(world, make_case(world, grid=3, description="别的网格的事"), CaseStatus.HANDLED)
    client.force_login(world.user("east", Role.GRID_WORKER))
    response = client.get(reverse("cases:mobile_verify"))
    numbers = [row["case"].number for row in response.context["rows"]]
    assert numbers == [mine.number] and other_grid.number not in response.content.decode()
    row = response.context["rows"][0]
    assert row["pass_form"] is not None and row["fail_form"] is not None
    response = client.post(
        reverse("cases:action", args=[mine.number, "verify_fail"]),
        {"version": mine.version, "reason": "现场仍有噪声", "next": reverse("cases:mobile_verify")},
    )
    assert response["Location"] == reverse("cases:mobile_verify")
    assert Case.objects.get(pk=mine.pk).status == CaseStatus.IN_PROGRESS
    # An outside "next" is ignored.
    response = client.post(
        reverse("cases:action", args=[other_grid.number, "comment"]),
        {"version": other_grid.version, "note": "x", "next": "https://evil.example/"},
    )
    assert response.status_code == 404  # not in my grid at all


# ---------------------------------------------------------------------------- inbox


def test_inbox_mark_read_and_badge(client, routed, django_capture_on_commit_callbacks):
    world = routed
    with django_capture_on_commit_callbacks(execute=True):
        advance(world, make_case(world), CaseStatus.DISPATCHED)
        advance(world, make_case(world, grid=2, description="另一件事"), CaseStatus.DISPATCHED)
    handler = world.user("east", Role.HANDLER)
    notes = list(Notification.objects.filter(user=handler))
    assert len(notes) == 2
    client.force_login(handler)
    html = client.get(reverse("cases:tasks")).content.decode()
    assert 'data-unread="2"' in html
    response = client.post(
        reverse("core:notification_read", args=[notes[0].pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and 'class="note"' in response.content.decode()
    assert Notification.objects.filter(user=handler, read_at__isnull=True).count() == 1
    # Someone else's notification is not there for me.
    client.force_login(world.user("west", Role.HANDLER))
    assert client.post(reverse("core:notification_read", args=[notes[1].pk])).status_code == 404
    client.force_login(handler)
    client.post(reverse("core:inbox_read_all"))
    assert not Notification.objects.filter(user=handler, read_at__isnull=True).exists()
    assert "data-unread" not in client.get(reverse("core:inbox")).content.decode()
    assert client.get(reverse("core:notification_read", args=[notes[0].pk])).status_code == 405


def test_the_inbox_is_cores_and_a_case_notice_names_and_links_its_case(
    client, routed, django_capture_on_commit_callbacks
):
    world = routed
    with django_capture_on_commit_callbacks(execute=True):
        case = advance(world, make_case(world), CaseStatus.DISPATCHED)
    handler = world.user("east", Role.HANDLER)
    note = Notification.objects.get(user=handler)
    assert reverse("core:inbox") == "/inbox/" and note.url == case.get_absolute_url()
    client.force_login(handler)
    html = client.get("/inbox/").content.decode()
    assert case.number in html and f'<a href="{case.get_absolute_url()}">' in html
    assert f'hx-post="/inbox/{note.pk}/read/"' in html
    # Every page's top bar and the task list link the new address; nothing links the old one.
    tasks = client.get(reverse("cases:tasks")).content.decode()
    assert 'href="/inbox/" class="inbox-link"' in tasks and "/cases/inbox/" not in tasks
    client.force_login(world.user("east", Role.DISPATCHER))
    assert "/cases/inbox/" not in client.get(reverse("cases:workbench")).content.decode()


def test_the_old_inbox_addresses_still_work(client, routed, django_capture_on_commit_callbacks):
    world = routed
    with django_capture_on_commit_callbacks(execute=True):
        advance(world, make_case(world), CaseStatus.DISPATCHED)
        advance(world, make_case(world, grid=2, description="另一件事"), CaseStatus.DISPATCHED)
    handler = world.user("east", Role.HANDLER)
    first, second = Notification.objects.filter(user=handler).order_by("pk")
    client.force_login(handler)
    moved = client.get("/cases/inbox/?show=unread&page=1")
    assert moved.status_code == 301 and moved["Location"] == "/inbox/?show=unread&page=1"
    assert client.get("/cases/inbox/").status_code == 301
    # The old forms post on to the new views.
    assert client.post(f"/cases/inbox/{first.pk}/read/")["Location"] == "/inbox/"
    assert Notification.objects.get(pk=first.pk).read_at is not None
    assert Notification.objects.get(pk=second.pk).read_at is None
    client.force_login(world.user("west", Role.HANDLER))
    assert client.post(f"/cases/inbox/{second.pk}/read/").status_code == 404
    client.force_login(handler)
    assert client.post("/cases/inbox/read-all/")["Location"] == "/inbox/"
    assert Notification.objects.get(pk=second.pk).read_at is not None


# ---------------------------------------------------------------------------- public site


def public_report(client, world, **overrides):
    point = world.east.grids[0].shape.centroid
    data = {
        "category": "E2105",
        "request_type": "complaint",
        "description": "隔壁装修噪声很大，晚上十点还在施工",
        "lon": point.x,
        "lat": point.y,
        "address": "",
        "reporter_name": "张先生",
        "reporter_phone": "139 0000 4321",
        "reporter_anonymous": "on",
    }
    data.update(overrides)
    return client.post(reverse("report:form"), data, follow=True)


def test_public_report_creates_an_anonymous_case(client, routed):
    world = routed
    page = client.get(reverse("report:form"))
    html = page.content.decode()
    assert page.status_code == 200 and "csrfmiddlewaretoken" in html
    choices = {
        code
        for _group, options in page.context["form"].fields["category"].choices[1:]
        for code, _l in options
    }
    assert "E2105" in choices and "E0401" not in choices  # no emergencies or component classes
    response = public_report(client, world)
    case = Case.objects.get()
    assert case.channel == Channel.WEB and case.created_by is None and case.reporter_anonymous
    assert case.reporter_phone == "13900004321" and case.grid_id == world.east.grids[0].pk
    assert case.lead_unit == world.east.unit
    assert case.number in response.content.decode()
    # The confirmation page knows only this session's reports.
    client.cookies.clear()
    assert client.get(reverse("report:done"))["Location"] == reverse("report:form")


def test_public_report_is_throttled_per_ip(client, world, monkeypatch):
    from civicgrid.cases.views import public

    monkeypatch.setattr(public, "REPORT_LIMIT", 2)
    for i in range(2):
        public_report(client, world, description=f"第{i}份反映，内容完全不同{i * 7}")
    response = client.post(reverse("report:form"), {"description": "再来一份"})
    assert response.status_code == 429 and "提交过于频繁" in response.content.decode()
    assert Case.objects.count() == 2


def test_public_report_needs_csrf(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("report:form"), {"description": "x"})
    assert response.status_code == 403
    response = strict.post(reverse("report:follow"), {"number": "x", "digits": "1234"})
    assert response.status_code == 403


def test_public_report_validation(client, world):
    response = public_report(client, world, lon="", lat="", address="", reporter_phone="abc")
    form = response.context["form"]
    assert "reporter_phone" in form.errors and form.non_field_errors()
    response = public_report(client, world, lon="", lat="", address="火星路1号")
    assert "无法定位" in response.content.decode()
    assert not Case.objects.exists()


def test_resident_report_is_theirs(client, routed):
    world = routed
    resident = world.user("east", Role.RESIDENT)
    client.force_login(resident)
    public_report(client, world, reporter_anonymous="")
    case = Case.objects.get()
    assert case.created_by == resident
    page = client.get(reverse("report:form")).content.decode()
    assert case.number in page  # my reports
    status = client.get(reverse("cases:case", args=[case.number]))
    assert status.status_code == 200
    assert [t.name for t in status.templates][0] == "cases/public/status.html"
    # A staff member using the public form reports as the public.
    client.force_login(world.user("west", Role.DISPATCHER))
    public_report(client, world, description="另一位热心人反映的完全不同的事情")
    assert Case.objects.filter(created_by=None).count() == 1


def test_follow_with_the_right_digits_only(client, routed, django_capture_on_commit_callbacks):
    world = routed
    public_report(client, world)
    case = Case.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        advance(world, case, CaseStatus.CLOSED)
    url = reverse("report:follow")
    wrong = client.post(url, {"number": case.number, "digits": "1234"})
    assert not wrong.context.get("found") and "没有找到匹配的工单" in wrong.content.decode()
    unknown = client.post(url, {"number": "NO-SUCH-1", "digits": "4321"})
    assert "没有找到匹配的工单" in unknown.content.decode()
    right = client.post(url, {"number": case.number.lower(), "digits": "4321"})
    html = right.content.decode()
    assert right.context["found"] and "已办结" in html
    assert "已整改完毕" in html  # the result (the lead unit's feedback) is public
    # No staff names, phone numbers or internal notes on the public page.
    for secret in (
        "13900004321",
        "139****4321",
        str(world.user("east", Role.DISPATCHER)),
        "城管中队",
        "张先生",
    ):
        assert secret not in html, secret
    assert [step.text for step in right.context["public"].steps][:2] == ["已受理您的反映", "已立案"]


def test_follow_is_throttled_per_ip(client, world):
    url = reverse("report:follow")
    for _ in range(10):
        assert client.post(url, {"number": "X", "digits": "0000"}).status_code == 200
    throttled = client.post(url, {"number": "X", "digits": "0000"})
    assert throttled.status_code == 429 and "查询过于频繁" in throttled.content.decode()
    other_ip = client.post(url, {"number": "X", "digits": "0000"}, REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 200


# ---------------------------------------------------------------------------- configuration pages


def test_category_and_duty_pages(client, routed):
    world = routed
    rule = duty(world, "east")
    client.force_login(world.user("east", Role.DISPATCHER))
    html = client.get(reverse("cases:category", args=["E21"])).content.decode()
    assert "E2105" in html and world.east.unit.name in html and world.west.unit.name not in html
    assert client.get(reverse("cases:duty", args=[rule.pk])).status_code == 200
    west_rule = duty(world, "west")
    assert client.get(reverse("cases:duty", args=[west_rule.pk])).status_code == 404
    assert client.get(reverse("cases:category", args=["NOPE"])).status_code == 404
