"""``BM_INVOICE_SCHEDULE`` bills an hourly line (issue #19; docs/rules.md#hourly-licensing).

With ``license_model = "hourly"`` the ``users`` column holds each period's logged-in hours and
``hourly_rate`` the price per billable hour; the function returns the engine's schedule (each
period's hours rounded up, in arrears, no prepay). Called as Excel calls it: columns as 2-D
lists of one-element rows, counts as floats, optional arguments as None; bad input is one
readable line in the cell, never a traceback.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing_model import udfs as udf
from billing_model.core.invoices import COLUMNS as INVOICE_COLUMNS
from billing_model.core.invoices import invoice_schedule
from billing_model.service import scenario_from_mapping

D = Decimal
ORDER = dt.datetime(2026, 1, 1)


def _schedule(hours, *, ramp=0.0, term=2.0, committed=None, prepay=None, rate=1.1, **given):
    """BM_INVOICE_SCHEDULE with the arguments in Excel's order (None: a blank cell)."""
    args = {
        "overage_rate": None,
        "currency_code": None,
        "ramp_policy": None,
        "telephony": None,
        "payment_terms_days": None,
        "license": None,
        "license_model": "hourly",
        "months_after_term": None,
        "month_to_month_rate": None,
        "hourly_rate": rate,
        **given,
    }
    # the wrapper takes Excel's arguments by position
    return udf.BM_INVOICE_SCHEDULE(ORDER, committed, prepay, ramp, term, hours, *args.values())


def _engine(contract: dict, hours: list, usage: dict | None = None) -> list[list]:
    """The engine's schedule of the same contract from a scenario file's tables, as the rows
    the function spills (dates as datetimes, numbers as floats)."""
    data = {
        "contract": {
            "order_date": "2026-01-01",
            "license": "pc2",
            "license_model": "hourly",
            **contract,
        },
        "usage": {"hours": hours, **(usage or {})},
    }
    rows = []
    for line in invoice_schedule(scenario_from_mapping(data, name="engine")).itertuples():
        row = [getattr(line, c) for c in INVOICE_COLUMNS]
        for i in (0, 1, 4, 5):
            row[i] = dt.datetime.combine(row[i], dt.time())
        row[7], row[8] = float(row[7]), float(row[8])
        rows.append(row)
    return rows


def test_the_vendors_example_bills_223_hours_at_1_10():
    rows = _schedule([[222.34], [100.0], [None]])
    assert rows[0] == list(INVOICE_COLUMNS)
    assert [(r[6], r[8]) for r in rows[1:]] == [(223.0, 245.3), (100.0, 110.0)]
    assert rows[1:] == _engine({"hourly_rate": D("1.10"), "term_months": 2}, [D("222.34"), D(100)])


@pytest.mark.parametrize(
    ("given", "contract"),
    [
        ({"ramp": 2.0, "term": 3.0}, {"ramp_months": 2, "term_months": 3}),
        (
            {"ramp": 2.0, "term": 3.0, "ramp_policy": "no-software-charges"},
            {"ramp_months": 2, "term_months": 3, "ramp_policy": "no-software-charges"},
        ),
        (
            {
                "months_after_term": 2.0,
                "month_to_month_rate": 1.35,
                "currency_code": "JPY",
                "rate": 151.0,
            },
            {
                "months_after_term": 2,
                "month_to_month_rate": D("1.35"),
                "currency": "JPY",
                "hourly_rate": 151,
            },
        ),
        (
            {"license": "pc3", "payment_terms_days": 45.0, "telephony": [[12.5], [0], [7.25]]},
            {"license": "pc3", "payment_terms_days": 45},
        ),
    ],
    ids=["ramp-actual-usage", "ramp-not-charged", "month-to-month-jpy", "pc3-telephony"],
)
def test_the_schedule_is_the_engines(given, contract):
    hours = [10.2, 0.0, 3100.25, 2999.0, 0.01, 7.0, 8.5]
    ramp, term = given.pop("ramp", 0.0), given.pop("term", 2.0)
    after = int(given.get("months_after_term") or 0)
    n = int(ramp + term) + after
    contract = {"hourly_rate": D("1.1"), "ramp_months": 0, "term_months": 2, **contract}
    telephony = given.get("telephony")
    expected_hours = [D(repr(h)) for h in hours[:n]]
    data_extra = {}
    if telephony is not None:
        data_extra = {"telephony": [D(repr(v[0])) for v in telephony] + [0] * (n - len(telephony))}
    rows = _schedule([[h] for h in hours[:n]], ramp=ramp, term=term, **given)
    expected = _engine(contract, expected_hours, data_extra)
    assert rows[1:] == expected
    assert any("billable hours" in r[2] for r in rows[1:])


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            lambda: _schedule([[1.0], [2.0]], rate=None),
            "hourly_rate: missing; accepted: a number >= 0 (price per billable hour)",
        ),
        (
            lambda: _schedule([[1.0], [2.0]], rate="abc"),
            "hourly_rate: expected a number, got 'abc'",
        ),
        (lambda: _schedule([[1.0], ["x"]]), "users: row 2: expected a number, got 'x'"),
        (lambda: _schedule([[1.0], [-1.0]]), "users: row 2: -1 is not accepted"),
        (
            lambda: _schedule([[1.0], [2.0]], committed=5.0),
            "committed_users: 5 with license_model 'hourly'; accepted: 0 or left out",
        ),
    ],
    ids=["no-rate", "text-rate", "text-hours", "negative-hours", "a-commitment"],
)
def test_bad_input_is_one_readable_line(call, expected):
    text = call()
    assert isinstance(text, str) and "\n" not in text and "Traceback" not in text
    assert text.startswith(expected)


def test_named_lines_are_billed_as_before():
    """The users column still counts users when the model is not hourly (hourly_rate unused)."""
    rows = udf.BM_INVOICE_SCHEDULE(ORDER, 10.0, 100.0, 0.0, 1.0, [[12.0]])
    assert [r[2] for r in rows[1:]] == [
        "PureCloud 2 / CX 2 named users, prepay (committed)",
        "PureCloud 2 / CX 2 named users above the commitment",
    ]
