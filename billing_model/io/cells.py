"""Excel cells to typed values: the adapter under the xlwings UDFs (``billing_model/udfs.py``).

Every ``BM_`` function hands its arguments here once; the engines get typed, validated values.

* **columns**: Excel hands a column as a 1-D list, as a 2-D list of one-element rows, or as a
  single value; trailing blank cells (``None``) are dropped, and rows blank in every column are
  skipped anywhere;
* **dates and times**: naive datetimes, Excel serial numbers (1900 date system) or ISO 8601 text.
  Serial numbers and datetimes become Arrow timestamps (rounded to the millisecond, so that
  Excel's floating-point times, 08:00 stored as 0.33333..., land on the exact minute); then the
  session reader's own parser (:func:`billing_model.io.instants.parse_instants`, through
  :func:`~billing_model.io.tables.normalize_table` for sessions) reads them and any text. Session
  starts and ends without an offset are UTC (the vendor's exports are UTC); period bounds are
  read in the zone of the ``timezone`` argument (UTC when there is none), the billing time zone.
  Text with an offset (``...Z``, ``+01:00``) keeps it;
* **numbers**: counts arrive as floats (``30.0``) and must be whole where a count is meant;
  money is read as Excel shows it (15 significant digits) into ``Decimal``;
* **errors**: bad input gives the cell a short text saying what is wrong (the engine's
  :class:`~billing_model.core.errors.BillingInputError` message), never an exception into Excel;
* **results**: frames become a header row and rows that spill, NaN as blank cells.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import math
import re
import warnings
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from billing_model.core.errors import BillingInputError
from billing_model.core.money import check_currency, to_decimal
from billing_model.core.periods import (
    MAX_DATE,
    NS_PER_DAY,
    get_timezone,
    to_date,
)
from billing_model.core.schema import CONTRACT_DEFAULTS
from billing_model.core.storage import StorageSettings
from billing_model.io.instants import parse_instants

#: no default: the value is required
_REQUIRED = object()
#: a date alone, in text (the session parser wants a time of day)
_DATE_ONLY = re.compile(r"^\d{4}-\d\d-\d\d$")
#: the largest number of rows a spill may have (Excel's sheet height minus a header row)
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
#: the first whole number Excel cannot hold exactly (it keeps 15 significant digits)
EXACT_WHOLE = 1e15

#: one Excel cell or range as xlwings hands it: a number, text, a date, blank (None) or a list
Cell = Any
#: what a BM_ function returns: a value, rows of values that spill, or an error text
Result = Any

logger = logging.getLogger(__name__)


def arg_help(text: str) -> dict:
    """Per-argument options for ``Annotated``: the Function Wizard's help text."""
    return {"doc": text}


def excel_safe(func: Callable) -> Callable:
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
            return _error_text(f"unexpected error in {func.__name__}: {type(exc).__name__}: {exc}")

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


def read_column(values: Cell, name: str) -> list:
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
            raise BillingInputError(
                f"{name}: a range {width} columns wide; accepted: one column (or one row) of cells"
            ) from None
    return list(values)


def trim_trailing(columns: dict[str, list]) -> dict[str, list]:
    """Pad the columns to one length, then drop the rows blank in all of them at the end."""
    n = max((len(col) for col in columns.values()), default=0)
    padded = {
        name: col if len(col) == n else col + [None] * (n - len(col))
        for name, col in columns.items()
    }
    while n and all(_is_blank(col[n - 1]) for col in padded.values()):
        n -= 1
    return {name: col if len(col) == n else col[:n] for name, col in padded.items()}


def scalar(value: Cell, name: str | None = None) -> Cell:
    """A single cell's value (a 1x1 range may arrive as ``[[x]]`` or ``[x]``); a larger range
    is refused naming the argument ``name``."""
    while isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]
    if isinstance(value, list | tuple):
        where = f"{name}: " if name else ""
        raise BillingInputError(
            f"{where}a range of {len(value)} cells; accepted: one cell (expected one value)"
        )
    return None if _is_blank(value) else value


def read_text(value: Cell, name: str, default: str | None = None) -> str:
    value = scalar(value, name)
    if value is None:
        if default is None:
            raise BillingInputError(f"{name}: is blank; a value is required")
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_number(
    value: Cell, name: str, default: float | None = None, accepted: str = "a number"
) -> float:
    value = scalar(value, name)
    if value is None:
        if default is None:
            raise BillingInputError(f"{name}: is blank; accepted: {accepted}")
        return default
    if isinstance(value, bool):
        raise BillingInputError(f"{name}: {value!r} is not a number; accepted: {accepted}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BillingInputError(
            f"{name}: {value!r} is not a number; accepted: {accepted}"
        ) from None
    if not math.isfinite(number):
        raise BillingInputError(f"{name}: {value!r} is not a finite number; accepted: {accepted}")
    return number


def read_whole(value: Cell, name: str, default: int | None = None, minimum: int = 0) -> int:
    """A count: Excel hands 30 as 30.0."""
    accepted = f"a whole number >= {minimum}"
    number = read_number(value, name, None if default is None else float(default), accepted)
    if not number.is_integer() or number < minimum:
        raise BillingInputError(f"{name}: {_show(value)} is not accepted; accepted: {accepted}")
    if number >= EXACT_WHOLE:  # int(1e308) is 309 digits nobody typed: refused as typed
        raise BillingInputError(
            f"{name}: {_show(value)} is not accepted; accepted: {accepted}"
            " of at most 15 digits (as Excel keeps them)"
        )
    return int(number)


def _show(value: Cell) -> str:
    value = scalar(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e20:
        return str(int(value))  # 30.0 as 30; 1e308 stays 1e+308, not its 309 digits
    return repr(value)


def read_timezone(value: Cell, default: str = "UTC") -> str:
    name = read_text(value, "timezone", default)
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
        return pa.array(
            ns,
            type=pa.timestamp("ns", tz="UTC" if aware else None),
            mask=mask if mask.any() else None,
        ), aware
    return _mixed_column(values, name), False


def _serial_column(values: list, name: str) -> pa.Array:
    serial = np.array(values, dtype=float)  # None -> nan
    mask = np.isnan(serial)
    bad = ~mask & ((serial < SERIAL_RANGE[0]) | (serial >= SERIAL_RANGE[1]))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise BillingInputError(
            f"{name}: row {i + 1}: {_show(values[i])} is not a date and time (an Excel error "
            "value such as #N/A?); accepted: Excel dates and times, or ISO 8601 text"
        )
    late = ~mask & (serial >= _LATEST_SERIAL)
    if late.any():  # past the nanosecond timestamps' year 2262 they wrapped: 9999 said 1816
        i = int(np.flatnonzero(late)[0])
        day = dt.date(1970, 1, 1) + dt.timedelta(days=math.floor(serial[i]) - EXCEL_EPOCH_SERIAL)
        raise BillingInputError(
            f"{name}: row {i + 1}: {day.isoformat()} is out of range; "
            f"accepted: dates up to {MAX_DATE.isoformat()} (check the year)"
        )
    ns = _serials_to_ns(np.where(mask, EXCEL_EPOCH_SERIAL, serial))
    return pa.array(ns, type=pa.timestamp("ns"), mask=mask if mask.any() else None)


#: the serial of the day after the latest date accepted (MAX_DATE)
_LATEST_SERIAL = float((MAX_DATE - dt.date(1970, 1, 1)).days + 1 + EXCEL_EPOCH_SERIAL)


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


def read_instant(value: Cell, name: str, timezone: str, *, day_end: bool = False) -> int:
    """One date or time as UTC nanoseconds, read by the session parser in ``timezone`` (when
    it has no offset); with ``day_end`` a date without a time of day is the last day included:
    the instant is the next midnight."""
    value = scalar(value, name)
    accepted = "accepted: an Excel date (and time) or ISO 8601 text such as 2026-03-01"
    if isinstance(value, str) and _DATE_ONLY.match(value.strip()):
        value = to_date(value.strip(), where=name)
    if value is None or isinstance(value, bool):
        raise BillingInputError(f"{name}: {value!r} is not a date; {accepted}")
    if isinstance(value, int | float):
        if not SERIAL_RANGE[0] <= value < SERIAL_RANGE[1]:
            raise BillingInputError(f"{name}: {_show(value)} is not a date; {accepted}")
        try:
            arr = _serial_column([float(value)], name)
        except BillingInputError as exc:  # one value: no row to name
            raise BillingInputError(str(exc).replace(f"{name}: row 1: ", f"{name}: ")) from None
    elif isinstance(value, dt.datetime | pd.Timestamp | np.datetime64):
        arr, _ = _instant_column([pd.Timestamp(value).to_pydatetime()], name)
    elif isinstance(value, dt.date):
        arr = pa.array([value], type=pa.date32())
    else:
        arr = pa.array([str(value).strip()], type=pa.string())
    if day_end and not pa.types.is_string(arr.type):
        # a date, or a date and time at midnight (what a cell holding a date gives): the day
        # is included, so the bound is the next midnight
        stamp = arr.cast(pa.timestamp("ns")) if pa.types.is_date(arr.type) else arr
        if stamp.type.tz is None and stamp.cast(pa.int64())[0].as_py() % NS_PER_DAY == 0:
            arr = pc.add(stamp, pa.scalar(NS_PER_DAY, pa.duration("ns")))
    try:
        return int(parse_instants(arr, name, lambda _: name, timezone)[0])
    except BillingInputError as exc:  # "period_end, column 'period_end': ..." -> "period_end: ..."
        message = str(exc).replace(f"{name}, column {name!r}", name)
        if "is not an ISO 8601 timestamp" in message:
            message = f"{name}: {value!r} is not a date; {accepted}"
        raise BillingInputError(message) from None


def read_money(value: Cell, name: str, default: Any = _REQUIRED) -> Decimal:
    """A cell's number as Excel shows it: floats at 15 significant digits (Excel's precision),
    so 55 * 171.115 computed in a cell is 9411.325, not 9411.324999999999. A blank cell is
    ``default`` when one is given."""
    value = scalar(value, name)
    if value is None and default is not _REQUIRED:
        return default
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BillingInputError(f"{name}: {value!r} is not a finite number")
        return Decimal(f"{value:.15g}")
    return to_decimal(value.strip() if isinstance(value, str) else value, where=name)


def amount(value: Cell) -> Decimal:
    """An amount of money to round (BM_ROUND_CURRENCY)."""
    if scalar(value) is None:
        raise BillingInputError("amount: is blank; accepted: a number")
    return read_money(value, "amount")


def users_count(value: Cell) -> float:
    """A number of billable users (BM_FAIR_USE): below 10^15, as Excel holds a count exactly
    (1E+308 users gave an allowance of inf, which a cell cannot show)."""
    accepted = "a number of users >= 0 of at most 15 digits (as Excel keeps them)"
    number = read_number(value, "users", accepted=accepted)
    if abs(number) >= EXACT_WHOLE:
        raise BillingInputError(f"users: {_show(value)} is not accepted; accepted: {accepted}")
    return number


def map_column(
    values: Cell, func: Callable[[Any], object], reader: Callable[[Cell], Any]
) -> Result:
    """Apply ``func`` to each cell read by ``reader``: one value, or a range of one row or one
    column, in the same shape (a 1-D list spills as a column); blank cells stay blank."""
    if not isinstance(values, list | tuple | np.ndarray):
        return func(reader(values))
    row = len(values) == 1 and isinstance(values[0], list | tuple) and len(values[0]) > 1
    cells = read_column(values, "values")
    if len(cells) == 1:
        return None if _is_blank(cells[0]) else func(reader(cells[0]))
    out = [None if _is_blank(v) else func(reader(v)) for v in cells]
    return [out] if row else [[v] for v in out]


def read_date(value: Cell, name: str = "order_date") -> dt.date:
    value = scalar(value, name)
    if value is None:
        raise BillingInputError(f"{name}: is blank; accepted: a date")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not SERIAL_RANGE[0] <= value < SERIAL_RANGE[1]:
            raise BillingInputError(
                f"{name}: {_show(value)} is not a date; accepted: an Excel date or text YYYY-MM-DD"
            )
        # whole days from the serial, no nanosecond timestamp: 9999-12-31 (2958465) is past
        # the timestamps' year 2262 and wrapped around to 1816
        day = dt.date(1970, 1, 1) + dt.timedelta(days=math.floor(value) - EXCEL_EPOCH_SERIAL)
        return to_date(day, where=name)
    return to_date(value, where=name)


@contextlib.contextmanager
def argument_names(renamed: dict[str, str] | None = None):
    """Engine messages name scenario keys (``values: contract.ramp_policy``); in a cell the
    argument's name reads better (``ramp_policy``). ``renamed``: a key the argument fills
    under another name (an hourly line's ``hours`` come from the ``users`` column)."""
    try:
        yield
    except BillingInputError as exc:
        text = re.sub(r"^values: ", "", str(exc))
        text = re.sub(r"\b(?:contract|usage|storage)\.", "", text)
        for key, argument in (renamed or {}).items():
            text = re.sub(rf"^{key}\b", argument, text)
        # a column's value by the row a user sees (users[1] is row 2), as read_numbers says
        text = re.sub(r"^(\w+)\[(\d+)\]:", lambda m: f"{m[1]}: row {int(m[2]) + 1}:", text)
        raise BillingInputError(text) from None


@overload
def read_numbers(
    values: Cell, name: str, *, money: Literal[False] = False, optional: Literal[False] = False
) -> list[float]: ...
@overload
def read_numbers(
    values: Cell, name: str, *, money: Literal[True], optional: Literal[False] = False
) -> list[Decimal]: ...
@overload
def read_numbers(
    values: Cell, name: str, *, money: bool = False, optional: bool
) -> list[Decimal] | list[float] | None: ...
def read_numbers(
    values: Cell, name: str, *, money: bool = False, optional: bool = False
) -> list[Decimal] | list[float] | None:
    """A column of numbers, trailing blanks dropped (money as exact decimals); None for an
    ``optional`` argument left out."""
    if optional and values is None:
        return None
    cells = trim_trailing({name: read_column(values, name)})[name]
    if not cells:
        raise BillingInputError(f"{name}: no values; accepted: one number per period")
    out: list[Any] = []  # Decimals (money) or floats
    for i, cell in enumerate(cells):  # a loop over billing periods
        where = f"{name}: row {i + 1}"
        if _is_blank(cell):
            raise BillingInputError(f"{where} is blank; accepted: one number per period")
        out.append(read_money(cell, where) if money else read_number(cell, where))
    return out


def storage_settings(
    calls_per_month: Cell,
    avg_minutes: Cell,
    retention_days: Cell,
    audio_mb_per_minute: Cell = None,
    screen_share: Cell = None,
    screen_mb_per_minute: Cell = None,
    screen_retention_days: Cell = None,
    overage_rate: Cell = None,
) -> StorageSettings:
    """The storage settings from cells, validated as the scenario file's ``[storage]`` table
    (errors name the argument); blank cells take the documented defaults."""
    calls = trim_trailing({"c": read_column(calls_per_month, "calls_per_month")})["c"]
    table = {
        "calls_per_month": (calls[0] if len(calls) == 1 else tuple(calls)) if calls else None,
        "avg_minutes": scalar(avg_minutes, "avg_minutes"),
        "retention_days": scalar(retention_days, "retention_days"),
        "audio_mb_per_minute": scalar(audio_mb_per_minute, "audio_mb_per_minute"),
        "screen_share": scalar(screen_share, "screen_share"),
        "screen_mb_per_minute": scalar(screen_mb_per_minute, "screen_mb_per_minute"),
        "screen_retention_days": scalar(screen_retention_days, "screen_retention_days"),
    }
    rate = scalar(overage_rate, "overage_rate")
    if rate is not None:
        table["overage_rate"] = read_money(rate, "overage_rate")
    return StorageSettings.from_mapping(table, key_label=lambda key: key)


def read_allowance(allowance_gb: Cell) -> float | list[float] | None:
    """A storage allowance in GB: one number, one per period, or None (blank)."""
    if allowance_gb is None:
        return None
    values = trim_trailing({"a": read_column(allowance_gb, "allowance_gb")})["a"]
    numbers = [read_number(v, "allowance_gb", accepted="GB >= 0") for v in values]
    return None if not numbers else numbers[0] if len(numbers) == 1 else numbers


def read_currency(
    value: Cell, name: str = "currency_code", default: str = CONTRACT_DEFAULTS["currency"]
) -> str:
    """An ISO currency code (upper case), checked here so that the message names the argument."""
    return check_currency(read_text(value, name, default), where=name)
