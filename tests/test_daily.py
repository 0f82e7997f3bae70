"""The vendor's daily concurrent usage report from the sessions
(docs/rules.md#daily-concurrent-report): literal cases computed by hand, the engine against the
slow reference, the CLI."""

import csv
import io
import warnings

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_model.cli import main
from billing_model.core.daily import DAILY_COLUMNS
from billing_model.core.errors import BillingWarning
from billing_model.core.usage import compute_usage
from tests.reference_usage import reference_daily
from tests.strategies import BASE, session_rows
from tests.usage_rows import direct_sessions, sessions


def daily(rows, **kw):
    kw.setdefault("order_date", "2026-01-01")
    return compute_usage(sessions(rows), daily=True, **kw)


def ts(text):
    return pd.Timestamp(text)


def test_days_are_local_days_and_the_peak_is_the_days_highest_mark():
    # America/New_York (UTC-5 in January): ann 09:00-10:00 local, bob 09:30 to 00:30 the next
    # day: two present at the marks 09:30 .. 09:59 (30), then bob alone from local midnight
    # 00:00 .. 00:29 (30 marks) on Jan 6; cy (Communicate) is not in the concurrent pool
    rows = [
        ("ann", ts("2026-01-05T14:00Z"), ts("2026-01-05T15:00Z")),
        ("bob", ts("2026-01-05T14:30Z"), ts("2026-01-06T05:30Z")),
        ("cy", ts("2026-01-05T14:45Z"), ts("2026-01-05T16:00Z"), "communicate"),
    ]
    out = daily(rows)
    assert list(out.columns) == DAILY_COLUMNS
    assert out.astype(str).values.tolist() == [
        ["prod", "2026-01-05", "2", "30"],
        ["prod", "2026-01-06", "1", "30"],
    ]
    # in UTC the same sessions are one day: the peak of 2 for 30 marks
    assert daily(rows, timezone="UTC").astype(str).values.tolist() == [
        ["prod", "2026-01-05", "2", "30"],
        ["prod", "2026-01-06", "1", "330"],
    ]


def test_minutes_at_peak_add_up_apart_and_no_minimum_applies():
    # two users together 10 marks in the morning and 5 in the afternoon: 15 minutes at 2 (no
    # 30-minute rule: a report, not the billable peak); a day without any mark has no row
    rows = [
        ("ann", ts("2026-01-05T14:00Z"), ts("2026-01-05T20:00Z")),
        ("bob", ts("2026-01-05T14:00Z"), ts("2026-01-05T14:10Z")),
        ("bob", ts("2026-01-05T18:00:30Z"), ts("2026-01-05T18:05:30Z")),
        ("eve", ts("2026-01-07T14:00:10Z"), ts("2026-01-07T14:00:50Z")),
    ]
    assert daily(rows).astype(str).values.tolist() == [["prod", "2026-01-05", "2", "15"]]


def test_a_dst_day_has_its_real_marks_and_orgs_are_apart():
    # 2026-03-08 in New York has 23 hours: a login over the whole local day holds 1,380 marks
    rows = [
        ("ann", ts("2026-03-08T05:00Z"), ts("2026-03-09T04:00Z"), "pc1", "web", "east"),
        ("bob", ts("2026-03-08T12:00Z"), ts("2026-03-08T13:00Z"), "pc1", "web", "west"),
    ]
    assert daily(rows, order_date="2026-03-01").astype(str).values.tolist() == [
        ["east", "2026-03-08", "1", "1380"],
        ["west", "2026-03-08", "1", "60"],
    ]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=session_rows,
    order_date=st.sampled_from(["2026-03-08", "2026-01-31"]),
    timezone=st.sampled_from(["America/New_York", "UTC", "Asia/Kolkata"]),
)
def test_engine_matches_reference(rows, order_date, timezone):
    ns = 1_000_000_000
    rows = [(u, o, lic, c, BASE + s * ns, BASE + (s + d) * ns) for u, o, lic, c, s, d in rows]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BillingWarning)
        got = compute_usage(
            direct_sessions(rows), order_date=order_date, timezone=timezone, daily=True
        )
    assert [(o, str(d), int(p), int(m)) for o, d, p, m in got.itertuples(index=False)] == (
        reference_daily(rows, order_date, timezone)
    )


@pytest.mark.parametrize("engine", ["numpy", "dask"])
def test_cli_daily_csv(tmp_path, capsys, engine):
    path = tmp_path / "s.csv"
    path.write_text(
        "user_id,start,end,license\n"
        "ann,2026-01-05T14:00:00Z,2026-01-05T15:00:00Z,pc2\n"
        "bob,2026-01-05T14:30:00Z,2026-01-06T05:30:00Z,pc2\n"
    )
    assert main(["usage", str(path), "--daily", "--format", "csv", "--engine", engine]) == 0
    text = capsys.readouterr().out
    assert list(csv.reader(io.StringIO(text))) == [
        DAILY_COLUMNS,
        ["default", "2026-01-05", "2", "30"],
        ["default", "2026-01-06", "1", "30"],
    ]


def test_cli_daily_and_by_user_are_refused_together(tmp_path, capsys):
    path = tmp_path / "s.csv"
    path.write_text("user_id,start,end\nann,2026-01-05T14:00:00Z,2026-01-05T15:00:00Z\n")
    assert main(["usage", str(path), "--daily", "--by-user"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--daily and --by-user" in err


def test_dask_partitions_add_up_to_the_same_days(tmp_path):
    from billing_model.dask_engine import compute_usage_dask
    from billing_model.io.sessions import read_sessions

    path = tmp_path / "s.csv"
    path.write_text(
        "user_id,org,start,end,license\n"
        "ann,east,2026-01-05T14:00:00Z,2026-01-05T15:00:00Z,pc2\n"
        "bob,east,2026-01-05T14:30:00Z,2026-01-06T05:30:00Z,pc2\n"
        "cy,east,2026-01-06T05:00:00Z,2026-01-06T05:20:00Z,pc1\n"
        "dee,west,2026-01-06T05:00:00Z,2026-01-06T05:20:00Z,pc1\n"
    )
    got = compute_usage_dask(
        path, order_date="2026-01-01", partition_rows=1, progress=False, daily=True
    )
    expected = compute_usage(read_sessions(str(path)), order_date="2026-01-01", daily=True)
    pd.testing.assert_frame_equal(got, expected)
    # east on Jan 6 (local): bob 00:00-00:30, cy 00:00-00:20 -> 2 for 20 marks
    assert got.astype(str).values.tolist() == [
        ["east", "2026-01-05", "2", "30"],
        ["east", "2026-01-06", "2", "20"],
        ["west", "2026-01-06", "1", "20"],
    ]
