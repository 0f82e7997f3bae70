"""Layers a newcomer can see (issue #12): each layer imports only the layers below it.

``core`` (rules as data, the session model, the engines) is pure; ``formulas`` (the Excel twin
of each engine rule) reads only ``core``; ``io`` (every boundary) never reaches the workbook, the
commands or the CLI; ``workbook`` places cells and calls ``formulas``, below the commands and the
CLI. Imports are read with :mod:`ast` (inside functions too), so a lazy import counts.

Habits (issue #22): no two modules import each other, directly or through others; no
``type: ignore`` without its error code and the reason beside it.
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
    "core": (
        "billing_model.io",
        "billing_model.workbook",
        "billing_model.formulas",
        "billing_model.commands",
        "billing_model.cli",
        "billing_model.dask_engine",
        "billing_model.dask_shuffle",
        "billing_model.output",
        "billing_model.progress",
        "openpyxl",
        "xlwings",
        "rich",
        "pyarrow",
        "dask",
        "distributed",
    ),
    "io": (
        "billing_model.workbook",
        "billing_model.commands",
        "billing_model.cli",
        "billing_model.output",
        "billing_model.dask_engine",
        "billing_model.dask_shuffle",
        "billing_model.service",
    ),
    "workbook": ("billing_model.commands", "billing_model.cli"),
    "service": (
        "billing_model.workbook",
        "billing_model.commands",
        "billing_model.cli",
        "billing_model.udfs",
    ),
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
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
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
        bad += [
            m
            for m in found
            if m.startswith("billing_model") and not any(under(m, p) for p in ALLOWED[layer])
        ]
    return sorted(set(bad))


LAYERED = sorted(
    [
        *(
            p
            for layer in ("core", "formulas", "io", "workbook")
            for p in (PACKAGE / layer).rglob("*.py")
        ),
        PACKAGE / "service.py",
    ]
)


def test_every_layer_has_modules():
    assert {p.relative_to(PACKAGE).with_suffix("").parts[0] for p in LAYERED} == {
        "core",
        "formulas",
        "io",
        "workbook",
        "service",
    }
    assert len(LAYERED) > 25


@pytest.mark.parametrize("path", LAYERED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_layer_imports_only_what_is_below_it(path):
    layer = path.relative_to(PACKAGE).with_suffix("").parts[0]
    found = imports(
        path.read_text(encoding="utf-8"), module_name(path), is_package=path.name == "__init__.py"
    )
    assert violations(layer, found) == []


@pytest.mark.parametrize(
    ("layer", "module", "line", "caught"),
    [
        (
            "core",
            "billing_model.core.usage",
            "from ..io.sessions import read_sessions",
            "billing_model.io.sessions",
        ),
        ("core", "billing_model.core.storage", "import openpyxl", "openpyxl"),
        (
            "core",
            "billing_model.core.money",
            "    from rich.console import Console",
            "rich.console",
        ),
        (
            "core",
            "billing_model.core.periods",
            "from ..output import atomic_path",
            "billing_model.output",
        ),
        (
            "core",
            "billing_model.core.invoices",
            "from billing_model import cli",
            "billing_model.cli",
        ),
        (
            "formulas",
            "billing_model.formulas.money",
            "from ..io.atomic import atomic_path",
            "billing_model.io.atomic",
        ),
        (
            "formulas",
            "billing_model.formulas.storage",
            "from ..scenario import Scenario",
            "billing_model.scenario",
        ),
        (
            "io",
            "billing_model.io.sessions",
            "from ..workbook import build_workbook",
            "billing_model.workbook",
        ),
        (
            "io",
            "billing_model.io.libreoffice",
            "from ..commands import demo",
            "billing_model.commands",
        ),
        ("workbook", "billing_model.workbook.build", "from ..cli import main", "billing_model.cli"),
    ],
)
def test_a_forbidden_import_is_caught(layer, module, line, caught):
    source = f"def f():\n{line}\n" if line.startswith(" ") else line
    assert caught in violations(layer, imports(source, module))


@pytest.mark.parametrize(
    ("layer", "module", "line"),
    [
        ("core", "billing_model.core.usage", "from .sessions import Sessions"),
        ("formulas", "billing_model.formulas.invoices", "from ..core.invoices import TIMING"),
        ("io", "billing_model.io.sessions", "from ..core.sessions import combine"),
        ("workbook", "billing_model.workbook.usage", "from ..formulas import periods as fp"),
    ],
)
def test_an_import_from_below_is_allowed(layer, module, line):
    assert violations(layer, imports(line, module)) == []


# --- no import cycles (issue #22): no two modules import each other, directly or through others --
#
# Every import counts, at module level or inside a function (a lazy import only moves the cycle
# to the first call); an import under ``if TYPE_CHECKING:`` does not (it never runs). An import
# is an edge to the module it names: ``from .core import usage`` to ``billing_model.core.usage``,
# ``from .usage import Window`` to ``billing_model.core.usage``; a package's ``__init__`` is a
# node of its own (importing a submodule runs it, but it only re-exports).


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (
        isinstance(test, ast.Name)
        and test.id == "TYPE_CHECKING"
        or isinstance(test, ast.Attribute)
        and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(
    source: str, name: str, known: set[str], *, is_package: bool = False
) -> set[str]:
    """The modules among ``known`` that ``source`` (module ``name``) imports when it runs."""
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.If) and _type_checking(node):
                visit(node.orelse)  # only the ``else`` of ``if TYPE_CHECKING`` runs
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:
                    parts = package.split(".")
                    module = ".".join(
                        parts[: len(parts) - node.level + 1]
                        + ([node.module] if node.module else [])
                    )
                for alias in node.names:
                    sub = f"{module}.{alias.name}"
                    found.add(sub if sub in known else module)
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                inner = getattr(node, field, None)
                if isinstance(inner, list):
                    visit(inner)

    visit(ast.parse(source).body)
    return {m for m in found if m in known and m != name}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each group of modules that import one another (a strongly connected component of more
    than one module), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan's algorithm (68 modules: recursion is fine)
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return sorted(groups)


def cycle_through(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """The shortest cycle from the group's first module back to it: ``[a, b, ..., a]``."""
    start, members = group[0], set(group)
    paths = {start: [start]}
    queue = [start]
    while start not in graph[queue[0]]:  # found: the group is strongly connected
        v = queue.pop(0)
        for w in sorted(graph[v] & members):
            if w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    return paths[queue[0]] + [start]


def package_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    known = set(paths)
    return {
        name: runtime_imports(
            path.read_text(encoding="utf-8"), name, known, is_package=path.name == "__init__.py"
        )
        for name, path in paths.items()
    }


def test_no_module_imports_itself_through_others():
    graph = package_graph()
    assert len(graph) > 60 and sum(map(len, graph.values())) > 150  # the graph was read
    groups = import_cycles(graph)
    assert groups == [], "import cycles:\n" + "\n".join(
        " -> ".join(cycle_through(graph, g)) for g in groups
    )


_A, _B, _C = "billing_model.a", "billing_model.b", "billing_model.c"


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        # directly, at module level
        ({_A: "from . import b", _B: "from .a import f", _C: ""}, [[_A, _B, _A]]),
        # through a third module, one of the imports inside a function
        (
            {
                _A: "from .b import g",
                _B: "def g():\n    import billing_model.c",
                _C: "from billing_model import a",
            },
            [[_A, _B, _C, _A]],
        ),
        # an import only for the type checker never runs: no cycle
        (
            {
                _A: "from . import b",
                _B: "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import A",
                _C: "",
            },
            [],
        ),
        # ... but its ``else`` does
        (
            {
                _A: "from . import b",
                _B: "if TYPE_CHECKING:\n    pass\nelse:\n    from . import a",
                _C: "",
            },
            [[_A, _B, _A]],
        ),
        # a chain is no cycle
        ({_A: "from . import b", _B: "from .c import h", _C: "import numpy"}, []),
    ],
)
def test_an_import_cycle_is_found(sources, expected):
    known = set(sources)
    graph = {name: runtime_imports(text, name, known) for name, text in sources.items()}
    assert [cycle_through(graph, g) for g in import_cycles(graph)] == expected


# --- habits (issue #22): a type checker's silencing says which error and why ------------------

#: an ignore comment names mypy's error code(s) in brackets, then the reason in a second comment
#: (a bare one hides every error of its line, today's and tomorrow's, and tells no reader why)
_IGNORE = re.compile(r"\btype:\s*ignore\b")
_REASONED = re.compile(r"#\s*type:\s*ignore\[[a-z0-9-]+(,\s*[a-z0-9-]+)*\]\s+#\s*\S.*")


def unexplained_ignores(source: str) -> list[int]:
    """Lines of ``source`` with a ``type: ignore`` comment lacking its code or its reason (read
    from the comments only: a string that mentions one is no ignore)."""
    return [
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
        and _IGNORE.search(token.string)
        and not _REASONED.fullmatch(token.string)
    ]


SOURCES = sorted(
    p
    for top in ("billing_model", "udfs", "tests", "benchmarks")
    for p in (ROOT / top).rglob("*.py")
)


def test_every_type_ignore_gives_its_code_and_reason():
    found = {
        str(p.relative_to(ROOT)): lines
        for p in SOURCES
        if (lines := unexplained_ignores(p.read_text(encoding="utf-8")))
    }
    assert len(SOURCES) > 100
    assert found == {}


@pytest.mark.parametrize(
    ("line", "caught"),
    [
        ("x = f()  # type: ignore", True),
        ("x = f()  # type: ignore[arg-type]", True),  # which error, but not why
        (
            "x = f()  # type: ignore  # the stubs are wrong",
            True,
        ),  # why, but every error of the line
        ("x = f()  #type:ignore[assignment]", True),
        ("x = f()  # type: ignore[arg-type]  # pandas-stubs type .at as any scalar", False),
        (
            "x = f()  # type: ignore[arg-type, union-attr]  # openpyxl: a cell or a merged cell",
            False,
        ),
        ('x = "# type: ignore"', False),  # text, not a comment
        ("x = f()  # the type: ignored here", False),
    ],
)
def test_an_unexplained_ignore_is_caught(line, caught):
    assert unexplained_ignores(line + "\n") == ([1] if caught else [])


# --- io reads and writes; the engines run in core, called by billing_model.service (issue #22) ----
#: the engines' entry points: what computes billing figures from read data
ENGINES = {
    "billing_model.core.usage": (
        "compute_usage",
        "partial_usage",
        "finalize_usage",
        "concurrency_profile",
    ),
    "billing_model.core.invoices": ("invoice_schedule", "contract_figures", "first_year_cost"),
    "billing_model.core.storage": ("storage_forecast", "storage_daily", "max_retention"),
    "billing_model.core.compare": ("compare_models",),
    "billing_model.core.voice": ("voice_telephony",),
}


def engine_calls(source: str, name: str) -> set[str]:
    """The engine entry points a module imports (by name, or the module whose entry it uses)."""
    package = name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            found.update(a.name for a in node.names if a.name in ENGINES.get(module, ()))
    return found


def test_io_reads_and_writes_and_runs_no_engine():
    runs = {
        (path.name, entry)
        for path in sorted((PACKAGE / "io").rglob("*.py"))
        for entry in engine_calls(path.read_text(encoding="utf-8"), module_name(path))
    }
    # none, a scenario's included: the loader reads its session file and voice report, and
    # billing_model.service gives it the engines that count and price them (io.scenario_checks.
    # Engines)
    assert runs == set()


def test_the_scenario_loader_computes_with_the_engines_its_caller_gives():
    """io reads a scenario's session file and voice report; what counts and prices them is the
    caller's (billing_model.service.ENGINES): without engines such a scenario is refused."""
    from billing_model.core.usage import compute_usage
    from billing_model.core.voice import voice_telephony
    from billing_model.io import scenario as scenario_io
    from billing_model.io.scenario_checks import Engines
    from billing_model.service import ENGINES
    from billing_model.workbook import SCENARIOS_DIR

    assert ENGINES == Engines(usage=compute_usage, telephony=voice_telephony)
    asked: list[str] = []

    def usage(*args, **kwargs):
        asked.append("usage")
        return compute_usage(*args, **kwargs)

    def telephony(*args):
        asked.append("telephony")
        return voice_telephony(*args)

    engines = Engines(usage=usage, telephony=telephony)
    quote = scenario_io.load_scenario(SCENARIOS_DIR / "sales_quote.toml", engines=engines)
    assert asked == ["usage"]  # once: the variant bills on the same calendar (cached)
    assert quote.orgs[0].users["pc2"][0] == 48
    with pytest.warns(UserWarning, match="outside the contract's 3 voice cycles"):
        scenario_io.load_scenario(SCENARIOS_DIR / "voice" / "voice_contract.toml", engines=engines)
    assert asked[1:] == ["telephony", "telephony"]  # the billed cycles and the workbook's grid
    for name, key in (("sales_quote.toml", "usage.sessions"), ("voice", "telephony.voice_report")):
        path = SCENARIOS_DIR / name
        path = path / "voice_contract.toml" if path.is_dir() else path
        with pytest.raises(TypeError, match=rf"^{re.escape(key)}: figures from data need"):
            scenario_io.load_scenario(path)


@pytest.mark.parametrize(
    ("module", "line", "caught"),
    [
        (
            "billing_model.io.cells",
            "from billing_model.core.usage import Window, finalize_usage",
            {"finalize_usage"},
        ),
        (
            "billing_model.io.scenario_values",
            "    from ..core.invoices import invoice_schedule",
            {"invoice_schedule"},
        ),
        ("billing_model.io.scenario_values", "from ..core.invoices import COLUMNS", set()),
    ],
)
def test_an_engine_call_in_io_is_caught(module, line, caught):
    source = f"def f():\n{line}\n" if line.startswith(" ") else line
    assert engine_calls(source, module) == caught
