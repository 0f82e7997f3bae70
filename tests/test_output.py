"""Atomic writes: nothing the user had is lost or left half-written."""

import os
import stat

import pytest

from billing_model.output import atomic_path


def test_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "quote.xlsx"
    target.write_text("the user's file")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "the user's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quote.xlsx"]


def test_success_replaces_and_keeps_an_ordinary_mode(tmp_path):
    target = tmp_path / "out" / "new.csv"
    old = os.umask(0o022)
    try:
        with atomic_path(target) as tmp:
            tmp.write_text("done")
    finally:
        os.umask(old)
    assert target.read_text() == "done"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    target.chmod(0o640)
    with atomic_path(target) as tmp:
        tmp.write_text("again")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
