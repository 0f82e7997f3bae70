"""Storage forecast: recordings kept against the fair-use storage allowance.

Source: ``docs/rules.md#storage``, ``docs/rules.md#fair-use`` and the billing FAQ.
Data may stay for the term of the agreement; archived recordings are excluded from the storage
measured against the allowance; screen recordings can be kept at most one year. Storage above the
allowance is billed per GB per month (published example: 0.25 USD/GB). The vendor publishes no
per-minute recording sizes, so the defaults below are stated assumptions from codec bitrates.

The model is daily and vectorized (cumulative sums, no loop over days):

* The horizon is ``months`` billing periods from ``start_date`` (the usage calendar,
  :class:`~billing_model.core.periods.BillingCalendar`). It starts with nothing stored: a new org.
* Each day of period ``k`` gets ``calls_per_month[k] / days_in_period[k]`` calls.
  New audio GB = calls x recorded_share x avg_minutes x audio_mb_per_minute / 1000 (GB = 1000 MB);
  new screen GB = calls x screen_share x avg_minutes x screen_mb_per_minute / 1000.
* A day's recordings count for ``retention_days`` days, that day included (screen recordings for
  ``screen_retention_days``); ``archive_after_days`` ends the counted life earlier.
* A period's billed storage is its largest daily total; overage GB = max(0, billed - allowance),
  priced per GB with exact decimals rounded half up per currency.

GB figures of the per-period forecast are rounded to 3 decimals (whole MB), and overage is priced
on that rounded quantity, so ``overage_cost == overage_gb x rate`` can be checked from the output.

Excel twin: :mod:`billing_model.formulas.storage` (GB per call, life days, window sums, GB
rounding, steady state), tested against this module in ``tests/test_formulas.py``. Limits and
defaults of the settings: rows of :data:`billing_model.core.limits.LIMITS`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from .allowances import STORAGE_OVERAGE_USD_PER_GB
from .errors import BillingInputError, BillingWarning
from .limits import LIMITS
from .money import MAX_PRICE, check_currency, line_amount, to_decimal
from .periods import DEFAULT_TIMEZONE, MAX_PERIODS, BillingCalendar, to_date
from .validate import refuse
from .validate import shown as show_value

#: MB per GB: storage is counted in decimal units (GB = 1000 MB, MB = 10**6 bytes)
MB_PER_GB = 1000.0

#: Audio and screen MB per recorded minute: assumptions (the vendor publishes no size), and the
#: limits of every storage setting, are rows of ``core.limits.LIMITS`` with their reasons.
DEFAULT_AUDIO_MB_PER_MINUTE: float = LIMITS["audio_mb_per_minute"].real("default")
DEFAULT_SCREEN_MB_PER_MINUTE: float = LIMITS["screen_mb_per_minute"].real("default")
#: The vendor keeps screen recordings at most one year (docs/rules.md#retention).
MAX_SCREEN_RETENTION_DAYS: int = LIMITS["screen_retention_days"].whole("maximum")
MAX_RETENTION_DAYS: int = LIMITS["retention_days"].whole("maximum")
MAX_CALLS_PER_MONTH: float = LIMITS["calls_per_month"].real("maximum")
MAX_AVG_MINUTES: float = LIMITS["avg_minutes"].real("maximum")
MAX_MB_PER_MINUTE: float = LIMITS["audio_mb_per_minute"].real("maximum")

#: decimals of the GB figures in the per-period forecast (3 = whole MB)
GB_DECIMALS = 3

FORECAST_COLUMNS: tuple[str, ...] = (
    "period_start",
    "period_end",
    "new_gb",
    "stored_gb",
    "allowance_gb",
    "overage_gb",
    "overage_cost",
)
DAILY_COLUMNS: tuple[str, ...] = (
    "date",
    "period",
    "calls",
    "new_audio_gb",
    "new_screen_gb",
    "stored_audio_gb",
    "stored_screen_gb",
    "stored_gb",
)


def _default_label(key: str) -> str:
    return f"storage.{key}"


def _number(value: Any, label: str, *, accepted: str = "a number >= 0") -> float:
    if isinstance(value, bool) or value is None:
        raise BillingInputError(f"{label}: {value!r} is not a number; accepted: {accepted}")
    try:
        number = float(value)  # int, float, Decimal, numeric text
    except (TypeError, ValueError):
        raise BillingInputError(
            f"{label}: {value!r} is not a number; accepted: {accepted}"
        ) from None
    if not math.isfinite(number):
        raise BillingInputError(f"{label}: {value!r} is not a finite number; accepted: {accepted}")
    return number


def _non_negative(value: object, label: str, maximum: float | None = None) -> float:
    number = _number(value, label)
    if number < 0:
        raise BillingInputError(
            f"{label}: {show_value(value)} is negative; accepted: a number >= 0"
        )
    if maximum is not None and number > maximum:  # a typo: the volumes overflow to inf
        raise BillingInputError(
            f"{label}: {show_value(value)} is too large; accepted: a "
            f"number from 0 to {maximum:,.0f}"
        )
    return number


def _share(value: object, label: str) -> float:
    number = _number(value, label, accepted="a share from 0 to 1 (0.3 = 30 %)")
    if not 0.0 <= number <= 1.0:
        raise BillingInputError(
            f"{label}: {value!r} is outside 0..1; accepted: a share from 0 to 1 (0.3 = 30 %)"
        )
    return number


def _days(value: object, label: str) -> int:
    accepted = f"a whole number of days from 0 to {MAX_RETENTION_DAYS}"
    number = _number(value, label, accepted=accepted)
    if number != int(number) or not 0 <= number <= MAX_RETENTION_DAYS:
        raise BillingInputError(f"{label}: {value!r} is not accepted; accepted: {accepted}")
    return int(number)


def _calls(value: object, label: str) -> float | tuple[float, ...]:
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        values = list(value)
        if not values:
            raise BillingInputError(
                f"{label}: an empty list; accepted: a number >= 0 or one value per period"
            )
        return tuple(
            _non_negative(v, f"{label}[{i}]", MAX_CALLS_PER_MONTH) for i, v in enumerate(values)
        )
    return _non_negative(value, label, MAX_CALLS_PER_MONTH)


@dataclass(frozen=True)
class StorageSettings:
    """What drives the storage forecast; one field per key of a scenario's ``[storage]`` table.

    Parameters
    ----------
    calls_per_month : float or tuple of float
        Recorded-call volume per billing period: one number, or one value per period.
    avg_minutes : float
        Average call duration in minutes.
    retention_days : int
        Days a call's audio recording is kept, the day of the call included.
    recorded_share : float, default 1
        Share of calls recorded (0..1).
    audio_mb_per_minute : float, default :data:`DEFAULT_AUDIO_MB_PER_MINUTE`
        Audio size per recorded minute (MB = 10**6 bytes).
    screen_share : float, default 0
        Share of calls with a screen recording (0..1).
    screen_mb_per_minute : float, default :data:`DEFAULT_SCREEN_MB_PER_MINUTE`
        Screen-recording size per minute (MB).
    screen_retention_days : int or None, default None
        Days a screen recording is kept; None keeps it as long as the audio. At most 365 when
        screen recordings are made.
    archive_after_days : int or None, default None
        Recordings are archived after this many days and stop counting against the allowance.
    overage_rate : Decimal, default 0.25
        Price per GB per month above the allowance (docs/rules.md#storage-overage, USD).

    Examples
    --------
    A contact center records 30,000 calls a month of 5 minutes and keeps them 90 days:

    >>> s = StorageSettings.from_mapping({"calls_per_month": 30000, "avg_minutes": 5,
    ...                                   "retention_days": 90})
    >>> s.audio_gb_per_call
    0.0024
    >>> StorageSettings.from_mapping({"calls_per_month": 1, "avg_minutes": 5,
    ...                               "retention_days": 90, "screen_share": 1.5})
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    billing_model.core.errors.BillingInputError: storage.screen_share: 1.5 is outside 0..1; ...
    """

    calls_per_month: float | tuple[float, ...]
    avg_minutes: float
    retention_days: int
    recorded_share: float = 1.0
    audio_mb_per_minute: float = DEFAULT_AUDIO_MB_PER_MINUTE
    screen_share: float = 0.0
    screen_mb_per_minute: float = DEFAULT_SCREEN_MB_PER_MINUTE
    screen_retention_days: int | None = None
    archive_after_days: int | None = None
    overage_rate: Decimal = Decimal(repr(STORAGE_OVERAGE_USD_PER_GB))

    def __post_init__(self) -> None:
        values = _validated({f.name: getattr(self, f.name) for f in fields(self)}, _default_label)
        for key, value in values.items():
            object.__setattr__(self, key, value)

    @classmethod
    def from_mapping(
        cls,
        table: Mapping[str, object],
        *,
        where: str = "storage",
        key_label: Callable[[str], str] | None = None,
    ) -> StorageSettings:
        """Settings from a scenario's ``[storage]`` table (or any mapping of the field names).

        Errors name the key as ``<where>.<key>`` (or ``key_label(key)``, e.g. a CLI option).
        """
        label = key_label or (lambda key: f"{where}.{key}")
        if not isinstance(table, Mapping):
            raise BillingInputError(
                f"{where}: expected a table of storage settings, got {type(table).__name__}"
            )
        names = [f.name for f in fields(cls)]
        unknown = [key for key in table if key not in names]
        if unknown:
            raise BillingInputError(
                f"{label(str(unknown[0]))}: unknown storage setting; accepted: {', '.join(names)}"
            )
        missing = [
            key
            for key in ("calls_per_month", "avg_minutes", "retention_days")
            if table.get(key) is None
        ]
        if missing:
            raise BillingInputError(
                f"{label(missing[0])}: missing; required: calls_per_month, "
                "avg_minutes, retention_days"
            )
        values = {key: value for key, value in table.items() if value is not None}
        return cls(**_validated(values, label))

    # --- derived figures --------------------------------------------------------------------
    @property
    def audio_gb_per_call(self) -> float:
        """Audio GB one call adds, the recorded share included."""
        return self.recorded_share * self.avg_minutes * self.audio_mb_per_minute / MB_PER_GB

    @property
    def screen_gb_per_call(self) -> float:
        """Screen-recording GB one call adds, the screen share included."""
        return self.screen_share * self.avg_minutes * self.screen_mb_per_minute / MB_PER_GB

    @property
    def audio_life_days(self) -> int:
        """Days an audio recording counts against the allowance (retention, or until archived)."""
        if self.archive_after_days is None:
            return self.retention_days
        return min(self.retention_days, self.archive_after_days)

    @property
    def screen_life_days(self) -> int:
        """Days a screen recording counts against the allowance."""
        keep = (
            self.retention_days
            if self.screen_retention_days is None
            else self.screen_retention_days
        )
        return keep if self.archive_after_days is None else min(keep, self.archive_after_days)

    def calls_by_period(self, months: int) -> np.ndarray:
        """Calls per month for each of ``months`` periods (a list must have exactly ``months``)."""
        if isinstance(self.calls_per_month, tuple):
            if len(self.calls_per_month) != months:
                raise BillingInputError(
                    f"storage.calls_per_month: {len(self.calls_per_month)} values for {months} "
                    "periods; accepted: one number, or exactly one value per period"
                )
            return np.asarray(self.calls_per_month, dtype=float)
        return np.full(months, float(self.calls_per_month))


def growing_calls(
    calls_per_month: Any,
    growth_rate: object,
    months: int,
    *,
    label: Callable[[str], str] = _default_label,
) -> float | tuple[float, ...]:
    """Call volume growing by ``growth_rate`` a month: period ``k`` gets
    ``calls_per_month x (1 + growth_rate)^k`` (``docs/storage.md``, the ``storage`` command's
    ``--growth-rate``). A rate of 0 returns the volume as given (checked with the other
    settings); a rate <= -1, or one that grows the volume past the limit, is refused naming
    ``label("growth_rate")``.

    >>> growing_calls(1000, 0.5, 3)
    (1000.0, 1500.0, 2250.0)
    >>> growing_calls(3100, "0", 3)
    3100
    """
    where = label("growth_rate")
    accepted = "a fraction > -1 (0.02 = 2 % a month)"
    growth = _number(growth_rate, where, accepted=accepted)
    if growth <= -1:
        raise BillingInputError(f"{where}: {growth_rate!r} is not accepted; accepted: {accepted}")
    if growth == 0:
        given: float | tuple[float, ...] = calls_per_month  # checked with the other settings
        return given
    first = _number(calls_per_month, label("calls_per_month"))
    with np.errstate(over="ignore"):
        calls = first * (1.0 + growth) ** np.arange(months)
    if calls[-1] > MAX_CALLS_PER_MONTH:
        raise BillingInputError(
            f"{where}: {growth_rate!r} grows {first:,g} calls to {calls[-1]:,.3g} a month by "
            f"period {months}; accepted: a rate that keeps the volume within "
            f"{MAX_CALLS_PER_MONTH:,.0f} calls a month"
        )
    return tuple(float(c) for c in calls)


def _validated(values: dict[str, Any], label: Callable[[str], str]) -> dict[str, Any]:
    """Checked and converted settings; errors name the key through ``label``."""
    out = dict(values)
    out["calls_per_month"] = _calls(values["calls_per_month"], label("calls_per_month"))
    for key, maximum in (
        ("avg_minutes", MAX_AVG_MINUTES),
        ("audio_mb_per_minute", MAX_MB_PER_MINUTE),
        ("screen_mb_per_minute", MAX_MB_PER_MINUTE),
    ):
        if key in values:
            out[key] = _non_negative(values[key], label(key), maximum)
    for key in ("recorded_share", "screen_share"):
        if key in values:
            out[key] = _share(values[key], label(key))
    out["retention_days"] = _days(values["retention_days"], label("retention_days"))
    for key in ("screen_retention_days", "archive_after_days"):
        if values.get(key) is not None:
            out[key] = _days(values[key], label(key))
    if "overage_rate" in values:
        rate = to_decimal(values["overage_rate"], where=label("overage_rate"))
        if not rate.is_finite() or rate < 0:
            shown = values["overage_rate"]
            refuse(
                label("overage_rate"),
                float(shown) if isinstance(shown, Decimal) else shown,
                "a price per GB >= 0",
            )
        if rate > MAX_PRICE:
            raise BillingInputError(
                f"{label('overage_rate')}: "
                f"{show_value(values['overage_rate'])} is too large; "
                f"accepted: a price per GB from 0 to {MAX_PRICE:,}"
            )
        out["overage_rate"] = rate
    screen = out.get("screen_retention_days")
    share = out.get("screen_share", 0.0)
    if share > 0:
        if screen is None and out["retention_days"] > MAX_SCREEN_RETENTION_DAYS:
            raise BillingInputError(
                f"{label('screen_retention_days')}: not given, so screen recordings would be kept "
                f"as long as the audio ({out['retention_days']} days), more than the vendor's "
                f"one-year cap; accepted: {MAX_SCREEN_RETENTION_DAYS} days or fewer"
            )
    if screen is not None and screen > MAX_SCREEN_RETENTION_DAYS:
        raise BillingInputError(
            f"{label('screen_retention_days')}: {screen} days is more than the vendor keeps screen "
            f"recordings (one year); accepted: {MAX_SCREEN_RETENTION_DAYS} days or fewer"
        )
    return out


def _check_months(months: object) -> int:
    accepted = f"a whole number of billing periods from 1 to {MAX_PERIODS}"
    number = _number(months, "months", accepted=accepted)
    if number != int(number) or not 1 <= number <= MAX_PERIODS:
        raise BillingInputError(f"months: {months!r} is not accepted; accepted: {accepted}")
    return int(number)


def _window_sum(new: np.ndarray, life_days: int) -> np.ndarray:
    """For each day, the sum of ``new`` over the last ``life_days`` days, that day included."""
    if life_days <= 0:
        return np.zeros_like(new)
    cum = np.concatenate(([0.0], np.cumsum(new)))
    day = np.arange(new.size)
    oldest = np.maximum(day + 1 - life_days, 0)
    total: np.ndarray = np.maximum(cum[day + 1] - cum[oldest], 0.0)  # clip float noise below 0
    return total


def _daily_arrays(
    settings: StorageSettings, start_date: object, months: object, timezone: str, *, warn: bool
) -> dict[str, np.ndarray]:
    months = _check_months(months)
    calendar = BillingCalendar(to_date(start_date, where="start_date"), timezone)
    ks = np.arange(months)
    first = calendar.first_days(ks)
    days_in = calendar.days(ks)
    horizon = int(days_in.sum())
    if warn:
        key, longest = max(
            ("retention_days", settings.retention_days),
            ("screen_retention_days", settings.screen_retention_days or 0),
            key=lambda item: item[1],
        )
        if longest > horizon:
            warnings.warn(
                f"{key}: {longest} days is longer than the {horizon}-day horizon "
                f"({months} billing periods, the contract term); data may stay only for the "
                "term of the agreement",
                BillingWarning,
                stacklevel=3,
            )
    period = np.repeat(ks, days_in)
    calls = np.repeat(settings.calls_by_period(months) / days_in, days_in)
    new_audio = calls * settings.audio_gb_per_call
    new_screen = calls * settings.screen_gb_per_call
    stored_audio = _window_sum(new_audio, settings.audio_life_days)
    stored_screen = _window_sum(new_screen, settings.screen_life_days)
    return {
        "date": first[0] + np.arange(horizon),
        "period": period,
        "calls": calls,
        "new_audio_gb": new_audio,
        "new_screen_gb": new_screen,
        "stored_audio_gb": stored_audio,
        "stored_screen_gb": stored_screen,
        "stored_gb": stored_audio + stored_screen,
        "first": first,
        "days_in": days_in,
    }


def storage_daily(
    settings: StorageSettings, start_date: object, months: int, *, timezone: str = DEFAULT_TIMEZONE
) -> pd.DataFrame:
    """Day by day: calls, new and stored GB over ``months`` billing periods from ``start_date``.

    The horizon starts with nothing stored (a new org): recordings made before ``start_date``
    are not modelled.

    Returns
    -------
    pandas.DataFrame
        One row per day: ``date`` (``datetime.date``), ``period`` (k), ``calls``,
        ``new_audio_gb``, ``new_screen_gb``, ``stored_audio_gb``, ``stored_screen_gb``,
        ``stored_gb``.

    Examples
    --------
    3,100 calls a month of 4 minutes, kept 10 days: what is stored on 10 January?

    >>> s = StorageSettings(calls_per_month=3100, avg_minutes=4, retention_days=10)
    >>> day = storage_daily(s, "2026-01-01", 1).iloc[9]
    >>> str(day["date"]), round(float(day["stored_gb"]), 6)  # 100 calls/day x 10 days x 1.92 MB
    ('2026-01-10', 1.92)
    """
    arrays = _daily_arrays(settings, start_date, months, timezone, warn=True)
    frame = pd.DataFrame({key: arrays[key] for key in DAILY_COLUMNS})
    frame["date"] = arrays["date"].astype(object)
    return frame


def _per_period(values: object, months: int, where: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 0:
        arr = np.full(months, float(arr))
    if arr.shape != (months,):
        raise BillingInputError(
            f"{where}: {arr.size} values for {months} periods; accepted: one "
            "number or one value per period"
        )
    if np.any(~np.isfinite(arr)) or np.any(arr < 0):
        raise BillingInputError(f"{where}: a negative or missing value; accepted: GB >= 0")
    return arr


def check_rate_currency(currency: str, rate: object, *, where: str) -> None:
    """The published storage overage rate is a USD figure (docs/rules.md#storage-overage): in
    another currency the contract's rate must be given (``rate`` None: not given). The CLI and
    the Excel function refuse alike.

    >>> check_rate_currency("JPY", None, where="overage_rate")
    Traceback (most recent call last):
    ...
    billing_model.core.errors.BillingInputError: overage_rate: missing; the default 0.25 is a \
USD rate, give the contract's rate per GB in JPY
    """
    if currency != "USD" and rate is None:
        raise BillingInputError(
            f"{where}: missing; the default {STORAGE_OVERAGE_USD_PER_GB} is "
            f"a USD rate, give the contract's rate per GB in {currency}"
        )


def storage_forecast(
    settings: StorageSettings,
    start_date: object,
    months: int,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    allowance_gb: object = None,
    currency: str = "USD",
) -> pd.DataFrame:
    """Per billing period: new GB, billed (peak) storage, allowance, overage and its cost.

    Parameters
    ----------
    settings : StorageSettings
    start_date : date or str
        First day of the first billing period (the order date).
    months : int
        Number of billing periods in the horizon.
    timezone : str
        Billing time zone of the calendar.
    allowance_gb : float, sequence of float, or None
        Storage allowance per period (scalar or one value per period). None leaves the
        allowance, overage and cost columns empty.
    currency : str
        Currency of ``settings.overage_rate`` and of ``overage_cost``.

    Returns
    -------
    pandas.DataFrame
        ``period`` (k) and the columns of :data:`FORECAST_COLUMNS`. GB to 3 decimals;
        ``overage_cost`` is a ``Decimal`` rounded half up to the currency's minor unit.

    Examples
    --------
    20 PureCloud 2 named agents bring 500 GB; they keep 600 GB (20,000 calls a day of
    2.5 minutes at 0.48 MB, kept 25 days). What does the overage cost?

    >>> s = StorageSettings(calls_per_month=620_000, avg_minutes=2.5, retention_days=25)
    >>> f = storage_forecast(s, "2026-01-01", 1, allowance_gb=500)
    >>> f[["stored_gb", "overage_gb", "overage_cost"]].values.tolist()
    [[600.0, 100.0, Decimal('25.00')]]
    """
    currency = check_currency(currency)
    arrays = _daily_arrays(settings, start_date, months, timezone, warn=True)
    months = arrays["first"].size
    starts = np.concatenate(([0], np.cumsum(arrays["days_in"])[:-1]))
    new = np.add.reduceat(arrays["new_audio_gb"] + arrays["new_screen_gb"], starts)
    stored = np.maximum.reduceat(arrays["stored_gb"], starts)
    frame = pd.DataFrame(
        {
            "period": np.arange(months),
            "period_start": arrays["first"].astype(object),
            "period_end": (arrays["first"] + arrays["days_in"] - 1).astype(object),
            "new_gb": np.round(new, GB_DECIMALS),
            "stored_gb": np.round(stored, GB_DECIMALS),
        }
    )
    if allowance_gb is None:
        frame["allowance_gb"] = np.nan
        frame["overage_gb"] = np.nan
        frame["overage_cost"] = None
        return frame
    allowance = _per_period(allowance_gb, months, "allowance_gb")
    overage = np.round(np.maximum(frame["stored_gb"].to_numpy() - allowance, 0.0), GB_DECIMALS)
    frame["allowance_gb"] = allowance
    frame["overage_gb"] = overage
    # a loop over periods: one exact invoice line each
    frame["overage_cost"] = pd.Series(
        [line_amount(float(q), settings.overage_rate, currency) for q in overage],
        index=frame.index,
        dtype=object,
    )
    return frame


def steady_state_gb(settings: StorageSettings, calls_per_day: float) -> float:
    """Storage once a constant volume has run longer than the retention: calls/day x days x size.

    Examples
    --------
    1,000 calls a day of 3 minutes kept 30 days, a fifth of them with a screen recording kept
    7 days: 1000 x 30 x 1.44 MB + 1000 x 7 x 0.2 x 3 x 3.75 MB.

    >>> s = StorageSettings(calls_per_month=30000, avg_minutes=3, retention_days=30,
    ...                     screen_share=0.2, screen_retention_days=7)
    >>> round(steady_state_gb(s, 1000), 6)
    58.95
    """
    per_day = _non_negative(calls_per_day, "calls_per_day")
    return per_day * (
        settings.audio_life_days * settings.audio_gb_per_call
        + settings.screen_life_days * settings.screen_gb_per_call
    )


def max_retention(
    settings: StorageSettings,
    allowance_gb: object,
    start_date: object,
    months: int,
    *,
    timezone: str = DEFAULT_TIMEZONE,
) -> int:
    """Longest retention (days) keeping every period's billed storage within the allowance.

    Only ``retention_days`` varies; a screen retention left unset follows it up to the one-year
    cap, an explicit one stays as given, and ``archive_after_days`` still applies. The answer is
    at most the horizon's length in days (a longer retention changes nothing inside it); 0 means
    even one day is too much.

    Examples
    --------
    How long can 20 PureCloud 2 named agents (500 GB) keep 20,000 calls a day of 2.5 minutes?

    >>> s = StorageSettings(calls_per_month=620_000, avg_minutes=2.5, retention_days=25)
    >>> max_retention(s, 500, "2026-01-01", 1)   # 20,000 x 20 days x 1.2 MB = 480 GB
    20
    """
    months = _check_months(months)
    allowance = _per_period(allowance_gb, months, "allowance_gb")
    calendar = BillingCalendar(to_date(start_date, where="start_date"), timezone)
    horizon = int(calendar.days(np.arange(months)).sum())

    def fits(days: int) -> bool:
        screen = settings.screen_retention_days
        if screen is None:
            screen = min(days, MAX_SCREEN_RETENTION_DAYS)
        trial = StorageSettings(
            **{
                **{f.name: getattr(settings, f.name) for f in fields(settings)},
                "retention_days": days,
                "screen_retention_days": screen,
            }
        )
        arrays = _daily_arrays(trial, start_date, months, timezone, warn=False)
        starts = np.concatenate(([0], np.cumsum(arrays["days_in"])[:-1]))
        stored = np.round(np.maximum.reduceat(arrays["stored_gb"], starts), GB_DECIMALS)
        return bool(np.all(stored <= allowance))

    # storage never falls as retention grows: bisect (about 11 vectorized runs, not a day loop)
    if fits(horizon):
        return horizon
    if not fits(0):  # an explicit screen retention alone can exceed the allowance
        return 0
    low, high = 0, horizon  # invariant: fits(low), not fits(high)
    while high - low > 1:
        mid = (low + high) // 2
        if fits(mid):
            low = mid
        else:
            high = mid
    return low


__all__ = [
    "check_rate_currency",
    "DEFAULT_AUDIO_MB_PER_MINUTE",
    "DEFAULT_SCREEN_MB_PER_MINUTE",
    "MAX_SCREEN_RETENTION_DAYS",
    "MB_PER_GB",
    "GB_DECIMALS",
    "FORECAST_COLUMNS",
    "DAILY_COLUMNS",
    "StorageSettings",
    "storage_daily",
    "storage_forecast",
    "steady_state_gb",
    "max_retention",
]
