"""The partition side of the usage engine (:mod:`billing_model.core.usage`): the periods analysed
(:class:`Window`) and what one partition of users contributes (:class:`UsagePartial`, made by
:func:`partial_usage`).

A partial holds every session of the users it sees and nothing of the others: the pool's presence
runs per org and a table per org, period and user. Partials add (``+``), so the in-memory engine
makes one from all sessions and the Dask engine one per partition; the usage engine's
:func:`~billing_model.core.usage.finalize_usage` then picks the peaks and the billed users once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

from .concurrency import Segments, compact_events, merge_runs, run_events, run_segments, segments
from .errors import BillingInputError
from .hours import logged_in_ns
from .licenses import POOL_MIN_RANK
from .periods import MAX_DATE, MAX_PERIODS, MIN_DATE, NS_PER_MINUTE, BillingCalendar
from .pieces import sorted_pieces
from .sessions import Sessions


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
        first, last = (
            np.datetime64(t, "ns").astype("datetime64[D]").astype(object)
            for t in (t_min_ns, t_max_ns)
        )
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        if months > MAX_PERIODS or first < MIN_DATE or last > MAX_DATE:
            raise BillingInputError(
                f"sessions: they run from {first} to {last}; accepted: at most {MAX_PERIODS} "
                f"months of data, from {MIN_DATE} to {MAX_DATE} (check for a wrong year)"
            )
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


#: a table as NumPy columns in order (what the engines return;
#: :func:`~billing_model.core.usage.to_frame` makes it a DataFrame): the command line writes it
#: without loading pandas
Columns = dict[str, np.ndarray]


@dataclass
class UsagePartial:
    """What one partition of users contributes.

    The pool's presence, per org, on the window's minutes (0: the window's first), as either
    ``runs`` (three int64 arrays ``(org, start, stop)``: minutes ``start .. stop - 1``, each run
    within one period) or ``events`` (``(org, minute, delta)``: +1/-1 counts, in any order).
    Org codes index ``org_names``. Partials add by turning both into events, concatenating and
    compacting them (equal org and minute summed), so a reduction tree stays small.
    ``users``: columns with one row per org, period and user with a session there: ``org``
    (code into ``org_names``), ``period`` (k), ``user_id``, ``rank`` (highest license rank),
    ``minutes`` (slices present), ``named`` (a billable session in the period).
    """

    runs: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    events: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    users: Columns
    org_names: np.ndarray
    #: the regions of the data (sorted), or ``None``: then org codes index ``org_names``; with
    #: regions, an org code is ``org * len(region_names) + region``: each region of an org is
    #: a pool of its own (docs/rules.md#orgs-and-regions)
    region_names: np.ndarray | None = None

    def place(self, codes: ArrayLike) -> Columns:
        """The ``org`` (and ``region``, when the data has regions) of org codes."""
        code = np.asarray(codes, dtype=np.int64)
        if self.region_names is None:
            return {"org": self.org_names[code].astype(str)}
        n = len(self.region_names)
        return {
            "org": self.org_names[code // n].astype(str),
            "region": self.region_names[code % n].astype(str),
        }

    def event_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.events is not None:
            return self.events
        assert self.runs is not None, "a partial holds runs or events"
        return run_events(*self.runs)

    def segments(self, cuts: np.ndarray) -> Segments:
        """The pool's segments per org (:func:`~billing_model.core.concurrency.segments`), cut
        at the periods' first minutes ``cuts``."""
        if self.events is None:
            assert self.runs is not None, "a partial holds runs or events"
            return run_segments(*self.runs, cuts=cuts)
        return segments(*self.events, cuts=cuts)

    def __add__(self, other: UsagePartial) -> UsagePartial:
        if not (
            np.array_equal(self.org_names, other.org_names)
            and _same(self.region_names, other.region_names)
        ):
            raise ValueError("partials of different org or region lists")
        events = compact_events(
            *(
                np.concatenate([x, y])
                for x, y in zip(self.event_arrays(), other.event_arrays(), strict=True)
            )
        )
        return UsagePartial(
            None,
            events,
            _concat_columns([self.users, other.users]),
            self.org_names,
            self.region_names,
        )


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is b
    return bool(np.array_equal(a, b))


def _concat_columns(tables: list[Columns]) -> Columns:
    return {name: np.concatenate([t[name] for t in tables]) for name in tables[0]}


def partial_usage(
    sessions: Sessions,
    window: Window,
    org_names: np.ndarray | None = None,
    region_names: np.ndarray | None = None,
) -> UsagePartial:
    """Pool presence runs and per-user totals of ``sessions`` within ``window``.

    Every session of a user must be in the same call (a user's sessions are merged here).
    ``org_names`` fixes the org axis (all partitions must share it); default the sessions' own;
    ``region_names`` likewise the regions (default the sessions' own, ``None`` without any):
    with regions, the org axis is every org in every region.

    Each session becomes one *piece* per period it touches; the pieces are packed in one integer
    each (org, period and user; first minute mark held; marks held; license rank; billable) and
    sorted by one value sort, with no gathers (:func:`billing_model.core.pieces.sorted_pieces`).
    """
    if org_names is None:
        org_names = sessions.org_names
    org_names = np.asarray(org_names, dtype=object)
    org_code = np.searchsorted(org_names.astype(str), sessions.org_names.astype(str))
    n_axis = len(org_names)
    if region_names is None:
        region_names = sessions.region_names
    if region_names is not None:  # each region of an org its own pool: codes per org and region
        region_names = np.asarray(region_names, dtype=object)
        assert sessions.region_names is not None, "a region axis needs the sessions' regions"
        region_code = np.searchsorted(region_names.astype(str), sessions.region_names.astype(str))
        axis = org_code[sessions.org].astype(np.int64)
        axis *= len(region_names)
        axis += region_code[sessions.region]
        n_axis *= len(region_names)
        sessions = replace(sessions, org=axis)
        org_code = np.arange(n_axis, dtype=np.int64)
        del axis
    n_per, n_users = window.n_periods, len(sessions.user_ids)
    pieces = sorted_pieces(sessions, window, org_code, n_axis)
    if pieces is None:
        empty = {
            "org": np.zeros(0, np.int64),
            "period": np.zeros(0, np.int64),
            "user_id": np.zeros(0, object),
            "rank": np.zeros(0, np.int8),
            "minutes": np.zeros(0, np.int64),
            "named": np.zeros(0, bool),
            "logged_ns": np.zeros(0, np.int64),
        }
        no_runs = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
        return UsagePartial(no_runs, None, empty, org_names, region_names)
    key, mark, held, rank, billable = pieces
    del pieces

    new = np.empty(len(key), dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    first = np.flatnonzero(new)
    g_key = key[first]
    del key
    g_rank = np.maximum.reduceat(rank, first)  # highest license held in the period
    g_named = np.logical_or.reduceat(billable, first)
    del rank
    # the group (org, period and user) of each piece
    index = np.repeat(
        np.arange(len(first), dtype=np.int32 if len(first) < 2**31 else np.int64),
        np.diff(first, append=len(new)),
    )
    del new, first

    holds = billable
    holds &= held > 0
    del billable
    if not holds.all():  # one column at a time: one copy alive at once
        index = index[holds]
        mark = mark[holds]
        held = held[holds]
    del holds
    held += mark
    held -= 1  # the last mark held
    run_group, run_a, run_b = merge_runs(index, mark, held, presorted=True)
    del index, mark, held
    run_b += 1  # runs of marks run_a .. run_b - 1
    g_minutes = np.zeros(len(g_key), dtype=np.int64)
    if len(run_group):  # runs are sorted by group: one sum per group that has runs
        has = np.flatnonzero(np.r_[True, run_group[1:] != run_group[:-1]])
        g_minutes[run_group[has]] = np.add.reduceat(run_b - run_a, has, dtype=np.int64)
        del has

    # the pool's presence (users whose highest license is concurrent-eligible) as runs per org
    g_op = g_key // n_users
    g_org = g_op // n_per
    pool = g_rank >= POOL_MIN_RANK
    if not pool.all():
        pool_run = pool[run_group]
        run_group, run_a, run_b = run_group[pool_run], run_a[pool_run], run_b[pool_run]
        del pool_run
    runs = (g_org[run_group], run_a, run_b)
    del run_group

    # logged-in time (hourly licensing): every key with billable time is a named group
    t_key, t_ns = logged_in_ns(sessions, window.bounds, org_code)
    g_logged = np.zeros(len(g_key), dtype=np.int64)
    g_logged[np.searchsorted(g_key, t_key)] = t_ns
    del t_key, t_ns
    users = {
        "org": g_org,
        "period": g_op % n_per + window.k0,
        "user_id": sessions.user_ids[g_key % n_users],
        "rank": g_rank,
        "minutes": g_minutes,
        "named": g_named,
        "logged_ns": g_logged,
    }
    return UsagePartial(runs, None, users, org_names, region_names)
