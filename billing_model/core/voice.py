"""The vendor's voice billing cycle and the cost of the calls of a voice usage report.

Sources (``docs/rules.md#voice-billing-cycle``):

- "The Genesys Cloud Voice billing cycle": the cycle starts and ends at 07:00 UTC; the invoice
  of a cycle shows every call placed from 07:00 UTC on the cycle's start date up to 07:00 UTC on
  its end date. The model's voice cycle ``k`` therefore runs from 07:00 UTC on the first day of
  billing period ``k`` (the order date's anchor ``k`` months later) to 07:00 UTC on the first
  day of period ``k + 1``; a call belongs to the cycle holding its start (06:59:59 UTC on a
  period's first day is the previous cycle, 07:00:00 the new one), whatever the billing time
  zone.
- "Download your usage reports" (the Genesys Cloud Voice usage report) and the published
  pricing examples: usage is billed in six-second increments, rounded up (34 s -> 36 s, 0.6
  minutes); ``Total cost`` = ``Usage Rate Per Minute`` x the adjusted duration in minutes.

Money is exact: a call's cost is the report's ``Total cost`` as written, or, where the report
gives none, the rate times the adjusted minutes computed exactly; the costs of a cycle are added
exactly and the sum is rounded half up to the currency's minor unit once, as the invoice's
telephony line (:func:`billing_model.core.money.round_money`). Costs and rates arrive as whole
numbers of ``10**-scale`` currency units (:class:`VoiceCalls`, parsed by
:mod:`billing_model.io.voice_report`), so a million calls are added in NumPy, not in Python.

Examples
--------
A 34-second call at 0.0119 per minute with no cost written, and a 45-second call whose cost the
report gives as 0.012: what does the cycle bill?

>>> calls = VoiceCalls.from_values(["2026-03-01T07:00:00Z", "2026-03-05T12:00:00Z"], [34, 45],
...                                total_cost=[None, "0.012"], rate=["0.0119", "0.015"])
>>> adjusted_seconds([34, 45]).tolist()
[36, 48]
>>> voice_telephony(calls, "2026-03-01", 1).charges
(Decimal('0.02'),)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .money import round_money
from .periods import anchor_dates

#: the hour (UTC) at which the vendor's voice billing cycle starts and ends
VOICE_CYCLE_HOUR_UTC = 7
#: calls are billed in increments of this many seconds, rounded up (a tenth of a minute)
INCREMENT_SECONDS = 6
#: increments per minute (the adjusted minutes are increments / 10: exact in decimals)
INCREMENTS_PER_MINUTE = 60 // INCREMENT_SECONDS
_NS_PER_HOUR = 3_600_000_000_000


def adjusted_seconds(duration_seconds: ArrayLike) -> np.ndarray:
    """Each call's duration rounded up to the billing increment of 6 seconds (int64).

    >>> adjusted_seconds([0, 1, 6, 7, 34, 749]).tolist()
    [0, 6, 6, 12, 36, 750]
    """
    d = np.asarray(duration_seconds, dtype=np.int64)
    return -(-d // INCREMENT_SECONDS) * INCREMENT_SECONDS


def voice_cycle_starts_ns(order_date: object, ks: ArrayLike) -> np.ndarray:
    """UTC instants (ns) at which voice cycles ``ks`` start: 07:00 UTC on the first day of
    billing period ``k``, whatever the billing time zone.

    >>> str(np.datetime64(int(voice_cycle_starts_ns("2026-01-31", [1])[0]), "ns"))
    '2026-02-28T07:00:00.000000000'
    """
    days = anchor_dates(order_date, ks).astype("datetime64[ns]").astype(np.int64)
    return days + VOICE_CYCLE_HOUR_UTC * _NS_PER_HOUR


def voice_cycle_of(start_ns: ArrayLike, order_date: object, periods: int) -> np.ndarray:
    """The voice cycle ``k`` holding each call start: ``-1`` before cycle 0, ``periods`` at or
    after the end of cycle ``periods - 1`` (int64).

    >>> starts = np.array(["2026-03-01T06:59:59", "2026-03-01T07:00:00"], "datetime64[ns]")
    >>> voice_cycle_of(starts.astype(np.int64), "2026-01-01", 3).tolist()
    [1, 2]
    """
    bounds = voice_cycle_starts_ns(order_date, np.arange(periods + 1))
    k = np.searchsorted(bounds, np.asarray(start_ns, dtype=np.int64), side="right") - 1
    return np.where(k >= periods, periods, k)


@dataclass(frozen=True)
class VoiceCalls:
    """The calls of a voice usage report, one array element per call.

    Attributes
    ----------
    start_ns : numpy.ndarray
        Start of each call, UTC nanoseconds (int64).
    duration_s : numpy.ndarray
        Duration in whole seconds (int64, >= 0).
    cost_units : numpy.ndarray
        ``Total cost`` in units of ``10**-cost_scale`` (int64; 0 where ``has_cost`` is False).
    has_cost : numpy.ndarray
        Whether the report gives the call's cost (bool).
    cost_scale : int
        Decimals of ``cost_units``.
    rate_units : numpy.ndarray
        ``Usage Rate Per Minute`` in units of ``10**-rate_scale`` (int64; 0 where not given).
    rate_scale : int
        Decimals of ``rate_units``.
    currency : str
        ISO code of every call's cost.
    source : str
        Where the calls come from (a file name), for messages.
    """

    start_ns: np.ndarray
    duration_s: np.ndarray
    cost_units: np.ndarray
    has_cost: np.ndarray
    cost_scale: int
    rate_units: np.ndarray
    rate_scale: int
    currency: str = "USD"
    source: str = "voice report"

    def __len__(self) -> int:
        return len(self.start_ns)

    @classmethod
    def from_values(
        cls,
        start: Sequence[Any],
        duration_s: Sequence[int],
        *,
        total_cost: Sequence[Any] | None = None,
        rate: Sequence[Any] | None = None,
        currency: str = "USD",
        source: str = "voice report",
    ) -> VoiceCalls:
        """Calls from Python values (tests, notebooks): ISO instants (UTC when written without
        an offset, as the vendor's report), whole seconds, costs and rates as decimal text or
        numbers (``None``: not given)."""
        n = len(start)

        def utc(text: object) -> np.datetime64:
            t = dt.datetime.fromisoformat(str(text))
            t = t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)
            return np.datetime64(t.replace(tzinfo=None), "ns")

        starts = np.array([utc(s) for s in start], dtype="datetime64[ns]").astype(np.int64)

        def units(values: Sequence[Any] | None) -> tuple[np.ndarray, np.ndarray, int]:
            values = [None] * n if values is None else list(values)
            dec = [None if v is None else Decimal(str(v)) for v in values]
            exponents = [d.as_tuple().exponent for d in dec if d is not None]
            scale = max([-e for e in exponents if isinstance(e, int)] + [0])  # int: finite
            out = np.array([0 if d is None else int(d.scaleb(scale)) for d in dec], np.int64)
            return out, np.array([d is not None for d in dec], dtype=bool), scale

        cost, has_cost, cost_scale = units(total_cost)
        rate_units, _has_rate, rate_scale = units(rate)
        return cls(
            starts.reshape(n),
            np.asarray(duration_s, dtype=np.int64),
            cost,
            has_cost,
            cost_scale,
            rate_units,
            rate_scale,
            currency,
            source,
        )

    def computed_cost_units(self) -> np.ndarray:
        """Rate x adjusted minutes of every call, in units of ``10**-(rate_scale + 1)`` (the
        adjusted minutes are tenths): exact integers."""
        increments = adjusted_seconds(self.duration_s) // INCREMENT_SECONDS
        cost: np.ndarray = self.rate_units * increments
        return cost


@dataclass(frozen=True)
class VoiceTelephony:
    """What a voice report bills per voice cycle.

    ``charges`` holds the telephony charge of cycles ``0 .. periods - 1`` (exact sums rounded
    half up to the currency), ``calls`` the number of calls in each; ``before`` and ``after``
    count the calls starting before cycle 0 and at or after the end of the last cycle, and
    ``outside_ns`` holds the earliest and latest start of those (``None`` when there are none).
    """

    charges: tuple[Decimal, ...]
    calls: tuple[int, ...]
    before: int
    after: int
    outside_ns: tuple[int, int] | None


def _sum_by_group(units: np.ndarray, group: np.ndarray, n: int) -> list[int]:
    """Exact per-group sums of non-negative int64 ``units`` (Python ints: the high and low 31
    bits are added apart, so no sum of up to 2**31 values can overflow)."""
    lo = np.zeros(n, dtype=np.int64)
    hi = np.zeros(n, dtype=np.int64)
    np.add.at(lo, group, units & 0x7FFF_FFFF)
    np.add.at(hi, group, units >> 31)
    return [int(h) * 2**31 + int(v) for h, v in zip(hi.tolist(), lo.tolist(), strict=True)]


def voice_telephony(calls: VoiceCalls, order_date: object, periods: int) -> VoiceTelephony:
    """The telephony charge of each voice cycle ``0 .. periods - 1`` of a contract.

    Parameters
    ----------
    calls : VoiceCalls
        The report's calls.
    order_date : date or str
        The contract's order date: cycle ``k`` runs from 07:00 UTC on period ``k``'s first day
        to 07:00 UTC on period ``k + 1``'s first day.
    periods : int
        Number of cycles to bill.

    Returns
    -------
    VoiceTelephony
        Per cycle: the charge (``Total cost``, else rate x adjusted minutes, summed exactly and
        rounded half up to ``calls.currency``) and the number of calls; the calls outside the
        cycles, counted.

    Examples
    --------
    Two calls, one second apart, around the 07:00 UTC boundary of the second period (order on
    January 1): which period bills each?

    >>> calls = VoiceCalls.from_values(["2026-02-01T06:59:59Z", "2026-02-01T07:00:00Z"],
    ...                                [60, 60], total_cost=["1.50", "2.25"])
    >>> t = voice_telephony(calls, "2026-01-01", 2)
    >>> t.charges, t.calls
    ((Decimal('1.50'), Decimal('2.25')), (1, 1))
    """
    k = voice_cycle_of(calls.start_ns, order_date, periods)
    inside = (k >= 0) & (k < periods)
    group = k[inside]
    given = calls.has_cost[inside]
    counts = np.bincount(group, minlength=periods)
    cost = _sum_by_group(np.where(given, calls.cost_units[inside], 0), group, periods)
    computed = _sum_by_group(
        np.where(given, 0, calls.computed_cost_units()[inside]), group, periods
    )
    charges = tuple(
        round_money(
            Decimal(a).scaleb(-calls.cost_scale) + Decimal(b).scaleb(-(calls.rate_scale + 1)),
            calls.currency,
        )
        for a, b in zip(cost, computed, strict=True)
    )
    outside = calls.start_ns[~inside]
    return VoiceTelephony(
        charges=charges,
        calls=tuple(int(c) for c in counts),
        before=int((k < 0).sum()),
        after=int((k >= periods).sum()),
        outside_ns=(int(outside.min()), int(outside.max())) if len(outside) else None,
    )
