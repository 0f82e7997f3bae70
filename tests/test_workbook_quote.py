"""The Quote sheet (issue 13, item 5) and what Excel cannot hold (item 6).

The Quote lines are proven in LibreOffice: the workbook of ``sales_quote`` (and a partner and
an edited copy) recalculated, its Quote rows must be the engine's non-zero schedule lines in
the schedule's order, and its totals the engine's. The Quote and Summary sheets are rendered to
PDF (recalculated values, each sheet alone) and their pages counted.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from decimal import Decimal

import openpyxl
import pytest

from billing_model.cli import main
from billing_model.core.errors import BillingInputError
from billing_model.core.invoices import invoice_schedule
from billing_model.io.libreoffice import convert
from billing_model.io.scenario import load_scenario, scenario_from_mapping
from billing_model.workbook import SCENARIOS_DIR, build_layout, write_book
from billing_model.workbook.excel_limits import check_book, sheet_name
from billing_model.workbook.layout import Book
from tests import workbooks

QUOTE_HEAD = 14  # the Quote sheet's heading row


def _quote_mapping(**contract) -> dict:
    with open(SCENARIOS_DIR / "sales_quote.toml", "rb") as f:
        data = tomllib.load(f, parse_float=Decimal)
    data["contract"].update(contract)
    data["usage"]["sessions"] = str(SCENARIOS_DIR / "sample_sessions.csv")
    return data


def _lines(ws) -> list[tuple]:
    out = []
    for row in ws.iter_rows(min_row=QUOTE_HEAD + 1, max_col=8, values_only=True):
        if row[0] in ("", None):
            continue
        d = [v.date() if isinstance(v, dt.datetime) else v for v in row]
        out.append((d[0], d[1], d[2], d[3], d[4], round(float(d[5]), 6),
                    None if d[7] in ("", None) else Decimal(repr(d[7]))))
    return out


def _engine(scenario) -> list[tuple]:
    s = invoice_schedule(scenario)
    return [(r.invoice_date, r.due_date, r.description, r.service_start, r.service_end,
             round(r.quantity, 6), r.amount) for r in s.itertuples()]


def _partner():
    partner_data = _quote_mapping(channel="partner")
    partner_data["hardware"][0].pop("rate")  # a quantity-only hardware line
    return scenario_from_mapping(partner_data, name="partner")


#: sales_quote as built, as a partner contract, and with an edit on the Inputs sheet: 40
#: committed users (the overage quantities change); the session's workbooks (tests/workbooks.py)
QUOTE = workbooks.example("sales_quote")
EUR = workbooks.example("eur_contract")
BOOKS = {"base": QUOTE, "partner": workbooks.scenario("quote-partner", _partner),
         "edited": workbooks.edited("quote-40-users", QUOTE, {"CommittedUsers": 40})}


@pytest.fixture(scope="module")
def quotes(workbook_store):
    """{case: (scenario the engine computes, recalculated workbook, its file)}."""
    scenarios = {"base": workbook_store.scenario(QUOTE),
                 "partner": workbook_store.scenario(BOOKS["partner"]),
                 "edited": scenario_from_mapping(_quote_mapping(committed_users=40),
                                                 name="edited")}
    return {name: (scenarios[name], workbook_store.book(book), workbook_store.recalculated(book))
            for name, book in BOOKS.items()}


def test_quote_sheet_layout(workbook_store):
    book = workbook_store.layout(QUOTE)
    names = [sh.name for sh in book.sheets]
    assert names[:2] == ["Summary", "Quote"]
    quote = book.sheet("Quote")
    assert quote.value(1, 1) == ("Contact center subscription: PureCloud 2 named, 1-month ramp"
                                 " + 12 months")
    assert quote.value(2, 1) == "Prepared for Example Retail Ltd"
    assert quote.landscape and quote.fit_width
    assert quote.repeat_rows == (QUOTE_HEAD, QUOTE_HEAD)
    assert quote.print_area == f"A1:H{QUOTE_HEAD + 53}"  # 53 non-zero lines as built
    assert book.sheet("Quote rows").hidden
    assert book.title == quote.value(1, 1)
    assert book.sheet("Summary").value(1, 1) == quote.value(1, 1)
    # every formula cell of the quote carries its engine value
    for sheet in (quote, book.sheet("Quote rows")):
        assert all(c.result is not None for c in sheet.cells.values() if c.formula)
    assert quote.cells[(QUOTE_HEAD + 53, 8)].result == 1520  # the last line: telephony of period 12
    assert quote.cells[(QUOTE_HEAD + 54, 1)].result == ""
    # only the allowed functions, and nothing refers to a file
    text = " ".join(c.formula or str(c.value) for sh in (quote, book.sheet("Quote rows"))
                    for c in sh.cells.values())
    used = set(re.findall(r"([A-Z][A-Z0-9.]*)\(", text))
    assert used <= {"IF", "AND", "OR", "N", "COUNTIF", "IFERROR", "MATCH", "INDEX", "SUM",
                    "MAX", "TEXT"}
    for sheet in (quote, book.sheet("Summary")):
        for cell in sheet.cells.values():
            assert not re.search(r"\.(csv|toml|xlsx)\b", str(cell.value or "")), cell.value


def test_no_quote_table_no_quote_sheet(workbook_store):
    book = workbook_store.layout(EUR)
    assert "Quote" not in [s.name for s in book.sheets]


def test_charts_start_a_page_and_the_profile_has_a_date_axis(workbook_store):
    book = workbook_store.layout(QUOTE)
    usage = book.sheet("Usage")
    chart = usage.charts[0]
    assert chart.kind == "scatter" and chart.x_number_format == "d mmm"
    assert chart.x_major_unit == 7 and chart.x_max - chart.x_min == 31  # March 2026
    # below the 84-period grids: Usage rows 5-88, the profile's title on 91, its chart on 92;
    # Cash flow: 85 invoice dates and the hardware ship date (rows 5-90), total 91, chart 93
    assert usage.row_breaks == [92]
    assert book.sheet("Cash flow").row_breaks == [93]


@pytest.mark.parametrize("quote, message", [
    ({"title": "x"}, "quote.customer: missing; accepted: the customer's name"),
    ({"customer": "A\x07B", "valid_until": "2026-02-27"},
     "quote.customer: contains the control character U+0007 at position 2"),
    ({"customer": "A", "valid_until": "someday"}, "quote.valid_until"),
    ({"customer": "A", "valid_until": "2026-02-27", "titel": "x"},
     "quote.titel: unknown key; accepted: customer, title, valid_until"),
    ({"customer": "A", "title": "t" * 256, "valid_until": "2026-02-27"},
     "quote.title: 256 characters; accepted: at most 255"),
])
def test_quote_table_errors_are_one_line(quote, message):
    data = _quote_mapping()
    data["quote"] = quote
    with pytest.raises(BillingInputError) as err:
        scenario_from_mapping(data, name="q")
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", ["base", "partner", "edited"])
def test_quote_lines_equal_the_engine(quotes, case):
    scenario, wb, _path = quotes[case]
    ws = wb["Quote"]
    expected = _engine(scenario)
    assert len(expected) > 40
    got = _lines(ws)
    if scenario.contract.partner:
        assert any(line[2] == "USB headsets" and line[5] == 40 for line in got)
    assert got == expected  # same lines, same order
    total = ws.cell(7, 3).value
    want = sum((a for *_x, a in expected if a is not None), Decimal(0))
    assert Decimal(repr(total)) == want
    note = ws.cell(QUOTE_HEAD - 2, 1).value
    assert note is None  # no more lines than the print area holds (an edit adding lines: TODO)


def _pages(pdf: bytes) -> list[bytes]:
    return re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+ [\d.]+)", pdf)


@pytest.mark.libreoffice
def test_quote_and_summary_print(quotes, tmp_path):
    """Each sheet alone (values of the recalculated workbook): Quote 1-2 landscape pages, one
    page wide; Summary one page."""
    _scenario, _wb, path = quotes["base"]
    sheets = []
    for keep in ("Quote", "Summary"):
        wb = openpyxl.load_workbook(path, data_only=True)
        for ws in list(wb):
            if ws.title != keep:
                wb.remove(ws)
        wb.save(tmp_path / f"{keep}.xlsx")
        sheets.append(tmp_path / f"{keep}.xlsx")
    quote_pdf, summary_pdf = convert(sheets, tmp_path / "pdf", to="pdf")
    quote_pages = {p for p in re.findall(rb"/Type\s*/Page[^s]", quote_pdf.read_bytes())}
    boxes = [tuple(float(v) for v in b.split()) for b in _pages(quote_pdf.read_bytes())]
    n_quote = len(re.findall(rb"/Type\s*/Page[^s]", quote_pdf.read_bytes()))
    assert quote_pages and 1 <= n_quote <= 2
    assert all(w > h for w, h in boxes)  # landscape
    assert len(re.findall(rb"/Type\s*/Page[^s]", summary_pdf.read_bytes())) == 1


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


def test_too_many_orgs_are_refused_before_writing(tmp_path, capsys):
    """16,400 orgs need more columns than Excel has: one line, exit 2, no file."""
    orgs = "".join(f'[[org]]\nname = "o{i}"\nusers = [1]\n' for i in range(16_400))
    path = tmp_path / "wide.toml"
    path.write_text('[contract]\norder_date = 2026-01-15\nlicense = "pc2"\n'
                    "committed_users = 1\nprepay_rate = 1\nterm_months = 1\n"
                    "[usage]\nusers = [1]\n" + orgs, encoding="utf-8")
    out = tmp_path / "wide.xlsx"
    assert main(["build", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Excel" in err and "Traceback" not in err
    assert not out.exists()


def test_control_characters_in_a_description_are_cleaned(tmp_path):
    data = _quote_mapping()
    data["one_time"][0]["description"] = "Enablement\x0b package"
    out = write_book(build_layout(scenario_from_mapping(data, name="c")), tmp_path / "c.xlsx")
    wb = openpyxl.load_workbook(out)
    texts = [c.value for ws in wb for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and "Enablement" in c.value]
    assert texts and all("\x0b" not in t for t in texts)


def test_invoices_keeps_partner_quantity_only_lines(tmp_path, capsys):
    """A partner contract's hardware without a cost: in the workbook, and now in `invoices`."""
    path = tmp_path / "partner.toml"
    path.write_text('[contract]\norder_date = 2026-01-15\nlicense = "pc2"\nchannel = "partner"\n'
                    "committed_users = 10\nterm_months = 2\n[usage]\nusers = [10, 12]\n"
                    '[[hardware]]\ndescription = "Desk phones"\nquantity = 40\n'
                    "ship_date = 2026-01-20\n", encoding="utf-8")
    assert main(["invoices", str(path), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "2026-01-20,2026-02-19,Desk phones,one-time,2026-01-20,2026-01-20,40,,,USD" in out
    lines = invoice_schedule(load_scenario(path))
    assert list(lines["quantity"]) == [10.0, 40.0, 10.0, 2.0]
