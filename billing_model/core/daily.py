"""The vendor's daily concurrent usage report, from the sessions.

The vendor's Concurrent Usage report shows, per day, the peak number of concurrent users and
how many minutes that peak lasted (``docs/rules.md#daily-concurrent-report``); customers
reconcile their invoice with it. The model gives the same figures from the sessions, with the
presence the billing peak uses: the concurrent pool (users whose highest license in the billing
period is PureCloud 1-3) sampled at the minute marks
(:func:`billing_model.core.concurrency.sampled_span`). Days are local days in the billing time
zone, so that the model's days line up with the vendor's screen; a daylight-saving day has 23
or 25 hours of marks. No minimum duration applies: the day's peak is its highest minute mark.

A day on which no pool user is present at any minute mark has no row.
"""

from __future__ import annotations

import numpy as np

from .periods import NS_PER_MINUTE, BillingCalendar, local_midnight_ns

#: ``usage --daily``: one row per org and local day with pool users present (``region`` after
#: ``org`` when the data has regions); :func:`billing_model.core.usage.daily_usage` makes them
DAILY_COLUMNS = ["org", "day", "peak_concurrent", "minutes_at_peak"]


def day_starts(
    calendar: BillingCalendar, k0: int, k1: int, first_minute: int
) -> tuple[np.ndarray, np.ndarray]:
    """The local days of billing periods ``k0 .. k1 - 1`` (``datetime64[D]``) and their first
    minutes counted from epoch minute ``first_minute`` (the window's first), plus the end of
    the last period as the last entry."""
    first, end = calendar.first_days([k0, k1])
    days = np.arange(first, end + 1, dtype="datetime64[D]")  # the last: the end's day
    minutes = local_midnight_ns(days, calendar.timezone) // NS_PER_MINUTE
    return days[:-1], minutes - first_minute


def daily_rows(
    seg_org: np.ndarray,
    seg_start: np.ndarray,
    seg_level: np.ndarray,
    seg_minutes: np.ndarray,
    days: np.ndarray,
    starts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per org code and day: ``(org, day, peak, minutes at peak)``, ordered by org, then day,
    from the pool's segments (sorted by org, then start; cut at the days' first minutes
    ``starts``, as :func:`day_starts` gives them with ``days``): the most pool users present at
    a minute mark of the day, and at how many of its marks that many were.

    Two users together for 10 minutes and again for 5 the same day (minutes 0-9 and 60-64),
    one of them alone for 50 minutes between:

    >>> days = np.array(["2026-01-05"], dtype="datetime64[D]")
    >>> org, day, peak, minutes = daily_rows(np.zeros(3, np.int64), np.array([0, 10, 60]),
    ...                                      np.array([2, 1, 2]), np.array([10, 50, 5]), days,
    ...                                      np.array([0, 1440]))
    >>> peak.tolist(), minutes.tolist()
    ([2], [15])
    """
    day = np.searchsorted(starts, seg_start, side="right") - 1
    group = np.asarray(seg_org, dtype=np.int64) * len(days) + day
    if not len(group):
        empty = np.zeros(0, np.int64)
        return empty, np.zeros(0, dtype="datetime64[D]"), empty, empty
    first = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    peak = np.maximum.reduceat(seg_level, first)
    at_peak = seg_level == np.repeat(peak, np.diff(first, append=len(group)))
    minutes = np.add.reduceat(np.where(at_peak, seg_minutes, 0), first)
    g = group[first]
    return (g // len(days), days[g % len(days)], peak.astype(np.int64), minutes.astype(np.int64))
