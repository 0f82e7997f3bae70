"""Every command the README and docs/ show runs as written (issue #18, Docs).

Each ```sh block of ``README.md`` and ``docs/*.md`` is split into commands (continuation lines
joined, comments dropped) and each ``billing-model`` command runs through bash from a temporary
folder that links the repository's ``scenarios/``: the example files it names (a folder of
Parquet parts, a vendor export) are shipped there, and what a command writes (``-o``, ``>``)
lands in the temporary folder. A plain command (no redirection, pipe, variable or glob for the
shell to expand) runs in the test's own process: ``billing_model.cli.main`` on the command's
words (``shlex``), from that folder, with its output captured, as ``python -m billing_model``
runs it, without a fresh interpreter and imports for each of the commands; a command that needs
the shell runs through bash and the ``billing-model`` launcher. ``billing-model demo`` and
docs/workbooks.md's ``build`` commands run once for the session, shared with
``tests/test_workbook_demo.py`` (:mod:`tests.shared_runs`). The few commands that cannot run
here are listed in :data:`NOT_RUN`, each with its reason; a command that is neither run nor
listed fails the test. Each ```python block runs too (from the same kind of folder).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests import shared_runs

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: commands (by how they start or what they hold) that are not run here, and why
NOT_RUN = {
    "make demo": "set-up of a fresh checkout (virtual environment); its billing-model demo runs",
    "make test": "the test suite itself",
    "dask scheduler": "starts a cluster's scheduler and waits for workers",
    "dask worker": "starts a cluster's worker and waits for a scheduler",
    "--scheduler tcp://": "needs a running cluster",
    "python benchmarks/": "benchmarks run by hand (minutes each, docs/usage.md)",
}


def _blocks(kind: str) -> list[tuple[str, str]]:
    out = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for block in re.findall(rf"```{kind}\n(.*?)```", text, re.S):
            out.append((doc.relative_to(ROOT).as_posix(), block))
    return out


def _commands() -> list[tuple[str, str]]:
    """``(document, command)`` for every command of every ```sh block."""
    out = []
    for doc, block in _blocks("(?:sh|bash|shell)"):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()  # a comment after the command
            if command and not command.startswith("#"):
                out.append((doc, command))
    return out


def _skipped(command: str) -> str | None:
    return next(
        (why for key, why in NOT_RUN.items() if command.startswith(key) or key in command), None
    )


COMMANDS = _commands()
RUN = [(doc, c) for doc, c in COMMANDS if _skipped(c) is None]
#: each distinct command once, with the documents that show it (the same quote command in the
#: README and docs/invoices.md is one LibreOffice run, not two)
UNIQUE: dict[str, str] = {}
for _doc, _command in RUN:
    UNIQUE[_command] = f"{UNIQUE[_command]}, {_doc}" if _command in UNIQUE else _doc


def test_every_command_is_run_or_listed_with_a_reason():
    assert len(COMMANDS) >= 20
    others = [c for _doc, c in RUN if not c.startswith("billing-model ")]
    assert others == [], "a command that is neither billing-model nor in NOT_RUN"
    # every reason is still used: NOT_RUN lists nothing the docs no longer show
    assert {
        key for key in NOT_RUN if any(_skipped(c) == NOT_RUN[key] for _d, c in COMMANDS)
    } == set(NOT_RUN)


@pytest.fixture
def folder(tmp_path):
    """A working folder holding a link to the repository's scenarios/ and a ``billing-model``
    on PATH that runs this checkout."""
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios", target_is_directory=True)
    bin_dir = tmp_path / ".bin"
    bin_dir.mkdir()
    script = bin_dir / "billing-model"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m billing_model "$@"\n')
    script.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "120",
    }
    return tmp_path, env


def _starts_libreoffice(command: str) -> bool:
    """``build --recalc`` recalculates, ``quote`` prints its PDF: both in LibreOffice."""
    return "--recalc" in command or command.startswith("billing-model quote ")


def _marks(command: str) -> list:
    return [pytest.mark.libreoffice] if _starts_libreoffice(command) else []


def _in_process(command: str) -> list[str] | None:
    """The words of a ``billing-model`` command the shell would only split (quotes removed),
    or None when it needs the shell: a redirection, pipe, list, variable, substitution or a
    glob outside quotes."""
    unquoted = re.sub(r"'[^']*'|\"[^\"\\$`]*\"", "", command)
    if re.search(r"[|&;<>$`(){}*?\[\]~\\!#]", unquoted):
        return None
    words = shlex.split(command)
    return words[1:] if words[0] == "billing-model" else None


def _run_in_process(argv: list[str], cwd, monkeypatch) -> tuple[int, str]:
    """``billing-model ARGV`` as ``python -m billing_model`` runs it (exit code, stderr), in
    this process: from ``cwd``, the environment's ``COLUMNS`` set, stdout and stderr captured."""
    from billing_model.cli import main

    monkeypatch.chdir(cwd)
    monkeypatch.setenv("COLUMNS", "120")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's --version, --help and usage errors
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return code, err.getvalue()


@pytest.mark.parametrize(
    "doc,command", [pytest.param(d, c, marks=_marks(c), id=f"{d}: {c}") for c, d in UNIQUE.items()]
)
def test_the_command_runs_as_written(folder, doc, command, request, monkeypatch):
    cwd, env = folder
    if _starts_libreoffice(command):
        request.getfixturevalue("soffice")
    if command.startswith("billing-model demo"):
        command += " --out-dir workbooks"  # into the temporary folder, not the repository's
    argv = _in_process(command)
    if argv is not None and tuple(argv) in shared_runs.SHARED:
        # the session's one run of it, shared with tests/test_workbook_demo.py: the same words,
        # in-process as below, from a folder like this one (tests/shared_runs.py)
        run = shared_runs.command_run(request.getfixturevalue("tmp_path_factory"), argv)
        cwd, returncode, stderr = run.folder, run.code, run.stderr
    elif argv is not None:
        returncode, stderr = _run_in_process(argv, cwd, monkeypatch)
    else:
        done = subprocess.run(
            ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
        )
        returncode, stderr = done.returncode, done.stderr
    assert returncode == 0, f"{doc}: {command}\n{stderr[-2000:]}"
    assert "Traceback" not in stderr
    for written in re.findall(r"(?:-o|>)\s+(\S+)", command):
        assert (cwd / written).stat().st_size > 0, written


def test_plain_commands_run_in_process_and_shell_syntax_through_bash():
    """What decides where a command runs: only words and quotes run in-process."""
    assert _in_process('billing-model build a.toml --variant "6-month ramp" -o r.xlsx') == [
        "build",
        "a.toml",
        "--variant",
        "6-month ramp",
        "-o",
        "r.xlsx",
    ]
    assert _in_process("billing-model usage 'scenarios/s/*.parquet' --format csv") == [
        "usage",
        "scenarios/s/*.parquet",
        "--format",
        "csv",
    ]
    for shell in (
        "billing-model usage x.csv > u.csv",
        "billing-model usage s/*.parquet",
        "billing-model usage x.csv | head",
        "billing-model usage $HOME/x.csv",
        'billing-model usage "$HOME/x.csv"',
        "billing-model demo && ls",
        "billing-model usage ~/x.csv",
    ):
        assert _in_process(shell) is None, shell
    assert sum(_in_process(c) is not None for _d, c in RUN) >= len(RUN) - 2
    # the commands run once for the session (tests/shared_runs.py) are the docs' own words
    shown = {tuple(_in_process(c) or ()) for c in UNIQUE}
    assert set(shared_runs.SHARED) - {shared_runs.README_DEMO} <= shown
    assert shared_runs.README_DEMO[:1] in shown  # `billing-model demo`, given --out-dir here


@pytest.mark.parametrize(
    "doc,block",
    [(d, b) for d, b in _blocks("python") if "tcp://" not in b],
    ids=lambda v: v if v.endswith(".md") else "",
)
def test_the_python_example_runs(folder, doc, block):
    cwd, env = folder
    done = subprocess.run(
        [sys.executable, "-c", block], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{doc}\n{done.stderr[-2000:]}"
