"""Billable named users and concurrent peaks per org, billing period and license.

The rules (``docs/rules.md``, "Who is billable" and "Concurrency"):

* **Named**: per org and period, every user with a billable session (desktop, web, mobile)
  in the period (a zero-length login too), under the highest license they held in that period.
* **Presence** is sampled: a user is present in UTC minute slice ``m`` when one of their
  billable sessions holds the instant ``m:00``
  (:func:`billing_model.core.concurrency.sampled_span`).
* **Concurrent**: the pool is the users whose highest license in the period is PureCloud 1-3.
  ``c[m]`` is the number of pool users present in slice ``m`` of the period. The billable peak
  under ``cumulative`` (default, the vendor's method) is the largest ``k`` such that the slices
  with ``c >= k`` add up to ``min_minutes`` (30), contiguous or not; under ``contiguous`` the
  largest level held for ``min_minutes`` consecutive slices.
* **Which licenses the peak bills**: the ``peak`` pool users present in the most slices of the
  period (ties: higher license first, then ``user_id`` ascending); their licenses are counted.

The work is split in two so that it can run on partitions of users (the Dask engine):
:func:`partial_usage` turns sessions (every session of each user it sees) into the pool's
+1/-1 presence events per org and period and a per-user table; :func:`finalize_usage` adds what
the partitions give, sweeps the events and picks the peaks and billed users.
:func:`compute_usage` is both on all sessions at once. Memory follows the sessions: no array of
orgs x minutes is ever made. The Excel functions call the same kernels (``udfs/``); the
workbook's Usage sheet shows this engine's results.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .concurrency import (
    DEFAULT_MIN_MINUTES,
    check_min_minutes,
    check_peak_rule,
    compact_events,
    merge_runs,
    peaks,
    per_minute,
    sampled_span,
    segments,
    sort_by_key_and_start,
    split_by_bounds,
    sweep,
    touched_span,
)
from .errors import BillingInputError, BillingWarning
from .licenses import KEY_BY_RANK, LICENSES, POOL_MIN_RANK
from .periods import (
    DEFAULT_TIMEZONE,
    MAX_DATE,
    MAX_PERIODS,
    MIN_DATE,
    NS_PER_MINUTE,
    BillingCalendar,
    mark_coverage,
    to_date,
)
from .sessions import Sessions

COLUMNS = ["org", "period_start", "period_end", "license", "named_users", "concurrent_users",
           "peak_concurrent", "raw_peak", "coverage"]
#: ``usage --by-user``: one row per org, period and user (reconciles the vendor's usage report)
USER_COLUMNS = ["org", "period_start", "period_end", "user_id", "license", "minutes_present",
                "named", "billed_concurrent"]
N_RANKS = len(LICENSES)


@dataclass
class Window:
    """The billing periods ``k0 .. k1 - 1`` analysed, on the UTC minute grid."""

    calendar: BillingCalendar
    k0: int
    k1: int
    bounds: np.ndarray  # first minute of each period, plus the end of the last (epoch minutes)

    @classmethod
    def covering(cls, calendar: BillingCalendar, t_min_ns: int, t_max_ns: int) -> Window:
        # a wrong year in some rows would mean decades of per-minute counts, or dates past
        # the calendar's range: checked on the dates first
        first, last = (np.datetime64(t, "ns").astype("datetime64[D]").astype(object)
                       for t in (t_min_ns, t_max_ns))
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        if months > MAX_PERIODS or first < MIN_DATE or last > MAX_DATE:
            raise BillingInputError(
                f"sessions: they run from {first} to {last}; accepted: at most {MAX_PERIODS} "
                f"months of data, from {MIN_DATE} to {MAX_DATE} (check for a wrong year)")
        k0, k1 = calendar.covering(t_min_ns, t_max_ns)
        return cls.for_periods(calendar, k0, k1)

    @classmethod
    def for_periods(cls, calendar: BillingCalendar, k0: int, k1: int) -> Window:
        return cls(calendar, k0, k1, calendar.bounds_ns(k0, k1) // NS_PER_MINUTE)

    @property
    def n_periods(self) -> int:
        return self.k1 - self.k0

    @property
    def minutes(self) -> int:
        return int(self.bounds[-1] - self.bounds[0])


@dataclass
class UsagePartial:
    """What one partition of users contributes.

    ``events``: the pool's presence as +1/-1 events, three int64 arrays ``(group, minute,
    delta)`` in any order: ``group`` is ``org * n_periods + period - k0`` (org codes index
    ``org_names``), ``minute`` an epoch minute. Partials add by concatenating and compacting
    (equal group and minute summed), so a reduction tree stays small.
    ``users``: one row per org, period and user with a session there: ``org`` (code into
    ``org_names``), ``period`` (k), ``user_id``, ``rank`` (highest license rank), ``minutes``
    (slices present), ``named`` (a billable session in the period).
    """

    events: tuple[np.ndarray, np.ndarray, np.ndarray]
    users: pd.DataFrame
    org_names: np.ndarray

    def __add__(self, other: UsagePartial) -> UsagePartial:
        if not np.array_equal(self.org_names, other.org_names):
            raise ValueError("partials of different org lists")
        events = compact_events(*(np.concatenate([x, y]) for x, y in
                                  zip(self.events, other.events, strict=True)))
        return UsagePartial(events, pd.concat([self.users, other.users], ignore_index=True),
                            self.org_names)


def _no_events() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(np.zeros(0, dtype=np.int64) for _ in range(3))


#: threads that compute partials of disjoint sets of users (NumPy's sorts and gathers release
#: the GIL); inputs smaller than :data:`PARALLEL_ROWS` sessions run on one
WORKERS = max(1, min(os.cpu_count() or 1, 8))
PARALLEL_ROWS = 200_000


def parallel_partial(sessions: Sessions, window: Window, *, workers: int = WORKERS
                     ) -> UsagePartial:
    """:func:`partial_usage` of all sessions, computed for ``workers`` sets of users at once and
    added (events concatenated: they are sorted once when swept)."""
    if workers <= 1 or len(sessions) < PARALLEL_ROWS:
        return partial_usage(sessions, window)
    part = sessions.user % workers
    subsets = [sessions.take(part == w) for w in range(workers)]
    del part
    with ThreadPoolExecutor(workers) as pool:
        partials = list(pool.map(lambda s: partial_usage(s, window, sessions.org_names),
                                 subsets))
    events = tuple(np.concatenate([p.events[i] for p in partials]) for i in range(3))
    return UsagePartial(events, pd.concat([p.users for p in partials], ignore_index=True),
                        partials[0].org_names)


def partial_usage(sessions: Sessions, window: Window, org_names: np.ndarray | None = None
                  ) -> UsagePartial:
    """Pool presence events and per-user totals of ``sessions`` within ``window``.

    Every session of a user must be in the same call (a user's sessions are merged here).
    ``org_names`` fixes the org axis (all partitions must share it); default the sessions' own.
    """
    if org_names is None:
        org_names = sessions.org_names
    org_names = np.asarray(org_names, dtype=object)
    org_code = np.searchsorted(org_names.astype(str), sessions.org_names.astype(str))
    n_per, n_users = window.n_periods, len(sessions.user_ids)
    empty = pd.DataFrame({"org": np.zeros(0, np.int64), "period": np.zeros(0, np.int64),
                          "user_id": np.zeros(0, object), "rank": np.zeros(0, np.int8),
                          "minutes": np.zeros(0, np.int64), "named": np.zeros(0, bool)})
    # the periods each session is in: the whole minutes it touches, clipped to the window
    a, b = touched_span(sessions.start_ns, sessions.end_ns)
    inside = (b >= window.bounds[0]) & (a < window.bounds[-1])
    if not inside.any():
        return UsagePartial(_no_events(), empty, org_names)
    rows = np.flatnonzero(inside) if not inside.all() else None
    if rows is not None:
        a, b = a[rows], b[rows]
    np.maximum(a, window.bounds[0], out=a)
    np.minimum(b, window.bounds[-1] - 1, out=b)
    src, per, a, b = split_by_bounds(a, b, window.bounds)
    if rows is not None:
        src = rows[src]
    del rows, inside
    # the minute marks each piece holds: its sampled span within its touched minutes (a piece
    # holding none has first > last)
    sa, sb = sampled_span(sessions.start_ns[src], sessions.end_ns[src])
    np.maximum(sa, a, out=sa)
    np.minimum(sb, b, out=sb)
    del a, b
    # one group per org, period and user, sorted by group then first mark (the one sort)
    key = org_code[sessions.org[src]].astype(np.int64)
    key *= n_per
    key += per
    key *= n_users
    key += sessions.user[src]
    order, key, sa = _sort_groups(key, sa, per, window, n_users)
    del per
    sb, src = sb[order], src[order]
    del order
    rank, billable = sessions.rank[src], sessions.billable[src]
    del src

    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    g_key = key[first]
    g_rank = np.maximum.reduceat(rank, first)  # highest license held in the period
    g_named = np.logical_or.reduceat(billable, first)
    del rank, first

    holds = billable & (sa <= sb)
    if not holds.all():
        key, sa, sb = key[holds], sa[holds], sb[holds]
    del billable, holds
    run_key, run_a, run_b = merge_runs(key, sa, sb, presorted=True)
    del key, sa, sb
    run_group = np.searchsorted(g_key, run_key)
    g_minutes = np.bincount(run_group, weights=run_b - run_a + 1,
                            minlength=len(g_key)).astype(np.int64)

    # the pool's presence (users whose highest license is concurrent-eligible) as +1/-1 events
    # per org and period; sorted once, when they are swept (settle)
    pool_run = g_rank[run_group] >= POOL_MIN_RANK
    group = run_key[pool_run] // n_users
    delta = np.ones(2 * len(group), dtype=np.int64)
    delta[len(group):] = -1
    events = (np.concatenate([group, group]),
              np.concatenate([run_a[pool_run], run_b[pool_run] + 1]), delta)
    del run_key, run_a, run_b, run_group, pool_run, group, delta

    g_user = g_key % n_users
    g_op = g_key // n_users
    users = pd.DataFrame({"org": g_op // n_per, "period": g_op % n_per + window.k0,
                          "user_id": sessions.user_ids[g_user], "rank": g_rank,
                          "minutes": g_minutes, "named": g_named})
    return UsagePartial(events, users, org_names)


def _sort_groups(key: np.ndarray, sa: np.ndarray, per: np.ndarray, window: Window,
                 n_users: int):
    """The order that sorts pieces by group ``key`` then first mark ``sa``, with both sorted.

    When group, minute within the period (16 bits for a month; more for the long windows of
    the Excel functions) and row number fit in one int64 (nearly always), a value sort of that
    packed integer: several times faster than an argsort, and no gathers for the two sorted
    columns. Else an argsort.
    """
    n = len(key)
    if n == 0:
        return np.zeros(0, dtype=np.int64), key, sa
    minute = sa - window.bounds[:-1][per]
    bits = max(int(minute.max()).bit_length(), 1)
    if int(key.max()) >= (2**62 >> bits) // n:
        order = sort_by_key_and_start(key, sa)
        return order, key[order], sa[order]
    packed = key << bits
    packed += minute
    del minute
    packed *= n
    packed += np.arange(n)
    packed.sort()
    packed, order = np.divmod(packed, n)
    minute = packed & ((1 << bits) - 1)
    packed >>= bits
    if window.n_periods == 1:
        minute += window.bounds[0]
    else:
        minute += window.bounds[:-1][(packed // n_users) % window.n_periods]  # a tiny table
    return order, packed, minute


@dataclass
class Settled:
    """Peaks and billed users of every org and period (:func:`settle`)."""

    group: np.ndarray       # sorted groups (org * n_periods + period - k0) with named users
    peak: np.ndarray        # billable peak per group
    raw: np.ndarray         # highest level per group
    users: pd.DataFrame     # the partial's users, with ``billed`` (bool) and ``group``


def settle(partial: UsagePartial, window: Window, *, peak_rule: str = "cumulative",
           min_minutes: int = DEFAULT_MIN_MINUTES) -> Settled:
    """Sweep the pool's events into levels, take the peaks and pick the billed users."""
    peak_rule = check_peak_rule(peak_rule)
    check_min_minutes(min_minutes)
    n_per = window.n_periods
    users = partial.users
    u_group = users["org"].to_numpy() * n_per + users["period"].to_numpy() - window.k0
    named = users["named"].to_numpy(bool)
    groups = np.unique(u_group[named])

    seg_group, seg_start, seg_level, seg_minutes = _sweep_events(*partial.events)
    # sparse: segments and peaks per group index into ``groups``
    g_index = np.searchsorted(groups, seg_group)
    peak = peaks(g_index, seg_start, seg_level, seg_minutes, len(groups), min_minutes, peak_rule)
    raw = np.zeros(len(groups), dtype=np.int64)
    if len(seg_group):
        starts = np.flatnonzero(np.r_[True, g_index[1:] != g_index[:-1]])
        raw[g_index[starts]] = np.maximum.reduceat(seg_level, starts)

    # the peak's people: most minutes first, then higher license, then user_id ascending
    rank = users["rank"].to_numpy().astype(np.int64)
    pool = np.flatnonzero(named & (rank >= POOL_MIN_RANK))
    p_group = np.searchsorted(groups, u_group[pool])
    p_user = np.unique(users["user_id"].to_numpy()[pool].astype(str), return_inverse=True)[1]
    order = np.lexsort((p_user.reshape(-1), -rank[pool], -users["minutes"].to_numpy()[pool],
                        p_group))
    p_group = p_group[order]
    first = np.searchsorted(p_group, p_group, side="left")
    position = np.arange(len(p_group)) - first
    billed = np.zeros(len(users), dtype=bool)
    billed[pool[order]] = position < peak[p_group]
    return Settled(groups, peak, raw, users.assign(billed=billed, group=u_group))


def _sweep_events(g: np.ndarray, t: np.ndarray, delta: np.ndarray):
    """Segments (see :func:`billing_model.core.concurrency.sweep`) of events."""
    if len(g) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    return segments(g, t, delta)


def finalize_usage(partial: UsagePartial, window: Window, *, peak_rule: str = "cumulative",
                   min_minutes: int = DEFAULT_MIN_MINUTES, by_user: bool = False
                   ) -> pd.DataFrame:
    """The usage rows from the sum of all partitions' partials (see module docstring).

    ``by_user``: one row per org, period and user instead (:data:`USER_COLUMNS`).
    """
    s = settle(partial, window, peak_rule=peak_rule, min_minutes=min_minutes)
    n_per = window.n_periods
    users = s.users
    if by_user:
        return _user_rows(s, partial.org_names, window)
    named = users[users["named"].to_numpy(bool)]
    rank = named["rank"].to_numpy().astype(np.int64)
    key = named["group"].to_numpy() * N_RANKS + rank
    keys, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    billed = np.bincount(inverse.reshape(-1), weights=named["billed"].to_numpy(),
                         minlength=len(keys)).astype(np.int64)
    group, r_idx = keys // N_RANKS, keys % N_RANKS
    g_index = np.searchsorted(s.group, group)
    _warn_mixed_tiers(group, r_idx, partial.org_names, window)

    ks = group % n_per + window.k0
    first = window.calendar.first_days(ks)
    last = window.calendar.first_days(ks + 1) - 1
    frame = pd.DataFrame({
        "org": partial.org_names[group // n_per].astype(str),
        "period_start": first.astype(object),
        "period_end": last.astype(object),
        "license": KEY_BY_RANK[r_idx].astype(str),
        "named_users": counts.astype(np.int64),
        "concurrent_users": billed,
        "peak_concurrent": s.peak[g_index],
        "raw_peak": s.raw[g_index],
        "period": ks,
    })
    frame = frame.assign(_rank=r_idx).sort_values(["period", "org", "_rank"], kind="stable")
    return frame.drop(columns="_rank").reset_index(drop=True)


def _user_rows(s: Settled, org_names: np.ndarray, window: Window) -> pd.DataFrame:
    """One row per org, period and user (``usage --by-user``), ordered like the usage rows and
    then by user id."""
    users = s.users
    n_per = window.n_periods
    group = users["group"].to_numpy()
    ks = group % n_per + window.k0
    frame = pd.DataFrame({
        "org": org_names[group // n_per].astype(str),
        "period_start": window.calendar.first_days(ks).astype(object),
        "period_end": (window.calendar.first_days(ks + 1) - 1).astype(object),
        "user_id": users["user_id"].to_numpy().astype(str),
        "license": KEY_BY_RANK[users["rank"].to_numpy().astype(np.int64)].astype(str),
        "minutes_present": users["minutes"].to_numpy().astype(np.int64),
        "named": users["named"].to_numpy(bool),
        "billed_concurrent": users["billed"].to_numpy(bool),
        "period": ks,
    })
    frame = frame.sort_values(["period", "org", "user_id"], kind="stable")
    return frame.reset_index(drop=True)


def _warn_mixed_tiers(group: np.ndarray, rank: np.ndarray, org_names: np.ndarray,
                      window: Window) -> None:
    """Warn for each org and period whose named users hold more than one of PureCloud 1-3
    (``group`` and ``rank``: the distinct pairs, sorted)."""
    pool = rank >= POOL_MIN_RANK
    g, r = group[pool], rank[pool]
    mixed = np.unique(g[1:][g[1:] == g[:-1]])
    for one in mixed.tolist():  # a loop over the orgs and periods that mix tiers (a few)
        tiers = ", ".join(KEY_BY_RANK[r[g == one]])
        org, k = divmod(one, window.n_periods)
        warnings.warn(
            f"org {org_names[org]!s}, period from {window.calendar.first_day(k + window.k0)}: "
            f"mixes {tiers} users; the FAQ says one org cannot mix PureCloud 1, 2 and 3",
            BillingWarning, stacklevel=3)


def usage_window(sessions: Sessions, calendar: BillingCalendar) -> Window:
    """The periods that the sessions touch."""
    if len(sessions) == 0:
        raise BillingInputError("sessions: no sessions to analyse")
    # a zero-length login at the latest instant still belongs to the period holding it
    end = int(np.maximum(sessions.end_ns, sessions.start_ns + 1).max())
    return Window.covering(calendar, int(sessions.start_ns.min()), end)


def default_order_date(sessions: Sessions, timezone: str = DEFAULT_TIMEZONE):
    """The local date of the earliest session: periods then start with the data."""
    first = pd.Timestamp(int(sessions.start_ns.min()), unit="ns", tz="UTC")
    # checked here, so that a date out of range is not blamed on an order date nobody gave
    return to_date(first.tz_convert(timezone).date(),
                   where="sessions: the earliest session (the default order date)")


def compute_usage(sessions: Sessions, *, order_date=None, timezone: str = DEFAULT_TIMEZONE,
                  peak_rule: str = "cumulative", min_minutes: int = DEFAULT_MIN_MINUTES,
                  periods: tuple[int, int] | None = None, as_of: int | None = None,
                  by_user: bool = False
                  ) -> pd.DataFrame:
    """Billable named users and concurrent peaks per org, billing period and license.

    Parameters
    ----------
    sessions : :class:`~billing_model.core.sessions.Sessions`, e.g. from
        :func:`billing_model.io.sessions.read_sessions`.
    order_date : the contract's order date, which anchors the periods (default: the local date
        of the earliest session).
    timezone : billing time zone (default America/New_York, docs/rules.md#billing-periods).
    peak_rule : ``"cumulative"`` (the vendor's method) or ``"contiguous"``.
    min_minutes : minutes a level must accrue to be billable (30, docs/rules.md#concurrency).
    periods : ``(k0, k1)``: analyse periods ``k0 .. k1 - 1`` only (default: all the data touches).
    by_user : return one row per org, period and user instead (:data:`USER_COLUMNS`: minutes
        present, named, billed as concurrent), to reconcile the vendor's usage report.
    as_of : UTC ns when the data was exported: the data's window runs to it (default: to the
        latest end).

    Returns
    -------
    DataFrame with columns ``org, period_start, period_end, license, named_users,
    concurrent_users, peak_concurrent, raw_peak, coverage, period`` (``period`` is k;
    ``coverage`` the share of the period the data's window covers, see
    :func:`billing_model.core.periods.mark_coverage`), one row per org, period and license with
    named or concurrent users, ordered by period, org and license rank.

    Examples
    --------
    Two agents on PureCloud 2, one for a morning and one for a full day:

    >>> from billing_model.io.sessions import sessions_from_columns
    >>> s = sessions_from_columns(["ann", "bob"], ["2026-01-05T13:00Z", "2026-01-05T13:00Z"],
    ...                           ["2026-01-05T17:00Z", "2026-01-05T23:00Z"], license="pc2")
    >>> compute_usage(s, order_date="2026-01-01")[["license", "named_users", "peak_concurrent"]]
      license  named_users  peak_concurrent
    0     pc2            2                2
    """
    calendar = BillingCalendar(order_date if order_date is not None
                               else default_order_date(sessions, timezone), timezone)
    window = (Window.for_periods(calendar, *periods) if periods
              else usage_window(sessions, calendar))
    frame = finalize_usage(parallel_partial(sessions, window), window, peak_rule=peak_rule,
                           min_minutes=min_minutes, by_user=by_user)
    start, end = int(sessions.start_ns.min()), int(sessions.end_ns.max())
    frame = mark_coverage(frame, calendar, window.k0, window.k1, start,
                          end if as_of is None else max(end, int(as_of)))
    return frame if by_user else frame[[*COLUMNS, "period"]]


def concurrency_profile(sessions: Sessions, start_ns: int, end_ns: int, *,
                        step_minutes: int = 1, pool_only: bool = False) -> pd.DataFrame:
    """Users present at each minute mark between two instants (for charts): the sampled
    presence the peaks are computed from.

    Returns ``time`` (UTC, start of each step) and ``users`` (the most present at any minute
    mark of the step). ``pool_only`` counts only PureCloud 1-3 sessions' users. One array of the
    requested span's minutes: for a chart, not a whole data set.
    """
    if step_minutes < 1 or int(step_minutes) != step_minutes:
        raise BillingInputError(f"step minutes: {step_minutes!r} is not a whole number >= 1")
    m0, m1 = start_ns // NS_PER_MINUTE, -((-end_ns) // NS_PER_MINUTE)
    if m1 <= m0:
        raise BillingInputError("profile: the end is not after the start")
    a, b = sampled_span(sessions.start_ns, sessions.end_ns)
    sel = sessions.billable & (b >= m0) & (a < m1) & (a <= b)
    if pool_only:
        sel &= sessions.rank >= POOL_MIN_RANK
    key = sessions.org[sel] * len(sessions.user_ids) + sessions.user[sel]
    run_key, ra, rb = merge_runs(key, np.maximum(a[sel], m0), np.minimum(b[sel], m1 - 1))
    _, start, level, minutes = sweep(np.zeros(len(ra), np.int64), ra, rb)
    counts = per_minute(start, level, minutes, int(m0), int(m1 - m0))
    steps = int(np.ceil(len(counts) / step_minutes))
    padded = np.zeros(steps * step_minutes, dtype=np.int64)
    padded[: len(counts)] = counts
    users = padded.reshape(steps, step_minutes).max(axis=1)
    times = pd.to_datetime((m0 + np.arange(steps) * step_minutes) * NS_PER_MINUTE, utc=True)
    return pd.DataFrame({"time": times, "users": users})
