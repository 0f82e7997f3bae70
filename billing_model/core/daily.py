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

from typing import TYPE_CHECKING

import numpy as np

from .periods import NS_PER_MINUTE, local_midnight_ns

if TYPE_CHECKING:
    from .usage import Columns, UsagePartial, Window

#: ``usage --daily``: one row per org and local day with pool users present
DAILY_COLUMNS = ["org", "day", "peak_concurrent", "minutes_at_peak"]


def day_starts(window: Window) -> tuple[np.ndarray, np.ndarray]:
    """The local days of ``window`` (``datetime64[D]``) and their first minutes (window
    minutes, 0: the window's first), plus the window's end minute as the last entry."""
    first, end = window.calendar.first_days([window.k0, window.k1])
    days = np.arange(first, end + 1, dtype="datetime64[D]")  # the last: the end's day
    minutes = local_midnight_ns(days, window.calendar.timezone) // NS_PER_MINUTE
    return days[:-1], minutes - window.bounds[0]


def daily_usage(partial: UsagePartial, window: Window) -> Columns:
    """Per org and local day: the most pool users present at one minute mark of the day
    (``peak_concurrent``) and at how many of the day's marks that many were present
    (``minutes_at_peak``), from the sum of all partitions' partials (both engines).

    Ordered by org (and region), then day. Columns :data:`DAILY_COLUMNS` (``region`` after
    ``org`` when the data has regions: each region of an org is a pool of its own); ``day`` is
    ``datetime64[D]``.
    """
    days, starts = day_starts(window)
    seg_org, seg_start, seg_level, seg_minutes = partial.segments(starts[1:-1])
    day = np.searchsorted(starts, seg_start, side="right") - 1
    group = seg_org * len(days) + day  # segments are sorted by org, then start
    if not len(group):
        return {**partial.place(np.zeros(0, np.int64)),
                "day": np.zeros(0, dtype="datetime64[D]"),
                "peak_concurrent": np.zeros(0, np.int64),
                "minutes_at_peak": np.zeros(0, np.int64)}
    first = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    peak = np.maximum.reduceat(seg_level, first)
    at_peak = seg_level == np.repeat(peak, np.diff(first, append=len(group)))
    minutes = np.add.reduceat(np.where(at_peak, seg_minutes, 0), first)
    g = group[first]
    return {**partial.place(g // len(days)), "day": days[g % len(days)],
            "peak_concurrent": peak.astype(np.int64), "minutes_at_peak": minutes.astype(np.int64)}
