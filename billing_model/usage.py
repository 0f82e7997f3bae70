"""Billable named users and concurrent peaks per org, billing period and license.

The rules (``shared/reference/RULES.md``, "Who is billable" and "The vendor's published
concurrency method"):

* **Named**: per org and period, every user with a billable session (desktop, web, mobile)
  overlapping the period, under the highest license they held in that period.
* **Concurrent**: the pool is the users whose highest license in the period is PureCloud 1-3.
  ``c[m]`` is the number of pool users present in UTC minute slice ``m`` of the period. The
  billable peak under ``cumulative`` (default, the vendor's method) is the largest ``k`` such that
  the slices with ``c >= k`` add up to ``min_minutes`` (30), contiguous or not; under
  ``contiguous`` the largest level held for ``min_minutes`` consecutive slices.
* **Which licenses the peak bills**: the ``peak`` pool users present in the most slices of the
  period (ties: higher license first, then ``user_id`` ascending); their licenses are counted.

The work is split in two so that it can run on partitions of users (the Dask engine):
:func:`partial_usage` turns sessions (every session of each user it sees) into per-minute pool
counts and a per-user table; :func:`finalize_usage` adds what the partitions give and picks the
peaks and billed users. :func:`compute_usage` is both on all sessions at once.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .concurrency import (
    DEFAULT_MIN_MINUTES,
    add_runs,
    billable_peak,
    check_peak_rule,
    merge_runs,
    minute_span,
    split_by_bounds,
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

    ``counts[o][m]``: pool users of org ``org_names[o]`` present in minute ``m`` of the window,
    only for the orgs that have pool users in this partition (memory grows with the orgs a
    partition holds, not with every org of the input).
    ``users``: one row per org, period and billable user: ``org`` (code into ``org_names``),
    ``period`` (k), ``user_id``, ``rank`` (highest license rank), ``minutes`` (slices present).
    """

    counts: dict[int, np.ndarray]
    users: pd.DataFrame
    org_names: np.ndarray

    def __add__(self, other: UsagePartial) -> UsagePartial:
        if not np.array_equal(self.org_names, other.org_names):
            raise ValueError("partials of different org lists")
        counts = dict(self.counts)
        for org, minutes in other.counts.items():
            counts[org] = counts[org] + minutes if org in counts else minutes
        return UsagePartial(counts,
                            pd.concat([self.users, other.users], ignore_index=True),
                            self.org_names)


def partial_usage(sessions: Sessions, window: Window, org_names: np.ndarray | None = None
                  ) -> UsagePartial:
    """Per-minute pool counts and per-user totals of ``sessions`` within ``window``.

    Every session of a user must be in the same call (a user's sessions are merged here).
    ``org_names`` fixes the org axis (all partitions must share it); default the sessions' own.
    """
    if org_names is None:
        org_names = sessions.org_names
    org_names = np.asarray(org_names, dtype=object)
    org_code = np.searchsorted(org_names.astype(str), sessions.org_names.astype(str))
    n_per, n_users = window.n_periods, len(sessions.user_ids)
    counts: dict[int, np.ndarray] = {}
    empty = pd.DataFrame({"org": np.zeros(0, np.int64), "period": np.zeros(0, np.int64),
                          "user_id": np.zeros(0, object), "rank": np.zeros(0, np.int8),
                          "minutes": np.zeros(0, np.int64)})
    # minute ranges clipped to the window, cut at period boundaries
    a, b = minute_span(sessions.start_ns, sessions.end_ns)
    inside = (b >= window.bounds[0]) & (a < window.bounds[-1])
    if not inside.any():
        return UsagePartial(counts, empty, org_names)
    rows = np.flatnonzero(inside) if not inside.all() else None
    if rows is not None:
        a, b = a[rows], b[rows]
    np.maximum(a, window.bounds[0], out=a)
    np.minimum(b, window.bounds[-1] - 1, out=b)
    src, per, a, b = split_by_bounds(a, b, window.bounds)
    if rows is not None:
        src = rows[src]
    del rows, inside
    # one group per org, period and user, sorted by group then start minute (one sort)
    key = org_code[sessions.org[src]].astype(np.int64)
    key *= n_per
    key += per
    key *= n_users
    key += sessions.user[src]
    del per
    base = int(a.min())
    width = int(b.max()) - base + 2
    order = np.argsort(key * width + (a - base))
    key, a, b, src = key[order], a[order], b[order], src[order]
    del order
    rank, billable = sessions.rank[src], sessions.billable[src]
    del src

    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    g_key = key[first]
    g_rank = np.maximum.reduceat(rank, first)  # highest license held in the period
    g_bill = np.logical_or.reduceat(billable, first)
    del rank, first

    if not billable.all():
        key, a, b = key[billable], a[billable], b[billable]
    run_key, run_a, run_b = merge_runs(key, a, b, presorted=True)
    del key, a, b, billable
    run_len = run_b - run_a + 1
    run_group = np.searchsorted(g_key, run_key)
    g_minutes = np.bincount(run_group, weights=run_len, minlength=len(g_key)).astype(np.int64)

    # per-minute counts of the pool (users whose highest license is concurrent-eligible)
    pool_run = g_rank[run_group] >= POOL_MIN_RANK
    r_org = run_key[pool_run] // (n_per * n_users)
    present, slot = np.unique(r_org, return_inverse=True)
    flat = np.zeros(len(present) * window.minutes, dtype=np.int32)
    add_runs(flat, slot.reshape(-1) * window.minutes + (run_a[pool_run] - window.bounds[0]),
             run_len[pool_run])
    counts = dict(zip(present.tolist(), flat.reshape(len(present), window.minutes),
                      strict=True))

    keep = g_bill
    g_key, g_rank, g_minutes = g_key[keep], g_rank[keep], g_minutes[keep]
    g_user = g_key % n_users
    g_op = g_key // n_users
    users = pd.DataFrame({"org": g_op // n_per, "period": g_op % n_per + window.k0,
                          "user_id": sessions.user_ids[g_user], "rank": g_rank,
                          "minutes": g_minutes})
    return UsagePartial(counts, users, org_names)


def finalize_usage(partial: UsagePartial, window: Window, *, peak_rule: str = "cumulative",
                   min_minutes: int = DEFAULT_MIN_MINUTES) -> pd.DataFrame:
    """The usage rows from the sum of all partitions' partials (see module docstring)."""
    peak_rule = check_peak_rule(peak_rule)
    users = partial.users
    n_org, n_per = len(partial.org_names), window.n_periods
    op = (users["org"].to_numpy() * n_per + users["period"].to_numpy() - window.k0)
    rank = users["rank"].to_numpy().astype(np.int64)
    named = np.bincount(op * N_RANKS + rank, minlength=n_org * n_per * N_RANKS)
    named = named.reshape(n_org, n_per, N_RANKS)

    peak = np.zeros((n_org, n_per), dtype=np.int64)
    raw = np.zeros((n_org, n_per), dtype=np.int64)
    for o in range(n_org):  # a loop over orgs and periods; each step is vectorized
        for p in range(n_per):
            if not named[o, p, POOL_MIN_RANK:].any():
                continue
            c = partial.counts[o][window.bounds[p] - window.bounds[0]:
                                  window.bounds[p + 1] - window.bounds[0]]
            raw[o, p] = c.max()
            peak[o, p] = billable_peak(c, min_minutes, peak_rule)

    # the peak's people: most minutes first, then higher license, then user_id ascending
    pool = rank >= POOL_MIN_RANK
    p_op, p_rank = op[pool], rank[pool]
    p_min = users["minutes"].to_numpy()[pool]
    p_user = np.unique(users["user_id"].to_numpy()[pool].astype(str), return_inverse=True)[1]
    order = np.lexsort((p_user.reshape(-1), -p_rank, -p_min, p_op))
    p_op, p_rank = p_op[order], p_rank[order]
    starts = np.searchsorted(p_op, np.arange(n_org * n_per))
    position = np.arange(len(p_op)) - starts[p_op] if len(p_op) else np.zeros(0, np.int64)
    billed = position < peak.reshape(-1)[p_op]
    concurrent = np.bincount(p_op[billed] * N_RANKS + p_rank[billed],
                             minlength=n_org * n_per * N_RANKS).reshape(n_org, n_per, N_RANKS)

    _warn_mixed_tiers(named, partial.org_names, window)

    o_idx, p_idx, r_idx = np.nonzero((named > 0) | (concurrent > 0))
    ks = p_idx + window.k0
    first = window.calendar.first_days(ks)
    last = window.calendar.first_days(ks + 1) - 1
    frame = pd.DataFrame({
        "org": partial.org_names[o_idx].astype(str),
        "period_start": first.astype(object),
        "period_end": last.astype(object),
        "license": KEY_BY_RANK[r_idx].astype(str),
        "named_users": named[o_idx, p_idx, r_idx],
        "concurrent_users": concurrent[o_idx, p_idx, r_idx],
        "peak_concurrent": peak[o_idx, p_idx],
        "raw_peak": raw[o_idx, p_idx],
        "period": ks,
    })
    frame = frame.assign(_rank=r_idx).sort_values(["period", "org", "_rank"], kind="stable")
    return frame.drop(columns="_rank").reset_index(drop=True)


def _warn_mixed_tiers(named: np.ndarray, org_names: np.ndarray, window: Window) -> None:
    mixed = (named[:, :, POOL_MIN_RANK:] > 0).sum(axis=2) > 1
    for o, p in zip(*np.nonzero(mixed), strict=True):
        tiers = ", ".join(KEY_BY_RANK[POOL_MIN_RANK + np.flatnonzero(named[o, p, POOL_MIN_RANK:])])
        warnings.warn(
            f"org {org_names[o]!s}, period from {window.calendar.first_day(p + window.k0)}: "
            f"mixes {tiers} users; the FAQ says one org cannot mix PureCloud 1, 2 and 3",
            BillingWarning, stacklevel=3)


def usage_window(sessions: Sessions, calendar: BillingCalendar) -> Window:
    """The periods that the sessions touch."""
    if len(sessions) == 0:
        raise BillingInputError("sessions: no sessions to analyse")
    return Window.covering(calendar, int(sessions.start_ns.min()), int(sessions.end_ns.max()))


def default_order_date(sessions: Sessions, timezone: str = DEFAULT_TIMEZONE):
    """The local date of the earliest session: periods then start with the data."""
    first = pd.Timestamp(int(sessions.start_ns.min()), unit="ns", tz="UTC")
    # checked here, so that a date out of range is not blamed on an order date nobody gave
    return to_date(first.tz_convert(timezone).date(),
                   where="sessions: the earliest session (the default order date)")


def compute_usage(sessions: Sessions, *, order_date=None, timezone: str = DEFAULT_TIMEZONE,
                  peak_rule: str = "cumulative", min_minutes: int = DEFAULT_MIN_MINUTES,
                  periods: tuple[int, int] | None = None, as_of: int | None = None
                  ) -> pd.DataFrame:
    """Billable named users and concurrent peaks per org, billing period and license.

    Parameters
    ----------
    sessions : :class:`~billing_model.sessions.Sessions`, e.g. from
        :func:`billing_model.iotools.read_sessions`.
    order_date : the contract's order date, which anchors the periods (default: the local date
        of the earliest session).
    timezone : billing time zone (default America/New_York, RULES.md).
    peak_rule : ``"cumulative"`` (the vendor's method) or ``"contiguous"``.
    min_minutes : minutes a level must accrue to be billable (30, RULES.md).
    periods : ``(k0, k1)``: analyse periods ``k0 .. k1 - 1`` only (default: all the data touches).
    as_of : UTC ns when the data was exported: the data's window runs to it (default: to the
        latest end).

    Returns
    -------
    DataFrame with columns ``org, period_start, period_end, license, named_users,
    concurrent_users, peak_concurrent, raw_peak, coverage, period`` (``period`` is k;
    ``coverage`` the share of the period the data's window covers, see
    :func:`billing_model.periods.mark_coverage`), one row per org, period and license with
    named or concurrent users, ordered by period, org and license rank.

    Examples
    --------
    Two agents on PureCloud 2, one for a morning and one for a full day:

    >>> s = Sessions.from_columns(["ann", "bob"], ["2026-01-05T13:00Z", "2026-01-05T13:00Z"],
    ...                           ["2026-01-05T17:00Z", "2026-01-05T23:00Z"], license="pc2")
    >>> compute_usage(s, order_date="2026-01-01")[["license", "named_users", "peak_concurrent"]]
      license  named_users  peak_concurrent
    0     pc2            2                2
    """
    calendar = BillingCalendar(order_date if order_date is not None
                               else default_order_date(sessions, timezone), timezone)
    window = (Window.for_periods(calendar, *periods) if periods
              else usage_window(sessions, calendar))
    frame = finalize_usage(partial_usage(sessions, window), window, peak_rule=peak_rule,
                           min_minutes=min_minutes)
    start, end = int(sessions.start_ns.min()), int(sessions.end_ns.max())
    return mark_coverage(frame, calendar, window.k0, window.k1, start,
                         end if as_of is None else max(end, int(as_of)))[[*COLUMNS, "period"]]


def concurrency_profile(sessions: Sessions, start_ns: int, end_ns: int, *,
                        step_minutes: int = 1, pool_only: bool = False) -> pd.DataFrame:
    """Users logged in per minute between two instants (for charts).

    Returns ``time`` (UTC, start of each step) and ``users`` (the most present in any minute of
    the step). ``pool_only`` counts only PureCloud 1-3 sessions' users.
    """
    if step_minutes < 1 or int(step_minutes) != step_minutes:
        raise BillingInputError(f"step minutes: {step_minutes!r} is not a whole number >= 1")
    m0, m1 = start_ns // NS_PER_MINUTE, -((-end_ns) // NS_PER_MINUTE)
    if m1 <= m0:
        raise BillingInputError("profile: the end is not after the start")
    a, b = minute_span(sessions.start_ns, sessions.end_ns)
    sel = sessions.billable & (b >= m0) & (a < m1)
    if pool_only:
        sel &= sessions.rank >= POOL_MIN_RANK
    key = sessions.org[sel] * len(sessions.user_ids) + sessions.user[sel]
    run_key, ra, rb = merge_runs(key, np.maximum(a[sel], m0), np.minimum(b[sel], m1 - 1))
    counts = add_runs(np.zeros(int(m1 - m0), dtype=np.int64), ra - m0, rb - ra + 1)
    steps = int(np.ceil(len(counts) / step_minutes))
    padded = np.zeros(steps * step_minutes, dtype=np.int64)
    padded[: len(counts)] = counts
    users = padded.reshape(steps, step_minutes).max(axis=1)
    times = pd.to_datetime((m0 + np.arange(steps) * step_minutes) * NS_PER_MINUTE, utc=True)
    return pd.DataFrame({"time": times, "users": users})
