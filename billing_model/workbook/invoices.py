"""The Invoices sheet (every possible line) and the Cash flow sheet.

Which invoice bills a line, its quantity, due date, partner rule and rounding are formulas of
:mod:`billing_model.formulas.invoices` and :mod:`billing_model.formulas.money`, the twins of the
invoice engine; this module places one row per charge that can occur.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ..core.invoices import FAIR_USE_LABELS
from ..core.invoices import due_date as due
from ..core.money import TAX_NOTE, minor_units
from ..core.periods import anchor_dates
from ..formulas import invoices as fi
from ..formulas import licenses as fl
from ..formulas import money as fm
from ..formulas import periods as fp
from .charts import active_only
from .context import DATE, FEATURES, Ctx, edate, header, num, title
from .grid import GridValues
from .layout import Chart, Highlight, Series, Sheet, Table, a1, column_letter, ref
from .storage import storage_rate_input

#: the overage rate input of each fair-use feature
FAIR_USE_RATES = {
    "ivr_minutes": "IvrOverageRate",
    "api_requests": "ApiOverageRate",
    "storage_gb": "StorageOverageRate",
}

INVOICE_COLUMNS = [
    "Invoice date",
    "Due date",
    "Description",
    "Timing",
    "Service start",
    "Service end",
    "Quantity",
    "Rate",
    "Amount",
    "Currency",
    "Period k",
    "Kind",
]


def invoices_sheet(ctx: Ctx, sheet: Sheet) -> None:
    """A fixed grid: every charge that can occur gets a row whose formulas give 0 when it does
    not apply, so changing any input (commitment, rates, ramp, term, usage) recomputes it."""
    s, book, P = ctx.scenario, ctx.book, ctx.periods
    title(
        sheet,
        "Invoice schedule",
        "Every possible line; lines that do not apply compute 0 and are greyed. Amounts = "
        "ROUND(quantity x rate, currency decimals), half up. " + TAX_NOTE,
    )
    head = 4
    header(sheet, head, 1, INVOICE_COLUMNS)
    widths = [12, 12, 74, 10, 12, 12, 12, 11, 14, 9, 9, 12]
    sheet.widths.update({i + 1: w for i, w in enumerate(widths)})
    row = head
    decimals = minor_units(s.contract.currency)
    money = "#,##0." + "0" * decimals if decimals else "#,##0"
    rate_fmt = "#,##0.00###"

    values = GridValues(ctx, storage_rate_input(s.contract)[0])
    amounts: list = []
    # a line's own formulas (due date, rate, amount) differ from row to row only by the row:
    # each is made once with the row left as ROW and filled in per line, instead of running
    # the formula builders and a1 on each of the grid's lines (4,325 in finance_ramp_study)
    ROW = "\0"
    due_formula = "=" + fi.due_date("$A$" + ROW)
    amount_formula = (
        "=IF(InputsOK," + fi.partner_blank(fm.line_amount("$G$" + ROW, "$H$" + ROW)) + ",NA())"
    )
    rate_formulas: dict[tuple[str, bool], str] = {}

    def line(
        invoice: str,
        desc: str,
        timing: str,
        start: str,
        end: str,
        qty: str,
        rate: str,
        k: int | None,
        kind: str,
        res: dict,
        *,
        desc_text: bool = False,
    ) -> None:
        """One row; ``res``: the engines' values of columns 1-3 and 5-8 (dates, description,
        quantity and the rate before the partner rule)."""
        nonlocal row
        row += 1
        r = row
        res[8], res[9] = values.money(res[7], res[8])
        if res[9] != "":
            amounts.append(Decimal(repr(res[9])) if isinstance(res[9], float) else res[9])
        row_text = str(r)
        sheet.put(r, 1, invoice, fmt=DATE, result=res[1])
        sheet.put(r, 2, due_formula.replace(ROW, row_text), fmt=DATE, result=res[2])
        if desc_text:
            sheet.text(r, 3, desc)
        else:
            sheet.put(r, 3, desc, result=res[3])
        sheet.text(r, 4, timing)
        sheet.put(r, 5, start, fmt=DATE, result=res[5])
        sheet.put(r, 6, end, fmt=DATE, result=res[6])
        sheet.put(r, 7, qty, fmt="#,##0.###", result=res[7])
        rate = rate.lstrip("=")
        required = kind in ("storage_gb", "month_to_month")  # no silent 0 for a missing rate
        rate_formula = rate_formulas.get((rate, required))
        if rate_formula is None:
            shown = fi.required_rate(rate, "$G$" + ROW) if required else rate
            rate_formula = rate_formulas[(rate, required)] = "=" + fi.partner_blank(shown)
        sheet.put(r, 8, rate_formula.replace(ROW, row_text), fmt=rate_fmt, result=res[8])
        # an input not accepted: every amount #N/A, so no sum of lines stands (InputsOK)
        sheet.put(r, 9, amount_formula.replace(ROW, row_text), fmt=money, result=res[9])
        sheet.put(r, 10, "=Currency", result=s.contract.currency)
        if k is not None:
            sheet.put(r, 11, k, fmt="0", style="center")
        sheet.text(r, 12, kind)

    # one-time charges and hardware: static rows
    for names, charge in zip(ctx.charge_names, (*s.one_time, *s.hardware), strict=True):
        day = charge.ship_date or s.contract.order_date
        line(
            f"={names['date']}",
            f"={names['description']}",
            "one-time",
            f"={names['date']}",
            f"={names['date']}",
            f"={names['quantity']}",
            f"={names['rate']}",
            None,
            "hardware" if charge.ship_date is not None else "one-time",
            {
                1: day,
                2: due(day, s.contract.payment_terms_days),
                3: charge.description,
                5: day,
                6: day,
                7: float(charge.quantity),
                8: charge.rate,
            },
        )
    # per invoice m = 0..P: the arrears of period m - 1, then the prepay of period m
    for m in range(P + 1):
        k = m - 1
        if k >= 0:
            start, end = "=" + fp.period_start(k), "=" + fp.period_end(k)
            for p, names in zip(s.products, ctx.product_names, strict=True):
                users = f"INDEX({ctx.usage_cols['users:' + p.license]},{k + 1})"
                label = f'{fl.license_label(names["license"])}&" "&{names["model"]}'
                if p.hourly:  # billable hours in arrears (docs/rules.md#hourly-licensing)
                    _hourly_rows(line, values, p, names, k, label, users, start, end)
                    continue
                line(
                    "=" + fi.invoice_date("ramp", k),
                    f'={label}&" users, ramp (actual usage)"',
                    "arrears",
                    start,
                    end,
                    "=" + fi.ramp_quantity(k, users),
                    f"={names['prepay']}",
                    k,
                    "ramp",
                    {
                        **values.dates("ramp", k),
                        3: f"{p.label} users, ramp (actual usage)",
                        7: values.users(p, "ramp", k),
                        8: p.prepay_rate or 0,
                    },
                )
                line(
                    "=" + fi.invoice_date("overage", k),
                    f'={label}&" users above the commitment"',
                    "arrears",
                    start,
                    end,
                    "=" + fi.overage_quantity(k, users, names["committed"]),
                    f"={names['overage']}",
                    k,
                    "overage",
                    {
                        **values.dates("overage", k),
                        3: f"{p.label} users above the commitment",
                        7: values.users(p, "overage", k),
                        8: p.overage_rate or 0,
                    },
                )
                # after the term without a renewal (docs/rules.md#month-to-month)
                _month_to_month_row(
                    line,
                    values,
                    p,
                    names,
                    k,
                    label,
                    users,
                    start,
                    end,
                    " users, month to month (actual usage)",
                )
            telephony = f"INDEX(Telephony,{k + 1})"
            phone = values.telephony[k] if k < len(values.telephony) else Decimal(0)
            line(
                "=" + fi.invoice_date("telephony", k),
                "Telephony",
                "arrears",
                start,
                end,
                "=" + fi.telephony_quantity(k, telephony),
                f"={telephony}",
                k,
                "telephony",
                {
                    **values.dates("telephony", k),
                    7: 1.0 if k < s.periods and phone else 0.0,
                    8: phone,
                },
                desc_text=True,
            )
            for key, _short, _label in (FEATURES[1], FEATURES[2], FEATURES[0]):
                used = f"INDEX({ctx.usage_cols[key]},{k + 1})"
                allowance = f"INDEX({ctx.usage_cols['allowance:' + key]},{k + 1})"
                shown = (
                    f'IF({allowance}=INT({allowance}),TEXT({allowance},"#,##0"),'
                    f'TEXT({allowance},"#,##0.###"))'
                )
                text, qty = values.fair_use(key, k)
                line(
                    "=" + fi.invoice_date(key, k),
                    f'="{FAIR_USE_LABELS[key]} ("&{shown}&" included)"',
                    "arrears",
                    start,
                    end,
                    "=" + fi.fair_use_overage(k, used, allowance),
                    f"={FAIR_USE_RATES[key]}",
                    k,
                    key,
                    {**values.dates(key, k), 3: text, 7: qty, 8: values.rates[key]},
                )
        if m < P:
            inv = "=" + fi.invoice_date("prepay", m)
            for p, names in zip(s.products, ctx.product_names, strict=True):
                if p.hourly:  # no commitment, no prepay
                    continue
                label = f'{fl.license_label(names["license"])}&" "&{names["model"]}'
                line(
                    inv,
                    f'={label}&" users, prepay (committed)"',
                    "advance",
                    "=" + fp.period_start(m),
                    "=" + fp.period_end(m),
                    "=" + fi.prepay_quantity(m, names["committed"]),
                    f"={names['prepay']}",
                    m,
                    "prepay",
                    {
                        **values.dates("prepay", m),
                        3: f"{p.label} users, prepay (committed)",
                        7: values.users(p, "prepay", m),
                        8: p.prepay_rate or 0,
                    },
                )
    first, last = head + 1, row
    sheet.tables.append(Table("InvoiceLines", head, 1, last, len(INVOICE_COLUMNS)))
    for col, name in (
        (1, "LineInvoiceDate"),
        (2, "LineDueDate"),
        (7, "LineQuantity"),
        (9, "LineAmount"),
        (12, "LineKind"),
    ):
        book.name(name, sheet, first, col, last, col)
    sheet.highlights.append(Highlight(f"A{first}:L{last}", f"=N($I{first})=0", "muted"))
    tot = last + 1
    sheet.text(tot, 3, "Total (all invoices)", style="total")
    for cc in range(1, 13):
        if cc not in (3, 9):
            sheet.put(tot, cc, None, style="total")
    # a value forced past validation: the total is an error, not a sum of a cut-off grid
    sheet.put(
        tot,
        9,
        f"=IF(RampMonths+TermMonths+MonthsAfterTerm>GridPeriods,NA(),"
        f"SUM({ref(sheet, first, 9, last)}))",
        fmt=money,
        style="total",
        result=num(sum(amounts, Decimal(0))),
    )
    book.name("InvoiceTotal", sheet, tot, 9)
    sheet.freeze = a1(head + 1, 1, absolute=False)


def _hourly_rows(
    line, values: GridValues, p, names: dict, k: int, label: str, hours: str, start: str, end: str
) -> None:
    """An hourly line's rows of period ``k``: its billable hours x the hourly rate through the
    term, then x the month-to-month rate (the engine's ``hourly`` and ``month_to_month``
    lines; ``hours``: the period's cell of its Usage column)."""
    line(
        "=" + fi.invoice_date("hourly", k),
        f'={label}&": billable hours (logged in, rounded up)"',
        "arrears",
        start,
        end,
        "=" + fi.hourly_quantity(k, hours),
        f"={names['hourly']}",
        k,
        "hourly",
        {
            **values.dates("hourly", k),
            3: f"{p.label}: billable hours (logged in, rounded up)",
            7: values.users(p, "hourly", k),
            8: p.hourly_rate or 0,
        },
    )
    _month_to_month_row(
        line, values, p, names, k, label, hours, start, end, ": billable hours, month to month"
    )


def _month_to_month_row(
    line,
    values: GridValues,
    p,
    names: dict,
    k: int,
    label: str,
    quantity: str,
    start: str,
    end: str,
    suffix: str,
) -> None:
    """Period ``k``'s month-to-month line of a license (users or billable hours, in arrears at
    the month-to-month rate); ``suffix`` follows the line's label in its description."""
    line(
        "=" + fi.invoice_date("month_to_month", k),
        f'={label}&"{suffix}"',
        "arrears",
        start,
        end,
        "=" + fi.month_to_month_quantity(k, quantity),
        f"={names['month_to_month']}",
        k,
        "month_to_month",
        {
            **values.dates("month_to_month", k),
            3: f"{p.label}{suffix}",
            7: values.users(p, "month_to_month", k),
            8: p.month_to_month_rate or 0,
        },
    )


def cash_flow_sheet(ctx: Ctx, sheet: Sheet) -> None:
    """Per-invoice totals and the cash flow by due date."""
    s, book, P = ctx.scenario, ctx.book, ctx.periods
    col = 1
    title(
        sheet,
        "Invoices and cash flow by due date",
        "One row per invoice: the total of its lines (Invoices sheet) and when it is due. "
        + TAX_NOTE,
    )
    head = 4
    # (the chart reads the due dates themselves: no text copy of them for its labels)
    header(sheet, head, col, ["Invoice date", "Due date", "Invoice total", "Paid to date", "Kind"])
    for j, w in enumerate([13, 13, 18, 18, 11]):
        sheet.widths[col + j] = w
    dates: list[tuple[dt.date, str, str | None]] = []  # (build-time date, formula, hardware)
    # every period's first day in one vectorized call, not an edate per period
    starts = anchor_dates(s.contract.order_date, range(P + 1)).astype(object)
    for m in range(P + 1):
        dates.append((starts[m], "=" + fp.period_start(m), None))
    for names, charge in zip(ctx.charge_names, (*s.one_time, *s.hardware), strict=True):
        if charge.ship_date is not None:  # hardware
            dates.append((charge.ship_date, f"={names['date']}", names["date"]))
    dates.sort(key=lambda d: (d[0], d[2] is not None))
    first = head + 1
    last = first + len(dates) - 1
    all_dates, all_kinds = ref(sheet, first, col, last), ref(sheet, first, col + 4, last)
    from ..core.invoices import invoice_totals

    engine = invoice_totals(ctx.figures(s)["lines"])  # the schedule the figures were made of
    by_date = {d: a for d, a in zip(engine["invoice_date"], engine["amount"], strict=True)}
    periodic = {when for when, _f, hw in dates if hw is None}
    seen: set = set()
    paid = Decimal(0)
    terms = s.contract.payment_terms_days
    for i, (when, formula, hardware) in enumerate(dates):
        # the engine's invoice total, once per date (hardware on a periodic date is on it)
        amount = (
            Decimal(0)
            if hardware and (when in periodic or when in seen)
            else (by_date.get(when) or Decimal(0))
        )
        if hardware:
            seen.add(when)
        paid += amount
        r = first + i
        sheet.put(r, col, formula, fmt=DATE, result=when)
        sheet.put(r, col + 1, "=" + fi.due_date(a1(r, col)), fmt=DATE, result=due(when, terms))
        sheet.text(r, col + 4, "hardware" if hardware else "periodic", style="muted")
        total = f"SUMIF(LineInvoiceDate,{a1(r, col)},LineAmount)"
        if hardware:
            # hardware shipped on the day of another invoice is on that invoice: count it once
            above = (
                f'+COUNTIFS({ref(sheet, first, col + 4, r - 1)},"hardware",'
                f"{ref(sheet, first, col, r - 1)},{a1(r, col)})"
                if i
                else ""
            )
            total = (
                f'IF(COUNTIFS({all_kinds},"periodic",{all_dates},{a1(r, col)}){above}>0,0,{total})'
            )
        sheet.put(r, col + 2, "=" + total, fmt=ctx.money, result=num(amount))
        prev = "0" if i == 0 else a1(r - 1, col + 3)
        sheet.put(r, col + 3, f"={prev}+{a1(r, col + 2)}", fmt=ctx.money, result=num(paid))
    book.name("InvoiceDates", sheet, first, col, last, col)
    book.name("InvoiceTotals", sheet, first, col + 2, last, col + 2)
    sheet.tables.append(Table("Invoices", head, col, last, col + 4, style="TableStyleLight11"))
    total_col = column_letter(col + 2)
    sheet.highlights.append(
        Highlight(
            f"{a1(first, col, absolute=False)}:{a1(last, col + 3, absolute=False)}",
            f"=N(${total_col}{first})=0",
            "muted",
        )
    )
    sheet.text(last + 1, col, "Total", style="total")
    sheet.put(last + 1, col + 1, None, style="total")
    sheet.put(last + 1, col + 2, "=InvoiceTotal", fmt=ctx.money, style="total", result=num(paid))
    sheet.put(last + 1, col + 3, None, style="total")
    # the chart plots ramp + term (charts.py): helper columns repeat each invoice's due date and
    # total up to the last periodic invoice (period Periods, usage in arrears) and hold #N/A
    # past it. A scatter chart draws each total as a bar at its due date (Series.bar_width_pt)
    # over the whole table: its x axis spans the points that are not #N/A, so it follows an
    # edited ramp or term, as the storage chart does (a bar chart keeps a slot per row)
    hc = col + 6
    sheet.text(
        head - 1,
        hc,
        "For the chart: ramp + term only (#N/A past it, which charts skip)",
        style="subtitle",
    )
    header(sheet, head, hc, ["Chart: due date", "Chart: total"])
    sheet.widths[hc], sheet.widths[hc + 1] = 15, 18
    end = edate(s.contract.order_date, s.periods)
    rows = range(first, last + 1)

    def live(r: int) -> str:
        return f"{a1(r, col)}<={fp.period_start('Periods')}"

    def active(r: int) -> bool:
        return dates[r - first][0] <= end

    active_only(sheet, book, "ChartCashDueDate", rows, col + 1, hc, live, active, fmt=DATE)
    active_only(sheet, book, "ChartCashDue", rows, col + 2, hc + 1, live, active, fmt=ctx.money)
    sheet.charts.append(
        Chart(
            "scatter",
            "Cash due by due date",
            a1(last + 3, col, absolute=False),
            [
                Series(
                    "Invoice total",
                    ref(sheet, first, hc + 1, last),
                    ref(sheet, first, hc, last),
                    color="1F4E79",
                    bar_width_pt=6,
                )
            ],
            y_title=s.contract.currency,
            width_cm=24,
            height_cm=9,
            x_number_format="yyyy-mm",
            y_number_format="#,##0",
            legend=False,
        )
    )
