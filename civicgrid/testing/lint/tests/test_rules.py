"""Every lint rule against the good and bad examples it ships with, the waivers, the app order
read from docs/architecture.md, the command line, and the code base itself (no findings)."""

import subprocess
import sys

import pytest

from civicgrid.testing import lint
from civicgrid.testing.lint import ROOT, check_paths, check_source, imports, restrict, sheets, writes
from civicgrid.testing.lint.base import Example, Rule


def _examples(rule: Rule) -> list:
    return [
        *(pytest.param(ex, id=f"good-{n}-{ex.path}") for n, ex in enumerate(rule.good)),
        *(pytest.param(ex, id=f"bad-{n}-{ex.path}") for n, ex in enumerate(rule.bad)),
    ]


def _assert_flags_exactly_the_marked_lines(rule: Rule, example: Example) -> None:
    found = check_source(example.source, example.path, (rule,))
    flagged = sorted({f.line for f in found if f.rule == rule.id})
    assert flagged == example.expected_lines(), "\n".join(map(str, found))
    if example in rule.good:
        assert found == [], "a good example passes whole, waivers included"


def test_every_rule_ships_good_and_bad_examples():
    assert len({rule.id for rule in lint.RULES}) == len(lint.RULES) == 4
    for rule in lint.RULES:
        assert rule.good and rule.bad, rule.id
        assert all(not ex.expected_lines() for ex in rule.good), rule.id
        assert all(ex.expected_lines() for ex in rule.bad), rule.id


@pytest.mark.parametrize("example", _examples(writes.RULE))
def test_writes_through_actions(example):
    _assert_flags_exactly_the_marked_lines(writes.RULE, example)


@pytest.mark.parametrize("example", _examples(restrict.RULE))
def test_restrict_in_views(example):
    _assert_flags_exactly_the_marked_lines(restrict.RULE, example)


@pytest.mark.parametrize("example", _examples(imports.RULE))
def test_app_order_imports(example):
    _assert_flags_exactly_the_marked_lines(imports.RULE, example)


@pytest.mark.parametrize("example", _examples(sheets.RULE))
def test_spreadsheet_writes_guarded(example):
    _assert_flags_exactly_the_marked_lines(sheets.RULE, example)


# ---------------------------------------------------------------------------- waivers

VIEW = "civicgrid/orgs/views.py"


def _rules_and_lines(source: str) -> list[tuple[str, int]]:
    return [(f.rule, f.line) for f in check_source(source, VIEW)]


def test_a_waiver_covers_its_line_or_the_next_when_alone():
    source = (
        "def edit(request):\n"
        "    Unit.objects.restrict(request.user, 'change').update(x=1)  # lint: allow-write (ok)\n"
        "    # lint: allow-write (a reason too long for the line below)\n"
        "    Unit.objects.restrict(request.user, 'change').update(x=2)\n"
    )
    assert _rules_and_lines(source) == []


def test_a_trailing_waiver_does_not_cover_the_next_line():
    source = (
        "def edit(request):\n"
        "    x = 1  # lint: allow-write (meant for the line below)\n"
        "    Unit.objects.restrict(request.user, 'change').update(x=2)\n"
    )
    assert _rules_and_lines(source) == [("unused-waiver", 2), ("writes-through-actions", 3)]


def test_a_waiver_needs_a_reason_and_a_known_word():
    source = (
        "def edit(request):\n"
        "    Unit.objects.restrict(request.user, 'change').update(x=1)  # lint: allow-write\n"
        "    Unit.objects.restrict(request.user, 'change').update(x=2)  # lint: allow-writes (typo)\n"
        "    Unit.objects.restrict(request.user, 'change').update(x=3)  # lint: allow-write ()\n"
    )
    assert _rules_and_lines(source) == [
        ("waiver-needs-reason", 2),
        ("writes-through-actions", 2),
        ("unknown-waiver", 3),
        ("writes-through-actions", 3),
        ("waiver-needs-reason", 4),
        ("writes-through-actions", 4),
    ]


def test_a_waiver_that_waives_nothing_is_a_finding():
    source = "def show(request):\n    return 1  # lint: allow-unrestricted (left over)\n"
    assert _rules_and_lines(source) == [("unused-waiver", 2)]
    # …also where its rule does not apply (a waiver in a module that is not a view).
    source = "def f(unit):\n    unit.save()  # lint: allow-write (not a view)\n"
    assert [(f.rule, f.line) for f in check_source(source, "civicgrid/orgs/actions.py")] == [
        ("unused-waiver", 2)
    ]


def test_a_waiver_word_in_a_string_or_a_later_comment_is_no_waiver():
    source = (
        "def edit(request):\n"
        "    text = '# lint: allow-write (a string)'\n"
        "    Unit.objects.restrict(request.user, 'change').update(x=1)  # see `# lint: allow-write (x)`\n"
    )
    assert _rules_and_lines(source) == [("writes-through-actions", 3)]


# ---------------------------------------------------------------------------- app order


def test_the_app_order_comes_from_the_imports_sentences():
    order = imports.app_order()
    assert order.apps[:2] == ("core", "geo")
    assert order.imports["core"] == frozenset({"celery"})  # the project's Celery app, not an app
    assert order.imports["geo"] == {"core"}
    assert order.imports["cases"] == {"core", "accounts", "geo", "orgs"}
    packages = {p.parent.name for p in (ROOT / "civicgrid").glob("*/__init__.py")}
    assert packages <= set(order.apps), "every package of civicgrid/ has its paragraph"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("**core** — the kernel.\n", "needs one sentence"),
        ("**core** — Imports no other app. Imports `geo`.\n", "needs one sentence"),
        ("**core** — Imports `geo`.\n\n**geo** — Imports `core`.\n", "not an app listed before it"),
        ("Nothing here.\n", "no app paragraphs"),
    ],
)
def test_an_unclear_architecture_document_is_an_error(text, message):
    with pytest.raises(imports.DocError, match=message):
        imports.parse_order(text, frozenset({"celery"}))


def test_the_project_modules_may_be_named():
    text = "**core** — Imports no other app.\n\n**testing** — Imports `core` and the project's `celery`.\n"
    order = imports.parse_order(text, frozenset({"celery"}))
    assert order.imports["testing"] == {"core", "celery"}


# ---------------------------------------------------------------------------- the command


def test_the_command_prints_path_line_rule_and_fails(tmp_path):
    view = tmp_path / "civicgrid" / "orgs" / "views.py"
    view.parent.mkdir(parents=True)
    view.write_text("def edit(request):\n    Unit.objects.create(name='x')\n    return Unit.objects.all()\n")
    done = subprocess.run(
        [sys.executable, "-m", "civicgrid.testing.lint", str(view)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "civicgrid/orgs/views.py:2: writes-through-actions Unit.objects.create() writes from a view or API "
        "handler: call an action",
        "civicgrid/orgs/views.py:3: restrict-in-views Unit.objects without restrict(user, action) in a view "
        "or API handler",
    ]
    assert "2 finding(s)" in done.stderr


def test_the_code_base_keeps_every_rule():
    findings = check_paths([ROOT / "civicgrid"])
    assert findings == [], "\n".join(map(str, findings))


def test_a_file_of_another_checkout_is_judged_by_its_place_in_the_package(tmp_path):
    other = tmp_path / "wt" / "civicgrid" / "geo" / "models.py"
    other.parent.mkdir(parents=True)
    other.write_text("from civicgrid.cases.models import Case\n")
    assert [(f.path, f.rule) for f in check_paths([other])] == [
        ("civicgrid/geo/models.py", "app-order-imports")
    ]
