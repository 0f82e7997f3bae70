"""Reading session data: CSV, Parquet, the vendor's user-details JSON; files, folders, globs.

All file input of the usage engine lives here (STYLE.md: I/O in one place). Files are read in
Arrow record batches (CSV) or pieces of row groups (Parquet, decoded on the reading threads) and
encoded straight into integer arrays (:mod:`billing_model.core.sessions`): no Python object per
row, so memory grows with the sessions, not with their text. When every file is Parquet, the
chunks write their timestamps, ranks and billable flags straight into the final columns.

Source for the JSON export: ``docs/rules.md#session-data``:
``POST /api/v2/analytics/users/details/query`` returns ``userDetails[]`` with ``userId`` and
``primaryPresence[]`` records (``startTime``, ``endTime``, ``systemPresence``); a user is logged in
while the presence is anything but OFFLINE. Records repeated across pages or days are harmless: a
user's overlapping minutes count once. A record without ``endTime`` is a user still logged in when
the export was taken: it is a login, running until ``as_of`` when given, else until the latest
start or end anywhere in the export (OFFLINE records included).
"""

from __future__ import annotations

import csv
import glob
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..core.errors import BillingInputError
from ..core.sessions import (
    PARAMETERS,
    Chunk,
    OptionNames,
    Sessions,
    check_other_clients,
    check_other_presence,
)
from .arrow import call, one_line
from .combine import combine
from .csv_text import MAX_HEADER_CHARS, delimiter_of, raise_not_utf8, text_batches
from .progress import track
from .tables import normalize_table, to_arrow
from .user_details import _user_details
from .user_details import parse_as_of as parse_as_of  # re-exported (dask, commands)
from .user_details import read_user_details as read_user_details  # re-exported (API)

SUFFIXES = (".csv", ".parquet", ".pq", ".json")
TEXT_COLUMNS = ("user_id", "org", "license", "client", "region")
BATCH_ROWS = 1 << 18  # rows per Arrow batch: bounds the memory of the text columns
#: rows per piece of a Parquet file read and encoded on a thread: consecutive row groups
PIECE_ROWS = 1 << 20
#: a row group larger than this is read in batches of BATCH_ROWS (memory), not as one piece
MAX_GROUP_ROWS = 1 << 22


def sessions_from_columns(
    user_id: Sequence,
    start: Sequence,
    end: Sequence,
    *,
    org: Sequence | None = None,
    license: Sequence | str | None = None,
    client: Sequence | None = None,
    input_timezone: str | None = None,
    region: Sequence | None = None,
    source: str = "sessions",
) -> Sessions:
    """Sessions from Python or NumPy columns (lists of text, datetimes or ISO strings).

    ``license`` may be one name for all rows. Naive datetimes are refused unless
    ``input_timezone`` names their zone.

    Examples
    --------
    >>> s = sessions_from_columns(["ann", "bob"], ["2026-01-05T08:00Z", "2026-01-05T08:10Z"],
    ...                           ["2026-01-05T16:00Z", "2026-01-05T16:30Z"], license="pc2")
    >>> len(s), s.user_ids.tolist()
    (2, ['ann', 'bob'])
    """
    columns = {
        "user_id": to_arrow(user_id, "user_id"),
        "start": to_arrow(start, "start"),
        "end": to_arrow(end, "end"),
    }
    default_license = None
    if isinstance(license, str):
        default_license = license
    elif license is not None:
        columns["license"] = to_arrow(license, "license")
    if org is not None:
        columns["org"] = to_arrow(org, "org")
    if client is not None:
        columns["client"] = to_arrow(client, "client")
    if region is not None:
        columns["region"] = to_arrow(region, "region")
    lengths = {name: len(col) for name, col in columns.items()}
    if len(set(lengths.values())) > 1:
        raise BillingInputError(f"{source}: columns have different lengths {lengths}")
    table = pa.table(columns)
    chunk = normalize_table(
        table,
        where=lambda i: f"{source}: row {i + 1}",
        source=source,
        default_license=default_license,
        input_timezone=input_timezone,
    )
    return combine([chunk])


def session_files(path: str | Path) -> list[Path]:
    """The files a path names: a file, every session file in a folder (sorted), or a glob."""
    text = str(path)
    if any(ch in text for ch in "*?[") and not Path(text).exists():  # 'sessions [v2].csv'
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not files:
            raise BillingInputError(f"{text}: no file matches this pattern")
        return files
    p = Path(text)
    if p.is_dir():
        files = sorted(
            f
            for f in p.rglob("*")
            if f.is_file() and f.suffix.lower() in SUFFIXES and not f.name.startswith((".", "_"))
        )
        if not files:
            raise BillingInputError(
                f"{p}: folder holds no session files; accepted: {', '.join(SUFFIXES)}"
            )
        return files
    if not p.exists():
        raise BillingInputError(f"{p}: no such file or directory")
    if not p.is_file():  # reading a named pipe waits for a writer, then cannot seek
        raise BillingInputError(
            f"{p}: not a regular file (a pipe, a socket or a device); "
            f"accepted: a session file ({', '.join(SUFFIXES)}), a folder "
            "of them or a glob"
        )
    return [p]


def read_sessions(
    path: str | Path,
    *,
    license: str | None = None,
    input_timezone: str | None = None,
    org: str | None = None,
    other_clients: str | None = None,
    as_of: int | str | None = None,
    other_presence: str | None = None,
    region: str | None = None,
    option_names: OptionNames = PARAMETERS,
) -> Sessions:
    """Read sessions from a file, a folder of parts, or a glob.

    Parameters
    ----------
    path : CSV, Parquet or user-details JSON file, a folder of them, or a glob pattern.
    license : license for rows without one (files without a ``license`` column, the JSON export).
    input_timezone : IANA zone of timestamps written without an offset (refused otherwise).
    org : org name for rows without one (default ``"default"``).
    other_clients : ``"billable"`` or ``"not-billable"``: what a client value outside
        :data:`~billing_model.core.sessions.CLIENTS` is (default: refused).
    as_of : when the export was taken (UTC ns or ISO 8601 text): the end of open JSON records
        and of the data: a session ending later is clipped there (one warning says how many),
        one starting later is refused.
    other_presence : ``"logged-in"`` or ``"offline"``: what a ``systemPresence`` of a JSON
        export outside :data:`~billing_model.core.sessions.PRESENCES` is (default: refused).
    region : region for rows without one (a blank ``region`` cell, a file without the column);
        default: a blank cell is refused, and data without the column has no region.
    option_names : how messages name these options: as the parameters here (the default), the
        command line's flags (:data:`~billing_model.core.sessions.FLAGS`) or a scenario's keys
        (:func:`~billing_model.core.usage_schema.scenario_keys`), so each names what its user typed.
    """
    files = session_files(path)
    total = _parquet_rows(files)
    # a bar on a terminal for folders of parts; silent when piped
    reading = track(files, "Reading session files") if len(files) > 1 else iter(files)
    tables: Iterator[tuple] = (
        table
        for f in reading
        for table in iter_tables(
            f,
            license=license,
            input_timezone=input_timezone,
            org=org,
            other_clients=other_clients,
            as_of=as_of,
            other_presence=other_presence,
            region=region,
            option_names=option_names,
        )
    )
    columns: dict[str, np.ndarray] | None = None
    if total is not None:  # Parquet only: each chunk writes its rows into the whole columns
        columns = {
            "start": np.empty(total, np.int64),
            "end": np.empty(total, np.int64),
            "rank": np.empty(total, np.int8),
            "billable": np.empty(total, np.bool_),
        }
        tables = _into(tables, columns)
    sessions = combine(
        list(_normalized(tables)), source=str(path), columns=columns, option_names=option_names
    )
    # Arrow's allocator keeps the decoded batches' memory for reuse; the engine allocates with
    # NumPy's: give it back (a year of parts held 500 MB more at the engine's peak)
    pa.default_memory_pool().release_unused()
    return sessions


def _parquet_rows(files: list[Path]) -> int | None:
    """The rows of the files when all are Parquet (their footers say), else ``None``."""
    if not all(f.suffix.lower() in (".parquet", ".pq") for f in files):
        return None
    try:
        return sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    except (pa.ArrowInvalid, OSError):  # the read names the file
        return None


def _into(tables: Iterator[tuple], columns: dict[str, np.ndarray]) -> Iterator[tuple]:
    """Each ``(table, options)`` with ``out``: the slices of ``columns`` its rows go to, in
    order (a file that changed since its footer was read gets none: combine then copies)."""
    at = 0
    for table, kwargs in tables:
        rows = table.num_rows
        if at + rows <= len(columns["start"]):
            kwargs = {**kwargs, "out": {k: v[at : at + rows] for k, v in columns.items()}}
        at += rows
        yield table, kwargs


#: threads that read, validate and encode pieces (Parquet) or batches (CSV)
WORKERS = max(1, min(os.cpu_count() or 1, 8))


def _normalized(tables: Iterator[tuple]) -> Iterator[Chunk]:
    """:func:`~billing_model.io.tables.normalize_table` of each ``(table, options)``, in order,
    on a few threads (Arrow and NumPy release the GIL): a Parquet piece is decoded on its thread
    too, a CSV batch is decoded here while the previous ones are encoded. At most
    ``WORKERS + 1`` tables are in flight, and the first bad one in file order raises, as it
    would one at a time."""
    if WORKERS == 1:
        for table, kwargs in tables:
            yield _normalize(table, kwargs)
        return
    pending: deque = deque()
    tables = iter(tables)
    with ThreadPoolExecutor(WORKERS) as pool:
        try:
            while True:
                try:
                    table, kwargs = next(tables)
                except StopIteration:
                    break
                except BillingInputError:
                    # a later file's error, found here (a Parquet footer, a CSV batch): a bad
                    # row of a table already submitted comes before it in file order
                    while pending:
                        pending.popleft().result()
                    raise
                pending.append(pool.submit(_normalize, table, kwargs))
                while len(pending) > WORKERS:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:  # an error or Ctrl-C: drop what has not started
                future.cancel()


def _normalize(table, kwargs: dict) -> Chunk:
    """The chunk of a table, or of what a piece's reader returns (on a reading thread)."""
    if callable(table):
        table = table()
    opened = kwargs.pop("open", None)
    chunk = normalize_table(table, **kwargs)
    return chunk if opened is None else replace(chunk, open=opened)


def iter_chunks(
    file: Path,
    *,
    license: str | None = None,
    input_timezone: str | None = None,
    org: str | None = None,
    row_groups: tuple[int, ...] | None = None,
    other_clients: str | None = None,
    as_of: int | str | None = None,
    other_presence: str | None = None,
    region: str | None = None,
    option_names: OptionNames = PARAMETERS,
) -> Iterator[Chunk]:
    """Encoded chunks (see :func:`billing_model.io.tables.normalize_table`) of one file, their
    ``user_dict`` and ``org_dict`` as NumPy object arrays.

    ``row_groups`` reads only those consecutive row groups of a Parquet file (a piece of a large
    file read in parallel); row numbers in messages still count from the file's first row.
    """
    for table, kwargs in iter_tables(
        file,
        license=license,
        input_timezone=input_timezone,
        org=org,
        row_groups=row_groups,
        other_clients=other_clients,
        as_of=as_of,
        other_presence=other_presence,
        region=region,
        option_names=option_names,
    ):
        chunk = _normalize(table, kwargs)
        # the Dask engine's scan reads the dictionaries as NumPy
        arrays: dict[str, Any] = {
            key: np.asarray(getattr(chunk, key).to_pylist(), dtype=object)
            for key in ("user_dict", "org_dict", "region_dict")
            if getattr(chunk, key) is not None
        }
        yield replace(chunk, **arrays)


def _default_name(value: str, flag: str) -> str:
    """An org or region for rows without one, trimmed as the cells are (``' us-east-1'`` and a
    cell ``us-east-1`` are one pool, not two); one of spaces only is refused."""
    name = value.strip()
    if not name:
        raise BillingInputError(
            f"{flag}: {value!r} is blank; accepted: a name that is not "
            f"only spaces, e.g. us-east-1 (or leave {flag} out)"
        )
    return name


def iter_tables(
    file: Path,
    *,
    license: str | None = None,
    input_timezone: str | None = None,
    org: str | None = None,
    row_groups: tuple[int, ...] | None = None,
    other_clients: str | None = None,
    as_of: int | str | None = None,
    other_presence: str | None = None,
    region: str | None = None,
    option_names: OptionNames = PARAMETERS,
) -> Iterator[tuple[pa.Table, dict]]:
    """The Arrow tables of one file (one per batch or piece), each with the keyword arguments
    that :func:`~billing_model.io.tables.normalize_table` takes for it (``open``: the open JSON
    records' count, added to the chunk). A piece of a Parquet file comes as a function that
    reads it, so that the reading threads of :func:`read_sessions` decode it too."""
    suffix = file.suffix.lower()
    opts: dict[str, Any] = {
        "default_license": license,
        "input_timezone": input_timezone,
        "other_clients": check_other_clients(other_clients, option_names),
        "as_of": parse_as_of(as_of, option_names),
        "option_names": option_names,
    }
    if org is not None:
        opts["default_org"] = _default_name(org, option_names.name("org"))
    if region is not None:
        opts["default_region"] = _default_name(region, option_names.name("region"))
    if suffix == ".json":
        table, places, opened = _user_details(
            file,
            input_timezone,
            opts["as_of"],
            check_other_presence(other_presence, option_names),
            option_names,
        )
        yield (
            table,
            {
                "where": lambda i: f"{file}: {places[i]}",
                "source": str(file),
                "open": opened,
                **opts,
            },
        )
        return
    if suffix in (".parquet", ".pq"):
        yield from _parquet_pieces(file, row_groups, opts)
        return
    offset = 0
    for batch in _batches(file, suffix):

        def where(i, base=offset):
            return f"{file}: line {base + i + 2}"

        yield pa.Table.from_batches([batch]), {"where": where, "source": str(file), **opts}
        offset += batch.num_rows


def _parquet_pieces(file: Path, row_groups: tuple[int, ...] | None, opts: dict) -> Iterator[tuple]:
    """The pieces of a Parquet file for :func:`iter_tables`: consecutive row groups of up to
    :data:`PIECE_ROWS` rows, each as a function that reads it (run on the reading threads, so
    pieces decode at once); a row group of more than :data:`MAX_GROUP_ROWS` rows is read here in
    batches of :data:`BATCH_ROWS` (memory). Row numbers count from the file's first row."""
    try:
        pf = pq.ParquetFile(file)
        # text columns straight to dictionary arrays: codes, not a string per row
        text = [
            f.name
            for f in pf.schema_arrow
            if f.name.strip().lower() in TEXT_COLUMNS
            and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
        ]
        meta = pf.metadata
    except (pa.ArrowInvalid, OSError) as exc:
        raise BillingInputError(f"{file}: not a readable Parquet file ({one_line(exc)})") from None

    def where_from(base):
        return lambda i: f"{file}: row {base + i + 1}"

    kwargs = {"source": str(file), **opts}
    if meta.num_rows == 0:  # columns still checked
        yield pa.Table.from_batches([], schema=pf.schema_arrow), {"where": where_from(0), **kwargs}
        return
    groups = range(meta.num_row_groups) if row_groups is None else row_groups
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    offset = sum(sizes[: groups[0]]) if len(groups) else 0
    piece: list[int] = []
    rows = 0
    for i in [*groups, None]:  # a loop over row groups (metadata), not rows
        if piece and (i is None or rows + sizes[i] > PIECE_ROWS or sizes[i] > MAX_GROUP_ROWS):
            yield (
                _Piece(file, meta, text, tuple(piece), rows),
                {"where": where_from(offset), **kwargs},
            )
            offset += rows
            piece, rows = [], 0
        if i is None:
            break
        if sizes[i] > MAX_GROUP_ROWS:
            for batch in _big_group(file, meta, text, i):
                yield pa.Table.from_batches([batch]), {"where": where_from(offset), **kwargs}
                offset += batch.num_rows
            continue
        piece.append(i)
        rows += sizes[i]


class _Piece:
    """Row groups of a Parquet file, read when called (on a reading thread)."""

    def __init__(self, file: Path, meta, text: list[str], groups: tuple[int, ...], num_rows: int):
        self.file, self.meta, self.text, self.groups = file, meta, text, groups
        self.num_rows = num_rows

    def __call__(self) -> pa.Table:
        table = _read_piece(self.file, self.meta, self.text, self.groups)
        if table.num_rows != self.num_rows:  # its rows go to the slice the footer sized
            raise BillingInputError(
                f"{self.file}: not a readable Parquet file (row groups {list(self.groups)} "
                f"hold {table.num_rows} rows, the footer says {self.num_rows})"
            )
        return table


def _read_piece(file: Path, meta, text: list[str], groups: tuple[int, ...]) -> pa.Table:
    """Row groups of a Parquet file as one table, text columns as dictionaries (on a reading
    thread: a file object of its own, the footer parsed once)."""
    try:
        # mapped, not read into fresh buffers: fewer page faults, which two threads contend on
        with pq.ParquetFile(file, metadata=meta, read_dictionary=text, memory_map=True) as pf:
            table = pf.read_row_groups(list(groups))  # Arrow threads balance few pieces
        _validate(table)  # a corrupt page can decode to codes past the values
    except (pa.ArrowInvalid, OSError) as exc:  # a corrupt page, found while reading
        raise BillingInputError(f"{file}: not a readable Parquet file ({one_line(exc)})") from None
    return table


def _validate(table: pa.Table) -> None:
    """``table.validate(full=True)``, with the codes of dictionary columns checked by their
    least and greatest value (one vectorized pass: Arrow's full check of each code took a
    sixth of the decoding time)."""
    table.validate()
    for column in table.columns:  # a loop over columns and their row groups
        for arr in column.chunks:
            if not pa.types.is_dictionary(arr.type):
                arr.validate(full=True)
                continue
            arr.dictionary.validate(full=True)
            if arr.null_count == len(arr):
                continue
            low, high = (v.as_py() for v in call("min_max", arr.indices).values())
            if low < 0 or high >= len(arr.dictionary):
                bad = high if high >= len(arr.dictionary) else low
                raise pa.ArrowInvalid(
                    f"Dictionary indices invalid: a value out of bounds: "
                    f"{bad} (should be in [0, {len(arr.dictionary) - 1}])"
                )


def _big_group(file: Path, meta, text: list[str], group: int) -> Iterator[pa.RecordBatch]:
    """One large row group in batches (its text columns as dictionaries)."""
    try:
        pf = pq.ParquetFile(file, metadata=meta, read_dictionary=text)
        for batch in pf.iter_batches(batch_size=BATCH_ROWS, row_groups=[group]):
            _validate(pa.Table.from_batches([batch]))
            yield batch
    except (pa.ArrowInvalid, OSError) as exc:
        raise BillingInputError(f"{file}: not a readable Parquet file ({one_line(exc)})") from None


def _batches(file: Path, suffix: str) -> Iterator[pa.RecordBatch]:
    """The record batches of a CSV file, every column as text."""
    if suffix != ".csv":
        raise BillingInputError(
            f"{file}: unknown file type {suffix!r}; accepted: {', '.join(SUFFIXES)}"
        )
    try:
        with open(file, newline="", encoding="utf-8-sig") as fh:
            first = fh.readline(MAX_HEADER_CHARS + 1)
            more = fh.read(1) != ""
    except UnicodeDecodeError:
        raise_not_utf8(file)
    if len(first) > MAX_HEADER_CHARS:  # a log or a JSON export saved as .csv, on one line
        raise BillingInputError(
            f"{file}: line 1 (the header) is longer than "
            f"{MAX_HEADER_CHARS:,} characters; accepted: a CSV whose first "
            "line names its columns (user_id, start, end, ...)"
        )
    delimiter = delimiter_of(first)
    try:
        header = next(csv.reader([first], delimiter=delimiter), None)
    except csv.Error as exc:  # a stray quote, a NUL, ...
        raise BillingInputError(
            f"{file}: line 1 (the header) is not readable as CSV ({exc}); "
            "accepted: a first line naming the columns (user_id, start, "
            "end, ...)"
        ) from None
    if not header:
        return  # empty file: combine() reports it
    if not more:  # a header and no rows: its columns are still checked
        yield pa.RecordBatch.from_pydict({name: pa.array([], pa.string()) for name in header})
        return
    # every column as text: the engine parses and validates them itself, naming the row
    yield from text_batches(file, header, delimiter)
