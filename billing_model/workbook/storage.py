"""The Storage sheet: the daily storage model, billed storage, retention choices.

The rules are formulas of :mod:`billing_model.formulas.storage` (window sums, GB rounding, life
days, steady state), :mod:`~billing_model.formulas.periods` and
:mod:`~billing_model.formulas.money`; this module places them.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import numpy as np

from ..core.allowances import STORAGE_OVERAGE_USD_PER_GB, per_user_allowance
from ..core.contract import Contract
from ..core.invoice_figures import storage_overage_invoiced
from ..core.invoices import fair_use_allowances, storage_usage
from ..core.limits import LIMITS
from ..core.money import line_amount
from ..core.storage import StorageSettings, storage_forecast
from ..core.storage_figures import (
    calls_per_day,
    grid_daily,
    retention_choice,
    steady_calls_per_day,
)
from ..formulas import allowances as fa
from ..formulas import invoice_figures as fif
from ..formulas import invoices as fi
from ..formulas import money as fm
from ..formulas import periods as fp
from ..formulas import storage as fs
from ..formulas import storage_figures as fsf
from .charts import active_only
from .context import DATE, GB, INT, NUM, Ctx, extend, header, num, title
from .grid import GridValues, grid_scenario
from .layout import Chart, Highlight, Series, Sheet, Table, a1, column_letter, ref


def storage_rate_input(contract: Contract) -> tuple[Decimal | str, str]:
    """The storage overage rate input as ``invoices`` prices it: the contract's rate, else the
    published 0.25 USD/GB in USD, else empty and flagged (never a silent 0)."""
    if contract.storage_overage_rate is not None:
        return contract.storage_overage_rate, (
            "Per GB-month of storage above the allowance: the "
            "contract's rate (published example 0.25 USD/GB, "
            "docs/rules.md#storage-overage)."
        )
    if contract.currency == "USD":
        return Decimal(repr(STORAGE_OVERAGE_USD_PER_GB)), (
            "Per GB-month of storage above the allowance: the published example 0.25 USD/GB, "
            "as billing-model invoices defaults it (docs/rules.md#storage-overage)."
        )
    return "", (
        f"REQUIRED when storage goes over the allowance: the contract's rate in "
        f"{contract.currency} (0.25 per GB is a USD figure). Empty: an overage line "
        "shows #N/A instead of a silent 0."
    )


def workbook_settings(ctx: Ctx) -> StorageSettings:
    """The storage settings the Inputs sheet holds: the scenario's, or the what-if zeros."""
    st = ctx.scenario.storage
    return (
        st
        if st is not None
        else StorageSettings(calls_per_month=0, avg_minutes=0, retention_days=0)
    )


def grid_settings(ctx: Ctx) -> StorageSettings:
    """:func:`workbook_settings` over the grid's periods: a ``calls_per_month`` list gives one
    value per period of the contract (as the loader checks), the grid holds more periods, each
    past the list repeating its last value as the Storage sheet's calls column does."""
    settings = workbook_settings(ctx)
    calls = settings.calls_per_month
    if not isinstance(calls, tuple):
        return settings
    return replace(settings, calls_per_month=tuple(extend(calls, ctx.periods)))


def engine_figures(ctx: Ctx) -> dict:
    """The storage engine's figures for every cell of the sheet, as built: the forecast per
    period (:func:`~billing_model.core.storage.storage_forecast`) and the daily model
    (:func:`~billing_model.core.storage.storage_daily`) over the grid's 31 days a period, the
    days after the last period without calls."""
    s, P = ctx.scenario, ctx.periods
    c = s.contract
    settings = workbook_settings(ctx)
    allowance = fair_use_allowances(grid_scenario(ctx), "storage_gb")  # the whole grid
    forecast = storage_forecast(
        grid_settings(ctx),
        c.order_date,
        P,
        timezone=c.billing_timezone,
        allowance_gb=allowance,
        currency=c.currency,
    )
    # the daily formulas give calls only before the end of ramp + term (k < Periods): the
    # engine's daily model over the scenario's own periods, the grid's later days without calls
    daily = grid_daily(settings, c.order_date, s.periods, 31 * P, timezone=c.billing_timezone)
    dates = np.datetime64(c.order_date, "D") + np.arange(31 * P)
    return {
        **daily,
        "day_calls": daily["calls"],
        "forecast": forecast,
        "allowance": allowance,
        "calls": grid_settings(ctx).calls_by_period(P),
        "dates": dates.astype(object),
    }


def storage_sheet(ctx: Ctx, sheet: Sheet) -> None:
    s, book, P = ctx.scenario, ctx.book, ctx.periods
    title(
        sheet,
        "Storage forecast",
        "Daily model (columns N-R) as formulas over the Inputs: each day of period k gets "
        "calls / days calls (none after the last period);",
    )
    sheet.text(
        3,
        1,
        "a day stores GB per call x the calls of the last life days (retention, or until "
        "archived), audio + screen; a period bills its largest daily total.",
        style="intro",
    )
    head = 4
    first, last = head + 1, head + P
    days_cap = 31 * P
    d_head = head
    d_first, d_last = d_head + 1, d_head + days_cap
    DC = 14  # first column of the daily model
    cols = [
        "Period k",
        "Start",
        "End",
        "Days",
        "Calls",
        "Calls per day",
        "New GB",
        "Billed GB",
        "Allowance GB",
        "Overage GB",
        "Overage invoiced",
        "Largest day GB",
        "New GB, unrounded",
    ]
    header(sheet, head, 1, cols)
    widths = [9, 12, 12, 7, 12, 12, 11, 12, 13, 12, 14, 13, 13]
    sheet.widths.update({i + 1: w for i, w in enumerate(widths)})
    calls = s.storage.calls_per_month if s.storage is not None else None
    eng = engine_figures(ctx)
    fc = eng["forecast"]
    if isinstance(calls, tuple):  # over the whole grid: past the scenario's, the last repeated
        calls = tuple(extend(calls, P))
    # the engines' overage and what it bills per period (the Invoices' storage lines), as results
    rate = storage_rate_input(s.contract)[0]
    allowance = GridValues(ctx, rate).allowance["storage_gb"]
    overage, cost = storage_overage_invoiced(
        storage_usage(s) if s.storage is not None else None,  # the daily model's: [storage]
        allowance,
        rate if isinstance(rate, Decimal) else None,
        s.contract.currency,
        billed=s.periods,
        periods=P,
    )
    for i in range(P):
        r = first + i
        k = a1(r, 1)
        start, end = fc["period_start"].iloc[i], fc["period_end"].iloc[i]
        days = (end - start).days + 1
        sheet.put(r, 1, i, fmt="0")
        sheet.put(r, 2, "=" + fp.period_start(k), fmt=DATE, result=start)
        sheet.put(r, 3, "=" + fp.period_end(k), fmt=DATE, result=end)
        sheet.put(r, 4, f"={a1(r, 3)}-{a1(r, 2)}+1", fmt="0", result=days)
        if isinstance(calls, tuple) and i > 0:
            sheet.put(r, 5, num(calls[i]), style="input", fmt=INT)
        else:
            sheet.put(r, 5, "=CallsPerMonth", fmt=INT, result=float(eng["calls"][0]))
        sheet.put(
            r,
            6,
            "=" + fsf.calls_per_day(a1(r, 5), a1(r, 4)),
            fmt=NUM,
            result=calls_per_day(eng["calls"][i], days),
        )
        day0, day1 = f"({a1(r, 2)}-OrderDate+1)", f"({a1(r, 3)}-OrderDate+1)"
        in_term = f"{k}<Periods"
        sheet.put(
            r,
            12,
            f"=IF({in_term},MAX(INDEX(DailyStoredGB,{day0}):INDEX(DailyStoredGB,{day1})),0)",
            fmt="0.000000",
            style="muted",
            result=float(eng["largest_day"][i]) if i < s.periods else 0,
        )
        billed = i < s.periods  # past ramp + term the daily columns compute 0
        # a period's new GB in closed form: calls per day x days x GB per call
        sheet.put(
            r,
            13,
            f"=IF({in_term},{fs.period_new_gb(a1(r, 6), a1(r, 4))},0)",
            fmt="0.000000",
            style="muted",
            result=float(eng["new_unrounded"][i]) if billed else 0,
        )
        sheet.put(
            r,
            7,
            "=" + fs.round_gb(a1(r, 13)),
            fmt=GB,
            result=float(fc["new_gb"].iloc[i]) if billed else 0,
        )
        sheet.put(
            r,
            8,
            "=" + fs.round_gb(a1(r, 12)),
            fmt=GB,
            style="calc",
            result=float(fc["stored_gb"].iloc[i]) if billed else 0,
        )
        sheet.put(
            r, 9, f"=INDEX(AllowanceStorageGB,{k}+1)", fmt=GB, result=float(eng["allowance"][i])
        )
        # the invoice's own rule (formulas.invoices): one overage answer, the invoiced one
        sheet.put(
            r, 10, "=" + fi.fair_use_overage(k, a1(r, 8), a1(r, 9)), fmt=GB, result=overage[i]
        )
        sheet.put(
            r,
            11,
            "=" + fif.fair_use_amount(a1(r, 10), "StorageOverageRate"),
            fmt=ctx.money,
            result=num(cost[i]) if cost[i] is not None else "#N/A",
        )
    book.name("StorageBilledGB", sheet, first, 8, last, 8)
    book.name("StorageOverageGB", sheet, first, 10, last, 10)
    book.name("StorageCallsPerPeriod", sheet, first, 5, last, 5)
    book.name("StorageCallsPerDay", sheet, first, 6, last, 6)
    sheet.tables.append(Table("StorageByPeriod", head, 1, last, len(cols)))
    sheet.highlights.append(Highlight(f"A{first}:M{last}", f"=$A{first}>=Periods", "muted"))
    tot = last + 1
    sheet.text(tot, 1, "Largest / invoiced over ramp + term", style="total")
    for cc in range(2, 12):
        sheet.put(tot, cc, None, style="total")
    # an input not accepted: the totals are #N/A (InputsOK), never a figure of a bad input
    sheet.put(
        tot,
        8,
        f"=IF(InputsOK,MAX({ref(sheet, first, 8, last)}),NA())",
        fmt=GB,
        style="total",
        result=float(fc["stored_gb"].iloc[: s.periods].max()),
    )
    sheet.put(
        tot,
        10,
        f"=IF(InputsOK,MAX({ref(sheet, first, 10, last)}),NA())",
        fmt=GB,
        style="total",
        result=max(overage),
    )
    sheet.put(
        tot,
        11,
        f"=IF(InputsOK,SUM({ref(sheet, first, 11, last)}),NA())",
        fmt=ctx.money,
        style="total",
        result=(
            "#N/A" if None in cost else num(sum((c for c in cost if c is not None), Decimal(0)))
        ),
    )
    book.name("StorageMaxGB", sheet, tot, 8)
    book.name("StorageMaxOverageGB", sheet, tot, 10)
    book.name("StorageOverageCost", sheet, tot, 11)
    sheet.text(
        tot + 1,
        1,
        "Overage invoiced: what the storage lines of the Invoices sheet bill, "
        "period by period, as the storage builds up and the allowance follows the users. "
        "The retention choices below answer another question: a month once storage is "
        "steady, against the committed users' allowance.",
        style="intro",
    )
    # the chart plots ramp + term: helper columns, right of the daily model, repeat the
    # period's start and figures while k < Periods and hold #N/A past it (charts.py); a scatter
    # chart's x axis spans the points that are not #N/A, so it follows an edited ramp or term
    hc = DC + 7  # two empty columns after the daily model's
    sheet.text(
        head - 1,
        hc,
        "For the chart: ramp + term only (#N/A past it, which charts skip)",
        style="subtitle",
    )
    header(sheet, head, hc, ["Chart: start", "Billed GB", "Allowance GB", "Overage GB"])
    rows = range(first, last + 1)

    def live(r: int) -> str:
        return f"{a1(r, 1)}<Periods"

    def active(r: int) -> bool:
        return r - first < s.periods

    active_only(sheet, book, "ChartStorageStart", rows, 2, hc, live, active, fmt=DATE)
    for j, (key, src) in enumerate((("Billed", 8), ("Allowance", 9), ("Overage", 10)), start=1):
        active_only(sheet, book, f"ChartStorage{key}", rows, src, hc + j, live, active, fmt=GB)
    for j, w_ in enumerate([12, 12, 13, 12]):
        sheet.widths[hc + j] = w_
    sheet.charts.append(
        Chart(
            "scatter",
            "Billed storage against the allowance",
            a1(tot + 2, 1, absolute=False),
            [
                Series(
                    "Billed GB",
                    ref(sheet, first, hc + 1, last),
                    ref(sheet, first, hc, last),
                    color="5B9BD5",
                ),
                Series(
                    "Allowance GB",
                    ref(sheet, first, hc + 2, last),
                    ref(sheet, first, hc, last),
                    color="70AD47",
                    dash=True,
                ),
                Series(
                    "Overage GB",
                    ref(sheet, first, hc + 3, last),
                    ref(sheet, first, hc, last),
                    color="C00000",
                ),
            ],
            y_title="GB",
            width_cm=22,
            height_cm=9,
            x_number_format="yyyy-mm",
            y_number_format="#,##0",
        )
    )
    bottom = _retention_choices(ctx, sheet, tot + 24)
    sheet.print_area = f"A1:K{bottom}"
    # the daily model, to the right: four formulas a day. Audio and screen GB are proportional
    # to the calls, so one running count of calls gives both kinds' window sums
    dcols = ["Day", "Date", "Calls", "Calls to date", "Stored GB"]
    sheet.text(
        d_head - 1,
        DC,
        "Daily model: one row per day from the order date",
        style="subtitle",
    )
    header(sheet, d_head, DC, dcols)
    for j, w_ in enumerate([7, 12, 11, 15, 13]):
        sheet.widths[DC + j] = w_
    c_day, c_date, c_calls, c_cum, c_st = range(DC, DC + len(dcols))

    # relative references: every row's formula has one shape, which LibreOffice shares as a
    # formula group (measured: the sheet recalculates ~0.7 s faster than with $-references).
    # One shape, so each column's formula is made once with the row number left as ROW and
    # filled in per day: the formula builders and a1 ran 3,348 days x 5 times (~0.03 s)
    ROW = "\0"
    day, date, calls, cum = (column_letter(c) + ROW for c in (c_day, c_date, c_calls, c_cum))
    date_formula = f"=OrderDate+{day}"
    calls_formula = (
        f"=IF({date}<{fp.period_start('Periods')},"
        f"INDEX(StorageCallsPerDay,{fp.period_of_day(date)}+1),0)"
    )
    audio = fs.stored_gb(cum, day, "DailyCallsToDate", "AudioGBPerCall", "AudioLifeDays")
    screen = fs.stored_gb(cum, day, "DailyCallsToDate", "ScreenGBPerCall", "ScreenLifeDays")
    stored_formula = f"={audio}+{screen}"
    cum_letter, calls_letter = column_letter(c_cum), column_letter(c_calls)
    # the engine's arrays as lists: a list item is read in a tenth of a NumPy scalar's time
    dates, day_calls = eng["dates"], eng["day_calls"].tolist()
    to_date = eng["calls_to_date"].tolist()
    stored = (eng["stored_audio"] + eng["stored_screen"]).tolist()
    for d in range(days_cap):
        r = d_first + d
        row = str(r)
        sheet.put(r, c_day, d, fmt="0")
        sheet.put(r, c_date, date_formula.replace(ROW, row), fmt=DATE, result=dates[d])
        # the day's period k (MATCH on the period starts) picks its calls per day
        sheet.put(
            r,
            c_calls,
            calls_formula.replace(ROW, row),
            fmt=NUM,
            result=float(day_calls[d]),
        )
        prev = "0" if d == 0 else f"{cum_letter}{r - 1}"
        sheet.put(
            r,
            c_cum,
            f"={prev}+{calls_letter}{row}",
            fmt=NUM,
            result=float(to_date[d]),
        )
        sheet.put(
            r,
            c_st,
            stored_formula.replace(ROW, row),
            fmt=GB,
            result=float(stored[d]),
        )
    book.name("DailyCallsToDate", sheet, d_first, c_cum, d_last, c_cum)
    book.name("DailyStoredGB", sheet, d_first, c_st, d_last, c_st)
    sheet.freeze = a1(head + 1, 1, absolute=False)


RETENTION_CHOICES = (30, 90, 180, 365, 730)


def _retention_choices(ctx: Ctx, sheet: Sheet, row: int) -> int:
    """Steady-state storage for a few retention choices against the committed allowance."""
    s = ctx.scenario
    sheet.text(
        row,
        1,
        "Retention choices: overage per month once storage is steady (a volume "
        "run longer than the retention), not an invoiced figure",
        style="subtitle",
    )
    row += 1
    sheet.text(
        row,
        1,
        "Calls per day = CallsPerMonth x 12 / 365; stored GB = calls per day x "
        "days kept x GB per call; allowance = the committed users' only. It differs from "
        "the overage invoiced above, which follows the build-up of storage and the users "
        "of each period. Edit the yellow retention days to try others.",
        style="intro",
    )
    row += 1
    cols = (1, 2, 3, 5, 6, 8, 9)  # beside the per-period table: skip its narrow Days column
    for col, label in zip(
        cols,
        [
            "Retention days",
            "Audio GB",
            "Screen GB",
            "Stored GB",
            "Allowance GB",
            "Over by GB",
            "Steady overage per month",
        ],
        strict=True,
    ):
        sheet.text(row, col, label, style="header")
    for col in (4, 7):
        sheet.put(row, col, None, style="header")
    sheet.heights[row] = 30
    allowance = "+".join(
        f"{n['committed']}*{fa.per_user_allowance(n['license'], n['model'], 'storage_gb')}"
        for n in ctx.product_names
    )
    c_ret, c_audio, c_screen, c_total, c_allow, c_over, c_cost = cols
    screen_cap = LIMITS["screen_retention_days"].whole("maximum")
    settings = workbook_settings(ctx)
    c = s.contract
    # the engine's figures for each choice: its settings with that retention
    calls_a_day = steady_calls_per_day(settings.calls_by_period(s.periods)[0])  # CallsPerMonth
    allowed = sum(
        p.committed_users * per_user_allowance(p.license, p.license_model, "storage_gb")
        for p in s.products
    )
    first = row + 1
    retention = None if s.storage is None else s.storage.retention_days
    choices = [d for d in RETENTION_CHOICES if d != retention]  # the Inputs' row answers it
    options: tuple[str | int, ...] = ("=RetentionDays", *choices)
    for i, days in enumerate(options):
        r = first + i
        ret = a1(r, c_ret)
        kept = settings.retention_days if isinstance(days, str) else days
        sheet.put(r, c_ret, days, fmt=INT, style="calc" if i == 0 else "input", result=kept)
        cpd = fsf.steady_calls_per_day("CallsPerMonth")
        audio_days = fs.audio_life_days(ret)
        # a screen recording kept "as the audio" stops at the vendor's one-year cap
        screen_days = fs.screen_life_days(f"MIN({ret},{screen_cap})")
        audio, screen, over = retention_choice(settings, kept, calls_a_day, allowed)
        sheet.put(
            r,
            c_audio,
            "=" + fs.steady_state_gb(cpd, audio_days, "AudioGBPerCall"),
            fmt=GB,
            result=audio,
        )
        sheet.put(
            r,
            c_screen,
            "=" + fs.steady_state_gb(cpd, screen_days, "ScreenGBPerCall"),
            fmt=GB,
            result=screen,
        )
        sheet.put(
            r,
            c_total,
            f"={a1(r, c_audio)}+{a1(r, c_screen)}",
            fmt=GB,
            style="calc",
            result=audio + screen,
        )
        sheet.put(r, c_allow, f"={allowance}", fmt=GB, result=allowed)
        sheet.put(
            r, c_over, "=" + fsf.over_allowance(a1(r, c_total), a1(r, c_allow)), fmt=GB, result=over
        )
        sheet.put(
            r,
            c_cost,
            "=" + fm.line_amount(a1(r, c_over), "StorageOverageRate"),
            fmt=ctx.money,
            result=line_amount(over, c.storage_overage_rate or 0, c.currency),
        )
    sheet.text(first, 10, "(the Inputs' retention)", style="intro")
    row = first + len(choices) + 1
    if s.storage is not None:
        from ..core.invoices import fair_use_allowances
        from ..core.storage import max_retention

        longest = max_retention(
            s.storage,
            fair_use_allowances(s, "storage_gb"),
            s.contract.order_date,
            s.periods,
            timezone=s.contract.billing_timezone,
        )
        row += 1
        sheet.text(
            row,
            1,
            "Longest retention that stays within every period's allowance over ramp + term:",
            bold=True,
        )
        sheet.put(row, 9, longest, fmt='#,##0 "days"', style="total")
        row += 1
        sheet.text(
            row,
            1,
            "Computed by billing_model (storage.max_retention) when the workbook "
            "was built, for the scenario's inputs; it does not follow edits.",
            style="intro",
        )
    return row
