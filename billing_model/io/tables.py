"""Arrow tables of sessions (from CSV, Parquet, JSON or Python lists) parsed into chunks.

:func:`normalize_table` validates one table and encodes it as arrays (a *chunk*: int32 codes
per row, the distinct names as Arrow string arrays) that
:func:`~billing_model.io.combine.combine` joins; every error names the source, the row, the
column and the value. Its timestamps are read by :func:`billing_model.io.instants.parse_instants`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from ..core.errors import BillingInputError
from ..core.licenses import ACCEPTED as LICENSE_ACCEPTED
from ..core.licenses import BY_KEY, normalize_license
from ..core.periods import NS_PER_DAY
from ..core.sessions import (
    DEFAULT_ORG,
    MAX_SESSION_DAYS,
    NULL_IDS,
    OPTIONAL,
    PARAMETERS,
    REQUIRED,
    Chunk,
    OptionNames,
    classify_clients,
    first_rows,
    instant_text,
)
from .arrow import EMPTY, call, cast, is_in, nfc, numpy, strings, trim
from .instants import parse_instants


def to_arrow(values, name: str) -> pa.Array:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        return pa.array(arr)
    try:
        return pa.array(list(arr) if arr.dtype == object else arr, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in arr.tolist()])


# --- normalizing one table ------------------------------------------------------------------


def normalize_table(
    table: pa.Table,
    *,
    where: Callable[[int], str],
    source: str,
    default_license: str | None = None,
    input_timezone: str | None = None,
    default_org: str = DEFAULT_ORG,
    other_clients: str | None = None,
    as_of: int | None = None,
    default_region: str | None = None,
    out: dict[str, np.ndarray] | None = None,
    option_names: OptionNames = PARAMETERS,
) -> Chunk:
    """Validate one Arrow table of sessions and encode it as arrays (a *chunk*).

    ``where(i)`` names row ``i`` in messages (``"sessions.csv: line 7"``). Rows whose user id is
    blank or a null marker (:data:`NULL_IDS`) are refused; zero-length sessions are kept.
    ``other_clients`` (``"billable"`` or ``"not-billable"``) says what a client in neither list
    of :data:`CLIENTS` is; ``None`` refuses such clients. ``as_of`` (UTC ns, ``--as-of``: when
    the export was taken) ends the data: a session ending later is clipped there (counted in the
    chunk's ``clipped``), one starting later is refused naming its row. ``out`` holds arrays of
    the table's
    length (``start``, ``end``, ``rank``, ``billable``: slices of the caller's whole columns)
    that the chunk's columns are written into, so that
    :func:`~billing_model.io.combine.combine` need not copy them.
    ``default_region``: the region of rows without one (a blank ``region`` cell, or a table
    without the column); without it a blank cell is refused and a table without the column
    has no region. ``option_names``: how messages name the options (the flag, the scenario key
    or the parameter the user gave; :class:`~billing_model.core.sessions.OptionNames`).
    """
    names = {name.strip().lower(): name for name in table.column_names}
    if len(names) < len(table.column_names):
        seen: dict[str, str] = {}
        for name in table.column_names:  # a loop over columns
            key = name.strip().lower()
            if key in seen:
                also = (
                    ""
                    if seen[key] == name
                    else (f" (also as {seen[key]!r}: names are read without case and spaces)")
                )
                raise BillingInputError(
                    f"{source}: column {name!r} appears twice{also}; accepted: each column once"
                )
            seen[key] = name
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise BillingInputError(
            f"{source}: missing column {', '.join(repr(m) for m in missing)}; required: "
            f"{', '.join(REQUIRED)}; optional: {', '.join(OPTIONAL)} (found: "
            f"{_shown_names(table.column_names)})"
        )
    n = table.num_rows

    def column(name):
        col = table.column(names[name])
        if isinstance(col, pa.ChunkedArray):  # one chunk per row group of a Parquet piece
            return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
        return col

    user_dict, user_idx = _encode(column("user_id"), "user_id", where, required=True)
    _check_null_ids(user_dict, user_idx, where)
    start = parse_instants(
        column("start"), "start", where, input_timezone, out=None if out is None else out["start"]
    )
    end = parse_instants(
        column("end"), "end", where, input_timezone, out=None if out is None else out["end"]
    )
    length = end - start  # one pass for both checks; the rows are found on the error path
    longest = MAX_SESSION_DAYS * NS_PER_DAY
    if n and length.min() < 0:
        i = int(np.flatnonzero(length < 0)[0])
        raise BillingInputError(
            f"{where(i)}: end {_show(column('end'), i)} is before start "
            f"{_show(column('start'), i)}; accepted: end at or after start"
        )
    if n and length.max() > longest:
        # a typo in a year: the engine would count every minute of the decades between
        i = int(np.flatnonzero(length > longest)[0])
        raise BillingInputError(
            f"{where(i)}: end {_show(column('end'), i)} is more than {MAX_SESSION_DAYS} days "
            f"after start {_show(column('start'), i)}; accepted: sessions of up to "
            f"{MAX_SESSION_DAYS} days (check the year)"
        )
    clipped = 0
    if as_of is not None and n:
        end, clipped = _clip_at_as_of(
            start,
            end,
            as_of,
            lambda i: _show(column("start"), i),
            where,
            option_names.name("as_of"),
        )

    if "org" in names:
        org_dict, org_idx = _encode(column("org"), "org", where, fill=default_org)
    else:
        org_dict = strings([default_org])
    if len(org_dict) == 1:  # one org (the common case): a code per row without the memory
        org_idx = np.broadcast_to(np.int32(0), (n,))

    region_dict = region_idx = None
    if "region" in names:
        region_dict, region_idx = _encode(
            column("region"), "region", where, fill=default_region, option_names=option_names
        )
    elif default_region is not None:
        region_dict = strings([default_region])
    if region_dict is not None and len(region_dict) == 1:
        region_idx = np.broadcast_to(np.int32(0), (n,))

    if "license" in names:
        lic_dict, lic_idx = _encode(
            column("license"), "license", where, fill=default_license, option_names=option_names
        )
    elif default_license is not None:
        lic_dict, lic_idx = strings([default_license]), np.zeros(n, np.int32)
    else:
        raise BillingInputError(
            f"{source}: no 'license' column; add one or give {option_names.name('license')} "
            f"(accepted: {LICENSE_ACCEPTED})"
        )
    lic_rank = np.zeros(len(lic_dict), dtype=np.int8)
    unknown = []
    for j, name in enumerate(lic_dict.to_pylist()):  # distinct license names only
        try:
            lic_rank[j] = BY_KEY[normalize_license(name)].rank
        except BillingInputError:
            unknown.append(j)
    for j in unknown:  # the error path only: rows are looked at when a name is unknown
        # a Parquet dictionary can hold values no row of this batch uses (a blank that took
        # --license, a value of another batch): only used ones are refused, naming their row
        rows = np.flatnonzero(lic_idx == j)
        if len(rows):
            i = int(rows[0])
            raise BillingInputError(
                f"{where(i)}, column 'license': unknown license {lic_dict[j].as_py()!r}; "
                f"accepted: {LICENSE_ACCEPTED}"
            )

    if "client" in names:
        # a blank client is taken as a user-interface login (billable): it is the safe estimate
        cl_dict, cl_idx = _encode(column("client"), "client", where, fill="desktop")
        kinds = classify_clients(
            np.asarray(cl_dict.to_pylist(), dtype=object),
            cl_idx,
            where,
            other_clients,
            source,
            option_names,
        )
    else:
        kinds, cl_idx = np.ones(1, dtype=bool), None

    if out is None:
        out = {
            "start": start,
            "end": end,
            "rank": np.empty(n, np.int8),
            "billable": np.empty(n, bool),
        }
    else:  # the caller's columns (parse_instants wrote timestamps there already)
        for key, values in (("start", start), ("end", end)):
            if values is not out[key]:
                out[key][:] = values
        start, end = out["start"], out["end"]
    # codes are in range (Arrow checked them): mode="clip" writes straight into out, where
    # "raise" gathers into a buffer first (half the speed)
    np.take(lic_rank, lic_idx, out=out["rank"], mode="clip")
    if kinds.all() or not kinds.any():  # every client billable, or none: no gather
        out["billable"][:] = kinds.all()
    else:
        assert cl_idx is not None, "billable and other clients: the table has a client column"
        np.take(kinds, cl_idx, out=out["billable"], mode="clip")
    found: dict[str, Any] = {}
    if n:  # here, on the reading threads, so that combine has less to do after the last chunk
        found["lo"], found["hi"] = int(np.argmin(start)), int(np.argmax(end))
        # the ids as compared (values are trimmed already); the first row of each value only
        # when folding changes one (mixed case, NFD): else every spelling of an id is the id
        found["user_keys"] = _fold(user_dict)
        if not found["user_keys"].equals(user_dict):
            found["user_first"] = first_rows(user_idx, len(user_dict))
    return Chunk(
        user_dict=user_dict,
        user_idx=user_idx,
        org_dict=org_dict,
        org_idx=org_idx,
        rank=out["rank"],
        start=start,
        end=end,
        billable=out["billable"],
        where=where,
        region_dict=region_dict,
        region_idx=region_idx,
        clipped=(clipped, as_of) if clipped and as_of is not None else None,
        **found,
    )


def _clip_at_as_of(
    start: np.ndarray, end: np.ndarray, as_of: int, shown, where, option: str
) -> tuple[np.ndarray, int]:
    """``end`` clipped at ``as_of`` (the window ends there, as ``--help`` says) and how many
    sessions were clipped; a session starting after ``as_of`` is refused naming its row (the
    export cannot hold what began after it was taken; an ``as_of`` before every session is
    refused so). ``option``: ``as_of`` as its user wrote it (``--as-of``)."""
    late = np.flatnonzero(start > as_of)
    if len(late):
        i = int(late[0])
        raise BillingInputError(
            f"{where(i)}, column 'start': {shown(i)} is after {option} {instant_text(as_of)} "
            f"(when the export was taken); accepted: an {option} at or after every session's "
            "start"
        )
    over = end > as_of
    clipped = int(np.count_nonzero(over))
    if clipped:
        end = np.minimum(end, as_of, out=end if end.flags.writeable else None)
    return end, clipped


def _check_null_ids(values: pa.Array, codes: np.ndarray, where) -> None:
    """Refuse user ids such as 'NaN', 'NULL', '#N/A' (a spreadsheet's empty cell): checked on the
    distinct values, rows looked up only when one of them is a marker."""
    if not len(values):
        return
    null = is_in(call("utf8_lower", values), strings(sorted(NULL_IDS)))
    if not call("any", null).as_py():
        return
    rows = np.flatnonzero(numpy(null)[codes])
    if len(rows):
        i = int(rows[0])
        raise BillingInputError(
            f"{where(i)}, column 'user_id': {values[int(codes[i])].as_py()!r} is a null marker, "
            "not a user; every session needs a user_id (blank, NaN, NULL, None, NA, N/A, #N/A "
            "are refused)"
        )


def _show(col: pa.Array, i: int) -> str:
    """A cell as the user wrote it: text quoted, timestamps in ISO 8601."""
    value = col[i].as_py()
    if hasattr(value, "isoformat"):
        return repr(value.isoformat())
    return repr(value)


def _encode(
    col: pa.Array,
    name: str,
    where,
    *,
    required: bool = False,
    fill=None,
    option_names: OptionNames = PARAMETERS,
) -> tuple[pa.Array, np.ndarray]:
    """Dictionary-encode a text column: (trimmed values as an Arrow string array, int32 codes).

    A column that is already dictionary-encoded (Parquet read with ``read_dictionary``) keeps
    its codes: only its distinct values are trimmed and checked, no string per row is made.
    The values may repeat after trimming; :func:`~billing_model.io.combine.combine` maps equal
    names to one code.
    """
    if pa.types.is_dictionary(col.type):
        values = call("utf8_trim_whitespace", cast(col.dictionary, pa.string()))
        indices = col.indices.fill_null(0) if col.null_count else col.indices
        codes = numpy(indices)
        if codes.dtype != np.int32:
            codes = codes.astype(np.int32)
        # never null: a null value is blank (or_kleene(true, null) is true)
        blank_value = numpy(
            call("or_kleene", call("is_null", values), call("equal", values, EMPTY))
        )
        if col.null_count or blank_value.any():
            blank = numpy(col.is_null())
            if len(values):
                blank = blank | blank_value[codes]
            if blank.any():
                _blank_error(blank, name, where, required, fill, option_names)
                values = pa.concat_arrays([values, strings([fill])])
                codes = codes.copy()  # the reader's buffer is read-only
                codes[blank] = len(values) - 1
        return values, codes
    import pyarrow.compute as pc  # text input (CSV), not Parquet's dictionaries

    if pa.types.is_boolean(col.type):  # true/false is no org, region or license
        raise BillingInputError(
            f"{where(0)}, column {name!r}: values of type {col.type} are "
            "not text; accepted: text or whole numbers"
        )
    if pa.types.is_floating(col.type) and not required:  # user_id names 'nan' a null marker
        col = pc.if_else(pc.is_nan(col), pa.scalar(None, col.type), col)  # NaN is blank
    if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
        try:
            col = col.cast(pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise BillingInputError(
                f"{where(0)}, column {name!r}: values of type {col.type} are "
                "not text; accepted: text or whole numbers"
            ) from None
    col = pc.utf8_trim_whitespace(col)
    blank = pc.or_kleene(pc.is_null(col), pc.equal(col, EMPTY))  # never null (see above)
    if pc.any(blank).as_py():
        _blank_error(numpy(blank), name, where, required, fill, option_names)
        col = pc.if_else(blank, pa.scalar(fill, col.type), col)
    enc = pc.dictionary_encode(col)
    return (enc.dictionary.cast(pa.string()), numpy(enc.indices).astype(np.int32, copy=False))


def _blank_error(
    blank: np.ndarray,
    name: str,
    where,
    required: bool,
    fill,
    option_names: OptionNames = PARAMETERS,
) -> None:
    """Raise for the first blank cell unless blanks take ``fill``."""
    if required or fill is None:
        i = int(np.flatnonzero(blank)[0])
        if required:
            raise BillingInputError(
                f"{where(i)}, column {name!r}: is blank; every session needs a user_id"
            )
        # the option of this column (--license, usage.region), not another one's
        option = (
            f" (or give {option_names.name(name)} for rows without one)"
            if option_names.takes(name)
            else ""
        )
        raise BillingInputError(
            f"{where(i)}, column {name!r}: is blank; accepted: a {name} on every row{option}"
        )


# --- combining chunks ------------------------------------------------------------------------


def _shown_names(names: list[str], most: int = 12, width: int = 40) -> str:
    """Column names for a message: at most ``most``, each cut at ``width`` characters (a file
    that is not a session table has a 'header' of any length: the message stays one line)."""
    shown = [n if len(n) <= width else n[: width - 3] + "..." for n in names[:most]]
    more = f" and {len(names) - most:,} more" if len(names) > most else ""
    return ", ".join(shown) + more if shown else "none"


def _text(values) -> pa.Array:
    """A chunk's dictionary as an Arrow string array (chunks made elsewhere may hold NumPy)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(np.asarray(values, dtype=object).tolist(), pa.string())
    return values if values.type == pa.string() else cast(values, pa.string())


#: zero-width space, word joiner, byte-order mark: trimmed from the ends of user ids
_INVISIBLE = "\u200b\u2060\ufeff"


def _fold(ids: pa.Array) -> pa.Array:
    """Trimmed user ids as compared: without case, in Unicode NFC (``é`` typed as one code point
    or as ``e`` and a combining accent is one user: e-mail ids come from systems that write
    either). Called on distinct ids only (dictionaries), never per row; ASCII text (GUIDs),
    which NFC leaves as it is, skips the normalization (it doubled the fold's time)."""
    lower = call("utf8_lower", ids)
    data = lower.buffers()[2] if isinstance(lower, pa.Array) else None
    if data is not None and np.frombuffer(data, np.uint8).max(initial=0) < 0x80:
        return lower
    # invisible characters at either end (a zero-width space pasted from a web page, a stray
    # byte-order mark) are no part of an id, as spaces are not
    trimmed = call("utf8_trim_whitespace", trim(lower, _INVISIBLE))  # 'ann \u200b'
    return nfc(trimmed)


def fold_ids(values) -> np.ndarray:
    """User ids as compared: trimmed, without case, NFC (over distinct ids), the fold
    :func:`~billing_model.io.combine.combine` applies (the Dask engine's scan and shuffle use it
    too)."""
    values = np.asarray(values, dtype=object)
    if not len(values):
        return np.zeros(0, dtype=str)
    folded = _fold(call("utf8_trim_whitespace", pa.array(values, pa.string())))
    return np.asarray(folded.to_pylist(), dtype=object).astype(str)
