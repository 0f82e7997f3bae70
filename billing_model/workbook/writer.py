"""The one writer: a :class:`~billing_model.workbook.layout.Book` becomes an ``.xlsx`` file."""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart
from openpyxl.chart import Series as XlSeries
from openpyxl.chart.data_source import AxDataSource, NumRef, StrRef
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.table import Table as XlTable
from openpyxl.worksheet.table import TableStyleInfo

from ..io.atomic import atomic_path
from .layout import Book, Chart, Sheet

_THIN = Side(style="thin", color="B7B7B7")
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # the usual "edit me" yellow
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_TOTAL_FILL = PatternFill("solid", fgColor="DDEBF7")
_CHECK_FILL = PatternFill("solid", fgColor="E2EFDA")

#: style name -> openpyxl keyword arguments (font, fill, border, alignment, protection)
STYLES: dict[str, dict] = {
    "title": {"font": Font(bold=True, size=16, color="1F4E79")},
    "subtitle": {"font": Font(bold=True, size=12, color="1F4E79")},
    "header": {"font": Font(bold=True, color="FFFFFF"), "fill": _HEADER_FILL,
               "alignment": Alignment(wrap_text=True, vertical="center")},
    "label": {"font": Font(bold=False), "alignment": Alignment(vertical="center")},
    "input": {"font": Font(color="0000CC"), "fill": _INPUT_FILL,
              "border": Border(_THIN, _THIN, _THIN, _THIN), "protection": Protection(locked=False),
              "alignment": Alignment(vertical="center")},
    "calc": {"alignment": Alignment(vertical="center")},
    "total": {"font": Font(bold=True), "fill": _TOTAL_FILL, "border": Border(top=_THIN),
              "alignment": Alignment(vertical="center")},
    "intro": {"font": Font(italic=True, color="595959"),
              "alignment": Alignment(vertical="center")},
    "note": {"font": Font(italic=True, color="595959"),
             "alignment": Alignment(wrap_text=True, vertical="center")},
    "link": {"font": Font(color="0563C1", underline="single")},
    "check": {"font": Font(bold=True, color="375623"), "fill": _CHECK_FILL},
    "muted": {"font": Font(color="A6A6A6")},
    "center": {"alignment": Alignment(horizontal="center")},
}

_CM = 360000  # EMU per cm


def write_book(book: Book, target: str | os.PathLike) -> Path:
    """Write ``book`` to ``target`` (``.xlsx``) through a temporary file, then rename it."""
    wb = to_openpyxl(book)
    target = Path(target)
    with atomic_path(target) as tmp:
        wb.save(tmp)
        _make_reproducible(tmp, book.created)
    return target


def _make_reproducible(path: Path, when) -> None:
    """Rewrite the saved zip so the same book gives the same bytes: openpyxl stamps the save
    time into ``docProps/core.xml`` and into every zip entry; use ``when`` for both."""
    import re
    import zipfile

    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    date_time = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=date_time)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            out.writestr(fixed, data)


def to_openpyxl(book: Book) -> Workbook:
    """The openpyxl workbook for ``book`` (not saved)."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in book.sheets:
        _write_sheet(wb, sheet)
    for name, target in sorted(book.names.items()):
        wb.defined_names[name] = DefinedName(name, attr_text=target)
    wb.active = book.active
    props = wb.properties
    props.title = book.title
    props.subject = book.subject
    props.creator = "billing_model"
    props.lastModifiedBy = "billing_model"
    props.created = book.created
    props.modified = book.created
    wb.calculation.fullCalcOnLoad = True  # Excel computes every formula on open
    return wb


def _write_sheet(wb: Workbook, sheet: Sheet) -> None:
    ws = wb.create_sheet(sheet.name)
    if sheet.tab_color:
        ws.sheet_properties.tabColor = sheet.tab_color
    for (row, col), cell in sorted(sheet.cells.items()):
        xc = ws.cell(row=row, column=col)
        if cell.formula is not None:
            xc.value = cell.formula
        elif cell.text:
            xc.value = cell.value
            xc.data_type = "s"  # text, even when it starts with = + - @
            if cell.value and cell.value[0] in "=+-@":
                xc.quotePrefix = True  # Excel keeps it text when the cell is edited
        elif isinstance(cell.value, dt.datetime | dt.date) and not cell.number_format:
            xc.value = cell.value
            xc.number_format = "yyyy-mm-dd"
        else:
            xc.value = cell.value
        style = STYLES.get(cell.style or "", {})
        for attr, value in style.items():
            setattr(xc, attr, value)
        if cell.bold:
            xc.font = Font(bold=True, color=xc.font.color)
        if cell.number_format:
            xc.number_format = cell.number_format
        if cell.comment:
            comment = Comment(cell.comment, "billing_model")
            comment.width, comment.height = 320, 110
            xc.comment = comment
    for col, width in sorted(sheet.widths.items()):
        ws.column_dimensions[get_column_letter(col)].width = width
    for row, height in sorted(_row_heights(sheet).items()):
        ws.row_dimensions[row].height = height
    for table in sheet.tables:
        xt = XlTable(displayName=table.name, ref=table.ref)
        xt.tableStyleInfo = TableStyleInfo(name=table.style, showRowStripes=True)
        ws.add_table(xt)
    for validation in sheet.validations:
        if validation.kind == "list":
            dv = DataValidation(type="list", formula1='"' + ",".join(validation.options) + '"',
                                allow_blank=False)
        else:
            dv = DataValidation(type=validation.kind, operator="between",
                                formula1=_num(validation.minimum),
                                formula2=_num(validation.maximum))
        dv.showErrorMessage = True
        if validation.prompt:
            dv.promptTitle, dv.prompt, dv.showInputMessage = "Input", validation.prompt[:255], True
        if validation.error:
            dv.errorTitle, dv.error = "Not accepted", validation.error[:255]
        ws.add_data_validation(dv)
        dv.add(validation.cells)
    for highlight in sheet.highlights:
        style = STYLES[highlight.style]
        ws.conditional_formatting.add(
            highlight.cells, FormulaRule(formula=[highlight.formula.lstrip("=")],
                                         font=style.get("font"), fill=style.get("fill")))
    for chart in sheet.charts:
        ws.add_chart(_chart(wb, chart), chart.anchor)
    if sheet.freeze:
        ws.freeze_panes = sheet.freeze
    if sheet.print_area:
        ws.print_area = sheet.print_area
    if sheet.repeat_rows:
        ws.print_title_rows = sheet.repeat_rows
    for row in sorted(set(sheet.row_breaks)):
        ws.row_breaks.append(Break(id=row - 1))  # the break goes after row id
    ws.page_setup.orientation = "landscape" if sheet.landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    if sheet.fit_width:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
    ws.print_options.gridLines = False
    if sheet.hidden:
        ws.sheet_state = "hidden"


def _row_heights(sheet: Sheet) -> dict[int, float]:
    """Explicit heights, plus enough lines for wrapped text (spreadsheets do not grow rows of a
    file on open): characters / column width, rounded up."""
    heights = dict(sheet.heights)
    for (row, col), cell in sheet.cells.items():
        style = STYLES.get(cell.style or "", {})
        align = style.get("alignment")
        if align is None or not align.wrap_text or not isinstance(cell.value, str):
            continue
        width = sheet.widths.get(col, 8.43)
        per_line = max(width * (1.2 if cell.style == "note" else 1.0) - 2, 1)  # italic is narrow
        lines = sum(max(1, math.ceil(len(part) / per_line))
                    for part in cell.value.split("\n"))
        if lines > 1:
            heights[row] = max(heights.get(row, 15.0), 13.0 * lines + 3)
    return heights


def _num(value: float | str | None) -> str | None:
    if value is None or isinstance(value, str):  # a formula such as DATE(1900,1,1)
        return value
    return repr(float(value)) if value != int(value) else str(int(value))


def _reference(wb: Workbook, text: str) -> Reference:
    sheet_name, cells = text.rsplit("!", 1)
    sheet_name = sheet_name.strip("'")
    min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
    return Reference(wb[sheet_name], min_col=min_col, min_row=min_row, max_col=max_col,
                     max_row=max_row)


def _chart(wb: Workbook, spec: Chart):
    if spec.kind == "bar":
        chart = BarChart()
        chart.type = "col"
        chart.gapWidth = 60
        if spec.stacked:
            chart.grouping, chart.overlap = "stacked", 100
    elif spec.kind == "scatter":
        chart = ScatterChart()
        chart.style = 13
    else:
        chart = LineChart()
    chart.title = spec.title
    chart.width, chart.height = spec.width_cm, spec.height_cm
    if spec.x_title:
        chart.x_axis.title = spec.x_title
    if spec.y_title:
        chart.y_axis.title = spec.y_title
    if spec.y_number_format:
        chart.y_axis.number_format = spec.y_number_format
        chart.y_axis.majorGridlines = chart.y_axis.majorGridlines
    if spec.x_number_format:
        chart.x_axis.number_format = spec.x_number_format
        chart.x_axis.numFmt.sourceLinked = False  # the axis' own format, not the cells'
    if spec.x_major_unit is not None:
        chart.x_axis.majorUnit = spec.x_major_unit
    if spec.x_min is not None:
        chart.x_axis.scaling.min = spec.x_min
    if spec.x_max is not None:
        chart.x_axis.scaling.max = spec.x_max
    chart.legend.position = "b"
    # openpyxl >= 3.1 hides axes unless told otherwise
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    for series in spec.series:
        values = _reference(wb, series.values)
        if spec.kind == "scatter":
            xs = _reference(wb, series.categories)
            xl = XlSeries(values, xs, title=series.title)
            xl.marker.symbol = "none"
            xl.smooth = False
            chart.series.append(xl)
        else:
            xl = XlSeries(values, title=series.title)
            if series.categories and spec.x_number_format:  # numbers or dates on the axis
                xl.cat = AxDataSource(numRef=NumRef(f=series.categories))
            elif series.categories:
                xl.cat = AxDataSource(strRef=StrRef(f=series.categories))
            chart.series.append(xl)
        if spec.kind != "bar":
            xl.smooth = False
        if series.color:
            if spec.kind == "bar":
                xl.graphicalProperties.solidFill = series.color
                xl.graphicalProperties.line.solidFill = series.color
            else:
                xl.graphicalProperties.line.solidFill = series.color
                xl.graphicalProperties.line.width = 22000
        if series.dash:
            xl.graphicalProperties.line.dashStyle = "dash"
    return chart
