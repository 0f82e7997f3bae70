"""Hostile places to write (issue #21): a full disk, a full or closed standard output, a folder
where a workbook should be. Each test failed before its fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from billing_model.cli import main
from billing_model.workbook import SCENARIOS_DIR
from tests.hostile_data import SCENARIO, SESSIONS


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "hostile.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


# --- 10: a full disk -------------------------------------------------------------------------

_LIMITED = """\
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (2000, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
from billing_model.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _limited(*argv) -> subprocess.CompletedProcess:
    """The CLI in a process that cannot write files over 2,000 bytes: a disk that fills up
    while the workbook is written (EFBIG instead of ENOSPC, the same failed write)."""
    return subprocess.run(
        [sys.executable, "-c", _LIMITED, *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.skipif(
    not hasattr(os, "fork") or sys.platform == "darwin",
    reason="RLIMIT_FSIZE and SIGXFSZ as on Linux",
)
def test_build_on_a_full_disk_is_one_line_and_keeps_the_old_workbook(tmp_path):
    # was xlsxwriter's FileCreateError traceback and a second one from ZipFile.__del__
    target = tmp_path / "keep.xlsx"
    target.write_bytes(b"previous")
    done = _limited("build", SCENARIOS_DIR / "storage_estimate.toml", "-o", target)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"billing-model: error: {target}: cannot be written (file too "
        "large); accepted: a file in a folder you can write to\n"
    )
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.xlsx"]


@pytest.mark.skipif(
    not hasattr(os, "fork") or sys.platform == "darwin",
    reason="RLIMIT_FSIZE and SIGXFSZ as on Linux",
)
def test_demo_on_a_full_disk_names_the_out_dir_and_keeps_the_old_set(tmp_path):
    from billing_model.workbook import DEMO_SCENARIOS

    out = tmp_path / "workbooks"
    out.mkdir()
    (out / "sales_quote.xlsx").write_bytes(b"previous")
    # the demo's four names, each the small contract (usage for its 4 periods: no warning); the
    # first write fails as after building sales_quote, for half the CPU
    small = SCENARIO.split("[[variant]]")[0].replace(", 25, 26]", ", 25]")
    (scenarios := tmp_path / "scenarios").mkdir()
    for stem, _what in DEMO_SCENARIOS:
        (scenarios / f"{stem}.toml").write_text(small, encoding="utf-8")
    done = _limited("demo", "--scenarios", scenarios, "--out-dir", out)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"billing-model: error: --out-dir {out}: ")
    assert "(file too large); the workbooks there were left as they were" in done.stderr
    assert [p.name for p in out.iterdir()] == ["sales_quote.xlsx"]
    assert (out / "sales_quote.xlsx").read_bytes() == b"previous"


# --- 11: a full stdout -----------------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize(
    "argv",
    [
        ["invoices", "SCEN"],
        ["invoices", "SCEN", "--format", "csv"],
        ["usage", SESSIONS, "--license", "pc2", "--format", "csv", "--by-user"],
        [
            "compare",
            SESSIONS,
            "--license",
            "pc2",
            "--named-rate",
            "100",
            "--concurrent-rate",
            "150",
        ],
        [
            "storage",
            "--calls-per-month",
            "1000",
            "--avg-minutes",
            "5",
            "--start-date",
            "2026-01-01",
            "--months",
            "3",
            "--max-retention",
            "--allowance-gb",
            "5",
        ],
        ["build", "SMALL", "-o", "OUT"],
    ],
    ids=["invoices", "invoices-csv", "usage-csv", "compare", "storage-print", "build-print"],
)
def test_a_full_stdout_is_one_line_on_stderr(scenario, tmp_path, argv):
    # `... > /dev/full` was an OSError traceback (Errno 28)
    # the build prints after the workbook: SMALL, the contract without its five variants,
    # builds it in a third of the CPU (the Variants sheet is the larger part)
    small = tmp_path / "small.toml"
    small.write_text(SCENARIO.split("[[variant]]")[0], encoding="utf-8")
    words = {"SCEN": scenario, "SMALL": small, "OUT": tmp_path / "o.xlsx"}
    argv = [words.get(a, a) for a in argv]
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "billing_model", *map(str, argv)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    err = [line for line in done.stderr.splitlines() if "warning:" not in line]
    assert done.returncode == 1, done.stderr
    assert err == [
        "billing-model: error: standard output: no space left on device; the output is incomplete"
    ]


# --- a closed stdout, --help to a full one -----------------------------------------------------


def test_a_closed_stdout_is_one_line(scenario):
    # `billing-model invoices x.toml >&-`: AttributeError ('NoneType' has no 'write')
    for extra in ([], ["--format", "csv"]):
        done = subprocess.run(
            [sys.executable, "-m", "billing_model", "invoices", str(scenario), *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
            preexec_fn=lambda: os.close(1),
        )  # noqa: PLW1509
        assert done.returncode == 1, done.stderr
        assert done.stderr == (
            "billing-model: error: standard output: closed; the output is incomplete\n"
        )


@pytest.mark.parametrize("words", [["--help"], ["usage", "--help"], ["quote", "--help"]])
def test_help_to_a_full_stdout_is_one_line_and_not_exit_0(words):
    """argparse ignores a failed write: `--help > /dev/full` printed nothing and exited 0."""
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "billing_model", *words],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "billing-model: error: standard output: no space left on device"
    ]


# --- a folder where a workbook should be -------------------------------------------------------


def test_demo_with_a_folder_named_like_a_workbook_replaces_nothing(tmp_path, capsys):
    # `storage_estimate.xlsx/` in --out-dir: sales_quote.xlsx was already replaced when the
    # rename failed, naming the staging file (.demo-xxxx/storage_estimate.xlsx)
    out = tmp_path / "workbooks"
    (out / "storage_estimate.xlsx").mkdir(parents=True)
    (out / "sales_quote.xlsx").write_bytes(b"previous")
    assert main(["demo", "--out-dir", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"billing-model: error: --out-dir {out}: storage_estimate.xlsx is a folder; accepted: a "
        "folder where the workbooks can be written (the workbooks there were left as they "
        "were)\n"
    )
    assert (out / "sales_quote.xlsx").read_bytes() == b"previous"
    assert sorted(p.name for p in out.iterdir()) == ["sales_quote.xlsx", "storage_estimate.xlsx"]
