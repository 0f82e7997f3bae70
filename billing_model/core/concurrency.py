"""Presence sampled at minute marks, and the billable concurrent peak, by sweeping events.

Source: ``docs/rules.md#concurrency`` (the vendor's article "Concurrent licensing model billing
overview"): for each time slice, count how many users of the pool "were logged in at that
moment". The slices are the whole UTC minutes and the moment is the minute mark: a user is
present in slice ``m`` when one of their billable sessions holds the instant ``m:00``
(``start <= m < end``). A logout at 14:00:20 and a login at 14:00:40 (a shift handover) never
count together; a session that holds no minute mark is in no slice (its user is still a billable
named user).

Minutes are integers: epoch minutes (``t_ns // 60e9``). A session ``[start, end)`` holds the
marks ``ceil(start) .. ceil(end) - 1`` (:func:`sampled_span`); it overlaps the whole minutes
``floor(start) .. ceil(end) - 1`` (:func:`touched_span`, which decides the billing periods a
session belongs to, since period bounds are whole minutes).

The kernel's cost follows the sessions: each user's marks are merged into runs
(:func:`merge_runs`), and the runs are sorted by group (an org) and minute into *segments*:
stretches of minutes at a constant level (:func:`run_segments`, :func:`segments`). The sort is a
counting sort into a table of the groups' minutes when that table has no more cells than the
runs' +1/-1 events, or at most :data:`DENSE_FLOOR` cells (a month of an org's sessions: about
45,000 cells for millions of runs), else one value sort of packed +1/-1 events: a table of
orgs x minutes is never larger than the data (or 8 MB). The peaks
are read off the segments (:func:`cumulative_peaks`, :func:`contiguous_peaks`).

These kernels are shared by the in-memory engine (:mod:`billing_model.core.usage`), the Dask engine
and the Excel functions: no other module implements the rules. The slow reference that checks
them is ``tests/reference_usage.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .errors import BillingInputError
from .limits import LIMITS
from .periods import NS_PER_MINUTE
from .validate import refuse

PEAK_RULES = ("cumulative", "contiguous")
#: the vendor's method: a level counts when reached for ``min_minutes`` in total
DEFAULT_PEAK_RULE = PEAK_RULES[0]
#: docs/rules.md#concurrency: peaks shorter than 30 minutes are dropped; at most the minutes of
#: the longest billing period (31 days), as no level can accrue more (core/limits.py)
DEFAULT_MIN_MINUTES: int = LIMITS["min_minutes"].whole("default")
MAX_MIN_MINUTES: int = LIMITS["min_minutes"].whole("maximum")

#: ``(group, start, stop)`` of runs (or ``(group, minute, delta)`` of events), one array each
Runs = tuple[np.ndarray, np.ndarray, np.ndarray]
#: ``(group, start, level, minutes)`` of segments (:func:`sweep`)
Segments = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def session_minutes(start_ns: np.ndarray, end_ns: np.ndarray, base: int = 0) -> Segments:
    """Both spans of each session, in minutes counted from epoch minute ``base``:
    ``(first, last)``, the minute marks it holds (:func:`sampled_span`), and ``(a, b)``, the
    whole minutes it touches (:func:`touched_span`). One place for both rules, in few passes
    over the sessions (the engine's first step)."""
    start_ns = np.asarray(start_ns, dtype=np.int64)
    end_ns = np.asarray(end_ns, dtype=np.int64)
    shift = NS_PER_MINUTE - 1 - base * NS_PER_MINUTE  # ceil(t) = floor(t + 1 minute - 1 ns)
    first = start_ns + shift
    first //= NS_PER_MINUTE
    last = end_ns + shift
    last //= NS_PER_MINUTE
    last -= 1
    a = start_ns - base * NS_PER_MINUTE
    a //= NS_PER_MINUTE
    # a zero-length login touches the minute holding it: its last mark may be before it
    return first, last, a, np.maximum(last, a)


def sampled_span(start_ns: np.ndarray, end_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inclusive first and last minute mark each session holds (``start <= m:00 < end``).

    The first is after the last when the session holds no mark.

    Examples
    --------
    A login from 14:00:40 to 14:31:10 holds the marks 14:01 .. 14:31; one from 14:00:00 to
    14:00:20 holds 14:00; one from 14:00:20 to 14:00:40 holds none.

    >>> s = np.array([40, 0, 20]) * 10**9 + 14 * 60 * NS_PER_MINUTE
    >>> e = np.array([31 * 60 + 10, 20, 40]) * 10**9 + 14 * 60 * NS_PER_MINUTE
    >>> a, b = sampled_span(s, e)
    >>> (a - 14 * 60).tolist(), (b - 14 * 60).tolist()
    ([1, 0, 1], [31, 0, 0])
    """
    return session_minutes(start_ns, end_ns)[:2]


def touched_span(start_ns: np.ndarray, end_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inclusive first and last whole minute each session overlaps (a zero-length session: the
    minute holding its instant). Billing periods start on whole minutes, so a session belongs to
    the periods its touched minutes fall in.

    >>> a, b = touched_span(np.array([0, 20 * 10**9, 60 * 10**9]),
    ...                     np.array([60 * 10**9, 80 * 10**9, 60 * 10**9]))
    >>> a.tolist(), b.tolist()
    ([0, 0, 1], [0, 1, 1])
    """
    return session_minutes(start_ns, end_ns)[2:]


def distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` (sorted distinct values, of numbers) by one sort: NumPy's own asks
    ``np.ma.is_masked`` first, and importing ``numpy.ma`` was 10-20 ms of every ``usage`` run.

    >>> distinct(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    values = np.sort(np.asarray(values).reshape(-1))
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def sort_by_key_and_start(key: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The order that sorts rows by ``key`` (int64 >= 0), then by ``a``: one ``argsort`` of a
    combined integer when it fits in 63 bits, else a two-key ``lexsort``."""
    if len(a) == 0:
        return np.zeros(0, dtype=np.int64)
    base = int(a.min())
    width = int(a.max()) - base + 1
    if int(key.max()) < (2**62) // width:
        combined = key.astype(np.int64) * width
        combined += a - base
        return np.argsort(combined)
    return np.lexsort((a, key))


def merge_runs(key: np.ndarray, a: np.ndarray, b: np.ndarray, *, presorted: bool = False) -> Runs:
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
    if not presorted:
        order = sort_by_key_and_start(key, a)
        key, a, b = key[order], a[order], b[order]
        del order
    # the furthest end so far within each key: a running maximum that restarts at every key,
    # as one accumulate over ends lifted by key * span (a new key's ends are all higher)
    base = int(a.min())
    span = int(b.max()) - base + 2  # +2: a new key's run never merges into the previous one
    if int(key.max()) < (2**62) // span:
        lift = np.multiply(key, span, dtype=np.int64)
    else:  # keys too large to lift: their rank among the keys instead
        new_key = np.empty(len(a), dtype=bool)
        new_key[0] = True
        np.not_equal(key[1:], key[:-1], out=new_key[1:])
        lift = np.cumsum(new_key, dtype=np.int64)
        lift *= span
        del new_key
    lift -= base
    reach = b + lift
    np.maximum.accumulate(reach, out=reach)
    lift += a  # each run's lifted start
    new = np.empty(len(a), dtype=bool)
    new[0] = True
    reach += 1
    np.greater(lift[1:], reach[:-1], out=new[1:])
    if new.all():  # no run overlaps or touches another of its key (the common case)
        return key, a, b
    reach -= 1
    reach -= lift
    reach += a  # back to minutes
    del lift
    ends = np.empty(len(a), dtype=bool)  # the last row of each run
    ends[-1] = True
    ends[:-1] = new[1:]
    return key[new], a[new], reach[ends]


def sweep(group: np.ndarray, a: np.ndarray, b: np.ndarray) -> Segments:
    """How many runs hold each minute, per group, as segments of constant level.

    ``group`` (int64 >= 0), ``a``, ``b``: inclusive minute runs. Returns
    ``(seg_group, seg_start, seg_level, seg_minutes)``, sorted by group then start: every
    stretch of minutes at one positive level (levels change between consecutive segments of a
    group or a gap separates them). Memory and time follow the number of runs, not the minutes
    they span: +1 at each run's first minute, -1 after its last, one sort, one cumulative sum.

    Examples
    --------
    Two runs overlapping in minutes 5-9 of group 0, one run in group 3:

    >>> g, s, level, minutes = sweep(np.array([0, 0, 3]), np.array([0, 5, 2]),
    ...                              np.array([9, 14, 2]))
    >>> g.tolist(), s.tolist(), level.tolist(), minutes.tolist()
    ([0, 0, 0, 3], [0, 5, 10, 2], [1, 2, 1, 1], [5, 5, 5, 1])
    """
    return run_segments(
        np.asarray(group, dtype=np.int64),
        np.asarray(a, dtype=np.int64),
        np.asarray(b, dtype=np.int64) + 1,
    )


def run_events(g: np.ndarray, start: np.ndarray, stop: np.ndarray) -> Runs:
    """Runs of minutes ``start .. stop - 1`` per group as events ``(group, minute, delta)``:
    +1 at each start, -1 at each stop."""
    delta = np.ones(2 * len(g), dtype=np.int64)
    delta[len(g) :] = -1
    return np.concatenate([g, g]), np.concatenate([start, stop]), delta


#: the counting sweep's table (groups x minutes, :func:`segments`) may have as many cells as
#: there are events, or :data:`DENSE_FLOOR` cells, whichever is more: memory follows the events
DENSE_FLOOR = 1 << 20


def segments(g: np.ndarray, t: np.ndarray, delta: np.ndarray, cuts: ArrayLike = ()) -> Segments:
    """Segments from events ``(group, minute, +/-count)`` in any order (see :func:`sweep`).

    The events are sorted by group and minute in one of two ways, both linear in the events:

    * a *counting* sort when the groups x minutes they span is no larger than the events (many
      sessions in few orgs, the usual data): the events are added into a table of their span
      and one cumulative sum gives every level;
    * else a value sort of ``(group, minute, sign)`` packed in one integer (many orgs with few
      sessions each).

    ``cuts``: minutes at which a segment always ends (the first minutes of billing periods,
    when groups are orgs): no run may hold minutes on both sides of a cut.
    """
    g = np.asarray(g, dtype=np.int64)
    t = np.asarray(t, dtype=np.int64)
    delta = np.asarray(delta, dtype=np.int64)
    if len(g) == 0:
        return _no_segments()
    t0 = int(t.min())
    width = int(t.max()) - t0 + 1
    n_groups = int(g.max()) + 1
    if _counts(n_groups * width, len(g)):
        cell = g * width
        cell += t
        cell -= t0
        # exact in float64 below 2**53 users
        change = np.rint(np.bincount(cell, weights=delta, minlength=n_groups * width)).astype(
            np.int64
        )
        return _counted(change, n_groups, width, t0, cuts)
    return _cut(*_segments_sorted(g, t, delta, t0, width), cuts)


def run_segments(
    g: np.ndarray, start: np.ndarray, stop: np.ndarray, cuts: ArrayLike = ()
) -> Segments:
    """:func:`segments` of runs: group ``g`` holds minutes ``start .. stop - 1`` (+1 at the
    start, -1 at the stop, without making those events when they are counted)."""
    if len(g) == 0:
        return _no_segments()
    t0 = int(start.min())
    width = int(stop.max()) - t0 + 1
    n_groups = int(g.max()) + 1
    if _counts(n_groups * width, 2 * len(g)):
        cell = g * width
        cell -= t0
        cell += start
        change = np.bincount(cell, minlength=n_groups * width)
        cell -= start
        cell += stop
        change -= np.bincount(cell, minlength=n_groups * width)
        del cell
        return _counted(change, n_groups, width, t0, cuts)
    return segments(*run_events(g, start, stop), cuts=cuts)


def _counts(cells: int, events: int) -> bool:
    """Whether a counting sort's table of ``cells`` is small enough for ``events``."""
    return cells <= max(events, DENSE_FLOOR)


def _no_segments() -> Segments:
    empty = np.zeros(0, dtype=np.int64)
    return empty, empty, empty, empty


def _counted(change: np.ndarray, n_groups: int, width: int, t0: int, cuts: ArrayLike) -> Segments:
    """Segments from the net change of the level at each cell of a ``n_groups x width`` table
    (minute ``t0 + column``): a segment starts wherever the level changes, and at ``cuts``."""
    level = np.cumsum(change)  # each group's events add up to zero, so one sum serves all
    starts = np.flatnonzero(change)  # each group starts at level 0
    del change
    minutes = np.diff(starts, append=n_groups * width)
    seg_level = level[starts]
    keep = seg_level > 0  # a positive stretch ends before its group's last cell, which is 0
    starts, minutes, seg_level = starts[keep], minutes[keep], seg_level[keep]
    group, start = np.divmod(starts, width)
    return _cut(group, start + t0, seg_level, minutes, cuts)


def _cut(
    group: np.ndarray, start: np.ndarray, level: np.ndarray, minutes: np.ndarray, cuts: ArrayLike
) -> Segments:
    """Segments split at ``cuts``: a sweep ends a segment only where the level changes, and
    at a cut it need not (a period's last run ends where the next period's first run starts:
    counted, or compacted by :func:`compact_events`, the two cancel), leaving one segment that
    holds minutes of two periods."""
    cuts = distinct(np.asarray(cuts, dtype=np.int64))
    if not len(cuts) or not len(start):
        return group, start, level, minutes
    stop = start + minutes
    lo = np.searchsorted(cuts, start, side="right")  # the first cut after the start
    parts = np.searchsorted(cuts, stop, side="left") - lo + 1  # pieces of each segment
    if (parts == 1).all():
        return group, start, level, minutes
    which = np.repeat(np.arange(len(start)), parts)
    nth = np.arange(len(which)) - np.repeat(np.cumsum(parts) - parts, parts)
    cut_at = np.append(cuts, 0)  # the sentinel is never read where it would matter
    first = np.where(nth == 0, start[which], cut_at[np.minimum(lo[which] + nth - 1, len(cuts))])
    last = np.where(
        nth == parts[which] - 1, stop[which], cut_at[np.minimum(lo[which] + nth, len(cuts))]
    )
    return group[which], first, level[which], last - first


def _segments_sorted(
    g: np.ndarray, t: np.ndarray, delta: np.ndarray, t0: int, width: int
) -> Segments:
    """:func:`segments` by one value sort of the events (or an argsort when they do not pack)."""
    bits = max(width.bit_length(), 1)
    if np.abs(delta).max() == 1 and int(g.max()) < 2**61 >> bits:
        # +1/-1 events: one value sort of (group, minute, sign) packed in an integer (no
        # argsort and no gathers; the order of a +1 and a -1 at one minute does not matter)
        packed = g << bits
        packed += t - t0
        packed <<= 1
        packed |= delta > 0
        packed.sort()
        delta = packed & 1
        delta <<= 1
        delta -= 1
        packed >>= 1
        t = packed & ((1 << bits) - 1)
        t += t0
        packed >>= bits
        g = packed
    else:
        order = sort_by_key_and_start(g, t)
        g, t, delta = g[order], t[order], delta[order]
        del order
    level = np.cumsum(delta)  # each group's events add up to zero, so one sum serves all
    # a segment runs from an event to the next event of the same group
    follows = np.empty(len(t), dtype=bool)
    follows[-1] = False
    np.equal(g[1:], g[:-1], out=follows[:-1])
    minutes = np.zeros(len(t), dtype=np.int64)
    np.subtract(t[1:], t[:-1], out=minutes[:-1])
    keep = follows & (minutes > 0) & (level > 0)
    return g[keep], t[keep], level[keep], minutes[keep]


def compact_events(g: np.ndarray, t: np.ndarray, delta: np.ndarray) -> Runs:
    """Events with equal ``(group, minute)`` added together, zero sums dropped: the smallest
    set of events with the same segments (what a partition of the Dask engine hands on)."""
    if len(g) == 0:
        return g, t, delta
    order = sort_by_key_and_start(g, t)
    g, t, delta = g[order], t[order], delta[order]
    first = np.flatnonzero(np.r_[True, (g[1:] != g[:-1]) | (t[1:] != t[:-1])])
    total = np.add.reduceat(delta, first)
    keep = total != 0
    return g[first][keep], t[first][keep], total[keep]


def cumulative_peaks(
    seg_group: np.ndarray,
    seg_level: np.ndarray,
    seg_minutes: np.ndarray,
    n_groups: int,
    min_minutes: int = DEFAULT_MIN_MINUTES,
) -> np.ndarray:
    """Per group, the largest level ``k`` such that the minutes at level ``k`` or more add up to
    ``min_minutes``: the vendor's method (the minutes need not be contiguous).

    Segments of each group sorted by level, highest first: the level of the segment at which the
    running total of minutes first reaches ``min_minutes``.

    Examples
    --------
    The vendor's worked example: 500 users for 31 minutes and 503 for 6 minutes bills 500.

    >>> cumulative_peaks(np.array([0, 0]), np.array([500, 503]), np.array([31, 6]), 1).tolist()
    [500]
    """
    m = check_min_minutes(min_minutes)
    peak = np.zeros(n_groups, dtype=np.int64)
    if len(seg_group) == 0:
        return peak
    order = np.lexsort((-seg_level, seg_group))
    g, level = seg_group[order], seg_level[order]
    total = np.cumsum(seg_minutes[order])
    first = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    before = np.repeat(total[first] - seg_minutes[order][first], np.diff(np.r_[first, len(g)]))
    reached = np.flatnonzero(total - before >= m)
    groups, at = np.unique(g[reached], return_index=True)
    peak[groups] = level[reached[at]]
    return peak


def contiguous_peaks(
    seg_group: np.ndarray,
    seg_start: np.ndarray,
    seg_level: np.ndarray,
    seg_minutes: np.ndarray,
    n_groups: int,
    min_minutes: int = DEFAULT_MIN_MINUTES,
) -> np.ndarray:
    """Per group, the largest level held for ``min_minutes`` consecutive minutes (the FAQ read
    literally). Segments sorted by group then start, as :func:`sweep` returns them.

    A binary search over the level, run for every group at once: for a candidate level ``k``,
    the stretches of adjacent segments at ``k`` or more are summed; about ``log2(max level)``
    vectorized passes over the segments, never a window over every minute.

    >>> contiguous_peaks(np.array([0, 0, 0]), np.array([0, 15, 16]), np.array([10, 3, 10]),
    ...                  np.array([15, 1, 15]), 1).tolist()
    [3]
    """
    m = check_min_minutes(min_minutes)
    lo = np.zeros(n_groups, dtype=np.int64)
    if len(seg_group) == 0:
        return lo
    hi = np.zeros(n_groups, dtype=np.int64)
    np.maximum.at(hi, seg_group, seg_level)
    # a segment continues the previous one's stretch when it is of the same group and adjacent
    adjacent = np.zeros(len(seg_group), dtype=bool)
    adjacent[1:] = (seg_group[1:] == seg_group[:-1]) & (
        seg_start[1:] == seg_start[:-1] + seg_minutes[:-1]
    )
    while True:  # about log2(highest level) passes, each vectorized over all segments
        todo = lo < hi
        if not todo.any():
            return lo
        mid = (lo + hi + 1) // 2
        ok = seg_level >= mid[seg_group]
        begins = ok & ~(adjacent & np.r_[False, ok[:-1]])
        stretch = np.cumsum(begins) - 1
        held = np.zeros(n_groups, dtype=np.int64)
        if begins.any():
            minutes = np.bincount(
                stretch[ok], weights=seg_minutes[ok], minlength=int(stretch[-1]) + 1
            )
            np.maximum.at(held, seg_group[begins], minutes[stretch[begins]].astype(np.int64))
        good = held >= m
        lo = np.where(todo & good, mid, lo)
        hi = np.where(todo & ~good, mid - 1, hi)


def peaks(
    seg_group: np.ndarray,
    seg_start: np.ndarray,
    seg_level: np.ndarray,
    seg_minutes: np.ndarray,
    n_groups: int,
    min_minutes: int = DEFAULT_MIN_MINUTES,
    rule: str = "cumulative",
) -> np.ndarray:
    """The billable concurrent peak of each group under ``rule``."""
    if check_peak_rule(rule) == "cumulative":
        return cumulative_peaks(seg_group, seg_level, seg_minutes, n_groups, min_minutes)
    return contiguous_peaks(seg_group, seg_start, seg_level, seg_minutes, n_groups, min_minutes)


def billable_peak(
    counts: np.ndarray, min_minutes: int = DEFAULT_MIN_MINUTES, rule: str = "cumulative"
) -> int:
    """The billable peak of per-minute counts (one level a minute) under ``rule``.

    Examples
    --------
    >>> billable_peak(np.array([500] * 31 + [503] * 6 + [0] * 100))
    500
    >>> billable_peak(np.array([10] * 15 + [3] + [10] * 15), rule="contiguous")
    3
    """
    counts = np.asarray(counts, dtype=np.int64)
    minutes = np.flatnonzero(counts > 0)
    one = np.ones(len(minutes), dtype=np.int64)
    return int(
        peaks(
            np.zeros(len(minutes), np.int64), minutes, counts[minutes], one, 1, min_minutes, rule
        )[0]
    )


def per_minute(
    seg_start: np.ndarray, seg_level: np.ndarray, seg_minutes: np.ndarray, first: int, n: int
) -> np.ndarray:
    """The level of each of the minutes ``first .. first + n - 1`` from one group's segments
    (for charts over a requested span; the engines never build per-minute arrays).

    >>> per_minute(np.array([2, 5]), np.array([1, 3]), np.array([2, 1]), 0, 7).tolist()
    [0, 0, 1, 1, 0, 3, 0]
    """
    counts = np.zeros(n, dtype=np.int64)
    total = int(seg_minutes.sum())
    offset = np.repeat(seg_start - first - np.cumsum(seg_minutes) + seg_minutes, seg_minutes)
    counts[offset + np.arange(total)] = np.repeat(seg_level, seg_minutes)
    return counts


def check_peak_rule(rule: object, *, where: str = "peak rule") -> str:
    text = str(rule).strip().lower()
    if text not in PEAK_RULES:
        raise BillingInputError(
            f"{where}: unknown rule {rule!r}; accepted: cumulative (the "
            "vendor's published method), contiguous"
        )
    return text


def check_min_minutes(min_minutes: Any, where: str = "min minutes") -> int:
    try:
        m = float(min_minutes)
    except (TypeError, ValueError, OverflowError):
        m = float("nan")
    if not (1 <= m <= MAX_MIN_MINUTES and m == int(m)):
        refuse(
            where,
            min_minutes,
            f"a whole number of minutes from 1 to {MAX_MIN_MINUTES} (a 31-day period)",
        )
    return int(m)


_check_min_minutes = check_min_minutes  # the name the commands import
