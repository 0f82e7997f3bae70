"""tests/xlsx_values.py reads what openpyxl ``data_only`` reads: every cell of every sheet (value
and type), the sheets' order and size, defined names (global and a sheet's), tables, on
LibreOffice's recalculated files, the project's built files, a file XlsxWriter writes and one
written by hand with the XML forms no writer here uses."""

from __future__ import annotations

import datetime as dt
import warnings
import zipfile

import openpyxl
import pytest

from tests import workbooks
from tests.csv_values import read_sheet
from tests.workbook_cells import error_cells
from tests.xlsx_values import load_values

QUOTE = workbooks.example("sales_quote")  # dates, booleans, #N/A, strings, a Quote with merges
STUDY = workbooks.example("finance_ramp_study")  # four variants: their sheets and names
#: a bad input (text for a number): InputsOK FALSE, errors through every figure, problem text
TEXT_USERS = workbooks.edited("edits-text-users", QUOTE, {"CommittedUsers": "abc"})
#: LibreOffice saves these both as xlsx and as CSV: the tests compare the two readings
BOTH = (QUOTE, TEXT_USERS)
workbooks.needs_file(*BOTH, values=True)


def _openpyxl(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the Quote's print area (INDEX) openpyxl cannot read
        return openpyxl.load_workbook(path, data_only=True)


def _names(names) -> dict:
    return {
        name: (
            d.attr_text,
            d.localSheetId,
            d.hidden or None,  # LibreOffice writes hidden="false" on every name, XlsxWriter none
            list(d.destinations) if d.type == "RANGE" else None,
        )
        for name, d in names.items()
    }


def _differences(path, mine=None, theirs=None) -> tuple[list, int]:
    """Where the reader (or ``mine``, another reading of the same workbook) and openpyxl
    ``data_only`` (``theirs``, read from ``path`` when not given) disagree on ``path`` (each
    cell: its value and type), and how many cells were compared."""
    theirs = theirs if theirs is not None else _openpyxl(path)
    mine = mine if mine is not None else load_values(path)
    wrong: list = []
    if theirs.sheetnames != mine.sheetnames:
        return [("sheets", theirs.sheetnames, mine.sheetnames)], 0
    if _names(theirs.defined_names) != _names(mine.defined_names):
        wrong.append(("names", _names(theirs.defined_names), _names(mine.defined_names)))
    compared = 0
    for a, b in zip(theirs.worksheets, mine.worksheets, strict=True):
        size = (a.title, a.min_row, a.max_row, a.min_column, a.max_column, a.dimensions)
        if size != (b.title, b.min_row, b.max_row, b.min_column, b.max_column, b.dimensions):
            wrong.append(("size", size, (b.min_row, b.max_row, b.min_column, b.max_column)))
        if _names(a.defined_names) != _names(b.defined_names):
            wrong.append((a.title, "local names", _names(a.defined_names)))
        if a.tables.items() != b.tables.items():
            wrong.append((a.title, "tables", a.tables.items(), b.tables.items()))
        for row_a, row_b in zip(a.iter_rows(), b.iter_rows(), strict=True):
            for x, y in zip(row_a, row_b, strict=True):
                compared += 1
                if (x.coordinate, x.row, x.column) != (y.coordinate, y.row, y.column) or (
                    type(x.value) is not type(y.value) or x.value != y.value
                ):
                    wrong.append((a.title, x.coordinate, x.value, y.coordinate, y.value))
    return wrong, compared


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", [QUOTE, STUDY, TEXT_USERS], ids=lambda c: c.name)
def test_the_reader_reads_a_recalculated_workbook_as_openpyxl_does(workbook_store, case):
    """Both readings the workbook tests use equal openpyxl's on the xlsx LibreOffice saves: the
    reader on that file, and (on sales_quote and its edit) the store's recalculated values,
    LibreOffice's CSV of each sheet in the built file's sheets, names and tables
    (tests/csv_values.py), which the tests read instead of the saved file. On the bad input's
    workbook (errors everywhere), the no-error-cell tests' scan, which on these readings looks
    only at the cells a sheet holds, finds the error cells it finds on openpyxl's reading."""
    path = workbook_store.recalculated(case)
    theirs = _openpyxl(path)
    readings = [load_values(path)] + ([workbook_store.book(case)] if case in BOTH else [])
    for mine in readings:
        wrong, compared = _differences(path, mine, theirs)
        assert wrong == [], wrong[:5]
        assert compared > 40_000  # the whole workbook, not an empty sheet
    if case == TEXT_USERS:
        errors = error_cells(theirs)  # openpyxl's sheets: every cell of every range
        assert errors and all(error_cells(mine) == errors for mine in readings)
    book = readings[0]  # the reader on LibreOffice's file holds what the test says it holds
    values = {type(v) for ws in book for row in ws.values for v in row}
    assert {int, float, str, bool, dt.datetime, type(None)} <= values
    assert any(str(v).startswith(("#", "Err:")) for ws in book for row in ws.values for v in row)


def test_the_reader_reads_a_built_workbook_as_openpyxl_does(workbook_store):
    """The file as the project's writer (XlsxWriter) stores it, with every formula's value."""
    wrong, compared = _differences(workbook_store.built(QUOTE))
    assert wrong == [], wrong[:5]
    assert compared > 40_000


def _write_with_xlsxwriter(path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    data = book.add_worksheet("Data")
    bold = book.add_format({"bold": True})
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    times = book.add_format({"num_format": "hh:mm"})
    hours = book.add_format({"num_format": "[h]:mm"})
    shaded = book.add_format({"bg_color": "#FFF2CC"})
    data.write_string("A1", "shared <text> & more")
    data.write_rich_string("A2", "plain ", bold, "bold", " tail")
    data.write_boolean("A3", True)
    data.write_formula("A4", "=NA()", None, "#N/A")  # an error, stored as LibreOffice does
    data.write_formula("A5", '="a"&"b"', None, "ab")  # a formula's text: t="str"
    data.write_formula("A6", "=1=1", None, False)
    data.write_datetime("A7", dt.datetime(2026, 3, 1, 12, 30), dates)
    data.write_datetime("A8", dt.datetime(1899, 12, 31, 7, 45), times)
    data.write_number("A9", 1.25, hours)  # a duration of 30 hours
    data.write_number("A10", 3.0)  # an integer-valued float
    data.write_number("A11", 0.1)
    data.write_blank("B12", None, shaded)  # an empty cell that exists
    data.write_string("C3", "line one\r\nline two")
    data.write_formula("C4", "=1/0", None, "Err:502")  # LibreOffice's error text
    data.merge_range("D1:E2", "merged", bold)
    data.write_comment("F20", "a note past the data")
    data.write_url("G1", "https://help.mypurecloud.com/", string="help")
    data.add_table("A14:B16", {"name": "Small", "data": [[1, "x"], [2, "y"]]})
    data.write_number("H1", 0.125, book.add_format({"num_format": "0.0%"}))
    data.write_number("H2", 1, book.add_format({"num_format": "0%"}))
    data.write_string("H3", "TRUE")  # text that reads as a boolean, a number, a date
    data.write_string("H4", "0042")
    data.write_string("H5", "2026-03-01")
    data.write_string("H6", 'say "hi", twice')
    data.write_number("H7", 0, dates)  # a date cell holding 0: openpyxl makes a time of it
    data.write_datetime("H8", dt.datetime(1900, 1, 1), dates)  # where Excel's and LibreOffice's
    # day numbers part (Excel's 1900 has a 29 February): read as openpyxl reads LibreOffice's file
    other = book.add_worksheet("Other sheet")
    other.write_number("B2", 7)
    book.define_name("Everything", "=Data!$A$1:$A$11")
    book.define_name("'Other sheet'!Seven", "='Other sheet'!$B$2")  # a local name
    book.define_name("Rate", "=0.5")  # a constant: no destinations
    other.print_area("A1:B2")
    book.close()


WRITTEN = workbooks.custom("xlsx-values-written", _write_with_xlsxwriter)
workbooks.needs_file(WRITTEN, values=True)
workbooks.needs_file(STUDY)  # the reader on LibreOffice's xlsx of a workbook with variants


@pytest.mark.libreoffice
def test_libreoffices_values_of_every_kind_read_as_openpyxl_reads_its_saved_file(workbook_store):
    """The store's recalculated values (LibreOffice's CSV) on a file with a value of every kind:
    times, durations, percentages, text that looks like a number, a date or a boolean, quotes
    and commas, line breaks, merged cells, a date of 0."""
    path = workbook_store.recalculated(WRITTEN)
    book = workbook_store.book(WRITTEN)
    wrong, compared = _differences(path, book)
    assert wrong == [], wrong[:5]
    data = book["Data"]
    assert (data["A8"].value, data["A9"].value) == (dt.time(7, 45), dt.timedelta(hours=30))
    assert (data["H1"].value, data["H2"].value) == (0.125, 1) and type(data["H2"].value) is int
    assert [data[f"H{r}"].value for r in range(3, 7)] == [
        "TRUE",
        "0042",
        "2026-03-01",
        'say "hi", twice',
    ]
    assert data["H7"].value == dt.time(0)
    assert data["A6"].value is True  # recalculated: XlsxWriter stored False


def test_the_csv_reader_refuses_a_field_it_does_not_know(tmp_path):
    """A value LibreOffice writes in a form the reader does not know stops the test reading it,
    naming the place, rather than passing as text."""
    path = tmp_path / "Sheet.csv"
    path.write_text('"a",1\n,3 apples\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"row 2, column 2: '3 apples'"):
        read_sheet(path)
    path.write_text('"a",1,TRUE,2.5E-3\n"x ""y""",,07:45:00 PM,25%\n', encoding="utf-8")
    assert read_sheet(path) == {
        (1, 1): "a",
        (1, 2): 1,
        (1, 3): True,
        (1, 4): 0.0025,
        (2, 1): 'x "y"',
        (2, 3): dt.time(19, 45),
        (2, 4): 0.25,
    }


def test_the_reader_reads_a_file_xlsxwriter_writes_as_openpyxl_does(tmp_path):
    path = tmp_path / "written.xlsx"
    _write_with_xlsxwriter(path)
    wrong, compared = _differences(path)
    assert wrong == [], wrong[:5]
    book = load_values(path)
    data = book["Data"]
    # what each cell is, so the comparison above covers them
    assert data["A2"].value == "plain bold tail" and data["A1"].value == "shared <text> & more"
    assert (data["A3"].value, data["A4"].value, data["A5"].value) == (True, "#N/A", "ab")
    assert data["A7"].value == dt.datetime(2026, 3, 1, 12, 30)
    assert data["A8"].value == dt.time(7, 45) and data["A9"].value == dt.timedelta(hours=30)
    assert type(data["A10"].value) is int and data["B12"].value is None
    assert data["C3"].value == "line one_x000D_\nline two"  # XlsxWriter's \r, kept as openpyxl does
    assert data["C4"].value == "Err:502"
    assert data["E2"].value is None and data.max_row == 20  # merged; the note's cell exists
    assert data.tables["Small"].ref == "A14:B16"
    assert list(book["Other sheet"].defined_names) == ["Seven"]
    assert [d for d in book.defined_names] == ["Everything", "Rate"]


# --- XML no writer here uses, written by hand -----------------------------------------------------
_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
<Override PartName="/xl/sharedStrings.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="xl/workbook.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>
</Relationships>"""
_BOOK = """<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<workbookPr date1904="1"/>
<sheets><sheet name="Odd &amp; ends" sheetId="1" r:id="rId1"/></sheets>
<definedNames><definedName name="Odd">'Odd &amp; ends'!$A$1:$B$2</definedName>
<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1"
>'Odd &amp; ends'!$A$1</definedName>
</definedNames></workbook>"""
_BOOK_RELS = """<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="/xl/worksheets/sheet1.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>
<Relationship Id="rId2" Target="styles.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"/>
<Relationship Id="rId3" Target="sharedStrings.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>
</Relationships>"""
_STYLES = """<?xml version="1.0" encoding="UTF-8"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="d mmm yyyy"/>
<numFmt numFmtId="165" formatCode="&quot;USD&quot; #,##0.00"/></numFmts>
<fonts count="1"><font/></fonts><fills count="1"><fill><patternFill/></fill></fills>
<borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf/></cellStyleXfs>
<cellXfs count="5"><xf/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="46"/>
<xf numFmtId="14"/></cellXfs>
</styleSheet>"""
_STRINGS = """<?xml version="1.0" encoding="UTF-8"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<si><t>one</t></si>
<si><r><t xml:space="preserve">rich </t></r><r><rPr><b/></rPr><t>text</t></r>
<rPh sb="0" eb="1"><t>ignored</t></rPh></si>
<si><t>x005F_x0041_ kept</t></si>
<si><t/></si>
<si><t><![CDATA[<not markup> & 1]]></t></si>
</sst>"""
#: prefixed tags, rows and cells without r, numbers as "3.0" and "1E3", an ISO date, an inline
#: rich string, an empty <v/>, entities and a character reference, a date out of range
_SHEET = """<?xml version="1.0" encoding="UTF-8"?>
<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>
<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c></x:row>
<x:row><x:c><x:v>3.0</x:v></x:c><x:c><x:v>1E3</x:v></x:c><x:c s="1"><x:v>45000</x:v></x:c></x:row>
<x:row r="4"><x:c r="A4" t="s"><x:v>2</x:v></x:c><x:c r="B4" t="s"><x:v>3</x:v></x:c>
<x:c r="C4" t="s"><x:v>4</x:v></x:c><x:c r="D4" s="2"><x:v>12.5</x:v></x:c></x:row>
<x:row r="5"><x:c r="A5" t="d"><x:v>2026-03-01T12:00:00</x:v></x:c>
<x:c r="B5" t="inlineStr"><x:is><x:r><x:t>in</x:t></x:r><x:r><x:t>line</x:t></x:r></x:is></x:c>
<x:c r="C5"><x:v/></x:c><x:c r="D5" t="str"><x:v>a &lt;b&gt; &amp; &#233;&#x20AC;</x:v></x:c>
<x:c r="E5" s="3"><x:v>1.5</x:v></x:c><x:c r="F5" s="4"><x:v>99999999</x:v></x:c></x:row>
<x:row r="7" spans="1:2"><x:c r="B7" t="b"><x:v>0</x:v></x:c></x:row>
</x:sheetData><x:mergeCells count="1"><x:mergeCell ref="A4:B4"/></x:mergeCells></x:worksheet>"""


def test_the_reader_reads_the_xml_forms_no_writer_here_uses_as_openpyxl_does(tmp_path):
    path = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for name, text in {
            "[Content_Types].xml": _CONTENT_TYPES,
            "_rels/.rels": _ROOT_RELS,
            "xl/workbook.xml": _BOOK,
            "xl/_rels/workbook.xml.rels": _BOOK_RELS,
            "xl/styles.xml": _STYLES,
            "xl/sharedStrings.xml": _STRINGS,
            "xl/worksheets/sheet1.xml": _SHEET,
        }.items():
            z.writestr(name, text)
    wrong, compared = _differences(path)
    assert wrong == [], wrong[:5]
    ws = load_values(path)["Odd & ends"]
    assert [c.value for c in ws[1][:2]] == ["one", "rich text"]
    assert ws["A2"].value == 3.0 and type(ws["A2"].value) is float and ws["B2"].value == 1000.0
    assert ws["C2"].value == dt.datetime(2027, 3, 16)  # 1904 epoch
    assert [ws.cell(4, c).value for c in (1, 2, 3)] == ["x0041_ kept", None, "<not markup> & 1"]
    assert ws["D5"].value == "a <b> & é€" and ws["B5"].value == "inline"
    assert ws["C5"].value is None and ws["F5"].value == "#VALUE!"  # past year 9999
    assert ws["B7"].value is False and ws.max_row == 7 and compared == 7 * 6


def test_the_facade_answers_as_openpyxls_worksheet(tmp_path):
    """The openpyxl calls the tests make: ranges, rows, columns, iteration bounds."""
    path = tmp_path / "written.xlsx"
    _write_with_xlsxwriter(path)
    theirs, mine = _openpyxl(path)["Data"], load_values(path)["Data"]

    def values(cells):
        if isinstance(cells, tuple):
            return tuple(values(c) for c in cells)
        return cells.value

    for key in ("A1", "A1:C3", "A", "B:C", 3, "2:4", slice("A2", "B3")):
        assert values(mine[key]) == values(theirs[key]), key
    for kwargs in ({}, {"min_row": 3}, {"max_col": 2}, {"min_row": 2, "max_row": 4, "min_col": 2}):
        assert list(mine.iter_rows(values_only=True, **kwargs)) == list(
            theirs.iter_rows(values_only=True, **kwargs)
        )
        assert list(mine.iter_cols(values_only=True, **kwargs)) == list(
            theirs.iter_cols(values_only=True, **kwargs)
        )
    assert list(mine.values) == list(theirs.values)
    assert mine.cell(row=9, column=1).value == theirs.cell(row=9, column=1).value
    with pytest.raises(ValueError, match="at least 1"):
        mine.cell(0, 1)
    with pytest.raises(KeyError, match="does not exist"):
        load_values(path)["Nowhere"]
