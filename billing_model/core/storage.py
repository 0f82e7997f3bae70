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
  ``screen_retention_days``); ``archive_after_days`` ends the counted life earlier. Both kinds
  are proportional to the calls, so a day's stored GB = audio GB per call x the calls of the
  audio's last life days + screen GB per call x those of the screen's (one cumulative count of
  calls serves both windows); a period's new GB = calls per day x its days x GB per call.
* A period's billed storage is its largest daily total; overage GB = max(0, billed - allowance),
  priced per GB with exact decimals rounded half up per currency.

GB figures of the per-period forecast are rounded to 3 decimals (whole MB), and overage is priced
on that rounded quantity, so ``overage_cost == overage_gb x rate`` can be checked from the output.

Excel twin: :mod:`billing_model.formulas.storage` (GB per call, life days, window sums, stored
GB of a day, new GB of a period, GB rounding, steady state), tested against this module in
``tests/test_formulas.py``. Limits and defaults of the settings: rows of
:data:`billing_model.core.limits.LIMITS`.
"""

from __future__ import annotations

import warnings
from dataclasses import fields

import numpy as np
import pandas as pd

from . import storage_settings
from .allowances import STORAGE_OVERAGE_USD_PER_GB
from .errors import BillingInputError, BillingWarning
from .money import check_currency, line_amount
from .periods import DEFAULT_TIMEZONE, BillingCalendar, to_date
from .storage_settings import *  # noqa: F403  (re-exported: the settings, their checks and limits)
from .storage_settings import (  # used here
    GB_DECIMALS,
    MAX_SCREEN_RETENTION_DAYS,
    StorageSettings,
    _check_months,
    _non_negative,
)

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


def _window_sum(new: np.ndarray, life_days: int) -> np.ndarray:
    """For each day, the sum of ``new`` over the last ``life_days`` days, that day included."""
    if life_days <= 0:
        return np.zeros_like(new)
    cum = np.concatenate(([0.0], np.cumsum(new)))
    day = np.arange(new.size)
    oldest = np.maximum(day + 1 - life_days, 0)
    total: np.ndarray = np.maximum(cum[day + 1] - cum[oldest], 0.0)  # clip float noise below 0
    return total


def window_stored_gb(calls: np.ndarray, gb_per_call: float, life_days: int) -> np.ndarray:
    """One recording kind's GB stored each day: ``gb_per_call`` x the calls of the last
    ``life_days`` days, that day included (a difference of two cumulative call counts).

    Audio and screen GB are both proportional to the calls, so one running count of calls serves
    both kinds' windows (Excel twin: :func:`billing_model.formulas.storage.stored_gb`).

    >>> window_stored_gb(np.array([100.0, 100.0, 50.0, 0.0]), 0.00144, 2).round(6).tolist()
    [0.144, 0.288, 0.216, 0.072]
    """
    stored: np.ndarray = gb_per_call * _window_sum(calls, life_days)
    return stored


def period_new_gb(
    calls_per_day: object, days: object, audio_gb_per_call: float, screen_gb_per_call: float
) -> np.ndarray:
    """New GB of a period, before rounding: calls per day x its days x GB per call (audio +
    screen), the sum of its days' new GB in closed form (Excel twin:
    :func:`billing_model.formulas.storage.period_new_gb`).

    >>> period_new_gb([100.0], [31], 0.00144, 0.0).round(6).tolist()
    [4.464]
    """
    new: np.ndarray = (
        np.asarray(calls_per_day, dtype=float)
        * np.asarray(days, dtype=float)
        * (audio_gb_per_call + screen_gb_per_call)
    )
    return new


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
    per_day = settings.calls_by_period(months) / days_in
    calls = np.repeat(per_day, days_in)
    new_audio = calls * settings.audio_gb_per_call
    new_screen = calls * settings.screen_gb_per_call
    stored_audio = window_stored_gb(calls, settings.audio_gb_per_call, settings.audio_life_days)
    stored_screen = window_stored_gb(calls, settings.screen_gb_per_call, settings.screen_life_days)
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
        "new_by_period": period_new_gb(
            per_day, days_in, settings.audio_gb_per_call, settings.screen_gb_per_call
        ),
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
    new = arrays["new_by_period"]
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
    "FORECAST_COLUMNS",
    "DAILY_COLUMNS",
    "storage_daily",
    "storage_forecast",
    "steady_state_gb",
    "max_retention",
    "window_stored_gb",
    "period_new_gb",
]
__all__ += storage_settings.__all__
