"""Writing results: CSV for machines, a readable table for people, files written atomically."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from .errors import BillingInputError


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` only on success.

    A failure leaves whatever was at ``target`` untouched and removes the temporary file.
    """
    target = Path(target)
    if target.is_dir():
        raise BillingInputError(f"{target}: is a folder; accepted: a file name to write")
    for parent in target.parents:
        if parent.exists() and not parent.is_dir():
            raise BillingInputError(f"{target}: {parent} is a file, not a folder; accepted: a "
                                    "file in a folder")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:  # a parent that is a file, no permission, a read-only disk
        raise BillingInputError(f"{target}: cannot be written ({_reason(exc)}); accepted: a "
                                "file in a folder you can write to") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file private (0600): give it the mode a new file would get, or the
        # mode of the file it replaces
        if target.exists():
            mode = target.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, target)
    except OSError as exc:  # name the user's file, not the temporary one (a full disk, ...)
        raise BillingInputError(f"{target}: cannot be written ({_reason(exc)}); accepted: a "
                                "file in a folder you can write to") from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


_NUMBER_TEXT = re.compile(r"-?[\d,]*\.?\d+( [A-Z]{3})?")


def _numeric(column: pd.Series) -> bool:
    """Numbers, or numbers already formatted as text ('12,500.00', '0.25 USD'): right-aligned."""
    if pd.api.types.is_numeric_dtype(column):
        return True
    cells = [str(v) for v in column if not pd.isna(v) and str(v) != ""]
    return bool(cells) and all(_NUMBER_TEXT.fullmatch(c) for c in cells)


def _reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    """Control characters as escapes: a newline in an org name must not split its table row, and
    an escape sequence (``\\x1b[31m``) in the data must not reach the terminal."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def write_csv(frame: pd.DataFrame, out=None) -> None:
    """CSV on stdout (or ``out``), dates as YYYY-MM-DD, no index."""
    (out or sys.stdout).write(frame.to_csv(index=False, lineterminator="\n"))


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
    from rich.text import Text

    # every value is data, never markup: an org named 'prod [EU]' or '[/]' prints as written
    table = Table(title=Text(title) if title else None, title_justify="left", show_lines=False)
    for col in frame.columns:
        table.add_column(Text(str(col)), justify="right" if _numeric(frame[col]) else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*[Text("" if pd.isna(v) else _visible(str(v))) for v in row])
    console = Console(file=out, width=max(100, min(200, len(frame.columns) * 16)))
    console.print(table)
    if footer:
        console.print(Text(footer))
