"""XlsxWriter's worksheet with a quicker path for the cells this project writes, same bytes.

A workbook such as ``sales_quote`` holds some 85,000 cells, 58,000 of them formulas. XlsxWriter
handles each cell twice, both times in general-purpose code: when it is stored (``write_formula``
converts A1 arguments, checks the grid, searches the formula for dynamic-array functions and
prepares it with some 30 regular expressions) and when the sheet's XML is written at ``close()``
(``_write_cell`` builds a list of attributes, escapes each one and the formula and its value with
a regular expression). That was about 2.5 s of a 3.4 s write under cProfile.

:class:`Worksheet` keeps XlsxWriter's data (the same cell tuples in ``self.table``, the same
grid dimensions) and its output, byte for byte, but takes shortcuts that hold for what the
writer stores: integer row and column, a formula shape (every digit "0") prepared once, the
``<c>`` element of the common cell kinds written from pieces cached per format. Anything
else (A1 arguments, array and dynamic formulas, future functions, rich strings,
``constant_memory``, a cell without a format over a row or column format) takes XlsxWriter's
own code.

``tests/test_workbook_sheet_xml.py`` writes workbooks holding every kind of cell with this
class and with XlsxWriter's and asserts the files are equal, so an XlsxWriter release that
changes what these shortcuts copy fails there.
"""

from __future__ import annotations

from typing import ClassVar

import xlsxwriter.worksheet
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import CellFormulaTuple, re_dynamic_function

#: every digit as "0": the shape of a formula, the same down a column ("=G5*H5", "=G6*H6").
#: Bytes, not text: ``bytes.translate`` is a table lookup in C, some 35 times quicker than
#: ``str.translate`` on a formula of 100 characters (0.15 against 5 microseconds, 58,000 formulas
#: in sales_quote); a formula's UTF-8 keeps every digit a byte of its own, and a byte >= 0x80
#: (of a sheet name in another script) is never a digit, so the shape is the same
_SHAPE = bytes.maketrans(b"123456789", b"000000000")

#: the most formula shapes kept (a few MB; sales_quote has 676, finance_ramp_study 445)
_MAX_SHAPES = 100_000

#: the cached values XlsxWriter marks as errors (``t="e"``), as in its ``_write_cell``
_ERROR_CODES = frozenset(("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"))


def _escape_data(text: str) -> str:
    """XlsxWriter's ``_escape_data`` of a text: ``&``, ``<``, ``>`` as entities (not quotes).

    Three ``in`` tests (a C scan each) instead of a regular-expression search: a formula of
    sales_quote rarely holds any of them, and the searches were 0.8 s of cProfile's 3.4 s."""
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


class Worksheet(xlsxwriter.worksheet.Worksheet):
    """XlsxWriter's worksheet, storing and writing the common cells without its general path."""

    # the sheet's dimensions, set by XlsxWriter (None until a cell is stored); declared for mypy
    dim_rowmin: int | None
    dim_rowmax: int | None
    dim_colmin: int | None
    dim_colmax: int | None

    #: formula shape -> whether XlsxWriter stores it as it is (:meth:`_plain`). One for every
    #: sheet and workbook of the process: the answer depends on the shape alone, and the shapes
    #: repeat from sheet to sheet (a variant's names differ by a digit: "V1_Users", "V2_Users")
    #: and from build to build. Each new shape costs some 30 regular expressions: kept sheet by
    #: sheet, finance_ramp_study prepared 816 shapes, now 445, and none when built again in the
    #: same process (the tests build some 60 workbooks). Emptied past :data:`_MAX_SHAPES`.
    _plain_shapes: ClassVar[dict[bytes, bool]] = {}

    def __init__(self) -> None:
        super().__init__()
        self._columns: dict[int, str] = {}  # column number -> letters
        self._styles: dict[object, str] = {}  # Format -> ' s="<xf index>"', at close

    # -- storing a cell ------------------------------------------------------------------------

    def _prepare_formula(self, formula, expand_future_functions=False):
        """``_prepare_formula`` runs once per formula shape.

        It rewrites the names of newer functions (``SORT(`` becomes ``_xlfn._xlws.SORT(``);
        none of the names it looks for (without future functions) has a digit, and a digit
        stays a word character when it becomes "0", so a formula changes exactly when its shape
        does. A shape XlsxWriter leaves alone (all of this project's: it writes no such
        function) leaves every formula of that shape alone but for the leading "=", which is
        dropped here without the regular expressions; any other formula goes through
        XlsxWriter's own preparation."""
        if (
            expand_future_functions
            or self.use_future_functions
            or not formula.startswith("=")
            or formula.endswith("}")
        ):
            return super()._prepare_formula(formula, expand_future_functions)
        return formula[1:] if self._plain(formula) else super()._prepare_formula(formula)

    def _plain(self, formula: str) -> bool:
        """Whether XlsxWriter stores ``formula`` (starting "=") as it is but for the "=": its
        shape is neither a dynamic-array formula (the same reasoning as ``_prepare_formula``:
        the names searched have no digit) nor changed by the preparation."""
        shape = formula.encode("utf-8", "surrogatepass").translate(_SHAPE)
        plain = self._plain_shapes.get(shape)
        if plain is None:
            if len(self._plain_shapes) >= _MAX_SHAPES:
                self._plain_shapes.clear()
            text = shape.decode("utf-8", "surrogatepass")
            plain = self._plain_shapes[shape] = (
                re_dynamic_function.search(text) is None
                and super()._prepare_formula(text) == text[1:]
            )
        return plain

    def write_formula(self, *args, **kwargs):
        """XlsxWriter's ``write_formula`` for the writer's cells (row, column, a plain "="
        formula, format, value; integers in the grid): what ``_write_formula`` stores, without
        the A1 conversion, the dynamic-array search and the preparation of each formula (about
        1.3 s of cProfile's 3.4 s for sales_quote). Anything else goes the usual way."""
        if not kwargs and 3 <= len(args) <= 5:
            row, col, formula = args[:3]
            if (
                row.__class__ is int
                and col.__class__ is int
                and 0 <= row < self.xls_rowmax
                and 0 <= col < self.xls_colmax
                and not self.constant_memory
                and not self.use_future_functions
                and formula.__class__ is str
                and formula.startswith("=")
                and not formula.endswith("}")
                and self._plain(formula)
            ):
                cell_format = args[3] if len(args) > 3 else None
                value = args[4] if len(args) > 4 else 0
                self._grow(row, col)
                self.table[row][col] = CellFormulaTuple(formula[1:], cell_format, value)
                return 0
        return super().write_formula(*args, **kwargs)

    # XlsxWriter's public write_* methods convert A1 arguments first (a decorator trying
    # ``int(row)``, about 1 microsecond a cell), then call the undecorated method with the same
    # arguments: a call whose row is an integer (all of the writer's) goes straight to it
    def write_number(self, *args, **kwargs):
        if args and args[0].__class__ is int:
            return self._write_number(*args, **kwargs)
        return super().write_number(*args, **kwargs)

    def write_string(self, *args, **kwargs):
        if args and args[0].__class__ is int:
            return self._write_string(*args, **kwargs)
        return super().write_string(*args, **kwargs)

    def write_blank(self, *args, **kwargs):
        if args and not kwargs and args[0].__class__ is int:  # its "blank" is "_" in there
            return self._write_blank(*args)
        return super().write_blank(*args, **kwargs)

    def write_boolean(self, *args, **kwargs):
        if args and args[0].__class__ is int:
            return self._write_boolean(*args, **kwargs)
        return super().write_boolean(*args, **kwargs)

    def _grow(self, row: int, col: int) -> None:
        """``_check_dimensions`` of a cell inside the grid (checked by the caller): the sheet's
        dimensions take it in."""
        if self.dim_rowmin is None or row < self.dim_rowmin:
            self.dim_rowmin = row
        if self.dim_rowmax is None or row > self.dim_rowmax:
            self.dim_rowmax = row
        if self.dim_colmin is None or col < self.dim_colmin:
            self.dim_colmin = col
        if self.dim_colmax is None or col > self.dim_colmax:
            self.dim_colmax = col

    # -- writing the sheet's XML at close() ----------------------------------------------------

    def _calculate_spans(self) -> None:
        """XlsxWriter's ``spans`` of each block of 16 rows (first:last column holding a cell or
        a comment), from each row's columns instead of a test of every column of the sheet's
        width in every row (0.3 s of cProfile's 3.4 s for sales_quote)."""
        dims = self._dims()
        if dims is None:
            super()._calculate_spans()
            return
        rowmin, rowmax = dims
        spans = {}
        span: tuple[int, int] | None = None  # first and last column of the block so far
        for row_num in range(rowmin, rowmax + 1):
            for cells in (self.table, self.comments):
                cols = cells.get(row_num)
                if cols:
                    low, high = min(cols), max(cols)
                    span = (low, high) if span is None else (min(span[0], low), max(span[1], high))
            if ((row_num + 1) % 16 == 0) or row_num == rowmax:
                if span is not None:
                    spans[int(row_num / 16)] = f"{span[0] + 1}:{span[1] + 1}"
                    span = None
        self.row_spans = spans

    def _dims(self) -> tuple[int, int] | None:
        """The sheet's first and last row holding a cell, when the shortcuts of
        :meth:`_write_rows` apply (not in ``constant_memory`` mode, cells stored).

        XlsxWriter tests every column from the first to the last of the sheet's; each cell and
        comment it stores widens those (``_check_dimensions``), so a row's own columns are the
        ones it finds."""
        rowmin, rowmax = self.dim_rowmin, self.dim_rowmax
        if self.constant_memory or rowmin is None or rowmax is None:
            return None
        return rowmin, rowmax

    def _write_rows(self) -> None:
        """XlsxWriter's rows, each row's cells taken in column order from the row's own
        columns instead of a test of every column of the sheet's width (0.3 s of cProfile's
        3.4 s for sales_quote), and the row written in one piece (one ``write`` a row instead
        of one a cell: 0.03-0.05 s for finance_ramp_study)."""
        dims = self._dims()
        if dims is None:
            super()._write_rows()
            return
        self._calculate_spans()
        rowmin, rowmax = dims
        for row_num in range(rowmin, rowmax + 1):
            cells = self.table.get(row_num)
            info = self.row_info.get(row_num)
            if not (info is not None or row_num in self.comments or cells):
                continue
            span = self.row_spans.get(int(row_num / 16))
            if not cells:  # a row with comments or attributes only
                self._write_empty_row(row_num, span, info)
                continue
            self._write_row(row_num, span, info)
            pieces: list[str] = []
            for col_num in sorted(cells):
                xml = self._cell_xml(row_num, col_num, cells[col_num])
                if xml is None:  # XlsxWriter writes this one: the row so far first
                    self.fh.write("".join(pieces))
                    pieces.clear()
                    super()._write_cell(row_num, col_num, cells[col_num])
                else:
                    pieces.append(xml)
            pieces.append("</row>")
            self.fh.write("".join(pieces))

    # -- a cell's XML --------------------------------------------------------------------------

    def _write_cell(self, row, col, cell) -> None:
        xml = None if self.constant_memory else self._cell_xml(row, col, cell)
        if xml is None:
            super()._write_cell(row, col, cell)
        else:
            self.fh.write(xml)

    def _cell_xml(self, row, col, cell) -> str | None:
        """The ``<c>`` element of a number, date, shared string, formula, blank or boolean (its
        own format, or none over a row or column without one) as XlsxWriter writes it, from the
        column's letters and the format's style attribute cached (the same ones repeat down a
        sheet), without a list of attributes escaped one by one (1.7 s of cProfile's 3.4 s for
        sales_quote, with the escapes). ``None`` for any other cell: XlsxWriter writes it."""
        kind = cell.__class__.__name__
        if kind not in _FAST_KINDS:
            return None  # rich strings, array formulas, ...
        fmt = cell.format
        if fmt:
            style = self._styles.get(fmt)
            if style is None:
                style = self._styles[fmt] = f' s="{fmt._get_xf_index()}"'
        elif (row in self.row_info and self.row_info[row].row_format) or (
            col in self.col_info and self.col_info[col].column_format is not None
        ):
            return None  # the row's or column's format: none here
        else:
            style = ""
        letters = self._columns.get(col)
        if letters is None:
            letters = self._columns[col] = xl_col_to_name(col)
        head = f'<c r="{letters}{row + 1}"{style}'
        if kind == "Formula":
            value = cell.value
            if isinstance(value, bool):
                head += ' t="b"'
                value = 1 if value else 0
            elif isinstance(value, str):
                if value in _ERROR_CODES:
                    head += ' t="e"'
                elif value:
                    head += ' t="str"'
                value = _escape_data(value)
            return f"{head}><f>{_escape_data(cell.formula)}</f><v>{value}</v></c>"
        if kind == "Number" or kind == "Datetime":
            return f"{head}><v>{cell.number:.16G}</v></c>"
        if kind == "String":
            return f'{head} t="s"><v>{cell.string}</v></c>'
        if kind == "Blank":
            return f"{head}/>"
        return f'{head} t="b"><v>{cell.boolean}</v></c>'  # Boolean: XlsxWriter stores 1 or 0


#: the cell tuples :meth:`Worksheet._cell_xml` writes (XlsxWriter's class names)
_FAST_KINDS = frozenset(("Formula", "Number", "Datetime", "String", "Blank", "Boolean"))
