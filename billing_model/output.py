"""Writing results: CSV for machines, a readable table for people, files written atomically."""

from __future__ import annotations

import csv
import re
import sys
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas is imported when a table is printed: `usage --format csv` needs none
    import pandas as pd

_NUMBER_TEXT = re.compile(r"-?[\d,]*\.?\d+( [A-Z]{3})?")


def _numeric(column: pd.Series) -> bool:
    """Numbers, or numbers already formatted as text ('12,500.00', '0.25 USD'): right-aligned."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column):
        return True
    cells = [str(v) for v in column if not pd.isna(v) and str(v) != ""]
    return bool(cells) and all(_NUMBER_TEXT.fullmatch(c) for c in cells)



_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    """Control characters as escapes: a newline in an org name must not split its table row, and
    an escape sequence (``\\x1b[31m``) in the data must not reach the terminal."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def write_csv(frame: pd.DataFrame, out=None) -> None:
    """CSV on stdout (or ``out``), dates as YYYY-MM-DD, no index."""
    (out or sys.stdout).write(frame.to_csv(index=False, lineterminator="\n"))


def write_columns_csv(columns: dict[str, np.ndarray], out=None) -> None:
    """:func:`write_csv` of NumPy columns (the engines' own tables), the same text as pandas
    writes (dates YYYY-MM-DD, floats as Python prints them), without loading pandas."""
    cells = [np.datetime_as_string(values, unit="D").tolist() if values.dtype.kind == "M"
             else values.tolist() for values in columns.values()]
    writer = csv.writer(out or sys.stdout, lineterminator="\n")
    writer.writerow(list(columns))
    writer.writerows(zip(*cells, strict=True))


def _broken_pipe() -> None:
    """The reader closed the pipe (``| head``): nothing more is written to it, and the command
    line ends as it does for CSV output (exit 0, no message)."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # Python's flush at exit must not fail again
    raise BrokenPipeError


def print_table(frame: pd.DataFrame, title: str | None = None, *, footer: str | None = None,
                out=None) -> None:
    """A readable table for a terminal (rich when available and output is a terminal)."""
    out = out or sys.stdout
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a dependency
        if title:
            print(title, file=out)
        print(frame.to_string(index=False), file=out)
        if footer:
            print(footer, file=out)
        return
    import pandas as pd
    from rich.text import Text

    # every value is data, never markup: an org named 'prod [EU]' or '[/]' prints as written
    table = Table(title=Text(title) if title else None, title_justify="left", show_lines=False)
    for col in frame.columns:
        table.add_column(Text(str(col)), justify="right" if _numeric(frame[col]) else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*[Text("" if pd.isna(v) else _visible(str(v))) for v in row])
    console = Console(file=out, width=max(100, min(200, len(frame.columns) * 16)))
    console.on_broken_pipe = _broken_pipe  # rich exits 1; the CLI treats `| head` as success
    console.print(table)
    if footer:
        console.print(Text(footer))
