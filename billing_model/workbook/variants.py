"""The Variants sheet: the scenario's variants side by side, live.

Each variant has its own input column and usage block (:mod:`.variant_inputs`, names ``V1_...``),
its own invoice grid and cash flow (the base builders of :mod:`.invoices` on sheets ``V1 invoices``
and ``V1 cash flow``), and the Variants sheet compares them by formulas over those names: the
base column reads the base model, each variant's column its own. Every formula's ``result`` is the
engine's figure for the variant scenario.
"""

from __future__ import annotations

from ..core.invoices import invoiced_to_date
from ..core.periods import anchor_dates
from ..formulas import invoices as fi
from ..formulas import money as fm
from ..formulas import periods as fp
from .charts import active_only
from .context import DATE, INT, Ctx, header, num, title
from .invoices import cash_flow_sheet, invoices_sheet
from .layout import Chart, Series, Sheet, a1, column_letter, ref
from .variant_inputs import capacity, prefixed_names, variant_inputs_sheet


def variants_sheet(ctx: Ctx, sheet: Sheet, variants: list) -> None:
    """The Variants sheet, and behind it the Variant inputs sheet and each variant's invoice
    grid and cash flow (added to the book after ``sheet``)."""
    book = ctx.book
    inputs = book.add_sheet("Variant inputs", tab_color="7030A0")
    built = variant_inputs_sheet(ctx, inputs, variants)
    renamed: dict = {}  # each formula renamed once for all variants (prefixed_names)
    for j, v in enumerate(built, start=1):
        grid = book.add_sheet(f"V{j} invoices", tab_color="B4A7D6")
        cash = book.add_sheet(f"V{j} cash flow", tab_color="B4A7D6", landscape=False)
        with prefixed_names(book, grid, v.prefix, renamed):
            invoices_sheet(v.ctx, grid)
        with prefixed_names(book, cash, v.prefix, renamed):
            cash_flow_sheet(v.ctx, cash)
        for target, what in ((grid, "Invoice schedule"), (cash, "Invoices and cash flow")):
            target.text(
                1,
                1,
                f"{what}: variant {v.name!r} ({v.prefix}... names, inputs on the "
                "Variant inputs sheet)",
                style="title",
            )
    _comparison(ctx, sheet, variants, [""] + [v.prefix for v in built], capacity(ctx, variants))


def _comparison(ctx: Ctx, sheet: Sheet, variants: list, prefixes: list[str], cap: int) -> None:
    s = ctx.scenario
    title(sheet, "Variants side by side")
    sheet.paragraph(
        2,
        "Live: each column reads its variant's own inputs (Variant inputs sheet, "
        "linked to the base unless overridden), invoice grid and cash flow (V1 "
        "invoices, V1 cash flow, ...). The base column is the live model of the "
        "Inputs sheet. Printed: this comparison; the months below and the chart are "
        "on screen.",
        1 + len(variants),
    )
    head = 4
    figures = [ctx.figures(scen) for _n, scen in variants]
    header(sheet, head, 1, ["", *[name for name, _s in variants]])
    sheet.widths[1] = 40
    for j in range(len(variants)):
        sheet.widths[2 + j] = 20
    c = [scen.contract for _n, scen in variants]
    rows = [
        ("Ramp months", "{p}RampMonths", [x.ramp_months for x in c], INT),
        ("Ramp policy", "{p}RampPolicy", [x.ramp_policy for x in c], None),
        ("Term months", "{p}TermMonths", [x.term_months for x in c], INT),
        ("License model", "{p}LicenseModel", [x.license_model for x in c], None),
        ("Committed users", "{p}CommittedUsers", [x.committed_users for x in c], INT),
        ("Prepay rate", "{p}PrepayRate", [num(x.prepay_rate or 0) for x in c], ctx.rate),
        ("Overage rate", "{p}OverageRate", [num(x.overage_rate or 0) for x in c], ctx.rate),
        *(  # only when a main line bills hours (variant_inputs builds {p}HourlyRate then)
            [("Hourly rate", "{p}HourlyRate", [num(x.hourly_rate or 0) for x in c], ctx.rate)]
            if any(scen.products[0].hourly for _n, scen in variants)
            else []
        ),
        (
            "First-year cost (invoiced in 12 months)",
            fi.first_year_cost("{p}LineInvoiceDate", "{p}LineAmount", "{p}OrderDate"),
            [num(f["first_year"]) for f in figures],
            ctx.money,
        ),
        (
            "First-year cash (due in 12 months)",
            fi.first_year_cost("{p}LineDueDate", "{p}LineAmount", "{p}OrderDate"),
            [num(f["first_year_due"]) for f in figures],
            ctx.money,
        ),
        ("Total contract value", "{p}InvoiceTotal", [num(f["total"]) for f in figures], ctx.money),
    ]
    r = head
    for label, formula, results, fmt in rows:
        r += 1
        bold = label.startswith(("First", "Total"))
        sheet.text(r, 1, label, bold=bold)
        for j, (p, result) in enumerate(zip(prefixes, results, strict=True)):
            sheet.put(
                r,
                2 + j,
                "=" + formula.format(p=p),
                fmt=fmt,
                result=result,
                style="total" if bold else None,
            )
    total_row = r
    r += 1
    sheet.text(r, 1, "Contract value minus the base's")
    for j, f in enumerate(figures):
        sheet.put(
            r,
            2 + j,
            f"={a1(total_row, 2 + j)}-{a1(total_row, 2)}",
            fmt=ctx.money,
            result=num(f["total"] - figures[0]["total"]),
        )
    # printed: the comparison, one page wide at a readable size (the 85 months x 2 blocks of
    # the table below and the chart beside it would shrink it to a fraction)
    sheet.print_area = f"A1:{column_letter(1 + len(variants))}{r}"
    # per month from the order date: invoiced in it, and invoiced to its end (the chart)
    r += 2
    n = len(variants)
    sheet.text(
        r, 1, "Invoiced per month from the order date (left) and to date (right)", style="subtitle"
    )
    r += 1
    chart_head = r
    header(
        sheet,
        r,
        1,
        [
            "Month from",
            *[f"{name}: in month" for name, _s in variants],
            "",
            *[name for name, _s in variants],
        ],
    )
    cum = 3 + n  # first column of the to-date block
    for j in range(n):
        sheet.widths[cum + j] = 20
    order = s.contract.order_date
    upto_day = [invoiced_to_date(f["lines"]) for f in figures]
    # every month's first day in one vectorized call, not three calls of edate per month
    starts = anchor_dates(order, range(cap + 2)).astype(object)
    for m in range(cap + 1):
        rr = r + 1 + m
        sheet.put(rr, 1, "=" + fp.period_start(m), fmt=DATE, result=starts[m])
        start, end = starts[m], starts[m + 1]
        for j, (p, upto) in enumerate(zip(prefixes, upto_day, strict=True)):
            to_date = fi.invoiced_before(
                fp.period_start(m + 1), f"{p}LineInvoiceDate", f"{p}LineAmount"
            )
            sheet.put(rr, cum + j, "=" + to_date, fmt=ctx.money, result=num(upto(end)))
            before = "0" if m == 0 else a1(rr - 1, cum + j)
            month = fm.round_money(f"{a1(rr, cum + j)}-{before}", f"{p}MoneyDecimals")
            sheet.put(rr, 2 + j, "=" + month, fmt=ctx.money, result=num(upto(end) - upto(start)))
    last = r + cap + 1
    # the chart plots the months to the last invoice of the longest variant (charts.py): helper
    # columns repeat the month and the to-date figures while the month is at most the longest
    # ramp + term (its arrears invoice) and hold #N/A past it; the scatter chart's x axis spans
    # the points that are not #N/A, so it follows an edited ramp or term
    hx = cum + n + 1
    longest = max(scen.periods for _n, scen in variants)
    sheet.text(
        chart_head - 1, hx, "For the chart: months to the last invoice, up to", style="subtitle"
    )
    sheet.put(
        chart_head - 1,
        hx + n,
        "=MAX(" + ",".join(f"{p}Periods" for p in prefixes) + ")",
        fmt=INT,
        result=longest,
    )
    longest_cell = a1(chart_head - 1, hx + n)
    header(sheet, chart_head, hx, ["Chart: month", *[name for name, _s in variants]])
    sheet.widths[hx] = 12
    for j in range(n):
        sheet.widths[hx + 1 + j] = 20
    chart_rows = range(chart_head + 1, last + 1)

    def live(row: int) -> str:
        return f"{row - chart_head - 1}<={longest_cell}"

    def active(row: int) -> bool:
        return row - chart_head - 1 <= longest

    active_only(sheet, ctx.book, "ChartVariantsMonth", chart_rows, 1, hx, live, active, fmt=DATE)
    for j in range(n):
        active_only(
            sheet,
            ctx.book,
            f"ChartVariantsToDate{j + 1}",
            chart_rows,
            cum + j,
            hx + 1 + j,
            live,
            active,
            fmt=ctx.money,
        )
    sheet.charts.append(
        Chart(
            "scatter",
            "Invoiced to date by variant",
            a1(head, hx + n + 1, absolute=False),
            [
                Series(
                    name,
                    ref(sheet, chart_head + 1, hx + 1 + j, last),
                    ref(sheet, chart_head + 1, hx, last),
                )
                for j, (name, _s) in enumerate(variants)
            ],
            y_title=s.contract.currency,
            width_cm=24,
            height_cm=12,
            x_number_format="yyyy-mm",
            y_number_format="#,##0",
        )
    )
