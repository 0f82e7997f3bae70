"""A saved workbook's values as ``openpyxl.load_workbook(path, data_only=True)`` gives them, read
straight from the file's XML, each sheet on first use (issue #17: the workbook tests read about
65 recalculated workbooks; openpyxl takes 1.4 s of CPU for sales_quote's 108,000 cells).

The same values and types as openpyxl's reader (``openpyxl/worksheet/_reader.py``,
``WorkSheetParser.parse_cell``), for every cell the file lists:

- a number is an ``int`` when its text has no ``.``, ``E`` or ``e``, else a ``float``
  (``_cast_number``: "3" is 3, "3.0" is 3.0); in a cell whose style's number format is a date, a
  time or a duration (openpyxl's ``is_date_format`` and ``is_timedelta_format`` on the stylesheet's
  ``cellXfs`` and ``numFmts`` or the built-in formats), a ``datetime``, ``time`` or
  ``timedelta`` by openpyxl's ``from_excel`` in the workbook's epoch (1900 or 1904);
- text: shared strings (``t="s"``, the runs of rich text joined, phonetic runs left out,
  ``x005F_`` removed as openpyxl does), inline strings (``t="inlineStr"``) and a formula's text
  (``t="str"``); booleans (``t="b"``); errors (``t="e"``: ``#N/A``, ``#VALUE!``...) and
  LibreOffice's ``Err:502`` as their text; ISO dates (``t="d"``);
- an empty ``<v>`` or none is ``None``; so is every cell a merged range covers but its top left;
  the cells a comment or a hyperlink is attached to exist (``max_row``, ``max_column``).

Defined names are openpyxl's own :class:`~openpyxl.workbook.defined_name.DefinedName` objects,
sorted as its reader sorts them: the global ones in ``wb.defined_names``, a sheet's local ones in
``ws.defined_names``, print areas and titles left out. Tables are openpyxl's ``Table`` objects
(``ws.tables[name].ref``).

Read-only: no styles, number formats, charts, validations or comments (load those with openpyxl),
and asking for a cell the file does not list creates nothing (openpyxl creates it, which grows
``max_row``). The sheets and the shared strings are read with regular expressions
(:mod:`tests.xlsx_xml`, about 4x faster than ElementTree's ``iterparse`` on these files), the small
parts (workbook, relations, styles, tables) with ElementTree and openpyxl's own classes. A
sheet's cells are read once per process for all the files holding the same sheet (an edited
copy of a workbook holds all its base's sheets but one).
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import zipfile
from collections import OrderedDict
from pathlib import Path
from xml.etree import ElementTree

from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH
from openpyxl.workbook.defined_name import DefinedNameDict, DefinedNameList
from openpyxl.worksheet.table import Table, TableList

from tests.csv_values import read_sheet
from tests.xlsx_xml import bind_extras, comment_cells, read_cells, shared_strings, table_parts

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_M = f"{{{_MAIN}}}"
_COMMENTS = f"{_REL}/comments"


class _Sheets:
    """:func:`~tests.xlsx_xml.read_cells`' answers by all they depend on (the sheet part's
    bytes, the shared strings, the date styles, the epoch), the most recent ``kept`` cells of
    them: an edited copy of a workbook (``tests/workbooks.py``) has every sheet but the edited
    one as its base has, and the tests read both (in a test run, 56 of 194 MB of the built
    files' sheets are distinct)."""

    def __init__(self, kept: int) -> None:
        self.kept, self.size = kept, 0
        self._answers: OrderedDict[tuple, dict] = OrderedDict()

    def get(self, key: tuple) -> dict | None:
        found = self._answers.get(key)
        if found is not None:
            self._answers.move_to_end(key)
        return found

    def put(self, key: tuple, cells: dict) -> dict:
        self._answers[key] = cells
        self.size += len(cells)
        while self.size > self.kept and len(self._answers) > 1:
            self.size -= len(self._answers.popitem(last=False)[1])
        return cells


#: about 120 MB of a worker's memory
_READ = _Sheets(kept=1_000_000)


# --- the facade -----------------------------------------------------------------------------------
class Cell:
    """A cell's value and place (the part of openpyxl's ``Cell`` the tests read)."""

    __slots__ = ("row", "column", "value")

    def __init__(self, row: int, column: int, value) -> None:
        self.row, self.column, self.value = row, column, value

    @property
    def column_letter(self) -> str:
        return get_column_letter(self.column)

    @property
    def coordinate(self) -> str:
        return f"{get_column_letter(self.column)}{self.row}"

    def __repr__(self) -> str:
        return f"<Cell {self.coordinate} {self.value!r}>"


class Worksheet:
    """One sheet's values, read from the file on first use (openpyxl's ``Worksheet`` API for
    values: ``ws["B5"]``, ``ws["A1:C3"]``, ``ws.cell(row, column)``, ``ws.iter_rows(...)``,
    ``ws.max_row``...)."""

    def __init__(self, book: Workbook, title: str, part: str, rels: dict) -> None:
        self.parent = book
        self.title = title
        self.defined_names = DefinedNameDict()
        self._part = part
        self._rels = rels  # Id -> (Type, target part)
        self._cells: dict[tuple[int, int], object] | None = None
        self._tables: TableList | None = None

    def __repr__(self) -> str:
        return f'<Worksheet "{self.title}">'

    # reading
    @property
    def _values(self) -> dict[tuple[int, int], object]:
        if self._cells is None:
            self._cells = self._read()
        return self._cells

    def _read(self) -> dict[tuple[int, int], object]:
        book = self.parent
        raw = book._part(self._part)
        xml = raw.decode("utf-8")
        start = xml.find("sheetData")
        end = xml.rfind("sheetData")
        data, tail = (xml[start:end], xml[end:]) if start >= 0 else ("", xml)
        dates, durations = book._date_styles
        if book.values is not None:  # LibreOffice's values replace these: only which cells
            dates = dates & durations  # exist and which hold a duration matter (read_sheet)
        strings = book._shared_strings
        key = (
            hashlib.blake2b(raw).digest(),
            tuple(strings),
            frozenset(dates),
            frozenset(durations),
            book.epoch,
        )
        cells = _READ.get(key)
        if cells is None:
            cells = _READ.put(key, read_cells(data, strings, dates, durations, book.epoch))
        cells = dict(cells)  # a copy: what follows adds cells
        bind_extras(tail, cells)
        for kind, target in self._rels.values():  # openpyxl creates a comment's cell
            if kind == _COMMENTS and target in book._names:
                for place in comment_cells(book._part_text(target)):
                    cells.setdefault(place, None)
        if book.values is None:
            return cells
        csv = book.values / f"{self.title}.csv"  # LibreOffice's values (tests/csv_values.py)
        if not csv.is_file():
            raise FileNotFoundError(f"{csv}: LibreOffice wrote no values for sheet {self.title!r}")
        recalculated = dict.fromkeys(cells)
        recalculated.update(read_sheet(csv, cells, book.epoch))
        bind_extras(tail, recalculated)  # a merged range's cells but its top left stay None
        return recalculated

    @property
    def tables(self) -> TableList:
        """The sheet's tables (openpyxl's ``Table``: ``.ref``, ``.name``, ``.displayName``)."""
        if self._tables is None:
            self._tables = TableList()
            xml = self.parent._part_text(self._part)
            for attrs in table_parts(xml):
                rel = next((v for k, v in attrs.items() if k == "id" or k.endswith(":id")), None)
                if rel in self._rels:
                    target = self._rels[rel][1]
                    self._tables.add(
                        Table.from_tree(ElementTree.fromstring(self.parent._part(target)))
                    )
        return self._tables

    # openpyxl's API
    @property
    def min_row(self) -> int:
        return min(self._values)[0] if self._values else 1

    @property
    def max_row(self) -> int:
        return max(self._values)[0] if self._values else 1

    @property
    def min_column(self) -> int:
        return min(c for _r, c in self._values) if self._values else 1

    @property
    def max_column(self) -> int:
        return max(c for _r, c in self._values) if self._values else 1

    def calculate_dimension(self) -> str:
        if not self._values:
            return "A1:A1"
        return (
            f"{get_column_letter(self.min_column)}{self.min_row}:"
            f"{get_column_letter(self.max_column)}{self.max_row}"
        )

    @property
    def dimensions(self) -> str:
        return self.calculate_dimension()

    def cell(self, row: int, column: int) -> Cell:
        if row < 1 or column < 1:
            raise ValueError("Row or column values must be at least 1")
        return Cell(row, column, self._values.get((row, column)))

    def __getitem__(self, key):
        """As openpyxl: "B5" a cell; "A1:C3" rows of cells; "A" or "A:C" columns; 4 or "4:9"
        rows."""
        if isinstance(key, slice):
            if not all([key.start, key.stop]):
                raise IndexError(f"{key} is not a valid coordinate or range")
            key = f"{key.start}:{key.stop}"
        if isinstance(key, int):
            key = str(key)
        min_col, min_row, max_col, max_row = range_boundaries(key)
        if not any([min_col, min_row, max_col, max_row]):
            raise IndexError(f"{key} is not a valid coordinate or range")
        if min_row is None:
            cols = tuple(self.iter_cols(min_col, max_col))
            return cols[0] if min_col == max_col else cols
        if min_col is None:
            rows = tuple(self.iter_rows(min_row=min_row, max_col=self.max_column, max_row=max_row))
            return rows[0] if min_row == max_row else rows
        if ":" not in key:
            return self.cell(min_row, min_col)
        return tuple(
            self.iter_rows(min_row=min_row, min_col=min_col, max_row=max_row, max_col=max_col)
        )

    def texts_starting(self, prefixes: tuple[str, ...]) -> list[Cell]:
        """The cells holding text that starts with one of ``prefixes``, in the order
        ``iter_rows()`` gives them (not an openpyxl call: it looks at the cells the sheet holds,
        not at every cell of the range)."""
        found = sorted(
            (place, value)
            for place, value in self._values.items()
            if isinstance(value, str) and value.startswith(prefixes)
        )
        return [Cell(r, c, value) for (r, c), value in found if r >= 1 and c >= 1]

    def iter_rows(
        self, min_row=None, max_row=None, min_col=None, max_col=None, values_only: bool = False
    ):
        if not self._values and not any([min_col, min_row, max_col, max_row]):
            return iter(())
        min_col, min_row = min_col or 1, min_row or 1
        max_col, max_row = max_col or self.max_column, max_row or self.max_row
        return self._by_row(min_col, min_row, max_col, max_row, values_only)

    def _by_row(self, min_col, min_row, max_col, max_row, values_only):
        get = self._values.get
        for r in range(min_row, max_row + 1):
            if values_only:
                yield tuple(get((r, c)) for c in range(min_col, max_col + 1))
            else:
                yield tuple(Cell(r, c, get((r, c))) for c in range(min_col, max_col + 1))

    def iter_cols(
        self, min_col=None, max_col=None, min_row=None, max_row=None, values_only: bool = False
    ):
        if not self._values and not any([min_col, min_row, max_col, max_row]):
            return iter(())
        min_col, min_row = min_col or 1, min_row or 1
        max_col, max_row = max_col or self.max_column, max_row or self.max_row
        return self._by_col(min_col, min_row, max_col, max_row, values_only)

    def _by_col(self, min_col, min_row, max_col, max_row, values_only):
        get = self._values.get
        for c in range(min_col, max_col + 1):
            if values_only:
                yield tuple(get((r, c)) for r in range(min_row, max_row + 1))
            else:
                yield tuple(Cell(r, c, get((r, c))) for r in range(min_row, max_row + 1))

    @property
    def rows(self):
        return self.iter_rows()

    @property
    def columns(self):
        return self.iter_cols()

    @property
    def values(self):
        yield from self.iter_rows(values_only=True)

    def __iter__(self):
        return self.iter_rows()


class Chartsheet:
    """A chart sheet: a title in ``sheetnames``, no cells (as openpyxl, not in ``worksheets``)."""

    def __init__(self, book: Workbook, title: str) -> None:
        self.parent, self.title = book, title

    def __repr__(self) -> str:
        return f'<Chartsheet "{self.title}">'


class Workbook:
    """A saved workbook's values (openpyxl's ``Workbook`` API for values: ``wb[sheet]``,
    ``wb.sheetnames``, ``wb.worksheets``, ``wb.defined_names``, ``for ws in wb``)."""

    def __init__(self, path: str | os.PathLike, values: str | os.PathLike | None = None) -> None:
        #: the folder of LibreOffice's CSV values of each sheet, or None (the file's own values)
        self.values = None if values is None else Path(values)
        with open(path, "rb") as fh:  # the whole file: later changes to it do not matter
            self._zip = zipfile.ZipFile(io.BytesIO(fh.read()))
        self._names = set(self._zip.namelist())
        self._strings: list[str] | None = None
        self._dates: tuple[set[int], set[int]] | None = None
        self.defined_names = DefinedNameDict()
        self._sheets: list[Worksheet | Chartsheet] = []
        self.epoch = WINDOWS_EPOCH
        self._read_workbook()

    def _part(self, name: str) -> bytes:
        return self._zip.read(name)

    def _part_text(self, name: str) -> str:
        """A part's text, read each time: a sheet's is read once and dropped (sales_quote's
        sheets are 13 MB of text; the store keeps every workbook of the session)."""
        return self._zip.read(name).decode("utf-8")

    def _rels(self, part: str) -> dict[str, tuple[str, str]]:
        """Id -> (Type, target part) of a part's relations (openpyxl's ``get_dependents``)."""
        folder = posixpath.dirname(part)
        path = posixpath.join(folder, "_rels", posixpath.basename(part) + ".rels")
        if path not in self._names:
            return {}
        out = {}
        for rel in ElementTree.fromstring(self._part(path)).iter(f"{{{_PKG}}}Relationship"):
            target = rel.get("Target", "")
            if rel.get("TargetMode") != "External":
                target = (
                    target[1:]
                    if target.startswith("/")
                    else posixpath.normpath(posixpath.join(folder, target))
                )
            out[rel.get("Id")] = (rel.get("Type", ""), target)
        return out

    def _read_workbook(self) -> None:
        main = self._main_part()
        root = ElementTree.fromstring(self._part(main))
        props = root.find(f"{_M}workbookPr")
        if props is not None and props.get("date1904", "").lower() in ("1", "true"):
            self.epoch = CALENDAR_MAC_1904
        rels = self._rels(main)
        for sheet in root.iterfind(f"{_M}sheets/{_M}sheet"):
            rel = sheet.get(f"{{{_REL}}}id")
            if not rel or rel not in rels or rels[rel][1] not in self._names:
                continue  # openpyxl leaves such a sheet out too
            kind, part = rels[rel]
            if "chartsheet" in kind:
                self._sheets.append(Chartsheet(self, sheet.get("name")))
            else:
                self._sheets.append(Worksheet(self, sheet.get("name"), part, self._rels(part)))
        names = root.find(f"{_M}definedNames")
        if names is not None:
            self._assign_names(DefinedNameList.from_tree(names))

    def _assign_names(self, names: DefinedNameList) -> None:
        """As openpyxl's ``WorkbookParser.assign_names``: global names to the workbook, a
        sheet's to it, print areas and titles and other reserved names to neither."""
        for index, found in names.by_sheet().items():
            if index == "global":
                self.defined_names = found
                continue
            if index >= len(self._sheets):
                continue
            sheet = self._sheets[index]
            for name, definition in found.items():
                if definition.is_reserved is None and isinstance(sheet, Worksheet):
                    sheet.defined_names[name] = definition

    @property
    def _shared_strings(self) -> list[str]:
        """openpyxl's ``read_string_table`` (``x005F_`` removed as it does)."""
        if self._strings is None:
            self._strings = []
            part = next(
                (t for k, t in self._rels_main().values() if k.endswith("/sharedStrings")),
                "xl/sharedStrings.xml",
            )
            if part in self._names:
                self._strings = shared_strings(self._part_text(part))
        return self._strings

    def _main_part(self) -> str:
        """The workbook part (``xl/workbook.xml``), as the package's relations name it."""
        return next(
            (t for k, t in self._rels("").values() if k.endswith("/officeDocument")),
            "xl/workbook.xml",
        )

    def _rels_main(self) -> dict[str, tuple[str, str]]:
        return self._rels(self._main_part())

    @property
    def _date_styles(self) -> tuple[set[int], set[int]]:
        """The ``cellXfs`` indexes whose number format is a date or time, and those of them that
        are durations (openpyxl's ``Stylesheet._normalise_numbers``)."""
        if self._dates is None:
            dates: set[int] = set()
            durations: set[int] = set()
            part = next(
                (t for k, t in self._rels_main().values() if k.endswith("/styles")),
                "xl/styles.xml",
            )
            if part in self._names:
                root = ElementTree.fromstring(self._part(part))
                custom = {
                    int(f.get("numFmtId")): f.get("formatCode")
                    for f in root.iterfind(f"{_M}numFmts/{_M}numFmt")
                }
                for index, xf in enumerate(root.iterfind(f"{_M}cellXfs/{_M}xf")):
                    number = int(xf.get("numFmtId", 0))
                    fmt = custom[number] if number in custom else builtin_format_code(number)
                    if is_date_format(fmt):
                        dates.add(index)
                    if is_timedelta_format(fmt):
                        durations.add(index)
            self._dates = (dates, durations)
        return self._dates

    # openpyxl's API
    @property
    def sheetnames(self) -> list[str]:
        return [s.title for s in self._sheets]

    @property
    def worksheets(self) -> list[Worksheet]:
        return [s for s in self._sheets if isinstance(s, Worksheet)]

    def __getitem__(self, name: str):
        for sheet in self._sheets:
            if sheet.title == name:
                return sheet
        raise KeyError(f"Worksheet {name} does not exist.")

    def __contains__(self, name: str) -> bool:
        return name in self.sheetnames

    def __iter__(self):
        return iter(self.worksheets)

    def close(self) -> None:
        """Nothing to close (the file was read whole); as openpyxl's, for the same code."""


def load_values(path: str | os.PathLike, values: str | os.PathLike | None = None) -> Workbook:
    """The values of the workbook at ``path``, as ``openpyxl.load_workbook(path,
    data_only=True)`` reads them (each sheet read on first use).

    ``values``: a folder of LibreOffice's CSV values of each sheet of this file, recalculated
    (:func:`billing_model.io.libreoffice.sheet_values`): the values are then those, as openpyxl
    reads them from the workbook LibreOffice would have saved (:mod:`tests.csv_values`); the
    sheets, names and tables are the file's (LibreOffice keeps them as they are)."""
    return Workbook(path, values)
