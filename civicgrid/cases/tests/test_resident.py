"""What a resident gets of their own case (issue 12): the signed, revocable tracking link,
我的反映 and the prefilled form, the public result the desk approved, the photos the desk made
public, and the resident's own rating — which feeds the rates."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from civicgrid.cases import actions, metrics, tracking
from civicgrid.cases.choices import CaseAction, CaseStatus, PhotoStage
from civicgrid.cases.errors import CaseError
from civicgrid.cases.forms import action_form
from civicgrid.cases.models import Callback, CaseEvent, Photo
from civicgrid.cases.public import public_case, resident_link
from civicgrid.cases.tests.factories import advance, duty, jpeg, make_case
from civicgrid.cases.views.public import TRACK_LIMIT
from civicgrid.core import clock
from civicgrid.core.choices import Role
from civicgrid.core.errors import Forbidden, InvalidInput
from civicgrid.core.models import Event
from civicgrid.insights import metrics as insights
from civicgrid.insights import rollups

pytestmark = pytest.mark.django_db

FEEDBACK = "已清运垃圾并冲洗地面"
CLOSE_NOTE = "网格员核查通过，结案"


def path_of(case) -> str:
    return resident_link(case).removeprefix("http://testserver")


@pytest.fixture
def site(settings, tmp_path):
    cache.clear()  # the per-IP throttles count in the cache
    settings.MEDIA_ROOT = tmp_path
    settings.CIVICGRID_SITE_URL = "http://testserver"


def handled_case(world, **overrides):
    """A case whose lead unit reported FEEDBACK, verified and waiting to be closed."""
    duty(world)
    case = advance(world, make_case(world, **overrides), CaseStatus.IN_PROGRESS)
    actions.run_action(
        case.pk, "report_back", world.user("east", Role.HANDLER), {"feedback": FEEDBACK, "photos": [jpeg()]}
    )
    return actions.run_action(case.pk, "verify_pass", world.user("east", Role.GRID_WORKER), {})


def close(world, case, **params):
    return actions.run_action(case.pk, "close", world.user("east", Role.DISPATCHER), params)


# ---------------------------------------------------------------------------- the link


def test_the_link_opens_the_public_view_and_survives_no_tampering(client, world, site):
    case = make_case(world)
    link = resident_link(case)
    assert link.startswith("http://testserver/report/t/")
    page = client.get(path_of(case))
    assert page.status_code == 200 and case.number in page.content.decode()
    assert page.context["public"].number == case.number
    token = path_of(case).split("/")[3]
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), token[:10], "garbled", token + "x"):
        answer = client.get(reverse("report:track", args=[bad]))
        assert answer.status_code == 404 and "链接无效" in answer.content.decode(), bad


def test_the_desk_revokes_the_link_and_the_next_one_works(client, world, site):
    case = make_case(world)
    old = path_of(case)
    with pytest.raises(Forbidden):
        actions.run_action(case.pk, "revoke_link", world.user("east", Role.LEADER), {})
    case = actions.run_action(case.pk, "revoke_link", world.user("east", Role.DISPATCHER), {})
    revoked = client.get(old)
    assert revoked.status_code == 410 and "已被撤销" in revoked.content.decode()
    assert client.get(path_of(case)).status_code == 200
    assert case.events.filter(action=CaseAction.REVOKE_LINK).count() == 1
    # The case page shows the desk the current link and the action. The token carries the
    # second it was signed: the page and the expected link are signed in the same frozen second.
    client.force_login(world.user("east", Role.DISPATCHER))
    with time_machine.travel(clock.now(), tick=False):
        html = client.get(case.get_absolute_url()).content.decode()
        assert path_of(case) in html and "撤销跟踪链接" in html


def test_the_link_lapses_after_the_streets_period_from_closing(client, world, site):
    case = close(world, handled_case(world))
    url = path_of(case)
    with time_machine.travel(case.closed_at + timedelta(days=179), tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(case.closed_at + timedelta(days=181), tick=False):
        lapsed = client.get(url)
    assert lapsed.status_code == 410 and "已过期" in lapsed.content.decode()


def test_the_link_page_is_throttled_per_ip(client, world, site):
    url = reverse("report:track", args=["garbled"])
    for _ in range(TRACK_LIMIT):
        assert client.get(url).status_code == 404
    assert client.get(url).status_code == 429
    assert client.get(url, REMOTE_ADDR="10.0.0.9").status_code == 404


def test_the_done_page_shows_the_link(client, world, site):
    shape = world.east.grids[0].shape
    posted = client.post(
        reverse("report:form"),
        {
            "category": "E0102",
            "request_type": "complaint",
            "description": "小区门口垃圾满溢",
            "lon": shape.centroid.x,
            "lat": shape.centroid.y,
            "reporter_phone": "13900004321",
        },
    )
    assert posted.status_code == 302, posted.context["form"].errors
    done = client.get(reverse("report:done"))
    link = done.context["link"]
    assert link.startswith("http://testserver/report/t/") and link in done.content.decode()
    assert client.get(link.removeprefix("http://testserver")).status_code == 200


# ---------------------------------------------------------------------------- 我的反映


def test_my_reports_lists_only_the_residents_own_cases_and_the_form_is_prefilled(client, world, site):
    resident = world.user("east", Role.RESIDENT)
    resident.full_name, resident.phone = "李阿姨", "13911112222"
    resident.save()
    mine = make_case(world, actor_role=Role.RESIDENT, channel="web")
    other = make_case(world)  # the desk's, with the same reporter phone
    client.force_login(resident)
    home = client.get(reverse("home")).content.decode()
    assert "我的反映" in home and mine.number in home and other.number not in home
    # The home page's tracking link opens the resident's case (a token signed a second later
    # differs, so the link is compared by the case it opens).
    links = re.findall(r"/report/t/([^/\"]+)/", home)
    assert mine in [tracking.case_for(token) for token in links] and "已受理" in home
    own_page = client.get(mine.get_absolute_url())
    # The tokens are signed with a timestamp: two signed a second apart differ, both open the case.
    assert own_page.status_code == 200
    assert (
        tracking.case_for(own_page.context["token"]) == mine == tracking.case_for(path_of(mine).split("/")[3])
    )
    form = client.get(reverse("report:form")).context["form"]
    assert form.initial == {"reporter_name": "李阿姨", "reporter_phone": "13911112222"}
    # Staff see no such list and get no prefill.
    client.force_login(world.user("east", Role.DISPATCHER))
    assert client.get(reverse("report:form")).context["form"].initial == {}


# ---------------------------------------------------------------------------- the public result


def test_the_public_result_is_the_approved_handler_result_never_the_internal_note(client, world, site):
    case = handled_case(world)
    form = action_form(CaseAction.CLOSE, case, world.user("east", Role.DISPATCHER))
    assert form.initial["public_result"] == FEEDBACK  # prefilled with the handler's report
    edited = FEEDBACK + "，如仍有问题请拨打 13812340000"
    case = close(world, case, public_result=edited, note=CLOSE_NOTE)
    assert case.resolution_note == CLOSE_NOTE
    html = client.get(path_of(case)).content.decode()
    assert "已清运垃圾并冲洗地面，如仍有问题请拨打 138****0000" in html
    assert CLOSE_NOTE not in html and "13812340000" not in html
    # Without an edit, the handler's report is what residents read.
    plain = close(world, handled_case(world, description="另一处垃圾"), note=CLOSE_NOTE)
    assert public_case(plain).result == FEEDBACK


def test_a_rejection_tells_the_reason(world):
    case = make_case(world)
    case = actions.run_action(case.pk, "reject", world.user("east", Role.DISPATCHER), {"reason": "重复反映"})
    assert public_case(case).result == "重复反映"


# ---------------------------------------------------------------------------- public photos


def test_only_photos_the_desk_marked_public_are_shown_and_served(client, world, site):
    case = handled_case(world, photos=[jpeg("before.jpg")])
    before = case.photos.get(stage=PhotoStage.BEFORE)
    after = case.photos.get(stage=PhotoStage.AFTER)
    other = handled_case(world, description="别处", photos=[jpeg("other.jpg")])
    desk = world.user("east", Role.DISPATCHER)
    for c, photo in ((case, after), (other, other.photos.get(stage=PhotoStage.BEFORE))):
        actions.run_action(c.pk, "publish_photo", desk, {"photo": photo.pk, "public": True})
    assert Photo.objects.get(pk=after.pk).public and not Photo.objects.get(pk=before.pk).public
    # Another case's photo cannot be published through this case, nor an unknown id.
    with pytest.raises(CaseError):
        actions.run_action(case.pk, "publish_photo", desk, {"photo": other.photos.first().pk, "public": True})
    with pytest.raises(InvalidInput):
        actions.run_action(case.pk, "publish_photo", desk, {"photo": "x1", "public": True})
    with pytest.raises(Forbidden):
        actions.run_action(case.pk, "publish_photo", world.user("east", Role.HANDLER), {"photo": before.pk})

    page = client.get(path_of(case))
    assert [p.pk for p in page.context["public_photos"]] == [after.pk]
    token = path_of(case).split("/")[3]
    assert client.get(reverse("report:track_photo", args=[token, after.pk])).status_code == 200
    assert client.get(reverse("report:track_photo_thumb", args=[token, after.pk])).status_code == 200
    # The private photo, another case's public photo, a made-up id, a bad token: all 404.
    other_public = other.photos.get(public=True).pk
    for pk in (before.pk, other_public, 999999):
        assert client.get(reverse("report:track_photo", args=[token, pk])).status_code == 404, pk
    assert client.get(reverse("report:track_photo", args=["garbled", after.pk])).status_code == 404
    # Unmarking takes it off again.
    actions.run_action(case.pk, "publish_photo", desk, {"photo": after.pk, "public": False})
    assert client.get(reverse("report:track_photo", args=[token, after.pk])).status_code == 404


# ---------------------------------------------------------------------------- the rating


RATING = {"satisfaction": "basically", "resolution": "resolved", "comment": "很及时，电话 13900001111"}


def test_the_resident_rates_once_and_only_after_close(client, world, site):
    case = handled_case(world)
    url = path_of(case)
    early = client.get(url)
    assert early.context["rating_form"] is None
    refused = client.post(url, {**RATING, "version": case.version})
    assert refused.status_code == 409 and not Callback.objects.exists()

    case = close(world, case)
    url = path_of(case)
    form = client.get(url).context["rating_form"]
    assert form is not None
    missing = client.post(url, {"version": case.version, "satisfaction": "satisfied"})
    assert missing.status_code == 400 and not Callback.objects.exists()
    rated = client.post(url, {**RATING, "version": case.version})
    assert rated.status_code == 302
    rating = Callback.objects.get(case=case)
    assert rating.by_resident and rating.contacted and rating.satisfaction == "basically"
    event = CaseEvent.objects.get(case=case, action=CaseAction.RATE)
    assert event.actor is None and Event.objects.filter(pk=event.event_id, action="rate").exists()
    assert "13900001111" not in event.note

    again = client.post(url, {**RATING, "satisfaction": "unsatisfied", "version": case.version + 1})
    assert again.status_code == 409 and Callback.objects.filter(case=case).count() == 1
    shown = client.get(url)
    html = shown.content.decode()
    assert shown.context["rating_form"] is None and "基本满意" in html and "139****1111" in html
    assert "13900001111" not in html
    # The desk's phone callback stays possible.
    actions.run_action(
        case.pk,
        "callback",
        world.user("east", Role.DISPATCHER),
        {"contacted": True, "resolution": "resolved", "satisfaction": "satisfied"},
    )


def test_the_rating_is_no_action_staff_can_take(world):
    case = close(world, handled_case(world))
    with pytest.raises(InvalidInput):
        actions.run_action(case.pk, "rate", world.user("east", Role.DISPATCHER), RATING)


# ---------------------------------------------------------------------------- the rates

SH = ZoneInfo("Asia/Shanghai")


def test_the_residents_answer_wins_over_the_callback_in_both_metrics_paths(world, site):
    """A: callback satisfied and resolved, resident unsatisfied and unresolved → the resident's.
    B: callback only, satisfied and resolved. C: resident only, basically satisfied, resolved.
    D: callback that reached nobody, no rating → not counted."""
    desk = world.user("east", Role.DISPATCHER)
    happy = {"contacted": True, "resolution": "resolved", "satisfaction": "satisfied"}
    with time_machine.travel(datetime(2026, 3, 9, 10, 0, tzinfo=SH), tick=True):
        cases = [close(world, handled_case(world, description=f"问题{i}")) for i in range(4)]
        a, b, c, d = cases
        actions.run_action(a.pk, "callback", desk, happy)
        actions.rate_case(a, {"satisfaction": "unsatisfied", "resolution": "unresolved"})
        actions.run_action(b.pk, "callback", desk, happy)
        actions.rate_case(c, {"satisfaction": "basically", "resolution": "resolved"})
        actions.run_action(d.pk, "callback", desk, {"contacted": False})
        # A later desk callback does not override the resident's own answer.
        actions.run_action(a.pk, "callback", desk, happy)
    with time_machine.travel(datetime(2026, 5, 6, 10, 0, tzinfo=SH), tick=False):
        leader = world.user("east", Role.LEADER)
        period = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
        live = metrics.summary(leader, **period)
        assert (live["resolution_numerator"], live["resolution_denominator"]) == (2, 3)
        assert (live["satisfaction_numerator"], live["satisfaction_denominator"]) == (2, 3)
        rollups.refresh()
        assert insights.summary(leader, **period) == live
