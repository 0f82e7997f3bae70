"""The billing calendar: FAQ example, month-end anchors, DST weekends, history before ordering."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from billing_model.core.errors import BillingInputError
from billing_model.core.periods import BillingCalendar, anchor_dates, billing_periods, to_date


def utc(text):
    return pd.Timestamp(text).value


def test_faq_order_on_the_15th():
    # FAQ: "if an order was placed on January 15, the billing period would be January 15
    # through February 14 11:59:59 EST"
    cal = BillingCalendar("2026-01-15")
    assert cal.first_day(0) == dt.date(2026, 1, 15)
    assert cal.last_day(0) == dt.date(2026, 2, 14)
    start, end = cal.starts_ns([0, 1])
    assert start == utc("2026-01-15T05:00:00Z")  # local midnight EST = 05:00 UTC
    assert end == utc("2026-02-15T05:00:00Z")  # last instant 2026-02-14 23:59:59.999 EST


def test_month_end_anchor_clamps_and_returns():
    # docs/rules.md#anchor-days: Jan 31 -> Feb 28 -> Mar 31, computed from the original anchor,
    # never chained
    got = anchor_dates("2026-01-31", range(0, 6)).astype(str).tolist()
    assert got == [
        "2026-01-31",
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
        "2026-05-31",
        "2026-06-30",
    ]


def test_leap_year_and_day_30_and_29():
    assert anchor_dates("2028-01-30", [1, 2]).astype(str).tolist() == ["2028-02-29", "2028-03-30"]
    assert anchor_dates("2027-01-29", [1, 2]).astype(str).tolist() == ["2027-02-28", "2027-03-29"]


def test_periods_go_backwards_from_the_order_date():
    cal = BillingCalendar("2026-03-31")
    assert anchor_dates("2026-03-31", [-1, -2, -3]).astype(str).tolist() == [
        "2026-02-28",
        "2026-01-31",
        "2025-12-31",
    ]
    assert cal.last_day(-1) == dt.date(2026, 3, 30)


def test_dst_spring_forward_weekend_moves_no_boundary():
    # US DST starts Sunday 2026-03-08: midnight before is EST (-5), the next is EDT (-4)
    cal = BillingCalendar("2026-03-08")
    s0, s1 = cal.starts_ns([0, 1])
    assert s0 == utc("2026-03-08T05:00:00Z")
    assert s1 == utc("2026-04-08T04:00:00Z")
    assert cal.starts_ns([-1])[0] == utc("2026-02-08T05:00:00Z")


def test_dst_fall_back_weekend_moves_no_boundary():
    # US DST ends Sunday 2026-11-01 at 02:00 EDT: that day's midnight is still EDT (-4)
    cal = BillingCalendar("2026-11-01")
    s0, s1 = cal.starts_ns([0, 1])
    assert s0 == utc("2026-11-01T04:00:00Z")
    assert s1 == utc("2026-12-01T05:00:00Z")


def test_period_of_instants_near_boundaries():
    cal = BillingCalendar("2026-03-08")
    t = np.array(
        [
            utc("2026-03-08T04:59:59Z"),
            utc("2026-03-08T05:00:00Z"),
            utc("2026-04-08T03:59:59Z"),
            utc("2026-04-08T04:00:00Z"),
        ]
    )
    assert cal.period_of_ns(t).tolist() == [-1, 0, 0, 1]


def test_other_zones_and_utc():
    cal = BillingCalendar("2026-01-15", "UTC")
    assert cal.starts_ns([0])[0] == utc("2026-01-15T00:00:00Z")
    tokyo = BillingCalendar("2026-01-15", "Asia/Tokyo")
    assert tokyo.starts_ns([0])[0] == utc("2026-01-14T15:00:00Z")


def test_covering_finds_the_periods_of_a_span():
    cal = BillingCalendar("2026-01-15")
    assert cal.covering(utc("2026-01-20T00:00Z"), utc("2026-03-01T00:00Z")) == (0, 2)
    assert cal.covering(utc("2025-12-20T00:00Z"), utc("2026-01-15T05:00Z")) == (-1, 0)


def test_frame_days_and_bounds():
    frame = billing_periods("2026-01-31", 3)
    assert frame["days"].tolist() == [28, 31, 30]
    assert (frame["end_utc"].iloc[:-1].to_numpy() == frame["start_utc"].iloc[1:].to_numpy()).all()


@pytest.mark.parametrize("bad", ["Mars/Olympus", "", "EST5EDT6"])
def test_unknown_timezone_is_one_clear_error(bad):
    with pytest.raises(BillingInputError, match="IANA"):
        BillingCalendar("2026-01-15", bad)


def test_bad_order_date():
    with pytest.raises(BillingInputError, match="YYYY-MM-DD"):
        BillingCalendar("15/01/2026")


@pytest.mark.parametrize("typo", ["2026-01-155", "2026-01-15garbage", "2026-01-15T"])
def test_text_after_the_date_is_an_error_not_dropped(typo):
    # '2026-01-155' was read as 2026-01-15: a typo silently became another date
    with pytest.raises(BillingInputError, match="is not a date; accepted: YYYY-MM-DD"):
        to_date(typo, where="--order-date")


def test_a_time_after_the_date_is_dropped():
    assert to_date("2026-01-15T09:30:00+01:00") == dt.date(2026, 1, 15)


@pytest.mark.parametrize("far", ["9999-12-15", "0001-01-01", dt.date(2262, 5, 1)])
def test_dates_outside_the_model_range_are_one_line(far):
    # 9999-12-15 overflowed the calendar (OverflowError) a few periods on
    with pytest.raises(
        BillingInputError, match="out of range; accepted: YYYY-MM-DD from 1900-01-01 to 2199-12-31"
    ):
        to_date(far, where="--order-date")


def test_billing_periods_count_is_bounded():
    with pytest.raises(BillingInputError, match="from 0 to 240"):
        billing_periods("2026-01-15", 10**9)


def test_fixed_offset_us_zone_names_warn_once(monkeypatch):
    # 'EST' is valid but has no daylight saving: periods then start at 01:00 New York time in
    # summer, silently; the FAQ's "EST" means America/New_York
    import billing_model.core.periods as periods
    from billing_model.core.errors import BillingWarning

    monkeypatch.setattr(periods, "_WARNED", set())
    with pytest.warns(
        BillingWarning,
        match="--timezone: 'EST' is a fixed UTC offset without "
        "daylight saving time.*'America/New_York'",
    ):
        assert periods.get_timezone("EST", where="--timezone").key == "EST"
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        periods.get_timezone("EST")  # once is enough
        periods.get_timezone("America/New_York")
