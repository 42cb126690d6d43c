"""The project's own lint rules, read from the AST (after Zulip's tools/linter_lib custom checks,
which ship good and bad lines with each rule): writes go through actions, views restrict their
queries, apps import down the order of docs/architecture.md, spreadsheet cells are written behind
the injection guard. `python -m civicgrid.testing.lint [paths]` (run by `make lint`) prints
`path:line: rule-id message` and exits 1 when it finds anything; a line is waived with
`# lint: allow-<word> (reason)` on it or alone on the line above. Each rule's examples run in
civicgrid/testing/lint/tests/, and one test there checks the whole code base.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from . import imports, restrict, sheets, writes
from .base import Finding, Module, Rule, check_module

RULES: tuple[Rule, ...] = (writes.RULE, restrict.RULE, imports.RULE, sheets.RULE)
ROOT = imports.ROOT

__all__ = ["RULES", "Finding", "check_paths", "check_source"]


def check_source(source: str, path: str, rules: tuple[Rule, ...] = RULES) -> list[Finding]:
    return check_module(Module(path, source), rules, frozenset(rule.waiver for rule in RULES))


def _files(paths: Iterable[Path]) -> Iterable[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.py") if not {".venv", "node_modules"} & set(p.parts))
        else:
            yield path


def _repo_path(file: Path) -> str:
    """The path the rules judge by: from the repository root, or, for a file of another checkout
    (another worktree), from its `civicgrid` package on."""
    resolved = file.resolve()
    if resolved.is_relative_to(ROOT):
        return resolved.relative_to(ROOT).as_posix()
    parts = resolved.parts
    start = max((i for i, part in enumerate(parts) if part == "civicgrid"), default=len(parts) - 1)
    return "/".join(parts[start:])


def check_paths(paths: Iterable[Path]) -> list[Finding]:
    findings: list[Finding] = []
    for file in _files(paths):
        findings += check_source(file.read_text(encoding="utf-8"), _repo_path(file))
    return findings
