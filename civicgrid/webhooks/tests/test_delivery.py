"""Case events reach the matching subscriptions over real HTTP, signed, retried with back-off,
never for a rolled-back action, cheaply for bulk imports."""

import datetime as dt
import hashlib
import hmac
import json
import socket

import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicgrid.cases import actions as case_actions
from civicgrid.cases import bulk
from civicgrid.cases.actions import CaseInput
from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.models import Case
from civicgrid.cases.tests.factories import advance, duty, make_case
from civicgrid.core import clock, events
from civicgrid.core.choices import Role
from civicgrid.core.models import Event
from civicgrid.webhooks import actions, delivery, signing, tasks, transport
from civicgrid.webhooks.choices import DeliveryStatus
from civicgrid.webhooks.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world):
    duty(world)
    duty(world, "west")
    return world


def subscribe(w, receiver, street="east", events=("case.dispatch",), active=True, name="大屏"):
    sw = getattr(w, street)
    subscription, _secret = actions.create_subscription(
        w.user(street, Role.ADMIN),
        name=name,
        url=receiver.url,
        events=list(events),
        streets=[sw.street],
        active=active,
    )
    return subscription


def dispatch(w, case, capture, street="east"):
    with capture(execute=True):
        return case_actions.run_action(case.pk, "dispatch", w.user(street, Role.DISPATCHER), {})


def documented_recipe(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check as api-doc-webhooks.md writes it, without our helper."""
    timestamp = headers["X-Civicgrid-Timestamp"]
    expected = (
        "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    fresh = abs(timezone.now().timestamp() - int(timestamp)) <= 300
    return fresh and hmac.compare_digest(expected, headers["X-Civicgrid-Signature"])


def test_an_action_sends_one_signed_delivery_to_the_matching_subscription_only(
    w, receiver, django_capture_on_commit_callbacks
):
    case = advance(w, make_case(w), CaseStatus.FILED)
    wanted, secret = actions.create_subscription(
        w.user("east", Role.ADMIN),
        name="东大屏",
        url=receiver.url,
        events=["case.dispatch"],
        streets=[w.east.street],
    )
    subscribe(w, receiver, street="west")  # another street
    subscribe(w, receiver, events=["case.close"])  # another event
    subscribe(w, receiver, active=False)  # switched off
    dispatch(w, case, django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    assert sent.path == "/hook"
    assert sent.headers["Content-Type"] == "application/json; charset=utf-8"
    assert sent.headers["X-Civicgrid-Event"] == "case.dispatch"
    assert documented_recipe(secret, sent.headers, sent.body)
    assert signing.verify(
        secret, sent.body, sent.headers["X-Civicgrid-Timestamp"], sent.headers["X-Civicgrid-Signature"]
    )
    assert not documented_recipe("whsec_wrong", sent.headers, sent.body)
    assert not documented_recipe(secret, sent.headers, sent.body.replace(b"dispatch", b"dispatcH"))

    body = sent.json()
    only = Delivery.objects.get()
    assert only.subscription == wanted and only.status == DeliveryStatus.SUCCEEDED and only.attempts == 1
    assert only.response_status == 200 and only.response_body == "ok" and only.next_attempt_at is None
    assert body["id"] == sent.headers["X-Civicgrid-Delivery"] == str(only.pk)
    assert body["event"] == "case.dispatch"
    assert body["occurred_at"].endswith("+08:00")
    assert body["case"]["number"] == case.number
    assert body["case"]["status"] == CaseStatus.DISPATCHED
    assert body["case"]["street"] == {"code": w.east.street.code, "name": w.east.street.name}
    assert body["case"]["category"]["code"] == "E2105"
    assert body["case_event"]["action"] == "dispatch"
    assert body["case_event"]["from_status"] == CaseStatus.FILED
    # No personal data: not the reporter, not the free text.
    text = sent.body.decode()
    for private in ("王先生", "13812345678", "楼上夜间噪声扰民", "reporter", "description", "address", "lon"):
        assert private not in text


def test_a_rolled_back_action_sends_nothing(w, receiver, django_capture_on_commit_callbacks):
    case = advance(w, make_case(w), CaseStatus.FILED)
    subscribe(w, receiver)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        case_actions.run_action(case.pk, "dispatch", w.user("east", Role.DISPATCHER), {})
        raise RuntimeError("the caller's transaction fails after the action")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.FILED
    assert receiver.requests == [] and not Delivery.objects.exists()


def test_a_replayed_commit_callback_does_not_deliver_twice(w, receiver, django_capture_on_commit_callbacks):
    case = advance(w, make_case(w), CaseStatus.FILED)
    subscribe(w, receiver)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case_actions.run_action(case.pk, "dispatch", w.user("east", Role.DISPATCHER), {})
    for callback in callbacks:
        callback()
    assert Delivery.objects.count() == 1 and len(receiver.requests) == 1


def test_overdue_marking_is_an_event(w, receiver, django_capture_on_commit_callbacks, time_machine):
    case = advance(w, make_case(w), CaseStatus.DISPATCHED)
    subscribe(w, receiver, events=["case.overdue"])
    time_machine.move_to(case.handling_due_at + dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.check_deadlines()
    assert [r.json()["event"] for r in receiver.requests] == ["case.overdue"]


def test_failed_attempts_back_off_on_a_worker_and_fail_after_the_last(
    w, receiver, django_capture_on_commit_callbacks, time_machine, monkeypatch
):
    """On a worker (not eager) each failure asks Celery for a retry with the back-off; an early
    retry finds the delivery not due and sends nothing."""
    time_machine.move_to(dt.datetime(2026, 10, 12, 9, 0, tzinfo=dt.UTC), tick=False)
    case = advance(w, make_case(w), CaseStatus.FILED)
    subscribe(w, receiver)
    receiver.default = 500
    countdowns: list[int] = []

    def retry(countdown=None, max_retries=None, **kwargs):
        countdowns.append(countdown)
        return Retry("scheduled", when=countdown)

    dispatch(w, case, django_capture_on_commit_callbacks)  # the first attempt, in the request
    sent = Delivery.objects.get()
    countdowns.append(int((sent.next_attempt_at - timezone.now()).total_seconds()))
    # From here on the attempts run as on a worker.
    monkeypatch.setattr(tasks, "_on_worker", lambda task: True)
    monkeypatch.setattr(tasks.deliver, "retry", retry)
    for _ in range(10):
        sent.refresh_from_db()
        if sent.status != DeliveryStatus.PENDING:
            break
        tasks.deliver.apply((str(sent.pk),), throw=False)  # too early: claims nothing
        time_machine.move_to(sent.next_attempt_at)
        tasks.deliver.apply((str(sent.pk),), throw=False)

    assert countdowns == [60, 120, 240, 480, 960, 1920, 3600]
    assert len(receiver.requests) == 8
    assert {r.headers["X-Civicgrid-Delivery"] for r in receiver.requests} == {str(sent.pk)}
    assert sent.status == DeliveryStatus.FAILED and sent.attempts == 8 and sent.next_attempt_at is None
    assert sent.response_status == 500 and sent.error == "HTTP 500"
    assert [a["status"] for a in sent.attempt_log] == [500] * 8
    assert all(a["body"] == "ok" and a["error"] == "HTTP 500" for a in sent.attempt_log)


def test_eager_mode_leaves_retries_to_the_sweeper_and_honours_retry_after(
    w, receiver, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(dt.datetime(2026, 10, 12, 9, 0, tzinfo=dt.UTC), tick=False)
    case = advance(w, make_case(w), CaseStatus.FILED)
    subscribe(w, receiver)
    receiver.answer(503, headers={"Retry-After": "300"}, body=b"maintenance")
    dispatch(w, case, django_capture_on_commit_callbacks)
    sent = Delivery.objects.get()
    assert len(receiver.requests) == 1  # eager: no immediate retry in the request
    assert sent.status == DeliveryStatus.PENDING and sent.attempts == 1
    assert sent.response_status == 503 and sent.response_body == "maintenance"
    assert sent.next_attempt_at == timezone.now() + dt.timedelta(seconds=300)  # Retry-After beats 60 s

    time_machine.move_to(timezone.now() + dt.timedelta(seconds=299))
    call_command("send_webhooks", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(receiver.requests) == 1
    time_machine.move_to(timezone.now() + dt.timedelta(seconds=1))
    call_command("send_webhooks", stdout=open("/dev/null", "w"))  # noqa: SIM115
    sent.refresh_from_db()
    assert len(receiver.requests) == 2 and sent.status == DeliveryStatus.SUCCEEDED and sent.attempts == 2
    assert receiver.requests[0].body == receiver.requests[1].body  # the same payload on every attempt


def test_a_redirect_is_not_followed(receiver):
    receiver.answer(302, headers={"Location": "/elsewhere"})
    answer = transport.post(receiver.url, b"{}", {}, timeout=2)
    assert answer.status == 302
    assert [r.path for r in receiver.requests] == ["/hook"]


def test_private_addresses_are_refused_unless_allowed(settings, monkeypatch):
    settings.CIVICGRID_WEBHOOKS_ALLOW_PRIVATE = False
    for url in (
        "ftp://example.com/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://user:pw@example.com/",
        "http://127.0.0.1:8000/",
        "http://localhost/",
        "http://10.1.2.3/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
    ):
        with pytest.raises(transport.UnsafeURL):
            transport.check_url(url)
    assert transport.check_url(" https://example.com/hook ") == "https://example.com/hook"

    # A host name is judged by what it resolves to, at connect time (DNS rebinding included).
    def resolve(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(transport.DeliveryError, match="内网"):
        transport.post("http://hooks.example.com/x", b"{}", {}, timeout=1)


def test_only_real_hosts_even_where_private_addresses_are_allowed(monkeypatch):
    # conftest allows private addresses (and http): the local receivers are on 127.0.0.1.
    for url in (
        "http://0/",
        "http://0.0.0.0/",
        "http://0.1.2.3/",
        "http://[::]/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "http://hooks/",  # no top-level domain: URLValidator's rule
        "https://hooks.example.com/a b",
        'https://hooks.example.com/x?a="><img>',
        "https://hooks.example.com/x?a='",
        "https://hooks.example.com/x\\y",
    ):
        with pytest.raises(transport.UnsafeURL):
            transport.check_url(url)
    for url in ("http://127.0.0.1:8000/x", "http://[::1]/", "https://hooks.example.com/x?a=%22%3E"):
        assert transport.check_url(url) == url

    # Sending follows the same rule for what a name resolves to.
    def resolve(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("0.0.0.0", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(transport.DeliveryError, match="保留地址 0.0.0.0"):
        transport.post("http://hooks.example.com/x", b"{}", {}, timeout=1)


def test_https_only_unless_http_is_allowed(settings):
    settings.CIVICGRID_WEBHOOKS_ALLOW_HTTP = False
    with pytest.raises(transport.UnsafeURL, match="https"):
        transport.check_url("http://hooks.example.com/x")
    with pytest.raises(transport.DeliveryError, match="https"):
        transport.post("http://hooks.example.com/x", b"{}", {}, timeout=1)
    assert transport.check_url("https://hooks.example.com/x") == "https://hooks.example.com/x"


def test_an_unreachable_receiver_is_logged_as_an_error(w, receiver, django_capture_on_commit_callbacks):
    case = advance(w, make_case(w), CaseStatus.FILED)
    subscription = subscribe(w, receiver)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    actions.update_subscription(subscription, w.user("east", Role.ADMIN), url=f"http://127.0.0.1:{port}/x")
    dispatch(w, case, django_capture_on_commit_callbacks)
    sent = Delivery.objects.get()
    assert sent.status == DeliveryStatus.PENDING and sent.response_status is None
    assert "ConnectionRefused" in sent.error and sent.attempt_log[0]["error"] == sent.error


def test_resend_a_failed_delivery(w, receiver, django_capture_on_commit_callbacks, settings):
    settings.CIVICGRID_WEBHOOKS_MAX_ATTEMPTS = 1
    case = advance(w, make_case(w), CaseStatus.FILED)
    subscribe(w, receiver)
    receiver.answer(500)
    dispatch(w, case, django_capture_on_commit_callbacks)
    failed = Delivery.objects.get()
    assert failed.status == DeliveryStatus.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        actions.resend_delivery(failed, w.user("east", Role.ADMIN))
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.SUCCEEDED and failed.attempts == 1
    assert [r.headers["X-Civicgrid-Delivery"] for r in receiver.requests] == [str(failed.pk)] * 2
    assert failed.attempt_log[1]["resend_by"] == "east-admin"
    from civicgrid.cases.errors import Conflict, NotFound

    with pytest.raises(Conflict):
        actions.resend_delivery(failed, w.user("east", Role.ADMIN))  # only failed ones
    with pytest.raises(NotFound):
        actions.resend_delivery(failed, w.user("west", Role.ADMIN))


def test_a_deactivated_subscription_gets_no_new_deliveries_and_sends_no_pending_one(
    w, receiver, django_capture_on_commit_callbacks
):
    case = advance(w, make_case(w), CaseStatus.FILED)
    subscription = subscribe(w, receiver)
    receiver.answer(500)
    dispatch(w, case, django_capture_on_commit_callbacks)
    pending = Delivery.objects.get()
    actions.set_active(subscription, w.user("east", Role.ADMIN), False)
    Delivery.objects.filter(pk=pending.pk).update(next_attempt_at=timezone.now())
    assert delivery.attempt(pending.pk).status == DeliveryStatus.FAILED
    pending.refresh_from_db()
    assert pending.error == "订阅已停用，未发送" and pending.attempts == 1
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.run_action(case.pk, "sign", w.user("east", Role.HANDLER), {})
    assert Delivery.objects.count() == 1 and len(receiver.requests) == 1


def bulk_items(w, n: int) -> list[tuple[CaseInput, str]]:
    items = []
    for i in range(n):
        sw = w.east if i % 2 == 0 else w.west
        centre = sw.grids[i % 4].shape.centroid
        data = CaseInput(
            request_type="complaint",
            category="E2105",
            description="噪声扰民",
            channel="hotline",
            lon=centre.x,
            lat=centre.y,
            reporter_name="居民",
            reporter_phone="13800000000",
            source="12345",
            external_id=f"WH-{i:04d}",
        )
        items.append((data, f"fp{i}"))
    return items


def test_a_bulk_import_costs_one_query_per_chunk_without_subscriptions(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = bulk.create_cases_bulk(bulk_items(w, 40))
    assert len(created) == 40 and len(callbacks) == 1  # one kick for the chunk
    latest = Event.objects.latest("pk").pk
    batch = events.Batch(delivery.CONSUMER, 0, latest, latest, clock.now())
    assert len(batch.events) == 40
    with CaptureQueriesContext(connection) as queries:
        delivery.deliver_events(batch)
    assert len(queries.captured_queries) == 1
    callbacks[0]()
    assert not Delivery.objects.exists()


def test_a_bulk_import_delivers_its_created_cases(w, receiver, django_capture_on_commit_callbacks):
    subscribe(w, receiver, events=["case.create"])
    subscribe(w, receiver, events=["case.dispatch"], name="只要派遣")
    with django_capture_on_commit_callbacks(execute=True):
        created = bulk.create_cases_bulk(bulk_items(w, 12))
    east = set(
        Case.objects.filter(pk__in=[c.pk for c in created], street=w.east.street).values_list(
            "number", flat=True
        )
    )
    assert len(east) == 6
    assert {r.json()["case"]["number"] for r in receiver.requests} == east
    assert {r.json()["event"] for r in receiver.requests} == {"case.create"}
    assert Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 6


def test_purge_keeps_pending_and_recent_deliveries(
    w, receiver, django_capture_on_commit_callbacks, time_machine
):
    case = advance(w, make_case(w), CaseStatus.FILED)
    subscribe(w, receiver, events=["case.dispatch", "case.sign"])
    dispatch(w, case, django_capture_on_commit_callbacks)
    receiver.answer(500)
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.run_action(case.pk, "sign", w.user("east", Role.HANDLER), {})
    assert sorted(Delivery.objects.values_list("status", flat=True)) == ["pending", "succeeded"]
    time_machine.move_to(timezone.now() + dt.timedelta(days=31))
    assert tasks.purge_deliveries.apply().get() == 1
    assert list(Delivery.objects.values_list("status", flat=True)) == ["pending"]


def test_payload_is_json_with_local_times(w, receiver, django_capture_on_commit_callbacks):
    case = advance(w, make_case(w), CaseStatus.FILED)
    subscribe(w, receiver)
    dispatch(w, case, django_capture_on_commit_callbacks)
    body = json.loads(receiver.requests[0].body)
    for name in ("received_at", "response_due_at", "handling_due_at"):
        assert body["case"][name].endswith("+08:00")
    assert body["case"]["lead_unit"]["name"] == w.east.unit.name
