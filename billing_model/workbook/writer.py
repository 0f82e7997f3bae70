"""The one writer: a :class:`~billing_model.workbook.layout.Book` becomes an ``.xlsx`` file.

Written with XlsxWriter because it stores each formula together with its value (the layout's
``Cell.result``, computed by the engines when the workbook is built): readers that do not
calculate (pandas, openpyxl ``data_only``, mail and file previews) see the figures, while Excel
and LibreOffice still recalculate every formula on open (``fullCalcOnLoad``, XlsxWriter's
default). openpyxl only reads workbooks (tests, the xlwings side).

The output is byte-reproducible: XlsxWriter stamps every zip entry with a fixed date, and the
document properties carry the book's ``created`` date instead of the time of the build.

XlsxWriter's per-cell code (each formula searched and prepared with some 30 regular
expressions, each cell's XML escaped attribute by attribute) was most of a workbook's write time:
the sheets are written with :class:`.sheet_xml.Worksheet`, which takes shortcuts for the cells
this writer stores and writes the same bytes (:data:`WORKSHEET_CLASS`).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
import xlsxwriter.exceptions
import xlsxwriter.worksheet
from xlsxwriter.utility import xl_cell_to_rowcol

from ..io.atomic import atomic_path
from .layout import Book, Cell, Chart, Sheet, collector_paused, quote_sheet
from .sheet_xml import Worksheet

_THIN = "#B7B7B7"

#: style name -> XlsxWriter format properties (font, fill, border, alignment, protection)
STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 16, "font_color": "#1F4E79"},
    "subtitle": {"bold": True, "font_size": 12, "font_color": "#1F4E79"},
    "header": {
        "bold": True,
        "font_color": "#FFFFFF",
        "bg_color": "#1F4E79",
        "text_wrap": True,
        "valign": "vcenter",
    },
    "label": {"valign": "vcenter"},
    "input": {
        "font_color": "#0000CC",
        "bg_color": "#FFF2CC",
        "border": 1,
        "border_color": _THIN,
        "locked": False,
        "valign": "vcenter",
    },  # "edit me" yellow
    "calc": {"valign": "vcenter"},
    "total": {
        "bold": True,
        "bg_color": "#DDEBF7",
        "top": 1,
        "top_color": _THIN,
        "valign": "vcenter",
    },
    "intro": {"italic": True, "font_color": "#595959", "valign": "vcenter"},
    "note": {"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "vcenter"},
    "link": {"font_color": "#0563C1", "underline": 1},
    "check": {"bold": True, "font_color": "#375623", "bg_color": "#E2EFDA"},
    "muted": {"font_color": "#A6A6A6"},
    "center": {"align": "center"},
    "wrap": {"text_wrap": True, "valign": "top"},
    "top": {"valign": "top"},
    # a quote's figures: at the limits (1,000,000,000 users) a number wider than its column
    # printed as ### on the PDF; it shrinks to fit instead
    "topfit": {"valign": "top", "shrink": True},
    "topcenter": {"align": "center", "valign": "top"},
    "sign": {"bottom": 1, "bottom_color": "#404040", "valign": "bottom"},
    # conditional number formats (an amount's decimals follow the currency input)
    "money0": {"num_format": "#,##0"},
    "money2": {"num_format": "#,##0.00"},
    "total0": {
        "bold": True,
        "bg_color": "#DDEBF7",
        "top": 1,
        "top_color": _THIN,
        "num_format": "#,##0",
    },
    "total2": {
        "bold": True,
        "bg_color": "#DDEBF7",
        "top": 1,
        "top_color": _THIN,
        "num_format": "#,##0.00",
    },
    "paragraph": {"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top"},
    "bad": {"bold": True, "font_color": "#C00000", "text_wrap": True, "valign": "vcenter"},
    # headings that wrap over merged columns (a quote's seller and customer, up to 255
    # characters, were cut at the next filled cell or the page edge)
    "titlewrap": {
        "bold": True,
        "font_size": 16,
        "font_color": "#1F4E79",
        "text_wrap": True,
        "valign": "top",
    },
    "subtitlewrap": {
        "bold": True,
        "font_size": 12,
        "font_color": "#1F4E79",
        "text_wrap": True,
        "valign": "top",
    },
}

DEFAULT_DATE_FORMAT = "yyyy-mm-dd"
_PIXELS_PER_CM = 96 / 2.54
_EPOCH = dt.datetime(1899, 12, 30)  # serial 0 of the 1900 date system (after its 1900-02-29)
_EPOCH_DAY = _EPOCH.date()
#: the types a cell stores as they are (their subclasses, NumPy's among them, take the long way)
_AS_IS = frozenset({float, int, str, bool, type(None)})
_CHART_TYPES = {"line": "line", "bar": "column", "scatter": "scatter"}
_VALIDATION_KINDS = {"whole": "integer", "decimal": "decimal", "date": "date"}
#: the worksheet class the sheets are written with; ``xlsxwriter.worksheet.Worksheet`` writes
#: the same bytes more slowly (the test of :mod:`.sheet_xml` compares the two)
WORKSHEET_CLASS: type[xlsxwriter.worksheet.Worksheet] = Worksheet


def write_book(book: Book, target: str | os.PathLike) -> Path:
    """Write ``book`` to ``target`` (``.xlsx``) through a temporary file, then rename it.

    The zip is assembled in memory and then written in one go: a full disk (or any failed
    write) is then one ``OSError`` on the temporary file, which :func:`atomic_path` reports in
    one line, leaving ``target`` as it was. (XlsxWriter writing the zip to the file raised its
    own ``FileCreateError``, and its half-written ``ZipFile`` failed a second time when it was
    garbage-collected.) XlsxWriter still packs each part through a temporary file, as it did
    (not ``in_memory``, whose zip entries carry other dates and modes): the bytes are the same.
    """
    target = Path(target)
    with atomic_path(target) as tmp:
        data = _write(book)
        with open(tmp, "wb") as out:
            out.write(data)
    return target


@collector_paused()
def _write(book: Book) -> bytes:
    """The ``.xlsx`` file of ``book``, as bytes. XlsxWriter's temporary files (one per part)
    live in a folder of their own, removed whatever happens."""
    with tempfile.TemporaryDirectory(prefix="billing_model-xlsx-") as parts:
        buffer = io.BytesIO()
        error = _fill(
            book,
            xlsxwriter.Workbook(
                buffer,
                {
                    "strings_to_numbers": False,
                    "strings_to_formulas": False,
                    "strings_to_urls": False,
                    "tmpdir": parts,
                },
            ),
        )
        if error is not None:
            # XlsxWriter's half-made ZipFile (held in a cycle by the failure's traceback) is
            # collected now, while ``buffer`` is still open: closing it then does not fail a
            # second time ("Exception ignored in ZipFile.__del__")
            import gc

            gc.collect()
            raise error
        return buffer.getvalue()


def _fill(book: Book, wb: xlsxwriter.Workbook) -> OSError | None:
    """Write ``book`` into ``wb`` and close it; a failed write is returned as a plain
    ``OSError`` (XlsxWriter wraps it in its ``FileCreateError``)."""
    try:
        formats = _Formats(wb)
        sheets = {
            sheet.name: wb.add_worksheet(sheet.name, worksheet_class=WORKSHEET_CLASS)
            for sheet in book.sheets
        }
        for sheet in book.sheets:
            _write_sheet(wb, sheets[sheet.name], sheet, formats)
        for name, target in sorted(book.names.items()):
            wb.define_name(name, "=" + target)
        sheets[book.sheets[book.active].name].activate()
        wb.set_properties(
            {
                "title": book.title,
                "subject": book.subject,
                "author": "billing_model",
                "created": book.created,
            }
        )
        wb.set_calc_mode("auto")  # with fullCalcOnLoad: Excel computes every formula on open
    except BaseException:
        wb.fileclosed = True  # nothing to save: do not let XlsxWriter write on garbage collection
        raise
    try:
        wb.close()
    except xlsxwriter.exceptions.FileCreateError as exc:  # an OSError, wrapped
        cause = exc.args[0] if exc.args else None
        if isinstance(cause, OSError):
            return OSError(cause.errno, cause.strerror)
        return OSError(str(exc))
    return None


class _Formats:
    """One XlsxWriter format per (style, number format, bold, quote prefix), made once."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb = wb
        self.cache: dict[tuple, Any] = {}

    def get(
        self,
        style: str | None,
        number_format: str | None = None,
        *,
        bold: bool = False,
        quote: bool = False,
    ):
        key = (style, number_format, bold, quote)
        if key not in self.cache:
            props = dict(STYLES.get(style or "", {}))
            if number_format:
                props["num_format"] = number_format
            if bold:
                props["bold"] = True
            if quote:
                props["quote_prefix"] = True
            self.cache[key] = self.wb.add_format(props) if props else None
        return self.cache[key]

    def highlight(self, style: str):
        key = ("dxf", style)
        if key not in self.cache:
            props = {
                k: v
                for k, v in STYLES[style].items()
                if k
                in ("font_color", "bg_color", "bold", "italic", "top", "top_color", "num_format")
            }
            self.cache[key] = self.wb.add_format(props)
        return self.cache[key]


def excel_value(value: Any) -> Any:
    """A Python value as a cell stores it: dates as Excel serial numbers, Decimals as floats."""
    if type(value) in _AS_IS:  # most cells (89,000 calls in sales_quote): one set look-up
        return value
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, dt.datetime | dt.date):
        if not isinstance(value, dt.datetime):
            return (value - _EPOCH_DAY).days
        delta = value.replace(tzinfo=None) - _EPOCH
        return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, int | float):
        return value
    if hasattr(value, "item"):  # a NumPy scalar
        return excel_value(value.item())
    raise ValueError(
        f"cannot store {type(value).__name__} {value!r} in a cell; accepted: a "
        "number, a date, text or a boolean"
    )


def _write_cell(ws, row: int, col: int, cell: Cell, formats: _Formats) -> None:
    r, c = row - 1, col - 1
    value = cell.value
    if cell.formula is not None:
        number_format = cell.number_format
        fmt = formats.get(cell.style, number_format, bold=cell.bold)
        result = excel_value(cell.result)
        ws.write_formula(r, c, cell.formula, fmt, "" if result is None else result)
    elif cell.text:
        text = "" if value is None else str(value)
        quote = bool(text) and text[0] in "=+-@"  # Excel keeps it text when the cell is edited
        fmt = formats.get(cell.style, cell.number_format, bold=cell.bold, quote=quote)
        if text:
            ws.write_string(r, c, text, fmt)
        else:
            ws.write_blank(r, c, None, fmt)
    elif isinstance(value, dt.datetime | dt.date):
        fmt = formats.get(cell.style, cell.number_format or DEFAULT_DATE_FORMAT, bold=cell.bold)
        ws.write_datetime(r, c, value, fmt)
    elif value is None:
        ws.write_blank(r, c, None, formats.get(cell.style, cell.number_format, bold=cell.bold))
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, formats.get(cell.style, cell.number_format, bold=cell.bold))
    elif isinstance(value, str):
        ws.write_string(r, c, value, formats.get(cell.style, cell.number_format, bold=cell.bold))
    else:
        number = excel_value(value)
        if isinstance(number, float) and not math.isfinite(number):
            raise ValueError(f"cannot store {number} in a cell; accepted: a finite number")
        ws.write_number(r, c, number, formats.get(cell.style, cell.number_format, bold=cell.bold))
    if cell.comment:
        ws.write_comment(
            r, c, cell.comment, {"author": "billing_model", "width": 320, "height": 110}
        )


def _write_sheet(wb: xlsxwriter.Workbook, ws, sheet: Sheet, formats: _Formats) -> None:
    if sheet.tab_color:
        ws.set_tab_color("#" + sheet.tab_color.lstrip("#"))
    for (row, col), cell in sorted(sheet.cells.items()):
        _write_cell(ws, row, col, cell, formats)
    for col, width in sorted(sheet.widths.items()):
        ws.set_column(col - 1, col - 1, width)
    for row, first, last in sheet.merges:
        cell = sheet.cells[(row, first)]
        fmt = formats.get(cell.style, cell.number_format, bold=cell.bold)
        ws.merge_range(row - 1, first - 1, row - 1, last - 1, "", fmt)
        if cell.formula is not None:  # merge_range wrote a blank over it
            result = excel_value(cell.result)
            ws.write_formula(
                row - 1, first - 1, cell.formula, fmt, "" if result is None else result
            )
        else:
            ws.write_string(row - 1, first - 1, str(cell.value or ""), fmt)
    for col in sorted(sheet.hidden_columns):
        ws.set_column(col - 1, col - 1, None, None, {"hidden": True})
    for row, height in sorted(_row_heights(sheet).items()):
        ws.set_row(row - 1, height)
    for table in sheet.tables:
        columns = []
        for col in range(table.first_col, table.last_col + 1):
            head = sheet.cells.get((table.first_row, col))
            text = "" if head is None or head.value is None else str(head.value)
            columns.append(
                {
                    "header": text or f"Column{col - table.first_col + 1}",
                    "header_format": formats.get(cell.style if cell else None),
                }
            )
        ws.add_table(
            table.first_row - 1,
            table.first_col - 1,
            table.last_row - 1,
            table.last_col - 1,
            {"name": table.name, "style": table.style, "columns": columns, "autofilter": False},
        )
    for validation in sheet.validations:
        options: dict[str, Any] = {"ignore_blank": False, "show_error": True}
        if validation.kind == "list":
            options.update(validate="list", source=list(validation.options or ()))
        else:
            options.update(
                validate=_VALIDATION_KINDS[validation.kind],
                criteria="between",
                minimum=_bound(validation.minimum, validation.kind),
                maximum=_bound(validation.maximum, validation.kind),
            )
        if validation.prompt:
            options.update(input_title="Input", input_message=validation.prompt[:255])
        if validation.error:
            options.update(error_title="Not accepted", error_message=validation.error[:255])
        ws.data_validation(validation.cells, options)
    for highlight in sheet.highlights:
        ws.conditional_format(
            highlight.cells,
            {
                "type": "formula",
                "criteria": "=" + highlight.formula.lstrip("="),
                "format": formats.highlight(highlight.style),
            },
        )
    for chart in sheet.charts:
        ws.insert_chart(chart.anchor, _chart(wb, chart, sheet))
    if sheet.freeze:
        ws.freeze_panes(sheet.freeze)
    if sheet.print_area and sheet.print_area.startswith("="):  # follows the cells
        wb.define_name(f"{quote_sheet(sheet.name)}!_xlnm.Print_Area", sheet.print_area)
    elif sheet.print_area:
        ws.print_area(sheet.print_area)
    if sheet.footer:
        ws.set_footer(sheet.footer)
    if sheet.repeat_rows:
        ws.repeat_rows(sheet.repeat_rows[0] - 1, sheet.repeat_rows[1] - 1)
    if sheet.row_breaks:
        ws.set_h_pagebreaks([row - 1 for row in sorted(sheet.row_breaks)])  # break above row
    if sheet.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(9)  # A4
    if sheet.fit_width:
        ws.fit_to_pages(1, 0)
    if sheet.hidden:
        ws.hide()


def _bound(value: float | str | None, kind: str) -> Any:
    """A validation bound: a number, or a formula such as ``DATE(1900,1,1)``."""
    if isinstance(value, str):
        return "=" + value.lstrip("=")
    if value is None:
        return None
    return int(value) if kind == "whole" and value == int(value) else value


#: the styles whose text wraps (looked up once, not once per cell)
_WRAPPED = frozenset(name for name, props in STYLES.items() if props.get("text_wrap"))


def _row_heights(sheet: Sheet) -> dict[int, float]:
    """Explicit heights, plus enough lines for wrapped text (spreadsheets do not grow rows of a
    file on open): characters / column width, rounded up."""
    heights = dict(sheet.heights)
    merged = {(row, first): last for row, first, last in sheet.merges}
    for (row, col), cell in sheet.cells.items():
        if cell.style not in _WRAPPED or not isinstance(cell.value, str):
            continue
        width = sum(sheet.widths.get(c, 8.43) for c in range(col, merged.get((row, col), col) + 1))
        per_line = max(width * (1.2 if cell.style == "note" else 1.0) - 2, 1)  # italic is narrow
        lines = sum(max(1, math.ceil(len(part) / per_line)) for part in cell.value.split("\n"))
        if lines > 1:
            heights[row] = max(heights.get(row, 15.0), 13.0 * lines + 3)
    return heights


def _series_cache(sheet: Sheet, reference: str) -> list | None:
    """The values a chart caches for ``reference`` (a range of ``sheet``): each cell's result
    as the engines computed it, an error (#N/A past the term in the charts' helper columns) as
    a point left out, as Excel writes it. XlsxWriter would cache "#N/A" as text, turning a
    scatter chart's x values into a text series. ``None`` for a range on another sheet."""
    name, _sep, cells = reference.rpartition("!")
    if name.strip("'").replace("''", "'") != sheet.name:
        return None
    first, _sep, last = cells.partition(":")
    (r1, c1), (r2, c2) = xl_cell_to_rowcol(first), xl_cell_to_rowcol(last or first)
    data = []
    for r in range(r1 + 1, r2 + 2):
        for c in range(c1 + 1, c2 + 2):
            cell = sheet.cells.get((r, c))
            value = (
                None
                if cell is None
                else excel_value(cell.result if cell.formula is not None else cell.value)
            )
            data.append(None if isinstance(value, str) and value.startswith("#") else value)
    return data


def _chart(wb: xlsxwriter.Workbook, spec: Chart, sheet: Sheet):
    options: dict[str, Any] = {"type": _CHART_TYPES[spec.kind]}
    if spec.kind == "scatter":
        options["subtype"] = "straight"
    elif spec.kind == "bar" and spec.stacked:
        options["subtype"] = "stacked"
    chart = wb.add_chart(options)
    for series in spec.series:
        entry: dict[str, Any] = {
            "values": "=" + series.values,
            "values_data": _series_cache(sheet, series.values),
        }
        if series.categories:
            entry["categories"] = "=" + series.categories
            entry["categories_data"] = _series_cache(sheet, series.categories)
        line: dict[str, Any] = {}
        if series.color:
            color = "#" + series.color.lstrip("#")
            if spec.kind == "bar":
                entry["fill"] = {"color": color}
                line["color"] = color
            else:
                line.update(color=color, width=1.75)
        if series.dash:
            line["dash_type"] = "dash"
        if line:
            entry["line"] = line
        if spec.kind == "bar":
            entry["gap"] = 60
            if spec.stacked:
                entry["overlap"] = 100
        elif series.bar_width_pt:  # bars at their x values: Layout's Series.bar_width_pt
            entry.update(
                line={"none": True},
                marker={"type": "none"},
                y_error_bars={
                    "type": "percentage",
                    "value": 100,
                    "direction": "minus",
                    "end_style": 0,
                    "line": {"color": line.get("color", "#1F4E79"), "width": series.bar_width_pt},
                },
            )
        else:
            entry["smooth"] = False
            entry["marker"] = {"type": "none"}
        chart.add_series(entry)
        _literal(chart.series[-1], series.title)
    chart.set_title({})
    _literal(chart.title, spec.title)
    x_axis: dict[str, Any] = {}
    y_axis: dict[str, Any] = {"major_gridlines": {"visible": True}}
    if spec.x_number_format:
        x_axis["num_format"] = spec.x_number_format
    if spec.x_major_unit is not None:
        x_axis["major_unit"] = spec.x_major_unit
    if spec.x_min is not None:
        x_axis["min"] = spec.x_min
    if spec.x_max is not None:
        x_axis["max"] = spec.x_max
    if spec.y_number_format:
        y_axis["num_format"] = spec.y_number_format
    chart.set_x_axis(x_axis)
    chart.set_y_axis(y_axis)
    if spec.x_title:
        _literal(chart.x_axis["title"], spec.x_title)
    if spec.y_title:
        _literal(chart.y_axis["title"], spec.y_title)
    chart.set_legend({"position": "bottom"} if spec.legend else {"none": True})
    _blanks_as_gaps(chart)
    chart.set_size(
        {
            "width": round(spec.width_cm * _PIXELS_PER_CM),
            "height": round(spec.height_cm * _PIXELS_PER_CM),
        }
    )
    return chart


def _blanks_as_gaps(chart) -> None:
    """Write ``<c:dispBlanksAs val="gap"/>`` explicitly: the charts' helper ranges hold #N/A
    past ramp + term so that a line stops at the contract's end. Excel skips #N/A points in
    any case; LibreOffice skips them only when the file says "gap", and reads the element's
    absence as the schema's default, "zero" (its lines dropped to 0 past the term). XlsxWriter
    leaves out the value Excel assumes, "gap", so it is written here."""
    chart._write_disp_blanks_as = lambda: chart._xml_empty_tag("c:dispBlanksAs", [("val", "gap")])


def _literal(target, text: str) -> None:
    """Set a series name, a chart or an axis title to ``text`` as a literal string.

    XlsxWriter's ``name`` option takes any text that looks like ``Sheet!A1`` (a variant named
    ``=cmd|' /C calc'!A0``, or ``Q1!B2 plan``) as a reference, which Excel would follow (or
    turn into a link to another program): the text is set after the call, as the plain string
    XlsxWriter writes for names that do not look like references (``<c:v>``, ``<a:t>``).
    """
    if isinstance(target, dict):  # a series
        target.update(name=text, name_formula=None, name_id=None)
    else:  # a chart or axis title
        target.name, target.formula, target.data_id = text, None, None
