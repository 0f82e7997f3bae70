"""Session columns from Excel cells: the sessions, the billing window and the profile's inputs
that the session functions (``BM_BILLABLE_USERS``, ``BM_CONCURRENCY_PROFILE`` ...) hand over.

The cell readers they use (columns, text, whole numbers, instants) are in
:mod:`billing_model.io.cells`; this module only puts them together into sessions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from billing_model.core.errors import BillingInputError
from billing_model.core.periods import NS_PER_DAY, NS_PER_MINUTE, BillingCalendar
from billing_model.core.sessions import Sessions
from billing_model.core.usage import Window
from billing_model.io.cells import (
    DEFAULT_LICENSE,
    MAX_SPILL_ROWS,
    SESSION_TIMEZONE,
    Cell,
    _instant_column,
    _is_blank,
    read_column,
    read_instant,
    read_text,
    read_timezone,
    read_whole,
    scalar,
    trim_trailing,
)
from billing_model.io.combine import combine
from billing_model.io.tables import normalize_table


def read_sessions(
    user_ids: Cell, starts: Cell, ends: Cell, licenses: Cell, timezone: str
) -> Sessions | None:
    """Sessions from the sheet's columns (None when every row is blank).

    Rows are numbered within the ranges given (row 1 is the first cell of each range).
    """
    license_one = None
    cols = {
        "user_ids": read_column(user_ids, "user_ids"),
        "starts": read_column(starts, "starts"),
        "ends": read_column(ends, "ends"),
    }
    if licenses is not None:
        lic = read_column(licenses, "licenses")
        if len(lic) == 1:  # one license for every session
            license_one = read_text(lic[0], "licenses")
        else:
            cols["licenses"] = lic
    trimmed = trim_trailing({k: cols[k] for k in ("user_ids", "starts", "ends")})
    n = len(trimmed["user_ids"])
    if "licenses" in cols:  # as many rows as the sessions: cut, or padded with blanks
        lic = cols["licenses"][:n] + [None] * max(0, n - len(cols["licenses"]))
    if n == 0:
        return None

    user = _user_column(trimmed["user_ids"])
    start, start_aware = _instant_column(trimmed["starts"], "starts")
    end, end_aware = _instant_column(trimmed["ends"], "ends")
    nulls = {
        name: arr.is_null().to_numpy(zero_copy_only=False)
        for name, arr in (("user_id", user), ("start", start), ("end", end))
    }
    empty = nulls["user_id"] & nulls["start"] & nulls["end"]
    partial = (nulls["user_id"] | nulls["start"] | nulls["end"]) & ~empty
    if partial.any():
        i = int(np.flatnonzero(partial)[0])
        missing = next(name for name in ("user_id", "start", "end") if nulls[name][i])
        raise BillingInputError(
            f"row {i + 1}: the {missing} is blank; each session needs a "
            "user id, a start and an end (or leave the whole row blank)"
        )
    kept = np.flatnonzero(~empty)
    columns = {"user_id": user, "start": start, "end": end}
    if "licenses" in cols:
        lic_arr = _user_column(lic)
        blank = lic_arr.is_null().to_numpy(zero_copy_only=False) & ~empty
        if blank.any():
            i = int(np.flatnonzero(blank)[0])
            raise BillingInputError(
                f"licenses: row {i + 1} is blank; give every session a "
                'license, one license for all (e.g. "pc2"), or none'
            )
        columns["license"] = lic_arr
    if len(kept) < n:
        index = pa.array(kept)
        columns = {k: v.take(index) for k, v in columns.items()}
    if len(kept) == 0:
        return None
    # a UTC wall time needs no localizing: mark it UTC so that the parser only casts
    for key, aware in (("start", start_aware), ("end", end_aware)):
        col = columns[key]
        if (aware or timezone == "UTC") and pa.types.is_timestamp(col.type):
            columns[key] = (
                col.cast(pa.int64()).view(pa.timestamp("ns", tz="UTC"))
                if col.type.tz is None
                else col
            )
    table = pa.table(columns)
    chunk = normalize_table(
        table,
        where=lambda i: f"row {int(kept[i]) + 1}",
        source="sessions",
        default_license=license_one or DEFAULT_LICENSE,
        input_timezone=timezone,
    )
    return combine([chunk], source="sessions")


def _user_column(values: list) -> pa.Array:
    """Text cells as Arrow strings (ids typed as numbers become text: 1001.0 -> "1001")."""
    try:
        arr = pa.array(values, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = pa.array(
            [None if _is_blank(v) else read_text(v, "user_ids") for v in values], type=pa.string()
        )
    arr = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def period_window(
    sessions: Sessions, period_start: Cell, period_end: Cell, timezone: str
) -> Window:
    """One analysis window on the UTC minute grid: [period_start, period_end), or the data's
    span. A period_end without a time of day is the last day included."""
    if scalar(period_start, "period_start") is None:
        m0 = int(sessions.start_ns.min()) // NS_PER_MINUTE
    else:
        m0 = read_instant(period_start, "period_start", timezone) // NS_PER_MINUTE
    if scalar(period_end, "period_end") is None:
        m1 = -(-int(sessions.end_ns.max()) // NS_PER_MINUTE)
    else:
        m1 = -(-read_instant(period_end, "period_end", timezone, day_end=True) // NS_PER_MINUTE)
    if m1 <= m0:
        raise BillingInputError(
            "period_end: is not after period_start; accepted: a later date "
            "(a date alone is the last day included)"
        )
    first_day = np.datetime64(m0 * NS_PER_MINUTE // NS_PER_DAY, "D").astype(object)
    return Window(BillingCalendar(first_day, "UTC"), 0, 1, np.array([m0, m1], dtype=np.int64))


def window_sessions(
    user_ids: Cell,
    starts: Cell,
    ends: Cell,
    licenses: Cell,
    period_start: Cell,
    period_end: Cell,
    timezone: Cell,
) -> tuple[Sessions, Window] | None:
    """One window's sessions and the window, read from cells (None when there are no
    sessions); :func:`billing_model.service.window_usage` counts them."""
    tz = read_timezone(timezone)
    sessions = read_sessions(user_ids, starts, ends, licenses, SESSION_TIMEZONE)
    if sessions is None:
        return None
    return sessions, period_window(sessions, period_start, period_end, tz)


def profile_inputs(
    user_ids: Cell,
    starts: Cell,
    ends: Cell,
    period_start: Cell,
    period_end: Cell,
    step_minutes: Cell,
    timezone: Cell,
) -> tuple[Sessions, int, int, int, str]:
    """BM_CONCURRENCY_PROFILE's arguments: (sessions, start ns, end ns, step, zone), with a
    step that keeps the rows within a sheet."""
    tz = read_timezone(timezone)
    step = read_whole(step_minutes, "step_minutes", 1, minimum=1)
    sessions = read_sessions(user_ids, starts, ends, None, SESSION_TIMEZONE)
    if sessions is None:
        raise BillingInputError("sessions: no sessions found (every row is blank)")
    window = period_window(sessions, period_start, period_end, tz)
    m0, m1 = (int(b) for b in window.bounds)
    if -(-(m1 - m0) // step) > MAX_SPILL_ROWS - 1:
        raise BillingInputError(
            f"step_minutes: {step} gives more rows than a sheet holds; "
            "accepted: a larger step or a shorter period"
        )
    # a step past the window gives the same one row; a huge one (1E+308) overflowed numpy
    step = min(step, max(m1 - m0, 1))
    return sessions, m0 * NS_PER_MINUTE, m1 * NS_PER_MINUTE, step, tz
