"""The Variants sheet: the scenario's variants computed by the engine (static values)."""

from __future__ import annotations

from decimal import Decimal

from ..core.contract import Scenario
from .context import DATE, INT, Ctx, edate, header, num, title
from .layout import Chart, Series, Sheet, a1, ref


def scenario_figures(scenario: Scenario) -> dict:
    """First-year cost, total contract value and per-invoice totals from the Python engine.

    First-year cost = the amounts invoiced in the first 12 months from the order date.
    """
    from ..core.invoices import invoice_schedule
    lines = invoice_schedule(scenario)
    order = scenario.contract.order_date
    year_end = edate(order, 12)
    amounts = [(d, a) for d, a in zip(lines["invoice_date"], lines["amount"], strict=True)
               if a is not None]
    return {
        "lines": lines,
        "first_year": sum((a for d, a in amounts if d < year_end), Decimal(0)),
        "total": sum((a for _d, a in amounts), Decimal(0)),
    }


def variants_sheet(ctx: Ctx, sheet: Sheet, variants: list) -> None:
    s = ctx.scenario
    title(sheet, "Variants side by side",
           "Each variant is the whole scenario with its overrides, computed by billing_model "
           "when the workbook was built (static values); the base column of the live model is "
           "on the Summary sheet.")
    head = 4
    figures = [(name, scen, scenario_figures(scen)) for name, scen in variants]
    header(sheet, head, 1, ["", *[name for name, _s, _f in figures]])
    sheet.widths[1] = 34
    for j in range(len(figures)):
        sheet.widths[2 + j] = 20
    rows = [
        ("Ramp months", lambda sc, f: sc.contract.ramp_months, INT),
        ("Ramp policy", lambda sc, f: sc.contract.ramp_policy, None),
        ("Term months", lambda sc, f: sc.contract.term_months, INT),
        ("License model", lambda sc, f: sc.contract.license_model, None),
        ("Committed users", lambda sc, f: sc.contract.committed_users, INT),
        ("Prepay rate", lambda sc, f: num(sc.contract.prepay_rate or 0), ctx.rate),
        ("First-year cost (invoiced in 12 months)", lambda sc, f: num(f["first_year"]),
         ctx.money),
        ("Total contract value", lambda sc, f: num(f["total"]), ctx.money),
        ("Contract value minus the base's",
         lambda sc, f: num(f["total"] - figures[0][2]["total"]), ctx.money),
    ]
    r = head
    for label, getter, fmt in rows:
        r += 1
        sheet.text(r, 1, label, bold=label.startswith(("First", "Total")))
        for j, (_n, scen, fig) in enumerate(figures):
            value = getter(scen, fig)
            if isinstance(value, str):
                sheet.text(r, 2 + j, value)
            else:
                sheet.put(r, 2 + j, value, fmt=fmt,
                          style="total" if label.startswith(("First", "Total")) else None)
    # cumulative invoiced amount per invoice date, one column per variant
    r += 2
    sheet.text(r, 1, "Invoiced to date, by invoice date", style="subtitle")
    r += 1
    chart_head = r
    header(sheet, r, 1, ["Invoice date", *[name for name, _s, _f in figures]])
    all_dates = sorted({d for _n, _s, f in figures for d in f["lines"]["invoice_date"]})
    for i, day in enumerate(all_dates):
        rr = r + 1 + i
        sheet.put(rr, 1, day, fmt=DATE)
        for j, (_n, _sc, fig) in enumerate(figures):
            lines = fig["lines"]
            to_date = sum((a for d, a in zip(lines["invoice_date"], lines["amount"], strict=True)
                           if a is not None and d <= day), Decimal(0))
            sheet.put(rr, 2 + j, num(to_date), fmt=ctx.money)
    last = r + len(all_dates)
    sheet.charts.append(Chart(
        "line", "Invoiced to date by variant", a1(head, 3 + len(figures), absolute=False),
        [Series(name, ref(sheet, chart_head + 1, 2 + j, last),
                ref(sheet, chart_head + 1, 1, last)) for j, (name, _s, _f) in enumerate(figures)],
        y_title=s.contract.currency, width_cm=24, height_cm=12, x_number_format="yyyy-mm",
        y_number_format="#,##0"))

