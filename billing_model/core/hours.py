"""Logged-in time per org, period and user: the vendor's hourly licensing.

Source: the vendor's "Genesys Cloud hourly user licenses" article
(https://help.mypurecloud.com/?p=214024, ``docs/rules.md#hourly-licensing``): users are billed
for the total time they are logged in during the billing cycle. For each license, every user's
logged-in hours in the period are added up, and the total is rounded *up* to a whole hour at
the end of the cycle (the article's example: 112.23 h + 110.11 h = 222.34 h, billed 223 h).

The model's reading, as for named users: only sessions on a user interface (desktop, web,
mobile) are logged-in time; a user's overlapping sessions (two devices) count once; a session
crossing a period boundary is cut there; a user's hours go to the license the user is billed
at in the period (the highest held). Time is exact: integer nanoseconds, not minute marks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .periods import NS_PER_MINUTE

if TYPE_CHECKING:
    from .sessions import Sessions

NS_PER_HOUR = 60 * NS_PER_MINUTE


def logged_in_ns(
    sessions: Sessions, bounds: np.ndarray, org_code: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each user's logged-in time per org and period: ``(key, ns)``, sorted by key, with
    ``key`` as in the usage pieces (``(org * n_periods + period - k0) * n_users + user``) and
    ``ns`` the length of the union of the user's billable sessions in the period. ``bounds``:
    the periods' first minutes and the end of the last (epoch minutes, a usage ``Window``'s
    ``bounds``); ``org_code``: the org axis code of each of the sessions' orgs.

    Keys with no billable time are left out. The sessions are sorted once by key and start;
    the union is the sum over sessions of what each adds past the furthest end before it
    (:func:`segmented_reach`).

    Examples
    --------
    Two overlapping devices of one user (09:00-10:00 and 09:30-11:00) are two hours:

    >>> from billing_model.core.periods import BillingCalendar
    >>> from billing_model.io.sessions import sessions_from_columns
    >>> s = sessions_from_columns(["ann", "ann"], ["2026-01-05T09:00Z", "2026-01-05T09:30Z"],
    ...                           ["2026-01-05T10:00Z", "2026-01-05T11:00Z"], license="pc1")
    >>> bounds = BillingCalendar("2026-01-01", "UTC").bounds_ns(0, 1) // NS_PER_MINUTE
    >>> key, ns = logged_in_ns(s, bounds, np.zeros(1, np.int64))
    >>> (ns / NS_PER_HOUR).tolist()
    [2.0]
    """
    bounds = np.asarray(bounds, dtype=np.int64) * NS_PER_MINUTE
    sel = sessions.end_ns > bounds[0]
    sel &= sessions.start_ns < bounds[-1]
    sel &= sessions.end_ns > sessions.start_ns
    sel &= sessions.billable
    rows = np.flatnonzero(sel)
    del sel
    if len(rows) < 2**31:
        rows = rows.astype(np.int32)
    start = sessions.start_ns[rows]
    np.maximum(start, bounds[0], out=start)
    end = sessions.end_ns[rows]
    np.minimum(end, bounds[-1], out=end)
    n_per, n_users = len(bounds) - 1, len(sessions.user_ids)
    if n_per > 1:  # a session crossing period boundaries: cut into a piece per period
        period, last = _period_of(start, bounds), _period_of(end - 1, bounds)
        crossing = np.flatnonzero(last > period)
        if len(crossing):
            count = last[crossing] - period[crossing]  # the later pieces of each
            which = np.repeat(crossing, count)
            later = np.arange(len(which)) - np.repeat(np.cumsum(count) - count, count) + 1
            later += period[which]  # int64: indexes bounds below
            end_later = np.minimum(end[which], bounds[later + 1])
            np.minimum(end, bounds[period + 1], out=end)
            start = np.concatenate([start, bounds[later]])
            end = np.concatenate([end, end_later])
            period = np.concatenate([period, later.astype(np.int16)])
            rows = np.concatenate([rows, rows[which]])
            del which, later, end_later, count
        del last, crossing
    else:
        period = np.zeros(len(rows), dtype=np.int16)
    key = org_code[sessions.org[rows]].astype(np.int64)
    key *= n_per
    key += period
    key *= n_users
    key += sessions.user[rows]
    del rows, period
    if not len(key):
        return key, np.zeros(0, dtype=np.int64)
    order = _order_by_key_and_start(key, start)
    key = key[order]  # one column at a time: one copy alive at once
    start = start[order]
    end = end[order]
    del order
    new = np.empty(len(key), dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    if not (new[1:] | (start[1:] >= start[:-1])).all():  # two starts closer than the unit
        order = np.lexsort((start, key))
        key, start, end = key[order], start[order], end[order]
        del order
    reach = segmented_reach(end, new)
    # what each session adds: from the later of its start and the furthest end before it
    covered = start
    np.maximum(covered[1:], np.where(new[1:], covered[1:], reach[:-1]), out=covered[1:])
    added = end - covered
    np.maximum(added, 0, out=added)
    first = np.flatnonzero(new)
    return key[first], np.add.reduceat(added, first)


def _period_of(t: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """The period (index into ``bounds``) of each instant of the window: a comparison per inner
    boundary for a few periods (faster than a binary search per instant), else a search."""
    if len(bounds) > 9:
        return (np.searchsorted(bounds, t, side="right") - 1).astype(np.int16)  # <= 240
    period = np.zeros(len(t), dtype=np.int16)
    for bound in bounds[1:-1]:  # a loop over periods (at most 8)
        period += t >= bound
    return period


def _order_by_key_and_start(key: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The order by key, then start: one argsort of the key and the start packed in an int64,
    the start in the finest unit that fits beside the key (32 ns for a month of 65,000 users
    and periods), several times faster than a two-key ``lexsort``. Two starts of one key closer
    than the unit may come out of order: the caller checks and sorts again exactly."""
    base = int(start.min())
    key_bits = max(int(key.max()), 1).bit_length()
    time_bits = 62 - key_bits
    if time_bits < 20:  # too many keys to pack a useful time: sort on both
        return np.lexsort((start, key))
    unit = -(-(int(start.max()) - base + 1) // (1 << time_bits))
    packed = start - base
    packed //= unit
    packed |= key << time_bits
    return np.argsort(packed)


def segmented_reach(end: np.ndarray, new: np.ndarray) -> np.ndarray:
    """The running maximum of ``end`` that restarts where ``new`` is true (the furthest end so
    far within each group).

    Only rows below the row before them change (a session inside an earlier one): their reach
    is raised from the row before, and the rows after those are looked at next, so the work
    follows the nested sessions (none in most data). A long chain of nested sessions (more
    than :data:`_CHAIN` in a row) is finished by doubling over every row: after the step of
    width ``w`` each row holds the most of the ``2 w`` rows up to it in its group.

    >>> segmented_reach(np.array([5, 3, 4, 9, 1, 2]), np.array([1, 0, 0, 0, 1, 0], bool)).tolist()
    [5, 5, 5, 9, 1, 2]
    """
    reach = end.copy()
    low = np.flatnonzero(~new[1:] & (end[1:] < end[:-1])) + 1  # rows below the row before
    for _ in range(_CHAIN):  # a loop over the length of chains of nested sessions
        if not len(low):
            return reach
        reach[low] = np.maximum(reach[low], reach[low - 1])
        look = np.union1d(low, low[low + 1 < len(reach)] + 1)
        low = look[~new[look] & (reach[look] < reach[look - 1])]
    group = np.cumsum(new)
    width = 1
    while width < len(reach):
        same = group[width:] == group[:-width]
        lifted = np.where(same, np.maximum(reach[width:], reach[:-width]), reach[width:])
        if np.array_equal(lifted, reach[width:]):
            break
        reach[width:] = lifted
        width *= 2
    return reach


#: nested sessions in a row that :func:`segmented_reach` follows one by one before doubling
_CHAIN = 32


def hour_totals(ns: np.ndarray, inverse: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Logged-in hours (float, for showing) and billable hours (the exact total rounded up to a
    whole hour, int64) of ``n_rows`` rows, adding each user's ``ns`` into row ``inverse``.

    Added as whole hours and remainders, so that no int64 overflows (a row of 10,000 users of a
    month is more nanoseconds than int64 holds) and nothing is rounded before the end.

    >>> h = 3600 * 10**9
    >>> logged, billed = hour_totals(np.array([11223 * h // 100, 11011 * h // 100]),
    ...                              np.array([0, 0]), 1)
    >>> round(float(logged[0]), 2), billed.tolist()
    (222.34, [223])
    """
    whole = np.zeros(n_rows, dtype=np.int64)
    rest = np.zeros(n_rows, dtype=np.int64)
    np.add.at(whole, inverse, ns // NS_PER_HOUR)
    np.add.at(rest, inverse, ns % NS_PER_HOUR)
    whole += rest // NS_PER_HOUR
    rest %= NS_PER_HOUR
    billable = whole + (rest > 0)
    return whole + rest / NS_PER_HOUR, billable
