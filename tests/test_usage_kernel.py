"""The usage kernel's structure: partials that add up, its fallbacks, windows of many periods,
and memory that follows the sessions, not orgs x minutes (the rules themselves: test_usage)."""

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

from billing_model.core.errors import BillingWarning
from billing_model.core.usage import COLUMNS, USER_COLUMNS, compute_usage
from billing_model.io.sessions import sessions_from_columns
from tests.reference_usage import reference_usage
from tests.usage_rows import at, crowd, direct_sessions, sessions


def test_partials_hold_events_only_for_their_orgs_and_add_up():
    from billing_model.core.periods import BillingCalendar
    from billing_model.core.usage import Window, finalize_usage, partial_usage, to_frame

    rows = (
        [(f"a{i}", at(0), at(40 + i), "pc2", "web", "org-a") for i in range(3)]
        + [(f"b{i}", at(10), at(90), "pc1", "web", "org-b") for i in range(2)]
        + [("c0", at(0), at(60), "communicate", "web", "org-c")]
    )
    s = sessions(rows)
    window = Window.covering(
        BillingCalendar("2026-01-01"), int(s.start_ns.min()), int(s.end_ns.max())
    )
    names = s.org_names
    first = partial_usage(s.take(s.org == 0), window, names)
    second = partial_usage(s.take(s.org != 0), window, names)
    # presence is held per org: org-a's in the first, org-b's in the second only
    assert set(first.runs[0].tolist()) == {0}
    assert set(second.runs[0].tolist()) == {1}  # org-c has no pool
    added = first + second  # as the Dask engine adds them: events, compacted
    assert added.runs is None and set(added.events[0].tolist()) == {0, 1}
    assert to_frame(finalize_usage(added, window))[
        [*(c for c in COLUMNS if c != "coverage"), "period"]
    ].equals(compute_usage(s, order_date="2026-01-01").drop(columns="coverage"))


def test_a_window_longer_than_a_month_in_one_period():
    # the Excel functions analyse any span as one period: minutes within it pass 16 bits (the
    # packed sort once mixed them into the group key)
    from billing_model.core.periods import BillingCalendar
    from billing_model.core.usage import Window, finalize_usage, partial_usage, to_frame

    rows = crowd(3, 0, 60, "a") + [
        ("late", at(100_000), at(100_040), "pc2"),
        ("z", at(100_000), at(100_060), "pc2"),
    ]
    s = sessions(rows)
    m0 = at(0).value // 60_000_000_000
    window = Window(
        BillingCalendar("2026-01-05", "UTC"), 0, 1, np.array([m0, m0 + 200_000], dtype=np.int64)
    )
    out = to_frame(finalize_usage(partial_usage(s, window), window))
    assert out[["named_users", "peak_concurrent", "raw_peak"]].values.tolist() == [[5, 3, 3]]


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
        rows += [
            (
                f"u{j}",
                "prod",
                "pc2",
                "web",
                edge - (40 + j) * 60 * ns + 20 * ns,
                edge + (35 + 2 * j) * 60 * ns,
            )
            for j in range(4)
        ]  # across the boundary
        rows += [
            (f"w{k}", "prod", "pc3", "web", edge - 3 * day, edge + 5 * day),
            # into the new period's first minute by 20 seconds: named there, no mark
            (f"e{k}", "prod", "pc2", "web", edge - 600 * ns, edge + 20 * ns),
            (f"x{k % 3}", "prod", "pc2", "desktop", edge - 20 * day, edge + 20 * day),
        ]
    rows.append(("long", "dev", "pc1", "web", first + 3 * day, first + 70 * day))  # 2 edges
    s = direct_sessions(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BillingWarning)
        got = compute_usage(s, order_date="2026-01-15", timezone="UTC")
        by_user = compute_usage(s, order_date="2026-01-15", timezone="UTC", by_user=True)
    assert got["period"].nunique() >= months
    got_rows = [
        (o, str(a), str(b), lic, int(n), int(c), int(p), int(r))
        for o, a, b, lic, n, c, p, r in got[COLUMNS[:8]].itertuples(index=False)
    ]
    assert got_rows == reference_usage(rows, "2026-01-15", "UTC")
    got_users = [
        (o, str(a), str(b), u, lic, int(m), bool(n), bool(c))
        for o, a, b, u, lic, m, n, c in by_user[USER_COLUMNS].itertuples(index=False)
    ]
    assert sorted(got_users) == sorted(reference_usage(rows, "2026-01-15", "UTC", by_user=True))


# --- memory follows the sessions, not orgs x minutes --------------------------------------------


def many_orgs(n_orgs, months=1, users_per_org=2):
    """Each org's agents log in for an hour on the 5th of every month, from 2026-01."""
    org = np.repeat(np.arange(n_orgs), users_per_org * months)
    month = np.tile(np.repeat(np.arange(months), users_per_org), n_orgs)
    user = np.tile(np.arange(users_per_org), n_orgs * months)
    first = (np.datetime64("2026-01", "M") + month).astype("datetime64[D]") + 4
    start = first.astype("datetime64[ns]").astype(np.int64) + (14 * 60 + user) * 60 * 10**9
    return pd.DataFrame(
        {
            "user_id": [f"o{o}-u{u}" for o, u in zip(org, user, strict=True)],
            "org": [f"org{o:05d}" for o in org],
            "license": "pc2",
            "start": pd.to_datetime(start, utc=True),
            "end": pd.to_datetime(start + 3600 * 10**9, utc=True),
        }
    )


def engine_rows(frame, **kw):
    s = sessions_from_columns(
        frame["user_id"], frame["start"], frame["end"], org=frame["org"], license=frame["license"]
    )
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
    assert out[
        ["named_users", "concurrent_users", "peak_concurrent", "raw_peak"]
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

    frame = generate_sessions(
        agents,
        "2026-01-25",
        days=days,
        seed=seed,
        orgs=("prod", "dev"),
        org_weights=org_weights,
        upgrades=upgrades,
    )
    return sessions_from_columns(
        frame["user_id"],
        frame["start"],
        frame["end"],
        org=frame["org"],
        license=frame["license"],
        client=frame["client"],
    )


@pytest.mark.parametrize(
    "path", ["unpacked pieces", "sorted events", "blocks in turn", "blocks on threads"]
)
def test_the_kernels_fallbacks_give_the_same_rows(monkeypatch, path):
    # pieces that do not pack in 63 bits are sorted as a structured array; presence of many orgs
    # with few runs is swept by sorting packed events instead of counting; sessions packed in
    # blocks (millions of sessions), one after the other or on threads: all give the rows
    # of the usual paths (a month across a period boundary, two orgs, upgrades, breaks)
    from billing_model.core import concurrency, pieces

    s = synthetic_sessions(80, days=10, seed=3, org_weights=(0.6, 0.4), upgrades=4)
    expected = [
        compute_usage(s, order_date="2026-02-01", peak_rule=rule, by_user=by_user)
        for rule in ("cumulative", "contiguous")
        for by_user in (False, True)
    ]
    if path == "unpacked pieces":
        fit = pieces._Layout.fit
        monkeypatch.setattr(
            pieces._Layout,
            "fit",
            classmethod(lambda cls, *a: dataclasses.replace(fit(*a), packs=False)),
        )
    elif path == "sorted events":
        monkeypatch.setattr(concurrency, "_counts", lambda cells, events: False)
    else:  # blocks of 97 sessions (boundary crossings fall in many blocks)
        monkeypatch.setattr(pieces, "BLOCK_ROWS", 97)
        monkeypatch.setattr(pieces, "THREADED_ROWS", 1)
        monkeypatch.setattr(pieces, "PACKERS", 2 if path == "blocks on threads" else 1)
    got = [
        compute_usage(s, order_date="2026-02-01", peak_rule=rule, by_user=by_user)
        for rule in ("cumulative", "contiguous")
        for by_user in (False, True)
    ]
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
    assert got == [
        [0, 0, 2999, 2999, 2999],
        [10, 20, 0, 20, 500],
        [1, 1, 1, 1, 1],
        [10, 10, 20, 480, 500],
    ]


@pytest.mark.parametrize("parts", [2, 3])
@pytest.mark.parametrize("rule", ["cumulative", "contiguous"])
def test_partials_of_user_sets_add_up_to_the_whole(parts, rule):
    # the Dask engine adds partials of disjoint user sets as compacted events; the in-memory
    # engine sweeps one partial's runs: a month across a period boundary with shift handovers,
    # breaks, upgrades and two orgs gives the same rows both ways
    from billing_model.core.periods import BillingCalendar
    from billing_model.core.usage import Window, finalize_usage, partial_usage, to_frame

    s = synthetic_sessions(120, days=14, seed=5, org_weights=(0.7, 0.3), upgrades=5)
    window = Window.covering(
        BillingCalendar("2026-02-01"), int(s.start_ns.min()), int(s.end_ns.max())
    )
    assert window.n_periods == 2
    whole = partial_usage(s, window)
    added = sum(
        (partial_usage(s.take(s.user % parts == p), window, s.org_names) for p in range(1, parts)),
        partial_usage(s.take(s.user % parts == 0), window, s.org_names),
    )
    assert added.runs is None and whole.events is None
    for by_user in (False, True):
        expected = to_frame(finalize_usage(whole, window, peak_rule=rule, by_user=by_user))
        got = to_frame(finalize_usage(added, window, peak_rule=rule, by_user=by_user))
        assert got.equals(expected)
    assert expected["billed_concurrent"].sum() > 0


def test_no_packing_threads_in_the_browser():
    # xlwings Lite runs the Excel functions in Pyodide (sys.platform "emscripten"), which cannot
    # start threads: a full sheet of sessions must pack its blocks in turn there
    import subprocess
    import sys

    # what pieces imports first (NumPy reads sysconfig, which has no emscripten data here)
    code = (
        "import sys, numpy, billing_model.core.concurrency; sys.platform = 'emscripten'; "
        "from billing_model.core import pieces; print(pieces.PACKERS)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "1"
