"""Contract scenarios: the data model and the TOML loader.

A scenario is a contract (order date, currency, license lines, commitment, rates, ramp, term,
payment terms, channel), the usage of each organization per billing period, one-time and hardware
charges, optionally a storage forecast, and named variants of itself (a finance ramp study
compares the same contract under several ramp lengths and policies side by side).

Sources for the rules checked here: ``shared/reference/RULES.md`` ("Invoices", "Who is billable",
"Fair use allowances"). Everything the loader accepts is documented in ``docs/invoices.md``.

Data model (all frozen dataclasses; money as :class:`decimal.Decimal`, dates as
:class:`datetime.date`):

- :class:`Scenario` -- ``name``, ``contract`` (:class:`Contract`), ``products`` (tuple of
  :class:`Product`: the contract's license lines, the first one from ``[contract]``), ``orgs``
  (tuple of :class:`Org`: the production org from ``[usage]`` first, then each ``[[org]]``),
  ``one_time`` and ``hardware`` (tuples of :class:`Charge`), ``storage`` (the storage engine's
  ``StorageSettings`` or ``None``), ``source`` (the file), and :meth:`Scenario.variants`.
- Per-period sequences hold one value per calendar period ``k = 0, 1, ...`` from the order date
  and must cover ``ramp_months + term_months`` periods; the loader keeps exactly that many
  (values past the term are not billed: after the term the contract runs month to month at
  published rates, which the model does not price). So a variant with a shorter ramp can keep
  the same usage series.

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

import datetime as dt
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from .core.allowances import STORAGE_OVERAGE_USD_PER_GB, check_model
from .core.concurrency import MAX_MIN_MINUTES
from .core.errors import BillingInputError, BillingWarning
from .core.licenses import BY_KEY, LICENSE_KEYS, normalize_license
from .core.money import CURRENCIES, MAX_PRICE, to_decimal
from .core.periods import (
    DEFAULT_TIMEZONE,
    MAX_DATE,
    MAX_PERIODS,
    MEASURED_SHARE,
    MIN_DATE,
    anchor_dates,
    get_timezone,
    to_date,
)
from .core.sessions import OTHER_CLIENTS

RAMP_POLICIES: tuple[str, ...] = ("actual-usage", "no-software-charges")
"""``actual-usage``: the FAQ ("billed based on actual usage during the ramp and at the rates
contracted"); ``no-software-charges``: the vendor's current FAQ (no user charges during the ramp;
telephony and fair-use overages still bill). Source: RULES.md, "Invoices"."""

CHANNELS: tuple[str, ...] = ("direct", "partner")
"""``partner``: the billing report shows usage but no cost (FAQ, "Why does my billing report show
no cost?"): the schedule keeps quantities and leaves rates and amounts empty."""

PEAK_RULES: tuple[str, ...] = ("cumulative", "contiguous")
AFTER_DATA: tuple[str, ...] = ("zero", "repeat-last")
"""What billed periods after the last period of session data hold: ``zero`` users, or the
``repeat-last`` period's users (a quote from one measured month). Unset: zero, with a warning."""
FAIR_USE_KEYS: tuple[str, ...] = ("ivr_minutes", "api_requests", "storage_gb")

#: names of the keys each table accepts (unknown keys are errors: a typo is never ignored)
CONTRACT_KEYS: tuple[str, ...] = (
    "order_date", "currency", "billing_timezone", "license_model", "license", "committed_users",
    "prepay_rate", "overage_rate", "ramp_months", "ramp_policy", "term_months",
    "payment_terms_days", "channel", "ivr_overage_rate", "api_overage_rate",
    "storage_overage_rate",
)
PRODUCT_KEYS: tuple[str, ...] = (
    "license", "license_model", "committed_users", "prepay_rate", "overage_rate",
)
USAGE_KEYS: tuple[str, ...] = (
    "name", "users", "sessions", "input_timezone", "peak_rule", "min_minutes", "after_data",
    "other_clients", "telephony",
    *FAIR_USE_KEYS,
)
CHARGE_KEYS: tuple[str, ...] = ("description", "amount", "quantity", "rate")
HARDWARE_KEYS: tuple[str, ...] = (*CHARGE_KEYS, "ship_date")
#: largest count (users, days) a scenario takes; larger is a typo and would overflow int64 sums
MAX_WHOLE = 1_000_000_000
#: longest payment terms, in days
MAX_PAYMENT_TERMS_DAYS = 365
TOP_KEYS: tuple[str, ...] = (
    "contract", "product", "usage", "org", "one_time", "hardware", "storage", "variant",
)


@dataclass(frozen=True)
class Contract:
    """The commercial terms of a subscription.

    Attributes
    ----------
    order_date : datetime.date
        Contract effective date; period ``k`` starts on its anchor day ``k`` months later.
    currency : str
        ISO code, one of :data:`billing_model.money.CURRENCIES` (default ``USD``).
    billing_timezone : str
        IANA zone of the billing periods (default ``America/New_York``, the FAQ's "EST").
    license_model : str
        ``named`` or ``concurrent`` for the PureCloud 1-3 license lines (default ``named``).
    license : str
        License key of the main license line (``pc1``, ``pc2``, ``pc3``, ``communicate``, ...).
    committed_users : int
        Prepay (committed) quantity of the main license line.
    prepay_rate : Decimal or None
        Price per committed user per month (``None`` only for the partner channel).
    overage_rate : Decimal or None
        Price per user above the commitment per month; defaults to ``prepay_rate``.
    ramp_months : int
        Number of ramp periods before the term (default 0).
    ramp_policy : str
        One of :data:`RAMP_POLICIES` (default ``actual-usage``).
    term_months : int
        Number of term periods (at least 1).
    payment_terms_days : int
        Days from invoice date to due date (default 30: "net 30", RULES.md).
    channel : str
        ``direct`` or ``partner`` (default ``direct``).
    ivr_overage_rate, api_overage_rate, storage_overage_rate : Decimal or None
        Contract rates per basic routing/IVR minute, per API request and per GB-month of storage
        above the fair-use allowance. Contract-specific inputs with no default (RULES.md), except
        storage in USD, which defaults to the published 0.25 USD/GB.
    """

    order_date: dt.date
    license: str
    committed_users: int
    term_months: int
    prepay_rate: Decimal | None = None
    overage_rate: Decimal | None = None
    currency: str = "USD"
    billing_timezone: str = DEFAULT_TIMEZONE
    license_model: str = "named"
    ramp_months: int = 0
    ramp_policy: str = "actual-usage"
    payment_terms_days: int = 30
    channel: str = "direct"
    ivr_overage_rate: Decimal | None = None
    api_overage_rate: Decimal | None = None
    storage_overage_rate: Decimal | None = None

    @property
    def periods(self) -> int:
        """Ramp plus term periods."""
        return self.ramp_months + self.term_months

    @property
    def partner(self) -> bool:
        return self.channel == "partner"


@dataclass(frozen=True)
class Product:
    """One license line of the contract: what is committed and at which rates.

    ``license_model`` is the model the line is billed under (Communicate and Collaborate are
    always ``named``). The first product comes from ``[contract]``, further ones from
    ``[[product]]`` tables (e.g. Communicate seats beside PureCloud 2 agents).
    """

    license: str
    license_model: str
    committed_users: int
    prepay_rate: Decimal | None
    overage_rate: Decimal | None

    @property
    def label(self) -> str:
        """``PureCloud 2 / CX 2 named`` -- used in invoice line descriptions."""
        return f"{BY_KEY[self.license].label} {self.license_model}"


@dataclass(frozen=True)
class SessionSource:
    """Where an org's users per period came from: a session file and the usage options.

    ``after_data`` says what the periods after the data hold: ``None`` or ``"zero"`` (no users)
    or ``"repeat-last"`` (the last measured period again, for a quote from one measured month).
    """

    path: Path
    input_timezone: str | None = None
    peak_rule: str = "cumulative"
    min_minutes: int = 30
    after_data: str | None = None
    other_clients: str | None = None

    def usage(self, contract: Contract):
        """The usage engine's rows for this file on the contract's calendar."""
        from .core.usage import compute_usage
        from .io.sessions import read_sessions

        sessions = read_sessions(self.path, license=contract.license,
                                 input_timezone=self.input_timezone,
                                 other_clients=self.other_clients)
        return compute_usage(sessions, order_date=contract.order_date,
                             timezone=contract.billing_timezone, peak_rule=self.peak_rule,
                             min_minutes=self.min_minutes)

    def per_period(self, rows, n: int, column: str, last_k: int) -> np.ndarray:
        """``column`` of usage ``rows`` summed per period ``0 .. n-1``. Under ``repeat-last``
        every period after ``last_k`` (the last *measured* period: the data covers at least half
        of it), a partial one included, holds ``last_k``'s users: never a partial period's."""
        per = np.zeros(n, dtype=np.int64)
        rows = rows[(rows["period"] >= 0) & (rows["period"] < n)]
        np.add.at(per, rows["period"].to_numpy(dtype=np.int64),
                  rows[column].fillna(0).to_numpy(dtype=np.int64))
        if self.after_data == "repeat-last" and 0 <= last_k < n - 1:
            per[last_k + 1:] = per[last_k]
        return per


@dataclass(frozen=True)
class Org:
    """One organization's usage per billing period (dev, QA and training orgs are billed exactly
    like production: their users and usage add to the contract's).

    Attributes
    ----------
    name : str
        Org name (``production`` for ``[usage]`` unless it sets ``name``).
    users : dict[str, tuple[int, ...]]
        Billable users per period for each license key: named users for named lines, the
        concurrent peak for concurrent lines.
    telephony : tuple[Decimal, ...]
        Telephony charges per period in the contract currency (zeros when not given).
    ivr_minutes, api_requests, storage_gb : tuple[Decimal, ...] or None
        Fair-use usage per period (``None`` when not given).
    sessions : SessionSource or None
        The session file ``users`` came from and its options, when it came from one.
    """

    name: str
    users: Mapping[str, tuple[int, ...]]
    telephony: tuple[Decimal, ...]
    ivr_minutes: tuple[Decimal, ...] | None = None
    api_requests: tuple[Decimal, ...] | None = None
    storage_gb: tuple[Decimal, ...] | None = None
    sessions: SessionSource | None = None


@dataclass(frozen=True)
class Charge:
    """A one-time charge (enablement package) or a hardware shipment.

    ``quantity`` x ``rate`` (``amount = 15000`` is quantity 1 at rate 15000). ``ship_date`` is
    the hardware's invoice date; ``None`` for one-time charges (invoiced on the order date).
    """

    description: str
    quantity: Decimal
    rate: Decimal
    ship_date: dt.date | None = None


@dataclass(frozen=True)
class Scenario:
    """A contract with its usage: everything the invoice schedule needs.

    Build one with :func:`load_scenario` (a TOML file) or :func:`scenario_from_mapping`.
    """

    name: str
    contract: Contract
    products: tuple[Product, ...]
    orgs: tuple[Org, ...]
    one_time: tuple[Charge, ...] = ()
    hardware: tuple[Charge, ...] = ()
    storage: Any = None
    source: Path | None = None
    variant_of: str | None = None
    _variants: tuple[tuple[str, Scenario], ...] = field(default=(), repr=False, compare=False)

    @property
    def periods(self) -> int:
        """Number of billed periods: ramp plus term."""
        return self.contract.periods

    def variants(self) -> list[tuple[str, Scenario]]:
        """``[("base", self), (name, variant scenario), ...]`` in file order.

        Each ``[[variant]]`` table is the whole scenario with its overrides applied (validated on
        load like the base).
        """
        return [("base", self), *self._variants]

    def variant(self, name: str) -> Scenario:
        """The variant called ``name`` (``base`` is the scenario itself), or a one-line error."""
        for vname, scen in self.variants():
            if vname == name:
                return scen
        accepted = ", ".join(n for n, _ in self.variants())
        raise BillingInputError(f"{self.name}: variant {name!r} is not defined; accepted: "
                                f"{accepted}")

    def users(self, license: str) -> np.ndarray:
        """Billable users of one license per period, summed over orgs (int64)."""
        total = np.zeros(self.periods, dtype=np.int64)
        for org in self.orgs:  # a loop over orgs
            if license in org.users:
                total += np.asarray(org.users[license], dtype=np.int64)
        return total

    def usage(self, key: str) -> tuple[Decimal, ...] | None:
        """Telephony or a fair-use usage per period, summed over orgs (``None`` if none given)."""
        series = [getattr(org, key) for org in self.orgs if getattr(org, key) is not None]
        if not series:
            return None
        return tuple(sum(vals, Decimal(0)) for vals in zip(*series, strict=True))


# --------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------
def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

    Numbers keep the digits written in the file (floats are parsed as exact decimals). A
    ``sessions`` path is resolved relative to the file.

    Raises
    ------
    BillingInputError
        One line naming the file, the key, the value and what is accepted.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BillingInputError(f"{path}: no such scenario file") from None
    try:
        # Windows editors (Notepad) may start the file with a byte-order mark: TOML is UTF-8
        text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise BillingInputError(f"{path.name}: line {line}, column {column}: byte "
                                f"0x{raw[exc.start]:02x} is not UTF-8 text; accepted: a TOML "
                                "file saved as UTF-8") from None
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise BillingInputError(f"{path.name}: not valid TOML: {exc}") from None
    return scenario_from_mapping(data, base_dir=path.parent, name=path.stem, source=path)


def scenario_from_mapping(data: Mapping[str, Any], *, base_dir: str | Path | None = None,
                          name: str = "scenario", source: Path | None = None) -> Scenario:
    """Validate a mapping shaped like the TOML file and build a :class:`Scenario`.

    ``base_dir`` resolves relative ``sessions`` paths (default: the working directory). Errors
    start with ``<name>.toml`` when ``source`` is given, else with ``name``.
    """
    label = source.name if source is not None else name
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    cache: dict = {}
    scenario = _build(data, label=label, base=base, name=name, source=source, cache=cache)
    variants = []
    seen = {"base"}
    for i, raw in enumerate(_tables(data, "variant", label)):
        where = f"variant[{i + 1}]"
        if "name" not in raw:
            raise BillingInputError(f"{label}: {where}.name: missing; accepted: a text naming "
                                    "the variant")
        vname = str(raw["name"]).strip()
        if not vname or vname in seen:
            raise BillingInputError(f"{label}: {where}.name: {raw['name']!r} is empty or used "
                                    "twice; accepted: a unique name other than 'base'")
        seen.add(vname)
        merged = _merge_variant(data, raw, label=label, where=where)
        scen = _build(merged, label=f"{label} (variant {vname!r})", base=base, name=name,
                      source=source, cache=cache)
        variants.append((vname, replace(scen, variant_of=name)))
    return replace(scenario, _variants=tuple(variants))


def _merge_variant(data: Mapping[str, Any], raw: Mapping[str, Any], *, label: str,
                   where: str) -> dict:
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
            if key == "users":
                usage.pop("sessions", None)
            usage[key] = value
        else:
            raise BillingInputError(
                f"{label}: {where}.{key}: unknown key; accepted: name, "
                f"{', '.join(CONTRACT_KEYS)}, {', '.join(k for k in USAGE_KEYS if k != 'name')}")
    merged["contract"] = contract
    merged["usage"] = usage
    return merged


class _Checker:
    """Reads typed values out of TOML tables with one-line errors naming file and key."""

    def __init__(self, label: str):
        self.label = label

    def fail(self, where: str, message: str):
        raise BillingInputError(f"{self.label}: {where}: {message}")

    def table(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(where, f"expected a table, got {value!r}")
        return value

    def known(self, table: Mapping[str, Any], keys: tuple[str, ...], where: str) -> None:
        for key in table:
            if key not in keys:
                self.fail(f"{where}.{key}" if where else key,
                          f"unknown key; accepted: {', '.join(keys)}")

    def required(self, table: Mapping[str, Any], key: str, where: str, what: str) -> Any:
        if key not in table:
            self.fail(f"{where}.{key}", f"missing; accepted: {what}")
        return table[key]

    def choice(self, value: Any, where: str, accepted: tuple[str, ...]) -> str:
        text = str(value).strip().lower() if isinstance(value, str) else None
        if text not in accepted:
            self.fail(where, f"{value!r} is not accepted; accepted: {', '.join(accepted)}")
        return text

    def whole(self, value: Any, where: str, minimum: int = 0,
              maximum: int = MAX_WHOLE) -> int:
        ok = not isinstance(value, bool) and isinstance(value, int | Decimal | float)
        if ok and not isinstance(value, int):
            ok = _finite(value) and int(value) == value
        if not ok or value < minimum:
            self.fail(where, f"{value!r} is not accepted; accepted: a whole number >= {minimum}")
        if value > maximum:  # a typo; past int64 it would overflow the engines
            self.fail(where, f"{value!r} is too large; accepted: a whole number from {minimum} "
                      f"to {maximum:,}")
        return int(value)

    def money(self, value: Any, where: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            self.fail(where, f"{value!r} is not accepted; accepted: a number >= 0")
        number = to_decimal(value, where=where)
        if not number.is_finite() or number < 0:
            self.fail(where, f"{value!r} is not accepted; accepted: a number >= 0")
        if number > MAX_PRICE:
            self.fail(where, f"{value!r} is too large; accepted: a number from 0 to "
                      f"{MAX_PRICE:,}")
        return number

    def date(self, value: Any, where: str) -> dt.date:
        date = None
        if isinstance(value, dt.datetime):
            date = value.date()
        elif isinstance(value, dt.date):
            date = value
        elif isinstance(value, str):
            try:
                date = dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        if date is None:
            self.fail(where, f"{value!r} is not accepted; accepted: a date YYYY-MM-DD")
        if not MIN_DATE <= date <= MAX_DATE:  # every period and due date must stay computable
            self.fail(where, f"{date} is out of range; accepted: a date from {MIN_DATE} to "
                      f"{MAX_DATE}")
        return date

    def series(self, value: Any, where: str, periods: int, *, whole: bool) -> tuple:
        """One non-negative value per period, exactly ``periods`` of them."""
        if not isinstance(value, list | tuple):
            self.fail(where, f"expected a list with one value per period, got {value!r}")
        if len(value) < periods:
            self.fail(where, f"{len(value)} values, but the contract bills {periods} periods "
                      "(ramp_months + term_months); accepted: one value per period")
        out = []
        for i, v in enumerate(value[:periods]):  # a loop over periods
            if whole:
                out.append(self.whole(v, f"{where}[{i}]"))
            else:
                if (isinstance(v, bool) or not isinstance(v, int | float | Decimal)
                        or not _finite(v) or v < 0):
                    self.fail(f"{where}[{i}]", f"{v!r} is not accepted; accepted: a number >= 0")
                if v > MAX_PRICE:  # a typo: no month has 10^12 minutes, requests, GB or dollars
                    self.fail(f"{where}[{i}]", f"{v!r} is too large; accepted: a number from 0 "
                              f"to {MAX_PRICE:,}")
                out.append(to_decimal(v, where=f"{where}[{i}]"))
        return tuple(out)


def _finite(value: int | float | Decimal) -> bool:
    return value.is_finite() if isinstance(value, Decimal) else value == value and abs(
        value) != float("inf")


def _tables(data: Mapping[str, Any], key: str, label: str) -> list[Mapping[str, Any]]:
    value = data.get(key, [])
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(t, Mapping) for t in value):
        raise BillingInputError(f"{label}: {key}: expected tables [[{key}]], got {value!r}")
    return value


def _build(data: Mapping[str, Any], *, label: str, base: Path, name: str,
           source: Path | None, cache: dict) -> Scenario:
    c = _Checker(label)
    c.table(data, "scenario")
    c.known(data, TOP_KEYS, "")
    if "contract" not in data:
        c.fail("contract", "missing; accepted: a [contract] table")
    contract = _contract(c, c.table(data["contract"], "contract"))
    products = _products(c, contract, _tables(data, "product", label))
    by_license = {p.license: p for p in products}
    orgs = []
    if "usage" not in data:
        c.fail("usage", "missing; accepted: a [usage] table with users (or sessions) per period")
    org_tables = [("usage", c.table(data["usage"], "usage"))]
    org_tables += [(f"org[{i + 1}]", t) for i, t in enumerate(_tables(data, "org", label))]
    names: set[str] = set()
    for where, table in org_tables:
        new = _orgs(c, contract, by_license, table, where, base, cache)
        for org in new:
            if org.name in names:
                c.fail(f"{where}.name", f"org {org.name!r} appears twice; accepted: unique names")
            names.add(org.name)
        orgs.extend(new)
    _check_rates(c, contract, products, orgs)
    one_time = tuple(_charge(c, t, f"one_time[{i + 1}]", contract, hardware=False)
                     for i, t in enumerate(_tables(data, "one_time", label)))
    hardware = tuple(_charge(c, t, f"hardware[{i + 1}]", contract, hardware=True)
                     for i, t in enumerate(_tables(data, "hardware", label)))
    storage = None
    if "storage" in data:
        from .core.storage import StorageSettings  # the storage engine (issue 4)
        try:
            storage = StorageSettings.from_mapping(c.table(data["storage"], "storage"),
                                                   where="storage")
            storage.calls_by_period(contract.periods)  # a list must match the periods: say so now
        except BillingInputError as exc:
            raise BillingInputError(f"{label}: {exc}") from None
    contract = _storage_rate(c, contract, data, storage, orgs)
    return Scenario(name=name, contract=contract, products=products, orgs=tuple(orgs),
                    one_time=one_time, hardware=hardware, storage=storage, source=source)


def _contract(c: _Checker, t: Mapping[str, Any]) -> Contract:
    c.known(t, CONTRACT_KEYS, "contract")
    w = "contract."
    order_date = c.date(c.required(t, "order_date", "contract", "a date YYYY-MM-DD"),
                        w + "order_date")
    currency = str(t.get("currency", "USD"))
    if currency.strip().upper() not in CURRENCIES:
        c.fail(w + "currency", f"{t.get('currency')!r} is not accepted; accepted: "
               f"{', '.join(CURRENCIES)}")
    currency = currency.strip().upper()
    tz = t.get("billing_timezone", DEFAULT_TIMEZONE)
    try:
        get_timezone(str(tz))
    except BillingInputError:
        c.fail(w + "billing_timezone", f"{tz!r} is not accepted; accepted: an IANA zone such as "
               "'America/New_York', 'Europe/Berlin' or 'UTC'")
    model = c.choice(t.get("license_model", "named"), w + "license_model", ("named",
                                                                             "concurrent"))
    lic = _license(c, c.required(t, "license", "contract", "a license such as pc2"),
                   w + "license")
    channel = c.choice(t.get("channel", "direct"), w + "channel", CHANNELS)
    prepay = _rate(c, t, "prepay_rate", "contract", required=channel == "direct")
    overage = _rate(c, t, "overage_rate", "contract", required=False)
    ramp = c.whole(t.get("ramp_months", 0), w + "ramp_months", maximum=MAX_PERIODS)
    term = c.whole(c.required(t, "term_months", "contract", "a whole number >= 1"),
                   w + "term_months", minimum=1, maximum=MAX_PERIODS)
    if ramp + term > MAX_PERIODS:
        c.fail(w + "term_months", f"ramp_months + term_months = {ramp + term} periods; accepted: "
               f"at most {MAX_PERIODS} (20 years)")
    return Contract(
        order_date=order_date, currency=currency, billing_timezone=str(tz).strip(),
        license_model=_model_for(c, lic, model, w + "license_model"), license=lic,
        committed_users=c.whole(c.required(t, "committed_users", "contract", "a whole number "
                                           ">= 0"), w + "committed_users"),
        prepay_rate=prepay, overage_rate=overage if overage is not None else prepay,
        ramp_months=ramp, ramp_policy=c.choice(t.get("ramp_policy", "actual-usage"),
                                               w + "ramp_policy", RAMP_POLICIES),
        term_months=term,
        payment_terms_days=c.whole(t.get("payment_terms_days", 30), w + "payment_terms_days",
                                   maximum=MAX_PAYMENT_TERMS_DAYS),
        channel=channel,
        ivr_overage_rate=_rate(c, t, "ivr_overage_rate", "contract", required=False),
        api_overage_rate=_rate(c, t, "api_overage_rate", "contract", required=False),
        storage_overage_rate=_rate(c, t, "storage_overage_rate", "contract", required=False),
    )


def _license(c: _Checker, value: Any, where: str) -> str:
    try:
        return normalize_license(value, where=where)
    except BillingInputError:
        c.fail(where, f"{value!r} is not accepted; accepted: {', '.join(LICENSE_KEYS)} (or "
               "'PureCloud 2', 'CX 2', ...)")


def _model_for(c: _Checker, lic: str, model: str, where: str) -> str:
    """Communicate and Collaborate are always named; the contract's model applies to PC1-3."""
    check_model(model)
    return model if BY_KEY[lic].concurrent else "named"


def _rate(c: _Checker, t: Mapping[str, Any], key: str, where: str, *,
          required: bool) -> Decimal | None:
    if key not in t:
        if required:
            c.fail(f"{where}.{key}", "missing; accepted: a number >= 0 (price per user per "
                   "month)")
        return None
    return c.money(t[key], f"{where}.{key}")


def _products(c: _Checker, contract: Contract,
              tables: list[Mapping[str, Any]]) -> tuple[Product, ...]:
    products = [Product(contract.license, contract.license_model, contract.committed_users,
                        contract.prepay_rate, contract.overage_rate)]
    for i, t in enumerate(tables):
        where = f"product[{i + 1}]"
        c.known(t, PRODUCT_KEYS, where)
        lic = _license(c, c.required(t, "license", where, "a license such as communicate"),
                       f"{where}.license")
        if any(p.license == lic for p in products):
            c.fail(f"{where}.license", f"{lic!r} has a license line already; accepted: one line "
                   "per license")
        model = c.choice(t.get("license_model", contract.license_model),
                         f"{where}.license_model", ("named", "concurrent"))
        if "license_model" in t and model == "concurrent" and not BY_KEY[lic].concurrent:
            c.fail(f"{where}.license_model", f"'concurrent' is not accepted for {lic}: "
                   "Communicate and Collaborate users are always named; accepted: named")
        prepay = _rate(c, t, "prepay_rate", where, required=not contract.partner)
        overage = _rate(c, t, "overage_rate", where, required=False)
        products.append(Product(lic, _model_for(c, lic, model, f"{where}.license_model"),
                                c.whole(t.get("committed_users", 0), f"{where}.committed_users"),
                                prepay, overage if overage is not None else prepay))
    return tuple(products)


def _orgs(c: _Checker, contract: Contract, by_license: Mapping[str, Product],
          t: Mapping[str, Any], where: str, base: Path, cache: dict) -> list[Org]:
    c.known(t, USAGE_KEYS, where)
    n = contract.periods
    default_name = "production" if where == "usage" else None
    if default_name is None and "name" not in t:
        c.fail(f"{where}.name", "missing; accepted: a text naming the org (e.g. 'dev')")
    name = str(t.get("name", default_name)).strip()
    extra: dict[str, Any] = {}
    extra["telephony"] = (c.series(t["telephony"], f"{where}.telephony", n, whole=False)
                          if "telephony" in t else tuple(Decimal(0) for _ in range(n)))
    for key in FAIR_USE_KEYS:
        extra[key] = c.series(t[key], f"{where}.{key}", n, whole=False) if key in t else None
    if "users" in t and "sessions" in t:
        c.fail(f"{where}.sessions", "given together with users; accepted: either users or "
               "sessions")
    if "sessions" not in t:
        for key in ("input_timezone", "peak_rule", "min_minutes", "after_data",
                    "other_clients"):
            if key in t:
                c.fail(f"{where}.{key}", "only applies with sessions; accepted: remove it or "
                       "give sessions")
    if "users" in t:
        raw = t["users"]
        if isinstance(raw, Mapping):
            users = {}
            given: dict[str, str] = {}
            for lic_name, values in raw.items():
                lic = _license(c, lic_name, f"{where}.users.{lic_name}")
                if lic in given:  # 'pc2' and 'CX 2': the second list replaced the first
                    c.fail(f"{where}.users.{lic_name}", f"{lic_name!r} is {lic}, given already "
                           f"as {given[lic]!r}; accepted: one list per license")
                given[lic] = lic_name
                users[lic] = c.series(values, f"{where}.users.{lic_name}", n, whole=True)
            users_where = {lic: f"{where}.users.{lic}" for lic in users}
        else:
            users = {contract.license: c.series(raw, f"{where}.users", n, whole=True)}
            users_where = {contract.license: f"{where}.users"}
        _check_org_users(c, by_license, users, users_where, name)
        return [Org(name=name, users=users, **extra)]
    if "sessions" in t:
        return _session_orgs(c, contract, by_license, t, where, base, cache, extra,
                             name if "name" in t else None)
    c.fail(f"{where}.users", "missing; accepted: a list with one user count per period, a table "
           "of such lists per license, or sessions = 'file.csv'")


def _check_org_users(c: _Checker, by_license: Mapping[str, Product],
                     users: Mapping[str, tuple[int, ...]], where: Mapping[str, str],
                     org: str) -> None:
    """Each license must have a license line; one org may not mix PureCloud 1-3 tiers/models."""
    for lic in users:
        if lic not in by_license:
            c.fail(where[lic], f"no license line for {lic} in the contract; accepted: "
                   f"{', '.join(by_license)} (add a [[product]] table for {lic})")
    pool = [lic for lic in users if BY_KEY[lic].concurrent and any(users[lic])]
    if len(pool) > 1:
        models = {by_license[lic].license_model for lic in pool}
        first, second = pool[0], pool[1]
        if len(models) > 1:
            c.fail(where[second], f"org {org!r} mixes named and concurrent PureCloud 1-3 users "
                   f"({first} {by_license[first].license_model}, {second} "
                   f"{by_license[second].license_model}); accepted: one model per org")
        c.fail(where[second], f"org {org!r} mixes PureCloud tiers ({first} and {second}); "
               "accepted: one of pc1, pc2, pc3 per org (RULES.md)")


def _session_orgs(c: _Checker, contract: Contract, by_license: Mapping[str, Product],
                  t: Mapping[str, Any], where: str, base: Path, cache: dict,
                  extra: dict[str, Any], name: str | None) -> list[Org]:
    """Users per period from session data through the usage engine, one org per org found."""
    n = contract.periods
    if not isinstance(t["sessions"], str) or not t["sessions"].strip():
        c.fail(f"{where}.sessions", f"{t['sessions']!r} is not accepted; accepted: the path of a "
               "session file or folder as text, e.g. 'sessions.csv'")
    path = Path(t["sessions"])
    if not path.is_absolute():
        path = base / path
    if not path.exists():
        c.fail(f"{where}.sessions", f"{str(path)!r}: no such file; accepted: a session file "
               "(CSV, Parquet or the analytics API's JSON) relative to the scenario file")
    zone = t.get("input_timezone")
    if zone is not None:
        try:
            get_timezone(zone if isinstance(zone, str) else repr(zone))
        except BillingInputError:
            c.fail(f"{where}.input_timezone", f"{zone!r} is not accepted; accepted: an IANA zone "
                   "such as 'America/New_York', 'Europe/Berlin' or 'UTC'")
    source = SessionSource(
        path=path, input_timezone=zone,
        peak_rule=c.choice(t.get("peak_rule", "cumulative"), f"{where}.peak_rule", PEAK_RULES),
        min_minutes=c.whole(t.get("min_minutes", 30), f"{where}.min_minutes", minimum=1,
                            maximum=MAX_MIN_MINUTES),
        after_data=(c.choice(t["after_data"], f"{where}.after_data", AFTER_DATA)
                    if "after_data" in t else None),
        other_clients=(c.choice(t["other_clients"], f"{where}.other_clients", OTHER_CLIENTS)
                       if "other_clients" in t else None))
    key = (str(path.resolve()), source, contract.order_date, contract.billing_timezone,
           contract.license)
    if key not in cache:
        try:
            cache[key] = source.usage(contract)
        except BillingInputError as exc:  # say which scenario and key the file came from
            c.fail(f"{where}.sessions", str(exc))
    frame = cache[key]
    frame = frame[(frame["period"] >= 0) & (frame["period"] < n)]
    last_k = int(frame["period"].max()) if len(frame) else -1
    measured = frame["period"][frame["coverage"] >= MEASURED_SHARE]
    last_measured = int(measured.max()) if len(measured) else -1
    if source.after_data == "repeat-last" and last_measured < 0 and len(frame):
        c.fail(f"{where}.after_data", f"'repeat-last' needs a measured period, and "
               f"{path.name} covers less than half of every billing period it touches; "
               "accepted: session data covering at least half a period, or 'zero'")
    warned = cache.setdefault("_warned", set())
    if last_k < n - 1 and source.after_data is None and (key, where) not in warned:
        warned.add((key, where))  # once per file and table, not again for each variant
        covers = "no period" if last_k < 0 else f"periods up to {last_k}"
        warnings.warn(f"{c.label}: {where}.sessions: {path.name} covers {covers} of the "
                      f"{n} billed; the periods after it count 0 users (set {where}.after_data "
                      "= 'zero' or 'repeat-last')", BillingWarning, stacklevel=2)
    orgs = []
    org_names = sorted(frame["org"].astype(str).unique())
    if name is not None and len(org_names) > 1:
        c.fail(f"{where}.name", f"the session file holds {len(org_names)} orgs "
               f"({', '.join(org_names)}); accepted: no name (each org keeps its own)")
    for i, org_name in enumerate(org_names):  # a loop over orgs
        rows = frame[frame["org"].astype(str) == org_name]
        users: dict[str, tuple[int, ...]] = {}
        for lic_name in sorted(rows["license"].astype(str).unique()):  # a loop over licenses
            lic = normalize_license(lic_name, where=f"{where}.sessions")
            sub = rows[rows["license"].astype(str) == lic_name]
            product = by_license.get(lic)
            column = ("concurrent_users" if product is not None
                      and product.license_model == "concurrent" else "named_users")
            per = source.per_period(sub, n, column, last_measured)
            if per.any():
                users[lic] = tuple(int(v) for v in per)
        _check_org_users(c, by_license, users,
                         {lic: f"{where}.sessions ({path.name}, org {org_name!r}, license "
                               f"{lic})" for lic in users}, org_name)
        org_extra = extra if i == 0 else {  # telephony and fair use count once, on the first
            "telephony": tuple(Decimal(0) for _ in range(n)),
            **{k: None for k in FAIR_USE_KEYS}}
        orgs.append(Org(name=name or org_name, users=users, sessions=source, **org_extra))
    if not orgs:
        orgs.append(Org(name=name or "production", users={}, sessions=source, **extra))
    return orgs


def _check_rates(c: _Checker, contract: Contract, products: tuple[Product, ...],
                 orgs: list[Org]) -> None:
    """Fair-use usage needs the contract's overage rate (no defaults, RULES.md)."""
    if contract.partner:
        return
    for key, rate_key in (("ivr_minutes", "ivr_overage_rate"),
                          ("api_requests", "api_overage_rate")):
        if any(getattr(o, key) is not None for o in orgs) and getattr(contract, rate_key) is None:
            c.fail(f"contract.{rate_key}", f"missing while usage gives {key}; accepted: the "
                   "contract's rate, a number >= 0 (no published default)")


def _storage_rate(c: _Checker, contract: Contract, data: Mapping[str, Any], storage: Any,
                  orgs: list[Org]) -> Contract:
    """The storage overage rate: ``contract.storage_overage_rate``, else ``[storage]``'s
    ``overage_rate``, else the published 0.25 per GB, which is a USD figure (RULES.md)."""
    given = any(o.storage_gb is not None for o in orgs)
    if storage is not None and given:
        c.fail("storage", "given together with usage storage_gb; accepted: either measured "
               "storage_gb per period or a [storage] forecast")
    if contract.storage_overage_rate is not None or not (given or storage is not None):
        return contract
    if storage is not None and "overage_rate" in data["storage"]:
        return replace(contract, storage_overage_rate=to_decimal(storage.overage_rate))
    if contract.currency != "USD" and not contract.partner:
        c.fail("contract.storage_overage_rate", "missing while storage is billed in "
               f"{contract.currency}; accepted: a number >= 0 (the published "
               f"{STORAGE_OVERAGE_USD_PER_GB} per GB is in USD)")
    return replace(contract, storage_overage_rate=Decimal(repr(STORAGE_OVERAGE_USD_PER_GB)))


def _charge(c: _Checker, t: Mapping[str, Any], where: str, contract: Contract, *,
            hardware: bool) -> Charge:
    c.known(t, HARDWARE_KEYS if hardware else CHARGE_KEYS, where)
    desc = str(c.required(t, "description", where, "a text")).strip()
    if "amount" in t:
        if "quantity" in t or "rate" in t:
            c.fail(f"{where}.amount", "given with quantity/rate; accepted: amount, or quantity "
                   "and rate")
        quantity, rate = Decimal(1), c.money(t["amount"], f"{where}.amount")
    else:
        if contract.partner and "rate" not in t:
            rate = Decimal(0)
        else:
            rate = c.money(c.required(t, "rate", where, "a number >= 0 (or give amount)"),
                           f"{where}.rate")
        quantity = c.money(t.get("quantity", 1), f"{where}.quantity")
    ship = None
    if hardware:
        ship = c.date(c.required(t, "ship_date", where, "a date YYYY-MM-DD"),
                      f"{where}.ship_date")
        end = (anchor_dates(contract.order_date, [contract.periods])[0] - 1).astype(object)
        if ship < contract.order_date:
            c.fail(f"{where}.ship_date", f"{ship} is before the order date "
                   f"{contract.order_date}; accepted: the order date or later")
        if ship > end:  # 2099 for 2026: a typo that put an invoice decades after the contract
            c.fail(f"{where}.ship_date", f"{ship} is after the contract's last billed day {end}; "
                   f"accepted: a date from {contract.order_date} to {end}")
    return Charge(description=desc, quantity=quantity, rate=rate, ship_date=ship)


def contract_from_values(order_date: object, license: str, committed_users: int,
                         prepay_rate: object, term_months: int, **kwargs: Any) -> Contract:
    """A validated :class:`Contract` from plain values (for UDFs and tests)."""
    raw = {"order_date": str(to_date(order_date)), "license": license,
           "committed_users": committed_users, "prepay_rate": to_decimal(prepay_rate),
           "term_months": term_months}
    raw.update({k: (to_decimal(v) if isinstance(v, float) else v)
                for k, v in kwargs.items() if v is not None})
    return _contract(_Checker("contract"), raw)
