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
* **Hourly** (:mod:`billing_model.core.hours`): the named users' logged-in time per license,
  exact, and that total rounded up to a whole hour.
* **Which licenses the peak bills**: the ``peak`` pool users present in the most slices of the
  period (ties: higher license first, then ``user_id`` ascending); their licenses are counted.

The work is split in two so that it can run on partitions of users (the Dask engine):
:func:`~billing_model.core.usage_partial.partial_usage` (in :mod:`billing_model.core.usage_partial`
with the :class:`~billing_model.core.usage_partial.Window` and the partial it makes) turns
sessions (every session of each user it sees) into the pool's presence runs per org and a
per-user table; :func:`finalize_usage` adds what the partitions give,
sweeps the runs into levels and picks the peaks and billed users. :func:`usage_columns` is both
on all sessions at once (NumPy columns, what the command line writes) and :func:`compute_usage`
its DataFrame. Memory follows the sessions: the pieces are sorted by one value sort of packed
integers, and a table of orgs x minutes is made only when it is smaller than the runs
(:mod:`billing_model.core.concurrency`). The Excel functions call the same kernels (``udfs/``); the
workbook's Usage sheet shows this engine's results.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .concurrency import (
    DEFAULT_MIN_MINUTES,
    check_min_minutes,
    check_peak_rule,
    distinct,
    merge_runs,
    peaks,
    per_minute,
    sampled_span,
    sweep,
)
from .daily import daily_rows, day_starts
from .errors import BillingInputError, BillingWarning
from .hours import hour_totals
from .licenses import KEY_BY_RANK, LICENSES, POOL_MIN_RANK
from .periods import (
    DEFAULT_TIMEZONE,
    NS_PER_MINUTE,
    BillingCalendar,
    get_timezone,
    mark_coverage,
    to_date,
)
from .sessions import Sessions
from .usage_partial import (  # re-exported: the per-partition part, imported from here too
    Columns as Columns,
)
from .usage_partial import (
    UsagePartial as UsagePartial,
)
from .usage_partial import (
    Window as Window,
)
from .usage_partial import (
    partial_usage as partial_usage,
)

if TYPE_CHECKING:  # pandas is imported where a DataFrame is made
    import pandas as pd

COLUMNS = [
    "org",
    "period_start",
    "period_end",
    "license",
    "named_users",
    "concurrent_users",
    "peak_concurrent",
    "raw_peak",
    "coverage",
    "logged_in_hours",
    "billable_hours",
]
#: ``usage --by-user``: one row per org, period and user (reconciles the vendor's usage report)
USER_COLUMNS = [
    "org",
    "period_start",
    "period_end",
    "user_id",
    "license",
    "minutes_present",
    "named",
    "billed_concurrent",
]
N_RANKS = len(LICENSES)


@dataclass
class Settled:
    """Peaks and billed users of every org and period (:func:`settle`)."""

    group: np.ndarray  # sorted groups (org * n_periods + period - k0) with named users
    peak: np.ndarray  # billable peak per group
    raw: np.ndarray  # highest level per group
    users: Columns  # the partial's users, with ``billed`` (bool) and ``group``


def settle(
    partial: UsagePartial,
    window: Window,
    *,
    peak_rule: str = "cumulative",
    min_minutes: int = DEFAULT_MIN_MINUTES,
) -> Settled:
    """Sweep the pool's events into levels, take the peaks and pick the billed users."""
    peak_rule = check_peak_rule(peak_rule)
    check_min_minutes(min_minutes)
    n_per = window.n_periods
    users = partial.users
    u_group = users["org"] * n_per + users["period"] - window.k0
    named = users["named"].astype(bool)
    groups = distinct(u_group[named])

    starts = window.bounds - window.bounds[0]  # the periods' first minutes in the window
    seg_org, seg_start, seg_level, seg_minutes = partial.segments(starts[1:-1])
    seg_group = seg_org * n_per
    if n_per > 1:
        seg_group += np.searchsorted(starts, seg_start, side="right") - 1
    # sparse: segments and peaks per group index into ``groups``
    g_index = np.searchsorted(groups, seg_group)
    peak = peaks(g_index, seg_start, seg_level, seg_minutes, len(groups), min_minutes, peak_rule)
    raw = np.zeros(len(groups), dtype=np.int64)
    if len(seg_group):
        starts = np.flatnonzero(np.r_[True, g_index[1:] != g_index[:-1]])
        raw[g_index[starts]] = np.maximum.reduceat(seg_level, starts)

    # the peak's people: most minutes first, then higher license, then user_id ascending
    rank = users["rank"].astype(np.int64)
    pool = np.flatnonzero(named & (rank >= POOL_MIN_RANK))
    p_group = np.searchsorted(groups, u_group[pool])
    p_user = np.unique(users["user_id"][pool].astype(str), return_inverse=True)[1]
    order = np.lexsort((p_user.reshape(-1), -rank[pool], -users["minutes"][pool], p_group))
    p_group = p_group[order]
    first = np.searchsorted(p_group, p_group, side="left")
    position = np.arange(len(p_group)) - first
    billed = np.zeros(len(u_group), dtype=bool)
    billed[pool[order]] = position < peak[p_group]
    return Settled(groups, peak, raw, {**users, "billed": billed, "group": u_group})


def finalize_usage(
    partial: UsagePartial,
    window: Window,
    *,
    peak_rule: str = "cumulative",
    min_minutes: int = DEFAULT_MIN_MINUTES,
    by_user: bool = False,
) -> Columns:
    """The usage rows from the sum of all partitions' partials (see module docstring), as
    columns: those of :data:`COLUMNS` but ``coverage``, and ``period`` (k); dates are
    ``datetime64[D]``.

    ``by_user``: one row per org, period and user instead (:data:`USER_COLUMNS`).
    """
    s = settle(partial, window, peak_rule=peak_rule, min_minutes=min_minutes)
    n_per = window.n_periods
    users = s.users
    if by_user:
        return _user_rows(s, partial, window)
    named = users["named"].astype(bool)
    rank = users["rank"][named].astype(np.int64)
    key = users["group"][named] * N_RANKS + rank
    keys, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    billed = np.bincount(inverse, weights=users["billed"][named], minlength=len(keys)).astype(
        np.int64
    )
    logged, billable = hour_totals(users["logged_ns"][named], inverse, len(keys))
    group, r_idx = keys // N_RANKS, keys % N_RANKS
    g_index = np.searchsorted(s.group, group)
    _warn_mixed_tiers(group, r_idx, partial, window)

    ks = group % n_per + window.k0
    org = group // n_per
    order = np.lexsort((r_idx, org, ks))  # org codes are in name order
    ks, org, r_idx, g_index = ks[order], org[order], r_idx[order], g_index[order]
    first = window.calendar.first_days(ks)
    return {
        **partial.place(org),
        "period_start": first,
        "period_end": window.calendar.first_days(ks + 1) - 1,
        "license": KEY_BY_RANK[r_idx].astype(str),
        "named_users": counts[order].astype(np.int64),
        "concurrent_users": billed[order],
        "peak_concurrent": s.peak[g_index],
        "raw_peak": s.raw[g_index],
        "logged_in_hours": logged[order],
        "billable_hours": billable[order],
        "period": ks,
    }


def daily_usage(partial: UsagePartial, window: Window) -> Columns:
    """The vendor's daily concurrent usage report from the sum of all partitions' partials (both
    engines): per org (and region) and local day, the most pool users present at one minute
    mark of the day and at how many of the day's marks that many were present
    (:mod:`billing_model.core.daily`). Columns
    :data:`~billing_model.core.daily.DAILY_COLUMNS`, ``region`` after ``org`` when the data has
    regions; ordered by org (and region), then day."""
    days, starts = day_starts(window.calendar, window.k0, window.k1, int(window.bounds[0]))
    code, day, peak, minutes = daily_rows(*partial.segments(starts[1:-1]), days, starts)
    return {**partial.place(code), "day": day, "peak_concurrent": peak, "minutes_at_peak": minutes}


def _user_rows(s: Settled, partial: UsagePartial, window: Window) -> Columns:
    """One row per org, period and user (``usage --by-user``), ordered like the usage rows and
    then by user id."""
    users = s.users
    n_per = window.n_periods
    group = users["group"]
    ks = group % n_per + window.k0
    org = group // n_per
    user_id = users["user_id"].astype(str)
    order = np.lexsort((user_id, org, ks))
    ks, org = ks[order], org[order]
    return {
        **partial.place(org),
        "period_start": window.calendar.first_days(ks),
        "period_end": window.calendar.first_days(ks + 1) - 1,
        "user_id": user_id[order],
        "license": KEY_BY_RANK[users["rank"][order].astype(np.int64)].astype(str),
        "minutes_present": users["minutes"][order].astype(np.int64),
        "named": users["named"][order].astype(bool),
        "billed_concurrent": users["billed"][order],
        "period": ks,
    }


def to_frame(columns: Columns) -> pd.DataFrame:
    """A DataFrame of engine columns (dates as ``datetime.date``, as the API has returned)."""
    import pandas as pd

    return pd.DataFrame(
        {
            name: values.astype(object) if values.dtype.kind == "M" else values
            for name, values in columns.items()
        }
    )


def _warn_mixed_tiers(
    group: np.ndarray, rank: np.ndarray, partial: UsagePartial, window: Window
) -> None:
    """Warn for each org and period whose named users hold more than one of PureCloud 1-3
    (``group`` and ``rank``: the distinct pairs, sorted)."""
    pool = rank >= POOL_MIN_RANK
    g, r = group[pool], rank[pool]
    mixed = distinct(g[1:][g[1:] == g[:-1]])
    for one in mixed.tolist():  # a loop over the orgs and periods that mix tiers (a few)
        tiers = ", ".join(KEY_BY_RANK[r[g == one]])
        org, k = divmod(one, window.n_periods)
        place = partial.place([org])
        name = place["org"][0] + (f" (region {place['region'][0]})" if "region" in place else "")
        warnings.warn(
            f"org {name}, period from {window.calendar.first_day(k + window.k0)}: "
            f"mixes {tiers} users; the FAQ says one org cannot mix PureCloud 1, 2 and 3",
            BillingWarning,
            stacklevel=3,
        )


def usage_window(sessions: Sessions, calendar: BillingCalendar) -> Window:
    """The periods that the sessions touch."""
    if len(sessions) == 0:
        raise BillingInputError("sessions: no sessions to analyse")
    # a zero-length login at the latest instant still belongs to the period holding it
    end = int(np.maximum(sessions.end_ns, sessions.start_ns + 1).max())
    return Window.covering(calendar, int(sessions.start_ns.min()), end)


def default_order_date(sessions: Sessions, timezone: str = DEFAULT_TIMEZONE) -> dt.date:
    """The local date of the earliest session: periods then start with the data."""
    return order_date_at(int(sessions.start_ns.min()), timezone)


def order_date_at(first_ns: int, timezone: str = DEFAULT_TIMEZONE) -> dt.date:
    """The local date of the UTC instant ``first_ns``, as the default order date (the Dask
    engine knows the earliest start, not the sessions)."""
    first = dt.datetime.fromtimestamp(int(first_ns) // 10**9, dt.UTC).astimezone(
        get_timezone(timezone)
    )
    # checked here, so that a date out of range is not blamed on an order date nobody gave
    return to_date(first.date(), where="sessions: the earliest session (the default order date)")


def compute_usage(
    sessions: Sessions,
    *,
    order_date: object = None,
    timezone: str = DEFAULT_TIMEZONE,
    peak_rule: str = "cumulative",
    min_minutes: int = DEFAULT_MIN_MINUTES,
    periods: tuple[int, int] | None = None,
    as_of: int | None = None,
    by_user: bool = False,
    daily: bool = False,
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
    daily : return the vendor's daily concurrent usage report instead: one row per org and
        local day (billing time zone) with the day's peak of pool users at a minute mark and
        the minutes at that peak (:data:`~billing_model.core.daily.DAILY_COLUMNS`,
        :func:`billing_model.core.daily.daily_usage`).

    Returns
    -------
    DataFrame with columns ``org, period_start, period_end, license, named_users,
    concurrent_users, peak_concurrent, raw_peak, coverage, logged_in_hours, billable_hours,
    period`` (``period`` is k; ``coverage`` the share of the period the data's window covers,
    see :func:`billing_model.core.periods.mark_coverage`; ``logged_in_hours`` the named users'
    logged-in time, unrounded, and ``billable_hours`` that rounded up to a whole hour, the
    hourly license's quantity, :mod:`billing_model.core.hours`), one row per org, period and
    license with named or concurrent users, ordered by period, org and license rank.

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
    return to_frame(
        usage_columns(
            sessions,
            order_date=order_date,
            timezone=timezone,
            peak_rule=peak_rule,
            min_minutes=min_minutes,
            periods=periods,
            as_of=as_of,
            by_user=by_user,
            daily=daily,
        )
    )


def usage_columns(
    sessions: Sessions,
    *,
    order_date: object = None,
    timezone: str = DEFAULT_TIMEZONE,
    peak_rule: str = "cumulative",
    min_minutes: int = DEFAULT_MIN_MINUTES,
    periods: tuple[int, int] | None = None,
    as_of: int | None = None,
    by_user: bool = False,
    daily: bool = False,
) -> Columns:
    """:func:`compute_usage` as NumPy columns (dates ``datetime64[D]``), without pandas: what
    the command line writes."""
    calendar = BillingCalendar(
        order_date if order_date is not None else default_order_date(sessions, timezone), timezone
    )
    window = Window.for_periods(calendar, *periods) if periods else usage_window(sessions, calendar)
    partial = partial_usage(sessions, window)
    if daily:
        check_peak_rule(peak_rule)
        check_min_minutes(min_minutes)
        return daily_usage(partial, window)
    columns = finalize_usage(
        partial, window, peak_rule=peak_rule, min_minutes=min_minutes, by_user=by_user
    )
    del partial
    start, end = sessions.span()
    columns = mark_coverage(
        columns,
        calendar,
        window.k0,
        window.k1,
        start,
        end if as_of is None else max(end, int(as_of)),
    )
    return {
        name: columns[name] for name in output_names(USER_COLUMNS if by_user else COLUMNS, columns)
    }


def output_names(names: list[str], columns: Columns) -> list[str]:
    """The columns of a result in order: ``names``, ``region`` after ``org`` when the data has
    regions, then ``period``."""
    if "region" in columns:
        names = [names[0], "region", *names[1:]]
    return [*names, "period"]


def concurrency_profile(
    sessions: Sessions,
    start_ns: int,
    end_ns: int,
    *,
    step_minutes: int = 1,
    pool_only: bool = False,
) -> pd.DataFrame:
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
    key = sessions.org[sel].astype(np.int64) * len(sessions.user_ids) + sessions.user[sel]
    run_key, ra, rb = merge_runs(key, np.maximum(a[sel], m0), np.minimum(b[sel], m1 - 1))
    _, start, level, minutes = sweep(np.zeros(len(ra), np.int64), ra, rb)
    counts = per_minute(start, level, minutes, int(m0), int(m1 - m0))
    steps = int(np.ceil(len(counts) / step_minutes))
    padded = np.zeros(steps * step_minutes, dtype=np.int64)
    padded[: len(counts)] = counts
    users = padded.reshape(steps, step_minutes).max(axis=1)
    import pandas as pd

    times = pd.to_datetime((m0 + np.arange(steps) * step_minutes) * NS_PER_MINUTE, utc=True)
    return pd.DataFrame({"time": times, "users": users})
