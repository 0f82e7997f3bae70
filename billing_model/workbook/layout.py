"""A workbook described as plain data: sheets, cells, styles, names, tables, charts, validations.

The builder (:mod:`billing_model.workbook.build`) decides *what* goes where and returns a
:class:`Book`; the one writer (:mod:`billing_model.workbook.writer`) turns it into an ``.xlsx``
file. Tests read the layout without writing a file (formulas, names, which cells are inputs).

Addresses are 1-based ``(row, column)`` pairs; :func:`a1` and :func:`ref` turn them into the
``$B$4`` / ``Sheet!$B$4:$B$9`` text formulas need.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from xlsxwriter.utility import xl_col_to_name

from ..core.errors import BillingInputError

#: Excel's grid: rows and columns per sheet (XFD1048576 is the last cell)
MAX_ROWS, MAX_COLS = 1_048_576, 16_384

#: style names the writer knows (see ``writer.STYLES``)
STYLE_NAMES = (
    "title",
    "subtitle",
    "intro",
    "header",
    "label",
    "input",
    "calc",
    "total",
    "note",
    "link",
    "check",
    "muted",
    "center",
    "wrap",
    "sign",
    "money0",
    "money2",
    "top",
    "topcenter",
    "topfit",
    "total0",
    "total2",
    "bad",
    "paragraph",
)


@dataclass(slots=True)
class Cell:
    """One cell: a value (number, date, text, bool) or a formula (text starting with ``=``).

    ``text=True`` (the default for ``str`` values passed through :meth:`Sheet.text`) stores the
    value as text even when it starts with ``=``, ``+``, ``-`` or ``@``.

    With ``__slots__``: a workbook holds some 85,000 cells, each made, checked and written
    once; slots make each smaller and its attributes quicker to set and read.
    """

    value: Any = None
    formula: str | None = None
    style: str | None = None
    number_format: str | None = None
    comment: str | None = None
    text: bool = False
    bold: bool = False
    #: a formula cell's value, computed by the engines when the workbook is built; written with
    #: the formula so that readers that do not calculate (pandas, previews) see the figures
    result: Any = None


@dataclass
class Series:
    """A chart series: values (and categories) as ``Sheet!$B$2:$B$9`` ranges."""

    title: str
    values: str
    categories: str | None = None
    color: str | None = None
    dash: bool = False
    #: a scatter series drawn as bars this wide (points): a vertical line from the x axis to
    #: each point (an error bar of 100 %, minus), no marker, no line between the points; the
    #: bars stand at their x values (dates), so the axis spans the points that are not #N/A
    bar_width_pt: float | None = None


@dataclass
class Chart:
    kind: str  # "line", "bar", "scatter"
    title: str
    anchor: str  # top-left cell, "H3"
    series: list[Series]
    x_title: str | None = None
    y_title: str | None = None
    width_cm: float = 18.0
    height_cm: float = 8.0
    y_number_format: str | None = None
    x_number_format: str | None = None
    stacked: bool = False
    #: a scatter chart's x axis: major unit and bounds (dates as serial days)
    x_major_unit: float | None = None
    x_min: float | None = None
    x_max: float | None = None
    #: a legend below the plot (off for one series the title names)
    legend: bool = True


@dataclass
class Table:
    """An Excel table (ListObject) over a header row and its data rows."""

    name: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int
    style: str = "TableStyleLight9"

    @property
    def ref(self) -> str:
        return (
            f"{a1(self.first_row, self.first_col, absolute=False)}:"
            f"{a1(self.last_row, self.last_col, absolute=False)}"
        )


@dataclass
class Validation:
    """A drop-down list (``options``) or a whole/decimal number or date range on ``cells`` (A1
    text); a bound is a number or a formula such as ``DATE(1900,1,1)``."""

    cells: str
    options: tuple[str, ...] | None = None
    kind: str = "list"  # "list", "whole", "decimal", "date"
    minimum: float | str | None = None
    maximum: float | str | None = None
    prompt: str | None = None
    error: str | None = None


@dataclass
class Highlight:
    """Conditional formatting: ``style`` applies to ``cells`` where ``formula`` is true."""

    cells: str
    formula: str
    style: str = "muted"


@dataclass
class Sheet:
    name: str
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    hidden_columns: set[int] = field(default_factory=set)  # helper columns nobody reads
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    validations: list[Validation] = field(default_factory=list)
    highlights: list[Highlight] = field(default_factory=list)
    freeze: str | None = None
    #: "A1:L40"; default: every used cell. A formula ("=Quote!$A$1:INDEX(...)") is a print area
    #: that follows the cells (Excel evaluates it when printing)
    print_area: str | None = None
    heights: dict[int, float] = field(default_factory=dict)
    tab_color: str | None = None
    landscape: bool = True
    fit_width: bool = True
    hidden: bool = False
    #: print set-up: rows ``(first, last)`` repeated at the top of every printed page, and rows
    #: that start a new printed page (a manual page break above each)
    repeat_rows: tuple[int, int] | None = None
    row_breaks: list[int] = field(default_factory=list)
    #: the printed page's footer, in Excel's header/footer codes ("&CPage &P of &N")
    footer: str | None = None
    #: cells merged across columns ``(row, first_col, last_col)``: the first cell's text wraps
    #: over them (long lines that would otherwise widen the printed page)
    merges: list[tuple[int, int, int]] = field(default_factory=list)

    # --- helpers the builder uses -------------------------------------------------------------
    def put(
        self,
        row: int,
        col: int,
        value: Any = None,
        *,
        style: str | None = None,
        fmt: str | None = None,
        comment: str | None = None,
        bold: bool = False,
        result: Any = None,
    ) -> Cell:
        """Set a value or, when ``value`` is text starting with ``=``, a formula (``result``:
        its value as the engines compute it)."""
        # Cell's fields by position (value, formula, style, number_format, comment, text, bold,
        # result): half the time of keywords, on the layout's most frequent call (79,000 in
        # sales_quote)
        if isinstance(value, str) and value.startswith("="):
            cell = Cell(None, value, style, fmt, comment, False, bold, result)
        else:
            cell = Cell(value, None, style, fmt, comment, False, bold, None)
        self.cells[(row, col)] = cell
        return cell

    def text(
        self,
        row: int,
        col: int,
        value: object,
        *,
        style: str | None = None,
        comment: str | None = None,
        bold: bool = False,
    ) -> Cell:
        """Set text that is never read as a formula (data from scenarios and files)."""
        cell = Cell(
            value="" if value is None else str(value),
            style=style,
            comment=comment,
            text=True,
            bold=bold,
        )
        self.cells[(row, col)] = cell
        return cell

    def paragraph(self, row: int, text: str, last_col: int, *, col: int = 1) -> Cell:
        """Text wrapped over columns ``col`` to ``last_col`` (merged): a long line that prints
        within the page width."""
        cell = self.text(row, col, text, style="paragraph")
        self.merges.append((row, col, last_col))
        return cell

    def value(self, row: int, col: int) -> Any:
        cell = self.cells.get((row, col))
        if cell is None:
            return None
        return cell.formula if cell.formula is not None else cell.value

    def formulas(self) -> dict[str, str]:
        """``{"B4": "=..."}`` for every formula cell (handy in tests)."""
        return {
            a1(r, c, absolute=False): cell.formula
            for (r, c), cell in sorted(self.cells.items())
            if cell.formula is not None
        }


@dataclass
class Book:
    sheets: list[Sheet]
    names: dict[str, str] = field(default_factory=dict)  # name -> "Sheet!$B$4"
    title: str = ""
    subject: str = ""
    created: dt.datetime = dt.datetime(2026, 1, 1)
    active: int = 0

    def sheet(self, name: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.name == name:
                return sheet
        raise KeyError(name)

    def add_sheet(self, name: str, **kwargs) -> Sheet:
        sheet = Sheet(name, **kwargs)
        self.sheets.append(sheet)
        return sheet

    def name(
        self,
        name: str,
        sheet: Sheet | str,
        row: int,
        col: int,
        last_row: int | None = None,
        last_col: int | None = None,
    ) -> str:
        """Define ``name`` over a cell (or a range) and return it for use in formulas."""
        self.names[name] = ref(sheet, row, col, last_row, last_col)
        return name


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold Python's cyclic garbage collector off while a workbook is laid out or written
    (usable as a decorator), and turn it back on after, if it was on.

    A layout makes some 170,000 objects (cells and their keys), and XlsxWriter as many again;
    each allocation counts towards the collector's next pass, and each full pass walks every
    object the process holds (NumPy, pandas, the cells so far): 4-5 full passes in a build of
    sales_quote, none of which found anything to free: 0.3-0.4 s of CPU. Reference counting
    still frees every object that is not in a cycle meanwhile; cycles made during the build
    wait for the collector's next pass after it.
    """
    enabled = gc.isenabled()
    try:  # disabled inside: a Ctrl-C right after disable() still turns it back on
        gc.disable()
        yield
    finally:
        if enabled:
            gc.enable()


# at most 16,384 columns; a layout asks for the same few letters all along. Typed: 1 and True
# (or 1.0) are equal keys, and an answer kept for one was given for the other
@functools.lru_cache(maxsize=None, typed=True)
def column_letter(col: int) -> str:
    """``column_letter(28) == "AB"`` (1-based); a column past Excel's last is a one-line error."""
    if not 1 <= col <= MAX_COLS:
        raise BillingInputError(
            f"the workbook needs column {col:,}, past Excel's limit ({MAX_COLS:,} columns); "
            "accepted: a scenario whose sheets fit (fewer orgs, license lines or periods)"
        )
    return xl_col_to_name(col - 1)


# a layout asks for the same cell about three times (sales_quote: 69,000 calls, 23,000 cells):
# each answer is kept (bounded; a refusal is raised again each time, never kept). Typed, as
# column_letter: a1(True, True) once kept "$A$True" as the answer to a1(1, 1)
@functools.lru_cache(maxsize=1 << 16, typed=True)
def a1(row: int, col: int, *, absolute: bool = True) -> str:
    """``a1(4, 2) == "$B$4"``; a cell past Excel's last row or column is a one-line error."""
    if not (1 <= row <= MAX_ROWS and 1 <= col <= MAX_COLS):
        raise BillingInputError(
            f"the workbook needs cell (row {row:,}, column {col:,}), past Excel's limits "
            f"({MAX_ROWS:,} rows, {MAX_COLS:,} columns); accepted: a scenario whose sheets fit "
            "(fewer orgs, license lines or periods)"
        )
    letter = column_letter(col)
    return f"${letter}${row}" if absolute else f"{letter}{row}"


def quote_sheet(name: str) -> str:
    return f"'{name}'" if not name.replace("_", "").isalnum() else name


def ref(
    sheet: Sheet | str, row: int, col: int, last_row: int | None = None, last_col: int | None = None
) -> str:
    """``Sheet!$B$4`` or ``Sheet!$B$4:$B$9``."""
    name = sheet.name if isinstance(sheet, Sheet) else sheet
    text = f"{quote_sheet(name)}!{a1(row, col)}"
    if last_row is not None or last_col is not None:
        text += f":{a1(last_row or row, last_col or col)}"
    return text
