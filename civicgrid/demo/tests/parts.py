"""Demo test classes built of parts: a demo load is the suite's longest kind of set-up, so the
checks of every part that needs the same load run in one class, each part a mixin with its tests
and an optional classmethod `set_up_demo_checks` (what its tests share, read once the demo is
loaded)."""

from typing import Any

from django.db import connection


def set_up(cls: Any, parts: tuple[type, ...]) -> None:
    """Each part's own set-up, in order, once the class's load is done (and settled)."""
    settle()
    for part in parts:
        if "set_up_demo_checks" in vars(part):
            vars(part)["set_up_demo_checks"].__func__(cls)


def settle() -> None:
    """Checks the deferred constraints of the class's load once, now. Django checks them at the
    end of every test (`SET CONSTRAINTS ALL IMMEDIATE` on PostgreSQL), and rolling the test's
    savepoint back queues again every check fired inside it, so each test of a class re-checked
    every row of the load (minutes a test after a registry load). Checked here, in the class's
    transaction, they are done for good; a test's end checks only what the test wrote."""
    connection.check_constraints()


def clashes(*parts: type) -> list[str]:
    """Names two parts both define (a test, a helper, an attribute): in one class only one of
    them would run or count."""
    names = [
        name
        for part in parts
        for name in vars(part)
        if not name.startswith("__") and name != "set_up_demo_checks"
    ]
    return sorted({name for name in names if names.count(name) > 1})
