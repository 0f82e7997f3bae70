"""Session data as columns of NumPy arrays: the :class:`Sessions` model, the client table, and
joining validated chunks.

A session is one login of one user: ``user_id``, ``start``, ``end`` (UTC instants), the ``org``
it belongs to, the ``license`` the user held, and the ``client`` (:data:`CLIENTS`: ``desktop``,
``web`` and ``mobile`` are billable, ``api`` and the other non-interface clients are not; any
other value is refused unless the caller says what it is — docs/rules.md#not-billable).

User ids are trimmed and compared without case and in Unicode NFC (the vendor's ids are GUIDs,
and e-mail addresses ignore case; an accent is one code point or two depending on the system
that wrote it); each is reported as first seen. Null markers (``NaN``, ``NULL``, ``None``,
``#N/A``, ``NA``, empty, real nulls) are refused like a blank id. A session of zero length is
kept: it is a login (the FAQ bills "anyone who logged in") in no concurrency slice.

:class:`Sessions` holds integer codes, never Python objects per row: user and org codes index
sorted name arrays, so code order is name order. Files and Arrow tables are parsed into chunks
by :mod:`billing_model.io.tables`; :func:`billing_model.io.combine.combine` joins chunks into
one :class:`Sessions`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .errors import BillingInputError, BillingWarning
from .limits import LIMITS
from .periods import MAX_DATE, MAX_PERIODS, MIN_DATE

REQUIRED = ("user_id", "start", "end")
OPTIONAL = ("org", "license", "client", "region")
#: The client a session came from, and whether it is billable. Source: the vendor's FAQ, "who
#: is billable": users who "log in to the desktop, web, or mobile user interfaces". The other
#: rows are the ways a login reaches the platform without a user interface, as analytics and
#: BI exports name them: each is an account of a program, not of a person at a screen.
#: Values are compared trimmed and without case; a blank client is a ``desktop`` login (the
#: safe estimate: billable). Any value in neither list is refused unless ``other_clients`` says
#: what it is (``--other-clients billable|not-billable``).
CLIENTS: dict[str, tuple[bool, str]] = {
    "desktop": (True, "the desktop user interface (FAQ)"),
    "web": (True, "the web user interface in a browser (FAQ)"),
    "mobile": (True, "the mobile user interface (FAQ)"),
    "api": (False, "a program calling the public API with a user's or client's credentials"),
    "integration": (False, "a CRM or other integration acting for the org"),
    "bot": (False, "a bot flow or virtual agent, no person logged in"),
    "service": (False, "a service account (OAuth client credentials)"),
    "system": (False, "the platform itself (scheduled jobs, automatic status changes)"),
    "sdk": (False, "a platform SDK used by a program"),
    "webhook": (False, "an event delivered to or from another system"),
}
BILLABLE_CLIENTS = frozenset(k for k, (billable, _) in CLIENTS.items() if billable)
NOT_BILLABLE_CLIENTS = frozenset(k for k, (billable, _) in CLIENTS.items() if not billable)
#: what ``other_clients`` (``--other-clients``) may say of clients in neither list
OTHER_CLIENTS = ("billable", "not-billable")
#: The ``systemPresence`` values of the vendor's user-details export, and whether each is logged
#: in. Source: the Platform API's documentation of ``POST /api/v2/analytics/users/details/query``
#: (docs/rules.md#session-data): ten values; a user is logged in in any but OFFLINE. Compared
#: trimmed and without case. Any other value (a typo, another tool's export, a missing key) is
#: refused unless ``other_presence`` says what it is (``--other-presence logged-in|offline``).
PRESENCES: dict[str, bool] = {
    "AVAILABLE": True,
    "AWAY": True,
    "BUSY": True,
    "OFFLINE": False,
    "IDLE": True,
    "ON_QUEUE": True,
    "MEAL": True,
    "TRAINING": True,
    "MEETING": True,
    "BREAK": True,
}
#: what ``other_presence`` (``--other-presence``) may say of values outside :data:`PRESENCES`
OTHER_PRESENCE = ("logged-in", "offline")
#: user ids that are a spreadsheet's or a library's way of writing "no value" (``NA``: R's
#: ``write.csv``)
NULL_IDS = frozenset({"nan", "null", "none", "#n/a", "n/a", "<na>", "nat", "na"})
DEFAULT_ORG = "default"
#: longest session taken: a login cannot last longer; a longer one is a typo in a year
#: (core/limits.py)
MAX_SESSION_DAYS: int = LIMITS["session_days"].whole("maximum")


@dataclass(frozen=True)
class OptionNames:
    """How the person who gave the session options writes them, for messages (issue #22): each
    message names what its reader typed, a flag on the command line (``--other-clients``), a key
    of a scenario table (``usage.other_clients``), a parameter in Python (``other_clients``).

    ``style`` is ``"parameter"``, ``"flag"`` or ``"key"``; ``table`` is the scenario table of
    the keys (``usage``, ``org[2]``); ``given``: the options this boundary takes (a scenario
    has no ``as_of``), ``None`` for all. Made at the boundary: :data:`PARAMETERS`,
    :data:`FLAGS`, :func:`billing_model.core.usage_schema.scenario_keys`.

    Examples
    --------
    >>> FLAGS.setting("other_clients", OTHER_CLIENTS)
    '--other-clients billable|not-billable'
    >>> OptionNames("key", "usage").setting("other_clients", OTHER_CLIENTS)
    "usage.other_clients = 'billable' or 'not-billable'"
    """

    style: Literal["parameter", "flag", "key"] = "parameter"
    table: str = ""
    given: frozenset[str] | None = None

    def name(self, option: str) -> str:
        """The option as its user writes it (``"--as-of"``, ``"usage.region"``, ``"as_of"``)."""
        if self.style == "flag":
            return "--" + option.replace("_", "-")
        if self.style == "key":
            return f"{self.table}.{option}"
        return option

    def takes(self, option: str) -> bool:
        """Whether this user can give ``option`` at all (a message offers only those)."""
        return self.given is None or option in self.given

    def setting(self, option: str, accepted: Sequence[str]) -> str:
        """The option set to one of ``accepted``, as its user would write it."""
        if self.style == "flag":
            return f"{self.name(option)} {'|'.join(accepted)}"
        return f"{self.name(option)} = {' or '.join(repr(a) for a in accepted)}"


#: the Python API's parameters (:func:`billing_model.io.sessions.read_sessions`)
PARAMETERS = OptionNames()
#: the command line's flags (``billing-model usage``, ``compare``)
FLAGS = OptionNames("flag")


@dataclass
class Sessions:
    """Sessions as arrays. ``user`` and ``org`` are codes into the sorted ``user_ids`` and
    ``org_names``; ``rank`` is the license rank (:mod:`billing_model.core.licenses`).

    Read from files (:func:`billing_model.io.combine.combine`), ``user`` and ``org`` are int32
    (half the memory of int64; more than 2**31 distinct ids are refused there): widen them
    before arithmetic that can pass 2**31 (``org * n_users + user``). Other makers may pass
    int64 codes.
    """

    user: np.ndarray  # int32 (or int64) codes into user_ids
    org: np.ndarray  # int32 (or int64) codes into org_names
    rank: np.ndarray  # int8 license rank
    start_ns: np.ndarray  # int64 UTC ns
    end_ns: np.ndarray  # int64 UTC ns
    billable: np.ndarray  # bool: client is desktop, web or mobile
    user_ids: np.ndarray  # sorted unique user ids (str, object array)
    org_names: np.ndarray  # sorted unique org names (str, object array)
    #: int32 codes into ``region_names`` (the data's ``region`` column), or ``None`` when the
    #: data names no region (docs/rules.md#orgs-and-regions)
    region: np.ndarray | None = None
    region_names: np.ndarray | None = None  # sorted unique region names (str, object array)

    def __len__(self) -> int:
        return len(self.start_ns)

    def span(self) -> tuple[int, int]:
        """The data's window: the earliest start and the latest end (UTC ns). Periods it covers
        at least half of are *measured* (docs/rules.md#coverage)."""
        return int(self.start_ns.min()), int(self.end_ns.max())

    def take(self, index: np.ndarray | slice) -> Sessions:
        """A subset of rows (names kept)."""
        return Sessions(
            self.user[index],
            self.org[index],
            self.rank[index],
            self.start_ns[index],
            self.end_ns[index],
            self.billable[index],
            self.user_ids,
            self.org_names,
            None if self.region is None else self.region[index],
            self.region_names,
        )


@dataclass(frozen=True)
class Chunk:
    """One validated table of sessions encoded as arrays
    (:func:`billing_model.io.tables.normalize_table`), which
    :func:`billing_model.io.combine.combine` joins into :class:`Sessions` and the Dask engine
    scans and shuffles. Text columns are dictionaries and an int32 code per row: ``*_dict``
    holds the distinct values as read (an Arrow string array; a NumPy object array from
    :func:`billing_model.io.sessions.iter_chunks`), ``*_idx`` the codes.
    """

    user_dict: Any
    user_idx: np.ndarray
    org_dict: Any
    org_idx: np.ndarray
    rank: np.ndarray  # int8 license rank per row
    start: np.ndarray  # int64 UTC ns
    end: np.ndarray  # int64 UTC ns
    billable: np.ndarray  # bool
    where: Callable[[int], str]  # names row i in messages
    #: the ``region`` column's values and codes; ``None``: the table has no region
    region_dict: Any = None
    region_idx: np.ndarray | None = None
    #: sessions clipped at ``as_of``: ``(count, as_of ns)``
    clipped: tuple[int, int] | None = None
    #: open records of a JSON export: ``(count, end ns, as_of given)``
    open: tuple[int, int, bool] | None = None
    #: rows of the earliest start and the latest end (found on the reading threads)
    lo: int | None = None
    hi: int | None = None
    #: user ids as compared (folded), and the first row of each value when folding changed one
    user_keys: Any = None
    user_first: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.start)


def _choice(value: str | None, accepted: tuple[str, ...], where: str) -> str | None:
    """``None``, or ``value`` (trimmed, without case) when it is one of ``accepted``."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if text not in accepted:
        raise BillingInputError(
            f"{where}: {value!r} is not accepted; accepted: {', '.join(accepted)}"
        )
    return text


def check_other_clients(value: str | None, option_names: OptionNames = PARAMETERS) -> str | None:
    """``None``, or one of :data:`OTHER_CLIENTS` (trimmed, without case)."""
    return _choice(value, OTHER_CLIENTS, option_names.name("other_clients"))


def check_other_presence(value: str | None, option_names: OptionNames = PARAMETERS) -> str | None:
    """``None``, or one of :data:`OTHER_PRESENCE` (trimmed, without case)."""
    return _choice(value, OTHER_PRESENCE, option_names.name("other_presence"))


def presence_error(
    source: str, values: list[str], first: str, option_names: OptionNames = PARAMETERS
) -> BillingInputError:
    """The one line refusing ``systemPresence`` values outside :data:`PRESENCES`: each value
    with its record count, and the first record holding one."""
    counts: dict[str, int] = {}
    for value in values:  # the odd records only
        shown = "missing" if value is None else repr(value)
        counts[shown] = counts.get(shown, 0) + 1
    listed = ", ".join(f"{v} ({n} record{'s' if n != 1 else ''})" for v, n in counts.items())
    return BillingInputError(
        f"{source}: {first}.systemPresence: unknown presence {listed}; accepted: "
        f"{', '.join(PRESENCES)} (each but OFFLINE logged in), or say what the others are with "
        + option_names.setting("other_presence", OTHER_PRESENCE)
    )


def classify_clients(
    values: np.ndarray,
    codes: np.ndarray,
    where: Callable[[int], str],
    other_clients: str | None,
    source: str = "sessions",
    option_names: OptionNames = PARAMETERS,
) -> np.ndarray:
    """Whether each distinct client value is billable (:data:`CLIENTS`); values in neither list
    follow ``other_clients``, or are refused in one line naming them, their row counts and the
    first row."""
    keys = [str(c).strip().lower() for c in values]  # distinct values only
    known = np.array([k in CLIENTS for k in keys], dtype=bool)
    billable = np.array(
        [CLIENTS[k][0] if k in CLIENTS else other_clients == "billable" for k in keys], dtype=bool
    )
    if known.all() or other_clients is not None:
        return billable
    counts = np.bincount(codes, minlength=len(values))
    unknown = np.flatnonzero(~known & (counts > 0))
    if not len(unknown):
        return billable
    first = int(np.flatnonzero(np.isin(codes, unknown))[0])
    listed = ", ".join(
        f"{values[j]!r} ({int(counts[j])} row{'s' if counts[j] != 1 else ''})" for j in unknown
    )
    raise BillingInputError(
        f"{where(first)}, column 'client': unknown client {listed}; accepted: "
        f"{', '.join(sorted(BILLABLE_CLIENTS))} (billable), "
        f"{', '.join(sorted(NOT_BILLABLE_CLIENTS))} (not billable), blank (desktop), or say what "
        "the others are with " + option_names.setting("other_clients", OTHER_CLIENTS)
    )


def no_billable_message(source: str) -> str:
    """The warning for input in which no session is billable (shared with the Dask engine)."""
    return (
        f"{source}: no billable session: every login is from a client other than "
        f"{', '.join(sorted(BILLABLE_CLIENTS))} (such as api), so no user is billed"
    )


def first_rows(codes: np.ndarray, n_values: int) -> np.ndarray:
    """The first row holding each of ``n_values`` dictionary codes (rows past the end if none)."""
    first = np.full(n_values, len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes), dtype=np.int64))
    return first


def span_of_chunks(chunks: list[Chunk]) -> tuple[int, str, int, str]:
    """The earliest start and the latest end of the chunks, each with the place of its row."""
    # a loop over chunks (batches); normalize_table found them already (lo, hi)
    lo = [c.lo if c.lo is not None else int(np.argmin(c.start)) for c in chunks]
    hi = [c.hi if c.hi is not None else int(np.argmax(c.end)) for c in chunks]
    a = min(range(len(chunks)), key=lambda j: chunks[j].start[lo[j]])
    b = max(range(len(chunks)), key=lambda j: chunks[j].end[hi[j]])
    return (
        int(chunks[a].start[lo[a]]),
        chunks[a].where(lo[a]),
        int(chunks[b].end[hi[b]]),
        chunks[b].where(hi[b]),
    )


def check_span(start_ns: int, start_where: str, end_ns: int, end_where: str) -> None:
    """Refuse data whose dates are out of the calendar's range or span more than
    :data:`~billing_model.core.periods.MAX_PERIODS` months (a wrong year in some row), naming the
    rows of the earliest start and the latest end."""
    first, last = (
        np.datetime64(t, "ns").astype("datetime64[D]").astype(object) for t in (start_ns, end_ns)
    )
    accepted = (
        f"accepted: at most {MAX_PERIODS} months of data, from {MIN_DATE} to {MAX_DATE} "
        "(check the year)"
    )
    if first < MIN_DATE or first > MAX_DATE:
        raise BillingInputError(
            f"{start_where}, column 'start': {first} is out of range; " + accepted
        )
    if last > MAX_DATE:
        raise BillingInputError(f"{end_where}, column 'end': {last} is out of range; " + accepted)
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if months > MAX_PERIODS:
        raise BillingInputError(
            f"sessions run from {first} ({start_where}, column 'start') to {last} ({end_where}, "
            f"column 'end'): {months} months; " + accepted
        )


def open_message(
    source: str, count: int, end_ns: int, as_of: bool, option_names: OptionNames = PARAMETERS
) -> str:
    """The warning for records of a JSON export without ``endTime`` (shared with Dask)."""
    end = np.datetime_as_string(np.datetime64(int(end_ns), "ns"), unit="s") + "Z"
    why = (
        option_names.name("as_of")
        if as_of
        else "the latest start or end in the export"
        + (f" (give {option_names.name('as_of')} to say)" if option_names.takes("as_of") else "")
    )
    return (
        f"{source}: {count} presence record(s) have no endTime (still logged in): each is "
        f"a login, taken to run until {end} ({why})"
    )


def instant_text(t_ns: int) -> str:
    """A UTC instant (ns) as ISO 8601 text, to the second unless it has a fraction."""
    unit: Literal["s", "ns"] = "s" if t_ns % 10**9 == 0 else "ns"
    return str(np.datetime_as_string(np.datetime64(int(t_ns), "ns"), unit=unit)) + "Z"


def clipped_message(
    source: str, count: int, as_of_ns: int, option_names: OptionNames = PARAMETERS
) -> str:
    """The warning for sessions ending after ``as_of`` (shared with Dask)."""
    at, as_of = instant_text(as_of_ns), option_names.name("as_of")
    return (
        f"{source}: {count} session(s) end after {as_of} {at}: each is counted until then "
        f"(the data's window ends at {as_of})"
    )


def warn_clipped(
    clipped: list[tuple[int, int] | None], source: str, option_names: OptionNames = PARAMETERS
) -> None:
    """One warning for the sessions clipped at ``as_of`` (each chunk's or part's
    ``clipped``)."""
    found = [c for c in clipped if c]
    if found:
        warnings.warn(
            clipped_message(source, sum(c[0] for c in found), found[0][1], option_names),
            BillingWarning,
            stacklevel=3,
        )


def warn_open(
    opened: list[tuple[int, int, bool] | None], source: str, option_names: OptionNames = PARAMETERS
) -> None:
    """One warning for the open records (each chunk's or part's ``open``, see
    :func:`open_message`)."""
    found = [o for o in opened if o]
    if found:
        warnings.warn(
            open_message(
                source,
                sum(o[0] for o in found),
                max(o[1] for o in found),
                found[0][2],
                option_names,
            ),
            BillingWarning,
            stacklevel=3,
        )
