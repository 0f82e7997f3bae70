"""Writing results: CSV for machines, a readable table for people, files written atomically."""

from __future__ import annotations

import csv
import errno
import re
import sys
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas is imported when a table is printed: `usage --format csv` needs none
    import pandas as pd
    from rich.console import JustifyMethod

_NUMBER_TEXT = re.compile(r"-?[\d,]*\.?\d+( [A-Z]{3})?")


def _numeric(column: pd.Series) -> bool:
    """Numbers, or numbers already formatted as text ('12,500.00', '0.25 USD'): right-aligned."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column):
        return True
    cells = [str(v) for v in column if not pd.isna(v) and str(v) != ""]
    return bool(cells) and all(_NUMBER_TEXT.fullmatch(c) for c in cells)


#: control characters, and the invisible marks that reorder text on a terminal (bidirectional
#: embeddings, overrides and isolates: U+202E shows "evil" as "live")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """Control characters as escapes: a newline in an org name must not split its table row, an
    escape sequence (``\\x1b[31m``) in the data must not reach the terminal, and a
    right-to-left override must not reorder the row (``\\u202e``)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


#: first characters that make a spreadsheet read a CSV cell as a formula (OWASP, "CSV Injection")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def csv_text(value: str) -> str:
    """A text cell as a spreadsheet must not run it: ``'`` before a leading ``=``, ``+``, ``-``,
    ``@``, tab or carriage return (OWASP's CSV-injection guidance). Numbers written as text
    (``-12.50``) are numbers, not formulas: they stay as they are.

    >>> csv_text("=cmd|' /C calc'!A0"), csv_text("-12.50"), csv_text("prod")
    ("'=cmd|' /C calc'!A0", '-12.50', 'prod')
    """
    if value[:1] in FORMULA_TRIGGERS and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def add_csv_raw_option(parser) -> None:
    """``--csv-raw``: the CSV's text as it is, without the formula guard (for programs)."""
    parser.add_argument(
        "--csv-raw",
        action="store_true",
        help="with --format csv: write text cells as they are; by default a "
        "text cell beginning with = + - @ tab or CR gets a leading ' so "
        "that Excel shows it instead of running it (numbers never do)",
    )


def _escaped_strings(values: np.ndarray) -> np.ndarray:
    """:func:`csv_text` of a NumPy text column: the first characters are checked in one pass,
    and only the distinct values that begin with a trigger are escaped (no Python per row)."""
    if not len(values):
        return values
    if values.dtype.kind == "U":  # fixed-width UCS-4: the first code point of each row
        first = np.ascontiguousarray(values).view(np.uint32)[:: values.dtype.itemsize // 4]
        hit = np.isin(first, [ord(c) for c in FORMULA_TRIGGERS])
    else:  # object: a Python check per value
        hit = np.fromiter(
            (isinstance(v, str) and v[:1] in FORMULA_TRIGGERS for v in values), bool, len(values)
        )
    if not hit.any():
        return values
    distinct, inverse = np.unique(values[hit].astype(str), return_inverse=True)
    escaped = np.asarray([csv_text(v) for v in distinct.tolist()], dtype=object)
    out = values.astype(object)
    out[hit] = escaped[inverse.reshape(-1)]
    return out


def write_csv(frame: pd.DataFrame, out=None, *, raw: bool = False) -> None:
    """CSV on stdout (or ``out``), dates as YYYY-MM-DD, no index; text cells guarded against
    formula injection (:func:`csv_text`) unless ``raw``."""
    if not raw:
        frame = frame.copy()
        for name in frame.columns:
            column = frame[name]
            if column.dtype == object:
                distinct = {v: csv_text(v) for v in column.unique() if isinstance(v, str)}
                if any(k != v for k, v in distinct.items()):
                    frame[name] = [distinct.get(v, v) if isinstance(v, str) else v for v in column]
    (out or sys.stdout).write(frame.to_csv(index=False, lineterminator="\n"))


def write_columns_csv(columns: dict[str, np.ndarray], out=None, *, raw: bool = False) -> None:
    """:func:`write_csv` of NumPy columns (the engines' own tables), the same text as pandas
    writes (dates YYYY-MM-DD, floats as Python prints them), without loading pandas."""
    cells = [
        np.datetime_as_string(values, unit="D").tolist()
        if values.dtype.kind == "M"
        else (values if raw or values.dtype.kind not in "UO" else _escaped_strings(values)).tolist()
        for values in columns.values()
    ]
    writer = csv.writer(out or sys.stdout, lineterminator="\n")
    writer.writerow(list(columns))
    writer.writerows(zip(*cells, strict=True))


class StdoutError(OSError):
    """Standard output could not be written (``> /dev/full``, a full disk): the CLI says so in
    one line on stderr and exits 1."""


def stdout_failed(exc: OSError, stream=None) -> StdoutError:
    """:class:`StdoutError` of a failed write to stdout; stdout (``stream``'s file descriptor)
    is then pointed at the null device, so that Python's flush at exit does not fail (and print
    a traceback) again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, (stream or sys.stdout).fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no file descriptor (tests): nothing to do
        pass
    return StdoutError(exc.errno, exc.strerror or str(exc))


class GuardedStdout:
    """``sys.stdout`` while a command runs: a failed write (a full disk, ``> /dev/full``) is a
    :class:`StdoutError`, whoever writes (``print``, the csv module, rich); a closed pipe stays
    a ``BrokenPipeError`` (the reader has what it wanted)."""

    def __init__(self, stream):
        self._stream = stream

    def _guarded(self, method: str, *args):
        if self._stream is None:  # started with stdout closed (`>&-`)
            raise StdoutError(errno.EBADF, "closed")
        try:
            return getattr(self._stream, method)(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise stdout_failed(exc, self._stream) from None

    def write(self, text: str) -> int:
        try:
            return self._guarded("write", text)
        except UnicodeEncodeError:  # a character the stream's encoding cannot hold (a file
            # name's undecodable byte, a lone surrogate; a name in another script on a
            # Latin-1 console): shown as "?", the rest as written, not a traceback
            encoding = getattr(self._stream, "encoding", None) or "utf-8"
            return self._guarded("write", text.encode(encoding, "replace").decode(encoding))

    def writelines(self, lines) -> None:
        return self._guarded("writelines", lines)

    def flush(self) -> None:
        return self._guarded("flush")

    def isatty(self) -> bool:
        return self._stream is not None and self._stream.isatty()

    def __getattr__(self, name: str):  # fileno, encoding, ...: the stream's own
        return getattr(self._stream, name)


def _broken_pipe() -> None:
    """The reader closed the pipe (``| head``): nothing more is written to it, and the command
    line ends as it does for CSV output (exit 0, no message)."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # Python's flush at exit must not fail again
    raise BrokenPipeError


def print_table(
    frame: pd.DataFrame,
    title: str | None = None,
    *,
    footer: str | None = None,
    out=None,
    justify: dict[str, JustifyMethod] | None = None,
    bold_rows=(),
    end_sections=(),
    width: int | str | None = None,
) -> None:
    """A readable table for a terminal (rich), the one way every command prints a table.

    Every text (title, headers, cells, footer) is printed as typed: rich markup in the data
    (``[red]v2``, ``[/]``) is never interpreted, and control characters are shown as escapes.
    ``justify``: column -> ``"left"``/``"right"`` (default: right for numbers); ``bold_rows``:
    row positions printed bold (totals); ``end_sections``: row positions a rule follows;
    ``width``: the console's width (default: from the number of columns; ``"terminal"``: the
    terminal's width, or 150 columns in a pipe or file).
    """
    out = out or sys.stdout
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    justify = justify or {}
    bold, sections = set(bold_rows), set(end_sections)
    table = Table(
        title=Text(visible(title)) if title else None, title_justify="left", show_lines=False
    )
    for col in frame.columns:
        table.add_column(
            Text(visible(str(col))),
            justify=justify.get(col, "right" if _numeric(frame[col]) else "left"),
        )
    for i, row in enumerate(frame.itertuples(index=False)):
        table.add_row(
            *[Text("" if _blank(v) else visible(str(v))) for v in row],
            style="bold" if i in bold else None,
            end_section=i in sections,
        )
    columns: int | None
    if width == "terminal":
        columns = None if Console(file=out).is_terminal else 150
    elif width is None:
        columns = max(100, min(200, len(frame.columns) * 16))
    else:
        columns = int(width)

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:  # rich exits 1; the CLI treats `| head` as success
            _broken_pipe()

    console = PipeConsole(file=out, width=columns)
    console.print(table)
    if footer:
        console.print(Text(footer))


def _blank(value) -> bool:
    import pandas as pd

    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))
