"""The vendor's user-details JSON export (``userDetails`` with ``primaryPresence``) read into
logged-in intervals, and ``--as-of`` (the end of records still open) parsed once (split
from :mod:`billing_model.io.sessions`, which reads every session file through it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from ..core import validate
from ..core.errors import BillingInputError
from ..core.sessions import (
    PARAMETERS,
    PRESENCES,
    OptionNames,
    check_other_presence,
    presence_error,
)
from .arrow import one_line
from .instants import parse_instants


def parse_as_of(value: int | str | None, option_names: OptionNames = PARAMETERS) -> int | None:
    """``as_of`` (``--as-of``): an ISO 8601 instant with an offset (or UTC ns) as UTC ns, or
    ``None``; a refusal names the option as ``names`` spell it."""
    where = option_names.name("as_of")
    if value is None or isinstance(value, int | np.integer):
        return None if value is None else int(value)
    try:
        return int(
            parse_instants(
                pa.array([str(value).strip()], pa.string()), "as-of", lambda _: where, None
            )[0]
        )
    except BillingInputError as exc:
        if "out of range" in str(exc):  # a valid instant, but a year pandas cannot hold
            raise BillingInputError(
                f"{where}: {validate.shown(value)} is out of range; "
                "accepted: an instant between the years 1678 and 2261 "
                "(check the year)"
            ) from None
        raise BillingInputError(
            f"{where}: {validate.shown(value)} is not accepted; "
            "accepted: an ISO 8601 instant with an offset, e.g. "
            "2026-03-10T18:00:00Z"
        ) from None


def read_user_details(
    file: Path,
    *,
    input_timezone: str | None = None,
    as_of: int | str | None = None,
    other_presence: str | None = None,
    option_names: OptionNames = PARAMETERS,
) -> pa.Table:
    """Logged-in intervals (``user_id``, ``start``, ``end``) from a user-details JSON export.

    Accepts one query response (``{"userDetails": [...]}``) or a list of pages. A record without
    ``endTime`` is still open: it ends at ``as_of``, else at the latest start or end in the
    export. ``option_names``: how messages name the options (:class:`OptionNames`).
    """
    return _user_details(
        file,
        input_timezone,
        parse_as_of(as_of, option_names),
        check_other_presence(other_presence, option_names),
        option_names,
    )[0]


def _user_details(
    file: Path,
    input_timezone: str | None,
    as_of: int | None = None,
    other_presence: str | None = None,
    option_names: OptionNames = PARAMETERS,
) -> tuple[pa.Table, list[str], tuple | None]:
    """The table of :func:`read_user_details`, where each of its rows is in the file
    (``userDetails[0].primaryPresence[3]``), for messages, and the open records
    (``(count, end_ns, as_of given)``, or ``None`` when every record has an end)."""
    import json  # for this export only (pyarrow.parquet imports it too, as it happens)

    try:
        with open(file, encoding="utf-8-sig") as fh:  # a byte-order mark (Windows tools) too
            data = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BillingInputError(f"{file}: not valid JSON ({one_line(exc)})") from None
    except ValueError:  # Python refuses integers of more than 4300 digits (CVE-2020-10735)
        raise BillingInputError(
            f"{file}: not a user-details export (a number of more than "
            "4300 digits); accepted: the JSON of POST "
            "/api/v2/analytics/users/details/query"
        ) from None
    except RecursionError:
        raise BillingInputError(
            f"{file}: not a user-details export (JSON nested too deeply); "
            "accepted: the JSON of POST /api/v2/analytics/users/details/query"
        ) from None
    pages = data if isinstance(data, list) else [data]
    if not pages or not all(
        isinstance(p, dict) and isinstance(p.get("userDetails"), list) for p in pages
    ):
        raise BillingInputError(
            f"{file}: not a user-details export; accepted: the JSON of POST "
            "/api/v2/analytics/users/details/query ({'userDetails': [{'userId': ..., "
            "'primaryPresence': [...]}]}) or a list of such pages"
        )
    users: list[str] = []
    starts: list[str] = []
    ends: list[str | None] = []
    places: list[str] = []
    stamps, stamp_places = [], []  # every time the export mentions, OFFLINE records included
    odd: list[int] = []  # the sessions whose systemPresence is none of the ten
    odd_values: list = []
    for p, page in enumerate(pages):
        for u, detail in enumerate(page["userDetails"]):
            page_name = f" of page {p + 1}" if len(pages) > 1 else ""
            where = f"{file}: userDetails[{u}]" + page_name
            if not isinstance(detail, dict) or detail.get("userId") in (None, ""):
                raise BillingInputError(f"{where}: no 'userId'; every user detail needs one")
            if not isinstance(detail["userId"], str):
                raise BillingInputError(
                    f"{where}.userId: {detail['userId']!r} is not text; "
                    "accepted: the user's id as text (a GUID)"
                )
            if "primaryPresence" not in detail:
                raise BillingInputError(
                    f"{where} (userId {detail['userId']!r}): no 'primaryPresence'; accepted: "
                    "an export whose query asks for presence (a list, empty for a user who "
                    "never logged in)"
                )
            records = detail["primaryPresence"]
            if not isinstance(records, list):
                raise BillingInputError(f"{where}.primaryPresence: is not a list")
            for r, rec in enumerate(records):
                if not isinstance(rec, dict) or rec.get("startTime") in (None, ""):
                    raise BillingInputError(
                        f"{where}.primaryPresence[{r}]: no 'startTime'; "
                        "every presence record needs one"
                    )
                for field in ("startTime", "endTime"):
                    if rec.get(field) is not None and not isinstance(rec[field], str):
                        raise BillingInputError(
                            f"{where}.primaryPresence[{r}].{field}: {rec[field]!r} is not a "
                            "timestamp; accepted: ISO 8601 text such as 2026-01-05T08:00:00Z"
                        )
                    if rec.get(field) is not None:
                        stamps.append(rec[field])
                        stamp_places.append(f"userDetails[{u}].primaryPresence[{r}]{page_name}")
                presence = rec.get("systemPresence")
                key = presence.strip().upper() if isinstance(presence, str) else None
                if key in PRESENCES and not PRESENCES[key]:  # OFFLINE
                    continue
                if key not in PRESENCES:
                    if other_presence == "offline":
                        continue
                    odd.append(len(users))
                    odd_values.append(presence)
                users.append(detail["userId"])
                starts.append(rec["startTime"])
                ends.append(rec.get("endTime"))
                places.append(f"userDetails[{u}].primaryPresence[{r}]{page_name}")
    opened = None
    n_open = sum(e is None for e in ends)
    if n_open:
        if as_of is None:
            # the latest time the export mentions: the stamps are checked here, so a bad one
            # is named like any other (the engine checks them again)
            end = int(
                parse_instants(
                    pa.array(stamps, pa.string()),
                    "startTime/endTime",
                    lambda i: f"{file}: {stamp_places[i]}",
                    input_timezone,
                ).max()
            )
        else:
            end = as_of
            opened_at = [i for i, e in enumerate(ends) if e is None]
            begins = parse_instants(
                pa.array([starts[i] for i in opened_at], pa.string()),
                "startTime",
                lambda j: f"{file}: {places[opened_at[j]]}",
                input_timezone,
            )
            late = np.flatnonzero(begins > as_of)
            if len(late):
                i = opened_at[int(late[0])]
                option = option_names.name("as_of")
                raise BillingInputError(
                    f"{file}: {places[i]}: open record starts at {starts[i]!r}, after {option}; "
                    f"accepted: an {option} at or after every open record's startTime"
                )
        last = np.datetime_as_string(np.datetime64(end, "ns"), unit="ns") + "Z"
        ends = [last if e is None else e for e in ends]
        opened = (n_open, end, as_of is not None)
    if odd and other_presence is None:  # as unknown client values are: the first record named
        raise presence_error(str(file), odd_values, places[odd[0]], option_names)
    table = pa.table(
        {
            "user_id": pa.array(users, pa.string()),
            "start": pa.array(starts, pa.string()),
            "end": pa.array(ends, pa.string()),
        }
    )
    return table, places, opened
