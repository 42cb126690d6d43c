"""The frame every rule shares: a parsed module, findings, waivers and the examples a rule ships
with. Rules read the AST (and the comment tokens for waivers), never the source as text."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath

# `# lint: allow-write (why)`; the reason is what makes a waiver reviewable, so it is required.
WAIVER = re.compile(r"^#\s*lint:\s*(?P<kind>allow-[a-z-]+)\s*(?:\((?P<reason>[^)]*)\))?")


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule} {self.message}"


@dataclass(frozen=True)
class Example:
    """A module under a made-up path. Every line ending in `# <-` must be flagged by the rule
    that ships the example, and no other line."""

    path: str
    source: str

    def expected_lines(self) -> list[int]:
        return [n for n, line in enumerate(self.source.splitlines(), 1) if line.rstrip().endswith("# <-")]


@dataclass(frozen=True)
class Rule:
    id: str
    waiver: str  # the `allow-…` word that waives it on a line
    applies: Callable[[Module], bool]
    check: Callable[[Module], Iterator[tuple[ast.stmt | ast.expr, str]]]  # the node flagged, why
    good: tuple[Example, ...] = ()
    bad: tuple[Example, ...] = ()


@dataclass
class Module:
    path: str  # posix, relative to the repository root
    source: str

    @cached_property
    def tree(self) -> ast.Module:
        return ast.parse(self.source, filename=self.path)

    @cached_property
    def nodes(self) -> list[ast.AST]:
        """Every node, walked once for all the rules."""
        return list(ast.walk(self.tree))

    @cached_property
    def parts(self) -> tuple[str, ...]:
        return PurePosixPath(self.path).parts

    @property
    def app(self) -> str | None:
        """The app (or `testing`) a module of the package belongs to; None for the project's own
        modules (civicgrid/settings.py, urls.py …) and anything outside the package."""
        return self.parts[1] if len(self.parts) > 2 and self.parts[0] == "civicgrid" else None

    @property
    def is_test(self) -> bool:
        name = self.parts[-1]
        return "tests" in self.parts or name.startswith("test_") or name == "conftest.py"

    @property
    def is_handler(self) -> bool:
        """A view or API handler module: `views.py`, `*_views.py`, `views/*`, `api.py`, `api/*`
        of an app (the api package is the ninja root and its handlers too)."""
        if self.app is None or self.app == "testing" or self.is_test:
            return False
        stem = PurePosixPath(self.path).stem
        return (
            stem in {"views", "api"}
            or stem.endswith("_views")
            or any(part in {"views", "api"} for part in self.parts[1:-1])
        )

    @cached_property
    def parents(self) -> dict[ast.AST, ast.AST]:
        return {child: node for node in self.nodes for child in ast.iter_child_nodes(node)}

    @cached_property
    def waivers(self) -> dict[int, tuple[str, str, bool]]:
        """line → (kind, reason, alone): `alone` when the comment is the whole line, and then it
        also covers the next line (room for a reason a trailing comment has no space for)."""
        found: dict[int, tuple[str, str, bool]] = {}
        if "lint:" not in self.source:
            return found  # no waiver can be in it: spare the tokenizer
        for tok in tokenize.generate_tokens(io.StringIO(self.source).readline):
            if tok.type == tokenize.COMMENT and (match := WAIVER.search(tok.string)):
                alone = not tok.line[: tok.start[1]].strip()
                found[tok.start[0]] = (match["kind"], (match["reason"] or "").strip(), alone)
        return found


def check_module(module: Module, rules: tuple[Rule, ...], every_waiver: frozenset[str]) -> list[Finding]:
    """The findings of `rules` on the module; `every_waiver` tells a waiver of a rule not run
    here from a misspelt one."""
    findings: list[Finding] = []
    used: set[int] = set()
    waivers = module.waivers
    ran = {rule.waiver for rule in rules}
    checked = {rule.waiver for rule in rules if rule.applies(module)}
    for rule in rules:
        if not rule.applies(module):
            continue
        for node, message in rule.check(module):
            line = node.lineno
            waiver = _waiver_for(waivers, line, rule.waiver)
            if waiver is None:
                findings.append(Finding(module.path, line, rule.id, message))
            else:
                used.add(waiver)
    for line, (kind, reason, _alone) in waivers.items():
        if kind not in every_waiver:
            known = ", ".join(sorted(every_waiver))
            findings.append(Finding(module.path, line, "unknown-waiver", f"{kind} is none of {known}"))
        elif kind not in ran:
            continue  # its rule is not part of this run
        elif not reason:
            findings.append(
                Finding(module.path, line, "waiver-needs-reason", f"# lint: {kind} (…) needs a reason")
            )
        elif kind not in checked or line not in used:
            findings.append(
                Finding(module.path, line, "unused-waiver", f"{kind} waives nothing here: remove it")
            )
    return sorted(findings)


def _waiver_for(waivers: dict[int, tuple[str, str, bool]], line: int, kind: str) -> int | None:
    for at in (line, line - 1):
        waiver = waivers.get(at)
        if waiver and waiver[0] == kind and waiver[1] and (at == line or waiver[2]):
            return at
    return None


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` for a chain of names and attributes, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and (base := dotted(node.value)):
        return f"{base}.{node.attr}"
    return None
