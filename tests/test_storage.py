"""Tests of the storage forecast (``billing_model.core.storage``) and ``billing-model storage``.

Literal figures come from docs/rules.md#storage-overage ( 20 PureCloud 2 named agents -> 500 GB,
0.25 USD per GB above it; the vendor's page: 600 GB stored -> 100 GB overage) or from arithmetic
written out beside each test. The fast engine is checked against a plain day-by-day reference
written here, with its own billing-period arithmetic (``calendar.monthrange``), not the package's.
Bad settings and the command line: tests/test_storage_cli.py.
"""

from __future__ import annotations

import calendar
import datetime as dt
import warnings
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing_model.cli import main
from billing_model.core.allowances import fair_use_allowance
from billing_model.core.errors import BillingInputError, BillingWarning
from billing_model.core.money import line_amount
from billing_model.core.storage import (
    DEFAULT_AUDIO_MB_PER_MINUTE,
    DEFAULT_SCREEN_MB_PER_MINUTE,
    FORECAST_COLUMNS,
    StorageSettings,
    growing_calls,
    max_retention,
    steady_state_gb,
    storage_daily,
    storage_forecast,
)
from tests.strategies import scenarios

# --- a plain, slow reference ----------------------------------------------------------------


def ref_period_firsts(start: dt.date, count: int) -> list[dt.date]:
    """First day of periods 0..count (count + 1 dates): the anchor day clamped to each month."""
    out = []
    for k in range(count + 1):
        year = start.year + (start.month - 1 + k) // 12
        month = (start.month - 1 + k) % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        out.append(dt.date(year, month, day))
    return out


def ref_daily(s: StorageSettings, start: dt.date, months: int):
    """Day by day, with loops: (dates, period of each day, stored GB each day, new GB each day)."""
    firsts = ref_period_firsts(start, months)
    cpm = (
        list(s.calls_per_month)
        if isinstance(s.calls_per_month, tuple)
        else [s.calls_per_month] * months
    )
    dates, periods, new_audio, new_screen = [], [], [], []
    for k in range(months):
        length = (firsts[k + 1] - firsts[k]).days
        day = firsts[k]
        while day < firsts[k + 1]:
            calls = cpm[k] / length
            dates.append(day)
            periods.append(k)
            new_audio.append(
                calls * s.recorded_share * s.avg_minutes * s.audio_mb_per_minute / 1000
            )
            new_screen.append(
                calls * s.screen_share * s.avg_minutes * s.screen_mb_per_minute / 1000
            )
            day += dt.timedelta(days=1)
    audio_keep = s.retention_days
    screen_keep = s.retention_days if s.screen_retention_days is None else s.screen_retention_days
    if s.archive_after_days is not None:
        audio_keep = min(audio_keep, s.archive_after_days)
        screen_keep = min(screen_keep, s.archive_after_days)
    stored = []
    for i in range(len(dates)):
        total = 0.0
        for j in range(len(dates)):
            if j <= i < j + audio_keep:
                total += new_audio[j]
            if j <= i < j + screen_keep:
                total += new_screen[j]
        stored.append(total)
    new = [a + b for a, b in zip(new_audio, new_screen, strict=True)]
    return dates, periods, stored, new


def ref_billed(s: StorageSettings, start: dt.date, months: int) -> list[float]:
    """Each period's billed storage: its largest daily total."""
    _, periods, stored, _ = ref_daily(s, start, months)
    return [max(v for v, p in zip(stored, periods, strict=True) if p == k) for k in range(months)]


def settings_with(s: StorageSettings, **changes) -> StorageSettings:
    values = {key: getattr(s, key) for key in s.__dataclass_fields__}
    values.update(changes)
    return StorageSettings(**values)


# --- strategies -----------------------------------------------------------------------------

# --- the engine against the reference -------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(scenarios())
def test_daily_matches_reference(case):
    s, start, months = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BillingWarning)
        daily = storage_daily(s, start, months)
    dates, periods, stored, new = ref_daily(s, start, months)
    assert daily["date"].tolist() == dates
    assert daily["period"].tolist() == periods
    # 1e-9 relative (+ 1e-9 GB): a difference of cumulative sums vs a direct sum, float rounding
    np.testing.assert_allclose(daily["stored_gb"], stored, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(
        daily["new_audio_gb"] + daily["new_screen_gb"], new, rtol=1e-12, atol=1e-12
    )


@settings(max_examples=40, deadline=None)
@given(scenarios(), st.floats(0, 2_000) | st.sampled_from([0.0, 500.0]))
def test_forecast_matches_reference(case, allowance):
    s, start, months = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BillingWarning)
        forecast = storage_forecast(s, start, months, allowance_gb=allowance)
    firsts = ref_period_firsts(start, months)
    billed = ref_billed(s, start, months)
    _, periods, _, new = ref_daily(s, start, months)
    assert forecast["period_start"].tolist() == firsts[:-1]
    assert forecast["period_end"].tolist() == [d - dt.timedelta(days=1) for d in firsts[1:]]
    # GB are reported to 3 decimals: half a MB of rounding, plus float noise at a tie
    np.testing.assert_allclose(forecast["stored_gb"], billed, rtol=1e-9, atol=0.0005 + 1e-9)
    per_period_new = [
        sum(v for v, p in zip(new, periods, strict=True) if p == k) for k in range(months)
    ]
    np.testing.assert_allclose(forecast["new_gb"], per_period_new, rtol=1e-9, atol=0.0005 + 1e-9)
    expected_overage = np.maximum(np.asarray(billed) - allowance, 0)
    # overage is computed from the rounded billed GB, so up to one MB apart from the exact figure
    np.testing.assert_allclose(
        forecast["overage_gb"], expected_overage, rtol=1e-9, atol=0.001 + 1e-9
    )
    # the cost is exactly the printed overage GB x rate, rounded half up to the cent
    for gb, cost in zip(forecast["overage_gb"], forecast["overage_cost"], strict=True):
        assert cost == (Decimal(repr(float(gb))) * Decimal("0.25")).quantize(
            Decimal("0.01"), "ROUND_HALF_UP"
        )


@settings(max_examples=25, deadline=None)
@given(scenarios(max_months=3), st.floats(0, 300))
def test_max_retention_matches_a_brute_force_search(case, allowance):
    s, start, months = case
    s = settings_with(
        s, archive_after_days=None, screen_retention_days=s.screen_retention_days
    )  # archive off: it caps
    answer = max_retention(s, allowance, start, months)
    horizon = (ref_period_firsts(start, months)[-1] - start).days

    def peak(days: int) -> float:
        screen = s.screen_retention_days
        trial = settings_with(
            s,
            retention_days=days,
            screen_retention_days=min(days, 365) if screen is None else screen,
        )
        return max(ref_billed(trial, start, months))

    assert 0 <= answer <= horizon
    # the engine compares GB rounded to whole MB: allow one MB either side of the allowance
    if answer > 0 or peak(0) <= allowance:
        assert peak(answer) <= allowance + 0.001
    if answer < horizon:
        assert peak(answer + 1) > allowance - 0.001


# --- published example and literal arithmetic -----------------------------------------------


def test_published_20_agent_example():
    # docs/rules.md#storage-overage / vendor "Data storage charge examples": 20 PureCloud 2 named
    # agents -> 500 GB;
    # 600 GB stored -> 100 GB above it at 0.25 USD/GB = 25.00 USD.
    allowance = float(fair_use_allowance("pc2", "named", "storage_gb", 20))
    assert allowance == 500.0
    # 600 GB stored: 20,000 calls/day x 25 days x 2.5 min x 0.48 MB = 600,000 MB
    s = StorageSettings(
        calls_per_month=20_000 * 31, avg_minutes=2.5, retention_days=25, audio_mb_per_minute=0.48
    )
    row = storage_forecast(s, "2026-01-01", 1, allowance_gb=allowance).iloc[0]
    assert row["stored_gb"] == pytest.approx(600.0, abs=1e-9)
    assert row["allowance_gb"] == 500.0
    assert row["overage_gb"] == pytest.approx(100.0, abs=1e-9)
    assert row["overage_cost"] == Decimal("25.00")


def test_published_example_through_the_cli(capsys):
    code = main(
        [
            "storage",
            "--calls-per-month",
            "620000",
            "--avg-minutes",
            "2.5",
            "--audio-mb-per-minute",
            "0.48",
            "--retention-days",
            "25",
            "--start-date",
            "2026-01-01",
            "--months",
            "1",
            "--license",
            "PureCloud 2",
            "--license-model",
            "named",
            "--users",
            "20",
            "--format",
            "csv",
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0] == ",".join(FORECAST_COLUMNS)
    assert out[1] == "2026-01-01,2026-01-31,744.000,600.000,500.000,100.000,25.00"


def test_default_sizes_are_the_stated_bitrates():
    # 64 kbit/s audio and 500 kbit/s screen video, MB = 10**6 bytes (docs/storage.md)
    assert DEFAULT_AUDIO_MB_PER_MINUTE == pytest.approx(64_000 / 8 * 60 / 1e6)
    assert DEFAULT_SCREEN_MB_PER_MINUTE == pytest.approx(500_000 / 8 * 60 / 1e6)


@pytest.mark.parametrize("retention", [1, 7, 10, 27])
def test_steady_state_is_calls_per_day_times_days_times_size(retention):
    # Retention shorter than every period: from day `retention` of a period on, the window holds
    # only that period's days, so storage is calls/day x days x size exactly.
    s = StorageSettings(
        calls_per_month=9_000,
        avg_minutes=4,
        retention_days=retention,
        screen_share=0.1,
        screen_retention_days=min(retention, 5),
    )
    daily = storage_daily(s, "2026-01-15", 4)
    for _, group in daily.groupby("period"):
        per_day = 9_000 / len(group)
        size = retention * 4 * 0.48 / 1000 + min(retention, 5) * 0.1 * 4 * 3.75 / 1000
        assert group["stored_gb"].iloc[-1] == pytest.approx(per_day * size, rel=1e-12)
        assert steady_state_gb(s, per_day) == pytest.approx(per_day * size, rel=1e-12)


def test_retention_shorter_than_a_period():
    # 10 days: January peaks at 10 x 3,100/31 calls; February (28 days, more calls a day)
    # peaks once its first 10 days are all February: 10 x 3,100/28 calls; 1 min at 1 MB.
    s = StorageSettings(
        calls_per_month=3_100, avg_minutes=1, retention_days=10, audio_mb_per_minute=1.0
    )
    f = storage_forecast(s, "2026-01-01", 2)
    assert f["stored_gb"].tolist() == pytest.approx([1.0, round(31_000 / 28 / 1000, 3)])
    assert f["new_gb"].tolist() == pytest.approx([3.1, 3.1])


def test_retention_longer_than_a_period():
    # 90 days from 1 January 2026: nothing expires before 31 March (day 90), so March peaks at
    # three months of calls; on 30 April the window is 31 Jan .. 30 Apr = 1/31 of January + 3.
    s = StorageSettings(
        calls_per_month=31_000, avg_minutes=1, retention_days=90, audio_mb_per_minute=1.0
    )
    f = storage_forecast(s, "2026-01-01", 4)
    expected = [31.0, 62.0, 93.0, round(31 * (3 + 1 / 31), 3)]
    assert f["stored_gb"].tolist() == pytest.approx(expected)


def test_screen_retention_shorter_than_audio():
    # 31 January: audio of 30 days, screen of 7 days, 100 calls/day of 3 minutes, half with screen
    s = StorageSettings(
        calls_per_month=3_100,
        avg_minutes=3,
        retention_days=30,
        screen_share=0.5,
        screen_retention_days=7,
    )
    day = storage_daily(s, "2026-01-01", 1).iloc[-1]
    assert day["stored_audio_gb"] == pytest.approx(100 * 30 * 3 * 0.48 / 1000, rel=1e-12)
    assert day["stored_screen_gb"] == pytest.approx(100 * 7 * 0.5 * 3 * 3.75 / 1000, rel=1e-12)
    assert day["stored_gb"] == pytest.approx(day["stored_audio_gb"] + day["stored_screen_gb"])


def test_archive_ends_the_counted_life():
    # kept 365 days but archived after 14: counts like a 14-day retention, audio and screen
    kept = StorageSettings(
        calls_per_month=10_000,
        avg_minutes=3,
        retention_days=365,
        screen_share=0.2,
        screen_retention_days=60,
        archive_after_days=14,
    )
    short = StorageSettings(
        calls_per_month=10_000,
        avg_minutes=3,
        retention_days=14,
        screen_share=0.2,
        screen_retention_days=14,
    )
    a = storage_forecast(kept, "2026-01-01", 12)
    b = storage_forecast(short, "2026-01-01", 12)
    assert a["stored_gb"].tolist() == b["stored_gb"].tolist()
    # archiving later than the retention changes nothing
    late = settings_with(short, archive_after_days=100)
    assert storage_forecast(late, "2026-01-01", 12)["stored_gb"].tolist() == b["stored_gb"].tolist()


def test_month_end_anchor_periods_and_calls():
    # order on 31 January: Jan 31-Feb 27 (28 days), Feb 28-Mar 30 (31), Mar 31-Apr 29 (30);
    # each period's days share its calls, so every period totals exactly its calls per month.
    s = StorageSettings(calls_per_month=(2_800, 3_100, 3_000), avg_minutes=1, retention_days=3)
    daily = storage_daily(s, "2026-01-31", 3)
    f = storage_forecast(s, "2026-01-31", 3)
    assert [str(d) for d in f["period_start"]] == ["2026-01-31", "2026-02-28", "2026-03-31"]
    assert [str(d) for d in f["period_end"]] == ["2026-02-27", "2026-03-30", "2026-04-29"]
    assert daily.groupby("period").size().tolist() == [28, 31, 30]
    assert daily["calls"].unique().tolist() == pytest.approx([100.0])
    assert daily.groupby("period")["calls"].sum().tolist() == pytest.approx([2_800, 3_100, 3_000])


def test_allowance_per_period_and_none():
    s = StorageSettings(
        calls_per_month=31_000, avg_minutes=1, retention_days=90, audio_mb_per_minute=1.0
    )
    f = storage_forecast(s, "2026-01-01", 3, allowance_gb=[40, 40, 100])
    assert f["overage_gb"].tolist() == pytest.approx([0, 22, 0])
    assert f["overage_cost"].tolist() == [Decimal("0.00"), Decimal("5.50"), Decimal("0.00")]
    empty = storage_forecast(s, "2026-01-01", 3)
    assert empty["allowance_gb"].isna().all() and empty["overage_cost"].isna().all()


def test_jpy_cost_has_no_minor_unit():
    # 22 GB over at 37 JPY/GB = 814 JPY; 0.5 GB at 37 = 18.5 -> 19 (half up)
    s = StorageSettings(
        calls_per_month=31_000,
        avg_minutes=1,
        retention_days=59,
        audio_mb_per_minute=1.0,
        overage_rate=Decimal("37"),
    )
    f = storage_forecast(s, "2026-01-01", 2, allowance_gb=[30.5, 40], currency="JPY")
    assert f["overage_cost"].tolist() == [Decimal("19"), Decimal("814")]
    assert f["overage_cost"].tolist() == [line_amount(0.5, 37, "JPY"), line_amount(22, 37, "JPY")]


def test_growing_volume_from_a_list():
    s = StorageSettings(calls_per_month=(1_000, 2_000), avg_minutes=10, retention_days=400)
    with pytest.warns(BillingWarning, match="longer than the 59-day horizon"):
        f = storage_forecast(s, "2026-01-01", 2)
    # nothing expires: February ends with all calls made so far, 3,000 x 4.8 MB
    assert f["stored_gb"].tolist() == pytest.approx([4.8, 14.4])


def test_max_retention_literal():
    # 100 calls/day x 1 MB in January: 2.5 GB allows 25 days; nothing at all allows 0
    s = StorageSettings(
        calls_per_month=3_100, avg_minutes=1, retention_days=1, audio_mb_per_minute=1.0
    )
    assert max_retention(s, 2.5, "2026-01-01", 1) == 25
    assert max_retention(s, 0.05, "2026-01-01", 1) == 0
    assert max_retention(s, 1_000, "2026-01-01", 1) == 31  # the whole horizon fits


def test_max_retention_beyond_a_year_keeps_screen_at_the_cap():
    # screen recordings follow the audio retention only up to 365 days, so a two-year horizon
    # with room for everything answers the whole horizon (730 days) instead of being refused.
    s = StorageSettings(calls_per_month=100, avg_minutes=1, retention_days=30, screen_share=1.0)
    assert max_retention(s, 1_000, "2026-01-01", 24) == 730
    # audio only at 0 MB and screen capped at 365 days: 100 calls/month of 3.75 MB never exceeds
    # 12 x 100 x 3.75 MB = 4.5 GB, whatever the audio retention
    s = settings_with(s, audio_mb_per_minute=0.0)
    assert max_retention(s, 4.5 + 0.01, "2026-01-01", 24) == 730


def test_max_retention_of_the_published_agents_over_a_year():
    # 620,000 calls a month of 2.5 min (1.2 MB each): February's 28 days carry 22,142.86 calls a
    # day; 18 days of them are 478.3 GB, 19 days 504.9 GB > 500 GB (docs/storage.md example)
    s = StorageSettings(calls_per_month=620_000, avg_minutes=2.5, retention_days=25)
    assert max_retention(s, 500, "2026-01-01", 12) == 18


def test_scenario_table_values_as_toml_gives_them():
    # TOML gives ints, floats, lists and strings; a rate as text stays exact
    s = StorageSettings.from_mapping(
        {
            "calls_per_month": [1000, 1100.5],
            "avg_minutes": 3,
            "retention_days": 30.0,
            "overage_rate": "0.30",
            "screen_share": 0,
            "archive_after_days": 10,
        }
    )
    assert s.calls_per_month == (1000.0, 1100.5)
    assert s.retention_days == 30 and isinstance(s.retention_days, int)
    assert s.overage_rate == Decimal("0.30")
    assert s.audio_life_days == 10 and s.screen_life_days == 10


def test_screen_retention_beyond_the_horizon_warns_naming_it():
    s = StorageSettings(
        calls_per_month=100,
        avg_minutes=1,
        retention_days=10,
        screen_share=0.5,
        screen_retention_days=90,
    )
    with pytest.warns(
        BillingWarning, match="screen_retention_days: 90 days is longer than the 31-day horizon"
    ):
        storage_daily(s, "2026-01-01", 1)


@settings(max_examples=40, deadline=None)
@given(scenarios(max_months=14), st.integers(0, 450), st.integers(0, 450))
def test_identities(case, days_a, days_b):
    s, start, months = case
    s = settings_with(s, screen_retention_days=s.screen_retention_days or 365)
    short, long_ = sorted((days_a, days_b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BillingWarning)
        a = storage_daily(settings_with(s, retention_days=short), start, months)
        b = storage_daily(settings_with(s, retention_days=long_), start, months)
    # keeping recordings longer never stores less (max_retention's bisection relies on it);
    # 1e-9 relative: cumulative-sum differences
    assert np.all(a["stored_gb"].to_numpy() <= b["stored_gb"].to_numpy() * (1 + 1e-9) + 1e-9)
    # every period's days share exactly its calls per month
    expected = s.calls_by_period(months)
    # (1e-9 relative: float division and sum; 1e-9 absolute: subnormal volumes underflow to 0)
    np.testing.assert_allclose(a.groupby("period")["calls"].sum(), expected, rtol=1e-9, atol=1e-9)
    # kept the whole horizon and never archived: the last day holds everything recorded
    keep_all = settings_with(
        s, retention_days=len(a), screen_retention_days=min(len(a), 365), archive_after_days=None
    )
    if len(a) <= 365 or s.screen_share == 0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BillingWarning)
            c = storage_daily(keep_all, start, months)
        total = (c["new_audio_gb"] + c["new_screen_gb"]).sum()
        assert c["stored_gb"].iloc[-1] == pytest.approx(total, rel=1e-9, abs=1e-9)


def test_growing_calls_is_the_storage_rule_the_command_parses():
    # N x (1 + R)^k, by hand; a shrinking volume too; errors name the caller's label
    assert growing_calls(2000, 0.25, 4) == (2000.0, 2500.0, 3125.0, 3906.25)
    assert growing_calls(1000, -0.5, 3) == (1000.0, 500.0, 250.0)
    assert growing_calls(1000, 0, 3) == 1000
    with pytest.raises(BillingInputError, match=r"^storage.growth_rate: -1 is not accepted"):
        growing_calls(1000, -1, 3)
    with pytest.raises(BillingInputError, match=r"^storage.growth_rate: 'fast' is not a number"):
        growing_calls(1000, "fast", 3)
    with pytest.raises(BillingInputError, match=r"^storage.calls_per_month: 'x' is not a number"):
        growing_calls("x", 0.1, 3)
