"""The Inputs sheet's storage forecast section: the ``[storage]`` settings as named inputs
(a what-if with neutral values when the scenario has none) and the figures calculated from them
(:mod:`billing_model.formulas.storage`)."""

from __future__ import annotations

from ..core.limits import LIMITS
from ..formulas import storage as fs
from .context import INT, NUM, PCT, Ctx
from .input_writer import InputWriter
from .storage import workbook_settings


def storage_inputs(ctx: Ctx, w: InputWriter) -> None:
    st = ctx.scenario.storage
    settings = workbook_settings(ctx)
    w.section(
        "Storage forecast"
        + ("" if st is not None else " (what-if: the scenario has no [storage] table)")
    )
    calls = 0 if st is None else st.calls_per_month
    per_period = isinstance(calls, tuple)
    w.add(
        "CallsPerMonth",
        "Calls per month",
        calls[0] if isinstance(calls, tuple) else calls,
        fmt=INT,
        unit="calls",
        limit="calls_per_month",
        note=(
            "Recorded-call volume per period. The scenario gives one value per period: "
            "edit them in the Storage sheet's 'calls' column (this is the first)."
            if per_period
            else "Recorded-call volume per billing period."
        ),
    )
    w.add(
        "AvgMinutes",
        "Average call minutes",
        0 if st is None else st.avg_minutes,
        fmt=NUM,
        unit="minutes",
        limit="avg_minutes",
        note="Average call duration.",
    )
    w.add(
        "RetentionDays",
        "Retention",
        0 if st is None else st.retention_days,
        fmt=INT,
        unit="days",
        limit="retention_days",
        note="Days a call's audio is kept, the day of the call included. Data may stay for the "
        "term of the agreement (FAQ).",
    )
    w.add(
        "RecordedShare",
        "Recorded share",
        1 if st is None else st.recorded_share,
        fmt=PCT,
        unit="share",
        limit="recorded_share",
        note="Share of calls recorded.",
    )
    w.add(
        "AudioMBPerMinute",
        "Audio MB per minute",
        LIMITS["audio_mb_per_minute"].default if st is None else st.audio_mb_per_minute,
        fmt="0.000",
        unit="MB/minute",
        limit="audio_mb_per_minute",
        note="Assumption (no published size): 64 kbit/s, G.711 as stored = 0.48 MB/minute. "
        "Override with your measured size.",
    )
    w.add(
        "ScreenShare",
        "Screen-recorded share",
        0 if st is None else st.screen_share,
        fmt=PCT,
        unit="share",
        limit="screen_share",
        note="Share of calls with a screen recording.",
    )
    w.add(
        "ScreenMBPerMinute",
        "Screen MB per minute",
        LIMITS["screen_mb_per_minute"].default if st is None else st.screen_mb_per_minute,
        fmt="0.000",
        unit="MB/minute",
        limit="screen_mb_per_minute",
        note="Assumption (no published size): 500 kbit/s video of one desktop = 3.75 MB/minute.",
    )
    screen_days = None if st is None else st.screen_retention_days
    screen_row = w.row
    w.add(
        "ScreenRetentionDays",
        "Screen retention",
        "" if screen_days is None else screen_days,
        fmt=INT,
        unit="days (blank = as audio)",
        limit="screen_retention_days",
        blank=True,
        note="Screen recordings can be kept at most one year (docs/rules.md#retention); "
        "blank keeps them as long as the audio.",
    )
    archive = None if st is None else st.archive_after_days
    w.add(
        "ArchiveAfterDays",
        "Archive after",
        "" if archive is None else archive,
        fmt=INT,
        unit="days (blank = never)",
        limit="archive_after_days",
        blank=True,
        note="Archived recordings do not count against the allowance (FAQ).",
    )
    w.add(
        "AudioGBPerCall",
        "Audio GB per call",
        "=" + fs.gb_per_call("RecordedShare", "AvgMinutes", "AudioMBPerMinute"),
        fmt="0.000000",
        unit="calculated",
        note="recorded share x minutes x MB/minute / 1000 (GB = 1000 MB).",
        calc=True,
        result=settings.audio_gb_per_call,
    )
    w.add(
        "ScreenGBPerCall",
        "Screen GB per call",
        "=" + fs.gb_per_call("ScreenShare", "AvgMinutes", "ScreenMBPerMinute"),
        fmt="0.000000",
        unit="calculated",
        note="screen share x minutes x MB/minute / 1000.",
        calc=True,
        result=settings.screen_gb_per_call,
    )
    w.add(
        "AudioLifeDays",
        "Audio counted for",
        "=" + fs.audio_life_days(),
        fmt=INT,
        unit="days",
        note="Retention, or until archived.",
        calc=True,
        result=settings.audio_life_days,
    )
    w.add(
        "ScreenLifeDays",
        "Screen counted for",
        "=" + fs.screen_life_days(),
        fmt=INT,
        unit="days",
        note="Screen retention (or audio's), or until archived.",
        calc=True,
        result=settings.screen_life_days,
    )
    # the loader's rule: blank keeps screen recordings as long as the audio, at most a year
    cap = LIMITS["screen_retention_days"].whole("maximum")
    w.rule(
        screen_row,
        f'OR(ScreenRetentionDays<>"",N(ScreenShare)=0,N(RetentionDays)<={cap})',
        "Screen retention",
        f'"{cap} days or fewer: blank keeps screen recordings as long as '
        f'the audio ("&RetentionDays&" days), more than the vendor\'s one-year cap"',
    )
    w.add(
        "StorageBilled",
        "Storage forecast billed",
        "yes" if st is not None else "no",
        options=("yes", "no"),
        note="yes: the forecast's billed storage is the storage usage the invoices bill; no: "
        "the measured storage_gb of the Usage sheet (if any) is billed.",
    )
