"""Excel twin of :mod:`billing_model.core.storage`: the storage forecast's rules as formulas.

GB per call, how long a recording counts, the trailing-window sum of a daily model, a day's
stored GB and a period's new GB, the GB rounding of the forecast and the steady state of a
retention choice. Every function names the
engine figure it computes.
"""

from __future__ import annotations

#: MB per GB, as :data:`billing_model.core.storage.MB_PER_GB`
MB_PER_GB = 1000


def gb_per_call(share: str, avg_minutes: str, mb_per_minute: str) -> str:
    """share x minutes x MB/minute / 1000 (twin of ``StorageSettings.audio_gb_per_call`` and
    ``screen_gb_per_call``)."""
    return f"{share}*{avg_minutes}*{mb_per_minute}/{MB_PER_GB}"


def audio_life_days(
    retention: str = "RetentionDays", archive_after: str = "ArchiveAfterDays"
) -> str:
    """Days audio counts: retention, or until archived (``StorageSettings.audio_life_days``);
    a blank ``archive_after`` means never archived."""
    return f'IF({archive_after}="",{retention},MIN({retention},{archive_after}))'


def screen_life_days(
    retention: str = "RetentionDays",
    screen_retention: str = "ScreenRetentionDays",
    archive_after: str = "ArchiveAfterDays",
) -> str:
    """Days a screen recording counts: its retention (blank: the audio's), or until archived
    (``StorageSettings.screen_life_days``)."""
    keep = f'IF({screen_retention}="",{retention},{screen_retention})'
    return f'IF({archive_after}="",{keep},MIN({keep},{archive_after}))'


def window_sum(cumulative: str, day: str, life_days: str, cumulative_column: str) -> str:
    """Sum of the last ``life_days`` days' values, day ``day`` included (twin of
    ``storage._window_sum``): ``cumulative`` is this day's running sum, ``cumulative_column``
    the whole column of running sums (day 0 in its first row)."""
    return (
        f"IF({life_days}<=0,0,MAX({cumulative}-IF({day}-{life_days}>=0,"
        f"INDEX({cumulative_column},{day}-{life_days}+1),0),0))"
    )


def stored_gb(
    calls_to_date: str, day: str, calls_to_date_column: str, gb_per_call: str, life_days: str
) -> str:
    """One recording kind's GB stored on day ``day``: GB per call x the calls of its last
    ``life_days`` days (twin of :func:`billing_model.core.storage.window_stored_gb`), a
    :func:`window_sum` of the running count of calls; audio's plus screen's is a day's total.

    >>> stored_gb("Q5", "N5", "DailyCallsToDate", "AudioGBPerCall", "AudioLifeDays")[:33]
    'AudioGBPerCall*IF(AudioLifeDays<='
    """
    return f"{gb_per_call}*{window_sum(calls_to_date, day, life_days, calls_to_date_column)}"


def period_new_gb(
    calls_per_day: str,
    days: str,
    audio_gb_per_call: str = "AudioGBPerCall",
    screen_gb_per_call: str = "ScreenGBPerCall",
) -> str:
    """New GB of a period before rounding: calls per day x days x GB per call (twin of
    :func:`billing_model.core.storage.period_new_gb`).

    >>> period_new_gb("F5", "D5")
    'F5*D5*(AudioGBPerCall+ScreenGBPerCall)'
    """
    return f"{calls_per_day}*{days}*({audio_gb_per_call}+{screen_gb_per_call})"


def round_gb(x: str) -> str:
    """GB to 3 decimals as the engine rounds them (``numpy.round(x, GB_DECIMALS)``: x * 1000
    rounded half to even, / 1000), so a period at exactly half a MB bills the same GB."""
    y = f"({x})*1000"
    return f"IF({y}-INT({y})=0.5,INT({y})+MOD(INT({y}),2),ROUND({y},0))/1000"


def steady_state_gb(calls_per_day: str, life_days: str, gb_per_call: str) -> str:
    """One recording kind's storage once a steady volume has run longer than it is kept:
    calls/day x days x GB per call. Audio's plus screen's is
    :func:`billing_model.core.storage.steady_state_gb`."""
    return f"{calls_per_day}*{life_days}*{gb_per_call}"
