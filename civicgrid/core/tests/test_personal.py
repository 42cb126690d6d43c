"""Personal data at rest (core.personal): encrypted columns, search through the keyed hash,
masked values in every output, the key rotation, and nothing personal in the audit log."""

import base64
import copy
import json
import pickle

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from civicgrid.accounts.models import User
from civicgrid.cases.bulk import create_cases_bulk
from civicgrid.cases.models import Case
from civicgrid.cases.tests.factories import make_case
from civicgrid.core import personal
from civicgrid.core.models import AuditLog
from civicgrid.open311.models import Submission
from civicgrid.orgs.models import Unit

pytestmark = pytest.mark.django_db

PHONES = {"reporter": "13912345678", "account": "13800000107", "unit": "02155556666", "bulk": "13700001111"}
EMAIL = "Wang.Li@Example.com"
ACCOUNT_EMAIL = "feng.guifang@example.cn"
DEVICE = "device-7f3a9c2e"


def test_the_value_is_its_mask_to_every_output():
    value = personal.PersonalValue("13912345678", personal.Kind.PHONE)
    assert str(value) == f"{value}" == "139****5678" and value.masked == "139****5678"
    assert json.dumps({"phone": value}) == '{"phone": "139****5678"}'
    assert "13912345678" not in repr(value)
    # Compared (has it changed?) by the full value; handed out only by unmasked().
    assert value == "13912345678" and value != "13912345679"
    assert value == personal.PersonalValue("139 1234 5678".replace(" ", ""), personal.Kind.PHONE)
    assert personal.unmasked(value) == "13912345678"
    for twin in (copy.deepcopy(value), pickle.loads(pickle.dumps(value))):
        assert personal.unmasked(twin) == "13912345678" and str(twin) == "139****5678"
    email = personal.PersonalValue(EMAIL, personal.Kind.EMAIL)
    assert str(email) == "W***@Example.com"
    assert str(personal.PersonalValue(DEVICE, personal.Kind.TEXT)) == "d***"


def test_an_instance_shows_the_mask_before_and_after_saving(world):
    unit = world.east.unit
    unit.phone = PHONES["unit"]
    assert str(unit.phone) == "021****6666"  # assigned, not yet saved
    unit.save()
    unit.refresh_from_db()
    assert str(unit.phone) == "021****6666" and unit.phone == PHONES["unit"]
    # values() builds no instance, and still gets the mask.
    assert [str(p) for p in Unit.objects.filter(pk=unit.pk).values_list("phone", flat=True)] == [
        "021****6666"
    ]
    # A form posts back what it showed: the mask keeps the number, a new number replaces it.
    unit.phone = "021****6666"
    assert personal.unmasked(unit.phone) == PHONES["unit"]
    unit.phone = "02188889999"
    assert personal.unmasked(unit.phone) == "02188889999"


def _everything(world):
    """One of each personal field, through the paths that write them."""
    case = make_case(world, reporter_phone=PHONES["reporter"])
    account = world.user("east", "resident")
    account.phone = PHONES["account"]
    account.email = ACCOUNT_EMAIL
    account.save()
    unit = world.east.unit
    unit.phone = PHONES["unit"]
    unit.save()
    Submission.objects.create(
        token="tok-personal",
        case=case,
        street=world.east.street,
        service_code="E2105",
        email=EMAIL,
        device_id=DEVICE,
    )
    return case, account, unit


def _dump_database() -> str:
    """Every row of every table, as the database holds it."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_the_database_holds_no_phone_or_email_in_clear(world):
    from civicgrid.testing.residents import build_registry

    _everything(world)
    _bulk_case(world)
    registry = build_registry(world.east)
    raw = _dump_database()
    # The residents' registry: identity numbers (and their masks), phones, sensitive notes.
    for person in registry.persons.values():
        for value in (person.id_number, person.phone):
            assert personal.unmasked(value) not in raw, value
            assert str(value) not in raw, value
    assert "子女在外地" not in raw
    for phone in PHONES.values():
        assert phone not in raw, phone
        assert personal.mask_phone(phone) not in raw, phone  # the mask is no secret, but no copy either
    for text in (EMAIL, EMAIL.lower(), DEVICE, ACCOUNT_EMAIL):
        assert text not in raw, text
    # The columns hold Fernet tokens that decrypt to the values.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reporter_phone, reporter_phone_hash FROM cases_case WHERE reporter_phone <> ''"
        )
        tokens = cursor.fetchall()
    assert tokens and all(personal.decrypt(t) in PHONES.values() and len(h) == 64 for t, h in tokens)


def _bulk_case(world):
    from civicgrid.cases.actions import CaseInput

    shape = world.east.grids[0].shape
    data = CaseInput(
        request_type="complaint",
        category="E2105",
        description="路灯不亮",
        channel="hotline",
        lon=shape.centroid.x,
        lat=shape.centroid.y,
        reporter_phone=PHONES["bulk"],
        source="12345",
        external_id="PERSONAL-1",
    )
    [created] = create_cases_bulk([(data, "fp-personal")])
    return Case.objects.get(pk=created.pk)


def test_a_whole_number_is_found_through_the_hash(world):
    case, account, unit = _everything(world)
    bulk = _bulk_case(world)
    assert list(Case.objects.filter(personal.matching(Case, "reporter_phone", "139-1234 5678"))) == [case]
    assert list(Case.objects.filter(personal.matching(Case, "reporter_phone", PHONES["bulk"]))) == [bulk]
    assert not Case.objects.filter(personal.matching(Case, "reporter_phone", "1391234567")).exists()
    assert list(User.objects.filter(personal.matching(User, "phone", PHONES["account"]))) == [account]
    assert list(Unit.objects.filter(personal.matching(Unit, "phone", "021-5555 6666"))) == [unit]
    found = Submission.objects.filter(personal.matching(Submission, "email", EMAIL.upper()))
    assert [s.case_id for s in found] == [case.pk]
    # The encrypted column itself answers only "is it empty".
    with pytest.raises(FieldError):
        list(Case.objects.filter(reporter_phone=PHONES["reporter"]))
    with pytest.raises(FieldError):
        list(Case.objects.filter(reporter_phone__contains="5678"))
    assert Case.objects.filter(reporter_phone="").count() == 0


def test_the_audit_log_keeps_a_marker_never_the_value(world):
    unit = world.east.unit
    unit.phone = PHONES["unit"]
    unit.save()
    unit.phone = "02188889999"
    unit.save()
    count = AuditLog.for_object(unit).count()
    unit.save()  # unchanged: no row
    assert AuditLog.for_object(unit).count() == count
    changed, first = list(AuditLog.for_object(unit))[:2]  # newest first
    assert changed.changes == {"phone": [personal.AuditMark.TEXT, personal.AuditMark.TEXT]}
    assert first.changes == {"phone": ["", personal.AuditMark.TEXT]}
    created = list(AuditLog.for_object(unit))[-1]
    assert created.changes["phone"] == "" and "phone_hash" not in created.changes
    raw = json.dumps([row.changes for row in AuditLog.objects.all()], ensure_ascii=False)
    assert "5555" not in raw and "8888" not in raw


def _key(seed: bytes) -> str:
    return base64.urlsafe_b64encode(seed.ljust(32, b"-")[:32]).decode()


OLD, NEW = _key(b"old-personal-key"), _key(b"new-personal-key")


def test_rotation_moves_everything_to_the_new_key(world, capsys):
    with override_settings(CIVICGRID_FIELD_KEYS=[OLD]):
        case, account, unit = _everything(world)
        bulk = _bulk_case(world)
    with override_settings(CIVICGRID_FIELD_KEYS=[NEW, OLD]):
        # During the rotation both keys read, and a search finds rows under either key.
        assert Case.objects.get(pk=case.pk).reporter_phone == PHONES["reporter"]
        assert Case.objects.filter(personal.matching(Case, "reporter_phone", PHONES["reporter"])).exists()
        call_command("rotate_field_keys", batch=1)
        out = capsys.readouterr().out
        assert "cases.case:" in out and "accounts.user:" in out and "完成" in out
        again = personal.rotate()  # safe to run again: nothing left to rewrite
        assert set(again.values()) == {0}
    with override_settings(CIVICGRID_FIELD_KEYS=[NEW]):  # the old key is gone
        assert Case.objects.get(pk=case.pk).reporter_phone == PHONES["reporter"]
        assert Case.objects.get(pk=bulk.pk).reporter_phone == PHONES["bulk"]
        assert User.objects.get(pk=account.pk).phone == PHONES["account"]
        assert Unit.objects.get(pk=unit.pk).phone == PHONES["unit"]
        submission = Submission.objects.get(case=case)
        assert (submission.email, submission.device_id) == (EMAIL, DEVICE)
        for model, name, value in (
            (Case, "reporter_phone", PHONES["reporter"]),
            (Case, "reporter_phone", PHONES["bulk"]),
            (User, "phone", PHONES["account"]),
            (Unit, "phone", PHONES["unit"]),
            (Submission, "device_id", DEVICE),
        ):
            assert model.objects.filter(personal.matching(model, name, value)).count() == 1, (model, name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT reporter_phone FROM cases_case WHERE reporter_phone <> ''")
            assert all(personal.is_current(token) for (token,) in cursor.fetchall())


def test_a_missing_key_is_a_clear_error_not_garbage(world):
    with override_settings(CIVICGRID_FIELD_KEYS=[OLD]):
        case = make_case(world, reporter_phone=PHONES["reporter"])
    with override_settings(CIVICGRID_FIELD_KEYS=[NEW]), pytest.raises(Exception, match="rotate_field_keys"):
        Case.objects.get(pk=case.pk)
    with override_settings(CIVICGRID_FIELD_KEYS=["not-a-key"]), pytest.raises(Exception, match="Fernet"):
        personal.encrypt("x")
    assert len(Fernet.generate_key()) == 44  # the documented way to make a key gives one that fits


def test_the_case_filter_finds_a_case_by_its_whole_number(client, world):
    from civicgrid.cases.filters import filter_cases
    from civicgrid.testing.api import ApiClient

    case = make_case(world, reporter_phone=PHONES["reporter"])
    make_case(world, reporter_phone="13900000000")
    dispatcher = world.user("east", "dispatcher")
    visible = Case.objects.restrict(dispatcher, "view")
    assert list(filter_cases(visible, {"q": "139 1234 5678"}, user=dispatcher)) == [case]
    west = world.user("west", "dispatcher")
    assert not filter_cases(Case.objects.restrict(west, "view"), {"q": PHONES["reporter"]}, user=west)
    # The API list (and the workbench) apply the same filter.
    listed = ApiClient(client, dispatcher).get("/cases", q=PHONES["reporter"]).json()["results"]
    assert [r["number"] for r in listed] == [case.number]
    assert listed[0]["reporter"]["phone"] == "139****5678"


def test_webhook_bodies_carry_no_phone(world):
    from civicgrid.webhooks import payloads

    case = make_case(world, reporter_phone=PHONES["reporter"])
    body = json.dumps(payloads.case_body(case), ensure_ascii=False)
    assert PHONES["reporter"] not in body and "139****5678" not in body and "reporter" not in body
