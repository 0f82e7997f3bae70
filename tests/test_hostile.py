"""Hostile inputs to ``billing-model usage`` and friends: each gave a traceback or a wrong
number before its fix; each must stay one line and exit 2 (or the right number)."""

from __future__ import annotations

from pathlib import Path

import pytest

from billing_model.cli import main

DATA = Path(__file__).parent / "data"
ENGINES = ["numpy", "dask"]


def usage_error(capsys, *args) -> str:
    """The one line a bad input gives (exit 2, no traceback)."""
    code = main(["usage", *map(str, args)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


@pytest.mark.parametrize("engine", ENGINES)
def test_json_with_a_5000_digit_number_is_one_line(capsys, tmp_path, engine):
    # json.load raised ValueError (Python's 4300-digit limit): a traceback, exit 1
    file = tmp_path / "big.json"
    file.write_text(
        '{"userDetails": [{"userId": "a", "primaryPresence": [{"startTime": '
        '"2026-03-01T08:00:00Z", "endTime": "2026-03-01T09:00:00Z", "n": ' + "1" * 5000 + "}]}]}"
    )
    err = usage_error(capsys, file, "--license", "pc2", "--engine", engine)
    assert err == (
        f"billing-model: error: {file}: not a user-details export (a number of "
        "more than 4300 digits); accepted: the JSON of POST "
        "/api/v2/analytics/users/details/query"
    )


@pytest.mark.parametrize("value", ["2300-01-01T00:00:00Z", "1600-01-01T00:00:00Z"])
def test_as_of_in_a_year_out_of_range_says_so(capsys, value):
    # it said "not accepted; accepted: an ISO 8601 instant with an offset", which it is
    err = usage_error(capsys, DATA / "zero_length.csv", "--license", "pc2", "--as-of", value)
    assert err == (
        f"billing-model: error: --as-of: {value!r} is out of range; accepted: an "
        "instant between the years 1678 and 2261 (check the year)"
    )


def test_table_shows_control_characters_in_values_as_escapes(capsys, tmp_path):
    # an org name with a newline split its row in two; an ESC sequence reached the terminal
    file = tmp_path / "orgs.csv"
    file.write_text(
        "user_id,start,end,org\n"
        'a,2026-03-01T08:00:00Z,2026-03-01T09:00:00Z,"line\nbreak"\n'
        'b,2026-03-01T08:00:00Z,2026-03-01T09:00:00Z,"tab\there\x1b[31m"\n'
    )
    code = main(["usage", str(file), "--license", "pc2", "--timezone", "UTC"])
    out = capsys.readouterr().out
    assert code == 0
    assert "\x1b" not in out and "\t" not in out
    assert "│ line\\nbreak " in out
    assert "│ tab\\there\\x1b[31m " in out


@pytest.mark.parametrize("engine", ENGINES)
def test_a_lowercase_z_offset_is_utc(capsys, tmp_path, engine):
    # the offset pattern took 'z', then Arrow refused it: "is not an ISO 8601 timestamp"
    file = tmp_path / "z.csv"
    file.write_text("user_id,start,end\na,2026-03-01T08:00:00z,2026-03-01T09:00:00z\n")
    code = main(
        [
            "usage",
            str(file),
            "--license",
            "pc2",
            "--format",
            "csv",
            "--timezone",
            "UTC",
            "--engine",
            engine,
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[1].startswith("default,2026-03-01,2026-03-31,pc2,1,1,1,1,")


def test_ten_digits_after_the_seconds_is_not_a_wrong_year(capsys, tmp_path):
    # it said "out of range ... (check the year)" for a 2026 timestamp
    file = tmp_path / "frac.csv"
    file.write_text("user_id,start,end\na,2026-03-01T08:00:00.1234567891Z,2026-03-01T09:00:00Z\n")
    err = usage_error(capsys, file, "--license", "pc2")
    assert err == (
        f"billing-model: error: {file}: line 2, column 'start': "
        "'2026-03-01T08:00:00.1234567891Z' is not accepted; accepted: ISO 8601 with "
        "at most 9 digits after the seconds, e.g. 2026-01-05T08:00:00.25Z"
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_row_with_an_extra_field_names_its_line(capsys, tmp_path, engine):
    # Arrow's message quotes the row (cut at 100 characters) but gives no line number
    file = tmp_path / "extra.csv"
    file.write_text(
        "user_id,start,end\n"
        + "u,2026-03-01T08:00:00Z,2026-03-01T09:00:00Z\n" * 5
        + "x" * 200_000
        + ",2026-03-01T08:00:00Z,2026-03-01T09:00:00Z,extra\n"
    )
    err = usage_error(capsys, file, "--license", "pc2", "--engine", engine)
    assert err == (
        f"billing-model: error: {file}: line 7: 4 field(s), the header has 3; "
        "accepted: one value per column (a value holding ',' in quotes)"
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_blank_license_in_parquet_takes_the_default(capsys, tmp_path, engine):
    # the Parquet dictionary kept its '' entry after the blank took --license, and the license
    # check then looked for a row using '': IndexError traceback
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    import pandas as pd

    ts, te = pd.Timestamp("2026-03-01T08:00Z"), pd.Timestamp("2026-03-01T09:00Z")
    file = tmp_path / "blank_license.parquet"
    pq.write_table(
        pa.table(
            {"user_id": ["a", "b"], "start": [ts, ts], "end": [te, te], "license": ["pc2", ""]}
        ),
        file,
    )
    code = main(
        [
            "usage",
            str(file),
            "--license",
            "pc1",
            "--format",
            "csv",
            "--timezone",
            "UTC",
            "--engine",
            engine,
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert [",".join(line.split(",")[:8]) for line in out.splitlines()[1:]] == [
        "default,2026-03-01,2026-03-31,pc1,1,1,2,2",
        "default,2026-03-01,2026-03-31,pc2,1,1,2,2",
    ]


@pytest.mark.parametrize("address", ["garbage", "tcp://127.0.0.1:1", "inproc://x"])
def test_a_bad_scheduler_address_is_one_line_at_exit_too(tmp_path, address):
    # the half-made distributed.Client printed "Exception ignored in Client.__del__" and a
    # traceback at interpreter exit (after 20 s); inproc:// was a traceback
    import subprocess
    import sys

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "billing_model",
            "usage",
            str(DATA / "zero_length.csv"),
            "--license",
            "pc2",
            "--engine",
            "dask",
            "--scheduler",
            address,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2, run.stderr
    assert run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith(
        f"billing-model: error: --scheduler: cannot reach a Dask scheduler at {address!r} ("
    )


def test_a_dst_time_without_offset_is_found_without_a_call_per_row(capsys, tmp_path, monkeypatch):
    # naive local times with --input-timezone: the row of an ambiguous or missing time (a DST
    # change) was found by calling Arrow once per row, 14 s for a million rows whose last is
    # bad; now a few calls on the whole column name the first bad row, of either kind
    import pyarrow.compute as pc

    calls = []
    assume = pc.assume_timezone
    monkeypatch.setattr(pc, "assume_timezone", lambda *a, **k: calls.append(1) or assume(*a, **k))
    rows = ["a,2026-03-01 10:00:00,2026-03-01 11:00:00"] * 300
    rows[120] = "b,2026-03-08 02:30:00,2026-03-08 03:30:00"  # does not exist in New York
    rows[250] = "c,2026-11-01 01:30:00,2026-11-01 02:30:00"  # happens twice
    file = tmp_path / "local.csv"
    file.write_text("user_id,start,end\n" + "\n".join(rows) + "\n")
    err = usage_error(capsys, file, "--license", "pc2", "--input-timezone", "America/New_York")
    assert err == (
        f"billing-model: error: {file}: line 122, column 'start': '2026-03-08 "
        "02:30:00' is ambiguous or does not exist in America/New_York (a DST change); "
        "write it with a UTC offset"
    )
    assert len(calls) <= 4
    rows[120] = rows[0]
    file.write_text("user_id,start,end\n" + "\n".join(rows) + "\n")
    err = usage_error(capsys, file, "--license", "pc2", "--input-timezone", "America/New_York")
    assert "line 252, column 'start': '2026-11-01 01:30:00' is ambiguous" in err


def test_a_quoted_line_break_at_the_end_of_a_csv_block_is_read(capsys, tmp_path, monkeypatch):
    # Arrow parses a CSV in blocks (64 MB) cut at line breaks; told that values hold none, it
    # cut inside a quoted multi-line value and the valid file was refused ("rows with a
    # different number of fields") when such a value fell near a block's end
    from billing_model.io import csv_text

    monkeypatch.setattr(csv_text, "CSV_BLOCK", 256)
    rows = [f'u{i},2026-03-01T08:00:00Z,2026-03-01T09:00:00Z,"line\nbreak {i}"' for i in range(40)]
    file = tmp_path / "multi.csv"
    file.write_text("user_id,start,end,org\n" + "\n".join(rows) + "\n")
    code = main(["usage", str(file), "--license", "pc2", "--timezone", "UTC", "--format", "csv"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("2026-03-01,2026-03-31,pc2,1,1,1,1,") == 40
