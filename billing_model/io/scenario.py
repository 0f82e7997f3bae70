"""Scenario TOML files into the typed data model of :mod:`billing_model.core.contract`.

Everything the boundary does happens here, once: the file's bytes (a byte-order mark is
skipped; bad UTF-8 and bad TOML are one-line errors), unknown keys (a typo is never ignored),
every value through :mod:`billing_model.core.validate`, and each session file and voice report
read once per load (:func:`session_usage`), the sessions and their usage rows kept on the
scenario's :class:`~billing_model.core.contract.SessionSource` for the workbook. The figures
come from the engines the caller gives (:class:`~billing_model.io.scenario_checks.Engines`):
io runs none, :func:`billing_model.service.load_scenario` passes them. Everything the loader
accepts is documented in ``docs/invoices.md``.

Examples
--------
A 100-user PureCloud 2 named contract with a 3-month ramp: how many periods does it bill?

>>> s = scenario_from_mapping({
...     "contract": {"order_date": "2026-01-15", "license": "pc2", "committed_users": 100,
...                  "prepay_rate": 110, "ramp_months": 3, "term_months": 12},
...     "usage": {"users": [40, 85, 100] + [100] * 12},
... }, name="example")
>>> s.periods, s.contract.overage_rate, s.products[0].license
(15, Decimal('110'), 'pc2')
"""

from __future__ import annotations

import stat
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

from ..core.allowances import STORAGE_OVERAGE_USD_PER_GB
from ..core.contract import FAIR_USE_KEYS, Contract, Org, Product, Scenario
from ..core.errors import BillingInputError
from ..core.money import to_decimal
from ..core.schema import CONTRACT_KEYS, PRODUCT_KEYS
from ..core.usage_schema import SESSION_KEYS
from .scenario_checks import (
    MAX_NAME_TEXT,
    Checker,
    Engines,
    bidi_problem,
    tables,
    warn_past_term,
)
from .scenario_contract import read_contract, read_license, read_products
from .scenario_quote import read_charge, read_quote
from .scenario_sessions import check_org_users, session_orgs, session_usage
from .voice_report import voice_report_orgs

#: names of the keys each table accepts (unknown keys are errors: a typo is never ignored);
#: ``[contract]``'s and ``[[product]]``'s are the schema's (core/schema.py)
USAGE_KEYS: tuple[str, ...] = (
    "name",
    "users",
    "hours",
    "sessions",
    *SESSION_KEYS,  # the session options (core/usage_schema.py)
    "telephony",
    *FAIR_USE_KEYS,
)
TOP_KEYS: tuple[str, ...] = (
    "contract",
    "product",
    "usage",
    "org",
    "one_time",
    "hardware",
    "storage",
    "variant",
    "quote",
    "telephony",
)
#: largest scenario file read (50 variants of 240 values each are a few hundred KB)
MAX_SCENARIO_BYTES = 16 * 2**20


def load_scenario(
    path: str | Path, *, max_variants: int | None = None, engines: Engines | None = None
) -> Scenario:
    """Read and validate a scenario TOML file.

    Numbers keep the digits written in the file (floats are parsed as exact decimals). A
    ``sessions`` path is resolved relative to the file.

    Parameters
    ----------
    path : str or Path
        The scenario file (``scenarios/*.toml``; keys: docs/invoices.md).
    max_variants : int, optional
        Refuse more ``[[variant]]`` tables than that before validating any (the workbook's
        limit: ``build`` of 100,000 variants must not validate them all first).
    engines : Engines, optional
        The usage and voice engines that count a session file and price a voice report (io
        runs none itself): :func:`billing_model.service.load_scenario` gives them. Without
        them only a scenario of typed figures loads.

    Returns
    -------
    Scenario
        The contract, its products, orgs and usage, charges, storage and quote settings; its
        variants through :meth:`~billing_model.core.contract.Scenario.variants`.

    Raises
    ------
    BillingInputError
        One line naming the file, the key, the value and what is accepted.
    """
    path = Path(path)
    try:
        mode = path.stat()
    except FileNotFoundError:
        raise BillingInputError(f"{path}: no such scenario file") from None
    if not (stat.S_ISREG(mode.st_mode) or stat.S_ISDIR(mode.st_mode)):  # a folder: OSError
        # a named pipe blocked for ever, /dev/zero read until memory ran out
        raise BillingInputError(
            f"{path}: not a regular file (a pipe or a device); accepted: a scenario file (.toml)"
        )
    if mode.st_size > MAX_SCENARIO_BYTES:
        raise BillingInputError(
            f"{path}: {mode.st_size:,} bytes; accepted: a scenario file of "
            f"at most {MAX_SCENARIO_BYTES:,} bytes (session data belongs "
            "in a sessions file)"
        )
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BillingInputError(f"{path}: no such scenario file") from None
    try:
        # Windows editors (Notepad) may start the file with a byte-order mark: TOML is UTF-8
        text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise BillingInputError(
            f"{path.name}: line {line}, column {column}: byte "
            f"0x{raw[exc.start]:02x} is not UTF-8 text; accepted: a TOML "
            "file saved as UTF-8"
        ) from None
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise BillingInputError(f"{path.name}: not valid TOML: {exc}") from None
    except RecursionError:  # x = [[[[...]]]]: tomllib reads nesting recursively
        raise BillingInputError(
            f"{path.name}: arrays or tables nested too deeply to read; "
            "accepted: a scenario file (docs/invoices.md)"
        ) from None
    except ValueError as exc:  # an integer of more than 4,300 digits (Python's limit)
        raise BillingInputError(
            f"{path.name}: not readable ({str(exc).split(';')[0]}); "
            "accepted: numbers of a few digits"
        ) from None
    return scenario_from_mapping(
        data,
        base_dir=path.parent,
        name=path.stem,
        source=path,
        max_variants=max_variants,
        engines=engines,
    )


def scenario_from_mapping(
    data: Mapping[str, Any],
    *,
    base_dir: str | Path | None = None,
    name: str = "scenario",
    source: Path | None = None,
    max_variants: int | None = None,
    engines: Engines | None = None,
) -> Scenario:
    """Validate a mapping shaped like the TOML file and build a :class:`Scenario`.

    ``base_dir`` resolves relative ``sessions`` paths (default: the working directory). Errors
    start with ``<name>.toml`` when ``source`` is given, else with ``name``. ``engines``: as
    :func:`load_scenario` (:func:`billing_model.service.scenario_from_mapping` gives them).
    """
    label = source.name if source is not None else name
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    cache: dict = {}
    scenario = _build(
        data, label=label, base=base, name=name, source=source, cache=cache, engines=engines
    )
    variants = []
    seen = {"base"}
    found = tables(data, "variant", label)
    if max_variants is not None and len(found) > max_variants:
        raise BillingInputError(
            f"{label}: {len(found):,} [[variant]] tables; a workbook holds "
            f"at most {max_variants} variants; accepted: fewer variants in "
            "one file (split them over several), or build one with --variant"
            " NAME (invoices compares any number)"
        )
    for i, raw in enumerate(found):
        where = f"variant[{i + 1}]"
        if "name" not in raw:
            raise BillingInputError(
                f"{label}: {where}.name: missing; accepted: a text naming the variant"
            )
        vname = str(raw["name"]).strip()
        if len(vname) > MAX_NAME_TEXT:
            raise BillingInputError(
                f"{label}: {where}.name: {len(vname):,} characters; "
                f"accepted: at most {MAX_NAME_TEXT}"
            )
        if bidi_problem(vname):
            raise BillingInputError(f"{label}: {where}.name: {bidi_problem(vname)}")
        if not vname or vname in seen:
            raise BillingInputError(
                f"{label}: {where}.name: {raw['name']!r} is empty or used "
                "twice; accepted: a unique name other than 'base'"
            )
        seen.add(vname)
        merged = _merge_variant(data, raw, label=label, where=where)
        scen = _build(
            merged,
            label=f"{label} (variant {vname!r})",
            base=base,
            name=name,
            source=source,
            cache=cache,
            engines=engines,
        )
        variants.append((vname, replace(scen, variant_of=name)))
    _warn_unbilled(label, scenario, [scen for _n, scen in variants])
    return replace(scenario, _variants=tuple(variants))


def _warn_unbilled(label: str, scenario: Scenario, variants: list[Scenario]) -> None:
    """One warning per org naming the periods whose usage data (typed series or session data)
    neither the scenario nor any variant bills (docs/rules.md#month-to-month): past the longest
    ramp + term + months after the term. Data a variant's longer term bills is not named. An
    org's telephony from a voice report (``Org.telephony_reported``) is not named: the report's
    own warning names its calls outside the contract's voice cycles."""
    longest = max(s.periods for s in (scenario, *variants))
    seen: set[int] = set()
    for org in scenario.orgs:  # a loop over orgs
        late = {
            k
            for key, values in org.given.items()
            for k in range(longest, len(values))
            if values[k] and not (org.telephony_reported and key == "telephony")
        }
        where, what = (
            "usage" if org.name == scenario.orgs[0].name else f"org {org.name!r}",
            "usage data",
        )
        if org.sessions is not None and org.sessions.usage is not None:
            if id(org.sessions.usage) in seen:
                continue
            seen.add(id(org.sessions.usage))
            rows = org.sessions.usage
            late = set(
                rows.loc[
                    (rows["period"] >= longest) & (rows["named_users"].fillna(0) > 0), "period"
                ].astype(int)
            )
            where, what = "usage.sessions", f"{org.sessions.path.name} holds logged-in users"
        warn_past_term(label, where, what, sorted(late), scenario.contract, longest)


def _merge_variant(
    data: Mapping[str, Any], raw: Mapping[str, Any], *, label: str, where: str
) -> dict:
    merged = {k: v for k, v in data.items() if k != "variant"}
    contract = dict(merged.get("contract", {}))
    usage = dict(merged.get("usage", {}))
    for key, value in raw.items():
        if key == "name":
            continue
        if key in CONTRACT_KEYS:
            contract[key] = value
        elif key in USAGE_KEYS and key != "name":
            if key == "sessions":
                usage.pop("users", None)
                usage.pop("hours", None)
            if key in ("users", "hours"):
                usage.pop("sessions", None)
            usage[key] = value
        else:
            raise BillingInputError(
                f"{label}: {where}.{key}: unknown key; accepted: name, "
                f"{', '.join(CONTRACT_KEYS)}, {', '.join(k for k in USAGE_KEYS if k != 'name')}"
            )
    merged["contract"] = contract
    merged["usage"] = usage
    return merged


def _build(
    data: Mapping[str, Any],
    *,
    label: str,
    base: Path,
    name: str,
    source: Path | None,
    cache: dict,
    engines: Engines | None,
) -> Scenario:
    c = Checker(label)
    c.table(data, "scenario")
    c.known(data, TOP_KEYS, "")
    if "contract" not in data:
        c.fail("contract", "missing; accepted: a [contract] table")
    contract = read_contract(
        c, c.table(data["contract"], "contract"), cache.setdefault("parsed", {})
    )
    products = read_products(c, contract, tables(data, "product", label))
    by_license = {p.license: p for p in products}
    orgs = []
    if "usage" not in data:
        c.fail("usage", "missing; accepted: a [usage] table with users (or sessions) per period")
    org_tables = [("usage", c.table(data["usage"], "usage"))]
    org_tables += [(f"org[{i + 1}]", t) for i, t in enumerate(tables(data, "org", label))]
    names: set[str] = set()
    for where, table in org_tables:
        new = _orgs(c, contract, by_license, table, where, base, cache, engines)
        for org in new:
            if org.name in names:
                c.fail(f"{where}.name", f"org {org.name!r} appears twice; accepted: unique names")
            names.add(org.name)
        orgs.extend(new)
    # [telephony] voice_report
    orgs = voice_report_orgs(c, contract, data, orgs, base, cache, engines)
    _check_rates(c, contract, products, orgs)
    _check_hourly_usage(c, products, orgs)
    one_time = tuple(
        read_charge(c, t, f"one_time[{i + 1}]", contract, hardware=False)
        for i, t in enumerate(tables(data, "one_time", label))
    )
    hardware = tuple(
        read_charge(c, t, f"hardware[{i + 1}]", contract, hardware=True)
        for i, t in enumerate(tables(data, "hardware", label))
    )
    storage = None
    if "storage" in data:
        from ..core.storage import StorageSettings  # the storage engine (issue 4)

        try:
            storage = StorageSettings.from_mapping(
                c.table(data["storage"], "storage"), where="storage"
            )
            storage.calls_by_period(contract.periods)  # a list must match the periods: say so now
        except BillingInputError as exc:
            raise BillingInputError(f"{label}: {exc}") from None
    contract = _storage_rate(c, contract, data, storage, orgs)
    quote = read_quote(c, c.table(data["quote"], "quote")) if "quote" in data else None
    return Scenario(
        name=name,
        contract=contract,
        products=products,
        orgs=tuple(orgs),
        one_time=one_time,
        hardware=hardware,
        storage=storage,
        source=source,
        quote=quote,
    )


def _orgs(
    c: Checker,
    contract: Contract,
    by_license: Mapping[str, Product],
    t: Mapping[str, Any],
    where: str,
    base: Path,
    cache: dict,
    engines: Engines | None,
) -> list[Org]:
    c.known(t, USAGE_KEYS, where)
    n = contract.periods
    default_name = "production" if where == "usage" else None
    if default_name is None and "name" not in t:
        c.fail(f"{where}.name", "missing; accepted: a text naming the org (e.g. 'dev')")
    name = str(t.get("name", default_name)).strip()
    if len(name) > MAX_NAME_TEXT:
        c.fail(f"{where}.name", f"{len(name):,} characters; accepted: at most {MAX_NAME_TEXT}")
    if problem := bidi_problem(name):
        c.fail(f"{where}.name", problem)
    extra: dict[str, Any] = {}
    given: dict[str, tuple] = {}  # every value the file gives (the engines bill the first n)
    for key in ("telephony", *FAIR_USE_KEYS):
        if key in t:
            given[key] = c.series(t[key], f"{where}.{key}", n, whole=False)
        extra[key] = given[key][:n] if key in t else None
    if extra["telephony"] is None:
        extra["telephony"] = tuple(Decimal(0) for _ in range(n))
    extra["given"] = given
    for key in ("users", "hours"):
        if key in t and "sessions" in t:
            c.fail(
                f"{where}.sessions",
                f"given together with {key}; accepted: either {key} or sessions",
            )
    if "sessions" not in t:
        for key in SESSION_KEYS:
            if key in t:
                c.fail(
                    f"{where}.{key}",
                    "only applies with sessions; accepted: remove it or give sessions",
                )
    if "users" in t or "hours" in t:
        users: dict[str, tuple] = {}
        users_where: dict[str, str] = {}
        # hours: the hourly lines' (docs/rules.md#hourly-contracts); a license given in both
        # bills the list of its line's model, so a [[variant]] switching the model reads the other
        lists = {
            key: _per_license(c, contract, t[key], f"{where}.{key}", n)
            for key in ("users", "hours")
            if key in t
        }
        for key, (series, wheres) in lists.items():
            other = lists.get("hours" if key == "users" else "users", ({}, {}))[0]
            for lic, values in series.items():
                product = by_license.get(lic)
                hourly = product is not None and product.hourly
                if lic in other and hourly != (key == "hours"):
                    continue  # the other list is this line's
                if hourly and key == "users":
                    c.fail(
                        wheres[lic],
                        f"{lic} is billed hourly (license_model 'hourly'); "
                        "accepted: its logged-in hours per period under hours",
                    )
                if product is not None and not hourly and key == "hours":
                    c.fail(
                        wheres[lic],
                        f"{lic} is billed {product.license_model}; accepted: "
                        "hours only for a license line with license_model 'hourly' (users "
                        "for the others; hours beside them for a [[variant]] billing it hourly)",
                    )
                users[lic] = values if key == "users" else billable_hours(values)
                users_where[lic] = wheres[lic]
        given.update({"users:" + lic: values for lic, values in users.items()})
        users = {lic: values[:n] for lic, values in users.items()}
        check_org_users(c, by_license, users, users_where, name)
        return [Org(name=name, users=users, **extra)]
    if "sessions" in t:
        return session_orgs(
            c,
            contract,
            by_license,
            t,
            where,
            base,
            cache,
            extra,
            name if "name" in t else None,
            engines,
        )
    c.fail(
        f"{where}.users",
        "missing; accepted: a list with one user count per period, a table "
        "of such lists per license, hours (logged-in hours per period of an hourly line), "
        "or sessions = 'file.csv'",
    )


def billable_hours(logged_in: tuple) -> tuple[int, ...]:
    """Logged-in hours per period rounded up to whole billable hours, each period on its own
    (docs/rules.md#hourly-licensing: 112.23 h + 110.11 h = 222.34 h are billed 223 h).

    >>> billable_hours((Decimal("222.34"), Decimal(0), Decimal(5)))
    (223, 0, 5)
    """
    return tuple(int(v.to_integral_value(rounding=ROUND_CEILING)) for v in logged_in)


def _per_license(
    c: Checker, contract: Contract, raw: Any, where: str, n: int
) -> tuple[dict[str, tuple], dict[str, str]]:
    """``users`` or ``hours``: one list (the contract's license) or a table of lists per
    license; every value given (users whole, hours exact decimals) and where it was given."""
    whole = where.endswith(".users")
    if not isinstance(raw, Mapping):
        return ({contract.license: c.series(raw, where, n, whole=whole)}, {contract.license: where})
    series: dict[str, tuple] = {}
    named_as: dict[str, str] = {}
    for lic_name, values in raw.items():
        lic = read_license(c, lic_name, f"{where}.{lic_name}")
        if lic in named_as:  # 'pc2' and 'CX 2': the second list replaced the first
            c.fail(
                f"{where}.{lic_name}",
                f"{lic_name!r} is {lic}, given already as "
                f"{named_as[lic]!r}; accepted: one list per license",
            )
        named_as[lic] = lic_name
        series[lic] = c.series(values, f"{where}.{lic_name}", n, whole=whole)
    return series, {lic: f"{where}.{lic}" for lic in series}


def _check_rates(
    c: Checker, contract: Contract, products: tuple[Product, ...], orgs: list[Org]
) -> None:
    """Fair-use usage needs the contract's overage rate (no defaults, docs/rules.md#ivr-and-api)."""
    if contract.partner:
        return
    for key, rate_key in (
        ("ivr_minutes", "ivr_overage_rate"),
        ("api_requests", "api_overage_rate"),
    ):
        if any(getattr(o, key) is not None for o in orgs) and getattr(contract, rate_key) is None:
            c.fail(
                f"contract.{rate_key}",
                f"missing while usage gives {key}; accepted: the "
                "contract's rate, a number >= 0 (no published default)",
            )


def _check_hourly_usage(c: Checker, products: tuple[Product, ...], orgs: list[Org]) -> None:
    """An hourly line bills its logged-in hours only (no commitment, no prepay): without hours
    in any org, nor sessions to count them from, it would bill nothing, silently."""
    if any(o.sessions is not None for o in orgs):
        return  # the session data's hours (none is a figure the usage engine counted)
    for p in products:
        if p.hourly and not any(p.license in o.users for o in orgs):
            c.fail(
                f"usage.hours.{p.license}",
                f"missing for the hourly line {p.license} (license_model 'hourly': it bills "
                "logged-in hours only); accepted: its logged-in hours per period under "
                f"usage.hours.{p.license} (or an [[org]]'s hours), or sessions = 'file.csv'",
            )


def _storage_rate(
    c: Checker, contract: Contract, data: Mapping[str, Any], storage: Any, orgs: list[Org]
) -> Contract:
    """The storage overage rate: ``contract.storage_overage_rate``, else ``[storage]``'s
    ``overage_rate``, else the published 0.25 per GB, which is a USD figure
    (docs/rules.md#storage-overage)."""
    given = any(o.storage_gb is not None for o in orgs)
    if storage is not None and given:
        c.fail(
            "storage",
            "given together with usage storage_gb; accepted: either measured "
            "storage_gb per period or a [storage] forecast",
        )
    if contract.storage_overage_rate is not None or not (given or storage is not None):
        return contract
    if storage is not None and "overage_rate" in data["storage"]:
        return replace(contract, storage_overage_rate=to_decimal(storage.overage_rate))
    if contract.currency != "USD" and not contract.partner:
        c.fail(
            "contract.storage_overage_rate",
            "missing while storage is billed in "
            f"{contract.currency}; accepted: a number >= 0 (the published "
            f"{STORAGE_OVERAGE_USD_PER_GB} per GB is in USD)",
        )
    return replace(contract, storage_overage_rate=Decimal(repr(STORAGE_OVERAGE_USD_PER_GB)))


__all__ = [
    "CONTRACT_KEYS",
    "MAX_NAME_TEXT",
    "PRODUCT_KEYS",
    "bidi_problem",
    "load_scenario",
    "scenario_from_mapping",
    "session_usage",
]
