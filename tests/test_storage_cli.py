"""Storage settings refused in one line naming the key, and the ``billing-model storage`` command:
its bad input (one line, exit 2), its warnings, ``--growth-rate``, ``--max-retention``, the
table and ``--daily`` (split from tests/test_storage.py, which checks the engine's figures).
"""

from __future__ import annotations

import pytest

from billing_model.cli import main
from billing_model.core.errors import BillingInputError
from billing_model.core.storage import StorageSettings, storage_forecast

# --- bad input ------------------------------------------------------------------------------

BASE = {"calls_per_month": 1000, "avg_minutes": 3, "retention_days": 30}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"calls_per_month": -1}, "storage.calls_per_month: -1 is negative"),
        ({"calls_per_month": [10, -1]}, r"storage.calls_per_month\[1\]: -1 is negative"),
        ({"avg_minutes": -2.5}, "storage.avg_minutes: -2.5 is negative"),
        ({"audio_mb_per_minute": -0.1}, "storage.audio_mb_per_minute: -0.1 is negative"),
        ({"screen_share": 1.5}, r"storage.screen_share: 1.5 is outside 0..1"),
        ({"recorded_share": -0.2}, r"storage.recorded_share: -0.2 is outside 0..1"),
        (
            {"screen_share": 0.2, "screen_retention_days": 400},
            "storage.screen_retention_days: 400 days is more than",
        ),
        ({"screen_share": 0.2, "retention_days": 730}, "storage.screen_retention_days: not given"),
        ({"retention_days": 30.5}, "storage.retention_days: 30.5 is not accepted"),
        ({"retention_days": True}, "storage.retention_days: True is not a number"),
        ({"avg_minutes": "abc"}, "storage.avg_minutes: 'abc' is not a number"),
        ({"overage_rate": -1}, "storage.overage_rate: -1 is not accepted"),
        ({"retention_days_typo": 3}, "storage.retention_days_typo: unknown storage setting"),
        # typos of many digits: 1e308 calls of 1e308 minutes printed 'inf' GB, then a NaN error
        (
            {"calls_per_month": 1e308},
            "storage.calls_per_month: 1e[+]308 is too large; accepted: a "
            "number from 0 to 1,000,000,000",
        ),
        (
            {"calls_per_month": [10, 1e12]},
            r"storage.calls_per_month\[1\]: 1000000000000.0 is too "
            "large",
        ),
        (
            {"avg_minutes": 1e308},
            "storage.avg_minutes: 1e[+]308 is too large; accepted: a number from 0 to 1,440",
        ),
        ({"screen_mb_per_minute": 5000}, "storage.screen_mb_per_minute: 5000 is too large"),
    ],
)
def test_bad_settings_name_the_key(change, message):
    with pytest.raises(BillingInputError, match=message) as info:
        StorageSettings.from_mapping({**BASE, **change})
    assert "\n" not in str(info.value)


def test_missing_key_and_where():
    with pytest.raises(BillingInputError, match="scenario.storage.avg_minutes: missing"):
        StorageSettings.from_mapping(
            {"calls_per_month": 1, "retention_days": 3}, where="scenario.storage"
        )


def test_audio_only_may_be_kept_beyond_a_year():
    # the one-year cap is for screen recordings only
    s = StorageSettings.from_mapping({**BASE, "retention_days": 730})
    assert s.retention_days == 730


def test_list_length_and_allowance_checked():
    s = StorageSettings(calls_per_month=(1, 2, 3), avg_minutes=1, retention_days=1)
    with pytest.raises(BillingInputError, match="3 values for 2 periods"):
        storage_forecast(s, "2026-01-01", 2)
    with pytest.raises(BillingInputError, match="allowance_gb: 2 values for 3 periods"):
        storage_forecast(s, "2026-01-01", 3, allowance_gb=[1, 2])
    with pytest.raises(BillingInputError, match="allowance_gb: a negative"):
        storage_forecast(s, "2026-01-01", 3, allowance_gb=-5)
    with pytest.raises(BillingInputError, match="months: 0 is not accepted"):
        storage_forecast(s, "2026-01-01", 0)


CLI = [
    "storage",
    "--calls-per-month",
    "3100",
    "--avg-minutes",
    "3",
    "--retention-days",
    "30",
    "--start-date",
    "2026-01-01",
    "--months",
    "3",
]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--screen-share", "1.5"], "--screen-share: '1.5' is outside 0..1"),
        (
            ["--screen-share", "0.5", "--screen-retention-days", "400"],
            "--screen-retention-days: 400 days is more than",
        ),
        (["--recorded-share", "-0.1"], "--recorded-share: '-0.1' is outside 0..1"),
        (["--avg-minutes", "-3"], "--avg-minutes: '-3' is negative"),
        (["--calls-per-month", "lots"], "--calls-per-month: 'lots' is not a number"),
        (["--growth-rate", "-1"], "--growth-rate: '-1' is not accepted"),
        (
            ["--growth-rate", "10", "--months", "240"],
            "--growth-rate: '10' grows 3,100 calls to "
            "2.42e+252 a month by period 240; accepted: "
            "a rate that keeps the volume within "
            "1,000,000,000 calls a month",
        ),
        (["--allowance-gb", "-5"], "--allowance-gb: '-5' is negative"),
        (["--allowance-gb", "5", "--license", "pc2"], "either --allowance-gb or --license"),
        (["--license", "pc2"], "--users: missing"),
        (["--license", "pc9", "--users", "3"], "--license: unknown license 'pc9'"),
        (
            ["--license", "pc2", "--users", "3", "--license-model", "floating"],
            "--license-model: unknown license model 'floating'",
        ),
        (["--timezone", "Mars/Base"], "--timezone: unknown time zone 'Mars/Base'"),
        (["--users", "-3", "--license", "pc2"], "--users: '-3' is not accepted"),
        (["--users", "2.5", "--license", "pc2"], "--users: '2.5' is not accepted"),
        (["--currency", "EUR"], "--overage-rate: missing"),
        (["--max-retention"], "--max-retention: needs an allowance"),
        (["--months", "1.5"], "--months: '1.5' is not accepted"),
        (["--start-date", "2026-13-01"], "--start-date: '2026-13-01' is not a date"),
        (["--start-date", "9999-12-01"], "--start-date: 9999-12-01 is out of range"),
        (
            ["--overage-rate", "1e300", "--allowance-gb", "0"],
            "--overage-rate: '1e300' is too large",
        ),
        (
            ["--months", "1e9"],
            "--months: '1e9' is not accepted; accepted: a whole number of billing "
            "periods from 1 to 240",
        ),
        (
            ["--retention-days", "999999999999999999999"],
            "--retention-days: '999999999999999999999' is not accepted",
        ),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(capsys, extra, message):
    code = main(CLI + extra)
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("billing-model: error")
    assert "Traceback" not in captured.err


@pytest.mark.filterwarnings("always::billing_model.core.errors.BillingWarning")  # pyproject ignores
def test_cli_warns_when_retention_outlives_the_horizon(capsys):
    code = main(CLI[:6] + ["400"] + CLI[7:] + ["--format", "csv"])
    captured = capsys.readouterr()
    assert code == 0
    assert captured.err.splitlines() == [
        "billing-model: warning: retention_days: 400 days is longer than the 90-day horizon "
        "(3 billing periods, the contract term); data may stay only for the term of the agreement"
    ]


def test_cli_growth_rate_and_engine_agree(capsys):
    code = main(CLI + ["--growth-rate", "0.1", "--allowance-gb", "4", "--format", "csv"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    s = StorageSettings(calls_per_month=(3100, 3410, 3751), avg_minutes=3, retention_days=30)
    f = storage_forecast(s, "2026-01-01", 3, allowance_gb=4)
    expected = [
        f"{r.period_start},{r.period_end},{r.new_gb:.3f},{r.stored_gb:.3f},"
        f"{r.allowance_gb:.3f},{r.overage_gb:.3f},{r.overage_cost}"
        for r in f.itertuples()
    ]
    assert lines[1:] == expected


def test_cli_max_retention(capsys):
    args = [
        "storage",
        "--calls-per-month",
        "3100",
        "--avg-minutes",
        "1",
        "--audio-mb-per-minute",
        "1",
        "--start-date",
        "2026-01-01",
        "--months",
        "1",
        "--allowance-gb",
        "2.5",
        "--max-retention",
    ]
    assert main(args + ["--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["max_retention_days", "25"]
    assert main(args) == 0
    assert "25 days" in capsys.readouterr().out
    # an allowance that holds everything: the answer is the horizon, which must be said (a bare
    # '31 days' read as a limit), and the allowance is not shown as 1e+09
    assert main(args[:-3] + ["--allowance-gb", "1e9", "--max-retention"]) == 0
    assert capsys.readouterr().out.strip() == (
        "Longest retention within 1,000,000,000 GB over 1 billing periods: 31 days (the whole "
        "31-day horizon: any longer retention fits too)"
    )


def test_cli_table_shows_steady_state_and_totals(capsys):
    code = main(
        CLI + ["--license", "pc1", "--users", "1", "--overage-rate", "0.30", "--currency", "EUR"]
    )
    out = capsys.readouterr().out
    assert code == 0
    # 100 calls/day x 30 days x 1.44 MB = 4.32 GB; March has 31 days -> 100 calls/day
    assert "Steady state" in out and "= 4.320 GB" in out
    assert "Total overage" in out and "EUR" in out


def test_cli_daily_csv(capsys):
    assert main(CLI + ["--daily", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "date,period,calls,new_audio_gb,new_screen_gb,stored_audio_gb,stored_screen_gb,stored_gb"
    )
    assert len(lines) == 1 + 90
