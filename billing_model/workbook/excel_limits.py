"""What an Excel file can hold, checked on the layout before anything is written.

Text a cell cannot hold is cleaned (control characters other than tab, newline and carriage
return become spaces: pasted text often carries them) or refused in one line (more than 32,767
characters: cutting it would lose data silently); a sheet name derived from data is cleaned by
:func:`sheet_name`; a layout past Excel's grid (1,048,576 rows, 16,384 columns) is refused in one
line naming the sheet, before a file is written.

Source: Microsoft, "Excel specifications and limits" (worksheet size, characters in a cell,
formula length, sheet names).
"""

from __future__ import annotations

import re
from operator import itemgetter

from ..core.errors import BillingInputError
from .layout import MAX_COLS, MAX_ROWS, Book, Sheet

#: characters in one cell, and in one formula's text
MAX_CELL_TEXT, MAX_FORMULA = 32_767, 8_192
#: characters of a sheet name, and the characters a sheet name cannot hold
MAX_SHEET_NAME, SHEET_NAME_FORBIDDEN = 31, "[]:*?/\\"
#: control characters a cell cannot hold (tab, newline and carriage return can), and lone
#: surrogates, which no file can hold (a file name's undecodable byte, as Python reads it), and
#: U+FFFE, U+FFFF (not XML characters: a file holding one does not open)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


#: every byte but the control characters of :data:`CONTROL` (a UTF-8 byte below 0x20 is that
#: character: the bytes of a longer character are all 0x80 or above); U+FFFE and U+FFFF are
#: searched for apart (:func:`has_control`)
_NOT_CONTROL = bytes(b for b in range(256) if not CONTROL.match(chr(b)))


def has_control(text: str) -> bool:
    """Whether ``text`` holds a character :data:`CONTROL` matches, as ``CONTROL.search`` says.

    ``bytes.translate`` deletes every other byte of the UTF-8 text in one C pass: a fifth of the
    regular expression's time over a sheet's 4.7 MB of text (sales_quote: 0.005 s against 0.023
    s). A lone surrogate cannot be encoded, so its text is one that has one.

    >>> has_control("tab\\tnewline\\n"), has_control("bell\\x07"), has_control("bad\\udcffname")
    (False, True, True)
    """
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return (
        bool(data.translate(None, _NOT_CONTROL))
        or b"\xef\xbf\xbe" in data  # U+FFFE
        or b"\xef\xbf\xbf" in data  # U+FFFF
    )


def excel_len(text: str) -> int:
    """The length of ``text`` as Excel counts it (UTF-16 units: an emoji is 2); XlsxWriter cuts a
    cell's text longer than :data:`MAX_CELL_TEXT` so counted, silently.

    >>> len("\U0001f600" * 3), excel_len("\U0001f600" * 3)
    (3, 6)
    """
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _replacement(match: re.Match) -> str:
    return " " if match.group() < "\x20" else "\ufffd"


def clean_text(text: str) -> str:
    """``text`` with each control character a cell cannot hold replaced by a space, and each
    lone surrogate, U+FFFE and U+FFFF by U+FFFD (the replacement character); the length stays.

    >>> clean_text("USB\\x07 headsets\\tx2")
    'USB  headsets\\tx2'
    >>> clean_text("bad\\udcffname")
    'bad\\ufffdname'
    """
    return CONTROL.sub(_replacement, text)


def sheet_name(text: str) -> str:
    """A valid sheet name from data: forbidden characters become ``-``, control characters and
    outer apostrophes and spaces go, at most 31 characters.

    >>> sheet_name("Q3/Q4 [draft]: variant 'ramp*6' for the whole region")
    "Q3-Q4 -draft-- variant 'ramp-6'"
    """
    name = clean_text(text)
    for ch in SHEET_NAME_FORBIDDEN:
        name = name.replace(ch, "-")
    name = name.strip().strip("'").strip()[:MAX_SHEET_NAME].strip()
    if not name:
        raise BillingInputError(
            f"{text!r}: no usable sheet name; accepted: text with letters or digits"
        )
    return name


def _refuse_long(sheet: Sheet) -> None:
    """Raise for the first cell (in the sheet's order) whose text or formula is longer than
    Excel holds; the slow walk, run only once the quick pass has found one."""
    for (row, col), cell in sheet.cells.items():
        if isinstance(cell.value, str) and excel_len(cell.value) > MAX_CELL_TEXT:
            raise BillingInputError(
                f"{sheet.name}!R{row}C{col}: text of {excel_len(cell.value):,} characters; Excel "
                f"holds at most {MAX_CELL_TEXT:,} in a cell; accepted: shorter text"
            )
        if cell.formula is not None and len(cell.formula) > MAX_FORMULA:
            raise BillingInputError(
                f"{sheet.name}!R{row}C{col}: a formula of {len(cell.formula):,} characters;"
                f" Excel holds at most {MAX_FORMULA:,}; accepted: a smaller scenario"
            )


def _check_cells(sheet: Sheet) -> None:
    """Refuse a cell's text or formula longer than Excel holds, cut a text result to it, and
    replace the control characters of the sheet's cells.

    The texts are gathered by kind in list comprehensions and their lengths checked with
    ``max(map(len, ...))``: one C loop each instead of a Python loop over every cell (85,000
    in a large workbook, 0.05-0.07 s of a layout); a text or formula too long is then looked
    for cell by cell (:func:`_refuse_long`), so the message names the same first cell as
    before. A control character becomes one space (the length stays), so all of the sheet's
    text is then searched at once (:func:`has_control`), joined by tabs (which a cell may hold):
    nearly every sheet has none, and one search is quicker than a substitution per text. A
    sheet that has one is cleaned cell by cell.
    """
    cells = list(sheet.cells.values())
    values = [cell.value for cell in cells if isinstance(cell.value, str)]
    formulas = [cell.formula for cell in cells if cell.formula is not None]
    # a text of more than half the limit may pass it in Excel's count (UTF-16: an emoji is 2)
    if (values and max(map(len, values)) > MAX_CELL_TEXT // 2) or (
        formulas and max(map(len, formulas)) > MAX_FORMULA
    ):
        _refuse_long(sheet)
    results = []
    for cell in [cell for cell in cells if isinstance(cell.result, str)]:
        cell.result = cell.result[:MAX_CELL_TEXT]
        results.append(cell.result)
    comments = [cell.comment for cell in cells if cell.comment]
    if not has_control("\t".join(values + formulas + results + comments)):
        return
    for cell in cells:
        if isinstance(cell.value, str):
            cell.value = clean_text(cell.value)
        if cell.formula is not None:
            cell.formula = clean_text(cell.formula)
        if isinstance(cell.result, str):
            cell.result = clean_text(cell.result)
        if cell.comment:
            cell.comment = clean_text(cell.comment)


def check_book(book: Book) -> Book:
    """Clean or refuse what Excel cannot hold, in place; return ``book``.

    Raises
    ------
    BillingInputError
        One line: the sheet (and cell) and the limit it breaks.
    """
    book.title, book.subject = clean_text(book.title), clean_text(book.subject)
    seen: set[str] = set()
    for sheet in book.sheets:
        name = sheet.name
        bad = [ch for ch in SHEET_NAME_FORBIDDEN if ch in name]
        if (
            not name
            or len(name) > MAX_SHEET_NAME
            or bad
            or CONTROL.search(name)
            or name.startswith("'")
            or name.endswith("'")
        ):
            raise BillingInputError(
                f"sheet name {name!r}: not accepted by Excel; accepted: 1-{MAX_SHEET_NAME} "
                f"characters without {SHEET_NAME_FORBIDDEN} and control characters, not "
                "starting or ending with an apostrophe"
            )
        if name.lower() in seen:
            raise BillingInputError(f"sheet name {name!r}: used twice; accepted: unique names")
        seen.add(name.lower())
        if not sheet.cells:
            continue
        last_row = max(sheet.cells)[0]  # (row, col) keys: the greatest has the last row
        # the columns by itemgetter, not a generator: one C loop over 85,000 keys
        last_col = max(map(itemgetter(1), sheet.cells))
        if last_row > MAX_ROWS or last_col > MAX_COLS:
            raise BillingInputError(
                f"sheet {name!r} needs {last_row:,} rows and {last_col:,} columns; Excel holds "
                f"{MAX_ROWS:,} rows and {MAX_COLS:,} columns; accepted: a scenario whose sheets "
                "fit (fewer orgs, license lines or periods)"
            )
        _check_cells(sheet)
        for chart in sheet.charts:  # legends and titles: text as the cells hold it
            chart.title = clean_text(chart.title)
            chart.x_title = chart.x_title and clean_text(chart.x_title)
            chart.y_title = chart.y_title and clean_text(chart.y_title)
            for series in chart.series:
                series.title = clean_text(series.title)
    return book
