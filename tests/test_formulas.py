"""Every Excel formula twin against its engine, computed by LibreOffice on one grid of cases.

``billing_model/formulas/<engine>.py`` holds the Excel text of the rules of
``billing_model/<engine>.py``. Here each twin is written into one workbook, once per case of a
grid that includes every row of the currency, license and fair-use tables (written by the same
writers as the Sources sheet of every workbook), LibreOffice recalculates that one workbook in
one run, and each value is compared with the engine's on the same case. So a new currency,
license or allowance row that the formulas do not handle fails here, and so does a twin that
drifts from its engine.

Tolerances: money, dates, counts and labels are compared exactly; GB and allowance figures are
floats computed by both sides in a different order, compared to 1e-9 relative.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from decimal import Decimal

import numpy as np
import pytest

from billing_model.core import (
    allowances,
    compare,
    invoices,
    licenses,
    money,
    periods,
    storage,
    storage_figures,
    usage_figures,
)
from billing_model.core.limits import LIMITS
from billing_model.formulas import allowances as fa
from billing_model.formulas import compare as fc
from billing_model.formulas import invoices as fi
from billing_model.formulas import licenses as fl
from billing_model.formulas import money as fm
from billing_model.formulas import periods as fp
from billing_model.formulas import storage as fs
from billing_model.formulas import storage_figures as fsf
from billing_model.formulas import usage_figures as fu
from billing_model.service import schedule_from_values
from billing_model.workbook.layout import Book, a1, ref
from billing_model.workbook.sources import currency_table, fair_use_table, license_table
from billing_model.workbook.writer import write_book
from tests import workbooks

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


def _storage(g: Grid) -> None:
    audio, screen = LIMITS["audio_mb_per_minute"].default, LIMITS["screen_mb_per_minute"].default
    for share, minutes, mb in (
        (1.0, 3.0, audio),
        (0.25, 4.5, screen),
        (0.0, 9.0, audio),
        (0.7, 1440.0, 1000.0),
    ):
        settings = storage.StorageSettings(
            calls_per_month=1,
            avg_minutes=minutes,
            retention_days=30,
            recorded_share=share,
            audio_mb_per_minute=mb,
        )
        g.add(
            "storage",
            f"gb per call {share} {minutes} {mb}",
            (share, minutes, mb),
            fs.gb_per_call,
            settings.audio_gb_per_call,
        )
    for retention, screen_days, archive in itertools.product(
        (30, 400), (None, 7, 365), (None, 10, 45)
    ):
        settings = storage.StorageSettings(
            calls_per_month=1,
            avg_minutes=1,
            retention_days=retention,
            screen_retention_days=screen_days,
            archive_after_days=archive,
        )
        inputs = (retention, screen_days, archive)
        label = f"{retention}/{screen_days}/{archive}"
        g.add(
            "storage",
            "audio life " + label,
            inputs,
            lambda r, s, a: fs.audio_life_days(r, a),
            settings.audio_life_days,
        )
        g.add(
            "storage",
            "screen life " + label,
            inputs,
            fs.screen_life_days,
            settings.screen_life_days,
        )
        # screen recordings too, unless they would outlive the vendor's one-year cap
        share = 0.0 if screen_days is None and retention > 365 else 0.2
        both = storage.StorageSettings(
            calls_per_month=1,
            avg_minutes=3,
            retention_days=retention,
            screen_retention_days=screen_days,
            archive_after_days=archive,
            screen_share=share,
        )
        for per_day in (0.0, 1000.0, 1479.45):
            g.add(
                "storage",
                f"steady state {label} {per_day}/day",
                (
                    per_day,
                    both.audio_life_days,
                    both.audio_gb_per_call,
                    both.screen_life_days,
                    both.screen_gb_per_call,
                ),
                lambda c, ad, ag, sd, sg: (
                    fs.steady_state_gb(c, ad, ag) + "+" + fs.steady_state_gb(c, sd, sg)
                ),
                storage.steady_state_gb(both, per_day),
            )
    new = np.asarray(WINDOW_NEW)
    for life in (0, 1, 3, 7, 12):
        expected = storage._window_sum(new, life)
        for d in range(new.size):
            g.add(
                "storage",
                f"window {life} days, day {d}",
                (d, life),
                lambda day, lf, d=d: fs.window_sum(f"INDEX(WinCum,{day}+1)", day, lf, "WinCum"),
                float(expected[d]),
            )
    # the Storage sheet's figures: calls per day of a period, the retention choices
    for calls, days in ((3100, 31), (1000.5, 28), (0, 30), (1479.45, 29)):
        g.add(
            "storage",
            f"calls per day {calls}/{days}",
            (calls, days),
            fsf.calls_per_day,
            storage_figures.calls_per_day(calls, days),
        )
    cap = LIMITS["screen_retention_days"].maximum
    for calls, screen_days, archive, allowance in itertools.product(
        (36500, 3100.5), (None, 90), (None, 60), (0.0, 50.0, 1e6)
    ):
        settings = storage.StorageSettings(
            calls_per_month=calls,
            avg_minutes=4,
            retention_days=30,
            screen_share=0.25,
            screen_retention_days=screen_days,
            archive_after_days=archive,
        )
        g.add(
            "storage",
            f"steady calls a day {calls}",
            (calls,),
            fsf.steady_calls_per_day,
            storage_figures.steady_calls_per_day(calls),
        )
        for kept in (30, 400, 730):
            audio, screen, over = storage_figures.retention_choice(
                settings, kept, storage_figures.steady_calls_per_day(calls), allowance
            )
            inputs = (
                calls,
                kept,
                screen_days,
                archive,
                settings.audio_gb_per_call,
                settings.screen_gb_per_call,
                allowance,
            )
            label = f"retention {kept} of {calls}/{screen_days}/{archive} over {allowance}"

            def audio_f(c, r, sd, a, ag, sg, al):
                return fs.steady_state_gb(fsf.steady_calls_per_day(c), fs.audio_life_days(r, a), ag)

            def screen_f(c, r, sd, a, ag, sg, al):
                return fs.steady_state_gb(
                    fsf.steady_calls_per_day(c), fs.screen_life_days(f"MIN({r},{cap})", sd, a), sg
                )

            g.add("storage", "audio " + label, inputs, audio_f, audio)
            g.add("storage", "screen " + label, inputs, screen_f, screen)
            g.add(
                "storage",
                "over " + label,
                inputs,
                lambda *x: fsf.over_allowance(f"{audio_f(*x)}+{screen_f(*x)}", x[-1]),
                over,
            )
    for x in (0.0005, 0.0015, 0.0025, 2.0004999, 12.3456789, 1300.0, 0.1 + 0.2, 7.1235):
        g.add(
            "storage", f"round gb {x!r}", (x,), fs.round_gb, float(np.round(x, storage.GB_DECIMALS))
        )


#: schedules for the first-year twin: an anchor day clamped in February (2024 a leap year), a
#: ramp whose arrears cross the year's end, 45-day terms (cash), a partner schedule (no amounts)
FIRST_YEAR = (
    (
        "2024-01-31",
        dict(
            committed_users=10,
            prepay_rate=99.99,
            ramp_months=0,
            term_months=14,
            users=[10, 12] * 7,
            overage_rate=120,
        ),
    ),
    (
        "2026-03-30",
        dict(
            committed_users=40,
            prepay_rate=171.115,
            ramp_months=3,
            term_months=12,
            users=[5, 20, 38] + [44] * 12,
            overage_rate=171.115,
            currency="EUR",
            payment_terms_days=45,
        ),
    ),
    (
        "2025-12-31",
        dict(
            committed_users=3,
            prepay_rate=1234,
            ramp_months=1,
            term_months=24,
            users=[3] * 25,
            currency="JPY",
            channel="partner",
        ),
    ),
)


def _first_year(g: Grid) -> None:
    sheet = g.book.add_sheet("Lines")
    for j, (order, values) in enumerate(FIRST_YEAR):
        lines = schedule_from_values(order, **values)
        col = 1 + 3 * j
        for i, (d, due, a) in enumerate(
            zip(lines["invoice_date"], lines["due_date"], lines["amount"], strict=True)
        ):
            sheet.put(i + 1, col, d, fmt=DATE)
            sheet.put(i + 1, col + 1, due, fmt=DATE)
            if a is not None:
                sheet.put(i + 1, col + 2, float(a))
        n = len(lines)
        dates, dues, amounts = (ref(sheet, 1, col + i, n, col + i) for i in range(3))
        day = dt.date.fromisoformat(order)
        for by, column in (("invoice_date", dates), ("due_date", dues)):
            g.add(
                "first year",
                f"first year {order} by {by}",
                (day,),
                lambda o, c=column, a=amounts: fi.first_year_cost(c, a, o),
                invoices.first_year_cost(lines, day, by=by),
            )
        upto = invoices.invoiced_to_date(lines)
        for m in (0, 1, 2, 11, 12, 13, 30):
            g.add(
                "first year",
                f"invoiced before month {m} of {order}",
                (day,),
                lambda o, m=m, c=dates, a=amounts: fi.invoiced_before(fp.period_start(m, o), c, a),
                upto(periods.anchor_dates(day, [m])[0].astype(object)),
            )
        g.add(
            "first year",
            f"first year end {order}",
            (day,),
            fi.first_year_end,
            invoices.first_year_end(day),
            fmt=DATE,
        )


def _compare(g: Grid) -> None:
    """The Summary's break-even: one period's named line (users x rate, rounded) / the peak."""
    hand = (
        (45, "115", 24, "USD"),
        (45, "115", 24, "JPY"),
        (100, "1", 3, "EUR"),
        (1, "0.01", 2, "USD"),
        (7, "0.0115", 3, "GBP"),
        (10, "99.99", 0, "USD"),
        (0, "99.99", 5, "USD"),
    )
    rng = np.random.default_rng(22)
    codes = sorted(money.CURRENCIES)
    drawn = tuple(
        (
            int(rng.integers(0, 5000)),
            f"{rng.integers(0, 50000) / 100:.2f}",
            int(rng.integers(0, 3000)),
            codes[int(rng.integers(len(codes)))],
        )
        for _ in range(40)
    )
    for named, rate, peak, code in hand + drawn:
        cost = money.line_amount(named, rate, code)
        expected = compare.break_even_rate(cost, peak, code)
        g.add(
            "compare",
            f"break-even {named} x {rate} / {peak} {code}",
            (code, named, float(rate), peak),
            lambda c, n, r, p: fc.break_even_rate(
                fm.line_amount(n, r, fm.minor_units(c)), p, fm.minor_units(c)
            ),
            expected,
        )


def _usage_figures(g: Grid) -> None:
    """The Usage sheet's billed count per license model; the Summary's concurrent / named."""
    for model, named, conc in itertools.product(
        ("named", "concurrent"), (0, 45, 112), (0, 24, 112)
    ):
        g.add(
            "usage figures",
            f"billed {model} {named}/{conc}",
            (model, named, conc),
            fu.billed_count,
            usage_figures.billed_count(model, named, conc),
        )
        g.add(
            "usage figures",
            f"share {named}/{conc}",
            (named, conc),
            fu.concurrent_share,
            usage_figures.concurrent_share(named, conc),
        )


@functools.cache
def _grid() -> Grid:
    """Every twin on its cases (made once per process: by the writer and for the checks)."""
    g = Grid()
    for add in (
        _money,
        _licenses,
        _allowances,
        _periods,
        _invoices,
        _storage,
        _compare,
        _first_year,
        _usage_figures,
    ):
        add(g)
    return g


#: the case workbook, one of the session's workbooks (tests/workbooks.py)
TWINS = workbooks.custom("formula-twins", lambda path: write_book(_grid().book, path))


@pytest.fixture(scope="module")
def results(workbook_store) -> dict[str, list[tuple[str, object, object]]]:
    """``{twin: [(case, workbook value, engine value), ...]}`` from ONE LibreOffice run."""
    g = _grid()
    ws = workbook_store.book(TWINS)["Cases"]
    got: dict[str, list[tuple[str, object, object]]] = {}
    for twin, cases in g.cases.items():
        for label, (row, col), expected in cases:
            value = ws.cell(row, col).value
            got.setdefault(twin, []).append((label, value, expected))
    return got


def _same(value: object, expected: object) -> bool:
    if isinstance(expected, Decimal):  # money: exact, as the cell's float read back
        return value is not None and Decimal(repr(float(value))) == expected
    if isinstance(expected, dt.date):
        return isinstance(value, dt.datetime) and value.date() == expected
    if expected is None:
        return value in (None, "")
    if isinstance(expected, str):
        return value == expected
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return bool(np.isclose(value, float(expected), rtol=1e-9, atol=1e-12))


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    "twin",
    [
        "money",
        "licenses",
        "allowances",
        "periods",
        "invoices",
        "storage",
        "compare",
        "first year",
        "usage figures",
    ],
)
def test_twin_equals_its_engine(results, twin):
    cases = results[twin]
    wrong = [
        (label, value, expected) for label, value, expected in cases if not _same(value, expected)
    ]
    assert not wrong, f"{len(wrong)} of {len(cases)} {twin} cases differ: {wrong[:8]}"


@pytest.mark.libreoffice
def test_every_table_row_is_a_case(results):
    labels = {twin: " ".join(label for label, _v, _e in cases) for twin, cases in results.items()}
    for code in money.CURRENCIES:
        assert f"minor_units {code}" in labels["money"]
    for lic in licenses.LICENSE_KEYS:
        assert f"{lic} named storage_gb" in labels["allowances"]
        assert lic in labels["licenses"]
    for lic, model in allowances.FAIR_USE:
        assert f"{lic} {model} api_requests 30/20" in labels["allowances"]


@pytest.mark.libreoffice
def test_the_currency_table_drives_the_decimals(results):
    # JPY's row says 0 decimals: 2.5 JPY is 3 yen, 2.5 EUR stays 2.50
    cases = {label: value for label, value, _e in results["money"]}
    assert cases["round 2.5 JPY"] == 3
    assert cases["round 2.5 EUR"] == 2.5
    assert cases["55 x 171.115 EUR"] == 9411.33
    assert cases["minor_units JPY"] == 0
