"""``billing-model`` commands that two test modules run alike, run once for the whole session.

The README's ``billing-model demo`` (``tests/test_doc_commands.py``, with ``--out-dir
workbooks`` so that it writes into a temporary folder) and the committed-workbooks check
(``tests/test_workbook_demo.py``) ran the same command each: four workbooks built twice, about
8 s of CPU each time; docs/workbooks.md's three ``build`` commands are ``test_workbook_demo``'s
build tests' (one of them starting LibreOffice) (issue #17). :func:`command_run`
runs a command once per session and per argument list, under a file lock in the session's
shared temporary folder (the xdist workers run different modules), and gives every caller what
it did: exit code, output, the folder it wrote in and, for ``demo``, the rows
:func:`~billing_model.commands.demo.build_demos` returned.

The command runs as ``tests/test_doc_commands.py`` runs a plain command: ``billing_model.cli.main``
on its words, in this process, from a folder that links the repository's ``scenarios/``, with
``COLUMNS=120`` and stdout and stderr captured. A ``demo``'s ``--out-dir`` holds a previous set
first (a placeholder file named like each workbook), as a checkout holds the committed
``workbooks/``: the run must replace the whole set (:data:`PREVIOUS`).

A plain ``build`` of an example scenario writes the file the session's workbook store gives as
that example's built workbook (``workbook_store.built``, :mod:`tests.workbooks`: "as
``billing-model build`` builds it", byte for byte): :data:`EXAMPLE_BUILDS` names those runs, and
the store copies the run's file instead of building the example a second time (the README's
``build`` of sales_quote and the store's were each about 2.4 s of CPU, issue #17).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from unittest import mock

from billing_model.workbook import DEMO_SCENARIOS

ROOT = Path(__file__).resolve().parents[1]

#: the README's ``billing-model demo`` as tests/test_doc_commands.py runs it
README_DEMO = ("demo", "--out-dir", "workbooks")
#: the README's ``build`` of the sales quote (tests/test_doc_commands.py)
README_QUOTE = ("build", "scenarios/sales_quote.toml", "-o", "quote.xlsx")
#: docs/workbooks.md's ``build`` commands (tests/test_doc_commands.py)
DOCS_EUR = ("build", "scenarios/eur_contract.toml", "-o", "eur.xlsx")
DOCS_RAMP6 = (
    "build",
    "scenarios/finance_ramp_study.toml",
    "--variant",
    "6-month ramp",
    "-o",
    "ramp6.xlsx",
)
DOCS_RECALC = ("build", "scenarios/storage_estimate.toml", "-o", "storage.xlsx", "--recalc")
#: the commands other tests run too (test_workbook_demo, test_hostile_workbooks, the workbook
#: store): the doc test takes these from :func:`command_run`
SHARED = (README_DEMO, README_QUOTE, DOCS_EUR, DOCS_RAMP6, DOCS_RECALC)
#: example scenario (``scenarios/<stem>.toml``) -> the plain ``build`` of it whose file the
#: workbook store copies as the example's built workbook (:func:`built_example`)
EXAMPLE_BUILDS = {"sales_quote": README_QUOTE, "eur_contract": DOCS_EUR}


def previous(stem: str) -> bytes:
    """What the out-dir holds as ``{stem}.xlsx`` before the run: not a workbook."""
    return f"previous {stem}".encode()


#: the previous set: file name -> bytes
PREVIOUS = {f"{stem}.xlsx": previous(stem) for stem, _what in DEMO_SCENARIOS}


@dataclass(frozen=True)
class CommandRun:
    """What one ``billing-model ARGV`` run did (see :func:`command_run`)."""

    argv: tuple[str, ...]
    folder: Path  # the working folder it ran from (its relative paths are below it)
    code: int
    stdout: str
    stderr: str
    #: a demo's: build_demos' rows: workbook (absolute path), what, currency, first_year,
    #: total, variants
    rows: tuple[dict, ...] = ()

    @property
    def out_dir(self) -> Path:
        """A demo's ``--out-dir``, absolute (the last one given, as argparse reads them)."""
        argv = list(self.argv)
        return self.folder / argv[len(argv) - argv[::-1].index("--out-dir")]


def session_folder(tmp_path_factory) -> Path:
    """The session's temporary folder shared by the xdist workers (each has its own below)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def command_run(tmp_path_factory, argv) -> CommandRun:
    """``billing-model ARGV``, run once per session (a ``demo`` needs ``--out-dir``)."""
    return run_in(session_folder(tmp_path_factory), argv)


def built_example(base: Path, stem: str) -> Path:
    """The workbook :data:`EXAMPLE_BUILDS`' ``build`` of ``scenarios/<stem>.toml`` wrote, run
    once for the session whose shared temporary folder is ``base``; a failed run raises."""
    argv = EXAMPLE_BUILDS[stem]
    run = run_in(base, argv)
    if run.code != 0:
        raise RuntimeError(f"billing-model {' '.join(argv)}: exit {run.code}: {run.stderr}")
    return run.folder / argv[argv.index("-o") + 1]


def run_in(base: Path, argv) -> CommandRun:
    """:func:`command_run` in the session's shared temporary folder ``base``."""
    argv = tuple(argv)
    if argv[0] == "demo" and "--out-dir" not in argv:
        raise ValueError(f"a demo command with --out-dir, not {argv!r}")
    key = hashlib.sha256(json.dumps(argv).encode()).hexdigest()[:12]
    folder = base / f"run-{key}"
    result = base / f"run-{key}.json"
    with open(base / f"run-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other worker waits for the run, then reads it
        if not result.exists():
            run = _run(folder, argv)
            staged = result.with_suffix(".tmp")
            staged.write_text(json.dumps(_to_json(run)), encoding="utf-8")
            staged.replace(result)  # whole or absent: a run that raised is run again
    return _from_json(json.loads(result.read_text(encoding="utf-8")))


def _run(folder: Path, argv: tuple[str, ...]) -> CommandRun:
    from billing_model.cli import main
    from billing_model.commands import demo
    from billing_model.commands.demo import build_demos

    folder.mkdir()
    (folder / "scenarios").symlink_to(ROOT / "scenarios", target_is_directory=True)
    if argv[0] == "demo":
        out_dir = CommandRun(argv, folder, 0, "", "").out_dir
        out_dir.mkdir(parents=True)
        for name, data in PREVIOUS.items():
            (out_dir / name).write_bytes(data)
    rows: list[dict] = []

    def recording(*args, **kwargs):
        rows.extend(build_demos(*args, **kwargs))
        return rows

    cwd, columns = Path.cwd(), os.environ.get("COLUMNS")
    out, err = io.StringIO(), io.StringIO()
    try:
        os.chdir(folder)
        os.environ["COLUMNS"] = "120"
        with (
            mock.patch.object(demo, "build_demos", recording),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os.chdir(cwd)
        if columns is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = columns
    for row in rows:  # build_demos names them as given: relative to the folder it ran from
        row["workbook"] = folder / row["workbook"]
    return CommandRun(argv, folder, code, out.getvalue(), err.getvalue(), tuple(rows))


def _to_json(run: CommandRun) -> dict:
    def value(v):
        if isinstance(v, Decimal):
            return {"decimal": str(v)}
        if isinstance(v, Path):
            return {"path": str(v)}
        return v

    return {
        "argv": list(run.argv),
        "folder": str(run.folder),
        "code": run.code,
        "stdout": run.stdout,
        "stderr": run.stderr,
        "rows": [{k: value(v) for k, v in row.items()} for row in run.rows],
    }


def _from_json(data: dict) -> CommandRun:
    def value(v):
        if isinstance(v, dict) and "decimal" in v:
            return Decimal(v["decimal"])
        if isinstance(v, dict) and "path" in v:
            return Path(v["path"])
        return v

    return CommandRun(
        tuple(data["argv"]),
        Path(data["folder"]),
        data["code"],
        data["stdout"],
        data["stderr"],
        tuple({k: value(v) for k, v in row.items()} for row in data["rows"]),
    )
