"""CSV files read as text, in Arrow batches: the separator a header uses, batches of every column
as text, and the one-line refusals of a file Arrow cannot read (not UTF-8, a line with another
count of fields), naming the line. Shared by the session reader (:mod:`billing_model.io.sessions`)
and the voice-report reader (:mod:`billing_model.io.voice_report`); split from ``sessions.py``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from ..core.errors import BillingInputError
from .arrow import one_line

#: bytes of a CSV file Arrow parses at a time
CSV_BLOCK = 64 << 20
#: longest header line read (csv's own field limit is 131,072; a header naming a few columns
#: is far shorter): a one-line file of megabytes is refused, not read whole nor echoed back
MAX_HEADER_CHARS = 65_536


def text_batches(file: Path, header: list[str], delimiter: str) -> Iterator[pa.RecordBatch]:
    """The rows of a CSV file whose ``header`` was read, every column as text, in Arrow batches
    of :data:`CSV_BLOCK` bytes (empty batches skipped); a file Arrow cannot read is refused in
    one line (not UTF-8, a line with another count of fields, ...). Shared by the session and
    the voice-report readers."""
    convert = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in header},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    read = pacsv.ReadOptions(block_size=CSV_BLOCK, encoding="utf8")
    try:
        # a quoted value may hold a line break (a multi-line cell saved by Excel): without
        # newlines_in_values, Arrow cut a block at such a break and refused a valid file whose
        # break fell near a block's end (no measurable cost on the stream reader)
        reader = pacsv.open_csv(
            file,
            read_options=read,
            convert_options=convert,
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        )
        for batch in reader:
            if batch.num_rows:
                yield batch
    except pa.ArrowInvalid as exc:
        if "invalid UTF8" in str(exc):
            raise_not_utf8(file)
        if "Expected" in str(exc) and "columns, got" in str(exc):
            raise_wrong_field_count(file, delimiter, len(header))
        raise BillingInputError(f"{file}: not a readable CSV file ({one_line(exc)})") from None


def raise_wrong_field_count(file: Path, delimiter: str, expected: int) -> None:
    """Name the first line whose number of fields differs from the header's (error path only:
    Arrow's message quotes the row but not its line)."""
    limit = csv.field_size_limit(1 << 30)  # a value of a megabyte is still a value
    try:
        with open(file, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            next(reader, None)
            start = reader.line_num + 1
            for row in reader:
                if row and len(row) != expected:
                    raise BillingInputError(
                        f"{file}: line {start}: {len(row)} field(s), the header has {expected}; "
                        f"accepted: one value per column (a value holding {delimiter!r} in "
                        "quotes)"
                    ) from None
                start = reader.line_num + 1
    except csv.Error:
        pass
    finally:
        csv.field_size_limit(limit)
    raise BillingInputError(
        f"{file}: not a readable CSV file (rows with a different number of "
        f"fields than the header's {expected})"
    )


def delimiter_of(header: str) -> str:
    """The header line's separator: a comma, or a semicolon or tab when the header has no comma
    (Excel writes semicolons where the decimal separator is a comma)."""
    if "," not in header:
        for candidate in (";", "\t"):
            if candidate in header:
                return candidate
    return ","


def raise_not_utf8(file: Path) -> None:
    """Name the first line that is not UTF-8 (error path only: a loop over the file's lines)."""
    with open(file, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise BillingInputError(
                    f"{file}: line {number}, column {exc.start + 1}: byte "
                    f"0x{line[exc.start]:02x} is not UTF-8 text; accepted: a CSV saved as "
                    "UTF-8 (Excel: 'CSV UTF-8')"
                ) from None
    raise BillingInputError(f"{file}: not UTF-8 text; accepted: a CSV saved as UTF-8")
