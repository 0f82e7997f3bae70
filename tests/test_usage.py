"""The usage rules as literal tests, and the engine against the slow reference (Hypothesis)."""

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_model.core.errors import BillingInputError, BillingWarning
from billing_model.core.sessions import Sessions
from billing_model.core.usage import COLUMNS, USER_COLUMNS, compute_usage, concurrency_profile
from billing_model.io.sessions import sessions_from_columns
from tests.reference_usage import reference_usage
from tests.strategies import BASE, session_rows

T0 = pd.Timestamp("2026-01-05T14:00:00Z")  # a Monday, well inside the period from 2026-01-01


def at(minutes, seconds=0):
    return T0 + pd.Timedelta(minutes=minutes, seconds=seconds)


def sessions(rows, **kw):
    """rows: (user, start, end[, license[, client[, org]]]) with starts/ends as Timestamps."""
    user = [r[0] for r in rows]
    start = [r[1].isoformat() for r in rows]
    end = [r[2].isoformat() for r in rows]
    lic = [r[3] if len(r) > 3 else "pc2" for r in rows]
    client = [r[4] if len(r) > 4 else "desktop" for r in rows]
    org = [r[5] if len(r) > 5 else "prod" for r in rows]
    return sessions_from_columns(user, start, end, license=lic, client=client, org=org, **kw)


def usage(rows, **kw):
    kw.setdefault("order_date", "2026-01-01")
    return compute_usage(sessions(rows), **kw)


def crowd(n, start_min, end_min, prefix, license="pc2"):
    return [(f"{prefix}{i:04d}", at(start_min), at(end_min), license) for i in range(n)]


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
    rows = (crowd(10, 0, 600, "base") + crowd(5, 60, 75, "x")
            + crowd(5, 300, 315, "y"))
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
    rows = [("d", at(0), at(60), "pc1"), ("c", at(0), at(60), "pc3"),
            ("b", at(0), at(60), "pc1"), ("a", at(0), at(60), "pc2")]
    out = usage(rows, min_minutes=30)
    assert out["peak_concurrent"].iloc[0] == 4
    # with only 3 billable (one leaves at minute 45 -> ties broken among the rest)
    rows = [("d", at(0), at(60), "pc1"), ("c", at(0), at(60), "pc3"),
            ("b", at(0), at(60), "pc1"), ("a", at(0), at(60), "pc2"), ("e", at(0), at(20), "pc3")]
    out = usage(rows, min_minutes=61)  # nothing reaches 61 minutes: peak 0
    assert out["peak_concurrent"].iloc[0] == 0
    assert out["concurrent_users"].sum() == 0
    rows = [("d", at(0), at(30)), ("c", at(0), at(30)), ("b", at(0), at(30)),
            ("a", at(0), at(30))]
    rows = [(u, s, e, lic) for (u, s, e), lic in zip(rows, ["pc1", "pc1", "pc1", "pc1"],
                                                      strict=True)]
    rows.append(("z", at(100), at(130), "pc1"))  # present as long as the others, later
    out = usage(rows)
    assert out["peak_concurrent"].iloc[0] == 4
    assert out["concurrent_users"].iloc[0] == 4  # a, b, c, d: 'z' loses the user_id tie


def test_tie_break_prefers_higher_license_over_user_id():
    rows = [("a", at(0), at(30), "pc1"), ("b", at(0), at(30), "pc3"),
            ("c", at(100), at(130), "pc1")]
    out = usage(rows, min_minutes=30)
    # levels: 2 users for 30 minutes, then 1 -> peak 2; a, b, c present 30 minutes each
    got = dict(zip(out["license"], out["concurrent_users"], strict=True))
    assert got == {"pc1": 1, "pc3": 1}  # b (pc3) first, then a beats c on user_id


# --- who is billable -------------------------------------------------------------------------

def test_overlapping_devices_count_once():
    rows = [("ann", at(0), at(60), "pc2", "desktop"), ("ann", at(10), at(50), "pc2", "mobile"),
            ("ann", at(30), at(90), "pc2", "web")]
    out = usage(rows)
    assert out[["named_users", "peak_concurrent", "raw_peak"]].values.tolist() == [[1, 1, 1]]


def test_api_sessions_are_not_billable():
    rows = [("bot", at(0), at(600), "pc2", "api"), ("ann", at(0), at(60), "pc2", "web"),
            ("ann", at(100), at(200), "pc2", "api")]
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
        assert out[["named_users", "concurrent_users", "peak_concurrent", "raw_peak"]
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
    assert out[["named_users", "peak_concurrent", "raw_peak", "concurrent_users"]
               ].values.tolist() == [[16, 1, 2, 1]]


def test_a_login_inside_one_minute_is_named_and_in_no_slice():
    rows = [("ann", at(0, 10), at(0, 30), "pc1")]
    out = usage(rows, min_minutes=1)
    assert out[["named_users", "peak_concurrent", "raw_peak"]].values.tolist() == [[1, 0, 0]]
    frame = compute_usage(sessions(rows), order_date="2026-01-01", by_user=True)
    assert frame[["user_id", "minutes_present", "named", "billed_concurrent"]
                 ].values.tolist() == [["ann", 0, True, False]]


def test_a_session_holds_its_start_mark_but_not_its_end_mark():
    # 14:00:00 to 14:30:00 holds 14:00 .. 14:29: 30 marks, billed at 30 minutes
    rows = [("ann", at(0), at(30), "pc1")]
    assert usage(rows)["peak_concurrent"].tolist() == [1]
    assert usage(rows, min_minutes=31)["peak_concurrent"].tolist() == [0]


def test_zero_length_logins_are_named_users_in_no_slice():
    s = direct_sessions([("a", "prod", "pc2", "desktop", at(0).value, at(0).value),
                         ("b", "prod", "pc2", "web", at(5).value, at(5).value),
                         ("c", "prod", "pc2", "desktop", at(0).value, at(60).value)])
    out = compute_usage(s, order_date="2026-01-01")
    assert out[["named_users", "concurrent_users", "peak_concurrent", "raw_peak"]
               ].values.tolist() == [[3, 1, 1, 1]]


def test_by_user_rows_reconcile_the_usage_rows():
    rows = (crowd(3, 0, 40, "p3-", "pc3") + crowd(2, 0, 600, "p2-", "pc2")
            + [("sup", at(0), at(600), "communicate"), ("bot", at(0), at(600), "pc2", "api")])
    frame = compute_usage(sessions(rows), order_date="2026-01-01", by_user=True)
    assert list(frame.columns[:8]) == ["org", "period_start", "period_end", "user_id", "license",
                                       "minutes_present", "named", "billed_concurrent"]
    got = {u: (lic, m, n, b) for u, lic, m, n, b in
           frame[["user_id", "license", "minutes_present", "named", "billed_concurrent"]]
           .itertuples(index=False)}
    assert got == {"p3-0000": ("pc3", 40, True, True), "p3-0001": ("pc3", 40, True, True),
                   "p3-0002": ("pc3", 40, True, True), "p2-0000": ("pc2", 600, True, True),
                   "p2-0001": ("pc2", 600, True, True), "sup": ("communicate", 600, True, False),
                   "bot": ("pc2", 0, False, False)}
    summary = usage(rows)
    assert frame["named"].sum() == summary["named_users"].sum()
    assert frame["billed_concurrent"].sum() == summary["concurrent_users"].sum()


def direct_sessions(rows):
    """Sessions straight from ``(user, org, license, client, start_ns, end_ns)`` rows, with no
    reader in between (zero-length sessions kept, as the readers keep them)."""
    from billing_model.core.licenses import BY_KEY
    from billing_model.core.sessions import BILLABLE_CLIENTS

    user_ids, user = np.unique([r[0] for r in rows], return_inverse=True)
    org_names, org = np.unique([r[1] for r in rows], return_inverse=True)
    return Sessions(user=user.astype(np.int64), org=org.astype(np.int64),
                    rank=np.array([BY_KEY[r[2]].rank for r in rows], np.int8),
                    start_ns=np.array([r[4] for r in rows], np.int64),
                    end_ns=np.array([r[5] for r in rows], np.int64),
                    billable=np.array([r[3] in BILLABLE_CLIENTS for r in rows]),
                    user_ids=user_ids.astype(object), org_names=org_names.astype(object))


def test_upgrade_mid_period_bills_the_higher_license_for_the_whole_period():
    rows = [("ann", at(0), at(60), "communicate"), ("ann", at(60 * 24 * 3), at(60 * 24 * 3 + 60),
                                                    "pc2")]
    out = usage(rows)
    assert out["license"].tolist() == ["pc2"]
    assert out["named_users"].tolist() == [1]
    # she is in the pool, and her communicate-era minutes count towards her presence
    assert out["concurrent_users"].tolist() == [1]


def test_communicate_users_are_named_only():
    rows = crowd(5, 0, 600, "sup", "communicate") + crowd(2, 0, 600, "ag", "pc2")
    out = usage(rows)
    got = out.set_index("license")[["named_users", "concurrent_users"]].to_dict("index")
    assert got == {"communicate": {"named_users": 5, "concurrent_users": 0},
                   "pc2": {"named_users": 2, "concurrent_users": 2}}
    assert out["peak_concurrent"].tolist() == [2, 2]


def test_orgs_are_billed_separately():
    rows = crowd(4, 0, 120, "p") + [(f"t{i}", at(0), at(120), "pc2", "web", "training")
                                    for i in range(3)]
    out = usage(rows)
    assert out[["org", "named_users", "peak_concurrent"]].values.tolist() == [
        ["prod", 4, 4], ["training", 3, 3]]


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
    rows = ([("s", at(0), at(60), "communicate", "web", "b-org")] + crowd(2, 0, 60, "x")
            + [("t", pd.Timestamp("2026-02-02T15:00Z"), pd.Timestamp("2026-02-02T16:00Z"),
                "pc3", "web", "a-org")])
    out = usage(rows)
    assert list(out.columns[: len(COLUMNS)]) == COLUMNS
    assert out[["period_start", "org", "license"]].astype(str).values.tolist() == [
        ["2026-01-01", "b-org", "communicate"], ["2026-01-01", "prod", "pc2"],
        ["2026-02-01", "a-org", "pc3"]]


def test_bad_peak_rule_and_min_minutes():
    rows = crowd(1, 0, 60, "a")
    with pytest.raises(BillingInputError, match="accepted: cumulative"):
        usage(rows, peak_rule="longest")
    with pytest.raises(BillingInputError, match="whole number"):
        usage(rows, min_minutes=0)


# --- the engine against the reference --------------------------------------------------------

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=session_rows, order_date=st.sampled_from(["2026-03-08", "2026-01-31", "2026-02-09"]),
       timezone=st.sampled_from(["America/New_York", "UTC", "Asia/Kolkata"]),
       rule=st.sampled_from(["cumulative", "contiguous"]), min_minutes=st.integers(1, 45))
def test_engine_matches_reference(rows, order_date, timezone, rule, min_minutes):
    ns = 1_000_000_000
    rows = [(u, o, lic, c, BASE + s * ns, BASE + (s + d) * ns) for u, o, lic, c, s, d in rows]
    s = direct_sessions(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BillingWarning)
        got = compute_usage(s, order_date=order_date, timezone=timezone, peak_rule=rule,
                            min_minutes=min_minutes)
        by_user = compute_usage(s, order_date=order_date, timezone=timezone, peak_rule=rule,
                                min_minutes=min_minutes, by_user=True)
    got_rows = [(o, str(a), str(b), lic, int(n), int(c), int(p), int(r))
                for o, a, b, lic, n, c, p, r in got[COLUMNS[:8]].itertuples(index=False)]
    assert got_rows == reference_usage(rows, order_date, timezone, rule, min_minutes)
    expected_users = reference_usage(rows, order_date, timezone, rule, min_minutes, by_user=True)
    got_users = [(o, str(a), str(b), u, lic, int(m), bool(n), bool(c)) for o, a, b, u, lic, m, n, c
                 in by_user[USER_COLUMNS].itertuples(index=False)]
    assert sorted(got_users) == sorted(expected_users)


def test_dst_weekends_count_real_minutes():
    # 2026-11-01: 01:00-02:00 EDT happens twice; a login from 01:30 EDT to 01:30 EST lasts
    # 60 real minutes (05:30Z-06:30Z), and the period from 2026-11-01 starts at 04:00Z
    rows = [("ann", pd.Timestamp("2026-11-01T01:30-04:00"), pd.Timestamp("2026-11-01T01:30-05:00"),
             "pc1"),
            ("bob", pd.Timestamp("2026-11-01T03:50Z"), pd.Timestamp("2026-11-01T04:10Z"), "pc1")]
    out = compute_usage(sessions(rows), order_date="2026-11-01", min_minutes=60)
    assert out[["period_start", "named_users", "peak_concurrent"]].astype(str).values.tolist() == [
        ["2026-10-01", "1", "0"], ["2026-11-01", "2", "1"]]
    # 2026-03-08: the day has 23 hours; the period from 03-08 starts at 05:00Z (EST midnight)
    rows = [("cat", pd.Timestamp("2026-03-08T04:45Z"), pd.Timestamp("2026-03-08T05:15Z"), "pc1")]
    out = compute_usage(sessions(rows), order_date="2026-03-08", min_minutes=15)
    assert out[["period_start", "peak_concurrent"]].astype(str).values.tolist() == [
        ["2026-02-08", "1"], ["2026-03-08", "1"]]


def test_periods_without_any_session_give_no_rows():
    rows = [("ann", at(0), at(60), "pc2")]
    out = compute_usage(sessions(rows), order_date="2026-01-01", periods=(3, 5))
    assert out.empty and list(out.columns[: len(COLUMNS)]) == COLUMNS


def test_partials_hold_events_only_for_their_orgs_and_add_up():
    from billing_model.core.periods import BillingCalendar
    from billing_model.core.usage import Window, finalize_usage, partial_usage, to_frame

    rows = ([(f"a{i}", at(0), at(40 + i), "pc2", "web", "org-a") for i in range(3)]
            + [(f"b{i}", at(10), at(90), "pc1", "web", "org-b") for i in range(2)]
            + [("c0", at(0), at(60), "communicate", "web", "org-c")])
    s = sessions(rows)
    window = Window.covering(BillingCalendar("2026-01-01"), int(s.start_ns.min()),
                             int(s.end_ns.max()))
    names = s.org_names
    first = partial_usage(s.take(s.org == 0), window, names)
    second = partial_usage(s.take(s.org != 0), window, names)
    # presence is held per org: org-a's in the first, org-b's in the second only
    assert set(first.runs[0].tolist()) == {0}
    assert set(second.runs[0].tolist()) == {1}  # org-c has no pool
    added = first + second  # as the Dask engine adds them: events, compacted
    assert added.runs is None and set(added.events[0].tolist()) == {0, 1}
    assert to_frame(finalize_usage(added, window))[[*COLUMNS[:8], "period"]].equals(
        compute_usage(s, order_date="2026-01-01").drop(columns="coverage"))


@pytest.mark.parametrize("late", ["2062-03-01T10:00Z", "2262-03-01T10:00Z"])
def test_data_over_decades_is_refused_before_counting_minutes(late):
    # one row with a wrong year: 36 years took 0.5 GB of per-minute counts, 2262 overflowed the
    # calendar (an OverflowError traceback)
    # refused as the rows are read, naming them (it named neither row nor column)
    expected = (r"sessions run from 2026-03-01 \(sessions: row 1, column 'start'\) to 2062-03-01 "
                r"\(sessions: row 2, column 'end'\): 433 months; accepted: at most 240 months"
                if late.startswith("2062") else
                r"^sessions: row 2, column 'end': 2262-03-01 is out of range; accepted")
    with pytest.raises(BillingInputError, match=expected):
        sessions_from_columns(["a", "b"], ["2026-03-01T10:00Z", late],
                              ["2026-03-01T12:00Z", late[:11] + "12:00Z"], license="pc2")


def test_data_past_the_calendar_without_an_order_date_names_the_sessions():
    # it said "order_date: 2262-03-01 is out of range" though no order date was given
    # and now the row is named, as it is read
    with pytest.raises(BillingInputError, match=r"^sessions: row 1, column 'start': 2262-03-01 is "
                                                r"out of range"):
        sessions_from_columns(["a"], ["2262-03-01T10:00Z"], ["2262-03-01T12:00Z"], license="pc2")


# --- memory follows the sessions, not orgs x minutes --------------------------------------------

def many_orgs(n_orgs, months=1, users_per_org=2):
    """Each org's agents log in for an hour on the 5th of every month, from 2026-01."""
    org = np.repeat(np.arange(n_orgs), users_per_org * months)
    month = np.tile(np.repeat(np.arange(months), users_per_org), n_orgs)
    user = np.tile(np.arange(users_per_org), n_orgs * months)
    first = (np.datetime64("2026-01", "M") + month).astype("datetime64[D]") + 4
    start = first.astype("datetime64[ns]").astype(np.int64) + (14 * 60 + user) * 60 * 10**9
    return pd.DataFrame({"user_id": [f"o{o}-u{u}" for o, u in zip(org, user, strict=True)],
                         "org": [f"org{o:05d}" for o in org], "license": "pc2",
                         "start": pd.to_datetime(start, utc=True),
                         "end": pd.to_datetime(start + 3600 * 10**9, utc=True)})


def engine_rows(frame, **kw):
    s = sessions_from_columns(frame["user_id"], frame["start"], frame["end"], org=frame["org"],
                              license=frame["license"])
    return compute_usage(s, order_date="2026-01-01", **kw)


def test_3000_orgs_in_a_month_take_memory_of_their_sessions():
    import tracemalloc

    frame = many_orgs(3000)
    tracemalloc.start()
    try:
        out = engine_rows(frame)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(out) == 3000
    assert out[["named_users", "concurrent_users", "peak_concurrent", "raw_peak"]
               ].drop_duplicates().values.tolist() == [[2, 2, 2, 2]]
    # one minute grid per org took 2.7 GB; the sweep holds a few arrays of 6,000 sessions
    assert peak < 100 * 2**20


def test_200_orgs_over_20_years():
    frame = many_orgs(200, months=240, users_per_org=1)
    out = engine_rows(frame)
    assert len(out) == 200 * 240
    assert out["period"].min() == 0 and out["period"].max() == 239
    assert (out["peak_concurrent"] == 1).all() and (out["named_users"] == 1).all()


def test_40000_orgs():
    frame = many_orgs(40_000, users_per_org=1)
    out = engine_rows(frame)
    assert len(out) == 40_000 and out["org"].is_unique
    assert (out["peak_concurrent"] == 1).all()


def synthetic_sessions(agents, *, days, seed, org_weights, upgrades):
    """Generated shifts from 2026-01-25 (across the 1 February boundary) in two orgs, with
    handovers, breaks, upgrades and non-billable clients."""
    from billing_model.io.synthetic import generate_sessions

    frame = generate_sessions(agents, "2026-01-25", days=days, seed=seed, orgs=("prod", "dev"),
                              org_weights=org_weights, upgrades=upgrades)
    return sessions_from_columns(frame["user_id"], frame["start"], frame["end"],
                                 org=frame["org"], license=frame["license"],
                                 client=frame["client"])


@pytest.mark.parametrize("path", ["unpacked pieces", "sorted events"])
def test_the_kernels_fallbacks_give_the_same_rows(monkeypatch, path):
    # pieces that do not pack in 63 bits are sorted as a structured array; presence of many orgs
    # with few runs is swept by sorting packed events instead of counting: both give the rows
    # of the usual paths (a month across a period boundary, two orgs, upgrades, breaks)
    from billing_model.core import concurrency, pieces

    s = synthetic_sessions(80, days=10, seed=3, org_weights=(0.6, 0.4), upgrades=4)
    expected = [compute_usage(s, order_date="2026-02-01", peak_rule=rule, by_user=by_user)
                for rule in ("cumulative", "contiguous") for by_user in (False, True)]
    if path == "unpacked pieces":
        fit = pieces._Layout.fit
        monkeypatch.setattr(pieces._Layout, "fit", classmethod(
            lambda cls, *a: dataclasses.replace(fit(*a), packs=False)))
    else:
        monkeypatch.setattr(concurrency, "_counts", lambda cells, events: False)
    got = [compute_usage(s, order_date="2026-02-01", peak_rule=rule, by_user=by_user)
           for rule in ("cumulative", "contiguous") for by_user in (False, True)]
    for a, b in zip(got, expected, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert expected[0]["peak_concurrent"].max() > 5


def test_sorted_events_are_cut_at_period_starts():
    # events whose -1 and +1 at a period start cancelled (partials added): the sorted sweep (many
    # groups, few events) gave one segment across minute 20, the counting sweep two
    from billing_model.core.concurrency import segments

    g = np.array([0, 0, 2999, 2999])
    t = np.array([10, 30, 0, 1000])
    delta = np.array([1, -1, 1, -1])
    got = [x.tolist() for x in segments(g, t, delta, cuts=[20, 500])]
    assert got == [[0, 0, 2999, 2999, 2999], [10, 20, 0, 20, 500], [1, 1, 1, 1, 1],
                   [10, 10, 20, 480, 500]]


# --- usage --by-user through the command line ---------------------------------------------------

@pytest.mark.parametrize("engine", ["numpy", "dask"])
def test_cli_by_user_rows(tmp_path, capsys, engine):
    from billing_model.cli import main

    path = tmp_path / "handover.csv"
    path.write_text("user_id,start,end,license,client\n"
                    "amy,2026-01-05T06:00:40Z,2026-01-05T14:00:20Z,pc2,desktop\n"
                    "ben,2026-01-05T14:00:40Z,2026-01-05T22:00:20Z,pc2,web\n"
                    "bot,2026-01-05T06:00:00Z,2026-01-05T22:00:00Z,pc2,api\n")
    assert main(["usage", str(path), "--by-user", "--format", "csv", "--engine", engine,
                 "--order-date", "2026-01-01", "--timezone", "UTC"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == [
        "org,period_start,period_end,user_id,license,minutes_present,named,billed_concurrent",
        # amy holds the marks 06:01 .. 14:00 (480), ben 14:01 .. 22:00 (480): never together
        "default,2026-01-01,2026-01-31,amy,pc2,480,true,true",
        "default,2026-01-01,2026-01-31,ben,pc2,480,true,false",
        "default,2026-01-01,2026-01-31,bot,pc2,0,false,false"]


@pytest.mark.parametrize("parts", [2, 3])
@pytest.mark.parametrize("rule", ["cumulative", "contiguous"])
def test_partials_of_user_sets_add_up_to_the_whole(parts, rule):
    # the Dask engine adds partials of disjoint user sets as compacted events; the in-memory
    # engine sweeps one partial's runs: a month across a period boundary with shift handovers,
    # breaks, upgrades and two orgs gives the same rows both ways
    from billing_model.core.periods import BillingCalendar
    from billing_model.core.usage import Window, finalize_usage, partial_usage, to_frame

    s = synthetic_sessions(120, days=14, seed=5, org_weights=(0.7, 0.3), upgrades=5)
    window = Window.covering(BillingCalendar("2026-02-01"), int(s.start_ns.min()),
                             int(s.end_ns.max()))
    assert window.n_periods == 2
    whole = partial_usage(s, window)
    added = sum((partial_usage(s.take(s.user % parts == p), window, s.org_names)
                 for p in range(1, parts)), partial_usage(s.take(s.user % parts == 0), window,
                                                          s.org_names))
    assert added.runs is None and whole.events is None
    for by_user in (False, True):
        expected = to_frame(finalize_usage(whole, window, peak_rule=rule, by_user=by_user))
        got = to_frame(finalize_usage(added, window, peak_rule=rule, by_user=by_user))
        assert got.equals(expected)
    assert expected["billed_concurrent"].sum() > 0


def test_reading_on_threads_keeps_the_first_bad_row(tmp_path, monkeypatch):
    # batches are encoded on threads; the error of the earliest bad batch is the one raised
    from billing_model.io import sessions as io_sessions

    monkeypatch.setattr(io_sessions, "BATCH_ROWS", 2)
    monkeypatch.setattr(io_sessions, "WORKERS", 2)
    start = pd.to_datetime([f"2026-01-05T0{i}:00:00Z" for i in range(9)], utc=True)
    end = start + pd.Timedelta(minutes=30)
    end = end.where(~np.isin(np.arange(9), [3, 7]), start - pd.Timedelta(minutes=5))
    pd.DataFrame({"user_id": [f"u{i}" for i in range(9)], "start": start, "end": end,
                  "license": "pc2"}).to_parquet(tmp_path / "s.parquet", row_group_size=2)
    with pytest.raises(BillingInputError, match=r"s\.parquet: row 4: end"):
        io_sessions.read_sessions(tmp_path / "s.parquet")


def test_a_window_longer_than_a_month_in_one_period():
    # the Excel functions analyse any span as one period: minutes within it pass 16 bits (the
    # packed sort once mixed them into the group key)
    from billing_model.core.periods import BillingCalendar
    from billing_model.core.usage import Window, finalize_usage, partial_usage, to_frame

    rows = crowd(3, 0, 60, "a") + [("late", at(100_000), at(100_040), "pc2"),
                                   ("z", at(100_000), at(100_060), "pc2")]
    s = sessions(rows)
    m0 = at(0).value // 60_000_000_000
    window = Window(BillingCalendar("2026-01-05", "UTC"), 0, 1,
                    np.array([m0, m0 + 200_000], dtype=np.int64))
    out = to_frame(finalize_usage(partial_usage(s, window), window))
    assert out[["named_users", "peak_concurrent", "raw_peak"]].values.tolist() == [[5, 3, 3]]


def test_by_user_warns_about_partial_periods_too(tmp_path, capsys):
    # one day of data: the summary rows warned that March is partial, --by-user said nothing
    from billing_model.cli import main

    path = tmp_path / "day.csv"
    path.write_text("user_id,start,end,license\namy,2026-03-10T13:00:00Z,2026-03-10T15:00:00Z,"
                    "pc2\n")
    with warnings.catch_warnings():
        warnings.simplefilter("always", BillingWarning)  # the CLI prints them on stderr
        assert main(["usage", str(path), "--by-user", "--format", "csv", "--timezone",
                     "UTC"]) == 0
    captured = capsys.readouterr()
    assert "less than half of 1 billing period(s)" in captured.err
    assert captured.out.splitlines()[0].endswith("named,billed_concurrent")


@pytest.mark.parametrize("months", [3, 12])
def test_sessions_crossing_several_period_boundaries_match_the_reference(months):
    # a window of up to 8 periods finds each piece's period by comparisons, a longer one by a
    # binary search; sessions crossing one or two boundaries are cut into a piece per period
    ns, day = 10**9, 86_400 * 10**9
    first = pd.Timestamp("2026-01-15T00:00Z").value  # order date: periods start on the 15th
    rows = []
    for k in range(months):
        edge = pd.Timestamp("2026-01-15T00:00Z") + pd.DateOffset(months=k + 1)
        edge = edge.value
        rows += [(f"u{j}", "prod", "pc2", "web", edge - (40 + j) * 60 * ns + 20 * ns,
                  edge + (35 + 2 * j) * 60 * ns) for j in range(4)]  # across the boundary
        rows += [(f"w{k}", "prod", "pc3", "web", edge - 3 * day, edge + 5 * day),
                 # into the new period's first minute by 20 seconds: named there, no mark
                 (f"e{k}", "prod", "pc2", "web", edge - 600 * ns, edge + 20 * ns),
                 (f"x{k % 3}", "prod", "pc2", "desktop", edge - 20 * day, edge + 20 * day)]
    rows.append(("long", "dev", "pc1", "web", first + 3 * day, first + 70 * day))  # 2 edges
    s = direct_sessions(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BillingWarning)
        got = compute_usage(s, order_date="2026-01-15", timezone="UTC")
        by_user = compute_usage(s, order_date="2026-01-15", timezone="UTC", by_user=True)
    assert got["period"].nunique() >= months
    got_rows = [(o, str(a), str(b), lic, int(n), int(c), int(p), int(r))
                for o, a, b, lic, n, c, p, r in got[COLUMNS[:8]].itertuples(index=False)]
    assert got_rows == reference_usage(rows, "2026-01-15", "UTC")
    got_users = [(o, str(a), str(b), u, lic, int(m), bool(n), bool(c)) for o, a, b, u, lic, m, n, c
                 in by_user[USER_COLUMNS].itertuples(index=False)]
    assert sorted(got_users) == sorted(reference_usage(rows, "2026-01-15", "UTC", by_user=True))
