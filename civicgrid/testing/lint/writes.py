"""writes-through-actions: a view or API handler never writes a model itself; writes go through the
app's actions (one transaction, the event and audit rows). `form.save()` counts as a write too."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from .base import Example, Module, Rule, dotted

_WRITES = (
    "save",
    "delete",
    "create",
    "update",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
)
WRITE_METHODS = frozenset({*_WRITES, *(f"a{name}" for name in _WRITES)})  # and Django's async twins
# Values and annotations that make a name obviously not a model, queryset or form: `context.update()`.
_PLAIN_CALLS = frozenset({"dict", "set", "list", "defaultdict", "Counter", "OrderedDict", "get_context_data"})
_PLAIN_TYPES = frozenset({"dict", "set", "list", "Mapping", "MutableMapping", "defaultdict", "Counter"})
_PLAIN_VALUES = (ast.Dict, ast.Set, ast.List, ast.DictComp, ast.SetComp, ast.ListComp)


def _is_plain_value(value: ast.AST | None) -> bool:
    if isinstance(value, _PLAIN_VALUES):
        return True
    if isinstance(value, ast.Call):
        name = dotted(value.func) or (value.func.attr if isinstance(value.func, ast.Attribute) else "")
        return name.rsplit(".", 1)[-1] in _PLAIN_CALLS
    return False


def _is_plain_type(annotation: ast.AST | None) -> bool:
    if isinstance(annotation, ast.Subscript):
        annotation = annotation.value
    name = dotted(annotation) if annotation is not None else None
    return name is not None and name.rsplit(".", 1)[-1] in _PLAIN_TYPES


def _plain_names(scope: ast.AST) -> set[str]:
    """Names that every binding in the scope makes a plain dict, set or list, and names the scope
    assigns items to (`context["x"] = …`: a mapping; no model, queryset or form takes that)."""
    plain: dict[str, bool] = {}
    mappings: set[str] = set()

    def bind(name: str, is_plain: bool) -> None:
        plain[name] = plain.get(name, True) and is_plain

    if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
        args = scope.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            bind(arg.arg, _is_plain_type(arg.annotation))
        if args.kwarg:
            bind(args.kwarg.arg, True)
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    bind(target.id, _is_plain_value(node.value))
                # `reporter["error"], status = …` assigns an item too
                for part in ast.walk(target):
                    if isinstance(part, ast.Subscript) and isinstance(part.value, ast.Name):
                        mappings.add(part.value.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            bind(node.target.id, _is_plain_type(node.annotation) or _is_plain_value(node.value))
    return {name for name, is_plain in plain.items() if is_plain} | mappings


def _enclosing_function(module: Module, node: ast.AST) -> ast.AST:
    while node in module.parents:
        node = module.parents[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return node
    return module.tree


def _decorators(module: Module) -> set[ast.AST]:
    return {
        decorator
        for node in module.nodes
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        for decorator in node.decorator_list
    }


def check(module: Module) -> Iterator[tuple[ast.stmt | ast.expr, str]]:
    decorators = _decorators(module)  # `@router.delete(...)` declares a route, it writes nothing
    scopes: dict[ast.AST, set[str]] = {}
    for node in module.nodes:
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITE_METHODS
            and node not in decorators
        ):
            continue
        receiver = node.func.value
        if _is_plain_value(receiver):
            continue
        if isinstance(receiver, ast.Name):
            scope = _enclosing_function(module, node)
            if scope not in scopes:
                scopes[scope] = _plain_names(scope)
            if receiver.id in scopes[scope]:
                continue
        what = dotted(receiver) or ast.unparse(receiver)
        yield node, f"{what}.{node.func.attr}() writes from a view or API handler: call an action"


RULE = Rule(
    id="writes-through-actions",
    waiver="allow-write",
    applies=lambda module: module.is_handler,
    check=check,
    good=(
        Example(
            "civicgrid/cases/views/staff.py",
            """\
from civicgrid.cases import actions


def close(request, number):
    case = actions.close_case(request.user, number)  # the action writes
    context = {"case": case}
    context.update(extra=1)
    seen: set[int] = set()
    seen.update({1, 2})
    return render(request, "x.html", context)


def options(request, **kwargs):
    kwargs.update(page=1)
    {"a": 1}.update(b=2)
    reporter = reporter_view(request)
    reporter["error"], status = None, 400
    reporter.update(phone="")
""",
        ),
        Example(
            "civicgrid/webhooks/api.py",
            """\
@router.delete("/webhooks/{pk}")
def remove(request, pk):
    return actions.remove_subscription(request.auth, pk)
""",
        ),
        Example(
            "civicgrid/orgs/views.py",
            """\
def import_units(request):
    # lint: allow-write (the example shows a waiver with a reason)
    Unit.objects.create(name="x")
    Unit.objects.filter(pk=1).update(name="y")  # lint: allow-write (and a trailing one)
""",
        ),
        Example(  # not a view: actions are where writes belong
            "civicgrid/orgs/actions.py",
            "def rename(unit, name):\n    unit.name = name\n    unit.save()\n",
        ),
    ),
    bad=(
        Example(
            "civicgrid/orgs/views.py",
            """\
def edit(request, pk):
    unit = Unit.objects.restrict(request.user, "change").get(pk=pk)
    unit.name = request.POST["name"]
    unit.save()  # <-
    Unit.objects.restrict(request.user, "change").filter(pk=pk).update(name="x")  # <-
    Unit.objects.create(name="y")  # <-
    unit.delete()  # <-
    Unit.objects.bulk_create([])  # <-
    Unit.objects.bulk_update([], ["name"])  # <-
    Unit.objects.get_or_create(name="z")  # <-
    Unit.objects.update_or_create(name="z")  # <-
""",
        ),
        Example(
            "civicgrid/accounts/views.py",
            """\
def profile(request):
    form = ProfileForm(request.POST, instance=request.user)
    if form.is_valid():
        form.save()  # <-
    context = {"form": form}
    context = build()
    context.update(x=1)  # <-
""",
        ),
        Example(
            "civicgrid/cases/api/photos.py",
            """\
async def upload(request, number):
    photo = await Photo.objects.acreate()  # <-
    Photo.objects.restrict(request.auth, "change").get(pk=1).delete()  # <-
""",
        ),
        Example(
            "civicgrid/core/job_views.py",
            """\
def cancel(request, pk):
    # lint: allow-write
    Job.objects.filter(pk=pk).delete()  # <-
""",
        ),
    ),
)
