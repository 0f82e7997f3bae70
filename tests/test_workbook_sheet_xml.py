"""The writer's quick worksheet (:mod:`billing_model.workbook.sheet_xml`) writes the very bytes
XlsxWriter's own worksheet writes.

Each test writes the same workbook twice, with :class:`~billing_model.workbook.sheet_xml.Worksheet`
and with ``xlsxwriter.worksheet.Worksheet`` (the writer's ``WORKSHEET_CLASS`` switched), and
compares the files. The quick class copies parts of XlsxWriter's per-cell code: an XlsxWriter
release that changes what it writes for a cell fails here, not in a user's file.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import xlsxwriter
import xlsxwriter.worksheet

from billing_model.io.scenario import load_scenario
from billing_model.workbook import SCENARIOS_DIR, build_layout, sheet_xml, writer
from billing_model.workbook.layout import Book, Table, a1
from billing_model.workbook.writer import write_book

#: text that needs XML escapes, Excel's _xHHHH_ escapes (control characters and a literal one),
#: kept spaces, line breaks, other scripts, a leading "=" (stored with a quote prefix)
TEXTS = [
    "a <b> & \"c\" 'd'",
    "_x0041_ literal",
    "bell\x07 and unit\x1f separator",
    "  padded  ",
    "two\nlines",
    "Zürich € 東京 😀",
    "=1+1",
    "-5 users",
]

#: formula results of every kind a cell caches: numbers, text (escaped, control characters,
#: empty), booleans, an error, and what ``excel_value`` converts (Decimal, date, NumPy)
RESULTS = [
    1.5,
    -0.0,
    7,
    1e300,
    2.0**-1074,
    'text <&> "q"',
    "ctl\x01",
    "",
    None,
    True,
    False,
    "#N/A",
    "#DIV/0!",
    Decimal("12.10"),
    dt.date(2026, 2, 28),
    np.float64(0.1),
]

#: formulas: plain shapes (escaped or not), one XlsxWriter rewrites (its text names SORT),
#: a dynamic-array function and an array formula (both XlsxWriter's own path)
FORMULAS = [
    "=A1*2",
    '=IF(A1<2,"a&b","c>d")',
    '=IF(A1=1,"SORT(",0)',
    "=FILTER(A1:A3,A1:A3>1)",
    "{=SUM(A1:A3*A1:A3)}",
    "=",
    "='Other sheet'!B2+1",
]


def _every_kind() -> Book:
    """A book holding every kind of cell the writer stores, with and without a format."""
    book = Book(sheets=[], title="every <kind> & more", created=dt.datetime(2026, 3, 4, 5, 6, 7))
    sheet = book.add_sheet("Cells", tab_color="1F4E79")
    other = book.add_sheet("Other sheet")
    other.put(2, 2, 41)
    for i, value in enumerate([0, -1, 1.5, 1e-20, 2**53, Decimal("1.10"), np.int64(3)], 1):
        sheet.put(i, 1, value)  # numbers without a format
        sheet.put(i, 2, value, style="input", fmt="#,##0.00")
    for i, value in enumerate([dt.date(2026, 1, 31), dt.datetime(2026, 1, 31, 12, 30)], 1):
        sheet.put(i, 3, value)
        sheet.put(i, 4, value, style="calc", fmt="dd/mm/yyyy hh:mm")
    for i, value in enumerate([True, False], 1):
        sheet.put(i, 5, value)
        sheet.put(i, 6, value, style="check")
    sheet.put(1, 7, None, style="input")  # a blank with a format
    sheet.put(2, 7, None)  # a blank without one: no cell
    sheet.text(3, 7, "", style="input")
    for i, text in enumerate(TEXTS, 1):
        sheet.text(i, 8, text)
        sheet.text(i, 9, text, style="note", comment=f"about {text}")
        sheet.put(i, 10, text, style="label", bold=True)
    for i, result in enumerate(RESULTS, 1):
        sheet.put(i, 11, f"=A{i}+{i}", result=result)
        sheet.put(i, 12, f"=A{i}+{i}", style="money2", result=result, bold=i % 2 == 0)
    for i, formula in enumerate(FORMULAS, 1):
        sheet.put(i, 13, formula, result=i)
        sheet.put(i, 14, formula, style="total2", result="x")
    # far rows and columns: column letters past Z and past ZZ, rows in later span blocks
    sheet.put(40, 30, "=A1", style="calc", result=1)
    sheet.put(1000, 800, 5, comment="far & away")
    sheet.text(1000, 2, "row 1000")
    sheet.put(17, 3, "=A17", result=None, comment="a formula's note")
    # merged cells, a text and a formula, and a paragraph that sets its row's height
    sheet.text(20, 1, "merged <heading>", style="titlewrap")
    sheet.merges.append((20, 1, 4))
    sheet.put(21, 1, '=A1&"x"', style="subtitlewrap", result="0x")
    sheet.merges.append((21, 1, 3))
    sheet.paragraph(22, "a paragraph long enough to wrap over the merged columns " * 4, 6)
    sheet.widths.update({1: 12.0, 8: 30.0})
    sheet.heights[23] = 30.0
    sheet.hidden_columns.add(16)
    sheet.put(25, 1, "Head A", style="header")
    sheet.put(25, 2, "Head <B>", style="header")
    for row in (26, 27):
        sheet.put(row, 1, row)
        sheet.put(row, 2, f"={a1(row, 1, absolute=False)}*2", result=row * 2)
    sheet.tables.append(Table("Kinds", 25, 1, 27, 2))
    book.name("FirstNumber", sheet, 1, 1)
    return book


def _both(book: Book, tmp_path, monkeypatch) -> tuple[bytes, bytes]:
    """``book`` written with the quick worksheet and with XlsxWriter's."""
    quick = write_book(book, tmp_path / "quick.xlsx").read_bytes()
    monkeypatch.setattr(writer, "WORKSHEET_CLASS", xlsxwriter.worksheet.Worksheet)
    plain = write_book(book, tmp_path / "plain.xlsx").read_bytes()
    return quick, plain


def test_every_kind_of_cell_is_written_as_xlsxwriter_writes_it(tmp_path, monkeypatch):
    assert writer.WORKSHEET_CLASS is sheet_xml.Worksheet
    kinds, general = set(), []
    quick_cell, general_cell = (
        sheet_xml.Worksheet._cell_xml,
        xlsxwriter.worksheet.Worksheet._write_cell,
    )

    def seen(self, row, col, cell):
        kinds.add((cell.__class__.__name__, cell.format is not None))
        return quick_cell(self, row, col, cell)

    def by_xlsxwriter(self, row, col, cell):
        general.append(cell.__class__.__name__)
        general_cell(self, row, col, cell)

    monkeypatch.setattr(sheet_xml.Worksheet, "_cell_xml", seen)
    monkeypatch.setattr(xlsxwriter.worksheet.Worksheet, "_write_cell", by_xlsxwriter)
    book = _every_kind()
    quick = write_book(book, tmp_path / "quick.xlsx").read_bytes()
    # the book holds every kind the quick path writes, with a format and without
    fast = {"Formula", "Number", "Datetime", "String", "Blank", "Boolean"}
    assert {kind for kind, _ in kinds} == fast | {"ArrayFormula"}
    assert {kind for kind, formatted in kinds if formatted} == fast | {"ArrayFormula"}
    # (a date always has a number format; a blank without one is no cell)
    unformatted = fast - {"Blank", "Datetime"} | {"ArrayFormula"}
    assert {kind for kind, formatted in kinds if not formatted} == unformatted
    # XlsxWriter's own code wrote only the array formulas (the FILTER and the {=...}, twice)
    assert general == ["ArrayFormula"] * 4

    monkeypatch.setattr(writer, "WORKSHEET_CLASS", xlsxwriter.worksheet.Worksheet)
    plain = write_book(book, tmp_path / "plain.xlsx").read_bytes()
    assert len(general) > 4  # every cell, this time
    assert quick == plain


def test_a_scenario_workbook_is_written_as_xlsxwriter_writes_it(tmp_path, monkeypatch):
    """storage_estimate: tables, validations, highlights, charts, merges, comments."""
    book = build_layout(load_scenario(SCENARIOS_DIR / "storage_estimate.toml"))
    quick, plain = _both(book, tmp_path, monkeypatch)
    assert quick == plain


def test_the_cache_of_formula_shapes_is_bounded(tmp_path, monkeypatch):
    """Past its size the process's cache of shapes starts again; the file is the same."""
    monkeypatch.setattr(sheet_xml, "_MAX_SHAPES", 2)
    monkeypatch.setattr(sheet_xml.Worksheet, "_plain_shapes", {})
    book = Book(sheets=[])
    sheet = book.add_sheet("S")
    for col, formula in enumerate(["=A1", "=A1+1", "=SUM(A1:A2)", "=MAX(A1,2)", '=A1&"<"'], 2):
        sheet.put(1, col, formula, result=1)
    quick, plain = _both(book, tmp_path, monkeypatch)
    assert quick == plain
    assert 1 <= len(sheet_xml.Worksheet._plain_shapes) <= 2


def test_xlsxwriter_calls_the_shortcuts_leave_alone_write_the_same_file(tmp_path):
    """What the writer never does goes XlsxWriter's way with the quick class too: A1 notation,
    row and column formats over cells without one, rich strings, future functions, a comment
    beyond the last column, a cell past the grid, ``constant_memory``."""

    def write(worksheet_class, path, options):
        wb = xlsxwriter.Workbook(path, options)
        wb.set_properties({"created": dt.datetime(2026, 1, 1)})
        bold = wb.add_format({"bold": True})
        ws = wb.add_worksheet("S", worksheet_class=worksheet_class)
        ws.set_column(3, 3, 12, bold)
        ws.set_row(0, 20, bold)
        ws.write_formula("A1", "=B1*2", None, 4)
        ws.write_number("B1", 2)
        ws.write_string(1, 0, "a & b")
        ws.write_blank("C2", None, bold)
        ws.write_boolean("D2", True)
        ws.write_number(2, 3, 1.25)  # under the column's format
        ws.write_formula(0, 1, "=LOG10(A1)", None, 0.3)
        ws.write_formula(2, 0, "=T.DIST.2T(A1,2)", None, 0.5)
        ws.write_rich_string(3, 0, "plain ", bold, "bold", " again")
        ws.write_formula(4, 0, "=SORT(A1:A3)", None, 1)
        ws.write_comment(5, 6, "beyond the last column")
        assert ws.write_formula(1_048_576, 0, "=A1") == -1
        assert ws.write_number(0, 16_384, 1) == -1
        wb.close()
        return (tmp_path / path).read_bytes()

    for options in ({}, {"use_future_functions": True}, {"constant_memory": True}):
        quick = write(sheet_xml.Worksheet, str(tmp_path / "quick.xlsx"), options)
        plain = write(xlsxwriter.worksheet.Worksheet, str(tmp_path / "plain.xlsx"), options)
        assert quick == plain, options
