"""The Excel functions given bad input: a short readable text in the cell, never an
exception (split from tests/test_udfs.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from billing_model import udfs as udf

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "scenarios" / "sample_sessions.csv"

# --- bad input: a short readable text, never an exception ----------------------------------------

T = dt.datetime(2026, 3, 2, 8)
H = dt.timedelta(hours=1)
BAD_INPUT = [
    (lambda: udf.BM_CONCURRENT_PEAK(["a"], ["yesterday"], [T]), "'yesterday' is not an ISO"),
    (
        lambda: udf.BM_CONCURRENT_PEAK(["a", "b"], [T, None], [T + H, T + H]),
        "row 2: the start is blank",
    ),
    (lambda: udf.BM_CONCURRENT_PEAK(["a"], [T + H], [T]), "is before start"),
    (lambda: udf.BM_CONCURRENT_PEAK(["a"], [-2146826246.0], [T]), "Excel error value"),
    (lambda: udf.BM_CONCURRENT_PEAK(["a"], [T], [T + H], "pc9"), "unknown license 'pc9'"),
    (
        lambda: udf.BM_CONCURRENT_PEAK(["a"], [T], [T + H], None, None, None, "max"),
        "rule: unknown rule 'max'",
    ),
    (
        lambda: udf.BM_CONCURRENT_PEAK(["a"], [T], [T + H], None, None, None, None, 30.5),
        "min_minutes: 30.5 is not accepted",
    ),
    (
        lambda: udf.BM_CONCURRENT_PEAK(
            ["a"], [T], [T + H], None, None, None, None, None, "Mars/Olympus"
        ),
        "unknown time zone 'Mars/Olympus'",
    ),
    (
        lambda: udf.BM_CONCURRENT_PEAK([["a", "b"], ["c", "d"]], [T, T], [T + H, T + H]),
        "user_ids: a range 2 columns wide",
    ),
    (lambda: udf.BM_NAMED_USERS(["a"], [T], [T + H], None, T, T - H), "is not after"),
    (
        lambda: udf.BM_NAMED_USERS(["a", "b"], [T, T], [T + H, T + H], ["pc1", None, "pc2"]),
        "licenses: row 2 is blank",
    ),
    (
        lambda: udf.BM_CONCURRENCY_PROFILE(["a"], [T], [T + H], None, None, 0.0),
        "step_minutes: 0 is not accepted",
    ),
    (lambda: udf.BM_CONCURRENCY_PROFILE([None], [None], [None]), "no sessions"),
    (lambda: udf.BM_BILLING_PERIODS("31/01/2026", 3.0), "is not a date"),
    # Excel's last date: was read through nanosecond timestamps, which wrapped to 1816-03-29
    (lambda: udf.BM_BILLING_PERIODS(2958465.0, 3.0), "order_date: 9999-12-31 is out of range"),
    (lambda: udf.BM_BILLING_PERIODS(2958466.0, 3.0), "order_date: 2958466 is not a date"),
    (lambda: udf.BM_BILLING_PERIODS(dt.datetime(2026, 1, 31), 2.5), "count: 2.5 is not accepted"),
    (lambda: udf.BM_BILLING_PERIODS(dt.datetime(2026, 1, 31), None), "count: is blank"),
    (
        lambda: udf.BM_INVOICE_SCHEDULE(T, 50.0, 115.0, 2.0, 3.0, [1.0, 2.0]),
        "users: 2 values, but the contract bills 5 periods",
    ),
    (
        lambda: udf.BM_INVOICE_SCHEDULE(T, 50.0, 115.0, 0.0, 2.0, [1.0, None, 2.0]),
        "users: row 2 is blank",
    ),
    (
        lambda: udf.BM_INVOICE_SCHEDULE(T, 50.0, 115.0, 0.0, 1.0, [1.0], None, "XXX"),
        "currency: 'XXX' is not accepted",
    ),
    (
        lambda: udf.BM_INVOICE_SCHEDULE(T, 50.0, 115.0, 0.0, 1.0, [1.0], None, None, "free"),
        "ramp_policy: 'free' is not accepted",
    ),
    (
        lambda: udf.BM_STORAGE_FORECAST(1000.0, 3.0, 400.0, T, 12.0, None, 0.5),
        "screen_retention_days: not given",
    ),
    (lambda: udf.BM_STORAGE_FORECAST(1000.0, -3.0, 30.0, T, 12.0), "avg_minutes: -3.0 is"),
    (
        lambda: udf.BM_STORAGE_FORECAST(
            1000.0, 3.0, 30.0, T, 1.0, None, None, None, None, 5.0, "free"
        ),
        "overage_rate: expected a number, got 'free'",
    ),
    (
        lambda: udf.BM_STORAGE_FORECAST(
            1000.0, 3.0, 30.0, T, 1.0, None, None, None, None, 5.0, -1.0
        ),
        "overage_rate: -1.0 is not accepted",
    ),
    (
        lambda: udf.BM_STORAGE_FORECAST(
            1000.0, 3.0, 30.0, T, 1.0, None, None, None, None, 5.0, None, "XXX"
        ),
        "currency_code: unknown currency 'XXX'",
    ),
    (
        lambda: udf.BM_INVOICE_SCHEDULE(
            T, 1.0, 10.0, 0.0, 1.0, [1.0], None, None, None, None, None, "pc9"
        ),
        "license: 'pc9' is not accepted",
    ),
    (
        lambda: udf.BM_INVOICE_SCHEDULE(
            T, 1.0, 10.0, 0.0, 1.0, [1.0], None, None, None, None, None, None, "weekly"
        ),
        "license_model: 'weekly' is not",
    ),
    (
        lambda: udf.BM_NAMED_USERS(["a"], [T], [T + H], None, "yesterday"),
        "period_start: 'yesterday' is not a date",
    ),
    (
        lambda: udf.BM_NAMED_USERS(
            ["a"], [T], [T + H], None, dt.datetime(2026, 3, 8, 2, 30), None, "America/New_York"
        ),
        "does not exist in America/New_York",
    ),
    (lambda: udf.BM_FAIR_USE("pc2", "named", "disk", 20.0), "unknown fair-use feature 'disk'"),
    (lambda: udf.BM_FAIR_USE("pc2", "weekly", "storage_gb", 20.0), "unknown license model"),
    (lambda: udf.BM_FAIR_USE("pc2", "named", "storage_gb", -1.0), "negative number of users"),
    (lambda: udf.BM_ROUND_CURRENCY("ten", "USD"), "amount: expected a number, got 'ten'"),
    (lambda: udf.BM_ROUND_CURRENCY(1.0, "XYZ"), "unknown currency 'XYZ'"),
    (lambda: udf.BM_ROUND_CURRENCY(1.0, None), "currency_code: is blank"),
]


@pytest.mark.parametrize("call,expected", BAD_INPUT, ids=[e for _, e in BAD_INPUT])
def test_bad_input_gives_a_short_error_text(call, expected):
    result = call()
    assert isinstance(result, str), result
    assert expected in result
    assert "\n" not in result and len(result) <= udf.MAX_ERROR_CHARS
    assert "Traceback" not in result


def test_an_unexpected_failure_is_a_text_too(monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(udf, "billing_periods", broken)
    result = udf.BM_BILLING_PERIODS(dt.datetime(2026, 1, 31), 3.0)
    assert result == "unexpected error in BM_BILLING_PERIODS: ZeroDivisionError: boom"
