"""Atomic writes: nothing the user had is lost or left half-written."""

import os
import stat

import pytest

from billing_model.io.atomic import atomic_path


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


def _error(target) -> str:
    from billing_model.core.errors import BillingInputError

    with pytest.raises(BillingInputError) as info, atomic_path(target) as tmp:
        tmp.write_text("new")
    return str(info.value)


def test_a_folder_as_the_target_names_the_target(tmp_path):
    # was "/…/.out.xlsx.<random>.tmp: is a directory": the temporary file's name
    (tmp_path / "out.xlsx").mkdir()
    assert _error(tmp_path / "out.xlsx") == (
        f"{tmp_path / 'out.xlsx'}: is a folder; accepted: a file name to write"
    )
    assert list((tmp_path / "out.xlsx").iterdir()) == []


def test_a_file_where_a_folder_is_needed(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    target = tmp_path / "notes.txt" / "deeper" / "x.xlsx"
    assert _error(target) == (
        f"{target}: {tmp_path / 'notes.txt'} is a file, not a folder; accepted: a file in a folder"
    )
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_failed_rename_names_the_target_and_keeps_the_old_file(tmp_path, monkeypatch):
    import errno

    target = tmp_path / "quote.xlsx"
    target.write_text("the user's file")

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", str(src))

    monkeypatch.setattr(os, "replace", full)
    assert _error(target) == (
        f"{target}: cannot be written (no space left on device); "
        "accepted: a file in a folder you can write to"
    )
    assert target.read_text() == "the user's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quote.xlsx"]


def test_amounts_formatted_as_text_are_right_aligned():
    # invoice and storage tables pass exact decimals as text: they were left-aligned, so the
    # digits of 3560.00 and 12500.00 did not line up
    import io

    import pandas as pd

    from billing_model.output import print_table

    out = io.StringIO()
    print_table(
        pd.DataFrame(
            {
                "invoice": ["2026-03-01", "2026-03-10"],
                "amount": ["12500.00", "3560.00"],
                "cost": ["0.00 USD", "1,250.50 USD"],
            }
        ),
        out=out,
    )
    rows = [line for line in out.getvalue().splitlines() if "2026-03-10" in line]
    assert "│  3560.00 │" in rows[0]
    assert "│     0.00 USD │" in out.getvalue()
    assert "│ 2026-03-10 │" in rows[0]  # dates stay left-aligned


def test_guarded_stdout_shows_a_character_its_encoding_cannot_hold_as_a_question_mark():
    """A file name's undecodable byte (a lone surrogate) printed to a strict UTF-8 stdout, or a
    name in another script on a Latin-1 one, was a UnicodeEncodeError traceback."""
    import io

    from billing_model.output import GuardedStdout

    for encoding, text, shown in (
        ("utf-8", "bad\udcffname.xlsx: workbook\n", "bad?name.xlsx: workbook\n"),
        ("latin-1", "Kunde: 東京 Ltd\n", "Kunde: ?? Ltd\n"),
    ):
        raw = io.BytesIO()
        stream = io.TextIOWrapper(raw, encoding=encoding, errors="strict")
        GuardedStdout(stream).write(text)
        stream.flush()
        assert raw.getvalue().decode(encoding) == shown
