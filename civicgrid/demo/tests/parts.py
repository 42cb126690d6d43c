"""Demo test classes built of parts: a demo load is the suite's longest kind of set-up, so the
checks of every part that needs the same load run in one class, each part a mixin with its tests
and an optional classmethod `set_up_demo_checks` (what its tests share, read once the demo is
loaded)."""

from typing import Any


def set_up(cls: Any, parts: tuple[type, ...]) -> None:
    """Each part's own set-up, in order, once the class's load is done."""
    for part in parts:
        if "set_up_demo_checks" in vars(part):
            vars(part)["set_up_demo_checks"].__func__(cls)


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
