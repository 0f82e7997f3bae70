"""The Quote sheet: the document a customer receives, laid out like a CPQ tool's quote.

Built when the scenario has a ``[quote]`` table. Every part is a formula of the inputs (the
``[quote]`` keys are named inputs on the Inputs sheet: ``QuoteSeller``, ``QuoteCustomer``, ...),
so an edit re-prices the quote. From the top, one page wide (A4 portrait):

- **Header**: the seller (company, contact, e-mail, phone); quote number, issue date, valid
  until, currency, payment terms; "Prepared for" the customer; the title and the subscription
  (order date, ramp, term).
- **Price summary**: one line per product that bills something: each license line's committed
  users (monthly in advance), its ramp and its users above the commitment (monthly in arrears),
  telephony and fair-use overage, then each one-time fee and hardware item; quantity, unit
  price, unit, billing, monthly amount, first-year amount and contract total; subtotals, the
  first-year total (``FirstYearCost``'s rule: invoices dated in the 12 months from the order
  date) and the contract value (``InvoiceTotal``). Lines that follow usage are the averages of
  what the Invoices sheet bills (the scenario's usage): no overage the usage does not say.
- **Terms** and the **acceptance block** (name, title, signature, date).
- **Appendix** (a new page): the invoice schedule, every line that bills something in the order
  of :func:`billing_model.core.invoices.invoice_schedule`, then its total; its heading row is
  repeated on every page, the footer numbers the pages ("Page 1 of 3"). The print area is a
  formula (``QuoteLastRow``): it ends at the schedule's total whatever the ramp (0-24) and term
  (1-60) typed in. ``billing-model quote`` writes the same sheet as a PDF.

The lines model (the hidden helper sheet **Quote rows**, which compacts the rows by formulas)
is :mod:`billing_model.workbook.quote_lines`.

"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from ..core.invoices import invoice_schedule
from ..core.money import minor_units
from .context import DATE, Ctx, header, num
from .invoices import INVOICE_COLUMNS
from .layout import Highlight, Sheet, ref
from .layout import quote_sheet as quote_sheet_name
from .quote_lines import ROWS_SHEET, quote_rows

__all__ = ["QUOTE_COLUMNS", "ROWS_SHEET", "SUMMARY_COLUMNS", "TOTAL_LABEL", "WIDTHS", "quote_sheet"]

#: column widths A-H: the price summary and the appendix share the columns
WIDTHS = (44, 8, 10, 11, 11, 11, 12, 13)
#: price summary columns (heading, number format key)
SUMMARY_COLUMNS = (
    ("Product", "wrap"),
    ("Quantity", "qty"),
    ("Unit price", "rate"),
    ("Unit", "wrap"),
    ("Billing", "wrap"),
    ("Monthly", "money"),
    ("First year", "money"),
    ("Contract total", "money"),
)
#: appendix columns: (heading, Invoices grid column heading, number format key)
QUOTE_COLUMNS = (
    ("Description", "Description", "wrap"),
    ("Quantity", "Quantity", "qty"),
    ("Rate", "Rate", "rate"),
    ("Invoice date", "Invoice date", "date"),
    ("Due date", "Due date", "date"),
    ("Service from", "Service start", "date"),
    ("Service to", "Service end", "date"),
    ("Amount", "Amount", "money"),
)
_ENGINE_COLUMNS = {
    "Invoice date": "invoice_date",
    "Due date": "due_date",
    "Description": "description",
    "Service start": "service_start",
    "Service end": "service_end",
    "Quantity": "quantity",
    "Rate": "rate",
    "Amount": "amount",
}
TOTAL_LABEL = "Total of the invoices"


def quote_sheet(ctx: Ctx, sheet: Sheet, invoices: Sheet, helper: Sheet) -> None:
    """Place the Quote sheet (and its hidden helper sheet) for ``ctx.scenario`` with a quote."""
    s, book = ctx.scenario, ctx.book
    quote, c = s.quote, s.contract
    assert quote is not None, "the Quote sheet needs the scenario's [quote] table"
    lines = invoice_schedule(s, keys=True)
    n = len(lines)
    rows = quote_rows(ctx, invoices, helper, lines)
    records, first, last, capacity = rows.records, rows.first, rows.last, rows.capacity
    h_first, v_first, vc, vref = rows.h_first, rows.v_first, rows.vc, rows.vref
    candidates, figures_by_row, shown = rows.candidates, rows.figures_by_row, rows.shown
    V = len(candidates)
    col = {h: INVOICE_COLUMNS.index(h) + 1 for h in INVOICE_COLUMNS}
    partner = c.partner
    cur = c.currency
    decimals = minor_units(cur)
    money = "#,##0." + "0" * decimals if decimals else "#,##0"
    fmts = {"date": DATE, "wrap": None, "qty": "#,##0.##", "rate": "#,##0.00###", "money": money}
    styles = {
        "wrap": "wrap",
        "date": "topcenter",
        "qty": "topfit",
        "rate": "topfit",
        "money": "topfit",
    }

    # --- the quote: header ----------------------------------------------------------------------
    sheet.widths.update({i + 1: w for i, w in enumerate(WIDTHS)})
    sheet.landscape = False
    sheet.fit_width = True
    # texts of up to 255 characters wrap over merged columns, their rows as high as they need
    # (spreadsheets do not grow rows of a file on open): cut at the next cell or the page edge,
    # a long seller or customer name printed half
    sheet.put(1, 1, "=QuoteSeller", style="titlewrap", result=quote.seller)
    _wrap_over(sheet, 1, 1, 4, quote.seller, points=16)
    sheet.text(1, 5, "Quote", style="titlewrap")  # at the top of a tall first row
    for r, name, text in (
        (2, "QuoteContact", quote.contact),
        (3, "QuoteEmail", quote.email),
        (4, "QuotePhone", quote.phone),
    ):
        sheet.put(r, 1, f'=IF({name}="","",{name})', style="wrap", result=text)
        _wrap_over(sheet, r, 1, 4, text)
    terms = c.payment_terms_days
    facts = (
        ("Quote number", '=IF(QuoteNumber="","",QuoteNumber)', None, quote.number),
        (
            "Issue date",
            '=IF(QuoteIssued="","",TEXT(QuoteIssued,"yyyy-mm-dd"))',
            None,
            quote.issued.isoformat() if quote.issued else "",
        ),
        ("Valid until", '=TEXT(QuoteValidUntil,"yyyy-mm-dd")', None, quote.valid_until.isoformat()),
        ("Currency", "=Currency", None, cur),
        ("Payment terms", '="Net "&PaymentTermsDays&" days"', None, f"Net {terms} days"),
    )
    for r, (label, formula, fmt, fact) in enumerate(facts, start=2):
        if label == "Issue date":  # no issue date given: no label standing over an empty cell
            sheet.put(
                r, 5, f'=IF(QuoteIssued="","","{label}")', bold=True, result=label * bool(fact)
            )
        else:
            sheet.text(r, 5, label, bold=True)
        sheet.put(r, 7, formula, fmt=fmt, style="wrap" if r == 2 else "calc", result=fact)
    _wrap_over(sheet, 2, 7, 8, quote.number)  # the quote number: any text up to 255
    sheet.text(6, 1, "Prepared for", style="intro")
    sheet.put(7, 1, "=QuoteCustomer", style="subtitlewrap", result=quote.customer)
    _wrap_over(sheet, 7, 1, 8, quote.customer, points=12)
    sheet.put(9, 1, "=QuoteTitle", style="subtitlewrap", result=quote.title)
    _wrap_over(sheet, 9, 1, 8, quote.title, points=12)
    ramp = (
        ""
        if c.ramp_months == 0
        else f"a {c.ramp_months}-month ramp ({_ramp_text(c.ramp_policy)}), then "
    )
    sheet.put(
        10,
        1,
        '="Subscription from "&TEXT(OrderDate,"yyyy-mm-dd")&": "&'
        'IF(RampMonths=0,"","a "&RampMonths&"-month ramp ("&'
        'IF(RampPolicy="actual-usage","billed on actual users",'
        '"no software charges")&"), then ")&"a "&TermMonths&"-month term."',
        result=f"Subscription from {c.order_date.isoformat()}: {ramp}a {c.term_months}-month term.",
    )

    sheet.put(
        11,
        1,
        '=IF(IFERROR(InputsOK,FALSE),"","An input is out of range (Inputs sheet, '
        'InputsOK): the figures it moves show #N/A until it is corrected.")',
        style="note",
        result="",
    )

    # --- the price summary ----------------------------------------------------------------------
    sheet.text(12, 1, "Price summary", style="subtitle")
    s_head = 13
    for q, (heading, kind) in enumerate(SUMMARY_COLUMNS, start=1):
        if kind == "money":
            sheet.put(
                s_head,
                q,
                f'="{heading} ("&Currency&")"',
                style="header",
                result=f"{heading} ({cur})",
            )
        else:
            sheet.text(s_head, q, heading, style="header")
    sheet.heights[s_head] = 30
    p_first = s_head + 1
    for j in range(1, V + 1):
        r = p_first + j - 1
        at = ref(helper, v_first + j - 1, vc + 13)
        pick = shown[j - 1] if j <= len(shown) else None
        for q, (_heading, kind) in enumerate(SUMMARY_COLUMNS, start=1):
            source = vref(q)
            result: object = ""
            if pick is not None:
                if q == 1:
                    result = candidates[pick].label_result
                else:
                    key = ("qty", "price", "unit", "billing", "monthly", "year", "total")[q - 2]
                    value = figures_by_row[pick][key]
                    result = value[1] if isinstance(value, tuple) else value
            sheet.put(
                r,
                q,
                f'=IF({at}="","",INDEX({source},{at}))',
                fmt=fmts[kind],
                style=styles.get(kind),
                result=result,
            )
        label = candidates[pick].label_result if pick is not None else ""
        sheet.heights[r] = _height(max(2, _lines(label, WIDTHS[0])))
    p_last = p_first + V - 1
    is_total = (
        f'OR(INDEX(QuoteSummaryType,ROW()-{p_first - 1})="subtotal",'
        f'INDEX(QuoteSummaryType,ROW()-{p_first - 1})="total")'
    )
    _money_decimals(sheet, f"F{p_first}:H{p_last}", decimals, is_total)
    sheet.highlights.append(Highlight(f"A{p_first}:H{p_last}", "=" + is_total, "total"))
    _money_decimals(sheet, f"F{p_first}:H{p_last}", decimals)
    _whole_quantities(sheet, "B", p_first, p_last)

    # --- terms and acceptance -------------------------------------------------------------------
    r = p_last + 2
    notes = (
        (
            '="Prices in "&Currency&". Taxes excluded: all amounts exclude taxes, levies and '
            'duties."',
            f"Prices in {cur}. Taxes excluded: all amounts exclude taxes, levies and duties.",
        ),
        (
            '="Lines marked (estimate) average the usage this quote assumes per month; invoices '
            'bill the actual usage."',
            "Lines marked (estimate) average the usage this quote "
            "assumes per month; invoices bill the actual usage.",
        ),
        (
            '=IF(Channel="partner","Partner channel: quantities only; rates and amounts come '
            'through the partner.","")',
            "Partner channel: quantities only; rates and amounts come through the partner."
            if partner
            else "",
        ),
        (
            '="Terms: net "&PaymentTermsDays&" days from each invoice date. This offer is valid '
            'until "&TEXT(QuoteValidUntil,"yyyy-mm-dd")&". After the term the subscription '
            'continues month to month at published rates."',
            f"Terms: net {terms} days from each invoice date. This offer is valid until "
            f"{quote.valid_until.isoformat()}. After the term the subscription continues month "
            "to month at published rates.",
        ),
    )
    for formula, result in notes:
        sheet.put(r, 1, formula, style="intro", result=result)
        r += 1
    r += 1
    sheet.text(r, 1, "Acceptance", style="subtitle")
    r += 1
    signed = f"Signed for {quote.customer}, accepting quote {quote.number} and its terms:"
    sheet.put(
        r,
        1,
        '="Signed for "&QuoteCustomer&", accepting quote "&QuoteNumber&" and its terms:"',
        style="wrap",
        result=signed,
    )
    _wrap_over(sheet, r, 1, 8, signed)
    for label in ("Name", "Title", "Signature", "Date"):
        r += 1
        sheet.text(r, 1, label, bold=True)
        for q in range(2, 6):
            sheet.put(r, q, None, style="sign")
        sheet.heights[r] = 26

    # --- the appendix: the invoice schedule -----------------------------------------------------
    a_title = r + 2
    sheet.row_breaks.append(a_title)
    sheet.text(a_title, 1, "Appendix: invoice schedule", style="subtitle")
    sheet.put(
        a_title + 1,
        1,
        '="Every invoice line of the contract in date order; lines that '
        'bill nothing are left out. Amounts in "&Currency&"."',
        style="intro",
        result="Every invoice line of the contract in date order; lines "
        f"that bill nothing are left out. Amounts in {cur}.",
    )
    head = a_title + 2
    header(sheet, head, 1, [h for h, *_rest in QUOTE_COLUMNS])
    sheet.put(head, 8, '="Amount ("&Currency&")"', style="header", result=f"Amount ({cur})")
    # each column's range on the Invoices grid, made once, not once per line and column (11,700
    # calls of ref in sales_quote)
    sources = {
        grid_heading: ref(invoices, first, col[grid_heading], last)
        for _heading, grid_heading, _kind in QUOTE_COLUMNS
    }
    for j in range(1, capacity + 2):
        line_row = head + j
        if j <= capacity:
            at = ref(helper, h_first + j - 1, 5)
        for q, (_heading, grid_heading, kind) in enumerate(QUOTE_COLUMNS, start=1):
            result = ""
            if j <= n:
                value = records[j - 1][_ENGINE_COLUMNS[grid_heading]]
                result = (
                    ""
                    if value is None or (not isinstance(value, str) and pd.isna(value))
                    else num(value)
                )
            total = ""
            if q == 1:
                total = f'"{TOTAL_LABEL}"'
                result = TOTAL_LABEL if j == n + 1 else result
            elif q == len(QUOTE_COLUMNS):
                total = 'IF(Channel="partner","",InvoiceTotal)'
                if j == n + 1:
                    result = (
                        ""
                        if partner
                        else num(sum((a for a in lines["amount"] if a is not None), Decimal(0)))
                    )
            else:
                total = '""'
            ending = f'IF({j}=QuoteLineCount+1,{total},"")'
            if j <= capacity:
                formula = f'=IF({at}="",{ending},INDEX({sources[grid_heading]},{at}))'
            else:
                formula = "=" + ending
            sheet.put(line_row, q, formula, fmt=fmts[kind], style=styles.get(kind), result=result)
        if j <= n:  # wrapped descriptions: spreadsheets do not grow rows of a file on open
            text = str(records[j - 1]["description"])
            if _lines(text, WIDTHS[0]) > 1:
                sheet.heights[line_row] = _height(_lines(text, WIDTHS[0]))
    l_first, l_last = head + 1, head + capacity + 1
    is_total = f"ROW()-{head}=QuoteLineCount+1"
    _money_decimals(sheet, f"H{l_first}:H{l_last}", decimals, is_total)
    sheet.highlights.append(Highlight(f"A{l_first}:H{l_last}", "=" + is_total, "total"))
    _money_decimals(sheet, f"H{l_first}:H{l_last}", decimals)
    _whole_quantities(sheet, "B", l_first, l_last)
    helper.text(3, 26, "Print area: last row")
    helper.put(4, 26, f"={head}+QuoteLineCount+1", result=head + n + 1)
    book.name("QuoteLastRow", helper, 4, 26)
    # the print area ends at the schedule's total, whatever the inputs (Excel evaluates it)
    name = quote_sheet_name(sheet.name)
    sheet.print_area = f"={name}!$A$1:INDEX({name}!$H:$H,QuoteLastRow)"
    sheet.repeat_rows = (head, head)
    sheet.footer = "&CPage &P of &N"


def _lines(text: str, width: float) -> int:
    """Lines a wrapped text takes in a column ``width`` wide (a width counts digits; text
    averages narrower characters: 1.2 of them per unit, as LibreOffice prints them)."""
    per_line = max(int(width * 1.2), 1)
    return max(1, -(-len(text) // per_line))


def _height(lines: int) -> float:
    return 13.0 * lines + 3


def _wrap_over(
    sheet: Sheet, row: int, first: int, last: int, text: str, *, points: float = 10
) -> None:
    """Merge ``row``'s columns ``first`` to ``last`` (its cell's style wraps) and make the row
    high enough for ``text`` in a bold font of ``points`` (10: the body text)."""
    sheet.merges.append((row, first, last))
    width = sum(WIDTHS[first - 1 : last])
    per_line = max(int(width * 1.2 * 10 / points / (1.1 if points > 10 else 1)), 1)
    lines = max(1, -(-len(text) // per_line))
    line = max(13.0, points * 1.3)
    sheet.heights[row] = max(sheet.heights.get(row, 0), line * lines + 5)


def _ramp_text(policy: str) -> str:
    return "billed on actual users" if policy == "actual-usage" else "no software charges"


def _whole_quantities(sheet: Sheet, column: str, first: int, last: int) -> None:
    """A whole quantity shows no decimal point (``#,##0.##`` would show "55.")."""
    cell = f"{column}{first}"
    sheet.highlights.append(
        Highlight(
            f"{column}{first}:{column}{last}",
            f"=AND(ISNUMBER({cell}),{cell}=INT({cell}))",
            "money0",
        )
    )


def _money_decimals(sheet: Sheet, cells: str, decimals: int, total: str | None = None) -> None:
    """Amounts show the currency input's decimals (JPY none), whatever the currency built.

    ``total``: the rule of the (sub)total rows, whose style this rule then carries too
    (LibreOffice applies the first true rule of a cell only; this one comes first)."""
    other = "money2" if decimals == 0 else "money0"
    test = "MoneyDecimals<>0" if decimals == 0 else "MoneyDecimals=0"
    if total is not None:
        test, other = f"AND({total},{test})", "total" + other[-1]
    sheet.highlights.append(Highlight(cells, "=" + test, other))
