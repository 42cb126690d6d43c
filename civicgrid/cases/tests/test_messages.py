"""Issue 12 point 4: people are told what they must do — beside the inbox by e-mail (locmem
here) and text message (the console provider, or the HTTP one against a local server) —,
from the street's templates, once per notice, logged with the address masked, retried."""

import datetime as dt
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from civicgrid.cases import actions, bulk, tracking
from civicgrid.cases.actions import CaseInput
from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.intake import hotline
from civicgrid.cases.models import Case, Notification
from civicgrid.core import clock, messaging, sms
from civicgrid.core.choices import Role
from civicgrid.core.models import Event, MessageDelivery
from civicgrid.profiles import actions as profile_actions
from civicgrid.profiles.models import AreaProfile

from .factories import advance, duty, make_case

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
REPORTER_PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    sms.sent.clear()
    yield
    sms.sent.clear()


@pytest.fixture
def w(world, django_capture_on_commit_callbacks):
    duty(world)
    for n, role in enumerate([Role.HANDLER, Role.GRID_WORKER, Role.DISPATCHER, Role.RESIDENT]):
        user = world.user("east", role)
        user.email, user.phone = f"{role}@example.org", f"1390000000{n}"
        user.save()
    return world


def run(w, case, action, role, params=None):
    return actions.run_action(case.pk, action, w.user("east", role), params or {})


def sent(kind, channel):
    """{masked recipient: text} of the deliveries of `kind` on `channel`, all sent."""
    rows = MessageDelivery.objects.filter(kind=kind, channel=channel)
    assert {r.status for r in rows} <= {"sent"}
    return {r.to_masked: r.text for r in rows}


def sms_to(phone):
    return [m.text for m in sms.sent if m.to == phone]


def tracked(text):
    """The case the tracking link at the end of `text` opens (cases.tracking). Its signature
    carries the second it was made, so two links to one case may differ."""
    link = re.search(r"http://127\.0\.0\.1:8000/report/t/([^/]+)/$", text)
    assert link, text
    return tracking.case_for(link[1])


def mails_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_each_audience_gets_each_kind_on_each_channel(w, django_capture_on_commit_callbacks):
    resident = w.user("east", Role.RESIDENT)
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(w, channel="phone")  # a call to the desk (12345's callers: below)
        Case.objects.filter(pk=case.pk).update(created_by=resident)  # reported with an account
        run(w, case, "file", Role.DISPATCHER)
        run(w, case, "dispatch", Role.DISPATCHER)
        run(w, case, "supervise", Role.LEADER, {"note": "请今天处理"})
        run(w, case, "sign", Role.HANDLER)
        run(w, case, "report_back", Role.HANDLER, {"feedback": "已整改，联系 13700001111"})
        run(w, case, "verify_pass", Role.GRID_WORKER)
        run(w, case, "close", Role.DISPATCHER)
    case.refresh_from_db()
    link = f"http://127.0.0.1:8000/cases/{case.number}/"

    # Handlers: the dispatch and the supervision, by e-mail and text message.
    (dispatched,) = sms_to("13900000000")[:1]
    assert dispatched.startswith(f"新派单 {case.number}（") and dispatched.endswith(link)
    assert "请今天处理" in sms_to("13900000000")[1]
    subjects = [m.subject for m in mails_to("handler@example.org")]
    assert subjects == [f"新派单 {case.number}", f"工单 {case.number} 被督办"]
    assert sent("dispatched", "sms") == {"139****0000": dispatched}
    # Grid workers (and the desk): verify the handled case on site.
    assert sms_to("13900000001") == [f"工单 {case.number}（{case.category.name}）已处置，请现场核查：{link}"]
    assert [m.subject for m in mails_to("gridworker@example.org")] == [f"工单 {case.number} 待核查"]
    assert set(sent("handled", "email")) == {"g***@example.org", "d***@example.org"}
    assert Notification.objects.filter(kind="handled", user=w.user("east", Role.GRID_WORKER)).count() == 1
    # The reporter: the registration, each public status change by text message to the number
    # the report gave, by e-mail and in the inbox of the account; the result at the end, in
    # public wording.
    to_reporter = sms_to(REPORTER_PHONE)
    assert len(to_reporter) == 3 and "已受理" in to_reporter[0] and "已立案" in to_reporter[1]
    assert "已办结" in to_reporter[2] and "办理结果：已整改，联系 137****1111" in to_reporter[2]
    # The personal tracking link (cases.tracking), not the look-up by number and digits.
    case.refresh_from_db()
    assert all(tracked(text) == case for text in to_reporter)
    assert "城管" not in "".join(to_reporter)  # no unit, no staff name
    assert [m.subject for m in mails_to("resident@example.org")] == [
        f"您反映的问题已受理：{case.number}",
        f"您反映的问题 {case.number}：办理中",
        f"您反映的问题 {case.number}：已办结",
    ]
    assert set(sent("case_result", "sms")) == {"138****5678"}
    assert not sms_to("13900000003")  # a resident account's own phone is not texted
    kinds = set(Notification.objects.filter(user=resident).values_list("kind", flat=True))
    assert kinds == {"case_received", "case_update", "case_result"}


# ---------------------------------------------------------------------------- registration


def test_the_public_forms_reporter_is_texted_the_tracking_link_at_registration(
    client, w, settings, django_capture_on_commit_callbacks
):
    cache.clear()  # the public form's per-IP throttle counts in the cache
    settings.CIVICGRID_SITE_URL = "http://testserver"
    shape = w.east.grids[0].shape
    form = {"category": "E0102", "request_type": "complaint", "description": "小区门口垃圾满溢"}
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(
            reverse("report:form"),
            {**form, "lon": shape.centroid.x, "lat": shape.centroid.y, "reporter_phone": "13900004321"},
        )
    assert posted.status_code == 302
    case = Case.objects.get()
    (text,) = sms_to("13900004321")  # they may have closed the done page: the link comes with it
    intro = f"您反映的问题已受理，编号 {case.number}（{case.category.name}），查看进度："
    assert text.startswith(intro) and sent("case_received", "sms") == {"139****4321": text}
    followed = client.get(text.removeprefix(intro).removeprefix("http://testserver"))
    assert followed.status_code == 200 and case.number in followed.content.decode()


def test_a_resident_account_is_told_in_its_own_language(w, django_capture_on_commit_callbacks):
    resident = w.user("east", Role.RESIDENT)
    resident.language = "en"
    resident.save()
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(w, actor_role=Role.RESIDENT, channel="web", reporter_phone="")
    (notice,) = Notification.objects.filter(user=resident)
    assert notice.kind == "case_received" and notice.params == {
        "number": case.number,
        "step": "create",
        "status": "accepted",
    }
    with translation.override("en"):
        assert notice.message == f"Your report {case.number} has been received"
    (email,) = mails_to("resident@example.org")
    assert email.subject == f"Your report has been received: {case.number}"
    assert tracked(email.body) == case
    assert not sms.sent  # a resident account's own phone is not texted


def test_12345_callers_are_told_only_if_the_street_says_so(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        quiet = make_case(w)  # channel hotline: the hotline tells its own callers
        run(w, quiet, "file", Role.DISPATCHER)
    assert not sms_to(REPORTER_PHONE)
    assert not Notification.objects.filter(kind__in=["case_received", "case_update"]).exists()
    profile_actions.save_profile(
        w.east.street, w.user("east", Role.ADMIN), {"cases.message_hotline_reporters": True}
    )
    with django_capture_on_commit_callbacks(execute=True):
        told = make_case(w)
        run(w, told, "file", Role.DISPATCHER)
    (received, filed) = sms_to(REPORTER_PHONE)
    assert received.startswith(f"您反映的问题已受理，编号 {told.number}") and "已立案" in filed


def import_order(w, n, channel):
    shape = w.east.grids[0].shape
    return CaseInput(
        request_type="complaint",
        category="E2105",
        description="楼上夜间噪声扰民，影响休息",
        channel=channel,
        lon=shape.centroid.x,
        lat=shape.centroid.y,
        reporter_phone=REPORTER_PHONE,
        source="12345",
        external_id=f"F-{n}",
    )


def test_a_file_import_never_tells_at_registration(w, tmp_path, django_capture_on_commit_callbacks):
    from .test_import_12345 import rows, write_csv

    for name in ("east", "west"):
        street = getattr(w, name).street
        profile_actions.save_profile(
            street, w.user(name, Role.ADMIN), {"cases.message_hotline_reporters": True}
        )
    with django_capture_on_commit_callbacks(execute=True):
        # The bulk path; then an external id already imported: that chunk is redone row by row.
        first = bulk.create_cases_bulk([(import_order(w, 0, "phone"), "fp0")], via="import")
        again = bulk.create_cases_bulk(
            [(import_order(w, 0, "phone"), "fp0"), (import_order(w, 1, "phone"), "fp1")], via="import"
        )
        # A small 12345 file takes the per-row path (create_case).
        assert hotline.import_file(write_csv(tmp_path / "in.csv", rows())).created == 3
    assert [type(o).__name__ for o in first + again] == ["Created", "Conflict", "Created"]
    assert Case.objects.count() == 5
    assert not Event.objects.filter(payload__has_key="notify").exists()
    assert not Notification.objects.exists() and not MessageDelivery.objects.exists() and not sms.sent


def test_a_notice_handled_again_sends_nothing_twice(w, django_capture_on_commit_callbacks):
    case = advance(w, make_case(w), CaseStatus.FILED)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run(w, case, "dispatch", Role.DISPATCHER)
    for callback in callbacks:  # a redelivered task, a batch read again
        callback()
    from civicgrid.cases import notifications
    from civicgrid.core.events import Batch, consumers

    consumer = consumers[notifications.CONSUMER.name]
    notifications.send_events(Batch(consumer, 0, 10**9, 10**9, case.updated_at))
    assert len(sms_to("13900000000")) == 1 and len(mails_to("handler@example.org")) == 1
    assert MessageDelivery.objects.filter(kind="dispatched").count() == 2


def test_a_notice_read_days_late_reaches_the_inbox_but_sends_nothing(w, time_machine):
    from civicgrid.core import events

    time_machine.move_to(dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH))
    case = advance(w, make_case(w), CaseStatus.FILED)
    run(w, case, "dispatch", Role.DISPATCHER)  # no commit in a test: the reader runs later
    time_machine.move_to(dt.datetime(2026, 11, 4, 9, 0, tzinfo=SH))  # two days later
    from civicgrid.cases import notifications

    events.run(notifications.CONSUMER)
    assert Notification.objects.filter(kind="dispatched").exists()
    assert not MessageDelivery.objects.exists() and not sms.sent and not mail.outbox


def test_reminded_once_and_only_before_the_deadline(w, time_machine, django_capture_on_commit_callbacks):
    time_machine.move_to(dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH))
    case = advance(w, make_case(w), CaseStatus.IN_PROGRESS)
    due = case.handling_due_at
    time_machine.move_to(due - dt.timedelta(hours=30))  # the default lead time is 24 hours
    assert actions.check_deadlines()["due_soon"] == 0
    time_machine.move_to(due - dt.timedelta(hours=3))
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.check_deadlines()["due_soon"] == 1
        assert actions.check_deadlines()["due_soon"] == 0
    time_machine.move_to(due + dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.check_deadlines() == {"overdue": 1, "response_overdue": 0, "due_soon": 0}
    handler = w.user("east", Role.HANDLER)
    assert Notification.objects.filter(kind="due_soon", user=handler).count() == 1
    deadline = f"{due.astimezone(SH):%Y-%m-%d %H:%M}"
    assert [text for text in sms_to("13900000000") if "到期" in text] == [
        f"工单 {case.number} 将于 {deadline} 到期，请抓紧办理：http://127.0.0.1:8000/cases/{case.number}/"
    ]


def test_each_case_due_soon_is_looked_at_once_per_run(w, time_machine, monkeypatch):
    """Several cases of one street: one window query for the street and one notice per case
    (the model's ordering once made the street DISTINCT one row per case: a street's window
    was read, and each case sent, once per open case — minutes in the demo's year)."""
    from civicgrid.cases.actions import deadline_job

    time_machine.move_to(dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH))
    cases = [advance(w, make_case(w), CaseStatus.IN_PROGRESS) for _ in range(3)]
    calls: list[int] = []
    real_send = deadline_job.send
    monkeypatch.setattr(deadline_job, "send", lambda *a, **k: calls.append(a[1]) or real_send(*a, **k))
    time_machine.move_to(max(c.handling_due_at for c in cases) - dt.timedelta(hours=3))
    assert deadline_job.remind_due_soon(clock.now()) == 3
    assert sorted(calls) == sorted(c.pk for c in cases)
    # In English: the notice is a message id rendered in the reader's language.
    notice = Notification.objects.filter(kind="due_soon").first()
    assert notice is not None and notice.params["number"] in {c.number for c in cases}


def test_the_lead_time_is_the_streets_and_zero_turns_reminders_off(w, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH))
    case = advance(w, make_case(w), CaseStatus.IN_PROGRESS)
    admin = w.user("east", Role.ADMIN)
    profile_actions.save_profile(w.east.street, admin, {"cases.reminder_hours": 0})
    time_machine.move_to(case.handling_due_at - dt.timedelta(hours=30))
    assert actions.check_deadlines()["due_soon"] == 0
    profile_actions.save_profile(w.east.street, admin, {"cases.reminder_hours": 48})
    assert actions.check_deadlines()["due_soon"] == 1


class Gateway(BaseHTTPRequestHandler):
    """A text-message gateway that refuses the first `failures` requests."""

    failures = 0
    refusal = 503
    received: list[tuple[dict, dict]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Gateway.received.append((dict(self.headers), body))
        status = Gateway.refusal if Gateway.failures > 0 else 200
        Gateway.failures -= 1
        self.send_response(status)
        self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Gateway.failures, Gateway.refusal, Gateway.received = 1, 503, []
    settings.CIVICGRID_SMS_PROVIDER = "http"
    settings.CIVICGRID_SMS_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.CIVICGRID_SMS_TOKEN = "gateway-token"
    yield Gateway
    server.shutdown()
    server.server_close()


def test_a_failing_http_provider_is_retried_and_logged(
    w, gateway, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH))
    case = advance(w, make_case(w, reporter_phone=""), CaseStatus.FILED)
    with django_capture_on_commit_callbacks(execute=True):
        run(w, case, "dispatch", Role.DISPATCHER)
    row = MessageDelivery.objects.get(kind="dispatched", channel="sms")
    assert (row.status, row.attempts, row.error) == ("pending", 1, "SmsError: HTTP 503")
    assert Notification.objects.filter(kind="dispatched").exists()  # the notice itself is not lost
    assert messaging.send_due() == 0  # not due yet
    time_machine.move_to(dt.datetime(2026, 11, 2, 9, 2, tzinfo=SH))  # base 60 s · 2^0
    assert messaging.send_due() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error) == ("sent", 2, "")
    headers, body = gateway.received[-1]
    assert body == {"to": "13900000000", "text": row.text, "key": row.key}
    assert headers["Authorization"] == "Bearer gateway-token" and headers["Idempotency-Key"] == row.key
    assert headers["Content-Type"].startswith("application/json")
    assert messaging.send_due() == 0 and len(gateway.received) == 2  # sent once


def test_a_redirect_is_a_failure_not_followed(w, gateway, django_capture_on_commit_callbacks):
    gateway.refusal = 302
    case = advance(w, make_case(w, reporter_phone=""), CaseStatus.FILED)
    with django_capture_on_commit_callbacks(execute=True):
        run(w, case, "dispatch", Role.DISPATCHER)
    row = MessageDelivery.objects.get(kind="dispatched", channel="sms")
    assert (row.status, row.error) == ("pending", "SmsError: HTTP 302") and len(gateway.received) == 1


def test_a_provider_that_keeps_failing_gives_up_after_the_last_attempt(
    w, gateway, settings, time_machine, django_capture_on_commit_callbacks
):
    settings.CIVICGRID_MESSAGE_MAX_ATTEMPTS = 2
    gateway.failures = 10
    time_machine.move_to(dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH))
    case = advance(w, make_case(w, reporter_phone=""), CaseStatus.FILED)
    with django_capture_on_commit_callbacks(execute=True):
        run(w, case, "dispatch", Role.DISPATCHER)
    time_machine.move_to(dt.datetime(2026, 11, 2, 10, 0, tzinfo=SH))
    messaging.send_due()
    row = MessageDelivery.objects.get(kind="dispatched", channel="sms")
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 2, None)
    assert messaging.send_due() == 0 and len(gateway.received) == 2


def test_the_phone_is_masked_in_the_delivery_log(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_case(w, channel="phone")
    row = MessageDelivery.objects.get(channel="sms")
    assert row.to_masked == "138****5678" and str(row.to) == "1***"
    assert REPORTER_PHONE not in row.key and REPORTER_PHONE not in str(row)
    raw = MessageDelivery.objects.filter(pk=row.pk).values_list("to", flat=True).query
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(*raw.sql_with_params())
        (stored,) = cursor.fetchone()
    assert REPORTER_PHONE not in stored  # encrypted at rest
    assert sms_to(REPORTER_PHONE)  # and sent in full


def test_an_english_user_gets_english_text(w, client, django_capture_on_commit_callbacks):
    handler = w.user("east", Role.HANDLER)
    client.force_login(handler)
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    handler.refresh_from_db()
    assert handler.language == "en"  # the language switch is remembered for the messages
    case = advance(w, make_case(w), CaseStatus.FILED)
    with django_capture_on_commit_callbacks(execute=True):
        run(w, case, "dispatch", Role.DISPATCHER)
    (text,) = sms_to("13900000000")
    assert text.startswith(f"New case {case.number} (") and "to be completed by" in text
    (email,) = mails_to("handler@example.org")
    assert email.subject == f"New case {case.number}"


def test_the_streets_own_template_is_used(w, django_capture_on_commit_callbacks):
    template = "【东街道】{{ number }} {% if deadline %}限 {{ deadline }}{% endif %}"
    profile_actions.save_profile(
        w.east.street, w.user("east", Role.ADMIN), {"cases.message_dispatched_sms": template}
    )
    case = advance(w, make_case(w), CaseStatus.FILED)
    with django_capture_on_commit_callbacks(execute=True):
        run(w, case, "dispatch", Role.DISPATCHER)
    (text,) = sms_to("13900000000")
    assert text.startswith(f"【东街道】{case.number} 限 ")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("工单 {% if number %}{{ number }}", "模板语法错误"),
        ("工单 {{ number }", "未闭合"),
        ("工单 {{ phone }}", "未知的变量：phone"),
        ('{% include "base.html" %}', "只能使用变量和 if 标签"),
        ("{{ number|nosuchfilter }}", "模板语法错误"),
    ],
)
def test_a_bad_template_is_a_form_error_naming_the_kind(client, w, template, message):
    client.force_login(w.user("east", Role.ADMIN))
    field = "cases.message_handled_sms"
    response = client.post(f"/profiles/{w.east.street.code}/", {field: template})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field] and message in errors[field][0]
    assert "短信模板：待核查" in response.content.decode()
    assert not AreaProfile.objects.exists()
    client.post(f"/profiles/{w.east.street.code}/", {field: "请核查 {{ number }}：{{ link }}"})
    assert AreaProfile.objects.get().values == {field: "请核查 {{ number }}：{{ link }}"}
