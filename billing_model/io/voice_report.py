"""The vendor's voice usage report (CSV, one call a line) and the scenario's ``[telephony]`` table.

The report is the Genesys Cloud Voice usage report the vendor's Billing & Usage page downloads
(source: "Download your usage reports", docs/rules.md#voice-usage-report). Columns are matched as
the vendor writes them, without regard to case, spaces or their order; columns other than these
are ignored:

==============================  ========  ==========================================================
column                          required  read as
==============================  ========  ==========================================================
``Start time``                  yes       ISO 8601 instant; with an offset or ``Z``, else UTC (the
                                          vendor writes UTC): ``2026-03-01T07:00:00Z``,
                                          ``2026-03-01 07:00:00``, ``2026-03-01T07:00:00.000+00:00``
``Duration (Seconds)``          yes       whole seconds >= 0 (``34``, ``34.0``), at most 31 days
``Usage Rate Per Minute``       yes       a plain decimal >= 0 (``0.0119``), or blank
``Total cost``                  yes       a plain decimal >= 0 (``0.0071``), or blank: then rate x
                                          the adjusted minutes
``Currency``                    yes       the contract's ISO code (``USD``)
``Adjusted Duration (seconds)`` no        where a cost is computed, it must equal the duration
                                          rounded up to 6 seconds
==============================  ========  ==========================================================

``End Time`` and the other columns are not read. Decimals have at most 9 digits before and 9
after the point (no thousands separators, currency signs or exponents). The file is read in
Arrow batches, every column as text: memory grows with the calls, not with their text. A bad
value stops the read with one line naming the file, the line, the column and what is accepted.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "calls.csv").write_text(
...     "Start time,End Time,Duration (Seconds),Usage Rate Per Minute,Total cost,Currency\\n"
...     "2026-03-01T07:00:00Z,2026-03-01T07:00:34Z,34,0.0119,,USD\\n")
>>> calls = read_voice_report(folder / "calls.csv", currency="USD")
>>> len(calls), calls.duration_s.tolist()
(1, [34])
"""

from __future__ import annotations

import csv
import os
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..core import validate
from ..core.contract import Contract, Org
from ..core.errors import BillingInputError, BillingWarning
from ..core.limits import LIMITS
from ..core.money import CURRENCIES
from ..core.voice import (
    INCREMENT_SECONDS,
    VoiceCalls,
    adjusted_seconds,
    voice_cycle_starts_ns,
)
from .csv_text import MAX_HEADER_CHARS, delimiter_of, raise_not_utf8, text_batches
from .instants import parse_instants
from .scenario_checks import need_engines

if TYPE_CHECKING:
    from .scenario_checks import Checker, Engines

#: the report's columns the model reads, as the vendor writes them
START, END, DURATION, ADJUSTED, RATE, COST, CURRENCY = (
    "Start time",
    "End Time",
    "Duration (Seconds)",
    "Adjusted Duration (seconds)",
    "Usage Rate Per Minute",
    "Total cost",
    "Currency",
)
REQUIRED: tuple[str, ...] = (START, DURATION, RATE, COST, CURRENCY)
OPTIONAL: tuple[str, ...] = (ADJUSTED,)
#: decimals kept of costs and rates (units of 10**-9), and most digits before the point
SCALE = 9
MAX_INTEGER_DIGITS = 9
#: longest call read (a longer one is a typo or a unit other than seconds)
MAX_CALL_SECONDS = 31 * 86_400
#: keys of the scenario's ``[telephony]`` table
TELEPHONY_KEYS: tuple[str, ...] = ("voice_report",)
_DECIMAL = r"^(?P<i>\d+)(?:\.(?P<f>\d*))?$"
_WHOLE = re.compile(r"\d+(?:\.0*)?")
_INT64_MAX = np.iinfo(np.int64).max


def _key(name: str) -> str:
    """A column name as matched: lower case, runs of spaces as one, trimmed."""
    return " ".join(name.split()).lower()


def read_voice_report(path: str | Path, *, currency: str | None = None) -> VoiceCalls:
    """Read the vendor's voice usage report (CSV, one call a line).

    Parameters
    ----------
    path : str or Path
        The CSV file (columns: the module's table; docs/invoices.md).
    currency : str, optional
        The contract's currency: a call in another one is refused, naming both. Without it,
        every call must be in the first call's currency.

    Returns
    -------
    VoiceCalls
        Start, duration, cost and rate of every call (costs and rates exact, in units of
        ``10**-9``); no calls for a report of a header only.

    Raises
    ------
    BillingInputError
        One line naming the file, the line, the column and what is accepted.
    """
    path = Path(path)
    if not path.is_file():  # a folder or a named pipe is no report (a pipe would block)
        what = "not a regular file" if path.exists() else "no such file"
        raise BillingInputError(f"{path}: {what}; accepted: the vendor's voice usage report (CSV)")
    parts: list[dict[str, np.ndarray]] = []
    offset = 0
    expected = None if currency is None else currency.strip().upper()
    for batch in _batches(path):
        part = _parse(batch, path, offset, expected)
        expected = part.pop("currency_seen", None) or expected
        parts.append(part)
        offset += batch.num_rows
    columns = {
        key: (
            np.concatenate([p[key] for p in parts])
            if parts
            else np.zeros(0, dtype=bool if key == "has_cost" else np.int64)
        )
        for key in ("start_ns", "duration_s", "cost_units", "has_cost", "rate_units")
    }
    return VoiceCalls(
        **columns, cost_scale=SCALE, rate_scale=SCALE, currency=expected or "USD", source=path.name
    )


def _batches(path: Path) -> Iterator[pa.RecordBatch]:
    """The report's record batches, every column as text; the header's names checked."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            first = fh.readline(MAX_HEADER_CHARS + 1)
            more = fh.read(1) != ""
    except UnicodeDecodeError:
        raise_not_utf8(path)
    accepted = f"a header naming the columns {', '.join(REQUIRED)}"
    if len(first) > MAX_HEADER_CHARS:
        raise BillingInputError(
            f"{path}: line 1 (the header) is longer than "
            f"{MAX_HEADER_CHARS:,} characters; accepted: {accepted}"
        )
    delimiter = delimiter_of(first)
    try:
        header = next(csv.reader([first], delimiter=delimiter), None)
    except csv.Error as exc:
        raise BillingInputError(
            f"{path}: line 1 (the header) is not readable as CSV ({exc}); accepted: {accepted}"
        ) from None
    if not header:
        raise BillingInputError(
            f"{path}: the file is empty; accepted: the vendor's voice usage report, {accepted}"
        )
    keys: dict[str, str] = {}
    for name in header:  # a loop over columns
        if _key(name) in keys:
            raise BillingInputError(
                f"{path}: column {name!r} appears twice (names are read "
                "without case and spaces); accepted: each column once"
            )
        keys[_key(name)] = name
    missing = [c for c in REQUIRED if _key(c) not in keys]
    if missing:
        found = ", ".join(repr(h) for h in header[:12]) + (", ..." if len(header) > 12 else "")
        raise BillingInputError(
            f"{path}: missing column {', '.join(repr(m) for m in missing)}"
            f"; required: {', '.join(REQUIRED)}; optional: "
            f"{', '.join(OPTIONAL)} (found: {found})"
        )
    if not more:  # a header only: no calls
        return
    yield from text_batches(path, header, delimiter)


def _parse(batch: pa.RecordBatch, path: Path, offset: int, currency: str | None) -> dict[str, Any]:
    """One batch's calls as arrays; every bad value refused naming its line and column."""
    names = {_key(n): n for n in batch.schema.names}

    def where(i: int) -> str:
        return f"{path}: line {offset + i + 2}"

    def column(name: str) -> pa.Array:
        return pc.utf8_trim_whitespace(batch.column(names[_key(name)]))

    def refuse(mask: np.ndarray, name: str, accepted: str) -> None:
        if mask.any():
            i = int(np.flatnonzero(mask)[0])
            value = batch.column(names[_key(name)])[i].as_py()
            shown = "is blank" if not value.strip() else f"{value!r} is not accepted"
            raise BillingInputError(f"{where(i)}, column {name!r}: {shown}; accepted: {accepted}")

    start = parse_instants(column(START), START, where, "UTC")
    text = column(DURATION)
    whole = pc.match_substring_regex(text, "^" + _WHOLE.pattern + "$").to_numpy(
        zero_copy_only=False
    )
    refuse(~whole, DURATION, "whole seconds >= 0, e.g. 34")
    digits = pc.extract_regex(text, r"^(?P<s>\d+)").field("s")
    refuse(
        pc.utf8_length(digits).to_numpy(zero_copy_only=False) > 8,
        DURATION,
        f"at most {MAX_CALL_SECONDS:,} seconds (31 days)",
    )
    duration = digits.cast(pa.int64()).to_numpy(zero_copy_only=False)
    refuse(duration > MAX_CALL_SECONDS, DURATION, f"at most {MAX_CALL_SECONDS:,} seconds (31 days)")
    cost, has_cost = _decimal(column(COST), COST, refuse)
    rate, has_rate = _decimal(column(RATE), RATE, refuse)
    refuse(
        ~has_cost & ~has_rate,
        COST,
        f"a cost, or a rate in {RATE!r} to compute it from (neither is given)",
    )
    increments = adjusted_seconds(duration) // INCREMENT_SECONDS
    computed = ~has_cost
    refuse(
        computed & (rate > _INT64_MAX // np.maximum(increments, 1)),
        RATE,
        "a rate whose product with the call's adjusted duration can be billed exactly "
        "(check the rate's digits)",
    )
    if _key(ADJUSTED) in names:
        _check_adjusted(column(ADJUSTED), duration, computed, refuse)
    codes = pc.utf8_upper(column(CURRENCY))
    want = currency
    if want is None:  # no contract: every call in the first call's currency
        want = codes[0].as_py()
        if want not in CURRENCIES:
            refuse(np.arange(len(codes)) == 0, CURRENCY, ", ".join(CURRENCIES))
    other = pc.not_equal(codes, pa.scalar(want)).to_numpy(zero_copy_only=False)
    if other.any():
        i = int(np.flatnonzero(other)[0])
        got = repr(codes[i].as_py()) if codes[i].as_py() else "blank"
        whose = "the contract's currency" if currency else "the report's first currency"
        raise BillingInputError(
            f"{where(i)}, column {CURRENCY!r}: {got} is not {whose} "
            f"{want}; accepted: calls billed in {want} (one currency per "
            "report)"
        )
    return {
        "start_ns": start,
        "duration_s": duration,
        "cost_units": cost,
        "has_cost": has_cost,
        "rate_units": rate,
        "currency_seen": want,
    }


def _decimal(text: pa.Array, name: str, refuse) -> tuple[np.ndarray, np.ndarray]:
    """Plain decimals as int64 units of 10**-SCALE, and whether each is given (not blank)."""
    given = pc.not_equal(pc.utf8_length(text), 0).to_numpy(zero_copy_only=False)
    parts = pc.extract_regex(text, _DECIMAL)
    ok = parts.is_valid().to_numpy(zero_copy_only=False)
    accepted = (
        f"a plain decimal >= 0 with at most {MAX_INTEGER_DIGITS} digits before and "
        f"{SCALE} after the point, e.g. 0.0119, or blank"
    )
    refuse(given & ~ok, name, accepted)
    whole, frac = parts.field("i"), parts.field("f")
    too_long = (pc.utf8_length(whole).to_numpy(zero_copy_only=False) > MAX_INTEGER_DIGITS) | (
        pc.utf8_length(frac).to_numpy(zero_copy_only=False) > SCALE
    )
    refuse(given & too_long, name, accepted)
    digits = pc.binary_join_element_wise(
        pc.fill_null(whole, "0"), pc.utf8_rpad(pc.fill_null(frac, ""), SCALE, "0"), ""
    )
    digits = pc.if_else(pa.array(given & ok), digits, "0")
    return digits.cast(pa.int64()).to_numpy(zero_copy_only=False), given


def _check_adjusted(text: pa.Array, duration: np.ndarray, computed: np.ndarray, refuse) -> None:
    """Where a cost is computed, the report's adjusted duration (if written) must be the
    duration rounded up to 6 seconds: else the file and the rule disagree, said in one line."""
    given = pc.not_equal(pc.utf8_length(text), 0).to_numpy(zero_copy_only=False)
    ok = pc.match_substring_regex(text, "^" + _WHOLE.pattern + "$").to_numpy(zero_copy_only=False)
    refuse(computed & given & ~ok, ADJUSTED, "whole seconds >= 0, or blank")
    parts = pc.extract_regex(text, r"^(?P<s>\d{1,12})")
    digits = pc.if_else(parts.is_valid(), parts.field("s"), "0")
    values = digits.cast(pa.int64()).to_numpy(zero_copy_only=False)
    bad = computed & given & (values != adjusted_seconds(duration))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        refuse(
            bad & (np.arange(len(bad)) == i),
            ADJUSTED,
            f"the duration {int(duration[i])} s rounded up to 6 seconds "
            f"({int(adjusted_seconds(duration[i : i + 1])[0])}), the cost being computed "
            "from the rate (no Total cost)",
        )


# --- the scenario's [telephony] table ----------------------------------------------------------


def voice_report_orgs(
    c: Checker,
    contract: Contract,
    data: Mapping[str, Any],
    orgs: list[Org],
    base: Path,
    cache: dict,
    engines: Engines | None = None,
) -> list[Org]:
    """``[telephony] voice_report = "calls.csv"``: the first org of ``[usage]`` gets the
    report's telephony per voice cycle (its ``given`` series up to the periods limit, for the
    workbook's grid), priced by ``engines.telephony`` (the caller's voice engine); ``orgs``
    unchanged without the table. A ``telephony`` list in ``[usage]`` as well is refused; calls
    outside the billed cycles are named in one warning."""
    if "telephony" not in data:
        return orgs
    t = c.table(data["telephony"], "telephony")
    c.known(t, TELEPHONY_KEYS, "telephony")
    raw = c.required(
        t,
        "voice_report",
        "telephony",
        "the path of the vendor's voice usage report (CSV), e.g. 'calls.csv'",
    )
    where = "telephony.voice_report"
    if not isinstance(raw, str) or not raw.strip() or "\0" in raw:  # no path holds a NUL
        c.fail(
            where,
            f"{validate.shown(raw)} is not accepted; accepted: the path of the "
            "vendor's voice usage report (CSV) as text, relative to the scenario file",
        )
    if isinstance(data.get("usage"), Mapping) and "telephony" in data["usage"]:
        c.fail(
            "usage.telephony",
            "given together with [telephony] voice_report; accepted: "
            "either telephony charges per period in [usage] or a voice report",
        )
    path = Path(raw.strip())
    path = path if path.is_absolute() else base / path
    reads = cache.setdefault("voice_reports", {})
    # realpath, not Path.resolve(): a symlink loop is left to the read to refuse in one line
    key = (os.path.realpath(path), contract.currency)
    if key not in reads:
        try:
            reads[key] = read_voice_report(path, currency=contract.currency)
        except BillingInputError as exc:
            c.fail(where, str(exc))
    calls = reads[key]
    n = contract.periods
    price = need_engines(engines, where).telephony
    billed = price(calls, contract.order_date, n)
    grid = LIMITS["periods"].whole("maximum")
    shown = price(calls, contract.order_date, max(n, grid)).charges
    warned = cache.setdefault("warned", set())
    if (key, contract.order_date, n) not in warned:  # once per file and billed cycles
        warned.add((key, contract.order_date, n))
        _warn_outside(c.label, where, path.name, calls, billed, contract)
    first = orgs[0]
    orgs = list(orgs)
    orgs[0] = replace(
        first,
        telephony=billed.charges,
        given={**first.given, "telephony": shown},
        telephony_reported=True,
    )
    return orgs


def _warn_outside(
    label: str, where: str, name: str, calls: VoiceCalls, billed, contract: Contract
) -> None:
    """One warning for a report without calls, or naming how many calls lie outside the
    contract's voice cycles and when (they are not billed): never dropped silently."""
    n = contract.periods
    bounds = voice_cycle_starts_ns(contract.order_date, [0, n])
    span = " to ".join(_instant(b) for b in bounds)
    if not len(calls):
        warnings.warn(
            f"{label}: {where}: {name} holds no calls; telephony is 0 in every period",
            BillingWarning,
            stacklevel=3,
        )
        return
    outside = billed.before + billed.after
    if not outside:
        return
    low, high = billed.outside_ns
    warnings.warn(
        f"{label}: {where}: {name} holds {outside:,} call(s) outside the contract's "
        f"{n} voice cycles ({span}): {billed.before:,} before, {billed.after:,} "
        f"after, their starts running from {_instant(low)} to {_instant(high)}; they "
        "are not billed",
        BillingWarning,
        stacklevel=3,
    )


def _instant(ns: int) -> str:
    return np.datetime_as_string(np.datetime64(int(ns), "ns"), unit="s").replace("T", " ") + " UTC"
