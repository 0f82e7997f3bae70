"""A sheet's values from LibreOffice's CSV export (``billing_model.io.libreoffice.sheet_values``)
as ``openpyxl.load_workbook(path, data_only=True)`` reads them from the workbook LibreOffice would
have saved instead (issue #17: saving 68 recalculated workbooks as xlsx cost LibreOffice about
120 s of CPU in each test run, as much as loading and recalculating them).

LibreOffice writes every text cell in quotes (``CSV_EACH_SHEET``), so the CSV keeps what a value
is; this module turns each field into the value openpyxl gives for the same cell of the saved
xlsx, and refuses any field it does not know:

- ``"text"``: the text (``""`` inside for a quote); ``""`` alone, an empty text, is ``None`` (the
  saved xlsx has an empty ``<v>``, which openpyxl reads as ``None``); errors (``#N/A``,
  ``Err:502``) come quoted too and are text, as openpyxl gives them;
- an empty field is ``None``; ``TRUE``/``FALSE`` a ``bool``;
- a number is an ``int`` when its text has no ``.``, ``E`` or ``e``, else a ``float`` (openpyxl's
  rule on the same digits in the xlsx);
- a date, a time or a duration (a cell with such a number format): LibreOffice writes it as
  text, ``2026-03-01``, ``2026-03-01 12:30:00``, ``07:45:00 AM``, ``30:00:00``; it becomes its
  serial number again and then what openpyxl's ``from_excel`` makes of that number: a
  ``datetime``, a ``time`` (below 1), or a ``timedelta`` where the built file's cell is a
  duration (whole seconds: the CSV has no fractions of a second);
- ``20%``, a cell with a percent format, the number divided by 100 (exactly, in decimal: the xlsx
  holds ``0.2``), an ``int`` when whole.

Which cells exist (``max_row``, cells read as ``None``) is the built file's cells with those of the
CSV that hold a value: LibreOffice's saved file lists exactly those (``tests/test_xlsx_values.py``
proves the whole reading equal to openpyxl's on LibreOffice's xlsx, cell by cell).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from pathlib import Path

from openpyxl.utils.datetime import WINDOWS_EPOCH, from_excel

#: one field and what ends it, as findall() tuples: the field quoted (1, "" for a quote inside),
#: an integer (2), another number (3) or any other unquoted text (4: dates, TRUE, 20%...), then
#: commas (5: one, or more past empty fields), line ends (6: one, or more past empty rows), the
#: end of the text, or anything else (7: refused)
_FIELDS = re.compile(
    r'(?:"([^"]*(?:""[^"]*)*)"'
    r"|(-?\d+)(?=[,\n]|\Z)"
    r"|(-?(?:\d+\.?\d*|\.\d+)(?:[Ee][+-]?\d+)?)(?=[,\n]|\Z)"
    r'|([^,\n"]*))'
    r"(?:(,+)|(\n+)|\Z|([^,\n]))"
)
_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)(?: (\d\d):(\d\d):(\d\d))?")
_TIME = re.compile(r"(\d+):(\d\d):(\d\d)(?: ([AP]M))?")
#: LibreOffice's day 0 (serial numbers count days from it)
_DAY_ZERO = dt.datetime(1899, 12, 30)
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[Ee][+-]?\d+)?")


def read_sheet(
    path: str | Path, built: dict | None = None, epoch: dt.datetime = WINDOWS_EPOCH
) -> dict[tuple[int, int], object]:
    """``(row, column) -> value`` of every field of the CSV that holds a value; ``built`` the
    built file's cells (a ``timedelta`` there marks a duration), ``epoch`` the workbook's.

    One regular expression splits the text and sorts each field (text, integer, other number)
    and steps over runs of empty fields; the other unquoted fields (dates, times, percentages,
    booleans) are read by :func:`_bare`, each distinct one once (the sheets repeat the same
    few thousand dates)."""
    built = built or {}
    text = Path(path).read_text(encoding="utf-8")
    cells: dict[tuple[int, int], object] = {}
    row = column = 1
    for quoted, integer, number, other, comma, newline, junk in _FIELDS.findall(text):
        if quoted:
            cells[(row, column)] = quoted.replace('""', '"')
        elif integer:
            cells[(row, column)] = int(integer)
        elif number:
            cells[(row, column)] = float(number)
        elif other:
            duration = isinstance(built.get((row, column)), dt.timedelta)
            value = _bare(other, duration, epoch)
            if value is _UNKNOWN:
                raise ValueError(
                    f"{path}: row {row}, column {column}: {other!r} is no value this reader "
                    "knows (text is quoted; numbers, TRUE/FALSE, dates, times and percentages "
                    "are not)"
                )
            cells[(row, column)] = value
        if comma:
            column += len(comma)
        elif newline:
            row, column = row + len(newline), 1
        elif junk:
            at = next(m.start(7) for m in _FIELDS.finditer(text) if m.group(7))
            raise ValueError(f"{path}: row {row}, column {column}: {text[at : at + 20]!r}")
    return cells


_UNKNOWN = object()


@functools.lru_cache(maxsize=100_000)
def _bare(token: str, duration: bool, epoch: dt.datetime):
    """The value of an unquoted field (see the module's docstring), or ``_UNKNOWN``."""
    if token in ("TRUE", "FALSE"):
        return token == "TRUE"
    if _NUMBER.fullmatch(token):
        return int(token) if not any(ch in token for ch in ".Ee") else float(token)
    if token.endswith("%") and _NUMBER.fullmatch(token[:-1]):
        share = Decimal(token[:-1]) / 100
        return int(share) if share == share.to_integral_value() else float(share)
    date, time = _DATE.fullmatch(token), _TIME.fullmatch(token)
    if date:
        year, month, day, hour, minute, second = (int(p) if p else 0 for p in date.groups())
        moment = dt.datetime(year, month, day, hour, minute, second)
        serial = (moment - _DAY_ZERO) / dt.timedelta(days=1)
    elif time:
        hour, minute, second = (int(p) for p in time.groups()[:3])
        if time.group(4):  # 12:30:00 AM is half past midnight
            hour = hour % 12 + (12 if time.group(4) == "PM" else 0)
        serial = (hour * 3600 + minute * 60 + second) / 86400
    else:
        return _UNKNOWN
    if epoch != WINDOWS_EPOCH and not duration:  # a 1904 workbook counts from its own day 0
        serial -= (epoch - _DAY_ZERO) / dt.timedelta(days=1)
    return from_excel(serial, epoch, timedelta=duration)
