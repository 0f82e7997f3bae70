"""Silent wrong answers of session data (issue #21): data outside the billed periods,
repeat-last over measured periods without users, ``--as-of`` inside the data, spellings of one
user id, coverage shown rounded, dates and presence values the vendor does not write.

Each test failed before its fix (a wrong number, a silent 0, or a traceback)."""

from __future__ import annotations

import functools
import warnings

import pytest

from billing_model.cli import main
from billing_model.core.errors import BillingInputError, BillingWarning
from billing_model.io.scenario import load_scenario
from billing_model.workbook import build_layout

ENGINES = ["numpy", "dask"]
# the CLI's warnings are part of what a user sees: shown here (pyproject ignores them)
pytestmark = pytest.mark.filterwarnings("always::billing_model.core.errors.BillingWarning")


def PARTIAL_DATA(test):  # noqa: N802 - reads as a mark
    """Ignore the partial-period warning of a test's short data where it is not what the test
    checks (test_real_exports and the coverage tests here assert it). A mark cannot: the
    module's "always" above is applied after a test's own marks."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "sessions: the data runs from", BillingWarning)
            return test(*args, **kwargs)

    return run


CONTRACT = (
    '[contract]\norder_date = {order}\nlicense = "pc2"\ncommitted_users = 0\n'
    'prepay_rate = 100\nterm_months = {term}\n[usage]\nsessions = "s.csv"\n'
)


def scenario_file(tmp_path, rows: str, *, order: str, term: int, extra: str = ""):
    (tmp_path / "s.csv").write_text("user_id,start,end,license,client\n" + rows)
    path = tmp_path / "q.toml"
    path.write_text(CONTRACT.format(order=order, term=term) + extra)
    return path


def usage_column(book, header: str) -> list:
    """The values (or the stored results of formulas) under a header of the Usage sheet."""
    sheet = book.sheet("Usage")
    col = next(c for (r, c), cell in sheet.cells.items() if r == 4 and cell.value == header)
    rows = sorted(r for (r, c) in sheet.cells if c == col and r > 4)
    return [
        sheet.cells[(r, col)].result
        if sheet.cells[(r, col)].formula is not None
        else sheet.cells[(r, col)].value
        for r in rows
    ]


# --- 1. session data wholly outside the billed periods ---------------------------------------

ONE_IN_MARCH = "ann,2026-03-01T14:00:00Z,2026-03-20T22:00:00Z,pc2,desktop\n"


@pytest.mark.parametrize("order", ["2026-05-01", "2025-10-01"])  # the data before; after
def test_repeat_last_without_a_measured_billed_period_is_refused(tmp_path, capsys, order):
    # invoices printed a header only, exit 0, no warning: nothing billed, nothing said
    path = scenario_file(
        tmp_path, ONE_IN_MARCH, order=order, term=3, extra='after_data = "repeat-last"\n'
    )
    for command in (
        ["invoices", str(path), "--format", "csv"],
        ["build", str(path), "-o", str(tmp_path / "q.xlsx")],
    ):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, err
        assert (
            "usage.after_data: 'repeat-last' needs a measured period, and s.csv holds no "
            "data in any of the 3 billed periods (the data runs from 2026-03-01T14:00Z to "
            "2026-03-20T22:00Z; the billed periods from "
        ) in err
    assert not (tmp_path / "q.xlsx").exists()


def test_data_before_the_billed_periods_warns_naming_them_and_builds(tmp_path, capsys):
    # build failed with KeyError: 'period' (workbook/usage.py); invoices billed 0 with a
    # warning that said "the periods after it" of periods the data never reached
    path = scenario_file(tmp_path, ONE_IN_MARCH, order="2026-05-01", term=3)
    with pytest.warns(BillingWarning) as caught:
        scenario = load_scenario(path)
    assert [str(w.message) for w in caught] == [
        "q.toml: usage.sessions: s.csv holds no data for 3 of the 3 billed periods: periods 0-2 "
        "(2026-05-01 to 2026-07-31); they count 0 users (the data runs from 2026-03-01T14:00Z "
        "to 2026-03-20T22:00Z; the billed periods from 2026-05-01 to 2026-07-31) (set "
        "usage.after_data = 'zero' or 'repeat-last' to say what the periods after the data "
        "hold)"
    ]
    assert scenario.users("pc2").tolist() == [0, 0, 0]
    assert main(["build", str(path), "-o", str(tmp_path / "q.xlsx")]) == 0
    assert "Traceback" not in capsys.readouterr().err
    assert (tmp_path / "q.xlsx").exists()


def test_data_after_the_billed_periods_warns_even_with_after_data_zero(tmp_path):
    # 'zero' says what periods *after* the data hold; these come before it
    path = scenario_file(
        tmp_path, ONE_IN_MARCH, order="2025-10-01", term=3, extra='after_data = "zero"\n'
    )
    with (
        pytest.warns(
            BillingWarning,
            match=r"s\.csv holds no data for 3 of the 3 billed "
            r"periods: periods 0-2 \(2025-10-01 to 2025-12-31\); they count 0 users "
            r"\(the data runs from 2026-03-01T14:00Z to 2026-03-20T22:00Z; the billed "
            r"periods from 2025-10-01 to 2025-12-31\)$",
        ),
        # and the March data no period bills is named too (docs/rules.md#month-to-month)
        pytest.warns(
            BillingWarning,
            match=r"s\.csv holds logged-in users for 1 period\(s\) past the 3 billed "
            r"periods, not billed: period 5 \(2026-03-01 to 2026-03-31\)",
        ),
    ):
        assert load_scenario(path).users("pc2").tolist() == [0, 0, 0]


def test_periods_before_the_data_are_named_not_only_those_after(tmp_path):
    # order on Feb 1, data in March only, 3 periods: February has no data (0 users, said),
    # April follows after_data = 'zero' (said explicitly: not warned)
    path = scenario_file(
        tmp_path, ONE_IN_MARCH, order="2026-02-01", term=3, extra='after_data = "zero"\n'
    )
    with pytest.warns(
        BillingWarning,
        match=r"holds no data for 1 of the 3 billed periods: "
        r"period 0 \(2026-02-01 to 2026-02-28\); they count 0 users",
    ):
        assert load_scenario(path).users("pc2").tolist() == [0, 1, 0]


# --- 2. repeat-last fills only the periods the data does not cover ----------------------------

ISSUE_2 = (
    "ann,2026-03-01T14:00:00Z,2026-03-20T22:00:00Z,pc2,desktop\n"
    "cat,2026-03-02T14:00:00Z,2026-03-02T22:00:00Z,pc2,desktop\n"
    "bob,2026-05-01T14:00:00Z,2026-05-01T22:00:00Z,pc2,desktop\n"
)


@PARTIAL_DATA
@pytest.mark.parametrize("april", ["", "api1,2026-04-10T14:00:00Z,2026-04-10T15:00:00Z,pc2,api\n"])
def test_repeat_last_keeps_a_measured_period_without_users(tmp_path, april):
    # it billed 2, 2, 2, 2: April is covered by the data and nobody logged in (or only an API
    # client did), so April is a measured period with 0 users, and it is what repeats
    path = scenario_file(
        tmp_path, ISSUE_2 + april, order="2026-03-01", term=4, extra='after_data = "repeat-last"\n'
    )
    scenario = load_scenario(path)
    assert scenario.users("pc2").tolist() == [2, 0, 0, 0]
    # the workbook's Usage sheet counts the same series
    book = build_layout(scenario)
    assert usage_column(book, "default pc2 named (sessions)")[:4] == [2, 0, 0, 0]
    assert usage_column(book, "Billable pc2 users (all orgs)")[:4] == [2, 0, 0, 0]


def test_repeat_last_still_repeats_the_last_measured_period_with_users(tmp_path):
    # the data ends in March (measured): April on repeat March's 2 users
    path = scenario_file(
        tmp_path,
        ISSUE_2.rsplit("bob", 1)[0],
        order="2026-03-01",
        term=3,
        extra='after_data = "repeat-last"\n',
    )
    scenario = load_scenario(path)
    assert scenario.users("pc2").tolist() == [2, 2, 2]
    assert usage_column(build_layout(scenario), "Billable pc2 users (all orgs)")[:3] == [2, 2, 2]


# --- 8. coverage is shown rounded down ---------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_period_just_short_of_half_covered_never_shows_50_percent(tmp_path, capsys, engine):
    # March 2026 in UTC is 31 days: half ends 2026-03-16T12:00Z; the data ends 1 ns before.
    # The table showed "50% partial*"
    file = tmp_path / "s.csv"
    file.write_text("user_id,start,end\nann,2026-03-01T00:00:00Z,2026-03-16T11:59:59.999999999Z\n")
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
            ]
        )
        == 0
    )
    out, err = capsys.readouterr()
    assert "49% partial*" in out and "50%" not in out
    # the warning's days are rounded down too: 15.5 of 31 days is half (measured)
    assert (
        "less than half of 1 billing period(s): 2026-03-01 to 2026-03-31 (15.4 of 31 days)" in err
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
            ]
        )
        == 0
    )
    coverage = float(capsys.readouterr().out.splitlines()[1].split(",")[8])  # coverage
    assert coverage < 0.5


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
        "--other-presence logged-in|offline (scenario key other_presence)\n"
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


# --- hostile: the workbook's series of each org's own session file ----------------------------


@PARTIAL_DATA
def test_workbook_counts_each_org_from_its_own_file_and_renamed_orgs(tmp_path):
    # build raised TypeError ('NoneType' object is not subscriptable) when an [[org]] had a
    # session file of its own (the sheet looked every org up in the first file) or [usage]
    # renamed the file's org with `name`
    (tmp_path / "dev.csv").write_text(
        "user_id,start,end,license,org\n"
        "zed,2026-03-05T14:00:00Z,2026-03-05T22:00:00Z,pc2,dev\n"
        "yan,2026-03-05T14:00:00Z,2026-04-25T22:00:00Z,pc2,dev\n"
    )
    path = scenario_file(
        tmp_path,
        ISSUE_2,
        order="2026-03-01",
        term=3,
        extra='after_data = "zero"\nname = "production"\n'
        '[[org]]\nname = "dev"\nsessions = "dev.csv"\n'
        'after_data = "repeat-last"\n',
    )
    scenario = load_scenario(path)
    assert {o.name: o.users["pc2"] for o in scenario.orgs} == {
        "production": (2, 0, 1),
        "dev": (2, 1, 1),
    }
    book = build_layout(scenario)
    assert usage_column(book, "production pc2 named (sessions)")[:3] == [2, 0, 1]
    assert usage_column(book, "dev pc2 named (sessions)")[:3] == [2, 1, 1]
    assert usage_column(book, "Billable pc2 users (all orgs)")[:3] == [4, 1, 2]


@PARTIAL_DATA
def test_repeat_last_with_data_measured_only_before_the_order_names_where_the_data_is(tmp_path):
    # February (before the order) is measured, March only 9 days: "covers less than half of
    # every billing period it touches" was wrong of February and did not say where the data is
    path = scenario_file(
        tmp_path,
        "ann,2026-02-01T14:00:00Z,2026-03-10T22:00:00Z,pc2,desktop\n",
        order="2026-03-01",
        term=4,
        extra='after_data = "repeat-last"\n',
    )
    with pytest.raises(
        BillingInputError,
        match=r"s\.csv covers less than half of every billing "
        r"period it touches among the 4 billed \(the data runs from "
        r"2026-02-01T14:00Z to 2026-03-10T22:00Z; the billed periods from "
        r"2026-03-01 to 2026-06-30\)",
    ):
        load_scenario(path)


def test_a_variant_billing_periods_without_data_is_warned_too(tmp_path):
    # the base bills March (data); a variant with a 6-month term billed June-August 0 users
    # silently: the warning was given once per file, for the base
    path = scenario_file(
        tmp_path,
        ISSUE_2,
        order="2026-03-01",
        term=1,
        extra='[[variant]]\nname = "longer"\nterm_months = 6\n',
    )
    with pytest.warns(BillingWarning) as caught:
        load_scenario(path)
    assert [str(w.message) for w in caught if "holds no data" in str(w.message)] == [
        "q.toml (variant 'longer'): usage.sessions: s.csv holds no data for 3 of the 6 billed "
        "periods: periods 3-5 (2026-06-01 to 2026-08-31); they count 0 users (the data runs "
        "from 2026-03-01T14:00Z to 2026-05-01T22:00Z; the billed periods from 2026-03-01 to "
        "2026-08-31) (set usage.after_data = 'zero' or 'repeat-last' to say what the periods "
        "after the data hold)"
    ]


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
