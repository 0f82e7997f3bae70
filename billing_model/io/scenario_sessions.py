"""Scenario files: the org tables that come from session files (read and counted once per
load) and the users they bill (split from :mod:`billing_model.io.scenario`)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core import validate
from ..core.contract import (
    FAIR_USE_KEYS,
    Contract,
    Org,
    Product,
    SessionSource,
)
from ..core.errors import BillingInputError, BillingWarning
from ..core.licenses import BY_KEY, normalize_license
from ..core.periods import BillingCalendar
from ..core.regions import check_one_region
from ..core.sessions import PARAMETERS, OptionNames
from ..core.usage_schema import SESSION_FIELDS, scenario_keys
from .scenario_checks import MAX_NAME_TEXT, Checker, Engines, bidi_problem, need_engines
from .scenario_contract import read_field
from .sessions import read_sessions


def check_org_users(
    c: Checker,
    by_license: Mapping[str, Product],
    users: Mapping[str, tuple[int, ...]],
    where: Mapping[str, str],
    org: str,
) -> None:
    """Each license must have a license line; one org may not mix PureCloud 1-3 tiers/models."""
    for lic in users:
        if lic not in by_license:
            c.fail(
                where[lic],
                f"no license line for {lic} in the contract; accepted: "
                f"{', '.join(by_license)} (add a [[product]] table for {lic})",
            )
    pool = [lic for lic in users if BY_KEY[lic].concurrent and any(users[lic])]
    if len(pool) > 1:
        models = {by_license[lic].license_model for lic in pool}
        first, second = pool[0], pool[1]
        if len(models) > 1:
            c.fail(
                where[second],
                f"org {org!r} mixes named and concurrent PureCloud 1-3 users "
                f"({first} {by_license[first].license_model}, {second} "
                f"{by_license[second].license_model}); accepted: one model per org",
            )
        c.fail(
            where[second],
            f"org {org!r} mixes PureCloud tiers ({first} and {second}); "
            "accepted: one of pc1, pc2, pc3 per org (docs/rules.md#license-models)",
        )


def _check_region(c: Checker, value: str | None, where: str) -> None:
    """``region`` (text, as its field parsed it) as a name shown to people: its length, no
    bidirectional controls. The session reader trims it and refuses a blank one, naming the
    key (:func:`billing_model.io.sessions.read_sessions`), as it does ``--region``."""
    if value is None:
        return
    if len(value) > MAX_NAME_TEXT:
        c.fail(
            f"{where}.region",
            f"{len(value):,} characters; accepted: a region's name as text "
            f"(e.g. 'us-east-1'), at most {MAX_NAME_TEXT} characters",
        )
    if problem := bidi_problem(value):
        c.fail(f"{where}.region", problem)


def billed_column(license_model: str) -> str:
    """The usage engine's column a license line bills: the named users, the concurrent peak, or
    the billable hours of an hourly line (docs/rules.md#hourly-licensing)."""
    return {"concurrent": "concurrent_users", "hourly": "billable_hours"}.get(
        license_model, "named_users"
    )


def session_orgs(
    c: Checker,
    contract: Contract,
    by_license: Mapping[str, Product],
    t: Mapping[str, Any],
    where: str,
    base: Path,
    cache: dict,
    extra: dict[str, Any],
    name: str | None,
    engines: Engines | None = None,
) -> list[Org]:
    """Users per period from session data through the usage engine (``engines.usage``, run by
    the caller), one org per org found."""
    n = contract.periods
    if not isinstance(t["sessions"], str) or not t["sessions"].strip():
        c.fail(
            f"{where}.sessions",
            f"{validate.shown(t['sessions'])} is not accepted; "
            "accepted: the path of a session file or folder as text, e.g. 'sessions.csv'",
        )
    path = Path(t["sessions"])
    if not path.is_absolute():
        path = base / path
    if not path.exists():
        c.fail(
            f"{where}.sessions",
            f"{str(path)!r}: no such file; accepted: a session file "
            "(CSV, Parquet or the analytics API's JSON) relative to the scenario file",
        )
    # the session options, as core/usage_schema.py declares them
    options = {f.key: read_field(c, f, t, where) for f in SESSION_FIELDS}
    _check_region(c, options["region"], where)
    source = SessionSource(path=path, **options)
    key = (
        str(path.resolve()),
        source,
        contract.order_date,
        contract.billing_timezone,
        contract.license,
    )
    try:
        source = session_usage(
            source,
            contract,
            cache,
            count=need_engines(engines, f"{where}.sessions").usage,
            option_names=scenario_keys(where),
        )
    except BillingInputError as exc:  # say which scenario and key the file came from
        option, _, rest = str(exc).partition(": ")
        if option.startswith(f"{where}."):  # an option of the table the reader names (region)
            c.fail(option, rest)
        c.fail(f"{where}.sessions", str(exc))
    frame = source.usage
    frame = frame[(frame["period"] >= 0) & (frame["period"] < n)]
    calendar = BillingCalendar(contract.order_date, contract.billing_timezone)
    share = source.coverage(calendar, n)
    last_measured = source.last_measured(calendar, n)
    if source.after_data == "repeat-last" and last_measured < 0:
        what = (
            f"{path.name} covers less than half of every billing period it touches among "
            f"the {n} billed"
            if share.any()
            else f"{path.name} holds no data in any of the {n} billed periods"
        )
        what += f" ({_span_text(source, calendar, n)})"
        c.fail(
            f"{where}.after_data",
            f"'repeat-last' needs a measured period, and {what}; "
            "accepted: session data covering at least half a billed period, or 'zero'",
        )
    warned = cache.setdefault("warned", set())
    if (key, n, where) not in warned:
        # once per file, table and billed periods: not again for each variant, but a variant
        # billing other periods (a longer term) is told of its own
        warned.add((key, n, where))
        after = calendar.starts_ns(np.arange(n)) >= source.records.span()[1]
        _warn_no_data(
            c.label,
            f"{where}.sessions",
            path.name,
            share,
            after,
            source.after_data,
            calendar,
            where,
            _span_text(source, calendar, n),
        )
    orgs = []
    org_names = sorted(frame["org"].astype(str).unique())
    for org_name in org_names:  # a workbook shows each org's name in headings and titles
        if len(org_name) > MAX_NAME_TEXT:
            c.fail(
                f"{where}.sessions",
                f"{path.name}: an org name of {len(org_name):,} "
                f"characters ({org_name[:20]!r}...); accepted: at most {MAX_NAME_TEXT}",
            )
        if bidi_problem(org_name):
            c.fail(
                f"{where}.sessions",
                f"{path.name}: the org name {org_name!r} {bidi_problem(org_name)}",
            )
    if name is not None and len(org_names) > 1:
        c.fail(
            f"{where}.name",
            f"the session file holds {len(org_names)} orgs "
            f"({', '.join(org_names)}); accepted: no name (each org keeps its own)",
        )
    for i, org_name in enumerate(org_names):  # a loop over orgs
        rows = frame[frame["org"].astype(str) == org_name]
        if "region" in rows.columns and any(  # concurrent billing: one region per org
            by_license.get(normalize_license(lic)) is not None
            and by_license[normalize_license(lic)].license_model == "concurrent"
            for lic in rows["license"].astype(str).unique()
        ):
            try:
                check_one_region(rows["org"].to_numpy(), rows["region"].to_numpy(), where=path.name)
            except BillingInputError as exc:
                c.fail(f"{where}.sessions", str(exc))
        users: dict[str, tuple[int, ...]] = {}
        for lic_name in sorted(rows["license"].astype(str).unique()):  # a loop over licenses
            lic = normalize_license(lic_name, where=f"{where}.sessions")
            sub = rows[rows["license"].astype(str) == lic_name]
            product = by_license.get(lic)
            column = billed_column(product.license_model if product is not None else "named")
            per = source.per_period(sub, n, column, last_measured)
            if per.any():
                users[lic] = tuple(int(v) for v in per)
        check_org_users(
            c,
            by_license,
            users,
            {
                lic: f"{where}.sessions ({path.name}, org {org_name!r}, license {lic})"
                for lic in users
            },
            org_name,
        )
        org_extra = (
            extra
            if i == 0
            else {  # telephony and fair use count once, on the first
                "telephony": tuple(Decimal(0) for _ in range(n)),
                **{k: None for k in FAIR_USE_KEYS},
            }
        )
        orgs.append(Org(name=name or org_name, users=users, sessions=source, **org_extra))
    if not orgs:
        orgs.append(Org(name=name or "production", users={}, sessions=source, **extra))
    return orgs


def _span_text(source: SessionSource, calendar: BillingCalendar, n: int) -> str:
    """Where the data lies against the billed periods, for messages."""
    start, end = (
        np.datetime_as_string(np.datetime64(t, "ns"), unit="m") + "Z" for t in source.records.span()
    )
    return (
        f"the data runs from {start} to {end}; the billed periods from "
        f"{calendar.first_day(0)} to {calendar.last_day(n - 1)}"
    )


def _warn_no_data(
    label: str,
    where: str,
    name: str,
    share: np.ndarray,
    after: np.ndarray,
    after_data: str | None,
    calendar: BillingCalendar,
    key: str,
    span: str,
) -> None:
    """One warning naming the billed periods the data does not touch (``share`` 0), which count
    0 users: those before the data always, those ``after`` it unless ``after_data`` says what
    they hold. Never a 0 billed silently."""
    empty = (share == 0) & (~after if after_data is not None else True)
    ks = np.flatnonzero(empty)
    if not len(ks):
        return
    runs = np.split(ks, np.flatnonzero(np.diff(ks) > 1) + 1)  # consecutive periods together
    listed = ", ".join(
        (f"period {r[0]}" if len(r) == 1 else f"periods {r[0]}-{r[-1]}")
        + f" ({calendar.first_day(int(r[0]))} to {calendar.last_day(int(r[-1]))})"
        for r in runs
    )
    hint = (
        f" (set {key}.after_data = 'zero' or 'repeat-last' to say what the periods after "
        "the data hold)"
        if after_data is None and after[ks].any()
        else ""
    )
    warnings.warn(
        f"{label}: {where}: {name} holds no data for {len(ks)} of the {len(share)} "
        f"billed periods: {listed}; they count 0 users ({span}){hint}",
        BillingWarning,
        stacklevel=3,
    )


def session_usage(
    source: SessionSource,
    contract: Contract,
    cache: dict | None = None,
    *,
    count: Callable[..., pd.DataFrame],
    option_names: OptionNames = PARAMETERS,
) -> SessionSource:
    """``source`` with its file read (``records``) and counted on the contract's calendar
    (``usage``: the rows of ``count``, the usage engine
    :func:`~billing_model.core.usage.compute_usage` that the caller gives: io runs no engine).

    ``cache`` (one per load, shared by the variants) keeps each file's sessions and each
    calendar's usage, so a scenario and its variants read a session file once; the workbook
    takes both from the loaded scenario instead of reading the file again. ``option_names``:
    how the file's messages name the options (the scenario table's keys).
    """
    cache = {} if cache is None else cache
    reads = cache.setdefault("reads", {})
    counts = cache.setdefault("usage", {})
    read_key = (
        str(source.path.resolve()),
        source.input_timezone,
        source.other_clients,
        source.other_presence,
        source.region,
        contract.license,
    )
    if read_key not in reads:
        reads[read_key] = read_sessions(
            source.path,
            license=contract.license,
            input_timezone=source.input_timezone,
            other_clients=source.other_clients,
            other_presence=source.other_presence,
            region=source.region,
            option_names=option_names,
        )
    count_key = (
        read_key,
        contract.order_date,
        contract.billing_timezone,
        source.peak_rule,
        source.min_minutes,
    )
    if count_key not in counts:
        counts[count_key] = count(
            reads[read_key],
            order_date=contract.order_date,
            timezone=contract.billing_timezone,
            peak_rule=source.peak_rule,
            min_minutes=source.min_minutes,
        )
    return replace(source, records=reads[read_key], usage=counts[count_key])
