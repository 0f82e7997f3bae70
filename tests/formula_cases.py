"""The case workbook of tests/test_formulas.py (:class:`Grid`: a row of input cells and one formula
per case, the rule tables written as the Sources sheet writes them) and the cases of the billing
twins: money, licenses, allowances, periods and invoices, each with its engine's value. The
figure twins' cases: tests/formula_cases_figures.py.
"""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np

from billing_model.core import (
    allowances,
    invoices,
    licenses,
    money,
    periods,
)
from billing_model.core.limits import LIMITS
from billing_model.formulas import allowances as fa
from billing_model.formulas import invoices as fi
from billing_model.formulas import licenses as fl
from billing_model.formulas import money as fm
from billing_model.formulas import periods as fp
from billing_model.service import schedule_from_values
from billing_model.workbook.layout import Book, a1, ref
from billing_model.workbook.sources import currency_table, fair_use_table, license_table

DATE = "yyyy-mm-dd"
#: order dates: mid-month, anchor days 29-31 (clamped in February, leap year or not), the ends
#: of the accepted range
ORDER_DATES = (
    dt.date(2026, 1, 15),
    dt.date(2026, 1, 31),
    dt.date(2024, 1, 29),
    dt.date(2023, 1, 29),
    dt.date(2025, 12, 31),
    dt.date(2026, 3, 30),
    dt.date(1900, 3, 31),
    dt.date(2199, 1, 31),
)
KS = (0, 1, 2, 11, 12, 13, 25)
#: amounts at and near half a minor unit, negative, and the FAQ's 55 x 171.115 EUR
AMOUNTS = (0.005, 0.125, 1.005, 2.5, 1234.5, -0.125, 9411.325, 0.0, 99.994999)


class Grid:
    """The case workbook: each case is a row of input cells and one formula cell."""

    def __init__(self) -> None:
        self.book = Book(sheets=[])
        tables = self.book.add_sheet("Tables")
        row = fair_use_table(self.book, tables, 1)
        row = license_table(self.book, tables, row + 2)
        currency_table(self.book, tables, row + 2)
        self.sheet = self.book.add_sheet("Cases")
        self.row = 0
        self.cases: dict[str, list[tuple[str, tuple[int, int], object]]] = {}
        self.window_column()

    def add(
        self, twin: str, label: str, inputs: tuple, formula, expected, *, fmt: str | None = None
    ) -> None:
        """Inputs go to columns B.., the formula (``formula(*cells)``) to column A."""
        self.row += 1
        cells = []
        for j, value in enumerate(inputs):
            if isinstance(value, str):
                self.sheet.text(self.row, 2 + j, value)
            elif value is not None:
                self.sheet.put(
                    self.row, 2 + j, value, fmt=DATE if isinstance(value, dt.date) else None
                )
            cells.append(a1(self.row, 2 + j))
        self.sheet.put(self.row, 1, "=" + formula(*cells), fmt=fmt)
        self.cases.setdefault(twin, []).append((label, (self.row, 1), expected))

    def window_column(self) -> None:
        """A daily series and its running sums (named ``WinCum``) for the window-sum twin."""
        sheet = self.book.add_sheet("Window")
        total = 0.0
        for d, value in enumerate(WINDOW_NEW):
            total += value
            sheet.put(d + 1, 1, value)
            sheet.put(d + 1, 2, total)
        self.book.names["WinCum"] = ref(sheet, 1, 2, len(WINDOW_NEW), 2)


WINDOW_NEW = (1.5, 0.0, 2.25, 3.0, 0.5, 4.0, 1.0, 0.0, 0.0, 2.0)


def _money(g: Grid) -> None:
    for code in money.CURRENCIES:  # every row of the currency table
        g.add("money", f"minor_units {code}", (code,), fm.minor_units, money.minor_units(code))
        for amount in AMOUNTS:
            g.add(
                "money",
                f"round {amount} {code}",
                (code, amount),
                lambda c, x: fm.round_money(x, fm.minor_units(c)),
                money.round_money(amount, code),
            )
        for qty, rate in ((55, 171.115), (3, 333.335), (7, 0.0115), (250, 79.99)):
            g.add(
                "money",
                f"{qty} x {rate} {code}",
                (code, qty, rate),
                lambda c, q, r: fm.line_amount(q, r, fm.minor_units(c)),
                money.line_amount(qty, rate, code),
            )


def _licenses(g: Grid) -> None:
    for lic in licenses.LICENSES:  # every row of the license table
        g.add("licenses", lic.key, (lic.key,), fl.license_label, lic.label)


def _allowances(g: Grid) -> None:
    for lic, model, feature in itertools.product(
        licenses.LICENSE_KEYS, allowances.MODELS, allowances.FEATURES
    ):
        g.add(
            "allowances",
            f"{lic} {model} {feature}",
            (lic, model),
            lambda li, mo, f=feature: fa.per_user_allowance(li, mo, f),
            allowances.per_user_allowance(lic, model, feature),
        )
    for (lic, model), feature in itertools.product(allowances.FAIR_USE, allowances.FEATURES):
        for users, committed in ((20, 0), (10, 20), (30, 20), (0, 0)):
            g.add(
                "allowances",
                f"{lic} {model} {feature} {users}/{committed}",
                (lic, model, users, committed),
                lambda li, mo, u, c, f=feature: fa.fair_use_allowance(u, c, li, mo, f),
                float(allowances.fair_use_allowance(lic, model, feature, users, committed)),
            )


def _periods(g: Grid) -> None:
    for order, k in itertools.product(ORDER_DATES, KS):
        start, after = periods.anchor_dates(order, [k, k + 1]).astype(object)
        g.add(
            "periods",
            f"start {order} k={k}",
            (order, k),
            lambda o, kk: fp.period_start(kk, o),
            start,
            fmt=DATE,
        )
        g.add(
            "periods",
            f"end {order} k={k}",
            (order, k),
            lambda o, kk: fp.period_end(kk, o),
            after - dt.timedelta(days=1),
            fmt=DATE,
        )
        g.add(
            "periods",
            f"end {order} literal k={k}",
            (order,),
            lambda o, kk=k: fp.period_end(kk, o),
            after - dt.timedelta(days=1),
            fmt=DATE,
        )
    # the period a day falls in, from a column of period starts (the Storage sheet's daily
    # model): first and last day of a period, a clamped anchor, past the last start
    sheet = g.book.add_sheet("Starts")
    for j, order in enumerate(ORDER_DATES[:6]):
        starts = periods.anchor_dates(order, range(14))
        for i, start in enumerate(starts.astype(object)):
            sheet.put(i + 1, j + 1, start, fmt=DATE)
        column = ref(sheet, 1, j + 1, len(starts), j + 1)
        days = [order + dt.timedelta(days=n) for n in (0, 1, 27, 28, 29, 30, 31, 59, 365, 500)]
        for day, k in zip(
            days, periods.period_of_day(np.array(days, dtype="datetime64[D]"), starts), strict=True
        ):
            g.add(
                "periods",
                f"period of {day} from {order}",
                (day,),
                lambda d, c=column: fp.period_of_day(d, c),
                int(k),
            )


def _invoices(g: Grid) -> None:
    for kind, order, k in itertools.product(invoices.TIMING, ORDER_DATES[:6], (0, 1, 12)):
        if invoices.TIMING[kind] == "one-time":
            continue
        expected = periods.anchor_dates(order, [invoices.invoice_period(kind, k)])[0]
        g.add(
            "invoices",
            f"invoice date {kind} {order} k={k}",
            (order, k),
            lambda o, kk, kind=kind: fi.invoice_date(kind, kk, o),
            expected.astype(object),
            fmt=DATE,
        )
    terms = (0, 30, 45, LIMITS["payment_terms_days"].maximum)
    for order, days in itertools.product(ORDER_DATES, terms):
        g.add(
            "invoices",
            f"due {order} +{days}",
            (order, days),
            fi.due_date,
            invoices.due_date(order, days),
            fmt=DATE,
        )
    n = 8
    for users, committed, ramp, end, policy, after in itertools.product(
        (0, 40, 112), (0, 100), (0, 1, 3), (2, 4), ("actual-usage", "no-software-charges"), (0, 2)
    ):
        q = invoices.user_quantities([users] * n, committed, ramp, end, policy, after)
        for k in range(n):
            inputs = (k, users, committed, ramp, end, policy, end + after)
            label = f"{users}/{committed} ramp {ramp} to {end} +{after} {policy} k={k}"
            g.add(
                "invoices",
                "ramp " + label,
                inputs,
                lambda kk, u, c, r, e, pol, p: fi.ramp_quantity(
                    kk, u, ramp_months=r, term_end=e, ramp_policy=pol
                ),
                int(q["ramp"][k]),
            )
            g.add(
                "invoices",
                "prepay " + label,
                inputs,
                lambda kk, u, c, r, e, pol, p: fi.prepay_quantity(kk, c, ramp_months=r, term_end=e),
                int(q["prepay"][k]),
            )
            g.add(
                "invoices",
                "overage " + label,
                inputs,
                lambda kk, u, c, r, e, pol, p: fi.overage_quantity(
                    kk, u, c, ramp_months=r, term_end=e
                ),
                int(q["overage"][k]),
            )
            g.add(
                "invoices",
                "month to month " + label,
                inputs,
                lambda kk, u, c, r, e, pol, p: fi.month_to_month_quantity(
                    kk, u, term_end=e, periods=p
                ),
                int(q["month_to_month"][k]),
            )
            if committed:  # an hourly line commits nothing: its rule never reads it
                continue
            g.add(
                "invoices",
                "hourly " + label,
                inputs,
                lambda kk, u, c, r, e, pol, p: fi.hourly_quantity(
                    kk, u, ramp_months=r, term_end=e, ramp_policy=pol
                ),
                int(q["hourly"][k]),
            )
    # usage just above, below and (with float noise: 0.1 + 0.2) at the allowance
    for used, allowance, k in (
        (250_001, 250_000.0, 0),
        (10, 25.5, 0),
        (0.3, 0.1 + 0.2, 1),
        (1234.567, 1000.0, 1),
        (1234.567, 1000.0, 3),
    ):
        expected = invoices.fair_use_overage(money.to_decimal(used), allowance) if k < 3 else 0
        g.add(
            "invoices",
            f"fair use {used} - {allowance} k={k}",
            (k, used, allowance, 3),
            lambda kk, u, a, p: fi.fair_use_overage(kk, u, a, periods=p),
            expected,
        )
    for charge, k in ((0, 0), (12.5, 0), (12.5, 3)):
        g.add(
            "invoices",
            f"telephony {charge} k={k}",
            (k, charge, 3),
            lambda kk, c, p: fi.telephony_quantity(kk, c, periods=p),
            int(charge != 0 and k < 3),
        )
    for channel in ("direct", "partner"):
        lines = schedule_from_values("2026-01-15", 10, 99.99, 0, 1, [10], channel=channel)
        rate = lines["rate"].iloc[0]
        g.add(
            "invoices",
            f"partner rule {channel}",
            (channel, 99.99),
            lambda ch, r: fi.partner_blank(r, ch),
            None if rate is None else float(rate),
        )


#: the billing twins' cases, in the case workbook's order
BILLING_CASES = (_money, _licenses, _allowances, _periods, _invoices)
