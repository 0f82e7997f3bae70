"""The Summary sheet: the headline figures as formulas over the other sheets."""

from __future__ import annotations

from decimal import Decimal

from ..core.compare import break_even_rate
from ..core.invoice_figures import monthly_prepay
from ..core.invoices import invoice_totals
from ..core.licenses import BY_KEY
from ..core.money import TAX_NOTE, line_amount
from ..core.usage_figures import concurrent_share, first_measured_period, pool_billable_hours
from ..formulas import compare as fc
from ..formulas import invoice_figures as fif
from ..formulas import invoices as fi
from ..formulas import money as fm
from ..formulas import usage_figures as fu
from .context import GB, INT, PCT, Ctx, header, num, title
from .layout import Sheet, a1, ref


def _named_result(ctx: Ctx, name: str) -> object:
    """The engine result stored in the cell a defined name points to (built before)."""
    sheet_name, cell = ctx.book.names[name].rsplit("!", 1)
    col, row = cell.replace("$", " ").split()
    col_number = 0
    for letter in col:
        col_number = col_number * 26 + ord(letter) - 64
    return ctx.book.sheet(sheet_name.strip("'")).cells[(int(row), col_number)].result


def summary_sheet(ctx: Ctx, sheet: Sheet, has_variants: bool) -> None:
    s, c = ctx.scenario, ctx.scenario.contract
    title(sheet, s.quote.title if s.quote else f"Billing model: {s.name}")
    # long lines wrap over the three columns: the page prints at its width, not a fraction
    sheet.paragraph(
        2,
        "A live model: edit the yellow cells on the Inputs sheet; Excel "
        "recalculates every invoice line. " + TAX_NOTE,
        3,
    )
    sheet.widths.update({1: 40, 2: 20, 3: 64})
    r = 4
    header(sheet, r, 1, ["Figure", "Value", "How it is computed"])

    def fig(
        label: str,
        formula: str,
        fmt: str | None,
        how: str,
        *,
        style: str = "calc",
        result: object = None,
    ):
        """One figure: #N/A while an input is not accepted (InputsOK), never a stale value."""
        nonlocal r
        r += 1
        sheet.text(r, 1, label, bold=style == "total")
        gated = f"=IF(InputsOK,{str(formula).lstrip('=')},NA())"
        sheet.put(r, 2, gated, fmt=fmt, style=style, result=result)
        sheet.text(r, 3, how, style="note")
        return r

    # the engines' figures for the scenario as built
    figures = ctx.figures(s)
    totals = [a for a in invoice_totals(figures["lines"])["amount"] if a is not None]
    storage = {
        name: _named_result(ctx, name)
        for name in ("StorageMaxGB", "StorageMaxOverageGB", "StorageOverageCost")
    }
    lic = BY_KEY[c.license].label
    ramp = f"{c.ramp_months}-month ramp ({c.ramp_policy})" if c.ramp_months else "no ramp"
    main = s.products[0]
    quantity = (  # an hourly line commits nothing: its hours are billed in arrears
        "billable hours in arrears"
        + ("" if main.hourly_rate is None else f" x {main.hourly_rate} {c.currency} per hour")
        if main.hourly
        else f"{c.committed_users} committed users"
    )
    sheet.paragraph(
        3,
        f"{lic} {c.license_model}, {quantity}, "
        f"{ramp} + {c.term_months}-month term, "
        f"{c.currency}, order date {c.order_date.isoformat()} (as built; the "
        "figures below follow the inputs)",
        3,
    )
    first_year = fig(
        "First-year cost",
        "=" + fi.first_year_cost(),
        ctx.money,
        "Invoiced in the 12 months from the order date (one-time, hardware, "
        "prepay, ramp, overage, telephony, fair use).",
        style="total",
        result=figures["first_year"],
    )
    fig(
        "Total contract value",
        "=InvoiceTotal",
        ctx.money,
        "Every invoice of ramp + term (and of the months after it), the last arrears invoice "
        "included.",
        style="total",
        result=figures["total"],
    )
    ctx.book.name("FirstYearCost", sheet, first_year, 2)
    fig(
        "Invoices",
        "=SUMPRODUCT((InvoiceTotals<>0)*1)",
        INT,
        "Invoices with a non-zero total.",
        result=sum(1 for a in totals if a != 0),
    )
    fig("Largest invoice", "=MAX(InvoiceTotals)", ctx.money, "", result=max([Decimal(0), *totals]))
    fig(
        "Monthly prepay (term)",
        "="
        + fif.monthly_prepay(
            [("CommittedUsers", "PrepayRate")]
            + [(n["committed"], n["prepay"]) for n in ctx.product_names[1:]]
        ),
        ctx.money,
        "Committed users x prepay rate per license line, rounded as invoiced, per term period.",
        result=monthly_prepay(s.products, s.contract.currency),
    )
    fig("Billed periods", "=Periods", INT, "Ramp + term + months after the term.", result=s.periods)
    r += 1
    sheet.text(r, 1, "Grid check")
    sheet.put(r, 2, "=GridOK", style="calc", result=_named_result(ctx, "GridOK"))
    sheet.put(
        r,
        3,
        '=IF(InputsOK,"Every input is accepted and the grids cover ramp + term.",'
        '"Not accepted: "&InputsProblem)',
        style="note",
        result="Every input is accepted and the grids cover ramp + term.",
    )
    r += 1
    sheet.text(
        r + 1,
        1,
        "Storage"
        + ("" if s.storage is not None else " (what-if: the scenario has no [storage] forecast)"),
        style="subtitle",
    )
    r += 1
    fig(
        "Largest billed storage (StorageMaxGB)",
        "=StorageMaxGB",
        GB,
        "Largest daily total of any period of ramp + term (Storage sheet).",
        result=storage["StorageMaxGB"],
    )
    fig(
        "Biggest storage overage",
        "=StorageMaxOverageGB",
        GB,
        "GB above the fair-use allowance in the worst period.",
        result=storage["StorageMaxOverageGB"],
    )
    fig(
        "Storage overage cost (forecast)",
        "=StorageOverageCost",
        ctx.money,
        "Sum over periods of overage GB x storage overage rate.",
        result=storage["StorageOverageCost"],
    )
    sess = ctx.sessions
    if sess is not None:
        r += 1
        sheet.text(r + 1, 1, "Named vs concurrent vs hourly (from the sessions)", style="subtitle")
        r += 1
        k, named, peak = first_measured_period(sess["usage"])
        # the Usage sheet's session counts of period k (edit them: these follow)
        heads = {
            cell.value: col
            for (row, col), cell in ctx.book.sheet("Usage").cells.items()
            if row == 4
        }
        cells = [
            (heads[f"{o.name} {lic} named (sessions)"], o.name, lic)
            for o in s.orgs
            for lic in o.users
            if BY_KEY[lic].concurrent and f"{o.name} {lic} named (sessions)" in heads
        ]
        usage_row = 5 + k  # the Usage sheet's row of period k (its header is row 4)
        named_f = "+".join(ref("Usage", usage_row, col) for col, _o, _l in cells) or "0"
        peak_f = "+".join(ref("Usage", usage_row, col + 1) for col, _o, _l in cells) or "0"
        source = sess["source"]
        reached = "in total" if source.peak_rule == "cumulative" else "in a row"
        rule = "the vendor's method" if source.peak_rule == "cumulative" else "contiguous rule"
        named_row = fig(
            f"Named PureCloud users, period {k}",
            "=" + named_f,
            INT,
            "Distinct users who logged in (session data; the Usage sheet's named counts).",
            result=named,
        )
        peak_row = fig(
            f"Concurrent peak, period {k}",
            "=" + peak_f,
            INT,
            f"Highest count reached for {source.min_minutes} minutes {reached} "
            f"({rule}; the Usage sheet's concurrent counts).",
            result=peak,
        )
        named_cell, peak_cell = a1(named_row, 2), a1(peak_row, 2)
        fig(
            "Concurrent / named",
            "=" + fu.concurrent_share(named_cell, peak_cell),
            PCT,
            "A concurrent license pays off when its price is below named price / this ratio.",
            result=concurrent_share(named, peak),
        )
        named_cost = line_amount(named, c.prepay_rate or 0, c.currency)
        even = break_even_rate(named_cost, peak, c.currency)
        fig(
            "Break-even concurrent rate",
            "=" + fc.break_even_rate(fm.line_amount(named_cell, "PrepayRate"), peak_cell),
            ctx.rate,
            "Both models cost the same for this period at this concurrent rate: "
            "named users x prepay rate / peak (as the compare command).",
            result="" if even is None else num(even),
        )
        hours = pool_billable_hours(sess["usage"], k)
        hours_row = fig(
            f"Billable hours, period {k}",
            str(hours),
            INT,
            "The same users' logged-in hours, rounded up per org and license "
            "(docs/rules.md#hourly-licensing).",
            result=hours,
        )
        hourly_even = break_even_rate(named_cost, hours, c.currency)
        fig(
            "Break-even hourly rate",
            "=" + fc.break_even_rate(fm.line_amount(named_cell, "PrepayRate"), a1(hours_row, 2)),
            ctx.rate,
            "Named and hourly cost the same for this period at this rate per "
            "billable hour: named users x prepay rate / billable hours (as compare "
            "--hourly-rate).",
            result="" if hourly_even is None else num(hourly_even),
        )
    if has_variants:
        r += 1
        sheet.text(r + 1, 1, "Variants", style="subtitle")
        r += 1
        sheet.paragraph(
            r + 1,
            "The Variants sheet compares the scenario's variants side by "
            "side (first-year cost and cash, total contract value, invoiced per "
            "month), live: each variant's inputs are a column of the Variant inputs "
            "sheet (its overrides in yellow, the rest linked to the Inputs sheet), "
            "its invoices and cash flow the V1, V2, ... sheets.",
            3,
        )
        r += 1
    r += 2
    sheet.text(r, 1, "Sheets", style="subtitle")
    for name, what in (
        *([("Quote", f"the quote for {s.quote.customer}, ready to print")] if s.quote else []),
        ("Inputs", "every scenario value as a named input cell"),
        ("Invoices", "every invoice line, as formulas over the inputs"),
        ("Cash flow", "totals per invoice by due date, with a chart"),
        (
            "Usage",
            "users and usage per period, allowances"
            + (", concurrency profile" if sess is not None else ""),
        ),
        ("Storage", "daily storage model, billed storage and overage"),
        *(
            [
                ("Variants", "variants side by side, as formulas"),
                ("Variant inputs", "each variant's overrides and links to the base"),
                ("V1 invoices, V1 cash flow, ...", "each variant's invoice lines and cash flow"),
            ]
            if has_variants
            else []
        ),
        ("Sources", "rules, allowance figures, assumptions, sources"),
    ):
        r += 1
        sheet.text(r, 1, name, bold=True)
        sheet.text(r, 2, what, style="intro")
    sheet.landscape = False
    sheet.print_area = f"A1:C{r}"  # the three columns, at a readable size
