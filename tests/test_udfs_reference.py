"""The Excel functions' concurrency against a plain slow reference of the rules (Hypothesis):
users present at each minute mark of the window, then the peak rule, by counting."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from billing_model import udfs as udf
from tests.reference_usage import reference_peak as peak_of_counts
from tests.strategies import session_lists


def reference_peak(sessions, m0, m1, rule, min_minutes):
    """Users present at each minute mark of [m0, m1) (a session holds m:00), then the rule."""
    counts = []
    for m in range(m0, m1):
        present = {u for u, a, b in sessions if a <= m * 60 < b}
        counts.append(len(present))
    return peak_of_counts(counts, rule, min_minutes)


@settings(max_examples=60, deadline=None)
@given(
    rows=session_lists,
    rule=st.sampled_from(["cumulative", "contiguous"]),
    min_minutes=st.integers(1, 40),
    window=st.tuples(st.integers(0, 40), st.integers(1, 80)),
)
def test_peak_matches_a_slow_reference(rows, rule, min_minutes, window):
    base = dt.datetime(2026, 3, 2, 8)
    sessions = [(u, a * 10, a * 10 + n * 10) for u, a, n in rows]  # seconds after 08:00
    starts = [base + dt.timedelta(seconds=a) for _, a, _ in sessions]
    ends = [base + dt.timedelta(seconds=b) for _, _, b in sessions]
    users = [u for u, _, _ in sessions]
    first, length = window
    got = udf.BM_CONCURRENT_PEAK(
        users,
        starts,
        ends,
        None,
        base + dt.timedelta(minutes=first),
        base + dt.timedelta(minutes=first + length),
        rule,
        float(min_minutes),
    )
    assert got == reference_peak(sessions, first, first + length, rule, min_minutes)
    named = udf.BM_NAMED_USERS(
        users,
        starts,
        ends,
        None,
        base + dt.timedelta(minutes=first),
        base + dt.timedelta(minutes=first + length),
    )
    assert named == len({u for u, a, b in sessions if a < (first + length) * 60 and b > first * 60})
