"""The storage engine's figures laid out as the Storage sheet shows them.

The storage forecast (:mod:`billing_model.core.storage`) runs over the scenario's own billing
periods; the workbook's grid is fixed (31 days a period over every period it can hold) so that an
edited ramp or term still fits. These functions give the engine's value of each of its figures:

- the daily model over the grid's days, the days after the scenario's last period without calls
  (:func:`grid_daily`);
- a period's calls per day: its calls spread evenly over its days (:func:`calls_per_day`);
- the retention choices: a steady volume of ``calls_per_month x 12 / 365`` calls a day kept for
  another retention, against an allowance (:func:`steady_calls_per_day`,
  :func:`retention_choice`); screen recordings kept "as the audio" stop at the vendor's one-year
  cap (``docs/rules.md#retention``).

Excel twin: :mod:`billing_model.formulas.storage_figures` (with the daily model's
:func:`billing_model.formulas.storage.stored_gb` and
:func:`~billing_model.formulas.storage.period_new_gb`), tested against this module in
``tests/test_formulas.py``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .storage import (
    MAX_SCREEN_RETENTION_DAYS,
    StorageSettings,
    _daily_arrays,
    window_stored_gb,
)

#: a steady month: a year's calls over its days
MONTHS_PER_YEAR, DAYS_PER_YEAR = 12, 365


def calls_per_day(calls_per_month: float, days: int) -> float:
    """A period's calls per day: its calls over its days (the daily model's rule).

    >>> calls_per_day(3100, 31)
    100.0
    """
    return float(calls_per_month) / days


def steady_calls_per_day(calls_per_month: float) -> float:
    """Calls a day of a steady volume: ``calls_per_month x 12 / 365``.

    >>> round(steady_calls_per_day(36500), 6)
    1200.0
    """
    return float(calls_per_month) * MONTHS_PER_YEAR / DAYS_PER_YEAR


def retention_choice(
    settings: StorageSettings, retention_days: int, calls_a_day: float, allowance_gb: float
) -> tuple[float, float, float]:
    """Steady-state audio GB, screen GB and GB over ``allowance_gb`` when recordings are kept
    ``retention_days`` (the other settings as given): calls a day x days kept x GB per call
    (:func:`billing_model.core.storage.steady_state_gb` per recording kind). A screen recording
    without a retention of its own is kept as the audio, at most one year.

    >>> s = StorageSettings(calls_per_month=3000, avg_minutes=4, retention_days=30,
    ...                     audio_mb_per_minute=1.0, screen_share=0.5, screen_mb_per_minute=10.0)
    >>> [round(x, 6) for x in retention_choice(s, 400, 100.0, 50.0)]
    [160.0, 730.0, 840.0]
    """
    # the audio's life alone: without screen recordings, a retention past the screen cap is
    # not refused (the screen's life is capped below)
    audio_days = dataclasses.replace(
        settings, retention_days=retention_days, screen_share=0.0
    ).audio_life_days
    if settings.screen_retention_days is not None:
        screen_days = settings.screen_life_days
    else:
        kept = min(retention_days, MAX_SCREEN_RETENTION_DAYS)
        screen_days = dataclasses.replace(settings, retention_days=kept).screen_life_days
    audio = calls_a_day * audio_days * settings.audio_gb_per_call
    screen = calls_a_day * screen_days * settings.screen_gb_per_call
    return audio, screen, max(audio + screen - allowance_gb, 0.0)


def grid_daily(
    settings: StorageSettings, order_date: object, periods: int, days: int, *, timezone: str
) -> dict[str, np.ndarray]:
    """The daily model over ``days`` days from the order date, calls only in the scenario's
    ``periods`` billing periods, as the Storage sheet lays it out: per day ``calls``, their
    running count ``calls_to_date``, and the GB stored ``stored_audio``, ``stored_screen``
    (GB per call x the calls of each kind's last life days); per billing period
    ``largest_day`` (the largest daily total) and ``new_unrounded`` (new GB before the
    forecast's rounding: calls per day x days x GB per call)."""
    arrays = _daily_arrays(settings, order_date, periods, timezone, warn=True)
    calls = np.zeros(days)
    calls[: arrays["calls"].size] = arrays["calls"]
    starts = np.concatenate(([0], np.cumsum(arrays["days_in"])[:-1]))
    return {
        "calls": calls,
        "calls_to_date": np.cumsum(calls),
        "stored_audio": window_stored_gb(
            calls, settings.audio_gb_per_call, settings.audio_life_days
        ),
        "stored_screen": window_stored_gb(
            calls, settings.screen_gb_per_call, settings.screen_life_days
        ),
        "largest_day": np.maximum.reduceat(arrays["stored_gb"], starts),
        "new_unrounded": arrays["new_by_period"],
    }
