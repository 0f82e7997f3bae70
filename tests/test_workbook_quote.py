"""The Quote sheet and `billing-model quote` (issue 18), and what Excel cannot hold (issue 13).

The Quote is proven in LibreOffice, twice:

- workbooks: ``sales_quote`` (and a partner copy, and copies edited on the Inputs sheet:
  commitment, ramp 24 + term 60, currency, customer, a bad input), cases of the session's
  shared store (``tests/workbooks.py``) recalculated in the worker's one LibreOffice run; the
  appendix rows must be the engine's non-zero schedule lines in the schedule's order, the price
  summary's totals the engine's first-year cost and contract value, and the print area's last
  row (``QuoteLastRow``) the schedule's total whatever the ramp and term;
- PDFs: in ``test_workbook_quote_pdf.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import openpyxl
import pytest

from billing_model.cli import main
from billing_model.core.errors import BillingInputError
from billing_model.core.invoices import invoice_schedule
from billing_model.service import load_scenario, scenario_from_mapping
from billing_model.workbook import SCENARIOS_DIR, build_layout, scenario_figures, write_book
from billing_model.workbook.excel_limits import CONTROL, check_book, has_control, sheet_name
from billing_model.workbook.layout import Book
from billing_model.workbook.quote import TOTAL_LABEL
from tests import workbooks
from tests.quote_data import quote_mapping
from tests.workbook_cells import named


def _layout_rows(book) -> dict:
    """Rows of the Quote sheet's parts, found by their labels."""
    quote = book.sheet("Quote")
    rows = {}
    for (r, c), cell in quote.cells.items():
        if c == 1 and cell.value in ("Price summary", "Appendix: invoice schedule", "Acceptance"):
            rows[cell.value] = r
    return rows


def _appendix(ws, head: int) -> list[tuple]:
    """The appendix's lines (recalculated workbook), up to its total row."""
    out = []
    for row in ws.iter_rows(min_row=head + 1, max_col=8, values_only=True):
        if row[0] in ("", None) or row[0] == TOTAL_LABEL:
            break
        d = [v.date() if isinstance(v, dt.datetime) else v for v in row]
        out.append(
            (
                d[3],
                d[4],
                d[0],
                d[5],
                d[6],
                round(float(d[1]), 6),
                None if d[7] in ("", None) else Decimal(repr(d[7])),
            )
        )
    return out


def _engine(scenario) -> list[tuple]:
    s = invoice_schedule(scenario)
    return [
        (
            r.invoice_date,
            r.due_date,
            r.description,
            r.service_start,
            r.service_end,
            round(r.quantity, 6),
            r.amount,
        )
        for r in s.itertuples()
    ]


def _summary(ws, first: int) -> dict[str, tuple]:
    """The price summary's rows (label -> the row's cells B..H), until the contract value."""
    out = {}
    for row in ws.iter_rows(min_row=first, max_col=8, values_only=True):
        if row[0] in ("", None):
            break
        out[row[0]] = row[1:]
    return out


def _money(value) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _partner():
    data = quote_mapping(channel="partner")
    data["hardware"][0].pop("rate")  # a quantity-only hardware line
    return scenario_from_mapping(data, name="partner")


#: the session's workbooks (tests/workbooks.py): sales_quote as built and as a partner contract,
#: and copies edited on the Inputs sheet (inputs typed in, the equally edited scenario or None)
QUOTE = workbooks.example("sales_quote")
QUOTE_EDITS = {
    "edited": ({"CommittedUsers": 40}, {"committed_users": 40}),
    "longest": ({"RampMonths": 24, "TermMonths": 60}, {"ramp_months": 24, "term_months": 60}),
    "euro": ({"Currency": "EUR", "QuoteCustomer": "Beispiel Handel GmbH"}, None),
    "bad": ({"CommittedUsers": -1}, None),
}
QUOTE_BOOKS = {
    "base": QUOTE,
    "partner": workbooks.scenario("quote-partner", _partner),
    **{
        name: workbooks.edited(f"quote-{name}", QUOTE, typed)
        for name, (typed, _changes) in QUOTE_EDITS.items()
    },
}


@pytest.fixture(scope="module")
def quotes(workbook_store, soffice):
    """case -> (its scenario or None, the recalculated workbook), read on first use
    from the session's store (recalculated in the worker's one LibreOffice run)."""

    class Quotes(dict):
        def __missing__(self, name):
            book = QUOTE_BOOKS[name]
            if name in QUOTE_EDITS:
                changes = QUOTE_EDITS[name][1]
                scenario = (
                    None
                    if changes is None
                    else scenario_from_mapping(quote_mapping(**changes), name=name)
                )
            else:
                scenario = workbook_store.scenario(book)
            self[name] = (scenario, workbook_store.book(book))
            return self[name]

    return Quotes()


def test_quote_sheet_layout(workbook_store):
    # the store's layout of sales_quote, laid out once per worker (read, never changed)
    s, book = workbook_store.scenario(QUOTE), workbook_store.layout(QUOTE)
    names = [sh.name for sh in book.sheets]
    assert names[:2] == ["Summary", "Quote"]
    quote = book.sheet("Quote")
    rows = _layout_rows(book)
    # the header: each part one input (no constant repeats the customer, seller or title)
    assert quote.value(1, 1) == "=QuoteSeller" and quote.value(7, 1) == "=QuoteCustomer"
    assert quote.value(9, 1) == "=QuoteTitle"
    assert quote.cells[(7, 1)].result == "Example Retail Ltd"
    texts = [c.value for c in quote.cells.values() if c.formula is None and c.value]
    for constant in (s.quote.customer, s.quote.seller, s.quote.title, s.quote.number, "USD"):
        assert not any(constant in str(t) for t in texts), constant
    for name in (
        "QuoteCustomer",
        "QuoteTitle",
        "QuoteSeller",
        "QuoteContact",
        "QuoteEmail",
        "QuotePhone",
        "QuoteNumber",
        "QuoteIssued",
        "QuoteValidUntil",
    ):
        assert book.names[name].startswith("Inputs!"), name
    assert not quote.landscape and quote.fit_width
    assert quote.footer == "&CPage &P of &N"
    head = rows["Appendix: invoice schedule"] + 2
    assert quote.repeat_rows == (head, head)
    assert rows["Appendix: invoice schedule"] in quote.row_breaks  # the appendix: a new page
    assert quote.print_area == "=Quote!$A$1:INDEX(Quote!$H:$H,QuoteLastRow)"
    # amounts follow the currency input's decimals (JPY none), (sub)totals included
    rules = [(h.cells, h.formula, h.style) for h in quote.highlights]
    assert sum(1 for _c, f, s in rules if "MoneyDecimals=0" in f and s in ("money0", "total0")) == 4
    lines = invoice_schedule(s)
    n = len(lines)
    assert book.sheet("Quote rows").hidden
    # every formula cell of the quote carries its engine value
    for sheet in (quote, book.sheet("Quote rows")):
        assert all(c.result is not None for c in sheet.cells.values() if c.formula)
    assert quote.cells[(head + n, 8)].result == 1520  # the last line: telephony of period 12
    assert quote.cells[(head + n + 1, 1)].result == TOTAL_LABEL
    figures = scenario_figures(s)
    assert quote.cells[(head + n + 1, 8)].result == float(figures["total"])
    summary = {}
    for r in range(rows["Price summary"] + 2, rows["Acceptance"]):
        cell = quote.cells.get((r, 1))
        if (r, 2) not in quote.cells:  # past the price rows
            break
        if cell.result:
            summary[cell.result] = [quote.cells[(r, q)].result for q in range(2, 9)]
    first_year = summary["First-year total (invoices dated in the first 12 months)"][5]
    contract = summary["Contract value (every invoice of the contract)"][6]
    assert Decimal(repr(first_year)) == figures["first_year"]
    assert Decimal(repr(contract)) == figures["total"]
    assert summary["PureCloud 2 / CX 2 named users"][:4] == [
        55,
        115,
        "per user per month",
        "monthly in advance",
    ]
    assert summary["USB headsets"][3] == "on shipment, 2026-03-10"
    # only the allowed functions, and nothing refers to a file
    text = " ".join(
        c.formula or str(c.value)
        for sh in (quote, book.sheet("Quote rows"))
        for c in sh.cells.values()
    )
    used = set(re.findall(r"([A-Z][A-Z0-9.]*)\(", text))
    assert used <= {
        "IF",
        "AND",
        "OR",
        "N",
        "COUNTIF",
        "IFERROR",
        "MATCH",
        "INDEX",
        "SUM",
        "SUMIF",
        "SUMIFS",
        "MAX",
        "TEXT",
        "ROUND",
        "DATE",
        "EDATE",
        "ISNUMBER",
        "INT",
        "ROW",
    }, used
    for sheet in (quote, book.sheet("Summary")):
        for cell in sheet.cells.values():
            assert not re.search(r"\.(csv|toml|xlsx)\b", str(cell.value or "")), cell.value


def test_no_quote_table_no_quote_sheet():
    book = build_layout(load_scenario(SCENARIOS_DIR / "eur_contract.toml"))
    assert "Quote" not in [s.name for s in book.sheets]
    assert "QuoteCustomer" not in book.names


def test_charts_start_a_page_and_the_profile_has_a_date_axis(workbook_store):
    book = workbook_store.layout(QUOTE)
    usage = book.sheet("Usage")
    chart = usage.charts[0]
    assert chart.kind == "scatter" and chart.x_number_format == "d mmm"
    assert chart.x_major_unit == 7 and chart.x_max - chart.x_min == 31  # March 2026
    # below the 108-period grids: Usage rows 5-112, a check row per license (114-115), the
    # profile's title on 117, its chart on 118; Cash flow: 109 invoice dates and the hardware
    # ship date (rows 5-114), total 115, chart 117
    assert usage.row_breaks == [118] and chart.anchor == "A118"
    assert book.sheet("Cash flow").row_breaks == [117]


@pytest.mark.parametrize(
    "quote, message",
    [
        ({"title": "x"}, "quote.customer: missing; accepted: the customer's name"),
        (
            {"customer": "A\x07B", "valid_until": "2026-02-27"},
            "quote.customer: contains the control character U+0007 at position 2",
        ),
        ({"customer": "A", "valid_until": "someday"}, "quote.valid_until"),
        (
            {"customer": "A", "valid_until": "2026-02-27", "titel": "x"},
            "quote.titel: unknown key; accepted: customer, title, valid_until, seller, contact, "
            "email, phone, number, issued",
        ),
        (
            {"customer": "A", "title": "t" * 256, "valid_until": "2026-02-27"},
            "quote.title: 256 characters; accepted: at most 255",
        ),
        (
            {"customer": "A", "valid_until": "2026-02-27", "email": "sales at example"},
            "quote.email: 'sales at example' is not accepted; accepted: an e-mail address",
        ),
        (
            {"customer": "A", "valid_until": "2026-02-27", "issued": "2026-03-01"},
            "quote.issued: 2026-03-01 is after valid_until 2026-02-27; accepted: a date on or "
            "before",
        ),
        (
            {"customer": "A", "valid_until": "2026-02-27", "seller": " "},
            "quote.seller: ' ' is not accepted; accepted: a non-empty text",
        ),
    ],
)
def test_quote_table_errors_are_one_line(quote, message):
    data = quote_mapping()
    data["quote"] = quote
    with pytest.raises(BillingInputError) as err:
        scenario_from_mapping(data, name="q")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_quote_number_may_be_a_whole_number():
    data = quote_mapping()
    data["quote"]["number"] = 1042
    assert scenario_from_mapping(data, name="q").quote.number == "1042"


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", ["base", "partner", "edited", "longest"])
def test_quote_lines_and_totals_equal_the_engine(quotes, workbook_store, case):
    scenario, wb = quotes[case]
    ws = wb["Quote"]
    rows = _layout_rows(workbook_store.layout(QUOTE))
    head = rows["Appendix: invoice schedule"] + 2
    expected = _engine(scenario)
    assert len(expected) > 40
    got = _appendix(ws, head)
    if scenario.contract.partner:
        assert any(line[2] == "USB headsets" and line[5] == 40 for line in got)
    assert got == expected  # same lines, same order
    # the print area ends at the schedule's total, whatever the ramp and term typed in
    last = named(wb, "QuoteLastRow")
    assert last == head + len(expected) + 1
    assert ws.cell(last, 1).value == TOTAL_LABEL and ws.cell(last + 1, 1).value in ("", None)
    summary = _summary(ws, rows["Price summary"] + 2)
    figures = scenario_figures(scenario)
    first_year = summary["First-year total (invoices dated in the first 12 months)"][5]
    contract = summary["Contract value (every invoice of the contract)"][6]
    if scenario.contract.partner:
        assert first_year in ("", None) and contract in ("", None)
        assert ws.cell(last, 8).value in ("", None)
        return
    assert _money(ws.cell(last, 8).value) == figures["total"]
    assert _money(first_year) == figures["first_year"]
    assert _money(contract) == figures["total"]
    items = [
        v for label, v in summary.items() if not label.startswith(("Subtotal", "First", "Contract"))
    ]
    assert sum(_money(v[6]) for v in items) == figures["total"]  # the lines add up
    # no assumed overage: an overage line only where the usage bills one
    overage = any(line[2].endswith("above the commitment") for line in expected)
    assert overage == any("above the commitment" in label for label in summary)


@pytest.mark.libreoffice
def test_quote_follows_the_currency_and_customer_inputs(quotes):
    _scenario, wb = quotes["euro"]
    ws = wb["Quote"]
    values = [str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert "Beispiel Handel GmbH" in values and "Example Retail Ltd" not in " ".join(values)
    assert any(v == "Monthly (EUR)" for v in values)
    assert not any("USD" in v for v in values), [v for v in values if "USD" in v]
    assert "Signed for Beispiel Handel GmbH, accepting quote Q-2026-0142 and its terms:" in values


@pytest.mark.libreoffice
def test_a_bad_input_leaves_no_quote_total_standing(quotes, workbook_store):
    """Committed users -1 (forced past validation): every total is an error, never a figure."""
    _scenario, wb = quotes["bad"]
    ws = wb["Quote"]
    rows = _layout_rows(workbook_store.layout(QUOTE))
    found = {}
    for r in range(rows["Price summary"] + 2, rows["Acceptance"]):
        label = ws.cell(r, 1).value
        found[label] = [ws.cell(r, q).value for q in (6, 7, 8)]
    # while an input is not accepted every line amount is an error (InputsOK gates them all,
    # as the Summary's figures): no total stands, the one-time fees' included
    totals = [
        v
        for label, v in found.items()
        if isinstance(label, str)
        and label.startswith(("First-year total", "Contract value", "Subtotal:"))
    ]
    figures = [v for row in totals for v in row if v not in ("", None)]
    assert len(figures) == 7 and all(isinstance(v, str) and v.startswith("#") for v in figures), (
        found
    )
    assert "An input is out of range" in ws.cell(11, 1).value
    assert named(quotes["base"][1], "QuoteLastRow") > 0 and quotes["base"][1]["Quote"].cell(
        11, 1
    ).value in ("", None)
    last = named(wb, "QuoteLastRow")
    assert isinstance(last, str) and last.startswith("#")


def test_excel_limits_are_refused_in_one_line():
    book = Book(sheets=[])
    sheet = book.add_sheet("Data")
    sheet.text(1, 1, "bell\x07 and tab\t")
    check_book(book)
    assert sheet.value(1, 1) == "bell  and tab\t"
    sheet.text(2, 1, "x" * 32_768)
    with pytest.raises(BillingInputError, match=r"Data!R2C1: text of 32,768 characters; Excel"):
        check_book(book)
    bad = Book(sheets=[])
    bad.add_sheet("a/b")
    with pytest.raises(BillingInputError, match="sheet name 'a/b': not accepted by Excel"):
        check_book(bad)
    assert sheet_name("x" * 40 + "[1]") == "x" * 31
    wide = Book(sheets=[])
    wide.add_sheet("Wide").put(1, 16_385, 1)
    with pytest.raises(BillingInputError, match="16,385 columns; Excel holds"):
        check_book(wide)


def test_the_first_cell_too_long_is_named_whatever_kind_it_is():
    """check_book measures a sheet's texts and formulas in bulk, then names the first cell (in
    the order the cells were placed) that is too long, a formula or a text."""
    book = Book(sheets=[])
    sheet = book.add_sheet("Data")
    sheet.text(1, 1, "fine")
    sheet.put(3, 2, "=" + "1+" * 4_096 + "1")  # 8,194 characters
    sheet.text(2, 1, "x" * 32_768)
    with pytest.raises(BillingInputError, match=r"^Data!R3C2: a formula of 8,194 characters;"):
        check_book(book)


def test_has_control_answers_as_the_control_pattern_for_every_character():
    """excel_limits.has_control (a bytes.translate of the UTF-8 text) finds what CONTROL finds:
    every character of the first planes, lone surrogates included, alone and amid text."""
    for code in range(0x11000):
        ch = chr(code)
        expected = CONTROL.search(ch) is not None
        assert has_control(ch) is expected, hex(code)
        assert has_control(f"ab€{ch}\tc") is expected, hex(code)


def test_control_characters_are_cleaned_in_every_text_a_cell_holds():
    """check_book looks for control characters once per sheet: one in a formula, a formula's
    text result or a comment is still cleaned, on a sheet whose other cells are clean, and a
    sheet without any keeps its text as it was."""
    book = Book(sheets=[])
    sheet = book.add_sheet("Data")
    for row in range(1, 50):
        sheet.text(row, 1, f"line {row}\ttabbed")
    sheet.put(50, 1, '="a\x01b"', result="a\x02b", comment="note\x03")
    clean = book.add_sheet("Clean")
    clean.text(1, 1, "tab\tand\nnewline")
    clean.put(2, 1, '=REPT("x",40000)', result="x" * 40_000)  # a text result is cut to fit
    check_book(book)
    assert clean.cells[(2, 1)].result == "x" * 32_767
    cell = sheet.cells[(50, 1)]
    assert (cell.formula, cell.result, cell.comment) == ('="a b"', "a b", "note ")
    assert sheet.value(7, 1) == "line 7\ttabbed"
    assert clean.value(1, 1) == "tab\tand\nnewline"


def test_too_many_orgs_are_refused_before_writing(tmp_path, capsys):
    """16,400 orgs need more columns than Excel has: one line, exit 2, no file."""
    orgs = "".join(f'[[org]]\nname = "o{i}"\nusers = [1]\n' for i in range(16_400))
    path = tmp_path / "wide.toml"
    path.write_text(
        '[contract]\norder_date = 2026-01-15\nlicense = "pc2"\n'
        "committed_users = 1\nprepay_rate = 1\nterm_months = 1\n"
        "[usage]\nusers = [1]\n" + orgs,
        encoding="utf-8",
    )
    out = tmp_path / "wide.xlsx"
    assert main(["build", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Excel" in err and "Traceback" not in err
    assert not out.exists()


def test_control_characters_in_a_description_are_cleaned(tmp_path):
    data = quote_mapping()
    data["one_time"][0]["description"] = "Enablement\x0b package"
    out = write_book(build_layout(scenario_from_mapping(data, name="c")), tmp_path / "c.xlsx")
    # read-only: the same cell values (formulas as text), streamed: half the CPU of a full load
    wb = openpyxl.load_workbook(out, read_only=True)
    texts = [
        c.value
        for ws in wb
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and "Enablement" in c.value
    ]
    # openpyxl (either reader) leaves XlsxWriter's escape of the character as the text _x000B_
    assert texts and all("\x0b" not in t and "_x000B_" not in t for t in texts)


def test_invoices_keeps_partner_quantity_only_lines(tmp_path, capsys):
    """A partner contract's hardware without a cost: in the workbook, and now in `invoices`."""
    path = tmp_path / "partner.toml"
    path.write_text(
        '[contract]\norder_date = 2026-01-15\nlicense = "pc2"\nchannel = "partner"\n'
        "committed_users = 10\nterm_months = 2\n[usage]\nusers = [10, 12]\n"
        '[[hardware]]\ndescription = "Desk phones"\nquantity = 40\n'
        "ship_date = 2026-01-20\n",
        encoding="utf-8",
    )
    assert main(["invoices", str(path), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "2026-01-20,2026-02-19,Desk phones,one-time,2026-01-20,2026-01-20,40,,,USD" in out
    lines = invoice_schedule(load_scenario(path))
    assert list(lines["quantity"]) == [10.0, 40.0, 10.0, 2.0]


@pytest.mark.parametrize("issued", [True, False])
def test_no_issue_date_label_stands_over_an_empty_issue_date(issued):
    # a quote without `issued` printed "Issue date" over an empty cell (hourly_contract's)
    data = quote_mapping()
    if not issued:
        del data["quote"]["issued"]
    layout = build_layout(scenario_from_mapping(data, name="issued"))
    (cell,) = [
        c for c in layout.sheet("Quote").cells.values() if c.formula and "Issue date" in c.formula
    ]
    assert cell.formula == '=IF(QuoteIssued="","","Issue date")'
    assert cell.result == ("Issue date" if issued else "")
