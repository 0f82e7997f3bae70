"""The Quote sheet: what a customer receives, one page wide, without the model's machinery.

Built when the scenario has a ``[quote]`` table (customer, title, valid until). It shows the
customer, the validity, the contract value, the first-year cost, the payment terms and that taxes
are excluded, then the invoice lines that bill something, in the order of the invoice schedule.

The lines are pulled from the Invoices grid by formulas (Excel 2010+ and LibreOffice alike, no
FILTER and no dynamic arrays), on a hidden helper sheet, **Quote rows**, one row per grid row:

- ``key``: empty for a line that bills nothing (the engine's rule: zero quantity, or a zero
  rounded amount outside the partner channel); otherwise a whole number that sorts the lines as
  :func:`billing_model.core.invoices.invoice_schedule` does: invoice date, service start, kind
  (:data:`~billing_model.core.invoices.KINDS`), license line or charge number;
- ``rank``: ``COUNTIF(keys, "<" & key) + 1``, the line's place on the quote (1..n);
- ``line j``: the grid row whose rank is ``j`` (``MATCH(j, ranks, 0)``).

Each quote row ``j`` then reads its grid row with ``INDEX``. Every formula cell carries its value
as the engine computes it (``result=``). The print area holds the lines of the scenario as built;
a note on the sheet says when edits add lines past it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..core.invoices import KINDS, grand_total, invoice_schedule
from ..core.money import TAX_NOTE
from .context import DATE, Ctx, header, num
from .invoices import INVOICE_COLUMNS
from .layout import Sheet, a1, ref
from .variants import scenario_figures

#: the helper sheet's name (hidden)
ROWS_SHEET = "Quote rows"

#: quote columns: (heading, Invoices grid column heading, number format key, width)
QUOTE_COLUMNS = (("Invoice date", "Invoice date", "date", 12),
                 ("Due date", "Due date", "date", 12),
                 ("Description", "Description", "text", 62),
                 ("Service from", "Service start", "date", 12),
                 ("Service to", "Service end", "date", 12),
                 ("Quantity", "Quantity", "qty", 10),
                 ("Rate", "Rate", "rate", 12),
                 ("Amount", "Amount", "money", 15))

#: sort key weights: days from the order date, service start - invoice date (+ 50), kind, order
_DAY, _START, _KIND = 1_000_000, 10_000, 1_000
_START_OFFSET = 50  # arrears lines start up to 31 days before their invoice


class _Text(str):
    """Text from the scenario: written as text, never read as a formula."""


def line_key(invoice: dt.date, start: dt.date, order_date: dt.date, kind: str,
             order: int) -> int:
    """The whole number the sheet sorts lines by (same order as the engine's schedule).

    >>> line_key(dt.date(2026, 4, 1), dt.date(2026, 3, 1), dt.date(2026, 3, 1), "ramp", 1)
    31193001
    """
    return ((invoice - order_date).days * _DAY + ((start - invoice).days + _START_OFFSET) * _START
            + KINDS.index(kind) * _KIND + order)


def _grid_rows(invoices: Sheet) -> tuple[int, int, list[tuple[str, int | None, int]]]:
    """First and last row of the Invoices grid and each row's (kind, period, order)."""
    table = next(t for t in invoices.tables if t.name == "InvoiceLines")
    kind_col = INVOICE_COLUMNS.index("Kind") + 1
    k_col = INVOICE_COLUMNS.index("Period k") + 1
    seen: dict[tuple[str, int | None], int] = {}
    rows = []
    for r in range(table.first_row + 1, table.last_row + 1):
        kind = invoices.value(r, kind_col)
        k = invoices.value(r, k_col)
        order = seen.get((kind, k), 0)
        seen[(kind, k)] = order + 1
        rows.append((kind, k, order))
    return table.first_row + 1, table.last_row, rows


def quote_sheet(ctx: Ctx, sheet: Sheet, invoices: Sheet, helper: Sheet) -> None:
    """Place the Quote sheet (and its hidden helper sheet) for ``ctx.scenario`` with a quote."""
    s, book = ctx.scenario, ctx.book
    quote, c = s.quote, s.contract
    assert quote is not None, "the Quote sheet needs the scenario's [quote] table"
    lines = invoice_schedule(s, keys=True)
    n = len(lines)
    first, last, grid = _grid_rows(invoices)
    capacity = len(grid)
    col = {h: INVOICE_COLUMNS.index(h) + 1 for h in INVOICE_COLUMNS}

    # --- the helper sheet: one row per grid row -----------------------------------------------
    helper.hidden = True
    header(helper, 1, 1, ["Invoices row", "Key", "Rank", "Quote line", "Invoices row of line"])
    position = {(r.kind, None if pd.isna(r.period) else int(r.period), int(r.order)): i
                for i, r in enumerate(lines.itertuples())}
    h_first, h_last = 2, 1 + capacity
    keys_ref = ref(helper, h_first, 2, h_last)
    ranks_ref = ref(helper, h_first, 3, h_last)
    book.name("QuoteKeys", helper, h_first, 2, h_last, 2)
    book.name("QuoteRanks", helper, h_first, 3, h_last, 3)
    for i, (kind, k, order) in enumerate(grid):
        r, g = h_first + i, first + i
        helper.put(r, 1, g)
        inv, start = ref(invoices, g, col["Invoice date"]), ref(invoices, g, col["Service start"])
        qty, amount = ref(invoices, g, col["Quantity"]), ref(invoices, g, col["Amount"])
        static = KINDS.index(kind) * _KIND + order
        at = position.get((kind, k, order))
        key = ("" if at is None else
               line_key(lines.at[at, "invoice_date"], lines.at[at, "service_start"],
                        c.order_date, kind, order))
        helper.put(r, 2, f'=IF(AND(N({qty})<>0,OR(Channel="partner",N({amount})<>0)),'
                         f"({inv}-OrderDate)*{_DAY}+({start}-{inv}+{_START_OFFSET})*{_START}"
                         f'+{static},"")', result=key)
        helper.put(r, 3, f'=IF({a1(r, 2)}="","",COUNTIF({keys_ref},"<"&{a1(r, 2)})+1)',
                   result="" if at is None else at + 1)
        helper.put(r, 4, i + 1)
        helper.put(r, 5, f'=IFERROR(MATCH({a1(r, 4)},{ranks_ref},0),"")',
                   result=_match(lines, i, position, grid))

    # --- the quote ------------------------------------------------------------------------------
    sheet.text(1, 1, quote.title, style="title")
    sheet.text(2, 1, f"Prepared for {quote.customer}", style="subtitle")
    widths = [w for *_h, w in QUOTE_COLUMNS]
    sheet.widths.update({i + 1: w for i, w in enumerate(widths)})
    r = 3
    figures: list[tuple[str, object, str | None, object]] = []
    total = grand_total(lines)
    amount_col = len(QUOTE_COLUMNS)
    head = 14
    q_first, q_last = head + 1, head + capacity
    # the customer is data: text even when it starts with "=" (never a formula)
    figures.append(("Customer", _Text(quote.customer), None, None))
    figures.append(("Quote valid until", quote.valid_until, DATE, None))
    policy = "" if c.ramp_months == 0 else f" ({c.ramp_policy})"
    figures.append((
        "Contract",
        '="Order date "&TEXT(OrderDate,"yyyy-mm-dd")&", ramp "&RampMonths&" months"&'
        'IF(RampMonths=0,""," ("&RampPolicy&")")&" + term "&TermMonths&" months, in "&Currency',
        None,
        f"Order date {c.order_date.isoformat()}, ramp {c.ramp_months} months{policy} + term "
        f"{c.term_months} months, in {c.currency}"))
    figures.append(("Total contract value (the lines below)",
                    f"=SUM({ref(sheet, q_first, amount_col, q_last)})", ctx.money,
                    num(total) if total is not None else 0))
    figures.append(("First-year cost (invoiced in the first 12 months)", "=FirstYearCost",
                    ctx.money, num(scenario_figures(s)["first_year"])))
    figures.append(("Payment terms",
                    '="Net "&PaymentTermsDays&" days: each invoice is due "&PaymentTermsDays&'
                    '" days after its date"', None,
                    f"Net {c.payment_terms_days} days: each invoice is due "
                    f"{c.payment_terms_days} days after its date"))
    figures.append(("Taxes", "Taxes excluded. " + TAX_NOTE, None, None))
    if c.partner:
        figures.append(("Channel", "Quantities only: rates and amounts come through the "
                                   "partner.", None, None))
    for label, value, fmt, result in figures:
        r += 1
        sheet.text(r, 1, label, bold=True)
        if isinstance(value, _Text):
            sheet.text(r, 3, str(value))
        elif isinstance(value, str) and value.startswith("="):
            sheet.put(r, 3, value, fmt=fmt, style="total" if fmt == ctx.money else "calc",
                      result=result)
        elif isinstance(value, str):
            sheet.text(r, 3, value)
        else:
            sheet.put(r, 3, value, fmt=fmt, style="center" if fmt == DATE else None)
    r = head - 2  # the print-area note: one fixed place
    sheet.put(r, 1, f'=IF(MAX(QuoteRanks)>{n},"The inputs now give "&MAX(QuoteRanks)&'
                    f'" lines; the print area holds {n}: extend it to row "&'
                    f'({head}+MAX(QuoteRanks))&" before printing.","")',
              style="note", result="")
    header(sheet, head, 1, [h for h, *_rest in QUOTE_COLUMNS])
    sheet.text(head - 1, 1, "Invoice schedule (lines that bill nothing are left out)",
               style="subtitle")
    fmts = {"date": DATE, "text": None, "qty": "#,##0.###", "rate": "#,##0.00###",
            "money": ctx.money}
    engine_cols = {"Invoice date": "invoice_date", "Due date": "due_date",
                   "Description": "description", "Service start": "service_start",
                   "Service end": "service_end", "Quantity": "quantity", "Rate": "rate",
                   "Amount": "amount"}
    for j in range(1, capacity + 1):
        row = head + j
        at = ref(helper, h_first + j - 1, 5)
        for q, (_heading, grid_heading, kind, _w) in enumerate(QUOTE_COLUMNS, start=1):
            source = ref(invoices, first, col[grid_heading], last)
            result = ""
            if j <= n:
                value = lines.at[j - 1, engine_cols[grid_heading]]
                result = "" if value is None or (not isinstance(value, str)
                                                  and pd.isna(value)) else num(value)
            sheet.put(row, q, f'=IF({at}="","",INDEX({source},{at}))', fmt=fmts[kind],
                      result=result)
    sheet.print_area = f"A1:{a1(head + max(n, 1), amount_col, absolute=False)}"
    sheet.repeat_rows = (head, head)
    sheet.freeze = a1(head + 1, 1, absolute=False)
    sheet.landscape = True
    sheet.fit_width = True


def _match(lines: pd.DataFrame, i: int, position: dict, grid: list) -> object:
    """Result of ``MATCH(i + 1, ranks, 0)``: the 1-based grid row of the quote's line i + 1."""
    if i >= len(lines):
        return ""
    r = lines.iloc[i]
    key = (r["kind"], None if pd.isna(r["period"]) else int(r["period"]), int(r["order"]))
    return grid.index(key) + 1
