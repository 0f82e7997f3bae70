"""The billing-period calendar.

Source: ``docs/rules.md#billing-periods`` and the billing FAQ: periods are monthly
from the contract effective (order) date; an order on January 15 bills January 15 through
February 14 23:59:59 in the billing time zone. Period ``k`` starts at local midnight of the order
day's anchor ``k`` months later. Anchor days 29-31 clamp to the month's last day and return the
month after (Jan 31 -> Feb 28 -> Mar 31): every anchor is computed from the original order date,
never chained from the previous one. Negative ``k`` goes back before the order date. A DST change
moves no boundary: each boundary is local midnight of its own day.

Instants are UTC nanoseconds since the epoch (``int64``); dates are ``datetime64[D]``.

Excel twin: :mod:`billing_model.formulas.periods` (``EDATE`` in whole days). Limits: rows of
:data:`billing_model.core.limits.LIMITS`.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from numpy.typing import ArrayLike

from .errors import BillingInputError, BillingWarning
from .limits import LIMITS
from .validate import iso_date, shown

if TYPE_CHECKING:  # pandas is imported where a DataFrame is made
    import pandas as pd

DEFAULT_TIMEZONE = "America/New_York"  # docs/rules.md#time-zone: the FAQ's "EST", US Eastern
NS_PER_MINUTE = 60_000_000_000
NS_PER_DAY = 86_400_000_000_000
#: dates and most periods (ramp + term) the model accepts: rows of :data:`core.limits.LIMITS`,
#: where their reasons are
MIN_DATE: dt.date = LIMITS["order_date"].day("minimum")
MAX_DATE: dt.date = LIMITS["order_date"].day("maximum")
MAX_PERIODS: int = LIMITS["periods"].whole("maximum")
#: share of a billing period the session data must cover for the period to be *measured*; a
#: period covered less is *partial* (its users are not a month's users)
MEASURED_SHARE = 0.5


class Zone(str):
    """A time zone parsed once, where the user gave it: its IANA name as text (shown, compared
    and hashed as the name, so a contract or a message holds it like any text) carrying its
    ``ZoneInfo`` in ``info``, which :func:`get_timezone` returns without looking the name up
    again. Made by :func:`parse_zone`.

    >>> z = parse_zone(" Europe/Berlin ")
    >>> z == "Europe/Berlin", get_timezone(z) is z.info
    (True, True)
    """

    info: ZoneInfo


def parse_zone(name: object, *, where: str = "timezone") -> Zone:
    """The :class:`Zone` of an IANA name (``UTC`` included; surrounding spaces dropped), or a
    one-line error naming ``where``; a :class:`Zone` is returned as it is."""
    if isinstance(name, Zone):
        return name
    info = _lookup_zone(name, where)
    zone = Zone(str(name).strip())
    zone.info = info
    return zone


def get_timezone(name: str, *, where: str = "timezone") -> ZoneInfo:
    """The ``ZoneInfo`` of an IANA name (``UTC`` included), or a one-line error naming ``where``;
    a :class:`Zone`'s is taken as parsed.
    """
    if isinstance(name, Zone):
        return name.info
    return _lookup_zone(name, where)


def _lookup_zone(name: object, where: str) -> ZoneInfo:
    """The parse of a zone's name: its ``ZoneInfo``, or a one-line error naming ``where``.

    ``EST``, ``MST`` and ``HST`` are valid but fixed offsets without daylight saving time: a
    warning says so once (the FAQ's "EST" means US Eastern, ``America/New_York``).
    """
    try:
        zone = _zone_info(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):  # OSError: a name too
        # long for a file name ("file name too long" named tzdata's path, not the user's key)
        raise BillingInputError(
            f"{where}: unknown time zone {shown(name)}; accepted: an IANA name such as "
            "'America/New_York', 'Europe/Berlin' or 'UTC'"
        ) from None
    if zone.key in _FIXED_US_ZONES and zone.key not in _WARNED:
        _WARNED.add(zone.key)
        warnings.warn(
            f"{where}: {zone.key!r} is a fixed UTC offset without daylight saving time, "
            f"so summer periods start an hour off; for the region's clock use "
            f"{_FIXED_US_ZONES[zone.key]!r}",
            BillingWarning,
            stacklevel=3,
        )
    return zone


@lru_cache(maxsize=64)
def _zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)


_WARNED: set[str] = set()
#: fixed-offset zone names people write for a US region's clock (which has daylight saving)
_FIXED_US_ZONES = {"EST": "America/New_York", "MST": "America/Denver", "HST": "Pacific/Honolulu"}


def to_date(value: object, *, where: str = "order_date") -> dt.date:
    """A date from a ``date``, ``datetime``, ``numpy.datetime64`` or ISO ``YYYY-MM-DD`` text.

    Text may carry a time (``2026-01-15T00:00``), which is dropped; anything else after the date
    is an error (``2026-01-155`` is not read as the 15th), and so are the basic form
    ``20260115`` and week dates, which Python reads too (:func:`~billing_model.core.validate.
    iso_date`). Dates outside :data:`MIN_DATE` ..
    :data:`MAX_DATE` are refused.

    >>> to_date("2026-01-15"), to_date("2026-01-15T09:30")
    (datetime.date(2026, 1, 15), datetime.date(2026, 1, 15))
    """
    accepted = f"YYYY-MM-DD from {MIN_DATE} to {MAX_DATE}"
    if isinstance(value, dt.datetime):
        date = value.date()
    elif isinstance(value, dt.date):
        date = value
    elif isinstance(value, np.datetime64):
        date = value.astype("datetime64[D]").astype(object)  # an int when beyond years 1-9999
        if not isinstance(date, dt.date):
            raise BillingInputError(f"{where}: {shown(value)} is not a date; accepted: {accepted}")
    else:
        parsed = iso_date(str(value), time=True)  # not 20260301, not 2026-W09-7
        if parsed is None:
            raise BillingInputError(f"{where}: {shown(value)} is not a date; accepted: {accepted}")
        date = parsed
    if not MIN_DATE <= date <= MAX_DATE:
        raise BillingInputError(f"{where}: {date} is out of range; accepted: {accepted}")
    return date


def anchor_dates(order_date: object, ks: ArrayLike) -> np.ndarray:
    """Local first day of periods ``ks`` (vectorized), clamping anchor days 29-31.

    >>> anchor_dates("2026-01-31", [0, 1, 2, -1]).astype(str).tolist()
    ['2026-01-31', '2026-02-28', '2026-03-31', '2025-12-31']
    """
    d = order_date if type(order_date) is dt.date else to_date(order_date)  # parsed: as is
    ks = np.asarray(ks, dtype=np.int64)
    months = np.datetime64(f"{d.year:04d}-{d.month:02d}", "M") + ks
    first = months.astype("datetime64[D]")
    days_in_month = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    days: np.ndarray = first + (np.minimum(d.day, days_in_month) - 1)
    return days


def period_of_day(dates: ArrayLike, starts: ArrayLike) -> np.ndarray:
    """Period ``k`` each date falls in, from the first days of periods ``0 .. n-1`` (``starts``,
    ascending), in whole days: a date past the last start counts in period ``n - 1`` (the
    workbook's grids end there). Dates before the first start are not accepted by the twin
    (:func:`billing_model.formulas.periods.period_of_day` gives ``#N/A``; here ``-1``).

    >>> starts = anchor_dates("2026-01-31", range(3))
    >>> period_of_day(np.array(["2026-01-31", "2026-02-27", "2026-02-28", "2026-06-01"],
    ...                        dtype="datetime64[D]"), starts).tolist()
    [0, 0, 1, 2]
    """
    return (
        np.searchsorted(
            np.asarray(starts, dtype="datetime64[D]"),
            np.asarray(dates, dtype="datetime64[D]"),
            side="right",
        )
        - 1
    )


def local_midnight_ns(dates: ArrayLike, tz: str) -> np.ndarray:
    """UTC instants (ns) of local midnight of each date in ``tz``.

    An ambiguous midnight takes its first occurrence; a midnight skipped by a DST change takes the
    first instant of that day.
    """
    zone = get_timezone(tz)
    dates = np.asarray(dates, dtype="datetime64[D]")
    out = np.empty(dates.shape, dtype=np.int64)
    flat = out.reshape(-1)
    # a loop over periods (dozens), not over sessions or minutes
    for i, day in enumerate(dates.reshape(-1).astype(object)):
        local = dt.datetime.combine(day, dt.time(0), tzinfo=zone)  # fold=0: first occurrence
        flat[i] = int(local.astimezone(dt.UTC).timestamp()) * 1_000_000_000
    return out


@dataclass(frozen=True)
class BillingCalendar:
    """Billing periods anchored on an order date in a billing time zone.

    Examples
    --------
    When does the second period of an order placed on 15 January 2026 end?

    >>> cal = BillingCalendar("2026-01-15")
    >>> cal.last_day(1)
    datetime.date(2026, 3, 14)
    """

    order_date: dt.date
    timezone: str = DEFAULT_TIMEZONE
    _cache: dict[object, object] = field(default_factory=dict, compare=False, repr=False)

    def __init__(self, order_date: object, timezone: str = DEFAULT_TIMEZONE):
        # a date and a Zone are taken as parsed (the boundary did it); text is parsed here
        object.__setattr__(
            self, "order_date", order_date if type(order_date) is dt.date else to_date(order_date)
        )
        object.__setattr__(self, "timezone", parse_zone(timezone))
        object.__setattr__(self, "_cache", {})

    # --- dates -------------------------------------------------------------------------------
    def first_days(self, ks: ArrayLike) -> np.ndarray:
        """Local first day of each period ``k`` (``datetime64[D]``)."""
        return anchor_dates(self.order_date, ks)

    def first_day(self, k: int) -> dt.date:
        day: dt.date = self.first_days([k])[0].astype(object)
        return day

    def last_day(self, k: int) -> dt.date:
        """Local last day of period ``k`` (the day before period ``k + 1`` starts)."""
        day: dt.date = (self.first_days([k + 1])[0] - 1).astype(object)
        return day

    def days(self, ks: ArrayLike) -> np.ndarray:
        """Number of days in each period."""
        k = np.asarray(ks, dtype=np.int64)
        days: np.ndarray = (self.first_days(k + 1) - self.first_days(k)).astype(np.int64)
        return days

    # --- instants ----------------------------------------------------------------------------
    def starts_ns(self, ks: ArrayLike) -> np.ndarray:
        """UTC instant (ns) at which each period ``k`` starts."""
        return local_midnight_ns(self.first_days(ks), self.timezone)

    def bounds_ns(self, k0: int, k1: int) -> np.ndarray:
        """Boundaries of periods ``k0 .. k1 - 1``: ``k1 - k0 + 1`` instants."""
        return self.starts_ns(np.arange(k0, k1 + 1))

    def period_of_ns(self, t_ns: ArrayLike) -> np.ndarray:
        """Index ``k`` of the period holding each UTC instant (ns)."""
        t = np.asarray(t_ns, dtype=np.int64)
        if t.size == 0:
            return np.zeros(t.shape, dtype=np.int64)
        k0, k1 = self._span(int(t.min()), int(t.max()))
        bounds = self.bounds_ns(k0, k1)
        return np.searchsorted(bounds, t, side="right") - 1 + k0

    def covering(self, t_min_ns: int, t_max_ns: int) -> tuple[int, int]:
        """Smallest ``(k0, k1)`` such that periods ``k0 .. k1 - 1`` hold ``[t_min, t_max)``."""
        k0, k1 = self._span(t_min_ns, t_max_ns)
        bounds = self.bounds_ns(k0, k1)
        first = int(np.searchsorted(bounds, t_min_ns, side="right")) - 1 + k0
        last = int(np.searchsorted(bounds, max(t_max_ns - 1, t_min_ns), side="right")) - 1 + k0
        return first, last + 1

    def coverage(self, ks: ArrayLike, start_ns: int, end_ns: int) -> np.ndarray:
        """The share (0-1) of each period ``k`` that the instants ``[start_ns, end_ns)`` cover.

        A period is *measured* when data covers at least half of it (:data:`MEASURED_SHARE`).

        Examples
        --------
        Data from 10 January to the end of February, on calendar months: how much of January,
        February and March does it measure?

        >>> cal = BillingCalendar("2026-01-01", "UTC")
        >>> lo, hi = cal.starts_ns([0])[0] + 9 * NS_PER_DAY, cal.starts_ns([2])[0]
        >>> cal.coverage([0, 1, 2], lo, hi).round(3).tolist()
        [0.71, 1.0, 0.0]
        """
        k = np.asarray(ks, dtype=np.int64)
        if k.size == 0:
            return np.zeros(0, dtype=float)
        k0, k1 = int(k.min()), int(k.max()) + 1
        bounds = self.bounds_ns(k0, k1)
        a, b = bounds[k - k0], bounds[k - k0 + 1]
        covered = np.clip(np.minimum(b, end_ns) - np.maximum(a, start_ns), 0, None)
        share: np.ndarray = covered / (b - a)
        return share

    def _span(self, t_min_ns: int, t_max_ns: int) -> tuple[int, int]:
        """Period indices safely around two instants (a month of slack each side)."""

        def month_index(t_ns: int) -> int:
            day: dt.date = np.datetime64(t_ns // NS_PER_DAY, "D").astype(object)
            return (day.year - self.order_date.year) * 12 + day.month - self.order_date.month

        return month_index(t_min_ns) - 2, month_index(t_max_ns) + 2

    def frame(self, count: int, start: int = 0) -> pd.DataFrame:
        """The periods ``start .. start + count - 1`` as a table.

        Columns: ``period`` (k), ``first_day``, ``last_day`` (dates), ``days``, ``start_utc``,
        ``end_utc`` (tz-aware UTC timestamps, end exclusive).
        """
        import pandas as pd

        ks = np.arange(start, start + count)
        first = self.first_days(ks)
        nxt = self.first_days(ks + 1)
        bounds = self.starts_ns(np.append(ks, start + count))
        return pd.DataFrame(
            {
                "period": ks,
                "first_day": first.astype(object),
                "last_day": (nxt - 1).astype(object),
                "days": (nxt - first).astype(np.int64),
                "start_utc": pd.to_datetime(bounds[:-1], utc=True),
                "end_utc": pd.to_datetime(bounds[1:], utc=True),
            }
        )


def billing_periods(
    order_date: object, count: int, timezone: str = DEFAULT_TIMEZONE, *, start: int = 0
) -> pd.DataFrame:
    """The first ``count`` billing periods from an order date (see :meth:`BillingCalendar.frame`).

    Examples
    --------
    An order on 31 January: which days does each of the first three invoices cover?

    >>> frame = billing_periods("2026-01-31", 3)
    >>> for row in frame[["first_day", "last_day", "days"]].astype(str).values.tolist():
    ...     print(*row)
    2026-01-31 2026-02-27 28
    2026-02-28 2026-03-30 31
    2026-03-31 2026-04-29 30
    """
    if int(count) != count or not 0 <= count <= MAX_PERIODS:
        raise BillingInputError(
            f"count: {count!r} is not accepted; accepted: a whole number of "
            f"periods from 0 to {MAX_PERIODS}"
        )
    return BillingCalendar(order_date, timezone).frame(int(count), start)


def floor_decimals(values: ArrayLike, decimals: int) -> np.ndarray:
    """``values`` rounded *down* to ``decimals`` places, as a share of a period is shown (a
    period just short of half covered must never read as half). A value on a step whose
    scaling lands a hair under it in binary (0.29 x 100 = 28.999...) stays on that step.

    >>> floor_decimals([15.499999999999988, 8.0], 1).tolist()
    [15.4, 8.0]
    >>> floor_decimals([0.29, 0.4999999999999996], 2).tolist()
    [0.29, 0.49]
    """
    scale = 10**decimals
    x = np.asarray(values, dtype=float)
    steps = np.floor(x * scale)
    steps += (steps + 1) / scale <= x  # binary undershoot: the next step is still <= x
    floored: np.ndarray = steps / scale
    return floored


def mark_coverage(
    columns: dict[str, Any],
    calendar: BillingCalendar,
    k0: int,
    k1: int,
    start_ns: int,
    end_ns: int,
    *,
    source: str = "sessions",
) -> dict[str, Any]:
    """Usage rows (columns with a ``period`` column of k) with ``coverage`` added: the share of
    each row's period that the data window ``[start_ns, end_ns)`` covers. Warns once naming the
    partial periods among ``k0 .. k1 - 1`` (covered less than :data:`MEASURED_SHARE`) and their
    covered days. Both usage engines call this after their kernel."""
    ks = np.arange(k0, k1)
    share = calendar.coverage(ks, start_ns, end_ns)
    partial = np.flatnonzero(share < MEASURED_SHARE)
    if len(partial):
        # rounded down, as the table's percent: 15.5 of 31 days is half, i.e. measured
        days = floor_decimals(calendar.days(ks[partial]) * share[partial], 1)
        listed = "; ".join(
            f"{calendar.first_day(int(ks[j]))} to {calendar.last_day(int(ks[j]))} "
            f"({d:.1f} of {int(n)} days)"
            for j, d, n in zip(partial, days, calendar.days(ks[partial]), strict=True)
        )
        first, last = (
            np.datetime_as_string(np.datetime64(int(t), "ns"), unit="m") + "Z"
            for t in (start_ns, end_ns)
        )
        warnings.warn(
            f"{source}: the data runs from {first} to {last}, less than half of "
            f"{len(partial)} billing period(s): {listed}; their users are partial "
            f"(coverage column), not a month's",
            BillingWarning,
            stacklevel=3,
        )
    period = np.asarray(columns["period"], dtype=np.int64)
    coverage = calendar.coverage(period, start_ns, end_ns) if len(period) else np.zeros(0)
    return {**columns, "coverage": coverage}
