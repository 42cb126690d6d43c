"""The desk's own pages (issue 12 points 3 and 8): 代居民登记 with 立案并派遣, the category
picker, the workbench's bulk actions and the closed duplicates."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from civicgrid.cases import actions, batch, duplicates
from civicgrid.cases.choices import CaseAction, CaseStatus, Channel
from civicgrid.cases.forms import PatrolReportForm, PublicReportForm, action_form
from civicgrid.cases.models import Case, Category
from civicgrid.cases.widgets import CategoryPicker, category_choices, category_field
from civicgrid.core import clock
from civicgrid.core.choices import Role
from civicgrid.core.models import Job
from civicgrid.testing.permissions import assert_matrix

from .factories import advance, duty, make_case

pytestmark = pytest.mark.django_db
ALL_ROLES = list(Role.values)


@pytest.fixture
def routed(world):
    duty(world, "east")
    duty(world, "west")
    return world


def desk(world, street="east"):
    return world.user(street, Role.DISPATCHER)


def form_data(world, **overrides):
    point = world.east.grids[1].shape.centroid
    received = clock.localtime() - dt.timedelta(hours=2)
    data = {
        "channel": Channel.WALK_IN,
        "received_at": received.strftime("%Y-%m-%dT%H:%M"),
        "category": "E2105",
        "request_type": "complaint",
        "urgency": "urgent",
        "description": "居民来访：楼上夜间装修噪声",
        "reporter_name": "李女士",
        "reporter_phone": "139 1234 5678",
        "lon": f"{point.x:.6f}",
        "lat": f"{point.y:.6f}",
        "address": "",
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------------------- the intake form


def test_desk_form_registers_as_the_staff_member(client, world):
    user = desk(world)
    client.force_login(user)
    data = form_data(world)
    response = client.post(reverse("cases:desk_new"), data)
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert case.channel == Channel.WALK_IN and case.status == CaseStatus.NEW
    assert case.category.code == "E2105" and case.urgency == "urgent"
    assert timezone.localtime(case.received_at).strftime("%Y-%m-%dT%H:%M") == data["received_at"]
    assert case.reporter_name == "李女士" and case.reporter_phone == "13912345678"
    assert case.created_by == user and case.grid == world.east.grids[1]
    created = case.events.get()
    assert created.actor == user and created.action == CaseAction.CREATE
    assert created.data["via"] == "desk"


def test_desk_form_offers_the_desk_channels_and_every_active_category(client, world):
    Category.objects.filter(code="E2110").update(is_active=False)
    client.force_login(desk(world))
    html = client.get(reverse("cases:desk_new")).content.decode()
    channels = re.search(r'<select name="channel".*?</select>', html, re.S).group(0)
    assert 'value="walk_in"' in channels and 'value="phone"' in channels
    assert 'value="web"' not in channels and 'value="sensor"' not in channels
    picker = re.search(r'<select name="category".*?</select>', html, re.S).group(0)
    leaves = Category.objects.filter(is_active=True, parent__parent__isnull=False).count()
    assert picker.count('<option value="E') + picker.count('<option value="C') == leaves
    assert 'value="E2110"' not in picker
    assert '<optgroup label="E21 ' in picker and "data-picker" in picker
    assert 'list="desk-buildings"' in html and "东路11号" in html  # the building suggestions
    assert "紧急情况请直接拨打" not in html  # the public form's advice is no help to the desk


def test_desk_form_refuses_a_future_time_and_an_inactive_category(client, world):
    client.force_login(desk(world))
    future = (clock.localtime() + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("cases:desk_new"), form_data(world, received_at=future))
    assert response.status_code == 400
    assert response.context["form"].errors["received_at"] == ["受理时间不能晚于现在"]
    Category.objects.filter(code="E2105").update(is_active=False)
    response = client.post(reverse("cases:desk_new"), form_data(world))
    assert response.status_code == 400 and "category" in response.context["form"].errors
    assert not Case.objects.exists()


def test_desk_form_refuses_a_place_in_another_street(client, world):
    client.force_login(desk(world))
    west = world.west.grids[0].shape.centroid
    response = client.post(reverse("cases:desk_new"), form_data(world, lon=west.x, lat=west.y))
    assert response.status_code == 400
    assert "不在你的管辖范围内" in response.context["form"].errors["address"][0]
    assert not Case.objects.exists()


def test_file_and_dispatch_in_one_step(client, routed, django_capture_on_commit_callbacks):
    world = routed
    client.force_login(desk(world))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cases:desk_new"), {**form_data(world), "dispatch": "1"})
    case = Case.objects.get()
    assert response.status_code == 302
    assert case.status == CaseStatus.DISPATCHED and case.lead_unit == world.east.unit  # the duty table's
    assert [e.action for e in case.events.order_by("id")] == ["create", "file", "dispatch"]
    assert {e.actor for e in case.events.all()} == {desk(world)}


def test_file_and_dispatch_with_the_units_chosen(client, routed, django_capture_on_commit_callbacks):
    world = routed
    client.force_login(desk(world))
    data = {**form_data(world), "dispatch": "1", "lead_unit": world.shared_unit.pk}
    data["co_units"] = [world.east.unit.pk]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cases:desk_new"), data)
    case = Case.objects.get()
    assert case.lead_unit == world.shared_unit
    assert sorted(a.role for a in case.assignments.all()) == ["co", "lead"]


def test_a_refused_dispatch_registers_nothing(client, world):
    """No duty rule and no unit chosen: the dispatch is refused and the case is not kept."""
    client.force_login(desk(world))
    response = client.post(reverse("cases:desk_new"), {**form_data(world), "dispatch": "1"})
    assert response.status_code == 400
    assert "职责表中没有匹配的单位" in response.context["form"].errors["lead_unit"][0]
    assert not Case.objects.exists()


def test_route_suggestion_is_preselected(client, routed):
    world = routed
    client.force_login(desk(world))
    point = world.east.grids[0].shape.centroid
    response = client.get(reverse("cases:desk_route"), {"category": "E2105", "lon": point.x, "lat": point.y})
    html = response.content.decode()
    assert response.status_code == 200 and world.east.unit.name in html
    assert re.search(rf'<option value="{world.east.unit.pk}" selected>', html)
    # Nothing typed yet, or a place in another street: the fields, no suggestion.
    assert client.get(reverse("cases:desk_route")).status_code == 200
    west = world.west.grids[0].shape.centroid
    html = client.get(reverse("cases:desk_route"), {"category": "E2105", "lon": west.x, "lat": west.y})
    assert world.west.unit.name not in html.content.decode()


def test_desk_pages_matrix(client, world):
    users = {f"east-{r}": world.user("east", r) for r in ALL_ROLES}
    expected = {f"east-{r}": 404 for r in ALL_ROLES}
    expected.update({"east-dispatcher": 200, "east-admin": 200})
    assert_matrix(client, reverse("cases:desk_new"), expected, users)
    assert_matrix(client, reverse("cases:desk_route"), expected, users)
    refused = {f"east-{r}": 404 for r in (Role.RESIDENT, Role.HANDLER, Role.GRID_WORKER, Role.CADRE)}
    assert_matrix(client, reverse("cases:desk_new"), refused, users, method="post", data=form_data(world))
    assert_matrix(client, reverse("cases:bulk"), refused, users, method="post", data={"action": "file"})
    assert not Case.objects.exists()


def test_workbench_links_the_desk_form(client, world):
    client.force_login(desk(world))
    assert reverse("cases:desk_new") in client.get(reverse("cases:workbench")).content.decode()
    client.force_login(world.user("east", Role.LEADER))
    assert reverse("cases:desk_new") not in client.get(reverse("cases:workbench")).content.decode()


# ---------------------------------------------------------------------------- the category picker


def test_category_picker_renders_grouped_options(world):
    field = category_field("问题分类")
    assert isinstance(field.widget, CategoryPicker)
    html = field.widget.render("category", "E0102", {"id": "id_category"})
    groups = re.findall(r'<optgroup label="([^"]+)">', html)
    assert "E01 市容环境" in groups and "E21 " in " ".join(groups)
    assert '<option value="E0102" selected>E0102 暴露垃圾</option>' in html
    assert 'data-picker=""' in html and "data-picker-placeholder=" in html
    # Only leaves are choices; the classes are the groups.
    assert 'value="E01"' not in html and 'value="E"' not in html
    assert category_choices()[0] == ("", "请选择")


def test_every_category_form_uses_the_picker(world):
    case = make_case(world)
    forms = [
        PatrolReportForm(),
        PublicReportForm(),
        action_form(CaseAction.FILE, case, desk(world)),
    ]
    for form in forms:
        assert isinstance(form.fields["category"].widget, CategoryPicker), form
        assert "<optgroup" in str(form["category"])
    assert len(PublicReportForm().fields["category"].choices) < len(category_choices())  # its own subset


def test_co_units_are_a_searchable_checkbox_list(routed):
    world = routed
    case = advance(world, make_case(world), CaseStatus.FILED)
    html = str(action_form(CaseAction.DISPATCH, case, desk(world))["co_units"])
    assert "multiple" in html and "data-picker" in html and 'size="4"' not in html


# ---------------------------------------------------------------------------- bulk actions


def selection(*cases):
    return [f"{c.pk}:{c.version}" for c in cases]


def test_bulk_file_reports_each_case(client, routed):
    world = routed
    new1, new2 = make_case(world, description="一"), make_case(world, grid=1, description="二")
    filed = advance(world, make_case(world, grid=2, description="三"), CaseStatus.FILED)
    client.force_login(desk(world))
    response = client.post(
        reverse("cases:bulk"), {"action": "file", "cases": selection(new1, filed, new2), "note": "批量立案"}
    )
    assert response.status_code == 200
    outcomes = {r.number: r.outcome for r in response.context["results"]}
    assert outcomes == {new1.number: "done", filed.number: "refused", new2.number: "done"}
    assert Case.objects.get(pk=new2.pk).status == CaseStatus.FILED  # the refusal did not stop the rest
    refused = Case.objects.get(pk=filed.pk)
    assert refused.status == CaseStatus.FILED and refused.version == filed.version  # untouched
    html = response.content.decode()
    assert html.count('data-outcome="done"') == 2 and "工单当前状态为" in html


def test_bulk_reports_a_conflicting_version(client, routed):
    world = routed
    stale, fresh = make_case(world, description="一"), make_case(world, grid=1, description="二")
    picked = selection(stale, fresh)
    actions.run_action(stale.pk, "comment", desk(world), {"note": "别人刚改过"})
    client.force_login(desk(world))
    response = client.post(reverse("cases:bulk"), {"action": "file", "cases": picked})
    outcomes = {r.number: r.outcome for r in response.context["results"]}
    assert outcomes == {stale.number: "conflict", fresh.number: "done"}
    assert Case.objects.get(pk=stale.pk).status == CaseStatus.NEW


def test_bulk_dispatch_to_a_unit_and_refuses_other_streets(client, routed):
    world = routed
    east = advance(world, make_case(world), CaseStatus.FILED)
    west = advance(world, make_case(world, street="west"), CaseStatus.FILED, street="west")
    client.force_login(desk(world))
    response = client.post(
        reverse("cases:bulk"),
        {
            "action": "dispatch",
            "cases": selection(east, west),
            "lead_unit": world.shared_unit.pk,
            "co_units": [world.east.unit.pk],
        },
    )
    results = response.context["results"]
    assert [r.outcome for r in results] == ["done", "refused"]
    assert results[1].message == "工单不存在或不在你的管辖范围内"
    east.refresh_from_db()
    assert east.status == CaseStatus.DISPATCHED and east.lead_unit == world.shared_unit
    assert Case.objects.get(pk=west.pk).status == CaseStatus.FILED


def test_bulk_supervise_needs_the_opinion(client, routed):
    world = routed
    case = advance(world, make_case(world), CaseStatus.DISPATCHED)
    client.force_login(world.user("east", Role.LEADER))
    url = reverse("cases:bulk")
    data = {"action": "supervise", "cases": selection(case), "next": "/cases/?queue=all"}
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == "/cases/?queue=all"
    assert not case.supervisions.exists()
    response = client.post(url, {"action": "supervise", "cases": selection(case), "note": "请加快"})
    assert [r.outcome for r in response.context["results"]] == ["done"]
    assert case.supervisions.count() == 1
    # A leader may not file or dispatch in bulk.
    response = client.post(url, {"action": "file", "cases": selection(case)})
    assert response.status_code == 302 and Case.objects.get(pk=case.pk).status == CaseStatus.DISPATCHED


def test_bad_selection_is_a_form_error(client, world):
    client.force_login(desk(world))
    response = client.post(reverse("cases:bulk"), {"action": "file", "cases": ["x:1"]}, follow=True)
    assert "选择的工单“x:1”无效" in response.content.decode()
    response = client.post(reverse("cases:bulk"), {"action": "file"}, follow=True)
    assert "请先勾选工单" in response.content.decode()


def test_big_selection_runs_as_a_job(client, routed, django_capture_on_commit_callbacks):
    world = routed
    count = batch.INLINE_LIMIT + 1
    cases = [make_case(world, grid=i % 4, description=f"第{i}件不同的事情") for i in range(count)]
    filed = advance(world, cases[0], CaseStatus.FILED)
    client.force_login(desk(world))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("cases:bulk"), {"action": "file", "cases": selection(filed, *cases[1:])}
        )
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.done == job.total == batch.INLINE_LIMIT + 1
    assert dict(job.result["summary"]) == {"已完成": batch.INLINE_LIMIT, "未执行": 1}
    assert job.result["lines"][0].startswith(f"{filed.number}：未执行")
    assert Case.objects.filter(status=CaseStatus.FILED).count() == batch.INLINE_LIMIT + 1
    page = client.get(job.get_absolute_url()).content.decode()
    assert filed.number in page


def test_workbench_with_the_bulk_bar_keeps_a_constant_query_count(client, routed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world = routed
    make_case(world)
    client.force_login(desk(world))
    url = reverse("cases:workbench")
    client.get(url, {"queue": "all"})
    with CaptureQueriesContext(connection) as few:
        response = client.get(url, {"queue": "all"})
    assert 'id="bulk-form"' in response.content.decode()
    for i in range(8):
        make_case(world, grid=i % 4, description=f"第{i}件不同的事情，内容各不相同")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"queue": "all"})
    html = response.content.decode()
    assert html.count('name="cases"') == 9 and "data-select-all" in html
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_no_bulk_bar_for_a_cadre(client, world):
    make_case(world)
    client.force_login(world.user("east", Role.CADRE))
    html = client.get(reverse("cases:workbench"), {"queue": "all"}).content.decode()
    assert 'id="bulk-form"' not in html and 'name="cases"' not in html


# ---------------------------------------------------------------------------- closed duplicates


def test_recently_closed_cases_at_the_same_place_are_offered(client, routed):
    world = routed
    old = advance(world, make_case(world), CaseStatus.CLOSED)
    new = make_case(world, description="楼上夜里噪声扰民又开始了")
    found = duplicates.candidates(new)
    assert [(c.case, c.closed) for c in found] == [(old, True)]
    assert new.events.get().data["duplicate_candidates"] == []  # nothing open to merge into
    client.force_login(desk(world))
    html = client.get(new.get_absolute_url()).content.decode()
    assert old.number in html and "该工单已办结" in html
    assert f'name="master" value="{old.number}"' not in html  # a closed case is no master


def test_closed_cases_outside_the_profile_window_are_not_offered(routed, time_machine):
    from civicgrid.profiles import actions as profile_actions

    world = routed
    old = advance(world, make_case(world), CaseStatus.CLOSED)
    admin = world.user("east", Role.ADMIN)
    profile_actions.save_profile(world.east.street, admin, {"cases.duplicate_closed_days": 5})
    time_machine.move_to(clock.now() + dt.timedelta(days=6))
    assert duplicates.candidates(make_case(world)) == []
    time_machine.move_to(clock.now() - dt.timedelta(days=2))
    assert [c.case for c in duplicates.candidates(make_case(world))] == [old]


def test_desk_form_shows_look_alikes_before_registering(client, routed):
    world = routed
    point = world.east.grids[0].shape.centroid
    closed = advance(world, make_case(world), CaseStatus.CLOSED)
    open_one = make_case(world, description="楼上夜间噪声扰民，又来了")
    make_case(world, street="west")  # another street's: never shown
    client.force_login(desk(world))
    data = form_data(world, description="楼上夜间噪声扰民", lon=point.x, lat=point.y)
    response = client.post(reverse("cases:desk_new"), data)
    assert response.status_code == 200 and Case.objects.count() == 3  # nothing registered yet
    shown = {c.case.number: c.closed for c in response.context["candidates"]}
    assert shown == {open_one.number: False, closed.number: True}
    html = response.content.decode()
    assert "已办结，可重启原工单" in html and 'name="confirmed"' in html
    response = client.post(reverse("cases:desk_new"), {**data, "confirmed": "1"})
    assert response.status_code == 302 and Case.objects.count() == 4
