"""Engine results as Excel cells that spill: a header row, then one row per result (NaN and NaT
blank, dates as datetimes, exact money as numbers)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import pandas as pd


def spill_profile(profile: pd.DataFrame, timezone: str) -> list[list]:
    """A concurrency profile as rows (local wall times, whole users) under a header."""
    local = profile["time"].dt.tz_convert(timezone).dt.tz_localize(None)
    return [["time", "users"]] + [
        [t, int(u)] for t, u in zip(local.dt.to_pydatetime(), profile["users"], strict=True)
    ]


def _cell(value: object) -> object:
    """A Python value as an Excel cell: NaN/NaT/None blank, dates as datetimes, exact money as
    a number."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).to_pydatetime()
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return value


def spill_rows(frame: pd.DataFrame, columns: Sequence[str]) -> list[list]:
    """A header row and one row per frame row, ready to spill."""
    body = [[_cell(v) for v in row] for row in frame[list(columns)].itertuples(index=False)]
    return [list(columns)] + body
