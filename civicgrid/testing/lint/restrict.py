"""restrict-in-views: every query a view or API handler starts from a model goes through
`restrict(user, action)` (permissions at the queryset layer), in the same call chain."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from .base import Example, Module, Rule, dotted
from .writes import WRITE_METHODS

MANAGERS = frozenset({"objects", "_default_manager"})
SHORTCUTS = frozenset({"get_object_or_404", "get_list_or_404", "aget_object_or_404", "aget_list_or_404"})

# Models that hold no row of anyone's: nothing to scope. The one place they are declared.
UNSCOPED = {
    "ContentType": "Django's table of model names, the same for every user",
    "Category": "the city's category tree, one for every street (scope_q is Q()); public forms list it",
}
# A chain through one of these is scoped: `restrict()`, or `allows()`, which asks the same question.
SCOPING = frozenset({"restrict", "allows"})
# A query passed to these only narrows the query it is part of, which is checked itself: a
# prefetch of the restricted rows' children, a subquery in their filter.
NARROWING = frozenset({"Prefetch", "filter", "exclude", "Q", "Exists", "Subquery"})


def _chain_top(module: Module, node: ast.AST) -> tuple[ast.AST, set[str]]:
    """Climb `X.objects.a(...).b(...)` to its outermost link; the attribute names on the way."""
    names: set[str] = set()
    while (parent := module.parents.get(node)) is not None:
        if isinstance(parent, ast.Attribute) and parent.value is node:
            names.add(parent.attr)
        elif not (isinstance(parent, ast.Call) and parent.func is node):
            break
        node = parent
    return node, names


def _narrows(module: Module, top: ast.AST) -> bool:
    """Whether the query is (within) an argument of a NARROWING call of the same statement:
    `Prefetch("events", queryset=public_events(CaseEvent.objects.all()))` is."""
    node, parent = top, module.parents.get(top)
    while parent is not None and not isinstance(parent, ast.stmt):
        if isinstance(parent, ast.Call) and node is not parent.func:
            func = parent.func
            name = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else ""
            )
            if name in NARROWING:
                return True
        node, parent = parent, module.parents.get(parent)
    return False


def _model_name(node: ast.AST) -> str:
    return (dotted(node) or ast.unparse(node)).rsplit(".", 1)[-1]


def check(module: Module) -> Iterator[tuple[ast.stmt | ast.expr, str]]:
    for node in module.nodes:
        if isinstance(node, ast.Attribute) and node.attr in MANAGERS:
            model = _model_name(node.value)
            top, names = _chain_top(module, node)
            # A write (`Model.objects.create()`) is writes-through-actions' to flag.
            if not (names & (WRITE_METHODS | SCOPING) or model in UNSCOPED or _narrows(module, top)):
                yield node, f"{model}.{node.attr} without restrict(user, action) in a view or API handler"
        elif isinstance(node, ast.Call) and node.args:
            func = dotted(node.func) or ""
            first = node.args[0]
            if func.rsplit(".", 1)[-1] in SHORTCUTS and isinstance(first, ast.Name | ast.Attribute):
                model = _model_name(first)
                # A class name (a model), not a variable holding an already restricted queryset.
                if model[:1].isupper() and model not in UNSCOPED:
                    yield (
                        node,
                        f"{func}({model}, …) without restrict(): pass Model.objects.restrict(user, action)",
                    )


RULE = Rule(
    id="restrict-in-views",
    waiver="allow-unrestricted",
    applies=lambda module: module.is_handler,
    check=check,
    good=(
        Example(
            "civicgrid/orgs/views.py",
            """\
from django.shortcuts import get_object_or_404


def unit(request, pk):
    unit = get_object_or_404(Unit.objects.restrict(request.user, "view"), pk=pk)
    units = Unit.objects.filter(active=True).restrict(request.user, "view").order_by("name")
    visible = Unit.objects.restrict(request.user, "view")
    mine = get_object_or_404(visible, pk=pk)
    kinds = ContentType.objects.get_for_model(Unit)
    if not Unit.objects.all().allows(request.user, "add"):
        raise Http404
    streets = units.prefetch_related(Prefetch("streets", queryset=Area.objects.order_by("code")))
    near = units.filter(pk__in=Unit.objects.filter(kind="x").values("pk"))
    near = units.filter(Q(pk__in=Unit.objects.values("pk")) | Q(street=None))
    shown = units.prefetch_related(Prefetch("events", queryset=public(Event.objects.all())))
    return render(request, "x.html", {"unit": unit, "units": units, "kinds": kinds, "mine": mine})
""",
        ),
        Example(
            "civicgrid/cases/views/public.py",
            """\
def follow(request):
    # lint: allow-unrestricted (public look-up by number and phone digits)
    case = Case.objects.filter(number=request.GET["number"]).first()
""",
        ),
        Example(  # not a view: querysets and actions scope in their own way
            "civicgrid/cases/routing.py",
            "def rules():\n    return DutyRule.objects.all()\n",
        ),
    ),
    bad=(
        Example(
            "civicgrid/orgs/views.py",
            """\
from django.shortcuts import get_object_or_404, get_list_or_404


def unit(request, pk):
    unit = get_object_or_404(Unit, pk=pk)  # <-
    units = Unit.objects.all()  # <-
    units = Unit.objects.filter(active=True).order_by("name")  # <-
    first = Unit._default_manager.first()  # <-
    same = get_list_or_404(models.Unit, active=True)  # <-
    qs = Unit.objects.all()  # <-
    later = qs.restrict(request.user, "view")
    serving = Unit.objects.filter(kind="x").values("pk")  # <-
    near = later.filter(pk__in=serving)
    listed = list(Unit.objects.order_by("name"))  # <-
    named = sorted(Unit.objects.all(), key=str)  # <-
""",
        ),
        Example(
            "civicgrid/geo/api.py",
            """\
@router.get("/areas")
def areas(request):
    return list(Area.objects.values("code"))  # <-


class Listing:
    queryset = Building.objects.all()  # <-
""",
        ),
    ),
)
