"""Silent wrong answers of session data as it is read (issue #21): spellings of one user id,
``--as-of`` inside the data, dates YYYY-MM-DD only, presence values the vendor does not document,
invisible characters at the ends of an id (split from tests/test_silent_answers.py, which holds
the billed periods, coverage and the workbook's series).

Each test failed before its fix (a wrong number, a silent 0, or a traceback)."""

from __future__ import annotations

import pytest

from billing_model.cli import main
from billing_model.core.errors import BillingInputError
from billing_model.service import load_scenario
from tests.silent_answers_data import (
    CONTRACT,
    ENGINES,
    ONE_IN_MARCH,
    PARTIAL_DATA,
    scenario_file,
)

# the CLI's warnings are part of what a user sees: shown here (pyproject ignores them)
pytestmark = pytest.mark.filterwarnings("always::billing_model.core.errors.BillingWarning")


# --- 7. spellings of one user id ----------------------------------------------------------------

NFC, NFD = "jos\u00e9@example.com", "jose\u0301@example.com"


def write_sessions(path, ids: list[str], starts: list[str], ends: list[str]) -> None:
    """The same sessions as CSV, Parquet or a user-details JSON export (by the suffix)."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.suffix == ".json":
        details = [
            {
                "userId": u,
                "primaryPresence": [{"startTime": a, "endTime": b, "systemPresence": "AVAILABLE"}],
            }
            for u, a, b in zip(ids, starts, ends, strict=True)
        ]
        path.write_text(json.dumps({"userDetails": details}), encoding="utf-8")
    elif path.suffix == ".parquet":
        pq.write_table(pa.table({"user_id": ids, "start": starts, "end": ends}), path)
    else:
        path.write_text(
            "user_id,start,end\n"
            + "".join(f"{u},{a},{b}\n" for u, a, b in zip(ids, starts, ends, strict=True)),
            encoding="utf-8",
        )


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_one_email_id_in_nfc_and_nfd_is_one_user(tmp_path, capsys, engine, suffix):
    # the same e-mail id, its accent as one code point and as two, billed as 2 users
    file = tmp_path / f"s{suffix}"
    write_sessions(
        file,
        [NFC, NFD, " JOSE\u0301@example.com "],
        ["2026-03-02T14:00:00Z", "2026-03-03T14:00:00Z", "2026-03-04T14:00:00Z"],
        ["2026-03-02T15:00:00Z", "2026-03-03T15:00:00Z", "2026-03-04T15:00:00Z"],
    )
    assert (
        main(
            [
                "usage",
                str(file),
                "--license",
                "pc2",
                "--order-date",
                "2026-03-01",
                "--timezone",
                "UTC",
                "--engine",
                engine,
                "--format",
                "csv",
                "--by-user",
            ]
        )
        == 0
    )
    rows = capsys.readouterr().out.splitlines()[1:]
    assert len(rows) == 1, rows
    assert NFC in rows[0]  # named as first seen


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_r_na_is_refused_like_the_other_null_markers(tmp_path, capsys, engine, suffix):
    # R's write.csv writes a missing id as NA: it was billed as a user named 'NA'
    file = tmp_path / f"s{suffix}"
    write_sessions(file, ["ann", "NA"], ["2026-03-02T14:00:00Z"] * 2, ["2026-03-02T15:00:00Z"] * 2)
    assert main(["usage", str(file), "--license", "pc2", "--engine", engine]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    place = {".csv": "line 3", ".parquet": "row 2", ".json": "userDetails[1].primaryPresence[0]"}
    assert (
        f"{file}: {place[suffix]}, column 'user_id': 'NA' is a null marker, not a user; "
        "every session needs a user_id (blank, NaN, NULL, None, NA, N/A, #N/A are refused)"
    ) in err


# --- 6. --as-of inside the data -----------------------------------------------------------------

AS_OF_IDS = ["ann", "bob", "cat"]
AS_OF_STARTS = ["2026-03-10T08:00:00Z", "2026-03-10T09:00:00Z", "2026-03-10T14:00:00Z"]
AS_OF_ENDS = ["2026-03-10T18:00:00Z", "2026-03-10T12:00:00Z", "2026-03-10T19:00:00Z"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_as_of_inside_the_data_clips_closed_sessions(tmp_path, capsys, engine, suffix):
    # ann's record ending at 18:00 was counted to 18:00 with --as-of 15:00, though --help says
    # the data's window ends at --as-of
    file = tmp_path / f"s{suffix}"
    write_sessions(file, AS_OF_IDS, AS_OF_STARTS, AS_OF_ENDS)
    assert (
        main(
            [
                "usage",
                str(file),
                "--license",
                "pc2",
                "--as-of",
                "2026-03-10T15:00:00Z",
                "--timezone",
                "UTC",
                "--engine",
                engine,
                "--by-user",
                "--format",
                "csv",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    minutes = {
        line.split(",")[3]: int(line.split(",")[5]) for line in captured.out.splitlines()[1:]
    }
    assert minutes == {"ann": 7 * 60, "bob": 3 * 60, "cat": 60}
    assert (
        captured.err.count(
            f"{file}: 2 session(s) end after --as-of 2026-03-10T15:00:00Z: "
            "each is counted until then (the data's window ends at "
            "--as-of)"
        )
        == 1
    )
    # the window ends at --as-of: 7 hours of a 31-day period
    assert (
        main(
            [
                "usage",
                str(file),
                "--license",
                "pc2",
                "--as-of",
                "2026-03-10T15:00:00Z",
                "--timezone",
                "UTC",
                "--engine",
                engine,
                "--format",
                "csv",
            ]
        )
        == 0
    )
    row = capsys.readouterr().out.splitlines()[1].split(",")
    assert float(row[8]) == pytest.approx(7 / (31 * 24))  # coverage


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_as_of_before_every_session_is_refused(tmp_path, capsys, engine, suffix):
    file = tmp_path / f"s{suffix}"
    write_sessions(file, AS_OF_IDS, AS_OF_STARTS, AS_OF_ENDS)
    assert (
        main(
            [
                "usage",
                str(file),
                "--license",
                "pc2",
                "--as-of",
                "2026-03-01T00:00:00Z",
                "--engine",
                engine,
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    place = {".csv": "line 2", ".parquet": "row 1", ".json": "userDetails[0].primaryPresence[0]"}
    assert err == (
        f"billing-model: error: {file}: {place[suffix]}, column 'start': "
        f"'2026-03-10T08:00:00Z' is after --as-of 2026-03-01T00:00:00Z (when the "
        "export was taken); accepted: an --as-of at or after every session's start\n"
    )


# --- dates: YYYY-MM-DD only ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["20260301", "2026-W09-7", "2026-3-1"])
def test_a_date_is_yyyy_mm_dd_only(tmp_path, capsys, value):
    # Python's fromisoformat read 20260301 (and week dates) as a date: --order-date 20260301
    # was accepted, so was order_date = "20260301" in a scenario
    file = tmp_path / "s.csv"
    file.write_text("user_id,start,end\nann,2026-03-10T08:00:00Z,2026-03-10T18:00:00Z\n")
    commands = {
        "--order-date": ["usage", str(file), "--license", "pc2", "--order-date", value],
        "--start-date": [
            "storage",
            "--calls-per-month",
            "100",
            "--avg-minutes",
            "5",
            "--retention-days",
            "30",
            "--start-date",
            value,
            "--months",
            "2",
            "--license",
            "pc2",
            "--license-model",
            "named",
            "--users",
            "10",
        ],
    }
    for flag, command in commands.items():
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err == (
            f"billing-model: error: {flag}: {value!r} is not a date; accepted: "
            "YYYY-MM-DD from 1900-01-01 to 2199-12-31\n"
        )
    path = scenario_file(tmp_path, ONE_IN_MARCH, order=f'"{value}"', term=1)
    with pytest.raises(
        BillingInputError,
        match=rf"^q\.toml: contract\.order_date: '{value}' is "
        r"not accepted; accepted: a date YYYY-MM-DD from 1900-01-01 to "
        r"2199-12-31$",
    ):
        load_scenario(path)


def test_a_date_text_in_a_udf_is_yyyy_mm_dd_only():
    from udfs.billing_udfs import BM_BILLING_PERIODS

    assert BM_BILLING_PERIODS("20260301", 2).startswith(
        "order_date: '20260301' is not a date; accepted: YYYY-MM-DD"
    )
    assert BM_BILLING_PERIODS("2026-03-01", 2)[1][0] is not None


# --- systemPresence values the vendor does not document --------------------------------------

ODD_PRESENCE = {
    "userDetails": [
        {
            "userId": "ann",
            "primaryPresence": [
                {
                    "startTime": "2026-03-10T08:00:00Z",
                    "endTime": "2026-03-10T12:00:00Z",
                    "systemPresence": "AVAILABLE",
                }
            ],
        },
        {
            "userId": "bob",
            "primaryPresence": [
                {
                    "startTime": "2026-03-10T08:00:00Z",
                    "endTime": "2026-03-10T09:00:00Z",
                    "systemPresence": "OFFLINE",
                },
                {
                    "startTime": "2026-03-10T09:00:00Z",
                    "endTime": "2026-03-10T12:00:00Z",
                    "systemPresence": "AVAILIBLE",
                },
            ],
        },
        {
            "userId": "cat",
            "primaryPresence": [
                {
                    "startTime": "2026-03-10T08:00:00Z",
                    "endTime": "2026-03-10T12:00:00Z",
                    "systemPresence": "AVAILIBLE",
                },
                {"startTime": "2026-03-10T09:00:00Z", "endTime": "2026-03-10T12:00:00Z"},
            ],
        },
    ]
}


@pytest.mark.parametrize("engine", ENGINES)
def test_an_odd_system_presence_is_refused_unless_other_presence_says(tmp_path, capsys, engine):
    # 'AVAILIBLE' (a typo) and a record without systemPresence counted as logged in: 3 users
    import json

    file = tmp_path / "x.json"
    file.write_text(json.dumps(ODD_PRESENCE))
    args = ["usage", str(file), "--license", "pc2", "--engine", engine, "--format", "csv"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err == (
        f"billing-model: error: {file}: userDetails[1].primaryPresence[1]."
        "systemPresence: unknown presence 'AVAILIBLE' (2 records), missing (1 record);"
        " accepted: AVAILABLE, AWAY, BUSY, OFFLINE, IDLE, ON_QUEUE, MEAL, TRAINING, "
        "MEETING, BREAK (each but OFFLINE logged in), or say what the others are with "
        "--other-presence logged-in|offline\n"
    )
    for said, named in (("offline", "1"), ("logged-in", "3")):
        assert main([*args, "--other-presence", said]) == 0
        assert capsys.readouterr().out.splitlines()[1].split(",")[4] == named


@PARTIAL_DATA
def test_other_presence_is_a_scenario_key(tmp_path):
    import json

    (tmp_path / "x.json").write_text(json.dumps(ODD_PRESENCE))
    text = CONTRACT.format(order="2026-03-10", term=1).replace("s.csv", "x.json")
    (tmp_path / "q.toml").write_text(text)
    with pytest.raises(
        BillingInputError,
        match=r"^q\.toml: usage\.sessions: .*x\.json: "
        r"userDetails\[1\]\.primaryPresence\[1\]\.systemPresence: unknown presence",
    ):
        load_scenario(tmp_path / "q.toml")
    for said, named in (("offline", 1), ("logged-in", 3)):
        (tmp_path / "q.toml").write_text(text + f'other_presence = "{said}"\n')
        assert load_scenario(tmp_path / "q.toml").users("pc2").tolist() == [named]
    (tmp_path / "q.toml").write_text(text + 'other_presence = "away"\n')
    with pytest.raises(
        BillingInputError,
        match=r"usage\.other_presence: 'away' is not accepted; "
        r"accepted: logged-in, offline$",
    ):
        load_scenario(tmp_path / "q.toml")


@pytest.mark.parametrize("engine", ENGINES)
def test_invisible_characters_at_the_ends_of_an_id_are_not_another_user(tmp_path, capsys, engine):
    # 'ann' with a zero-width space pasted after it, or a stray byte-order mark before it,
    # was billed as a second and third user (spaces were trimmed, these were not)
    file = tmp_path / "s.csv"
    write_sessions(
        file,
        ["ann", "ann\u200b", "\ufeffANN", "ann \u200b"],
        ["2026-03-02T14:00:00Z"] * 4,
        ["2026-03-02T15:00:00Z"] * 4,
    )
    assert (
        main(
            [
                "usage",
                str(file),
                "--license",
                "pc2",
                "--engine",
                engine,
                "--format",
                "csv",
                "--by-user",
            ]
        )
        == 0
    )
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [r.split(",")[3] for r in rows] == ["ann"]
