"""Vectorized kernels for presence and concurrency on the UTC minute grid.

Source: ``shared/reference/RULES.md`` ("The vendor's published concurrency method"). Time is cut
into one-minute slices of the UTC minute grid; a user is present in a slice when any billable
session of theirs overlaps it for a positive length (a 20-second login counts; two overlapping
sessions of one user count once).

Minutes are integers: epoch minutes (``t_ns // 60e9``). A session ``[start, end)`` covers the
inclusive minute range ``[floor(start), ceil(end) - 1]``.

These kernels are shared by the in-memory engine (:mod:`billing_model.usage`) and the Dask engine:
no other module implements the rules.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .errors import BillingInputError
from .periods import NS_PER_MINUTE

PEAK_RULES = ("cumulative", "contiguous")
DEFAULT_MIN_MINUTES = 30  # RULES.md: peaks shorter than 30 minutes are disregarded
#: the minutes of the longest billing period (31 days): a level can accrue no more in a period
MAX_MIN_MINUTES = 31 * 24 * 60


def minute_span(start_ns: np.ndarray, end_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inclusive first and last minute each session overlaps for a positive length.

    >>> a, b = minute_span(np.array([0, 20 * 10**9]), np.array([60 * 10**9, 80 * 10**9]))
    >>> a.tolist(), b.tolist()
    ([0, 0], [0, 1])
    """
    start_ns = np.asarray(start_ns, dtype=np.int64)
    end_ns = np.asarray(end_ns, dtype=np.int64)
    return start_ns // NS_PER_MINUTE, -((-end_ns) // NS_PER_MINUTE) - 1


def split_by_bounds(a: np.ndarray, b: np.ndarray, bounds: np.ndarray):
    """Cut inclusive minute ranges at period boundaries.

    ``bounds`` are the sorted first minutes of consecutive periods plus the end of the last one;
    every range must lie within ``[bounds[0], bounds[-1])``. Returns ``(source, period, a, b)``:
    for each piece the index of its range, the position of its period in ``bounds``, and the
    clipped range.
    """
    p0 = np.searchsorted(bounds, a, side="right") - 1
    p1 = np.searchsorted(bounds, b, side="right") - 1
    crossing = np.flatnonzero(p1 > p0)
    if len(crossing) == 0:  # the common case: no session crosses a boundary
        return np.arange(len(a)), p0, a, b
    # the first piece of every range ends at its period's end; crossing ranges get more pieces
    first_b = np.minimum(b, bounds[p0 + 1] - 1)
    n = p1[crossing] - p0[crossing]
    source = np.repeat(crossing, n)
    step = np.arange(len(source)) - np.repeat(np.cumsum(n) - n, n) + 1
    period = p0[source] + step
    return (np.concatenate([np.arange(len(a)), source]), np.concatenate([p0, period]),
            np.concatenate([a, bounds[period]]),
            np.concatenate([first_b, np.minimum(b[source], bounds[period + 1] - 1)]))


def merge_runs(key: np.ndarray, a: np.ndarray, b: np.ndarray, *, presorted: bool = False):
    """Union of inclusive minute ranges per group ``key`` (int64 >= 0).

    Returns ``(run_key, run_a, run_b)``: disjoint, non-adjacent runs sorted by key then start, so
    two overlapping sessions of one user count once. With ``presorted`` the input is already
    sorted by ``(key, a)``.

    >>> k, a, b = merge_runs(np.array([0, 0, 0, 1]), np.array([5, 0, 3, 0]), np.array([9, 2, 4, 1]))
    >>> k.tolist(), a.tolist(), b.tolist()
    ([0, 1], [0, 0], [9, 1])
    """
    if len(a) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    base = int(a.min())
    width = int(b.max()) - base + 2  # +2: a new key never merges with the previous key's run
    lo = key.astype(np.int64) * width
    hi = lo + (b - base)
    lo += a - base
    if not presorted:
        order = np.argsort(lo)
        lo, hi = lo[order], hi[order]
        del order
    reach = np.maximum.accumulate(hi)
    del hi
    new = np.empty(len(lo), dtype=bool)
    new[0] = True
    np.greater(lo[1:], reach[:-1] + 1, out=new[1:])
    starts = np.flatnonzero(new)
    del new
    ends = np.append(starts[1:], len(lo)) - 1
    run_lo, run_hi = lo[starts], reach[ends]
    run_key = run_lo // width
    return run_key, run_lo - run_key * width + base, run_hi - run_key * width + base


def add_runs(counts: np.ndarray, offset: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Add 1 to ``counts[offset : offset + length]`` for every run (in place) and return it."""
    n = len(counts)
    diff = np.bincount(offset, minlength=n + 1)[: n + 1].astype(np.int64)
    diff -= np.bincount(offset + length, minlength=n + 1)[: n + 1]
    counts += np.cumsum(diff[:n]).astype(counts.dtype)
    return counts


def cumulative_peak(counts: np.ndarray, min_minutes: int = DEFAULT_MIN_MINUTES) -> int:
    """Largest ``k`` such that the slices with ``counts >= k`` add up to ``min_minutes``.

    The vendor's published method: the slices need not be contiguous. That ``k`` is the
    ``min_minutes``-th largest count.

    Examples
    --------
    The vendor's worked example: 500 users for 31 minutes and 503 for 6 minutes.

    >>> cumulative_peak(np.array([500] * 31 + [503] * 6 + [0] * 100))
    500
    """
    counts = np.asarray(counts)
    m = _check_min_minutes(min_minutes)
    if len(counts) < m:
        return 0
    return int(np.partition(counts, len(counts) - m)[len(counts) - m])


def contiguous_peak(counts: np.ndarray, min_minutes: int = DEFAULT_MIN_MINUTES) -> int:
    """Largest level held for ``min_minutes`` consecutive slices (the FAQ read literally).

    >>> contiguous_peak(np.array([10] * 15 + [3] + [10] * 15))
    3
    """
    counts = np.asarray(counts)
    m = _check_min_minutes(min_minutes)
    if len(counts) < m:
        return 0
    return int(sliding_window_view(counts, m).min(axis=1).max())


def billable_peak(counts: np.ndarray, min_minutes: int = DEFAULT_MIN_MINUTES,
                  rule: str = "cumulative") -> int:
    """The billable concurrent peak of per-minute counts under ``rule``."""
    rule = check_peak_rule(rule)
    return (cumulative_peak if rule == "cumulative" else contiguous_peak)(counts, min_minutes)


def check_peak_rule(rule: object, *, where: str = "peak rule") -> str:
    text = str(rule).strip().lower()
    if text not in PEAK_RULES:
        raise BillingInputError(f"{where}: unknown rule {rule!r}; accepted: cumulative (the "
                                "vendor's published method), contiguous")
    return text


def _check_min_minutes(min_minutes: object, where: str = "min minutes") -> int:
    try:
        m = float(min_minutes)
    except (TypeError, ValueError, OverflowError):
        m = float("nan")
    if not (1 <= m <= MAX_MIN_MINUTES and m == int(m)):
        raise BillingInputError(f"{where}: {min_minutes!r} is not valid; accepted: a whole number "
                                f"of minutes from 1 to {MAX_MIN_MINUTES} (a 31-day period)")
    return int(m)
