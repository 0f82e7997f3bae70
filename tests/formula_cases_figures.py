"""Cases of the figure twins for tests/test_formulas.py: storage, the first-year cost, the compare
sheet and the usage figures, each added to the case workbook (:class:`tests.formula_cases.Grid`)
with its engine's value.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import numpy as np

from billing_model.core import (
    compare,
    invoice_figures,
    invoices,
    money,
    periods,
    storage,
    storage_figures,
    usage_figures,
)
from billing_model.core.contract import Product
from billing_model.core.limits import LIMITS
from billing_model.formulas import compare as fc
from billing_model.formulas import invoice_figures as fif
from billing_model.formulas import invoices as fi
from billing_model.formulas import money as fm
from billing_model.formulas import periods as fp
from billing_model.formulas import storage as fs
from billing_model.formulas import storage_figures as fsf
from billing_model.formulas import usage_figures as fu
from billing_model.service import schedule_from_values
from billing_model.workbook.layout import ref
from tests.formula_cases import DATE, WINDOW_NEW, Grid


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
    # a day's stored GB of one recording kind: GB per call x the window sum of the calls (the
    # series above read as calls, WinCum their running count)
    for life, gb in itertools.product((0, 3, 12), (0.00144, 0.0375, 0.0)):
        expected = storage.window_stored_gb(new, gb, life)
        for d in range(new.size):
            g.add(
                "storage",
                f"stored GB {gb}/call {life} days, day {d}",
                (d, gb, life),
                lambda day, gpc, lf: fs.stored_gb(f"INDEX(WinCum,{day}+1)", day, "WinCum", gpc, lf),
                float(expected[d]),
            )
    # a period's new GB, in closed form
    for per_day, days, audio_gb, screen_gb in (
        (100.0, 31, 0.00144, 0.0),
        (3100.5 / 28, 28, 0.0036, 0.009375),
        (0.0, 30, 0.00144, 0.2),
        (1479.45 / 29, 29, 0.0, 0.0375),
    ):
        g.add(
            "storage",
            f"period new GB {per_day:.4f}/day x {days}",
            (per_day, days, audio_gb, screen_gb),
            fs.period_new_gb,
            float(storage.period_new_gb([per_day], [days], audio_gb, screen_gb)[0]),
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


def _invoice_figures(g: Grid) -> None:
    """The Summary's monthly prepay (each line rounded, summed) and the Storage sheet's overage
    invoiced (the overage at its rate, rounded; no rate and no overage is 0), in every
    currency (JPY: no decimals)."""
    lines = ((55, "171.115"), (3, "333.335"), (7, "0.0115"), (0, "99.99"), (250, "79.99"))
    for code in money.CURRENCIES:  # every row of the currency table
        for n in (1, 2, len(lines)):
            products = [
                Product("pc2", "named", users, Decimal(rate), None) for users, rate in lines[:n]
            ]
            g.add(
                "invoice figures",
                f"prepay {lines[:n]} {code}",
                (code, *(v for users, rate in lines[:n] for v in (users, float(rate)))),
                lambda c, *x: fif.monthly_prepay(
                    list(zip(x[::2], x[1::2], strict=True)), fm.minor_units(c)
                ),
                invoice_figures.monthly_prepay(products, code),
            )
        for overage, rate in ((0.0, None), (0.0, "0.25"), (12.5, "0.25"), (0.004, "0.125")):
            g.add(
                "invoice figures",
                f"overage {overage} x {rate} {code}",
                (code, overage, None if rate is None else float(rate)),
                lambda c, q, r: fif.fair_use_amount(q, r, fm.minor_units(c)),
                invoice_figures.fair_use_amount(
                    money.to_decimal(overage), None if rate is None else Decimal(rate), code
                ),
            )


#: the figure twins' cases, in the case workbook's order
FIGURE_CASES = (_storage, _compare, _first_year, _usage_figures, _invoice_figures)
