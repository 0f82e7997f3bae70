"""Timestamps of session and call data read as UTC nanoseconds (split from
:mod:`billing_model.io.tables`): ISO 8601 text with an offset or ``Z`` (or the word ``UTC``),
timezone-aware timestamps and dates; text or timestamps without a zone only with the zone the
user names (``input_timezone``). Every refusal names the row, the column and the value.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa

from ..core.errors import BillingInputError
from ..core.periods import get_timezone
from .arrow import numpy

_OFFSET = r"(?:[Zz]|[+-]\d\d(?::?\d\d)?)$"
_UTC_WORD = r"\s*(?:UTC|GMT)$"
_LOOKS_ISO = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")  # a date and a time, offset or not


def parse_instants(
    col: pa.Array, name: str, where, input_timezone: str | None, *, out: np.ndarray | None = None
) -> np.ndarray:
    """UTC nanoseconds from ISO 8601 text with an offset or ``Z``, or tz-aware timestamps.

    Text or timestamps without an offset are refused unless ``input_timezone`` names their zone.
    ``out``: an int64 array of the column's length that tz-aware timestamps are written into
    (one pass from Arrow's buffer; other inputs return an array of their own).
    """
    t = col.type
    if pa.types.is_dictionary(t):
        col = col.cast(t.value_type)
        t = col.type
    if len(col) == 0:  # a header without rows, a JSON export without presence
        return np.zeros(0, dtype=np.int64)
    if col.null_count:
        i = int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
        raise BillingInputError(
            f"{where(i)}, column {name!r}: is blank; accepted: an ISO 8601 "
            "timestamp with an offset, e.g. 2026-01-05T08:00:00Z"
        )
    if pa.types.is_timestamp(t):
        if t.tz is None:
            col = _localize(col, name, where, input_timezone)
        if out is not None and col.type.tz is not None:
            per = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[col.type.unit]
            raw = numpy(col)  # a view of the counts: no nulls
            limit = np.iinfo(np.int64).max // per
            if raw.min() >= -limit and raw.max() <= limit:  # else Arrow's cast names the row
                return np.multiply(raw, per, out=out)
        try:
            return numpy(col.cast(pa.timestamp("ns", tz="UTC")))
        except pa.ArrowInvalid:  # beyond the years 1677-2262 of nanosecond timestamps
            per = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[t.unit]
            raw = col.cast(pa.int64()).to_numpy(zero_copy_only=False)
            limit = np.iinfo(np.int64).max // per
            i = int(np.flatnonzero((raw > limit) | (raw < -limit))[0])
            raise BillingInputError(
                f"{where(i)}, column {name!r}: {int(raw[i])} {t.unit} since 1970 is out of range;"
                " accepted: timestamps between the years 1678 and 2261"
            ) from None
    if pa.types.is_date(t):
        col = col.cast(pa.timestamp("ns"))
        col = _localize(col, name, where, input_timezone)
        return numpy(col)
    if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        i = 0
        raise BillingInputError(
            f"{where(i)}, column {name!r}: values of type {t} are not "
            "timestamps; accepted: ISO 8601 text with an offset or "
            "timezone-aware timestamps"
        )
    import pyarrow.compute as pc  # text input (CSV, JSON), not Parquet's timestamps

    col = pc.utf8_trim_whitespace(col)
    has_offset = pc.match_substring_regex(col, _OFFSET)
    if not pc.all(has_offset).as_py() and pc.any(pc.match_substring_regex(col, _UTC_WORD)).as_py():
        # '2026-03-01 10:00:00 UTC' (SQL and BI exports): the zone written as a word is 'Z'
        col = pc.replace_substring_regex(col, _UTC_WORD, "Z")
        has_offset = pc.match_substring_regex(col, _OFFSET)
    if pc.all(has_offset).as_py():
        try:
            return numpy(col.cast(pa.timestamp("ns", tz="UTC")))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            if pc.any(pc.match_substring_regex(col, "z$")).as_py():
                # ISO 8601 (RFC 3339) allows a lowercase 'z', which Arrow refuses: read it as
                # 'Z' (here, on the error path, so the common case pays no extra pass)
                return parse_instants(
                    pc.replace_substring_regex(col, "z$", "Z"), name, where, input_timezone
                )
            _raise_unparseable(col, name, where)
    # some or all values lack an offset
    if input_timezone is None:
        i = int(np.flatnonzero(~has_offset.to_numpy(zero_copy_only=False))[0])
        if not _LOOKS_ISO.match(str(col[i].as_py())):  # 'yesterday', '03/08/2026 10:00'
            _raise_unparseable(col.slice(i, 1), name, lambda _: where(i))
        raise BillingInputError(
            f"{where(i)}, column {name!r}: {col[i].as_py()!r} has no UTC offset; accepted: "
            "ISO 8601 with an offset or 'Z' (2026-01-05T08:00:00Z), or say the zone with "
            "--input-timezone ZONE"
        )
    out = np.empty(len(col), dtype=np.int64)
    mask = numpy(has_offset)
    for sel, keep, aware in ((mask, has_offset, True), (~mask, pc.invert(has_offset), False)):
        if not sel.any():
            continue
        part = col.filter(keep)
        try:
            if aware:
                ts = part.cast(pa.timestamp("ns", tz="UTC"))
            else:
                ts = _localize(
                    part.cast(pa.timestamp("ns")), name, _subset_where(where, sel), input_timezone
                )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            _raise_unparseable(col, name, where)
        out[sel] = numpy(ts)
    return out


def _subset_where(where, sel: np.ndarray):
    rows = np.flatnonzero(sel)
    return lambda i: where(int(rows[i]))


def _localize(col: pa.Array, name: str, where, input_timezone: str | None) -> pa.Array:
    if input_timezone is None:
        raise BillingInputError(
            f"{where(0)}, column {name!r}: timestamps have no time zone; accepted: "
            "timezone-aware timestamps, or say the zone with --input-timezone ZONE"
        )
    zone = get_timezone(input_timezone).key
    import pyarrow.compute as pc  # timestamps without a zone only

    try:
        return pc.assume_timezone(col, timezone=zone, ambiguous="raise", nonexistent="raise")
    except pa.ArrowInvalid:
        # error path: a time that happens twice or never reads differently as the earliest and
        # the latest instant it could be; the first such row is named (two passes, not a call
        # per row: a million rows took 14 s)
        early, late = (
            numpy(pc.assume_timezone(col, timezone=zone, ambiguous=pick, nonexistent=pick))
            for pick in ("earliest", "latest")
        )
        bad = np.flatnonzero(early != late)
        if not len(bad):
            raise
        i = int(bad[0])
        raise BillingInputError(
            f"{where(i)}, column {name!r}: {str(col[i].as_py())!r} is ambiguous or does "
            f"not exist in {zone} (a DST change); write it with a UTC offset"
        ) from None


def _raise_unparseable(col: pa.Array, name: str, where):
    import pandas as pd  # error path only
    import pyarrow.compute as pc

    values = col.to_pandas()
    parsed = pd.to_datetime(values, format="ISO8601", utc=True, errors="coerce")
    # pandas also takes a bare date ('2026-03-08', whose '-08' looks like an offset): Arrow
    # does not, so a value without a time is bad too
    timed = pc.match_substring_regex(col, "^" + _LOOKS_ISO.pattern).to_numpy(zero_copy_only=False)
    # a date pandas reads (to the microsecond) but nanosecond timestamps cannot hold
    years = parsed.dt.year.to_numpy(dtype=float, na_value=np.nan)
    beyond = (years < 1678) | (years > 2261)
    bad = np.flatnonzero(parsed.isna().to_numpy() | ~timed | beyond)
    i = int(bad[0]) if len(bad) else 0
    if timed[i] and not beyond[i] and not pd.isna(parsed.iloc[i]):  # read, but not by Arrow
        raise BillingInputError(
            f"{where(i)}, column {name!r}: {values.iloc[i]!r} is not accepted; accepted: "
            "ISO 8601 with at most 9 digits after the seconds, e.g. 2026-01-05T08:00:00.25Z"
        )
    if timed[i] and (beyond[i] or _valid_iso(str(values.iloc[i]))):  # a real date, out of range
        raise BillingInputError(
            f"{where(i)}, column {name!r}: {values.iloc[i]!r} is out of range; accepted: "
            "timestamps between the years 1678 and 2261 (check the year)"
        )
    raise BillingInputError(
        f"{where(i)}, column {name!r}: {values.iloc[i]!r} is not an ISO 8601 timestamp; "
        "accepted: e.g. 2026-01-05T08:00:00Z or 2026-01-05T09:00:00+01:00"
    )


def _valid_iso(text: str) -> bool:
    """Whether Python reads ``text`` as an ISO 8601 date and time (any year 1-9999)."""
    import datetime as dt

    try:
        dt.datetime.fromisoformat(text.strip().replace(" UTC", "Z").replace(" GMT", "Z"))
    except ValueError:
        return False
    return True
