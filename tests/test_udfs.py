"""The Excel functions (``billing_model/udfs.py``) called as Excel calls them.

Every function is called as plain Python with the shapes xlwings hands over: columns as 1-D
lists or 2-D lists of one-element rows with trailing blanks (None), counts as floats (30.0),
dates as naive datetimes, Excel serial numbers or text, optional arguments as None. Results are
compared with the engines called directly, and the peak rules with a plain slow reference
written below. The xlwings metadata, the VBA wrappers and the sample workbook:
tests/test_udfs_excel.py.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from billing_model import udfs as udf
from billing_model.core.allowances import fair_use_allowance
from billing_model.core.invoices import COLUMNS as INVOICE_COLUMNS
from billing_model.core.periods import billing_periods
from billing_model.core.storage import FORECAST_COLUMNS, StorageSettings, storage_forecast
from billing_model.core.usage import compute_usage, concurrency_profile
from billing_model.io.sessions import sessions_from_columns
from billing_model.service import schedule_from_values

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "scenarios" / "sample_sessions.csv"

# --- sessions in every shape Excel hands them ----------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    """Interactive logins of org ``prod`` in the bundled sample (what a sheet would hold)."""
    frame = pd.read_csv(SAMPLE)
    frame = frame[(frame["org"] == "prod") & (frame["client"] != "api")]
    frame = frame.assign(
        start=pd.to_datetime(frame["start"], utc=True), end=pd.to_datetime(frame["end"], utc=True)
    )
    return frame.reset_index(drop=True)


def naive(values: pd.Series) -> list:
    return [t.to_pydatetime() for t in values.dt.tz_localize(None)]


def serials(values: pd.Series) -> list:
    """Excel serial numbers (1900 date system), as a float64 sheet stores them."""
    ns = values.dt.tz_localize(None).to_numpy().astype("datetime64[ns]").astype(np.int64)
    return (ns / 86_400e9 + 25569).tolist()


def as_rows(values: list, blanks: int = 3) -> list:
    """A 2-D range of one-element rows with trailing blank cells."""
    return [[v] for v in values] + [[None]] * blanks


SHAPES = {
    "1-D datetimes": lambda s: (s["user_id"].tolist(), naive(s["start"]), naive(s["end"])),
    "2-D rows with blanks": lambda s: (
        as_rows(s["user_id"].tolist()),
        as_rows(naive(s["start"])),
        as_rows(naive(s["end"])),
    ),
    "serial numbers": lambda s: (s["user_id"].tolist(), serials(s["start"]), serials(s["end"])),
    "ISO text with Z": lambda s: (
        s["user_id"].tolist(),
        s["start"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").tolist(),
        s["end"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").tolist(),
    ),
    "aware timestamps": lambda s: (
        s["user_id"].tolist(),
        s["start"].dt.tz_convert("Europe/Berlin").tolist(),
        s["end"].dt.tz_convert("Asia/Tokyo").tolist(),
    ),
    "naive text": lambda s: (
        s["user_id"].tolist(),
        s["start"].dt.strftime("%Y-%m-%d %H:%M:%S").tolist() + [None],
        s["end"].dt.strftime("%Y-%m-%d %H:%M:%S").tolist() + [""],
    ),
}


def engine_month(sample: pd.DataFrame, *, rule: str = "cumulative") -> pd.DataFrame:
    """compute_usage on March 2026 in New York (the sample's billing month)."""
    sessions = sessions_from_columns(
        sample["user_id"].tolist(),
        sample["start"].to_numpy(),
        sample["end"].to_numpy(),
        license=sample["license"].tolist(),
    )
    frame = compute_usage(
        sessions,
        order_date="2026-03-01",
        timezone="America/New_York",
        peak_rule=rule,
        periods=(0, 1),
    )
    return frame


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("rule", ["cumulative", "contiguous"])
def test_peak_of_a_billing_period_matches_the_engine(sample, shape, rule):
    users, starts, ends = SHAPES[shape](sample)
    expected = engine_month(sample, rule=rule)
    got = udf.BM_CONCURRENT_PEAK(
        users,
        starts,
        ends,
        sample["license"].tolist(),
        dt.datetime(2026, 3, 1),
        dt.datetime(2026, 3, 31),
        rule,
        30.0,
        "America/New_York",
    )
    assert got == int(expected["peak_concurrent"].iloc[0])
    named = udf.BM_NAMED_USERS(
        users,
        starts,
        ends,
        sample["license"].tolist(),
        "2026-03-01",
        "2026-03-31",
        "America/New_York",
    )
    assert named == int(expected["named_users"].sum())
    # hourly licensing: each license's hours rounded up on its own, then added
    hours = udf.BM_BILLABLE_HOURS(
        users,
        starts,
        ends,
        sample["license"].tolist(),
        "2026-03-01",
        "2026-03-31",
        "America/New_York",
    )
    assert hours == int(expected["billable_hours"].sum())


def test_timezone_moves_the_period_bounds(sample):
    """The same dates read in UTC are another window: 4-5 hours earlier than New York."""
    users, starts, ends = SHAPES["1-D datetimes"](sample)
    ny = udf.BM_NAMED_USERS(
        users,
        starts,
        ends,
        None,
        dt.datetime(2026, 3, 2),
        dt.datetime(2026, 3, 2),
        "America/New_York",
    )
    utc = udf.BM_NAMED_USERS(
        users, starts, ends, None, dt.datetime(2026, 3, 2), dt.datetime(2026, 3, 2)
    )
    utc_shifted = udf.BM_NAMED_USERS(
        users, starts, ends, None, dt.datetime(2026, 3, 2, 5), dt.datetime(2026, 3, 3, 5)
    )
    assert ny == utc_shifted  # 2 March in New York (EST, UTC-5) is 05:00-05:00 UTC
    assert isinstance(utc, int)


def test_period_end_date_is_the_last_day_included(sample):
    users, starts, ends = SHAPES["1-D datetimes"](sample)
    by_date = udf.BM_NAMED_USERS(
        users, starts, ends, None, dt.datetime(2026, 3, 2), dt.datetime(2026, 3, 2)
    )
    by_instant = udf.BM_NAMED_USERS(
        users, starts, ends, None, dt.datetime(2026, 3, 2), dt.datetime(2026, 3, 2, 23, 59, 59)
    )
    assert by_date == by_instant > 0


def test_period_bounds_are_read_like_session_times(sample):
    """Period bounds go through the session reader's parser: text with an offset, the 'UTC'
    word of SQL exports, Excel serials and datetimes are one instant (05:00 UTC on 2 March)."""
    users, starts, ends = SHAPES["1-D datetimes"](sample)
    bounds = [
        dt.datetime(2026, 3, 2, 5),
        "2026-03-02T05:00:00Z",
        "2026-03-02 00:00:00-05:00",
        "2026-03-02 05:00:00 UTC",
        46083 + 5 / 24,
    ]
    counts = {
        udf.BM_NAMED_USERS(users, starts, ends, None, b, dt.datetime(2026, 3, 3, 5)) for b in bounds
    }
    assert len(counts) == 1 and counts.pop() > 0
    # a text bound without an offset is in the timezone argument, as a session's would be
    assert udf.BM_NAMED_USERS(
        users, starts, ends, None, "2026-03-02T00:00", "2026-03-02", "America/New_York"
    ) == udf.BM_NAMED_USERS(users, starts, ends, None, "2026-03-02T05:00Z", "2026-03-03T05:00Z")


def test_without_period_the_whole_data_span(sample):
    users, starts, ends = SHAPES["1-D datetimes"](sample)
    span = udf.BM_CONCURRENT_PEAK(users, starts, ends, sample["license"].tolist())
    wide = udf.BM_CONCURRENT_PEAK(
        users,
        starts,
        ends,
        sample["license"].tolist(),
        dt.datetime(2026, 2, 1),
        dt.datetime(2026, 4, 30),
    )
    assert span == wide > 0
    assert udf.BM_NAMED_USERS(users, starts, ends) == sample["user_id"].nunique()


def test_licenses_one_for_all_and_communicate_outside_the_pool(sample):
    users, starts, ends = SHAPES["1-D datetimes"](sample)
    pool = udf.BM_CONCURRENT_PEAK(users, starts, ends, "pc2")
    assert pool == udf.BM_CONCURRENT_PEAK(users, starts, ends)  # default: all PureCloud 1-3
    assert udf.BM_CONCURRENT_PEAK(users, starts, ends, "Communicate") == 0
    assert udf.BM_NAMED_USERS(users, starts, ends, "communicate") == sample["user_id"].nunique()


def test_serial_times_land_on_the_exact_minute():
    """08:00 is stored as 0.3333...: rounded to the millisecond it is not 07:59:59.999."""
    day = 46082.0  # 2026-03-01
    users = ["ann", "bob"]
    starts = [day + 8 / 24, day + 8.5 / 24]
    ends = [day + 8.5 / 24, day + 9 / 24]
    # back to back: never two at once, even for a 1-minute rule
    assert udf.BM_CONCURRENT_PEAK(users, starts, ends, None, None, None, None, 1.0) == 1


def test_blank_rows_are_skipped_anywhere():
    t = dt.datetime(2026, 3, 2, 8)
    users = ["ann", None, "bob", None, None]
    starts = [t, None, t, None, None]
    ends = [t + dt.timedelta(hours=1), None, t + dt.timedelta(hours=1), "", None]
    assert udf.BM_CONCURRENT_PEAK(users, starts, ends) == 2
    assert udf.BM_NAMED_USERS(users, starts, ends) == 2


def test_numeric_user_ids_are_text():
    t = dt.datetime(2026, 3, 2, 8)
    hour = dt.timedelta(hours=1)
    assert udf.BM_NAMED_USERS([1001.0, "1001", 1002.0], [t] * 3, [t + hour] * 3) == 2


def test_no_sessions_in_the_period_is_zero(sample):
    users, starts, ends = SHAPES["1-D datetimes"](sample)
    assert udf.BM_CONCURRENT_PEAK(users, starts, ends, None, "2027-01-01", "2027-01-31") == 0
    assert udf.BM_NAMED_USERS(users, starts, ends, None, "2027-01-01", "2027-01-31") == 0
    assert udf.BM_NAMED_USERS([None, None], [None, None], [None, None]) == 0


# --- profile, periods, invoices, storage, fair use, money -----------------------------------------


def test_profile_matches_the_engine(sample):
    users, starts, ends = SHAPES["2-D rows with blanks"](sample)
    rows = udf.BM_CONCURRENCY_PROFILE(
        users,
        starts,
        ends,
        dt.datetime(2026, 3, 2),
        dt.datetime(2026, 3, 2),
        15.0,
        "America/New_York",
    )
    sessions = sessions_from_columns(
        sample["user_id"].tolist(),
        sample["start"].to_numpy(),
        sample["end"].to_numpy(),
        license="pc2",
    )
    t0 = pd.Timestamp("2026-03-02", tz="America/New_York")
    expected = concurrency_profile(
        sessions, t0.value, (t0 + pd.Timedelta(days=1)).value, step_minutes=15
    )
    assert rows[0] == ["time", "users"]
    assert len(rows) - 1 == len(expected) == 96
    assert [r[1] for r in rows[1:]] == expected["users"].tolist()
    assert rows[1][0] == dt.datetime(2026, 3, 2, 0, 0)  # local time, for the chart's axis
    assert rows[2][0] - rows[1][0] == dt.timedelta(minutes=15)


@pytest.mark.parametrize(
    "order_date", [dt.datetime(2026, 1, 31), 46053.0, "2026-01-31", [[dt.datetime(2026, 1, 31)]]]
)
def test_billing_periods_match_the_engine(order_date):
    rows = udf.BM_BILLING_PERIODS(order_date, 13.0, None)
    expected = billing_periods("2026-01-31", 13)
    assert rows[0] == ["period_start", "last_day"]
    assert [r[0].date() for r in rows[1:]] == expected["first_day"].tolist()
    assert [r[1].date() for r in rows[1:]] == expected["last_day"].tolist()
    assert rows[2] == [dt.datetime(2026, 2, 28), dt.datetime(2026, 3, 30)]  # anchor clamps


def test_invoice_schedule_matches_the_engine():
    users = [[20.0], [40.0], [60.0], [55.0], [70.0], [None], [None]]
    rows = udf.BM_INVOICE_SCHEDULE(
        dt.datetime(2026, 1, 15),
        50.0,
        115.0,
        2.0,
        3.0,
        users,
        130.0,
        "EUR",
        None,
        [12.5, 0, 0, 0, 7.25],
        45.0,
    )
    expected = schedule_from_values(
        "2026-01-15",
        50,
        115,
        2,
        3,
        [20, 40, 60, 55, 70],
        overage_rate=130,
        currency="EUR",
        telephony=[Decimal("12.5"), 0, 0, 0, Decimal("7.25")],
        payment_terms_days=45,
    )
    assert rows[0] == list(INVOICE_COLUMNS)
    assert len(rows) - 1 == len(expected)
    for row, (_, line) in zip(rows[1:], expected.iterrows(), strict=True):
        assert row[0].date() == line["invoice_date"] and row[1].date() == line["due_date"]
        assert row[2:4] == [line["description"], line["timing"]]
        assert row[6] == line["quantity"]
        assert Decimal(str(row[8])) == line["amount"]  # exact cents survive as a float
        assert row[9] == "EUR"


def test_storage_forecast_matches_the_engine_and_blanks_nan():
    rows = udf.BM_STORAGE_FORECAST(
        620_000.0, 2.5, 25.0, dt.datetime(2026, 1, 1), 3.0, None, None, None, None, None
    )
    settings_ = StorageSettings(calls_per_month=620_000, avg_minutes=2.5, retention_days=25)
    expected = storage_forecast(settings_, "2026-01-01", 3)
    assert rows[0] == list(FORECAST_COLUMNS)
    assert [r[3] for r in rows[1:]] == expected["stored_gb"].tolist()
    # no allowance: the allowance, overage and cost cells are blank, never NaN
    assert all(r[4] is None and r[5] is None and r[6] is None for r in rows[1:])
    assert not any(isinstance(v, float) and math.isnan(v) for r in rows for v in r)

    priced = udf.BM_STORAGE_FORECAST(
        [[600_000.0], [620_000.0], [None]],
        2.5,
        25.0,
        "2026-01-01",
        2.0,
        0.48,
        0.0,
        None,
        None,
        500.0,
    )
    expected = storage_forecast(
        StorageSettings(calls_per_month=(600_000, 620_000), avg_minutes=2.5, retention_days=25),
        "2026-01-01",
        2,
        allowance_gb=500,
    )
    assert [Decimal(str(r[6])) for r in priced[1:]] == expected["overage_cost"].tolist()


def test_invoice_schedule_lines_say_the_license_billed():
    # 10 committed at 100 USD, 1 ramp month then 2 term months, users 5, 12, 8: the ramp bills
    # the 5 used (in arrears), each term month the 10 committed (in advance), and month 2 the
    # 2 above the commitment (in arrears); month 3 (8 users) is within it. Due 30 days later.
    rows = udf.BM_INVOICE_SCHEDULE(
        "2026-01-15",
        10.0,
        100.0,
        1.0,
        2.0,
        [[5.0], [12.0], [8.0]],
        None,
        None,
        None,
        None,
        None,
        "pc3",
        "concurrent",
    )
    d = dt.datetime
    assert rows[1:] == [
        [
            d(2026, 2, 15),
            d(2026, 3, 17),
            "PureCloud 3 / CX 3 concurrent users, ramp (actual usage)",
            "arrears",
            d(2026, 1, 15),
            d(2026, 2, 14),
            5.0,
            100.0,
            500.0,
            "USD",
        ],
        [
            d(2026, 2, 15),
            d(2026, 3, 17),
            "PureCloud 3 / CX 3 concurrent users, prepay (committed)",
            "advance",
            d(2026, 2, 15),
            d(2026, 3, 14),
            10.0,
            100.0,
            1000.0,
            "USD",
        ],
        [
            d(2026, 3, 15),
            d(2026, 4, 14),
            "PureCloud 3 / CX 3 concurrent users above the commitment",
            "arrears",
            d(2026, 2, 15),
            d(2026, 3, 14),
            2.0,
            100.0,
            200.0,
            "USD",
        ],
        [
            d(2026, 3, 15),
            d(2026, 4, 14),
            "PureCloud 3 / CX 3 concurrent users, prepay (committed)",
            "advance",
            d(2026, 3, 15),
            d(2026, 4, 14),
            10.0,
            100.0,
            1000.0,
            "USD",
        ],
    ]
    # left out, the license is PureCloud 2 named (the engine's default); names as on the price list
    default = udf.BM_INVOICE_SCHEDULE("2026-01-15", 10.0, 100.0, 1.0, 2.0, [5.0, 12.0, 8.0])
    assert [r[2] for r in default[1:3]] == [
        "PureCloud 2 / CX 2 named users, ramp (actual usage)",
        "PureCloud 2 / CX 2 named users, prepay (committed)",
    ]
    communicate = udf.BM_INVOICE_SCHEDULE(
        "2026-01-15",
        10.0,
        100.0,
        0.0,
        1.0,
        [10.0],
        None,
        None,
        None,
        None,
        None,
        "Communicate",
        "named",
    )
    assert communicate[1][2].startswith("Communicate") and "named" in communicate[1][2]


def test_storage_forecast_prices_the_overage_in_the_currency():
    # docs/rules.md#storage-overage example: 620,000 calls in January (20,000 a day) of 2.5
    # minutes at 0.48 MB,
    # kept 25 days, hold 25 days x 24 GB = 600 GB; above a 499.5 GB allowance that is 100.5 GB
    args = (620_000.0, 2.5, 25.0, "2026-01-01", 1.0, None, None, None, None, 499.5)
    head, row = udf.BM_STORAGE_FORECAST(*args)
    assert head == list(FORECAST_COLUMNS)
    assert row[3:] == [600.0, 499.5, 100.5, 25.13]  # default USD 0.25/GB: 25.125 half up
    assert udf.BM_STORAGE_FORECAST(*args, 0.3, "EUR")[1][6] == 30.15  # 100.5 x 0.30
    assert udf.BM_STORAGE_FORECAST(*args, 37.0, "jpy")[1][6] == 3719.0  # 3718.5 yen half up
    # the default 0.25 is a USD rate: another currency without a rate is refused, as the CLI
    # refuses it (it priced 100.5 GB at 0.25 GBP, or 25 JPY)
    for code in ("GBP", "JPY"):
        refused = udf.BM_STORAGE_FORECAST(*args, None, code)
        assert refused == (
            "overage_rate: missing; the default 0.25 is a USD rate, give the "
            f"contract's rate per GB in {code}"
        )


def test_fair_use_published_example_and_columns():
    # docs/rules.md#storage-overage: 20 PureCloud 2 named agents bring a 500 GB storage allowance
    assert udf.BM_FAIR_USE("pc2", "named", "storage_gb", 20.0) == 500.0
    assert udf.BM_FAIR_USE("PureCloud 2", "named", "storage_gb", [[20.0]]) == 500.0
    column = udf.BM_FAIR_USE("pc3", "concurrent", "api_requests", [[10.0], [None], [2.0]])
    assert column == [
        [float(fair_use_allowance("pc3", "concurrent", "api_requests", 10))],
        [None],
        [float(fair_use_allowance("pc3", "concurrent", "api_requests", 2))],
    ]


def test_round_currency_half_up_as_excel_shows_the_amount():
    # money.py's worked example: 55 x 171.115 EUR = 9411.325 -> 9411.33; the float product
    # 9411.324999999999 is what a cell holds and shows as 9411.325
    assert udf.BM_ROUND_CURRENCY(55 * 171.115, "EUR") == 9411.33
    assert udf.BM_ROUND_CURRENCY(2.675, "USD") == 2.68  # 2.67499999... in binary
    assert udf.BM_ROUND_CURRENCY(1234.5, "JPY") == 1235.0
    assert udf.BM_ROUND_CURRENCY("0.125", "gbp") == 0.13
    assert udf.BM_ROUND_CURRENCY([1.005, None, 2.5], "USD") == [[1.01], [None], [2.5]]
    assert udf.BM_ROUND_CURRENCY([[1.005, 2.345]], "USD") == [[1.01, 2.35]]  # a row stays a row
