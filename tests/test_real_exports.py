"""Session data as real exports arrive (issue #11): each input that gave wrong numbers with
exit 0, as a literal test on its file in ``tests/data/`` (see the README there), through the CLI
on both engines (``--engine numpy`` and ``--engine dask``) and through the Python API.
Text that is data and the other odd inputs: tests/test_real_exports_odd.py.
"""

from __future__ import annotations

import shutil
import warnings

import pandas as pd
import pytest

from billing_model.cli import main
from billing_model.core.errors import BillingInputError, BillingWarning
from billing_model.core.periods import BillingCalendar
from billing_model.io.sessions import read_sessions
from billing_model.service import load_scenario
from tests.real_exports_data import (
    DATA,
    ENGINES,
    PARTIAL,
    api_usage,
    exit_code,
    usage_csv,
    usage_error,
)

# the warnings are part of what is tested: shown (pyproject ignores them elsewhere)
pytestmark = pytest.mark.filterwarnings("always::billing_model.core.errors.BillingWarning")


# --- 1. open presence records -----------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_open_records_run_to_the_latest_time_of_the_export(capsys, engine):
    # 40 agents in at 13:00 and lee at 13:30, none with an endTime; sup's OFFLINE record ends
    # at 18:00, the latest time in the export. It gave peak 1 and dropped lee as "zero-length".
    code, rows, err = usage_csv(
        capsys,
        DATA / "open_presence.json",
        "--license",
        "pc2",
        "--order-date",
        "2026-03-01",
        "--timezone",
        "UTC",
        engine=engine,
    )
    assert code == 0, err
    assert rows[
        ["named_users", "concurrent_users", "peak_concurrent", "raw_peak"]
    ].values.tolist() == [[42, 41, 41, 41]]
    assert (
        "open_presence.json: 41 presence record(s) have no endTime (still logged in): each "
        "is a login, taken to run until 2026-03-10T18:00:00Z (the latest start or end in "
        "the export"
    ) in err
    assert "zero-length" not in err


@pytest.mark.parametrize("engine", ENGINES)
def test_open_records_run_until_as_of(capsys, engine):
    # --as-of 13:30: lee's login is open from the instant it starts, still a named user;
    # the 40 agents are present 30 minutes: peak 40 (30 minutes at 40 or more)
    code, rows, err = usage_csv(
        capsys,
        DATA / "open_presence.json",
        "--license",
        "pc2",
        "--order-date",
        "2026-03-01",
        "--timezone",
        "UTC",
        "--as-of",
        "2026-03-10T13:30:00Z",
        engine=engine,
    )
    assert code == 0, err
    assert rows[["named_users", "peak_concurrent", "raw_peak"]].values.tolist() == [[42, 40, 40]]
    assert "taken to run until 2026-03-10T13:30:00Z (--as-of)" in err


@pytest.mark.parametrize("engine", ENGINES)
def test_open_records_through_the_api(engine):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = api_usage(
            DATA / "open_presence.json",
            engine,
            license="pc2",
            order_date="2026-03-01",
            timezone="UTC",
            as_of="2026-03-10T16:00:00Z",
        )
    assert out[["named_users", "peak_concurrent"]].values.tolist() == [[42, 41]]
    assert sum("have no endTime" in str(w.message) for w in caught) == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_zero_length_session_is_a_named_login_in_no_slice(capsys, engine):
    # bob's login has no length: he logged in (FAQ: anyone who logged in), so he is named, but
    # he is present in no minute (needs the event-sweep kernel of issue #10)
    code, rows, err = usage_csv(
        capsys,
        DATA / "zero_length.csv",
        "--license",
        "pc2",
        "--order-date",
        "2026-03-01",
        "--timezone",
        "UTC",
        engine=engine,
    )
    assert code == 0, err
    assert rows[
        ["named_users", "concurrent_users", "peak_concurrent", "raw_peak"]
    ].values.tolist() == [[2, 1, 1, 1]]
    assert "zero" not in err


# --- 2. clients ---------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_unknown_clients_are_refused_in_one_line(capsys, engine):
    err = usage_error(capsys, DATA / "clients.csv", "--license", "pc2", engine=engine)
    assert err == (
        f"billing-model: error: {DATA / 'clients.csv'}: line 9, column 'client': "
        "unknown client 'dekstop' (1 row), 'Web Browser' (2 rows), 'ios' (1 row); "
        "accepted: desktop, mobile, web (billable), api, bot, integration, sdk, "
        "service, system, webhook (not billable), blank (desktop), or say what the "
        "others are with --other-clients billable|not-billable"
    )


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "other, named", [("billable", 9), ("not-billable", 5), (" Not-Billable ", 5)]
)
def test_other_clients_says_what_they_are(capsys, engine, other, named):
    # known: ann bob cyd dan (desktop, ' Desktop ', WEB, Mobile) and eve (blank: desktop) are
    # billable, svc (api) and crm (Integration) are not; fay gus hal ivy follow --other-clients
    code, rows, err = usage_csv(
        capsys,
        DATA / "clients.csv",
        "--license",
        "pc2",
        "--order-date",
        "2026-03-01",
        "--timezone",
        "UTC",
        "--other-clients",
        other,
        engine=engine,
    )
    assert code == 0, err
    assert rows["named_users"].tolist() == [named]


def test_other_clients_typo_is_refused(capsys):
    code = exit_code(
        ["usage", str(DATA / "clients.csv"), "--license", "pc2", "--other-clients", "billabel"]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "--other-clients: invalid choice: 'billabel'" in err


def test_other_clients_from_a_scenario_key(tmp_path):
    shutil.copy(DATA / "clients.csv", tmp_path / "clients.csv")
    text = (
        (DATA / "one_month_quote.toml")
        .read_text()
        .replace("one_month_night_shift.csv", "clients.csv")
        .replace(
            'after_data = "repeat-last"', 'after_data = "zero"\nother_clients = "not-billable"'
        )
    )
    (tmp_path / "q.toml").write_text(text)
    with pytest.warns(BillingWarning, match=PARTIAL):  # a day of a month's period
        assert load_scenario(tmp_path / "q.toml").users("pc2").tolist() == [5] + [0] * 11
    (tmp_path / "bad.toml").write_text(text.replace('"not-billable"', '"maybe"'))
    with pytest.raises(
        BillingInputError,
        match=r"usage\.other_clients: 'maybe' is not "
        r"accepted; accepted: billable, not-billable",
    ):
        load_scenario(tmp_path / "bad.toml")


# --- 3. user ids --------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_user_ids_compare_without_case_and_spaces(engine):
    # the same GUID in two cases (and a trailing space), an e-mail in two cases: 2 users, not 4
    with pytest.warns(BillingWarning, match=PARTIAL):  # a day of a month's period
        out = api_usage(
            DATA / "ids.csv", engine, license="pc2", order_date="2026-03-01", timezone="UTC"
        )
    assert out["named_users"].tolist() == [2]
    sessions = read_sessions(DATA / "ids.csv", license="pc2")
    assert sessions.user_ids.tolist() == [
        "5f3c1a2e-9b7d-4e61-a0c2-3d4e5f6a7b8c",
        "Ann.Lee@Example.com",
    ]  # as first seen


def test_user_ids_unify_across_dask_parts(tmp_path):
    (tmp_path / "a.csv").write_text(
        "user_id,start,end\nBOB,2026-03-10T13:00:00Z,2026-03-10T14:00:00Z\n"
    )
    (tmp_path / "b.csv").write_text(
        "user_id,start,end\nbob,2026-03-10T14:00:00Z,"
        "2026-03-10T15:00:00Z\nann,2026-03-10T13:00:00Z,"
        "2026-03-10T13:40:00Z\n"
    )
    for engine in ENGINES:
        with pytest.warns(BillingWarning, match=PARTIAL):  # two hours of a month's period
            out = api_usage(
                tmp_path, engine, license="pc2", order_date="2026-03-01", timezone="UTC"
            )
        # BOB and bob are one user present 13:00-15:00; ann 13:00-13:40: 2 for 40 minutes
        assert out[["named_users", "peak_concurrent"]].values.tolist() == [[2, 2]], engine
    assert read_sessions(tmp_path, license="pc2").user_ids.tolist() == ["BOB", "ann"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "name, expected",
    [
        (
            "ids_null_markers.csv",
            "ids_null_markers.csv: line 4, column 'user_id': 'NULL' is a null marker, not a user",
        ),
        (
            "ids_null.parquet",
            "ids_null.parquet: row 2, column 'user_id': is blank; every session needs a user_id",
        ),
        (
            "ids_nan.parquet",
            "ids_nan.parquet: row 2, column 'user_id': 'nan' is a null marker, not a user",
        ),
    ],
)
def test_null_user_ids_are_refused_naming_the_row(capsys, engine, name, expected):
    assert expected in usage_error(capsys, DATA / name, "--license", "pc2", engine=engine)


# --- 4. measured and partial periods ------------------------------------------------------------


def test_coverage_is_the_share_of_each_period():
    cal = BillingCalendar("2026-03-01", "UTC")
    start = pd.Timestamp("2026-03-01T22:00Z").value
    end = pd.Timestamp("2026-04-01T06:00Z").value
    # March: 31 days less 22 hours; April: 6 hours of 30 days
    assert cal.coverage([0, 1, 2], start, end).tolist() == pytest.approx(
        [(31 * 24 - 22) / (31 * 24), 6 / (30 * 24), 0.0], abs=1e-12
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_usage_marks_partial_periods(capsys, engine):
    code, rows, err = usage_csv(
        capsys,
        DATA / "one_month_night_shift.csv",
        "--license",
        "pc2",
        "--order-date",
        "2026-03-01",
        "--timezone",
        "UTC",
        engine=engine,
    )
    assert code == 0, err
    assert rows[["period_start", "named_users", "coverage"]].values.tolist() == [
        ["2026-03-01", 21, pytest.approx(722 / 744)],
        ["2026-04-01", 1, pytest.approx(6 / 720)],
    ]
    assert (
        "warning: sessions: the data runs from 2026-03-01T22:00Z to 2026-04-01T06:00Z, less "
        "than half of 1 billing period(s): 2026-04-01 to 2026-04-30 (0.2 of 30 days)"
    ) in err
    assert err.count("less than half") == 1
    # the table marks the partial row
    assert (
        main(
            [
                "usage",
                str(DATA / "one_month_night_shift.csv"),
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
    table = capsys.readouterr().out
    assert "97%" in table and "<1% partial*" in table  # 0.8%: rounded down


def test_repeat_last_repeats_the_last_measured_period(capsys):
    # it repeated April (1 user: the night shift crossing midnight): 1,380 USD instead of 28,980
    with pytest.warns(BillingWarning, match=PARTIAL):  # April: 6 hours of the night shift
        scenario = load_scenario(DATA / "one_month_quote.toml")
    assert scenario.users("pc2").tolist() == [21] * 12
    assert main(["invoices", str(DATA / "one_month_quote.toml")]) == 0
    assert "Grand total: 28980.00 USD over 12 invoices" in capsys.readouterr().out


def test_repeat_last_needs_a_measured_period(tmp_path):
    (tmp_path / "s.csv").write_text(
        "user_id,start,end\nann,2026-03-10T13:00:00Z,2026-03-10T15:00:00Z\n"
    )
    text = (DATA / "one_month_quote.toml").read_text().replace("one_month_night_shift.csv", "s.csv")
    (tmp_path / "q.toml").write_text(text)
    with (
        pytest.raises(
            BillingInputError,
            match=r"usage\.after_data: 'repeat-last' needs a "
            r"measured period, and s\.csv covers less than "
            r"half of every billing period",
        ),
        pytest.warns(BillingWarning, match=PARTIAL),
    ):
        load_scenario(tmp_path / "q.toml")
