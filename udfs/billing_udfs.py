"""Excel functions (xlwings UDFs) over the billing_model engines.

Each ``BM_`` function is a thin wrapper: xlwings decorators with one line of help per argument,
one call into an engine of :mod:`billing_model`, and a result Excel can show (a number, or rows
that spill, NaN turned into blank cells). The private adapter layer at the top of this module
does what every wrapper needs:

* **columns**: Excel hands a column as a 1-D list, as a 2-D list of one-element rows, or as a
  single value; trailing blank cells (``None``) are dropped, and rows blank in every column are
  skipped anywhere;
* **dates and times**: naive datetimes, Excel serial numbers (1900 date system) or ISO 8601 text.
  Session starts and ends without an offset are UTC (the vendor's exports are UTC); period
  bounds are read in the zone of the ``timezone`` argument (UTC when there is none), which is
  the billing time zone. Text with an offset (``...Z``, ``+01:00``) keeps it. Datetimes and
  serial numbers are rounded to the millisecond, so that Excel's floating-point times (08:00
  stored as 0.33333...) land on the exact minute;
* **numbers**: counts arrive as floats (``30.0``) and must be whole where a count is meant;
* **errors**: bad input gives the cell a short text saying what is wrong (the engine's
  :class:`~billing_model.errors.BillingInputError` message), never an exception into Excel.

Argument names are also the names of VBA parameters in classic xlwings (the add-in writes a VBA
wrapper per function), so none may be a VBA keyword: the currency argument is ``currency_code``
because ``Currency`` is a VBA type.

Use it from Excel on Windows (xlwings add-in, ``UDF Modules`` = ``billing_udfs``) or from
xlwings Lite: see ``docs/excel-functions.md``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import math
import re
import warnings
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Annotated, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xlwings as xw

from billing_model.core.allowances import fair_use_allowance
from billing_model.core.concurrency import check_peak_rule, touched_span
from billing_model.core.errors import BillingInputError
from billing_model.core.invoices import COLUMNS as INVOICE_COLUMNS
from billing_model.core.invoices import schedule_from_values
from billing_model.core.money import round_money, to_decimal
from billing_model.core.periods import (
    NS_PER_DAY,
    NS_PER_MINUTE,
    BillingCalendar,
    billing_periods,
    get_timezone,
    to_date,
)
from billing_model.core.sessions import Sessions, combine
from billing_model.core.storage import FORECAST_COLUMNS, StorageSettings, storage_forecast
from billing_model.core.usage import Window, concurrency_profile, finalize_usage, partial_usage
from billing_model.io.tables import normalize_table

CATEGORY = "Billing Model"
#: the largest number of rows a spill may have (Excel's sheet height minus a header row)
MAX_SPILL_ROWS = 1_048_575
#: Excel's 1900 date system: serial 25569 is 1970-01-01; serials below 61 hit Excel's
#: 1900-leap-year bug and are no session dates, 2958466 is the day after 9999-12-31
EXCEL_EPOCH_SERIAL = 25569
SERIAL_RANGE = (61.0, 2_958_466.0)
NS_PER_MS = 1_000_000
#: a blank optional license column: every user counts as concurrent-eligible (any of PureCloud
#: 1-3 gives the same peak; the tier only decides which licenses a peak bills)
DEFAULT_LICENSE = "pc1"
#: session times without an offset are UTC, as the vendor's API and exports give them; the
#: ``timezone`` arguments place the period bounds (and the profile's times) in a local zone
SESSION_TIMEZONE = "UTC"
#: longest error text returned to a cell
MAX_ERROR_CHARS = 255

#: one Excel cell or range as xlwings hands it: a number, text, a date, blank (None) or a list
Cell = Any
#: what a BM_ function returns: a value, rows of values that spill, or an error text
Result = Any

logger = logging.getLogger(__name__)


def _help(text: str) -> dict:
    """Per-argument options for ``Annotated``: the Function Wizard's help text."""
    return {"doc": text}


# === adapter layer (private) =================================================================

def _excel_safe(func: Callable) -> Callable:
    """Run ``func`` for a cell: input errors become the cell's text, warnings are dropped."""

    @functools.wraps(func)
    def wrapper(*args: Any) -> Result:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return func(*args)
        except BillingInputError as exc:
            return _error_text(str(exc))
        except Exception as exc:  # never raise into Excel
            logger.exception("%s failed", func.__name__)
            return _error_text(f"unexpected error in {func.__name__}: "
                               f"{type(exc).__name__}: {exc}")

    return wrapper


def _error_text(message: str) -> str:
    line = " ".join(str(message).split())
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 3] + "..."


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def _column(values: Cell, name: str) -> list:
    """One column as a flat list: from a value, a 1-D list, or a 2-D list of one-element rows."""
    if values is None:
        return []
    if isinstance(values, np.ndarray | pd.Series | pd.Index):
        values = np.asarray(values, dtype=object).tolist()
    if not isinstance(values, list | tuple):
        return [values]
    if not values:
        return []
    if isinstance(values[0], list | tuple):
        if len(values) == 1:  # a single row: a horizontal range
            return list(values[0])
        try:
            return [cell for (cell,) in values]
        except ValueError:
            width = max(len(row) for row in values)
            raise BillingInputError(f"{name}: a range {width} columns wide; accepted: one "
                                    "column (or one row) of cells") from None
    return list(values)


def _trim_trailing(columns: dict[str, list]) -> dict[str, list]:
    """Pad the columns to one length, then drop the rows blank in all of them at the end."""
    n = max((len(col) for col in columns.values()), default=0)
    padded = {name: col if len(col) == n else col + [None] * (n - len(col))
              for name, col in columns.items()}
    while n and all(_is_blank(col[n - 1]) for col in padded.values()):
        n -= 1
    return {name: col if len(col) == n else col[:n] for name, col in padded.items()}


def _scalar(value: Cell) -> Cell:
    """A single cell's value (a 1x1 range may arrive as ``[[x]]`` or ``[x]``)."""
    while isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]
    if isinstance(value, list | tuple):
        raise BillingInputError(f"expected one cell, got a range of {len(value)} cells")
    return None if _is_blank(value) else value


def _text(value: Cell, name: str, default: str | None = None) -> str:
    value = _scalar(value)
    if value is None:
        if default is None:
            raise BillingInputError(f"{name}: is blank; a value is required")
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _number(value: Cell, name: str, default: float | None = None,
            accepted: str = "a number") -> float:
    value = _scalar(value)
    if value is None:
        if default is None:
            raise BillingInputError(f"{name}: is blank; accepted: {accepted}")
        return default
    if isinstance(value, bool):
        raise BillingInputError(f"{name}: {value!r} is not a number; accepted: {accepted}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BillingInputError(f"{name}: {value!r} is not a number; accepted: "
                                f"{accepted}") from None
    if not math.isfinite(number):
        raise BillingInputError(f"{name}: {value!r} is not a finite number; accepted: "
                                f"{accepted}")
    return number


def _whole(value: Cell, name: str, default: int | None = None, minimum: int = 0) -> int:
    """A count: Excel hands 30 as 30.0."""
    accepted = f"a whole number >= {minimum}"
    number = _number(value, name, None if default is None else float(default), accepted)
    if not number.is_integer() or number < minimum:
        raise BillingInputError(f"{name}: {_show(value)} is not valid; accepted: {accepted}")
    return int(number)


def _show(value: Cell) -> str:
    value = _scalar(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def _timezone(value: Cell, default: str = "UTC") -> str:
    name = _text(value, "timezone", default)
    return get_timezone(name).key


# --- dates and times -------------------------------------------------------------------------

def _serials_to_ns(serial: np.ndarray) -> np.ndarray:
    """Excel serial day numbers (1900 system) to epoch nanoseconds, rounded to the millisecond."""
    ms = np.rint((serial - EXCEL_EPOCH_SERIAL) * 86_400_000.0).astype(np.int64)
    return ms * NS_PER_MS


def _round_ms(ns: np.ndarray) -> np.ndarray:
    return (ns + NS_PER_MS // 2) // NS_PER_MS * NS_PER_MS


def _instant_column(values: list, name: str) -> tuple[pa.Array, bool]:
    """A column of dates and times as Arrow: (array, aware).

    ``aware`` says the values are UTC instants already (tz-aware datetimes); otherwise
    timestamps are local wall times and text is passed on to the session parser, which reads
    offsets and localizes the rest.
    """
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if not kinds:
        return pa.nulls(len(values), pa.timestamp("ns")), False
    if kinds <= {float, int}:
        return _serial_column(values, name), False
    if kinds == {str}:
        stripped = pc.utf8_trim_whitespace(pa.array(values, type=pa.string()))
        blank = pc.equal(stripped, "")
        return pc.if_else(blank, pa.scalar(None, pa.string()), stripped), False
    if all(issubclass(k, dt.datetime) for k in kinds):
        try:
            index = pd.DatetimeIndex(values)  # the fastest path from datetime objects
        except (TypeError, ValueError):
            return _mixed_column(values, name), False
        aware = index.tz is not None
        if aware:
            index = index.tz_convert("UTC").tz_localize(None)
        mask = np.asarray(index.isna())
        ns = _round_ms(np.where(mask, 0, index.as_unit("ns").asi8))
        return pa.array(ns, type=pa.timestamp("ns", tz="UTC" if aware else None),
                        mask=mask if mask.any() else None), aware
    return _mixed_column(values, name), False


def _serial_column(values: list, name: str) -> pa.Array:
    serial = np.array(values, dtype=float)  # None -> nan
    mask = np.isnan(serial)
    bad = ~mask & ((serial < SERIAL_RANGE[0]) | (serial >= SERIAL_RANGE[1]))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise BillingInputError(
            f"{name}: row {i + 1}: {_show(values[i])} is not a date and time (an Excel error "
            "value such as #N/A?); accepted: Excel dates and times, or ISO 8601 text")
    ns = _serials_to_ns(np.where(mask, EXCEL_EPOCH_SERIAL, serial))
    return pa.array(ns, type=pa.timestamp("ns"), mask=mask if mask.any() else None)


def _mixed_column(values: list, name: str) -> pa.Array:
    """A column mixing datetimes, dates, serial numbers and text: each cell as ISO text."""
    return pa.array([_cell_iso(v, name, i) for i, v in enumerate(values)], type=pa.string())


def _cell_iso(value: object, name: str, i: int) -> str | None:
    if _is_blank(value):
        return None
    if isinstance(value, bool):
        raise BillingInputError(f"{name}: row {i + 1}: {value!r} is not a date and time")
    if isinstance(value, dt.datetime | dt.date | np.datetime64 | pd.Timestamp):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, int | float | np.integer | np.floating):
        ns = _serial_column([float(value)], f"{name}: row {i + 1}").cast(pa.int64())
        return pd.Timestamp(ns[0].as_py()).isoformat()
    return str(value).strip()


def _instant(value: Cell, name: str, timezone: str, *, day_end: bool = False) -> int:
    """One date or time as UTC nanoseconds; with ``day_end`` a date without a time of day is
    the last day included: the instant is the next midnight."""
    value = _scalar(value)
    if isinstance(value, bool):
        raise BillingInputError(f"{name}: {value!r} is not a date")
    if isinstance(value, int | float):
        if not SERIAL_RANGE[0] <= value < SERIAL_RANGE[1]:
            raise BillingInputError(f"{name}: {_show(value)} is not a date; accepted: an Excel "
                                    "date (and time) or ISO 8601 text such as 2026-03-01")
        stamp = pd.Timestamp(int(_serials_to_ns(np.array([float(value)]))[0]))
    else:
        try:
            stamp = pd.Timestamp(value)
        except (TypeError, ValueError):
            stamp = pd.NaT
        if stamp is pd.NaT:
            raise BillingInputError(f"{name}: {value!r} is not a date; accepted: an Excel date "
                                    "(and time) or ISO 8601 text such as 2026-03-01")
        if stamp.tzinfo is None:
            stamp = stamp.round("ms")
    if day_end and stamp == stamp.normalize():
        stamp = stamp + pd.Timedelta(days=1)
    if stamp.tzinfo is None:
        try:
            stamp = stamp.tz_localize(timezone, ambiguous="raise", nonexistent="raise")
        except Exception:
            raise BillingInputError(f"{name}: {stamp} does not exist or is ambiguous in "
                                    f"{timezone} (a DST change); give it in UTC") from None
    return int(stamp.tz_convert("UTC").value)


# --- sessions --------------------------------------------------------------------------------

def _sessions(user_ids: Cell, starts: Cell, ends: Cell, licenses: Cell,
              timezone: str) -> Sessions | None:
    """Sessions from the sheet's columns (None when every row is blank).

    Rows are numbered within the ranges given (row 1 is the first cell of each range).
    """
    license_one = None
    cols = {"user_ids": _column(user_ids, "user_ids"), "starts": _column(starts, "starts"),
            "ends": _column(ends, "ends")}
    if licenses is not None:
        lic = _column(licenses, "licenses")
        if len(lic) == 1:  # one license for every session
            license_one = _text(lic[0], "licenses")
        else:
            cols["licenses"] = lic
    trimmed = _trim_trailing({k: cols[k] for k in ("user_ids", "starts", "ends")})
    n = len(trimmed["user_ids"])
    if "licenses" in cols:  # as many rows as the sessions: cut, or padded with blanks
        lic = cols["licenses"][:n] + [None] * max(0, n - len(cols["licenses"]))
    if n == 0:
        return None

    user = _user_column(trimmed["user_ids"])
    start, start_aware = _instant_column(trimmed["starts"], "starts")
    end, end_aware = _instant_column(trimmed["ends"], "ends")
    nulls = {name: arr.is_null().to_numpy(zero_copy_only=False)
             for name, arr in (("user_id", user), ("start", start), ("end", end))}
    empty = nulls["user_id"] & nulls["start"] & nulls["end"]
    partial = (nulls["user_id"] | nulls["start"] | nulls["end"]) & ~empty
    if partial.any():
        i = int(np.flatnonzero(partial)[0])
        missing = next(name for name in ("user_id", "start", "end") if nulls[name][i])
        raise BillingInputError(f"row {i + 1}: the {missing} is blank; each session needs a "
                                "user id, a start and an end (or leave the whole row blank)")
    kept = np.flatnonzero(~empty)
    columns = {"user_id": user, "start": start, "end": end}
    if "licenses" in cols:
        lic_arr = _user_column(lic)
        blank = lic_arr.is_null().to_numpy(zero_copy_only=False) & ~empty
        if blank.any():
            i = int(np.flatnonzero(blank)[0])
            raise BillingInputError(f"licenses: row {i + 1} is blank; give every session a "
                                    "license, one license for all (e.g. \"pc2\"), or none")
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
            columns[key] = col.cast(pa.int64()).view(pa.timestamp("ns", tz="UTC")) \
                if col.type.tz is None else col
    table = pa.table(columns)
    chunk = normalize_table(table, where=lambda i: f"row {int(kept[i]) + 1}", source="sessions",
                            default_license=license_one or DEFAULT_LICENSE,
                            input_timezone=timezone)
    return combine([chunk], source="sessions")


def _user_column(values: list) -> pa.Array:
    """Text cells as Arrow strings (ids typed as numbers become text: 1001.0 -> "1001")."""
    try:
        arr = pa.array(values, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = pa.array([None if _is_blank(v) else _text(v, "user_ids") for v in values],
                       type=pa.string())
    arr = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def _period_window(sessions: Sessions, period_start: Cell, period_end: Cell,
                   timezone: str) -> Window:
    """One analysis window on the UTC minute grid: [period_start, period_end), or the data's
    span. A period_end without a time of day is the last day included."""
    if _scalar(period_start) is None:
        m0 = int(sessions.start_ns.min()) // NS_PER_MINUTE
    else:
        m0 = _instant(period_start, "period_start", timezone) // NS_PER_MINUTE
    if _scalar(period_end) is None:
        m1 = -(-int(sessions.end_ns.max()) // NS_PER_MINUTE)
    else:
        m1 = -(-_instant(period_end, "period_end", timezone, day_end=True) // NS_PER_MINUTE)
    if m1 <= m0:
        raise BillingInputError("period_end: is not after period_start; accepted: a later date "
                                "(a date alone is the last day included)")
    first_day = np.datetime64(m0 * NS_PER_MINUTE // NS_PER_DAY, "D").astype(object)
    return Window(BillingCalendar(first_day, "UTC"), 0, 1, np.array([m0, m1], dtype=np.int64))


def _window_usage(user_ids: Cell, starts: Cell, ends: Cell, licenses: Cell, period_start: Cell,
                  period_end: Cell, timezone: Cell, *, rule: str = "cumulative",
                  min_minutes: int = 30) -> pd.DataFrame | None:
    """The usage engine's rows for one window (None when there are no sessions)."""
    tz = _timezone(timezone)
    sessions = _sessions(user_ids, starts, ends, licenses, SESSION_TIMEZONE)
    if sessions is None:
        return None
    window = _period_window(sessions, period_start, period_end, tz)
    check_peak_rule(rule, where="rule")
    first, last = touched_span(sessions.start_ns, sessions.end_ns)
    if not np.any((last >= window.bounds[0]) & (first < window.bounds[-1])):
        return None  # no session in the period (partial_usage needs at least one)
    return finalize_usage(partial_usage(sessions, window), window, peak_rule=rule,
                          min_minutes=min_minutes)


# --- results ---------------------------------------------------------------------------------

def _cell(value: object) -> object:
    """A Python value as an Excel cell: NaN/NaT/None blank, dates as datetimes, exact money as
    a number."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).to_pydatetime()
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _rows(frame: pd.DataFrame, columns: Sequence[str]) -> list[list]:
    """A header row and one row per frame row, ready to spill."""
    body = [[_cell(v) for v in row] for row in frame[list(columns)].itertuples(index=False)]
    return [list(columns)] + body


def _decimal_amount(value: object, name: str) -> Decimal:
    """A cell's number as Excel shows it: floats at 15 significant digits (Excel's precision),
    so 55 * 171.115 computed in a cell is 9411.325, not 9411.324999999999."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BillingInputError(f"{name}: {value!r} is not a finite number")
        return Decimal(f"{value:.15g}")
    return to_decimal(value.strip() if isinstance(value, str) else value, where=name)


def _map_column(values: Cell, func: Callable[[object], object]) -> Result:
    """Apply ``func`` to one value or to each cell of a range of one row or one column, in the
    same shape (a 1-D list spills as a column); blank cells stay blank."""
    if not isinstance(values, list | tuple | np.ndarray):
        return func(values)
    row = (len(values) == 1 and isinstance(values[0], list | tuple) and len(values[0]) > 1)
    cells = _column(values, "values")
    if len(cells) == 1:
        return None if _is_blank(cells[0]) else func(cells[0])
    out = [None if _is_blank(v) else func(v) for v in cells]
    return [out] if row else [[v] for v in out]


# === the Excel functions =====================================================================

# the session columns, the same three arguments of every session function
UserIds = Annotated[Cell, _help("Column of user ids, one session per row.")]
Starts = Annotated[Cell, _help("Column of session starts: dates and times in UTC (as the vendor "
                               "exports them) or text with an offset.")]
Ends = Annotated[Cell, _help("Column of session ends, same rows as starts (UTC).")]


@xw.func(category=CATEGORY)
@_excel_safe
def BM_CONCURRENT_PEAK(
    user_ids: UserIds,
    starts: Starts,
    ends: Ends,
    licenses: Annotated[Cell, _help("Optional: column of licenses (pc1, pc2, pc3, "
                                    "communicate, ...) or one for all. Default: all PureCloud "
                                    "1-3.")] = None,
    period_start: Annotated[Cell, _help("Optional: first instant of the period. Default: "
                                        "the first session start.")] = None,
    period_end: Annotated[Cell, _help("Optional: end of the period; a date alone is the last "
                                      "day included. Default: the last session end.")] = None,
    rule: Annotated[Cell, _help("Optional: cumulative (vendor's method, default) or "
                                "contiguous.")] = None,
    min_minutes: Annotated[Cell, _help("Optional: minutes a level must last to be billed "
                                       "(default 30).")] = None,
    timezone: Annotated[Cell, _help("Optional: IANA zone of period_start and period_end "
                                    "(default UTC). Session times are UTC.")] = None,
) -> Result:
    ("Billable concurrent peak of one org's sessions: the highest number of users logged in at"
     " once for 30 minutes (cumulative by default), PureCloud 1-3 users only.")
    frame = _window_usage(user_ids, starts, ends, licenses, period_start, period_end, timezone,
                          rule=_text(rule, "rule", "cumulative"),
                          min_minutes=_whole(min_minutes, "min_minutes", 30, minimum=1))
    if frame is None or frame.empty:
        return 0
    return int(frame["peak_concurrent"].iloc[0])


@xw.func(category=CATEGORY)
@_excel_safe
def BM_NAMED_USERS(
    user_ids: UserIds,
    starts: Starts,
    ends: Ends,
    licenses: Annotated[Cell, _help("Optional: column of licenses or one for all (only "
                                    "checked here: every license counts).")] = None,
    period_start: Annotated[Cell, _help("Optional: first instant of the period. Default: "
                                        "the first session start.")] = None,
    period_end: Annotated[Cell, _help("Optional: end of the period; a date alone is the last "
                                      "day included. Default: the last session end.")] = None,
    timezone: Annotated[Cell, _help("Optional: IANA zone of period_start and period_end "
                                    "(default UTC). Session times are UTC.")] = None,
) -> Result:
    """Billable named users: how many different users logged in during the period (all licenses)."""
    frame = _window_usage(user_ids, starts, ends, licenses, period_start, period_end, timezone)
    if frame is None or frame.empty:
        return 0
    return int(frame["named_users"].sum())


@xw.func(category=CATEGORY)
@_excel_safe
def BM_CONCURRENCY_PROFILE(
    user_ids: UserIds,
    starts: Starts,
    ends: Ends,
    period_start: Annotated[Cell, _help("Optional: first instant to show. Default: the first "
                                        "session start.")] = None,
    period_end: Annotated[Cell, _help("Optional: end of the chart; a date alone is the last "
                                      "day included. Default: the last session end.")] = None,
    step_minutes: Annotated[Cell, _help("Optional: minutes per row (default 1); each row "
                                        "shows the most users in any minute of it.")] = None,
    timezone: Annotated[Cell, _help("Optional: IANA zone of the period and of the times shown "
                                    "(default UTC). Session times are UTC.")] = None,
) -> Result:
    ("Users logged in over time, for a chart: spills a header and one row per step (time, "
     "users).")
    tz = _timezone(timezone)
    step = _whole(step_minutes, "step_minutes", 1, minimum=1)
    sessions = _sessions(user_ids, starts, ends, None, SESSION_TIMEZONE)
    if sessions is None:
        raise BillingInputError("sessions: no sessions found (every row is blank)")
    window = _period_window(sessions, period_start, period_end, tz)
    m0, m1 = (int(b) for b in window.bounds)
    if -(-(m1 - m0) // step) > MAX_SPILL_ROWS - 1:
        raise BillingInputError(f"step_minutes: {step} gives more rows than a sheet holds; "
                                "accepted: a larger step or a shorter period")
    profile = concurrency_profile(sessions, m0 * NS_PER_MINUTE, m1 * NS_PER_MINUTE,
                                  step_minutes=step)
    local = profile["time"].dt.tz_convert(tz).dt.tz_localize(None)
    return [["time", "users"]] + [[t, int(u)] for t, u in
                                  zip(local.dt.to_pydatetime(), profile["users"], strict=True)]


@xw.func(category=CATEGORY)
@_excel_safe
def BM_BILLING_PERIODS(
    order_date: Annotated[Cell, _help("The contract's order (effective) date: the first "
                                      "period starts that day.")],
    count: Annotated[Cell, _help("How many monthly periods to list.")],
    timezone: Annotated[Cell, _help("Optional: billing time zone (default America/New_York, "
                                    "the FAQ's EST).")] = None,
) -> Result:
    ("Monthly billing periods from an order date: spills a header and, per period, its first "
     "and last day. Day 29-31 orders clamp to short months.")
    periods = billing_periods(_order_date(order_date), _whole(count, "count", minimum=1),
                              _timezone(timezone, "America/New_York"))
    frame = periods.rename(columns={"first_day": "period_start"})
    return _rows(frame, ["period_start", "last_day"])


def _order_date(value: Cell, name: str = "order_date") -> dt.date:
    value = _scalar(value)
    if value is None:
        raise BillingInputError(f"{name}: is blank; accepted: a date")
    if isinstance(value, int | float) and not isinstance(value, bool):
        ns = _instant(value, name, "UTC")
        return pd.Timestamp(ns).date()
    return to_date(value, where=name)


@xw.func(category=CATEGORY)
@_excel_safe
def BM_INVOICE_SCHEDULE(
    order_date: Annotated[Cell, _help("The contract's order (effective) date.")],
    committed_users: Annotated[Cell, _help("Prepay (committed) users, invoiced in advance "
                                           "each period of the term.")],
    prepay_rate: Annotated[Cell, _help("Price per committed user per month.")],
    ramp_months: Annotated[Cell, _help("Months of ramp before the term (0 for none).")],
    term_months: Annotated[Cell, _help("Months of the subscription term.")],
    users: Annotated[Cell, _help("Column of billable users per period (named users or the "
                                 "concurrent peak), ramp and term periods.")],
    overage_rate: Annotated[Cell, _help("Optional: price per user above the commitment "
                                        "(default: the prepay rate).")] = None,
    currency_code: Annotated[Cell, _help("Optional: AUD, BRL, CAD, EUR, GBP, JPY, NZD or USD "
                                         "(default USD).")] = None,
    ramp_policy: Annotated[Cell, _help("Optional: actual-usage (FAQ, default) or "
                                       "no-software-charges.")] = None,
    telephony: Annotated[Cell, _help("Optional: column of telephony charges per period, in "
                                     "arrears.")] = None,
    payment_terms_days: Annotated[Cell, _help("Optional: days from invoice to due date "
                                              "(default 30).")] = None,
) -> Result:
    ("Invoice schedule of a contract: spills a header and one row per invoice line (dates, "
     "service period, quantity, rate, amount rounded half up). Prepay in advance; ramp, "
     "overage and telephony in arrears.")
    with _argument_names():
        schedule = schedule_from_values(
            _order_date(order_date),
            _whole(committed_users, "committed_users"),
            _decimal_amount(_scalar(prepay_rate), "prepay_rate"),
            _whole(ramp_months, "ramp_months"),
            _whole(term_months, "term_months"),
            _numbers(users, "users"),
            overage_rate=(None if _scalar(overage_rate) is None
                          else _decimal_amount(_scalar(overage_rate), "overage_rate")),
            currency=_text(currency_code, "currency_code", "USD"),
            ramp_policy=_text(ramp_policy, "ramp_policy", "actual-usage"),
            telephony=None if telephony is None else _numbers(telephony, "telephony", money=True),
            payment_terms_days=_whole(payment_terms_days, "payment_terms_days", 30))
    return _rows(schedule, INVOICE_COLUMNS)


@contextlib.contextmanager
def _argument_names():
    """Engine messages name scenario keys (``values: contract.ramp_policy``); in a cell the
    argument's name reads better (``ramp_policy``)."""
    try:
        yield
    except BillingInputError as exc:
        text = re.sub(r"^values: ", "", str(exc))
        raise BillingInputError(re.sub(r"\b(?:contract|usage)\.", "", text)) from None


def _numbers(values: Cell, name: str, *, money: bool = False) -> list:
    """A column of numbers, trailing blanks dropped (money as exact decimals)."""
    cells = _trim_trailing({name: _column(values, name)})[name]
    if not cells:
        raise BillingInputError(f"{name}: no values; accepted: one number per period")
    out = []
    for i, cell in enumerate(cells):  # a loop over billing periods
        where = f"{name}: row {i + 1}"
        if _is_blank(cell):
            raise BillingInputError(f"{where} is blank; accepted: one number per period")
        out.append(_decimal_amount(cell, where) if money else _number(cell, where))
    return out


@xw.func(category=CATEGORY)
@_excel_safe
def BM_STORAGE_FORECAST(
    calls_per_month: Annotated[Cell, _help("Recorded calls per month: one number, or a "
                                           "column with one value per period.")],
    avg_minutes: Annotated[Cell, _help("Average call length in minutes.")],
    retention_days: Annotated[Cell, _help("Days a recording is kept, the day of the call "
                                          "included.")],
    start_date: Annotated[Cell, _help("First day of the first billing period (the order "
                                      "date).")],
    months: Annotated[Cell, _help("Number of billing periods to forecast.")],
    audio_mb_per_minute: Annotated[Cell, _help("Optional: audio MB per recorded minute "
                                               "(default 0.48, 64 kbit/s).")] = None,
    screen_share: Annotated[Cell, _help("Optional: share of calls with a screen recording, "
                                        "0 to 1 (default 0).")] = None,
    screen_mb_per_minute: Annotated[Cell, _help("Optional: screen MB per minute (default "
                                                "3.75, 500 kbit/s).")] = None,
    screen_retention_days: Annotated[Cell, _help("Optional: days screen recordings are kept "
                                                 "(max 365; default: as the audio).")] = None,
    allowance_gb: Annotated[Cell, _help("Optional: storage allowance in GB (one number or "
                                        "one per period) to price the overage.")] = None,
) -> Result:
    ("Storage forecast per billing period: spills a header and per period the new GB, stored "
     "(billed) GB, allowance, overage GB and overage cost (USD 0.25/GB).")
    calls = _trim_trailing({"c": _column(calls_per_month, "calls_per_month")})["c"]
    table = {
        "calls_per_month": (calls[0] if len(calls) == 1 else tuple(calls)) if calls else None,
        "avg_minutes": _scalar(avg_minutes),
        "retention_days": _scalar(retention_days),
        "audio_mb_per_minute": _scalar(audio_mb_per_minute),
        "screen_share": _scalar(screen_share),
        "screen_mb_per_minute": _scalar(screen_mb_per_minute),
        "screen_retention_days": _scalar(screen_retention_days),
    }
    settings = StorageSettings.from_mapping(table, key_label=lambda key: key)
    allowance = None
    if allowance_gb is not None:
        values = _trim_trailing({"a": _column(allowance_gb, "allowance_gb")})["a"]
        numbers = [_number(v, "allowance_gb", accepted="GB >= 0") for v in values]
        allowance = None if not numbers else numbers[0] if len(numbers) == 1 else numbers
    forecast = storage_forecast(settings, _order_date(start_date, "start_date"),
                                _whole(months, "months", minimum=1), allowance_gb=allowance)
    return _rows(forecast, FORECAST_COLUMNS)


@xw.func(category=CATEGORY)
@_excel_safe
def BM_FAIR_USE(
    license: Annotated[Cell, _help("License: pc1, pc2, pc3, communicate, collaborate (or "
                                   "'PureCloud 2', 'CX 2').")],
    license_model: Annotated[Cell, _help("named or concurrent.")],
    feature: Annotated[Cell, _help("storage_gb, ivr_minutes or api_requests.")],
    users: Annotated[Cell, _help("Billable users of that license: a number or a column of "
                                 "numbers.")],
) -> Result:
    ("Fair-use allowance of a month for a number of billable users: storage GB, IVR minutes or"
     " API requests (e.g. 20 pc2 named users: 500 GB).")
    lic = _text(license, "license")
    model = _text(license_model, "license_model")
    feat = _text(feature, "feature").lower()

    def one(value: object) -> float:
        count = _number(value, "users", accepted="a number of users >= 0")
        return float(fair_use_allowance(lic, model, feat, count))

    if users is None:
        raise BillingInputError("users: is blank; accepted: a number of users >= 0")
    return _map_column(users, one)


@xw.func(category=CATEGORY)
@_excel_safe
def BM_ROUND_CURRENCY(
    amount: Annotated[Cell, _help("Amount to round: a number or a column of numbers.")],
    currency_code: Annotated[Cell, _help("AUD, BRL, CAD, EUR, GBP, JPY, NZD or USD.")],
) -> Result:
    ("Rounds an amount half up to the currency's minor unit (cents; whole yen for JPY), as "
     "invoices do: 2.675 USD gives 2.68.")
    code = _text(currency_code, "currency_code")

    def one(value: object) -> float:
        return float(round_money(_decimal_amount(value, "amount"), code))

    if amount is None:
        raise BillingInputError("amount: is blank; accepted: a number")
    return _map_column(amount, one)


#: every Excel function of this module, for tests and the sample sheet
EXCEL_FUNCTIONS: tuple[Callable, ...] = (
    BM_CONCURRENT_PEAK, BM_NAMED_USERS, BM_CONCURRENCY_PROFILE, BM_BILLING_PERIODS,
    BM_INVOICE_SCHEDULE, BM_STORAGE_FORECAST, BM_FAIR_USE, BM_ROUND_CURRENCY,
)
