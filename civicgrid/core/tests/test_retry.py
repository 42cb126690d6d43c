"""core.retry: a write refused with "database is locked" runs again, within a time budget."""

import pytest
from django.db import OperationalError, transaction

from civicgrid.core import retry


class Refused(Exception):
    pass


def flaky(failures: int, message: str = "database is locked"):
    calls = []

    def write() -> int:
        calls.append(1)
        if len(calls) <= failures:
            raise OperationalError(message)
        return len(calls)

    return write, calls


def test_a_locked_write_runs_again_until_it_gets_through(monkeypatch):
    monkeypatch.setattr(retry.time, "sleep", lambda s: None)
    write, calls = flaky(3)
    assert retry.retry_when_locked()(write)() == 4
    assert len(calls) == 4


def test_other_database_errors_are_not_retried():
    write, calls = flaky(1, "no such table: x")
    with pytest.raises(OperationalError):
        retry.retry_when_locked()(write)()
    assert len(calls) == 1


def test_after_the_budget_the_give_up_error_is_raised(monkeypatch):
    monkeypatch.setattr(retry.time, "sleep", lambda s: None)
    monkeypatch.setattr(retry, "LOCK_RETRY_SECONDS", 0.0)
    write, calls = flaky(100)
    with pytest.raises(Refused):
        retry.retry_when_locked(give_up=lambda exc: Refused(str(exc)))(write)()
    assert len(calls) == 1


@pytest.mark.django_db
def test_inside_a_callers_transaction_there_is_no_retry(monkeypatch):
    monkeypatch.setattr(retry.time, "sleep", lambda s: None)
    write, calls = flaky(1)
    with transaction.atomic(), pytest.raises(OperationalError):
        retry.retry_when_locked()(write)()
    assert len(calls) == 1
