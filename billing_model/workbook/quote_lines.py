"""The Quote sheet's lines model, on its hidden helper sheet **Quote rows**: which Invoices
grid lines the appendix shows and in which order, and the price summary's candidate rows with
their figures. The Quote sheet (:mod:`billing_model.workbook.quote`) only places cells that read
them.

Rows are compacted by formulas (Excel 2010+ and LibreOffice alike, no FILTER and no dynamic
arrays), on a hidden helper sheet, **Quote rows**:

- per Invoices grid row: ``key``, empty for a line that bills nothing (the engine's rule: zero
  quantity, or a zero rounded amount outside the partner channel), else a whole number that
  sorts the lines as the engine's schedule does (invoice date, service start, kind
  (:data:`~billing_model.core.invoices.KINDS`), license line or charge number); ``rank``
  (``COUNTIF(keys, "<" & key) + 1``); the price-summary ``group`` of the row (a constant) and
  ``kept`` (1 when the line bills);
- per appendix line ``j``: the grid row whose rank is ``j`` (``MATCH``);
- per price-summary candidate (every product line, subtotal and total the scenario can bill):
  its figures (``SUMIF``/``SUMIFS`` of its group's grid lines), ``visible`` and a running count;
  per summary row ``j`` the candidate shown there.

Every formula cell carries its value as the engine computes it (``result=``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from ..core.invoices import FAIR_USE_LABELS, KINDS, first_year_end
from ..core.licenses import BY_KEY
from ..core.money import minor_units
from ..formulas import invoices as fi
from ..formulas import licenses as fl
from .context import Ctx, header, num
from .invoices import INVOICE_COLUMNS
from .layout import Sheet, a1, column_letter, ref
from .storage import storage_rate_input

#: the helper sheet's name (hidden)
ROWS_SHEET = "Quote rows"


#: sort key weights: days from the order date, service start - invoice date (+ 50), kind, order
_DAY, _START, _KIND = 1_000_000, 10_000, 1_000
_START_OFFSET = 50  # arrears lines start up to 31 days before their invoice

#: unit and billing of each kind of product line
_UNITS = {
    "committed": "per user per month",
    "ramp": "per user per month",
    "overage": "per user per month",
    "month_to_month": "per user per month",
    "hourly": "per billable hour",
    "telephony": "per month",
    "ivr_minutes": "per minute",
    "api_requests": "per request",
    "storage_gb": "per GB per month",
    "one-time": "each",
    "hardware": "each",
}
_BILLING = {
    "committed": "monthly in advance",
    "ramp": "monthly in arrears",
    "overage": "monthly in arrears",
    "month_to_month": "monthly in arrears",
    "hourly": "monthly in arrears",
    "telephony": "monthly in arrears",
    "ivr_minutes": "monthly in arrears",
    "api_requests": "monthly in arrears",
    "storage_gb": "monthly in arrears",
    "one-time": "one-time",
}
#: the grid's line kind -> the price summary's product kind
_GROUP_KIND = {
    "prepay": "committed",
    "ramp": "ramp",
    "overage": "overage",
    "month_to_month": "month_to_month",
    "hourly": "hourly",
}


#: a price-summary candidate's figures (helper columns ``vc + 2`` on) and its helper columns
_FIGURES = ("qty", "price", "unit", "billing", "monthly", "year", "total")
_CANDIDATE_COLUMNS = (
    *("Type", "Label", "Quantity", "Unit price", "Unit", "Billing", "Monthly", "First year"),
    *("Contract total", "Visible", "Count"),
)
#: the kinds of a license line's rows
_PRODUCT_KINDS = ("committed", "ramp", "overage", "month_to_month", "hourly")
#: a license line's rate by its kind: the key of its input in ``product_names`` and, with
#: ``_rate``, the product's attribute (``prepay`` -> ``prepay_rate``)
_LINE_RATES = {
    "committed": "prepay",
    "ramp": "prepay",
    "overage": "overage",
    "hourly": "hourly",
    "month_to_month": "month_to_month",
}


def line_key(invoice: dt.date, start: dt.date, order_date: dt.date, kind: str, order: int) -> int:
    """The whole number the sheet sorts lines by (same order as the engine's schedule).

    >>> line_key(dt.date(2026, 4, 1), dt.date(2026, 3, 1), dt.date(2026, 3, 1), "ramp", 1)
    31193001
    """
    return (
        (invoice - order_date).days * _DAY
        + ((start - invoice).days + _START_OFFSET) * _START
        + KINDS.index(kind) * _KIND
        + order
    )


def _grid_rows(
    invoices: Sheet, products: tuple = ()
) -> tuple[int, int, list[tuple[str, int | None, int]]]:
    """First and last row of the Invoices grid and each row's (kind, period, order); a
    license line's rows are ordered by its index in ``products``, as the engine's lines (an
    hourly line has hourly rows, the others ramp, prepay and overage rows)."""
    lines = {
        kind: [j for j, p in enumerate(products) if p.hourly == (kind == "hourly")]
        for kind in ("ramp", "prepay", "overage", "hourly")
    }
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
        rows.append((kind, k, lines[kind][order] if kind in lines else order))
    return table.first_row + 1, table.last_row, rows


def _group_of(kind: str, order: int) -> tuple[str, int]:
    """The price-summary product a grid or schedule line belongs to: (product kind, index)."""
    if kind in _GROUP_KIND:
        return _GROUP_KIND[kind], order
    if kind in ("one-time", "hardware"):
        return kind, order
    return kind, 0  # telephony and the fair-use overages: one product each


@dataclass
class _Row:
    """One price-summary candidate row (a product, a subtotal or a total)."""

    type: str  # "item", "subtotal", "total"
    label: str  # a formula
    label_result: str
    kind: str = ""
    index: int = 0
    section: str = ""  # "recurring" or "one-time"


def _round(value: Decimal, currency: str) -> Decimal:
    quantum = Decimal(1).scaleb(-minor_units(currency))
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


#: a license line's price-summary rows: (kind, its label after the license as a formula, as a
#: text; ``{months}``: the ramp's length)
_PRODUCT_ROWS = (
    ("committed", '" users"', " users"),
    (
        "ramp",
        '" users, ramp ("&RampMonths&IF(RampMonths=1," month"," months")&", actual users)"',
        " users, ramp ({months}, actual users)",
    ),
    (
        "overage",
        '" users above the commitment (estimate)"',
        " users above the commitment (estimate)",
    ),
    (
        "month_to_month",
        '" users, month to month after the term (estimate)"',
        " users, month to month after the term (estimate)",
    ),
)

#: an hourly line's rows (docs/rules.md#hourly-licensing: no commitment, no ramp of its own)
_HOURLY_ROWS = (
    ("hourly", '" billable hours (estimate)"', " billable hours (estimate)"),
    (
        "month_to_month",
        '" billable hours, month to month after the term (estimate)"',
        " billable hours, month to month after the term (estimate)",
    ),
)


def _fixed(type_: str, text: str, section: str = "") -> _Row:
    """A row whose label is a fixed text (a subtotal, a total, a usage line)."""
    return _Row(type_, text, text, section=section)


def _candidates(ctx: Ctx) -> list[_Row]:
    """Every price-summary row the scenario's inputs can bill, in the quote's order."""
    s = ctx.scenario
    m = s.contract.ramp_months
    months = f"{m} month{'' if m == 1 else 's'}"
    rows: list[_Row] = []
    for i, (p, names) in enumerate(zip(s.products, ctx.product_names, strict=True)):
        label = f'{fl.license_label(names["license"])}&" "&{names["model"]}'
        shown = f"{BY_KEY[p.license].label} {p.license_model}"
        for kind, formula, text in _HOURLY_ROWS if p.hourly else _PRODUCT_ROWS:
            text = shown + text.format(months=months)
            rows.append(_Row("item", f"={label}&{formula}", text, kind, i, "recurring"))
    rows.append(
        _Row("item", "Telephony (estimate)", "Telephony (estimate)", "telephony", 0, "recurring")
    )
    for key in ("ivr_minutes", "api_requests", "storage_gb"):
        text = FAIR_USE_LABELS[key] + " (estimate)"
        rows.append(_Row("item", text, text, key, 0, "recurring"))
    rows.append(_fixed("subtotal", "Subtotal: subscription and usage", "recurring"))
    for k, (names, charge) in enumerate(
        zip(ctx.charge_names, (*s.one_time, *s.hardware), strict=True)
    ):
        hw = charge.ship_date is not None
        kind = "hardware" if hw else "one-time"
        order = k - len(s.one_time) if hw else k
        rows.append(
            _Row("item", f"={names['description']}", charge.description, kind, order, "one-time")
        )
    rows.append(_fixed("subtotal", "Subtotal: one-time fees and hardware", "one-time"))
    rows.append(_fixed("total", "First-year total (invoices dated in the first 12 months)"))
    rows.append(_fixed("total", "Contract value (every invoice of the contract)"))
    return rows


def _blank_if_partner(formula: str) -> str:
    return f'=IF(Channel="partner","",{formula.lstrip("=")})'


def _records(lines: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of the engine's schedule as dicts: a cell's type is its column's (a date, a
    Decimal, text), which pandas cannot say."""
    return [{str(name): value for name, value in row.items()} for row in lines.to_dict("records")]


def _engine_groups(
    lines: pd.DataFrame, group_number: dict, order_date: dt.date, currency: str
) -> dict[int, dict]:
    """Per price-summary group, from the engine's schedule: lines, quantity, amount, first
    year."""
    year_end = first_year_end(order_date)
    out: dict[int, dict] = {}
    for r in _records(lines):
        g = group_number[_group_of(r["kind"], int(r["order"]))]
        e = out.setdefault(
            g, {"lines": 0, "qty": Decimal(0), "amount": Decimal(0), "year": Decimal(0)}
        )
        e["lines"] += 1
        e["qty"] += Decimal(repr(float(r["quantity"])))
        amount = r["amount"] if r["amount"] is not None else Decimal(0)
        e["amount"] += amount
        if r["invoice_date"] < year_end:
            e["year"] += amount
    return out


@dataclass
class QuoteRows:
    """What the Quote sheet reads from the helper sheet (its rows and columns), and the
    engine's figures its cells carry as values."""

    helper: Sheet
    records: list[dict[str, Any]]  # the engine's schedule, one dict a line
    first: int  # first and last row of the Invoices grid
    last: int
    capacity: int  # grid rows: the appendix's lines at most
    h_first: int  # first helper row of the per-grid-row block
    candidates: list[_Row]
    figures_by_row: list[dict]  # per candidate: its figures (formula, engine value)
    shown: list[int]  # the candidates the engine's schedule shows, in order
    v_first: int  # first helper row and column of the candidates block
    vc: int

    def vref(self, c_off: int) -> str:
        """The candidates' column ``vc + c_off`` (every candidate row)."""
        last = self.v_first + len(self.candidates) - 1
        return ref(self.helper, self.v_first, self.vc + c_off, last)


def quote_rows(ctx: Ctx, invoices: Sheet, helper: Sheet, lines: pd.DataFrame) -> QuoteRows:
    """Fill the hidden helper sheet of the Quote sheet for ``ctx.scenario``'s Invoices grid
    ``invoices``; ``lines``: the engine's schedule (``invoice_schedule(keys=True)``)."""
    s, book = ctx.scenario, ctx.book
    c = s.contract
    n = len(lines)
    first, last, grid = _grid_rows(invoices, s.products)
    capacity = len(grid)
    col = {h: INVOICE_COLUMNS.index(h) + 1 for h in INVOICE_COLUMNS}
    partner = c.partner
    cur = c.currency
    candidates = _candidates(ctx)
    group_number = {(r.kind, r.index): g + 1 for g, r in enumerate(candidates) if r.type == "item"}

    # --- the helper sheet: one row per grid row -----------------------------------------------
    helper.hidden = True
    header(
        helper,
        1,
        1,
        ["Invoices row", "Key", "Rank", "Quote line", "Invoices row of line", "Group", "Kept"],
    )
    records = _records(lines)
    line_keys = [
        (r["kind"], None if pd.isna(r["period"]) else int(r["period"]), int(r["order"]))
        for r in records
    ]
    position = {key: i for i, key in enumerate(line_keys)}
    # the 1-based grid row of each key (its first, as list.index gives it): the engine's value of
    # each line's MATCH. A list.index per line searched the grid (1,300 x 1,300 rows in
    # sales_quote) and read the line with lines.iloc: 0.03 s of the layout
    grid_row: dict[tuple, int] = {}
    for g_index, grid_key in enumerate(grid):
        grid_row.setdefault(grid_key, g_index + 1)
    h_first, h_last = 2, 1 + capacity
    keys_ref = ref(helper, h_first, 2, h_last)
    ranks_ref = ref(helper, h_first, 3, h_last)
    groups_ref = ref(helper, h_first, 6, h_last)
    kept_ref = ref(helper, h_first, 7, h_last)
    book.name("QuoteKeys", helper, h_first, 2, h_last, 2)
    book.name("QuoteRanks", helper, h_first, 3, h_last, 3)
    # a grid row's formulas made once with its rows left open (G: the Invoices row, R: the
    # helper row, S: the line's static rank) and filled per row: ref and a1 ran 7 times on each
    # of the 1,300 grid rows of sales_quote. The Invoices cells as ref writes them, "Sheet!$C$9"
    G, R, S = "\0", "\1", "\2"
    at = ref(invoices, 1, 1).rsplit("!", 1)[0] + "!"
    inv, start, qty, amount = (
        f"{at}${column_letter(col[h])}${G}"
        for h in ("Invoice date", "Service start", "Quantity", "Amount")
    )
    key_formula = (
        f'=IF(AND(N({qty})<>0,OR(Channel="partner",N({amount})<>0)),'
        f"({inv}-OrderDate)*{_DAY}+({start}-{inv}+{_START_OFFSET})*{_START}"
        f'+{S},"")'
    )
    rank_formula = f'=IF($B${R}="","",COUNTIF({keys_ref},"<"&$B${R})+1)'
    match_formula = f'=IFERROR(MATCH($D${R},{ranks_ref},0),"")'
    kept_formula = f'=IF($B${R}="",0,1)'
    for i, (kind, k, order) in enumerate(grid):
        r, g = h_first + i, first + i
        r_text = str(r)
        helper.put(r, 1, g)
        static = KINDS.index(kind) * _KIND + order
        line = position.get((kind, k, order))
        key = (
            ""
            if line is None
            else line_key(
                records[line]["invoice_date"],
                records[line]["service_start"],
                c.order_date,
                kind,
                order,
            )
        )
        helper.put(r, 2, key_formula.replace(G, str(g)).replace(S, str(static)), result=key)
        rank = "" if line is None else line + 1
        helper.put(r, 3, rank_formula.replace(R, r_text), result=rank)
        helper.put(r, 4, i + 1)
        helper.put(
            r,
            5,
            match_formula.replace(R, r_text),
            result=grid_row[line_keys[i]] if i < n else "",  # MATCH(i + 1, ranks, 0)
        )
        helper.put(r, 6, group_number[_group_of(kind, order)])
        helper.put(r, 7, kept_formula.replace(R, r_text), result=0 if line is None else 1)
    # scalars: the lines, the print area's last row (set below)
    helper.text(1, 26, "Quote lines")
    helper.put(2, 26, f"=MAX({ranks_ref})", result=n)
    book.name("QuoteLineCount", helper, 2, 26)

    # --- the price summary's candidates, on the helper sheet (columns J on) -------------------
    engine = _engine_groups(lines, group_number, c.order_date, cur)
    amounts = ref(invoices, first, col["Amount"], last)
    quantities = ref(invoices, first, col["Quantity"], last)
    dates = ref(invoices, first, col["Invoice date"], last)
    year_end = fi.first_year_end()
    V = len(candidates)
    v_first, v_last = 2, 1 + len(candidates)
    vc = 10  # first column: type, label, qty, price, unit, billing, monthly, year, total,
    #          visible, running count
    header(helper, 1, vc, list(_CANDIDATE_COLUMNS))

    def vref(c_off: int, r1: int = v_first, r2: int = v_last) -> str:
        return ref(helper, r1, vc + c_off, r2)

    visible_results: list[int] = []
    figures_by_row: list[dict] = []
    recurring = [
        g for g, r in enumerate(candidates) if r.type == "item" and r.section == "recurring"
    ]
    one_time = [g for g, r in enumerate(candidates) if r.type == "item" and r.section == "one-time"]
    for v, row in enumerate(candidates):
        r = v_first + v
        helper.text(r, vc, row.type)
        if row.label.startswith("="):
            helper.put(r, vc + 1, row.label, result=row.label_result)
        else:
            helper.text(r, vc + 1, row.label)
        fig: dict = {**dict.fromkeys(_FIGURES, ""), "visible": 0}
        if row.type == "item":
            g = v + 1
            e = engine.get(
                g, {"lines": 0, "qty": Decimal(0), "amount": Decimal(0), "year": Decimal(0)}
            )
            cnt = f"SUMIF({groups_ref},{g},{kept_ref})"
            contract = f"SUMIF({groups_ref},{g},{amounts})"
            year = f'SUMIFS({amounts},{groups_ref},{g},{dates},"<"&{year_end})'
            avg_qty = (
                f"IF({cnt}=0,0,ROUND(SUMIFS({quantities},{groups_ref},{g},{kept_ref},1)/{cnt},2))"
            )
            monthly = f"IF({cnt}=0,0,ROUND({contract}/{cnt},MoneyDecimals))"
            lines_g = e["lines"]
            e_avg = (
                (e["qty"] / lines_g).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                if lines_g
                else Decimal(0)
            )
            e_monthly = _round(e["amount"] / lines_g, cur) if lines_g else Decimal(0)
            hourly = row.kind in _PRODUCT_KINDS and s.products[row.index].hourly
            unit = _UNITS["hourly" if hourly else row.kind]
            billing: str | tuple[str, str] = _BILLING.get(row.kind, "")
            price: str
            e_price: Decimal | int | str | None
            monthly_price: str | None = monthly
            e_monthly_price: Decimal | str = e_monthly
            if row.kind in _LINE_RATES:  # a license line's rate: its input's name and value
                rate = _LINE_RATES[row.kind]
                price = ctx.product_names[row.index][rate]
                e_price = getattr(s.products[row.index], f"{rate}_rate") or 0
            elif row.kind == "telephony":
                price, e_price = monthly, e_monthly
            elif row.kind in FAIR_USE_LABELS:
                price = {
                    "ivr_minutes": "IvrOverageRate",
                    "api_requests": "ApiOverageRate",
                    "storage_gb": "StorageOverageRate",
                }[row.kind]
                e_price = {
                    "ivr_minutes": c.ivr_overage_rate,
                    "api_requests": c.api_overage_rate,
                    "storage_gb": storage_rate_input(c)[0],
                }[row.kind]
            else:  # one-time fee or hardware
                k = row.index + (len(s.one_time) if row.kind == "hardware" else 0)
                charge_names = ctx.charge_names[k]
                charge = (*s.one_time, *s.hardware)[k]
                price, e_price = charge_names["rate"], charge.rate
                avg_qty, e_avg = charge_names["quantity"], charge.quantity
                if row.kind == "hardware":
                    billing = (
                        f'="on shipment, "&TEXT({charge_names["date"]},"yyyy-mm-dd")',
                        f"on shipment, {charge.ship_date}",
                    )
                monthly_price, e_monthly_price = None, ""
            fig.update(
                qty=(f"={avg_qty}", num(e_avg)),
                price=(_blank_if_partner(price), "" if partner else num(e_price or 0)),
                unit=unit,
                billing=billing,
                monthly=(
                    ""
                    if monthly_price is None
                    else (_blank_if_partner(monthly_price), "" if partner else num(e_monthly_price))
                ),
                year=(_blank_if_partner(year), "" if partner else num(e["year"])),
                total=(_blank_if_partner(contract), "" if partner else num(e["amount"])),
                # a line whose figures are errors (a bad input) is shown
                visible=(f"=IFERROR(IF({cnt}>0,1,0),1)", 1 if lines_g else 0),
            )
        elif row.type == "subtotal":
            members = recurring if row.section == "recurring" else one_time
            rows = [v_first + m for m in members]
            vis = "+".join(a1(x, vc + 9) for x in rows) or "0"
            e_vis = 1 if any(visible_results[m] for m in members) else 0

            def total_of(c_off: int, key: str, members=members, rows=rows) -> tuple:
                cells = ",".join(a1(x, vc + c_off) for x in rows) or "0"
                value = sum(
                    (
                        Decimal(str(figures_by_row[m][key][1] or 0))
                        for m in members
                        if isinstance(figures_by_row[m][key], tuple)
                    ),
                    Decimal(0),
                )
                return _blank_if_partner(f"SUM({cells})"), "" if partner else num(value)

            if row.section == "recurring":  # a term month: the ramp's lines are not in it
                term = [m for m in members if candidates[m].kind != "ramp"]
                cells = ",".join(a1(v_first + m, vc + 6) for m in term) or "0"
                value = sum(
                    (
                        Decimal(str(figures_by_row[m]["monthly"][1] or 0))
                        for m in term
                        if isinstance(figures_by_row[m]["monthly"], tuple)
                    ),
                    Decimal(0),
                )
                fig["monthly"] = (_blank_if_partner(f"SUM({cells})"), "" if partner else num(value))
            fig.update(
                year=total_of(7, "year"),
                total=total_of(8, "total"),
                visible=(f"=IFERROR(IF({vis}>0,1,0),1)", e_vis),
            )
        else:  # the totals: always shown
            items = [m for m, x in enumerate(candidates) if x.type == "item"]
            key, c_off = ("year", 7) if row.label.startswith("First") else ("total", 8)
            cells = ",".join(a1(v_first + m, vc + c_off) for m in items)
            value = sum(
                (
                    Decimal(str(figures_by_row[m][key][1] or 0))
                    for m in items
                    if isinstance(figures_by_row[m][key], tuple)
                ),
                Decimal(0),
            )
            fig[key] = (_blank_if_partner(f"SUM({cells})"), "" if partner else num(value))
            fig["visible"] = 1
        for off, key in (
            (2, "qty"),
            (3, "price"),
            (4, "unit"),
            (5, "billing"),
            (6, "monthly"),
            (7, "year"),
            (8, "total"),
            (9, "visible"),
        ):
            value = fig[key]
            if isinstance(value, tuple):
                helper.put(r, vc + off, value[0], result=value[1])
            elif isinstance(value, str):  # INDEX of an empty cell is 0: an empty text instead
                helper.put(r, vc + off, f'="{value}"' if value else '=""', result=value)
            else:
                helper.put(r, vc + off, value)
        visible_results.append(
            fig["visible"][1] if isinstance(fig["visible"], tuple) else fig["visible"]
        )
        figures_by_row.append(fig)
        running = sum(visible_results)
        helper.put(
            r,
            vc + 10,
            f'=IF({a1(r, vc + 9)}=0,"",SUM({a1(v_first, vc + 9)}:{a1(r, vc + 9)}))',
            result=running if visible_results[-1] else "",
        )
    shown = [v for v, x in enumerate(visible_results) if x]
    # per summary row j: the candidate shown there, and its type
    header(helper, 1, vc + 12, ["Summary row", "Candidate", "Type"])
    for j in range(1, V + 1):
        r = v_first + j - 1
        helper.put(r, vc + 12, j)
        helper.put(
            r,
            vc + 13,
            f'=IFERROR(MATCH({a1(r, vc + 12)},{vref(10)},0),"")',
            result=shown[j - 1] + 1 if j <= len(shown) else "",
        )
        helper.put(
            r,
            vc + 14,
            f'=IF({a1(r, vc + 13)}="","",INDEX({vref(0)},{a1(r, vc + 13)}))',
            result=candidates[shown[j - 1]].type if j <= len(shown) else "",
        )
    book.name("QuoteSummaryType", helper, v_first, vc + 14, v_last, vc + 14)
    return QuoteRows(
        helper,
        records,
        first,
        last,
        capacity,
        h_first,
        candidates,
        figures_by_row,
        shown,
        v_first,
        vc,
    )
