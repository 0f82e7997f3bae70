"""Layers a newcomer can see (issue #12): each layer imports only the layers below it.

``core`` (rules as data, the session model, the engines) is pure; ``formulas`` (the Excel twin
of each engine rule) reads only ``core``; ``io`` (every boundary) never reaches the workbook, the
commands or the CLI; ``workbook`` places cells and calls ``formulas``, below the commands and the
CLI. Imports are read with :mod:`ast` (inside functions too), so a lazy import counts.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "billing_model"

#: layer -> modules (of billing_model, or third-party top-level names) it must not import
FORBIDDEN = {
    "core": ("billing_model.io", "billing_model.workbook", "billing_model.formulas",
             "billing_model.commands", "billing_model.cli", "billing_model.dask_engine",
             "billing_model.output", "billing_model.progress", "openpyxl", "xlwings", "rich",
             "pyarrow", "dask", "distributed"),
    "io": ("billing_model.workbook", "billing_model.commands", "billing_model.cli",
           "billing_model.output", "billing_model.dask_engine"),
    "workbook": ("billing_model.commands", "billing_model.cli"),
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


LAYERED = sorted(p for layer in ("core", "formulas", "io", "workbook")
                 for p in (PACKAGE / layer).rglob("*.py"))


def test_every_layer_has_modules():
    assert {p.parent.name for p in LAYERED} == {"core", "formulas", "io", "workbook"}
    assert len(LAYERED) > 25


@pytest.mark.parametrize("path", LAYERED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_layer_imports_only_what_is_below_it(path):
    layer = path.relative_to(PACKAGE).parts[0]
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


# --- habits (issue #22): a type checker's silencing says which error and why ------------------

#: an ignore comment names mypy's error code(s) in brackets, then the reason in a second comment
#: (a bare one hides every error of its line, today's and tomorrow's, and tells no reader why)
_IGNORE = re.compile(r"\btype:\s*ignore\b")
_REASONED = re.compile(r"#\s*type:\s*ignore\[[a-z0-9-]+(,\s*[a-z0-9-]+)*\]\s+#\s*\S.*")


def unexplained_ignores(source: str) -> list[int]:
    """Lines of ``source`` with a ``type: ignore`` comment lacking its code or its reason (read
    from the comments only: a string that mentions one is no ignore)."""
    return [token.start[0]
            for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type == tokenize.COMMENT and _IGNORE.search(token.string)
            and not _REASONED.fullmatch(token.string)]


SOURCES = sorted(p for top in ("billing_model", "udfs", "tests", "benchmarks")
                 for p in (ROOT / top).rglob("*.py"))


def test_every_type_ignore_gives_its_code_and_reason():
    found = {str(p.relative_to(ROOT)): lines for p in SOURCES
             if (lines := unexplained_ignores(p.read_text(encoding="utf-8")))}
    assert len(SOURCES) > 100
    assert found == {}


@pytest.mark.parametrize(("line", "caught"), [
    ("x = f()  # type: ignore", True),
    ("x = f()  # type: ignore[arg-type]", True),  # which error, but not why
    ("x = f()  # type: ignore  # the stubs are wrong", True),  # why, but every error of the line
    ("x = f()  #type:ignore[assignment]", True),
    ("x = f()  # type: ignore[arg-type]  # pandas-stubs type .at as any scalar", False),
    ("x = f()  # type: ignore[arg-type, union-attr]  # openpyxl: a cell or a merged cell", False),
    ('x = "# type: ignore"', False),  # text, not a comment
    ("x = f()  # the type: ignored here", False),
])
def test_an_unexplained_ignore_is_caught(line, caught):
    assert unexplained_ignores(line + "\n") == ([1] if caught else [])
