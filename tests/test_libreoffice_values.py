"""``billing_model.io.libreoffice.sheet_values`` given what a hostile caller gives it: files that
are not workbooks, output folders that are files or shared, a failure half-way, a SIGTERM.

A stand-in ``soffice`` (a shell script, through ``BILLING_MODEL_SOFFICE``) plays LibreOffice:
none of these tests starts the real one (those that run the stand-in are marked ``libreoffice``,
as the root conftest asks of every test that reaches LibreOffice's runner)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import openpyxl
import pytest

from billing_model.core.errors import BillingInputError
from billing_model.io import libreoffice
from billing_model.io.libreoffice import sheet_values
from tests.stand_in import alive, stand_in_soffice

#: writes two sheets' CSV files for workbook 000, as LibreOffice's CSV export names them
_WRITES_TWO_SHEETS = """#!/bin/sh
while [ $# -gt 0 ]; do
    case "$1" in --outdir) out="$2"; shift;; esac
    shift
done
printf '"first",1\\n' > "$out/000-First.csv"
printf '"second",2\\n' > "$out/000-Second.csv"
"""


def _fake_soffice(tmp_path: Path, monkeypatch, script: str) -> Path:
    """The stand-in, for this test's thread only: the session's workbook batch may recalculate
    with the real LibreOffice in a thread of its own meanwhile (tests/conftest.py)."""
    fake = tmp_path / "soffice"
    fake.write_text(script, encoding="utf-8")
    fake.chmod(0o755)
    return stand_in_soffice(monkeypatch, fake)


def _workbook(path: Path) -> Path:
    openpyxl.Workbook().save(path)
    return path


def test_what_is_not_a_workbook_is_refused_before_libreoffice_runs(tmp_path):
    """LibreOffice read an empty file as one empty sheet: values that looked complete. (Not
    marked ``libreoffice``: the root conftest fails this test if it starts LibreOffice.)"""
    (tmp_path / "empty.xlsx").write_bytes(b"")
    (tmp_path / "text.xlsx").write_text("quarter,amount\nQ1,5\n", encoding="utf-8")
    for name, what in (("empty.xlsx", "an empty file"), ("text.xlsx", "not a zip archive")):
        with pytest.raises(BillingInputError, match=rf"{name}: {what}, not a workbook; accepted"):
            sheet_values(
                [_workbook(tmp_path / "good.xlsx"), tmp_path / name],
                [tmp_path / "a", tmp_path / "b"],
            )
    assert not (tmp_path / "a").exists()


def test_an_output_folder_that_is_a_file_or_given_twice_is_refused_first(tmp_path):
    """A file for a folder was a FileExistsError after LibreOffice's run; one folder for two
    workbooks mixed their sheets in it. (Unmarked: starting LibreOffice would fail it.)"""
    book = _workbook(tmp_path / "a.xlsx")
    (tmp_path / "plain").write_text("mine", encoding="utf-8")
    with pytest.raises(BillingInputError, match=r"plain: is a file; accepted: a folder"):
        sheet_values([book], [tmp_path / "plain"])
    with pytest.raises(BillingInputError, match=r"out: is under .*plain, a file; accepted"):
        sheet_values([book], [tmp_path / "plain" / "sub" / "out"])
    with pytest.raises(BillingInputError, match=r"out: the output folder of workbooks 1 and 2"):
        sheet_values([book, book], [tmp_path / "out", tmp_path / "x" / ".." / "out"])
    assert (tmp_path / "plain").read_text(encoding="utf-8") == "mine"


@pytest.mark.libreoffice  # the stand-in runs where LibreOffice would (the root conftest's rule)
@pytest.mark.parametrize("existing", [False, True])
def test_a_failure_half_way_leaves_no_sheet_file_that_looks_complete(
    tmp_path, monkeypatch, existing
):
    """Each sheet was moved straight to its final name (a copy across file systems): a failure
    after the first left a folder holding some of the sheets, or a half-written one."""
    _fake_soffice(tmp_path, monkeypatch, _WRITES_TWO_SHEETS)
    out = tmp_path / "values"
    if existing:
        out.mkdir()
        (out / "First.csv").write_text("old", encoding="utf-8")
    moves = []
    real_move = libreoffice.shutil.move

    here = threading.current_thread()

    def move_then_fail(src, dst):
        if threading.current_thread() is not here:  # the session's workbook batch: as it is
            return real_move(src, dst)
        if moves:
            Path(dst).write_text('"sec', encoding="utf-8")  # a disk that filled up mid-copy
            raise OSError(28, "No space left on device", str(dst))
        moves.append(dst)
        return real_move(src, dst)

    monkeypatch.setattr(libreoffice.shutil, "move", move_then_fail)
    with pytest.raises(OSError, match="No space left"):
        sheet_values([_workbook(tmp_path / "a.xlsx")], [out])
    if existing:
        assert sorted(p.name for p in out.iterdir()) == ["First.csv"]
        assert (out / "First.csv").read_text(encoding="utf-8") == "old"
    else:
        assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["soffice", "a.xlsx", *(["values"] if existing else [])]
    )
    monkeypatch.setattr(libreoffice.shutil, "move", real_move)
    assert sheet_values([tmp_path / "a.xlsx"], [out]) == [out]
    assert {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()} == {
        "First.csv": '"first",1\n',
        "Second.csv": '"second",2\n',
    }


@pytest.mark.libreoffice  # the stand-in runs where LibreOffice would
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc for the stand-in's child")
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_a_sigterm_mid_run_stops_libreoffice_and_leaves_no_temporary_folder(tmp_path, signame):
    """A program that keeps Python's default for SIGTERM (the test store, a script) ended at
    once: LibreOffice, in a session of its own, ran on, and the staging folder and the profile
    stayed in the temporary folder."""
    started = tmp_path / "started"
    fake = tmp_path / "soffice"
    fake.write_text(f"#!/bin/sh\nsleep 60 &\necho $! > '{started}'\nwait\n", encoding="utf-8")
    fake.chmod(0o755)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    _workbook(tmp_path / "a.xlsx")
    code = (
        "from billing_model.io.libreoffice import sheet_values\n"
        f"sheet_values([{str(tmp_path / 'a.xlsx')!r}], [{str(tmp_path / 'out')!r}])\n"
    )
    env = {**os.environ, "BILLING_MODEL_SOFFICE": str(fake), "TMPDIR": str(scratch)}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        for _ in range(600):  # until the stand-in runs (at most a minute)
            if started.is_file() and started.read_text().strip():
                break
            time.sleep(0.1)
        child = int(started.read_text())
        proc.send_signal(getattr(signal, signame))
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert f"terminated by signal {getattr(signal, signame)}" in err, err
    assert not alive(child)
    assert list(scratch.iterdir()) == []
    assert not (tmp_path / "out").exists()


@pytest.mark.libreoffice  # the stand-in runs where LibreOffice would
def test_a_thousand_and_one_workbooks_keep_their_own_sheets(tmp_path, monkeypatch):
    """The staged names are the input's index, "000" to "999" and then "1000": the index was
    read as the first three characters, so workbook 1000's sheets went to workbook 100's folder
    (named "0-Sheet.csv")."""
    _fake_soffice(
        tmp_path,
        monkeypatch,
        "#!/bin/sh\n"
        'while [ $# -gt 0 ]; do case "$1" in --outdir) out="$2"; shift;;\n'
        '  *.xlsx) n=$(basename "$1" .xlsx); printf "%s" "$n" > "$out/$n-Sheet.csv";; esac\n'
        "  shift\ndone\n",
    )
    book = _workbook(tmp_path / "a.xlsx")
    outs = [tmp_path / "out" / str(i) for i in range(1001)]
    sheet_values([book] * 1001, outs)
    for i in (0, 100, 1000):
        assert [p.name for p in outs[i].iterdir()] == ["Sheet.csv"]
        assert (outs[i] / "Sheet.csv").read_text() == f"{i:03d}"
