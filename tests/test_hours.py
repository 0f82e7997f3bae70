"""Hourly licensing: logged-in hours per org, period and license (docs/rules.md#hourly-licensing),
as literal cases computed by hand, and the CLI's two columns."""

import csv
import io

import pandas as pd
import pytest

from billing_model.cli import main
from tests.usage_rows import at, usage


def _hours(minutes: float) -> pd.Timedelta:
    return pd.Timedelta(minutes=minutes)


def test_vendor_example_222_34_hours_billed_223():
    # https://help.mypurecloud.com/?p=214024: "112.23 h + 110.11 h = 222.34 h", billed 223 h.
    # 112.23 h = 6733.8 min, 110.11 h = 6606.6 min; each user's time as several logins
    t = pd.Timestamp("2026-01-02T00:00Z")
    rows = [
        ("ann", t, t + _hours(6000), "pc2"),
        ("ann", t + _hours(7000), t + _hours(7733.8), "pc2"),
        ("bob", t, t + _hours(3000), "pc2"),
        ("bob", t + _hours(4000), t + _hours(7606.6), "pc2"),
    ]
    out = usage(rows)
    assert out["logged_in_hours"].round(2).tolist() == [222.34]
    assert out["billable_hours"].tolist() == [223]


def test_overlapping_devices_count_once_and_api_time_is_not_logged_in():
    # ann: desktop 14:00-16:00 and mobile 15:00-17:00 (3 h, not 4); an api session all day
    rows = [
        ("ann", at(0), at(120), "pc1", "desktop"),
        ("ann", at(60), at(180), "pc1", "mobile"),
        ("ann", at(-600), at(600), "pc1", "api"),
    ]
    out = usage(rows)
    assert out["logged_in_hours"].tolist() == [3.0]
    assert out["billable_hours"].tolist() == [3]


def test_a_session_inside_another_adds_nothing_and_seconds_round_up_to_an_hour():
    # 14:00-18:00, 15:00-15:30 inside it, then 18:00:00-18:00:01: 4 h and one second -> 5 h
    rows = [("ann", at(0), at(240)), ("ann", at(60), at(90)), ("ann", at(240), at(240, 1))]
    out = usage(rows)
    assert out["logged_in_hours"].tolist() == [pytest.approx(4 + 1 / 3600, rel=1e-15)]
    assert out["billable_hours"].tolist() == [5]


def test_hours_go_to_the_license_billed_and_each_license_is_rounded_on_its_own():
    # ann upgrades pc1 -> pc2 mid-period: all her 1.5 h are pc2 time; cy's 0.25 h are pc1 time,
    # each license's total rounded up on its own (2 h and 1 h, not 2 h for 1.75 h)
    rows = [
        ("ann", at(0), at(60), "pc1"),
        ("ann", at(120), at(150), "pc2"),
        ("cy", at(0), at(15), "pc1"),
    ]
    out = usage(rows)
    assert out[["license", "logged_in_hours", "billable_hours"]].values.tolist() == [
        ["pc1", 0.25, 1],
        ["pc2", 1.5, 2],
    ]


def test_a_session_crossing_the_period_boundary_is_cut_there():
    # periods from 2026-01-01 (America/New_York): 2026-02-01 starts at 05:00Z; a login from
    # 03:30Z to 07:00Z is 1.5 h in January and 2 h in February; a zero-length login is 0 h
    rows = [
        ("ann", pd.Timestamp("2026-02-01T03:30Z"), pd.Timestamp("2026-02-01T07:00Z")),
        ("bob", pd.Timestamp("2026-01-20T10:00Z"), pd.Timestamp("2026-01-20T10:00Z")),
    ]
    out = usage(rows)
    assert out[["period_start", "named_users", "logged_in_hours", "billable_hours"]].astype(
        str
    ).values.tolist() == [["2026-01-01", "2", "1.5", "2"], ["2026-02-01", "1", "2.0", "2"]]


def test_cli_csv_has_both_columns_to_two_decimals(tmp_path, capsys):
    path = tmp_path / "s.csv"
    path.write_text(
        "user_id,start,end,license\n"
        "ann,2026-01-05T14:00:00Z,2026-01-05T15:20:24Z,pc2\n"
        "bob,2026-01-05T14:00:00Z,2026-01-05T14:00:36Z,pc2\n"
    )
    assert main(["usage", str(path), "--order-date", "2026-01-01", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    # 1 h 20 min 24 s + 36 s = 1 h 21 min = 1.35 h, billed 2 h
    assert [(r["logged_in_hours"], r["billable_hours"]) for r in rows] == [("1.35", "2")]


def test_segmented_reach_against_a_loop_with_long_chains_of_nested_sessions():
    # the furthest end so far within each group: short chains are followed row by row, a chain
    # of more than 32 nested sessions (one long login, 100 short ones inside) by doubling
    import numpy as np

    from billing_model.core.hours import segmented_reach

    rng = np.random.default_rng(19)
    cases = [(np.r_[1000, np.arange(100, 0, -1)], np.r_[True, np.zeros(100, bool)])]
    for _ in range(300):
        n = int(rng.integers(1, 60))
        new = rng.random(n) < 0.2
        new[0] = True
        cases.append((rng.integers(0, 50, n), new))
    for end, new in cases:
        expected, best = [], None
        for e, starts in zip(end.tolist(), new.tolist(), strict=True):
            best = e if starts else max(best, e)
            expected.append(best)
        assert segmented_reach(end, new).tolist() == expected
