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
``max_row``). The sheets' XML is read with regular expressions, about 7x faster than ElementTree
here; the small parts (workbook, relations, styles, shared strings, tables) with ElementTree.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import zipfile
from xml.etree import ElementTree

from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel, from_ISO8601
from openpyxl.workbook.defined_name import DefinedNameDict, DefinedNameList
from openpyxl.worksheet.table import Table, TableList

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_M = f"{{{_MAIN}}}"
_COMMENTS = f"{_REL}/comments"
_RESERVED_PRINT = ("Print_Titles", "Print_Area")

# --- the sheet's XML ------------------------------------------------------------------------------
#: one cell or row of a sheet's data, as findall() tuples: (1) the usual cell, as LibreOffice,
#: XlsxWriter and openpyxl write it: column, row, style, type and the <v> text, read in one match;
#: else (2) a row's start tag (its attributes), or (3) any other cell (its attributes and content)
_SCAN = re.compile(
    r'<c r="([A-Z]{1,3})(\d+)"(?: s="(\d+)")?(?: t="(\w+)")?'
    r"(?:/>|>(?:<f\b[^>]*?(?:/>|>[^<]*</f>))?(?:<v>([^<]*)</v>)?</c>)"
    r"|<(?:[\w.-]+:)?(?:(row)\b([^>]*)>|(c)\b([^>]*?)(?:/>|>(.*?)</(?:[\w.-]+:)?c>))",
    re.DOTALL,
)
_ATTR = re.compile(r"([\w:.-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
#: a <v> element's text (CDATA sections kept for :func:`_text`)
_VALUE = re.compile(
    r"<(?:[\w.-]+:)?v\b[^>]*?(?:/>|>((?:[^<]|<!\[CDATA\[.*?\]\]>)*)</(?:[\w.-]+:)?v>)", re.DOTALL
)
_INLINE = re.compile(r"<(?:[\w.-]+:)?is\b[^>]*?(?:/>|>(.*?)</(?:[\w.-]+:)?is>)", re.DOTALL)
_PHONETIC = re.compile(r"<(?:[\w.-]+:)?rPh\b.*?</(?:[\w.-]+:)?rPh>", re.DOTALL)
_T = re.compile(
    r"<(?:[\w.-]+:)?t\b[^>]*?(?:/>|>((?:[^<]|<!\[CDATA\[.*?\]\]>)*)</(?:[\w.-]+:)?t>)", re.DOTALL
)
_ROW_NUMBER = re.compile(r"\br\s*=\s*[\"']([^\"']*)[\"']")
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)$")
_ENTITY = re.compile(r"&(?:#(\d+)|#x([0-9a-fA-F]+)|(lt|gt|amp|quot|apos));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)


def _entity(m: re.Match) -> str:
    if m.group(3):
        return _NAMED[m.group(3)]
    return chr(int(m.group(1)) if m.group(1) else int(m.group(2), 16))


def _plain(raw: str) -> str:
    if "\r" in raw:  # an XML parser reads every line end as \n
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    return _ENTITY.sub(_entity, raw) if "&" in raw else raw


def _text(raw: str) -> str:
    """An element's character data as an XML parser gives it (entities, line ends, CDATA)."""
    if "<" not in raw:
        return _plain(raw)
    out, at = [], 0
    for m in _CDATA.finditer(raw):
        out.append(_plain(raw[at : m.start()]))
        out.append(m.group(1).replace("\r\n", "\n").replace("\r", "\n"))
        at = m.end()
    out.append(_plain(raw[at:]))
    return "".join(out)


def _string_content(inner: str) -> str:
    """openpyxl's ``Text.content``: the plain text and the runs' text, phonetic runs left out."""
    if "rPh" in inner:
        inner = _PHONETIC.sub("", inner)
    return "".join(_text(m.group(1)) for m in _T.finditer(inner) if m.group(1) is not None)


def _cast_number(value: str) -> int | float:
    """openpyxl's rule: a float when the text has a point or an exponent, else an int."""
    if "." in value or "E" in value or "e" in value:
        return float(value)
    return int(value)


_COLUMNS: dict[str, int] = {}


def _column_index(letters: str) -> int:
    index = _COLUMNS.get(letters)
    if index is None:
        index = 0
        for ch in letters.upper():
            index = index * 26 + ord(ch) - 64
        _COLUMNS[letters] = index
    return index


def _coordinate(ref: str) -> tuple[int, int]:
    m = _REF.match(ref)
    if m is None:
        raise ValueError(f"{ref!r} is not a cell reference (e.g. B5)")
    return int(m.group(2)), _column_index(m.group(1))


def _row_number(attrs: str, previous: int) -> int:
    m = _ROW_NUMBER.search(attrs)
    if m is None:
        return previous + 1
    text = m.group(1)
    try:
        return int(text)
    except ValueError:
        number = float(text)
        if not number.is_integer():
            raise ValueError(f"{text} is not a valid row number") from None
        return int(number)


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
        xml = book._part_text(self._part)
        start = xml.find("sheetData")
        end = xml.rfind("sheetData")
        data, tail = (xml[start:end], xml[end:]) if start >= 0 else ("", xml)
        strings = book._shared_strings
        dates, durations = book._date_styles
        date_keys = {str(i) for i in dates}
        epoch = book.epoch
        columns = _COLUMNS
        cells: dict[tuple[int, int], object] = {}
        row = column = 0
        for (
            letters,
            number,
            style,
            kind,
            text,
            row_tag,
            row_attrs,
            other,
            attrs,
            inner,
        ) in _SCAN.findall(data):
            if letters:  # the usual cell: everything in the match
                column = columns.get(letters) or _column_index(letters)
                if not text:  # no <v>, or an empty one: openpyxl's findtext(...) or None
                    value = None
                elif not kind or kind == "n":
                    value = float(text) if "." in text or "E" in text or "e" in text else int(text)
                    if (style or "0") in date_keys or style[:1] == "0" and int(style) in dates:
                        value = _cell_value(text, "n", style, strings, dates, durations, epoch)
                elif kind == "s":
                    value = strings[int(text)]
                else:
                    value = _cell_value(text, kind, style, strings, dates, durations, epoch)
                cells[(int(number), column)] = value
            elif row_tag:
                row, column = _row_number(row_attrs, row), 0
            elif other:
                attributes = {k: b or a for k, b, a in _ATTR.findall(attrs)}
                ref = attributes.get("r")
                if ref:
                    r, column = _coordinate(ref)
                else:
                    r, column = row, column + 1
                cells[(r, column)] = _other_cell_value(
                    attributes, inner, strings, dates, durations, epoch
                )
        self._bind_extras(tail, cells)
        return cells

    def _bind_extras(self, tail: str, cells: dict) -> None:
        """Merged ranges (all but the top left cell: None), and the cells hyperlinks and comments
        are attached to (openpyxl creates them, empty)."""
        for m in re.finditer(r"<(?:[\w.-]+:)?mergeCell\b([^>]*)>", tail):
            ref = _attributes(m.group(1)).get("ref")
            if not ref:
                continue
            c1, r1, c2, r2 = range_boundaries(ref)
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    if (r, c) != (r1, c1):
                        cells[(r, c)] = None
        for m in re.finditer(r"<(?:[\w.-]+:)?hyperlink\b([^>]*)>", tail):
            ref = _attributes(m.group(1)).get("ref")
            if ref:
                c1, r1, c2, r2 = range_boundaries(ref)
                for r in range(r1, r2 + 1):
                    for c in range(c1, c2 + 1):
                        cells.setdefault((r, c), None)
        for kind, target in self._rels.values():
            if kind == _COMMENTS and target in self.parent._names:
                comments = self.parent._part_text(target)
                for m in re.finditer(r"<(?:[\w.-]+:)?comment\b([^>]*)>", comments):
                    ref = _attributes(m.group(1)).get("ref")
                    if ref:
                        cells.setdefault(_coordinate(ref), None)

    @property
    def tables(self) -> TableList:
        """The sheet's tables (openpyxl's ``Table``: ``.ref``, ``.name``, ``.displayName``)."""
        if self._tables is None:
            self._tables = TableList()
            xml = self.parent._part_text(self._part)
            for m in re.finditer(r"<(?:[\w.-]+:)?tablePart\b([^>]*)>", xml):
                attrs = _attributes(m.group(1))
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


def _other_cell_value(attributes, inner, strings, dates, durations, epoch):
    """The value of a cell the usual pattern does not read (an inline string, another attribute,
    a namespace prefix...): openpyxl's ``parse_cell`` (``data_only``)."""
    kind = attributes.get("t", "n")
    if not inner:
        return None
    if kind == "inlineStr":
        found = _INLINE.search(inner)
        return None if found is None else _string_content(found.group(1) or "")
    found = _VALUE.search(inner)
    text = found.group(1) if found is not None else None
    if not text:  # openpyxl: findtext(...) or None
        return None
    return _cell_value(text, kind, attributes.get("s"), strings, dates, durations, epoch)


def _cell_value(text, kind, style, strings, dates, durations, epoch):
    """openpyxl's ``parse_cell`` (``data_only``) on a cell's non-empty ``<v>`` text."""
    if kind == "n":
        value = _cast_number(text)
        style_id = int(style) if style else 0
        if style_id in dates:
            try:
                return from_excel(value, epoch, timedelta=style_id in durations)
            except (OverflowError, ValueError):  # openpyxl: a date out of range is an error
                return "#VALUE!"
        return value
    if kind == "s":
        return strings[int(text)]
    if kind == "b":
        return bool(int(text))
    if kind == "d":
        return from_ISO8601(_text(text))
    return _text(text)  # "str", "e" and any other type: the text


def _attributes(text: str) -> dict[str, str]:
    return {k: _plain(b or a) for k, b, a in _ATTR.findall(text)}


class Workbook:
    """A saved workbook's values (openpyxl's ``Workbook`` API for values: ``wb[sheet]``,
    ``wb.sheetnames``, ``wb.worksheets``, ``wb.defined_names``, ``for ws in wb``)."""

    def __init__(self, path: str | os.PathLike) -> None:
        with open(path, "rb") as fh:  # the whole file: later changes to it do not matter
            self._zip = zipfile.ZipFile(io.BytesIO(fh.read()))
        self._names = set(self._zip.namelist())
        self._texts: dict[str, str] = {}
        self._strings: list[str] | None = None
        self._dates: tuple[set[int], set[int]] | None = None
        self.defined_names = DefinedNameDict()
        self._sheets: list[Worksheet | Chartsheet] = []
        self.epoch = WINDOWS_EPOCH
        self._read_workbook()

    def _part(self, name: str) -> bytes:
        return self._zip.read(name)

    def _part_text(self, name: str) -> str:
        if name not in self._texts:
            self._texts[name] = self._zip.read(name).decode("utf-8")
        return self._texts[name]

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
        main = "xl/workbook.xml"
        for _kind, target in (
            (k, t) for k, t in self._rels("").values() if k.endswith("/officeDocument")
        ):
            main = target
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
                xml = self._part_text(part)
                for m in re.finditer(
                    r"<(?:[\w.-]+:)?si\b[^>]*?(?:/>|>(.*?)</(?:[\w.-]+:)?si>)", xml, re.DOTALL
                ):
                    self._strings.append(_string_content(m.group(1) or "").replace("x005F_", ""))
        return self._strings

    def _rels_main(self) -> dict[str, tuple[str, str]]:
        main = next(
            (t for k, t in self._rels("").values() if k.endswith("/officeDocument")),
            "xl/workbook.xml",
        )
        return self._rels(main)

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


def load_values(path: str | os.PathLike) -> Workbook:
    """The values of the workbook at ``path``, as ``openpyxl.load_workbook(path,
    data_only=True)`` reads them (each sheet read on first use)."""
    return Workbook(path)
