"""The usage rules as literal tests, and the engine against the slow reference (Hypothesis)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_model.core.errors import BillingInputError, BillingWarning
from billing_model.core.usage import COLUMNS, USER_COLUMNS, compute_usage, concurrency_profile
from billing_model.io.sessions import sessions_from_columns
from tests.reference_usage import HOUR, reference_usage
from tests.strategies import BASE, session_rows
from tests.usage_rows import at, crowd, direct_sessions, sessions, usage

# --- the vendor's published method -----------------------------------------------------------


def test_vendor_example_500_for_31_minutes_and_503_for_6():
    # docs/rules.md#cumulative-rule: "500 users for 31 minutes, 503 users for 6 minutes -> 500 is
    # billed"
    rows = crowd(500, 0, 31, "a") + crowd(3, 10, 16, "b")
    for rule in ("cumulative", "contiguous"):
        out = usage(rows, peak_rule=rule)
        assert out["peak_concurrent"].tolist() == [500]
        assert out["raw_peak"].tolist() == [503]
        assert out["named_users"].tolist() == [503]
        assert out["concurrent_users"].tolist() == [500]


@pytest.mark.parametrize("spike, expected", [(29, 10), (30, 15)])
def test_spike_of_29_vs_30_minutes_under_each_rule(spike, expected):
    rows = crowd(10, 0, 600, "base") + crowd(5, 100, 100 + spike, "spike")
    for rule in ("cumulative", "contiguous"):
        assert usage(rows, peak_rule=rule)["peak_concurrent"].iloc[0] == expected


def test_non_contiguous_minutes_add_up_only_under_the_cumulative_rule():
    # two 15-minute shift overlaps: 30 minutes in total, never 30 in a row
    rows = crowd(10, 0, 600, "base") + crowd(5, 60, 75, "x") + crowd(5, 300, 315, "y")
    assert usage(rows, peak_rule="cumulative")["peak_concurrent"].iloc[0] == 15
    assert usage(rows, peak_rule="contiguous")["peak_concurrent"].iloc[0] == 10


def test_min_minutes_is_a_setting():
    rows = crowd(10, 0, 600, "base") + crowd(5, 100, 110, "spike")
    assert usage(rows, min_minutes=10)["peak_concurrent"].iloc[0] == 15
    assert usage(rows, min_minutes=11)["peak_concurrent"].iloc[0] == 10


def test_peak_users_are_those_present_longest_with_their_licenses():
    # 3 pc3 users for 40 minutes, 2 pc2 users all day: peak 2 at level >= 30 min... the level-5
    # minutes are 40, so the peak is 5 and everyone is billed; then drop to a 3-peak case
    rows = crowd(3, 0, 40, "p3-", "pc3") + crowd(2, 0, 600, "p2-", "pc2")
    out = usage(rows)
    assert out["peak_concurrent"].tolist() == [5, 5]
    assert dict(zip(out["license"], out["concurrent_users"], strict=True)) == {"pc2": 2, "pc3": 3}
    rows = crowd(3, 0, 20, "p3-", "pc3") + crowd(2, 0, 600, "p2-", "pc2")
    out = usage(rows)
    assert out["peak_concurrent"].tolist() == [2, 2]
    assert dict(zip(out["license"], out["concurrent_users"], strict=True)) == {"pc2": 2, "pc3": 0}


def test_ties_go_to_the_higher_license_then_user_id():
    # four users present exactly as long; the peak is 3 over 60 minutes of 4... make it 3:
    rows = [
        ("d", at(0), at(60), "pc1"),
        ("c", at(0), at(60), "pc3"),
        ("b", at(0), at(60), "pc1"),
        ("a", at(0), at(60), "pc2"),
    ]
    out = usage(rows, min_minutes=30)
    assert out["peak_concurrent"].iloc[0] == 4
    # with only 3 billable (one leaves at minute 45 -> ties broken among the rest)
    rows = [
        ("d", at(0), at(60), "pc1"),
        ("c", at(0), at(60), "pc3"),
        ("b", at(0), at(60), "pc1"),
        ("a", at(0), at(60), "pc2"),
        ("e", at(0), at(20), "pc3"),
    ]
    out = usage(rows, min_minutes=61)  # nothing reaches 61 minutes: peak 0
    assert out["peak_concurrent"].iloc[0] == 0
    assert out["concurrent_users"].sum() == 0
    rows = [("d", at(0), at(30)), ("c", at(0), at(30)), ("b", at(0), at(30)), ("a", at(0), at(30))]
    rows = [
        (u, s, e, lic) for (u, s, e), lic in zip(rows, ["pc1", "pc1", "pc1", "pc1"], strict=True)
    ]
    rows.append(("z", at(100), at(130), "pc1"))  # present as long as the others, later
    out = usage(rows)
    assert out["peak_concurrent"].iloc[0] == 4
    assert out["concurrent_users"].iloc[0] == 4  # a, b, c, d: 'z' loses the user_id tie


def test_tie_break_prefers_higher_license_over_user_id():
    rows = [
        ("a", at(0), at(30), "pc1"),
        ("b", at(0), at(30), "pc3"),
        ("c", at(100), at(130), "pc1"),
    ]
    out = usage(rows, min_minutes=30)
    # levels: 2 users for 30 minutes, then 1 -> peak 2; a, b, c present 30 minutes each
    got = dict(zip(out["license"], out["concurrent_users"], strict=True))
    assert got == {"pc1": 1, "pc3": 1}  # b (pc3) first, then a beats c on user_id


# --- who is billable -------------------------------------------------------------------------


def test_overlapping_devices_count_once():
    rows = [
        ("ann", at(0), at(60), "pc2", "desktop"),
        ("ann", at(10), at(50), "pc2", "mobile"),
        ("ann", at(30), at(90), "pc2", "web"),
    ]
    out = usage(rows)
    assert out[["named_users", "peak_concurrent", "raw_peak"]].values.tolist() == [[1, 1, 1]]


def test_api_sessions_are_not_billable():
    rows = [
        ("bot", at(0), at(600), "pc2", "api"),
        ("ann", at(0), at(60), "pc2", "web"),
        ("ann", at(100), at(200), "pc2", "api"),
    ]
    out = usage(rows)
    assert out["named_users"].tolist() == [1]
    assert out["raw_peak"].tolist() == [1]
    prof = concurrency_profile(sessions(rows), at(0).value, at(300).value)
    assert prof["users"].max() == 1 and prof["users"].iloc[150] == 0


# --- presence is sampled at minute marks (docs/rules.md#concurrency) -----------------------------


def test_shift_handover_within_a_minute_counts_nobody_twice():
    # three shifts of 20 agents: each logs out at hh:00:20, the next shift logs in at hh:00:40;
    # every minute mark sees 20 (touching the minute billed 40, +3,200 USD at 160 USD)
    rows = []
    for day in range(30):
        for shift, (h0, h1) in enumerate([(0, 8), (8, 16), (16, 24)]):
            start = at(day * 1440 + h0 * 60, 40)
            end = at(day * 1440 + h1 * 60, 20)
            rows += [(f"s{shift}-{i:02d}", start, end, "pc2") for i in range(20)]
    for rule in ("cumulative", "contiguous"):  # one period: 2026-01-05 to 2026-02-04
        out = usage(rows, peak_rule=rule, order_date="2026-01-05")
        assert out[
            ["named_users", "concurrent_users", "peak_concurrent", "raw_peak"]
        ].values.tolist() == [[60, 20, 20, 20]]


@pytest.mark.parametrize("minutes, billed", [(29, 1), (30, 2)])
def test_a_burst_from_30_seconds_past_holds_as_many_marks_as_whole_minutes(minutes, billed):
    # one agent all day, a second from 10:00:30 for 29 (not billed) or 30 minutes (billed)
    rows = [("all-day", at(0), at(600), "pc1"), ("burst", at(60, 30), at(60 + minutes, 30), "pc1")]
    for rule in ("cumulative", "contiguous"):
        out = usage(rows, peak_rule=rule)
        assert out["peak_concurrent"].tolist() == [billed]
        assert out["raw_peak"].tolist() == [2]


def test_fifteen_two_second_logins_across_a_minute_mark_are_not_a_peak():
    # each login (hh:mm:59 to hh:mm+1:01) holds one mark: 15 marks at level 2, under 30
    rows = [("all-day", at(0), at(600), "pc1")]
    rows += [(f"blip{i}", at(10 * i, 59), at(10 * i + 1, 1), "pc1") for i in range(15)]
    out = usage(rows)
    assert out[
        ["named_users", "peak_concurrent", "raw_peak", "concurrent_users"]
    ].values.tolist() == [[16, 1, 2, 1]]


def test_a_login_inside_one_minute_is_named_and_in_no_slice():
    rows = [("ann", at(0, 10), at(0, 30), "pc1")]
    out = usage(rows, min_minutes=1)
    assert out[["named_users", "peak_concurrent", "raw_peak"]].values.tolist() == [[1, 0, 0]]
    frame = compute_usage(sessions(rows), order_date="2026-01-01", by_user=True)
    assert frame[["user_id", "minutes_present", "named", "billed_concurrent"]].values.tolist() == [
        ["ann", 0, True, False]
    ]


def test_a_session_holds_its_start_mark_but_not_its_end_mark():
    # 14:00:00 to 14:30:00 holds 14:00 .. 14:29: 30 marks, billed at 30 minutes
    rows = [("ann", at(0), at(30), "pc1")]
    assert usage(rows)["peak_concurrent"].tolist() == [1]
    assert usage(rows, min_minutes=31)["peak_concurrent"].tolist() == [0]


def test_zero_length_logins_are_named_users_in_no_slice():
    s = direct_sessions(
        [
            ("a", "prod", "pc2", "desktop", at(0).value, at(0).value),
            ("b", "prod", "pc2", "web", at(5).value, at(5).value),
            ("c", "prod", "pc2", "desktop", at(0).value, at(60).value),
        ]
    )
    out = compute_usage(s, order_date="2026-01-01")
    assert out[
        ["named_users", "concurrent_users", "peak_concurrent", "raw_peak"]
    ].values.tolist() == [[3, 1, 1, 1]]


def test_by_user_rows_reconcile_the_usage_rows():
    rows = (
        crowd(3, 0, 40, "p3-", "pc3")
        + crowd(2, 0, 600, "p2-", "pc2")
        + [("sup", at(0), at(600), "communicate"), ("bot", at(0), at(600), "pc2", "api")]
    )
    frame = compute_usage(sessions(rows), order_date="2026-01-01", by_user=True)
    assert list(frame.columns[:8]) == [
        "org",
        "period_start",
        "period_end",
        "user_id",
        "license",
        "minutes_present",
        "named",
        "billed_concurrent",
    ]
    got = {
        u: (lic, m, n, b)
        for u, lic, m, n, b in frame[
            ["user_id", "license", "minutes_present", "named", "billed_concurrent"]
        ].itertuples(index=False)
    }
    assert got == {
        "p3-0000": ("pc3", 40, True, True),
        "p3-0001": ("pc3", 40, True, True),
        "p3-0002": ("pc3", 40, True, True),
        "p2-0000": ("pc2", 600, True, True),
        "p2-0001": ("pc2", 600, True, True),
        "sup": ("communicate", 600, True, False),
        "bot": ("pc2", 0, False, False),
    }
    summary = usage(rows)
    assert frame["named"].sum() == summary["named_users"].sum()
    assert frame["billed_concurrent"].sum() == summary["concurrent_users"].sum()


def test_upgrade_mid_period_bills_the_higher_license_for_the_whole_period():
    rows = [
        ("ann", at(0), at(60), "communicate"),
        ("ann", at(60 * 24 * 3), at(60 * 24 * 3 + 60), "pc2"),
    ]
    out = usage(rows)
    assert out["license"].tolist() == ["pc2"]
    assert out["named_users"].tolist() == [1]
    # she is in the pool, and her communicate-era minutes count towards her presence
    assert out["concurrent_users"].tolist() == [1]


def test_communicate_users_are_named_only():
    rows = crowd(5, 0, 600, "sup", "communicate") + crowd(2, 0, 600, "ag", "pc2")
    out = usage(rows)
    got = out.set_index("license")[["named_users", "concurrent_users"]].to_dict("index")
    assert got == {
        "communicate": {"named_users": 5, "concurrent_users": 0},
        "pc2": {"named_users": 2, "concurrent_users": 2},
    }
    assert out["peak_concurrent"].tolist() == [2, 2]


def test_orgs_are_billed_separately():
    rows = crowd(4, 0, 120, "p") + [
        (f"t{i}", at(0), at(120), "pc2", "web", "training") for i in range(3)
    ]
    out = usage(rows)
    assert out[["org", "named_users", "peak_concurrent"]].values.tolist() == [
        ["prod", 4, 4],
        ["training", 3, 3],
    ]


def test_session_crossing_a_period_boundary_counts_in_both():
    # order date 2026-01-15: the boundary is 2026-02-15 05:00 UTC (local midnight EST)
    rows = [("ann", pd.Timestamp("2026-02-15T04:00Z"), pd.Timestamp("2026-02-15T06:00Z"), "pc2")]
    out = compute_usage(sessions(rows), order_date="2026-01-15", min_minutes=60)
    assert out["period_start"].astype(str).tolist() == ["2026-01-15", "2026-02-15"]
    assert out["period_end"].astype(str).tolist() == ["2026-02-14", "2026-03-14"]
    assert out["named_users"].tolist() == [1, 1]
    assert out["peak_concurrent"].tolist() == [1, 1]  # 60 minutes on each side


def test_session_ending_exactly_at_the_boundary_stays_in_its_period():
    rows = [("ann", pd.Timestamp("2026-02-15T04:00Z"), pd.Timestamp("2026-02-15T05:00Z"), "pc2")]
    out = compute_usage(sessions(rows), order_date="2026-01-15")
    assert out["period_start"].astype(str).tolist() == ["2026-01-15"]


def test_deleted_user_still_counts_for_the_period():
    # a user who logged in on day 1 and was deleted on day 2 is named for the whole period
    rows = [("gone", at(0), at(30), "pc2"), ("ann", at(60 * 24 * 10), at(60 * 24 * 10 + 30))]
    assert usage(rows)["named_users"].tolist() == [2]


def test_history_before_the_order_date():
    rows = [("ann", pd.Timestamp("2025-12-20T15:00Z"), pd.Timestamp("2025-12-20T16:00Z"), "pc2")]
    out = compute_usage(sessions(rows), order_date="2026-01-15")
    assert out["period_start"].astype(str).tolist() == ["2025-12-15"]
    assert out["period"].tolist() == [-1]


def test_mixing_pc_tiers_in_one_org_warns():
    rows = [("a", at(0), at(60), "pc1"), ("b", at(0), at(60), "pc2")]
    with pytest.warns(BillingWarning, match="mixes pc1, pc2"):
        usage(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # an hour of data is a partial period (its own warning); no tier warning
        warnings.filterwarnings("ignore", message=".*less than half of 1 billing period")
        usage([("a", at(0), at(60), "pc2"), ("b", at(0), at(60), "communicate")])


def test_zero_length_sessions_are_logins_in_no_slice():
    # the FAQ bills anyone who logged in: a and b are named users; only c is ever present
    # (needs the event-sweep kernel of issue #10)
    rows = [("a", at(0), at(0)), ("b", at(0), at(0)), ("c", at(0), at(60))]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = usage(rows)
    assert not [w for w in caught if "zero" in str(w.message)]
    assert out[["named_users", "peak_concurrent", "raw_peak"]].values.tolist() == [[3, 1, 1]]


def test_output_columns_and_order():
    rows = (
        [("s", at(0), at(60), "communicate", "web", "b-org")]
        + crowd(2, 0, 60, "x")
        + [
            (
                "t",
                pd.Timestamp("2026-02-02T15:00Z"),
                pd.Timestamp("2026-02-02T16:00Z"),
                "pc3",
                "web",
                "a-org",
            )
        ]
    )
    out = usage(rows)
    assert list(out.columns[: len(COLUMNS)]) == COLUMNS
    assert out[["period_start", "org", "license"]].astype(str).values.tolist() == [
        ["2026-01-01", "b-org", "communicate"],
        ["2026-01-01", "prod", "pc2"],
        ["2026-02-01", "a-org", "pc3"],
    ]


def test_bad_peak_rule_and_min_minutes():
    rows = crowd(1, 0, 60, "a")
    with pytest.raises(BillingInputError, match="accepted: cumulative"):
        usage(rows, peak_rule="longest")
    with pytest.raises(BillingInputError, match="whole number"):
        usage(rows, min_minutes=0)


# --- the engine against the reference --------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=session_rows,
    order_date=st.sampled_from(["2026-03-08", "2026-01-31", "2026-02-09"]),
    timezone=st.sampled_from(["America/New_York", "UTC", "Asia/Kolkata"]),
    rule=st.sampled_from(["cumulative", "contiguous"]),
    min_minutes=st.integers(1, 45),
)
def test_engine_matches_reference(rows, order_date, timezone, rule, min_minutes):
    ns = 1_000_000_000
    rows = [(u, o, lic, c, BASE + s * ns, BASE + (s + d) * ns) for u, o, lic, c, s, d in rows]
    s = direct_sessions(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BillingWarning)
        got = compute_usage(
            s, order_date=order_date, timezone=timezone, peak_rule=rule, min_minutes=min_minutes
        )
        by_user = compute_usage(
            s,
            order_date=order_date,
            timezone=timezone,
            peak_rule=rule,
            min_minutes=min_minutes,
            by_user=True,
        )
    got_rows = [
        (o, str(a), str(b), lic, int(n), int(c), int(p), int(r))
        for o, a, b, lic, n, c, p, r in got[COLUMNS[:8]].itertuples(index=False)
    ]
    expected = reference_usage(rows, order_date, timezone, rule, min_minutes, hours=True)
    assert got_rows == [row[:8] for row in expected]
    # logged-in hours: exact nanoseconds in the reference, a float for showing in the engine
    assert got["logged_in_hours"].tolist() == pytest.approx(
        [row[8] / HOUR for row in expected], rel=1e-12, abs=1e-12
    )
    assert got["billable_hours"].tolist() == [row[9] for row in expected]
    expected_users = reference_usage(rows, order_date, timezone, rule, min_minutes, by_user=True)
    got_users = [
        (o, str(a), str(b), u, lic, int(m), bool(n), bool(c))
        for o, a, b, u, lic, m, n, c in by_user[USER_COLUMNS].itertuples(index=False)
    ]
    assert sorted(got_users) == sorted(expected_users)


def test_dst_weekends_count_real_minutes():
    # 2026-11-01: 01:00-02:00 EDT happens twice; a login from 01:30 EDT to 01:30 EST lasts
    # 60 real minutes (05:30Z-06:30Z), and the period from 2026-11-01 starts at 04:00Z
    rows = [
        (
            "ann",
            pd.Timestamp("2026-11-01T01:30-04:00"),
            pd.Timestamp("2026-11-01T01:30-05:00"),
            "pc1",
        ),
        ("bob", pd.Timestamp("2026-11-01T03:50Z"), pd.Timestamp("2026-11-01T04:10Z"), "pc1"),
    ]
    out = compute_usage(sessions(rows), order_date="2026-11-01", min_minutes=60)
    assert out[["period_start", "named_users", "peak_concurrent"]].astype(str).values.tolist() == [
        ["2026-10-01", "1", "0"],
        ["2026-11-01", "2", "1"],
    ]
    # 2026-03-08: the day has 23 hours; the period from 03-08 starts at 05:00Z (EST midnight)
    rows = [("cat", pd.Timestamp("2026-03-08T04:45Z"), pd.Timestamp("2026-03-08T05:15Z"), "pc1")]
    out = compute_usage(sessions(rows), order_date="2026-03-08", min_minutes=15)
    assert out[["period_start", "peak_concurrent"]].astype(str).values.tolist() == [
        ["2026-02-08", "1"],
        ["2026-03-08", "1"],
    ]


def test_periods_without_any_session_give_no_rows():
    rows = [("ann", at(0), at(60), "pc2")]
    out = compute_usage(sessions(rows), order_date="2026-01-01", periods=(3, 5))
    assert out.empty and list(out.columns[: len(COLUMNS)]) == COLUMNS


@pytest.mark.parametrize("late", ["2062-03-01T10:00Z", "2262-03-01T10:00Z"])
def test_data_over_decades_is_refused_before_counting_minutes(late):
    # one row with a wrong year: 36 years took 0.5 GB of per-minute counts, 2262 overflowed the
    # calendar (an OverflowError traceback)
    # refused as the rows are read, naming them (it named neither row nor column)
    expected = (
        r"sessions run from 2026-03-01 \(sessions: row 1, column 'start'\) to 2062-03-01 "
        r"\(sessions: row 2, column 'end'\): 433 months; accepted: at most 240 months"
        if late.startswith("2062")
        else r"^sessions: row 2, column 'end': 2262-03-01 is out of range; accepted"
    )
    with pytest.raises(BillingInputError, match=expected):
        sessions_from_columns(
            ["a", "b"],
            ["2026-03-01T10:00Z", late],
            ["2026-03-01T12:00Z", late[:11] + "12:00Z"],
            license="pc2",
        )


def test_data_past_the_calendar_without_an_order_date_names_the_sessions():
    # it said "order_date: 2262-03-01 is out of range" though no order date was given
    # and now the row is named, as it is read
    with pytest.raises(
        BillingInputError,
        match=r"^sessions: row 1, column 'start': 2262-03-01 is "
        r"out of range",
    ):
        sessions_from_columns(["a"], ["2262-03-01T10:00Z"], ["2262-03-01T12:00Z"], license="pc2")


# --- usage --by-user through the command line ---------------------------------------------------


@pytest.mark.parametrize("engine", ["numpy", "dask"])
def test_cli_by_user_rows(tmp_path, capsys, engine):
    from billing_model.cli import main

    path = tmp_path / "handover.csv"
    path.write_text(
        "user_id,start,end,license,client\n"
        "amy,2026-01-05T06:00:40Z,2026-01-05T14:00:20Z,pc2,desktop\n"
        "ben,2026-01-05T14:00:40Z,2026-01-05T22:00:20Z,pc2,web\n"
        "bot,2026-01-05T06:00:00Z,2026-01-05T22:00:00Z,pc2,api\n"
    )
    assert (
        main(
            [
                "usage",
                str(path),
                "--by-user",
                "--format",
                "csv",
                "--engine",
                engine,
                "--order-date",
                "2026-01-01",
                "--timezone",
                "UTC",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == [
        "org,period_start,period_end,user_id,license,minutes_present,named,billed_concurrent",
        # amy holds the marks 06:01 .. 14:00 (480), ben 14:01 .. 22:00 (480): never together
        "default,2026-01-01,2026-01-31,amy,pc2,480,true,true",
        "default,2026-01-01,2026-01-31,ben,pc2,480,true,false",
        "default,2026-01-01,2026-01-31,bot,pc2,0,false,false",
    ]


def test_reading_on_threads_keeps_the_first_bad_row(tmp_path, monkeypatch):
    # batches are encoded on threads; the error of the earliest bad batch is the one raised
    from billing_model.io import sessions as io_sessions

    monkeypatch.setattr(io_sessions, "BATCH_ROWS", 2)
    monkeypatch.setattr(io_sessions, "WORKERS", 2)
    start = pd.to_datetime([f"2026-01-05T0{i}:00:00Z" for i in range(9)], utc=True)
    end = start + pd.Timedelta(minutes=30)
    end = end.where(~np.isin(np.arange(9), [3, 7]), start - pd.Timedelta(minutes=5))
    pd.DataFrame(
        {"user_id": [f"u{i}" for i in range(9)], "start": start, "end": end, "license": "pc2"}
    ).to_parquet(tmp_path / "s.parquet", row_group_size=2)
    with pytest.raises(BillingInputError, match=r"s\.parquet: row 4: end"):
        io_sessions.read_sessions(tmp_path / "s.parquet")


def test_by_user_warns_about_partial_periods_too(tmp_path, capsys):
    # one day of data: the summary rows warned that March is partial, --by-user said nothing
    from billing_model.cli import main

    path = tmp_path / "day.csv"
    path.write_text(
        "user_id,start,end,license\namy,2026-03-10T13:00:00Z,2026-03-10T15:00:00Z,pc2\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("always", BillingWarning)  # the CLI prints them on stderr
        assert main(["usage", str(path), "--by-user", "--format", "csv", "--timezone", "UTC"]) == 0
    captured = capsys.readouterr()
    assert "less than half of 1 billing period(s)" in captured.err
    assert captured.out.splitlines()[0].endswith("named,billed_concurrent")
