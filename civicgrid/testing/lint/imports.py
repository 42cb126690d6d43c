"""app-order-imports: an app imports only itself and the apps its paragraph in
docs/architecture.md names ("Imports `core`, `geo`."), which are all listed before it: arrows point
down the list. The document is the single source; `app_order()` reads it.

Tests (`tests/`, `test_*.py`, conftest) may import any app and `civicgrid.testing`: they drive the
whole system. Migrations and management commands are their app's code and follow its rule. The
project's own modules (`civicgrid/urls.py`, `settings.py` …) wire the apps together and import any.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .base import Example, Module, Rule

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "architecture.md"
_PARAGRAPH = re.compile(r"^\*\*(?P<app>[a-z0-9_]+)\*\* — (?P<text>.*?)(?=\n\s*\n|\Z)", re.M | re.S)
# "Imports `core`, `geo`." / "Imports no other app." — up to the end of the sentence or clause.
_IMPORTS = re.compile(r"\bImports\b(?P<clause>[^.;]*)")
_NAME = re.compile(r"`([a-z0-9_]+)`")


class DocError(ValueError):
    """docs/architecture.md does not say, in the expected form, what an app imports."""


@dataclass(frozen=True)
class AppOrder:
    apps: tuple[str, ...]  # in the document's order
    imports: dict[str, frozenset[str]]  # app → what it may import besides itself


def parse_order(text: str, project_modules: frozenset[str]) -> AppOrder:
    apps: list[str] = []
    imports: dict[str, frozenset[str]] = {}
    for match in _PARAGRAPH.finditer(text):
        app, paragraph = match["app"], " ".join(match["text"].split())
        sentences = _IMPORTS.findall(paragraph)
        if len(sentences) != 1:
            raise DocError(
                f"the paragraph of **{app}** needs one sentence “Imports `a`, `b`.” ({len(sentences)})"
            )
        names = frozenset(_NAME.findall(sentences[0]))
        for name in names:
            if name not in apps and name not in project_modules:
                raise DocError(f"**{app}** imports `{name}`, which is not an app listed before it")
        apps.append(app)
        imports[app] = names
    if not apps:
        raise DocError("no app paragraphs (**app** — …) found")
    return AppOrder(tuple(apps), imports)


def _project_modules() -> frozenset[str]:
    return frozenset(path.stem for path in (ROOT / "civicgrid").glob("*.py") if path.stem != "__init__")


@cache
def app_order() -> AppOrder:
    return parse_order(DOC.read_text(encoding="utf-8"), _project_modules())


def _targets(node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The `civicgrid.<name>` an absolute import names: `civicgrid.x.y` → x, `from civicgrid import x` → x."""
    if isinstance(node, ast.Import):
        dotted_names = [alias.name for alias in node.names]
    elif node.module == "civicgrid":
        dotted_names = [f"civicgrid.{alias.name}" for alias in node.names]
    else:
        dotted_names = [node.module or ""]
    for name in dotted_names:
        parts = name.split(".")
        if parts[0] == "civicgrid" and len(parts) > 1:
            yield parts[1]


def check(module: Module) -> Iterator[tuple[ast.stmt | ast.expr, str]]:
    order = app_order()
    app = module.app
    assert app is not None
    allowed = order.imports.get(app)
    for node in module.nodes:
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            # civicgrid/<app>/a/b.py may go up len(parts) - 2 levels and stay in the app.
            if node.level > len(module.parts) - 2:
                yield node, "relative import leaves the app: import civicgrid.<app> absolutely"
            continue
        for target in _targets(node):
            if target == app:
                continue
            if allowed is None:
                yield node, f"{app} has no paragraph in docs/architecture.md saying what it imports"
            elif target not in allowed:
                may = ", ".join(sorted(allowed)) or "no other app"
                yield node, f"{app} may not import civicgrid.{target} (docs/architecture.md: {may})"


RULE = Rule(
    id="app-order-imports",
    waiver="allow-import",
    applies=lambda module: module.app is not None and not module.is_test,
    check=check,
    good=(
        Example(
            "civicgrid/geo/services.py",
            """\
from django.db import transaction

from civicgrid.core import clock
from civicgrid.geo.models import Area
from civicgrid.geo import index

from .models import Building
from . import index as idx
import civicgrid.core.querysets
""",
        ),
        Example(
            "civicgrid/cases/management/commands/check_deadlines.py",
            "from civicgrid.cases.actions import deadline_job\nfrom civicgrid.orgs.models import Unit\n",
        ),
        Example(  # tests drive the whole system
            "civicgrid/core/tests/test_privacy.py",
            "from civicgrid.cases.models import Case\nfrom civicgrid.testing import factories\n",
        ),
        Example(
            "civicgrid/urls.py", "from civicgrid.api.urls import api\nfrom civicgrid.accounts import views\n"
        ),
        Example("civicgrid/testing/paused_worker.py", "from civicgrid.celery import app\n"),
    ),
    bad=(
        Example(
            "civicgrid/core/models.py",
            """\
from django.db import models

from civicgrid.geo.models import Area  # <-
import civicgrid.cases.models  # <-
from civicgrid import orgs  # <-
from ..cases import models as case_models  # <-
from ...elsewhere import thing  # <-
from . import fields
""",
        ),
        Example(
            "civicgrid/geo/migrations/0009_fill.py",
            "def fill(apps, schema_editor):\n    from civicgrid.cases.models import Case  # <-\n",
        ),
        Example(
            "civicgrid/cases/views/staff.py",
            """\
from civicgrid.insights import metrics  # <-
from civicgrid.testing.factories import build_world  # <-
from civicgrid.celery import app  # <-
from ...orgs.models import Unit  # <-
""",
        ),
        # An app without a paragraph in docs/architecture.md may import nothing.
        Example("civicgrid/undeclared/models.py", "from civicgrid.core.models import Event  # <-\n"),
    ),
)
