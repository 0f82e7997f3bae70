"""Layers a newcomer can see (issue #12): each layer imports only the layers below it.

``core`` (rules as data, the session model, the engines) is pure; ``formulas`` (the Excel twin
of each engine rule) reads only ``core``; ``io`` (every boundary) never reaches the workbook, the
commands or the CLI; ``workbook`` places cells and calls ``formulas``, below the commands and the
CLI. Imports are read with :mod:`ast` (inside functions too), so a lazy import counts.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "billing_model"

#: layer -> modules (of billing_model, or third-party top-level names) it must not import
FORBIDDEN = {
    "core": ("billing_model.io", "billing_model.workbook", "billing_model.formulas",
             "billing_model.commands", "billing_model.cli", "billing_model.dask_engine",
             "billing_model.output", "billing_model.progress", "openpyxl", "xlwings", "rich",
             "pyarrow", "dask", "distributed"),
    "io": ("billing_model.workbook", "billing_model.commands", "billing_model.cli",
           "billing_model.output", "billing_model.dask_engine", "billing_model.service"),
    "workbook": ("billing_model.commands", "billing_model.cli"),
    "service": ("billing_model.workbook", "billing_model.commands", "billing_model.cli",
                "billing_model.udfs"),
}
#: formulas import only core (the rule tables) and themselves
ALLOWED = {"formulas": ("billing_model.core", "billing_model.formulas")}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, name: str, *, is_package: bool = False) -> set[str]:
    """Every module ``source`` imports (absolute names; relative imports resolved from ``name``)."""
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            # ``from billing_model import cli`` imports the module billing_model.cli
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def violations(layer: str, found: set[str]) -> list[str]:
    def under(module: str, prefix: str) -> bool:
        return module == prefix or module.startswith(prefix + ".")

    bad = [m for m in found for p in FORBIDDEN.get(layer, ()) if under(m, p)]
    if layer in ALLOWED:
        bad += [m for m in found if m.startswith("billing_model")
                and not any(under(m, p) for p in ALLOWED[layer])]
    return sorted(set(bad))


LAYERED = sorted([*(p for layer in ("core", "formulas", "io", "workbook")
                   for p in (PACKAGE / layer).rglob("*.py")), PACKAGE / "service.py"])


def test_every_layer_has_modules():
    assert {p.relative_to(PACKAGE).with_suffix("").parts[0] for p in LAYERED} == {
        "core", "formulas", "io", "workbook", "service"}
    assert len(LAYERED) > 25


@pytest.mark.parametrize("path", LAYERED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_layer_imports_only_what_is_below_it(path):
    layer = path.relative_to(PACKAGE).with_suffix("").parts[0]
    found = imports(path.read_text(encoding="utf-8"), module_name(path),
                    is_package=path.name == "__init__.py")
    assert violations(layer, found) == []


@pytest.mark.parametrize(("layer", "module", "line", "caught"), [
    ("core", "billing_model.core.usage", "from ..io.sessions import read_sessions",
     "billing_model.io.sessions"),
    ("core", "billing_model.core.storage", "import openpyxl", "openpyxl"),
    ("core", "billing_model.core.money", "    from rich.console import Console", "rich.console"),
    ("core", "billing_model.core.periods", "from ..output import atomic_path",
     "billing_model.output"),
    ("core", "billing_model.core.invoices", "from billing_model import cli", "billing_model.cli"),
    ("formulas", "billing_model.formulas.money", "from ..io.atomic import atomic_path",
     "billing_model.io.atomic"),
    ("formulas", "billing_model.formulas.storage", "from ..scenario import Scenario",
     "billing_model.scenario"),
    ("io", "billing_model.io.sessions", "from ..workbook import build_workbook",
     "billing_model.workbook"),
    ("io", "billing_model.io.libreoffice", "from ..commands import demo",
     "billing_model.commands"),
    ("workbook", "billing_model.workbook.build", "from ..cli import main", "billing_model.cli"),
])
def test_a_forbidden_import_is_caught(layer, module, line, caught):
    source = f"def f():\n{line}\n" if line.startswith(" ") else line
    assert caught in violations(layer, imports(source, module))


@pytest.mark.parametrize(("layer", "module", "line"), [
    ("core", "billing_model.core.usage", "from .sessions import Sessions"),
    ("formulas", "billing_model.formulas.invoices", "from ..core.invoices import TIMING"),
    ("io", "billing_model.io.sessions", "from ..core.sessions import combine"),
    ("workbook", "billing_model.workbook.usage", "from ..formulas import periods as fp"),
])
def test_an_import_from_below_is_allowed(layer, module, line):
    assert violations(layer, imports(line, module)) == []


def _graph() -> dict[str, set[str]]:
    """Module -> the billing_model modules it imports (lazy ones inside functions too)."""
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        found = imports(path.read_text(encoding="utf-8"), name,
                        is_package=path.name == "__init__.py")
        graph[name] = {m for m in found if m in paths and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle of ``graph`` (strongly connected sets of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out = []

    def visit(node: str) -> None:  # Tarjan's algorithm, recursive: the package is small
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


#: circles being taken apart in another branch (the usage engine's rework): core/pieces.py
#: names core/usage.py's ``Window`` for type checking only
ELSEWHERE = {"billing_model.core.pieces", "billing_model.core.usage"}


def test_no_import_circles():
    """No module imports another that imports it back, directly or through others, lazily or
    at the bottom of the file (issue #22: io/scenario.py and its helpers did)."""
    assert [c for c in cycles(_graph()) if not set(c) <= ELSEWHERE] == []


def test_a_circle_is_found():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


# --- io reads and writes; the engines run in core, called by billing_model.service (issue #22) ----
#: the engines' entry points: what computes billing figures from read data
ENGINES = {
    "billing_model.core.usage": ("compute_usage", "partial_usage", "finalize_usage",
                                 "concurrency_profile"),
    "billing_model.core.invoices": ("invoice_schedule", "contract_figures", "first_year_cost"),
    "billing_model.core.storage": ("storage_forecast", "storage_daily", "max_retention"),
    "billing_model.core.compare": ("compare_models",),
    "billing_model.core.voice": ("voice_telephony",),
}
#: where io still runs an engine, and why: loading a scenario counts the users of its session
#: file and prices its voice report (the scenario's figures are those counts); moving them out
#: of the loader is the rest of issue #22's "io reads and writes"
IO_RUNS_ENGINE = {("scenario_sessions.py", "compute_usage"), ("voice_report.py", "voice_telephony")}


def engine_calls(source: str, name: str) -> set[str]:
    """The engine entry points a module imports (by name, or the module whose entry it uses)."""
    package = name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            found.update(a.name for a in node.names if a.name in ENGINES.get(module, ()))
    return found


def test_io_reads_and_writes_and_runs_no_engine():
    runs = {(path.name, entry) for path in sorted((PACKAGE / "io").rglob("*.py"))
            for entry in engine_calls(path.read_text(encoding="utf-8"), module_name(path))}
    assert runs == IO_RUNS_ENGINE  # a new one fails, and so does a stale exception


@pytest.mark.parametrize(("module", "line", "caught"), [
    ("billing_model.io.cells", "from billing_model.core.usage import Window, finalize_usage",
     {"finalize_usage"}),
    ("billing_model.io.scenario_values", "    from ..core.invoices import invoice_schedule",
     {"invoice_schedule"}),
    ("billing_model.io.scenario_values", "from ..core.invoices import COLUMNS", set()),
])
def test_an_engine_call_in_io_is_caught(module, line, caught):
    source = f"def f():\n{line}\n" if line.startswith(" ") else line
    assert engine_calls(source, module) == caught
