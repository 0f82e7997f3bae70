"""The contract data model: plain typed values, no TOML and no files.

A scenario is a contract (order date, currency, license lines, commitment, rates, ramp, term,
payment terms, channel), the usage of each organization per billing period, one-time and hardware
charges, optionally a storage forecast, and named variants of itself (a finance ramp study
compares the same contract under several ramp lengths and policies side by side).

All frozen dataclasses; money as :class:`decimal.Decimal`, dates as :class:`datetime.date`. The
engines take these values as given (they are validated once, where they are read:
:mod:`billing_model.io.scenario`).

- :class:`Scenario` -- ``name``, ``contract`` (:class:`Contract`), ``products`` (tuple of
  :class:`Product`: the contract's license lines, the first one from ``[contract]``), ``orgs``
  (tuple of :class:`Org`: the production org from ``[usage]`` first, then each ``[[org]]``),
  ``one_time`` and ``hardware`` (tuples of :class:`Charge`), ``storage`` (the storage engine's
  ``StorageSettings`` or ``None``), ``source`` (the file), ``quote`` (:class:`Quote`: customer,
  title, validity; or ``None``), and :meth:`Scenario.variants`.
- Per-period sequences hold one value per calendar period ``k = 0, 1, ...`` from the order date
  and cover ``ramp_months + term_months + months_after_term`` periods: the ramp, the term and
  the periods billed month to month after it (docs/rules.md#month-to-month); values past those
  are not billed.

Sources for the rules: ``docs/invoices.md`` and ``docs/rules.md``.

Examples
--------
>>> import datetime as dt
>>> c = Contract(order_date=dt.date(2026, 1, 15), license="pc2", committed_users=100,
...              term_months=12, ramp_months=3, prepay_rate=Decimal(110))
>>> c.periods, c.payment_terms_days
(15, 30)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .concurrency import DEFAULT_MIN_MINUTES, PEAK_RULES
from .errors import BillingInputError
from .licenses import BY_KEY
from .periods import MEASURED_SHARE, BillingCalendar
from .schema import CHANNELS, CONTRACT_DEFAULTS, FIELDS, RAMP_POLICIES

if TYPE_CHECKING:
    import pandas as pd

AFTER_DATA: tuple[str, ...] = ("zero", "repeat-last")
"""What billed periods after the last period of session data hold: ``zero`` users, or the
``repeat-last`` period's users (a quote from one measured month). Unset: zero, with a warning."""
FAIR_USE_KEYS: tuple[str, ...] = ("ivr_minutes", "api_requests", "storage_gb")


@dataclass(frozen=True)
class Contract:
    """The commercial terms of a subscription.

    Attributes
    ----------
    order_date : datetime.date
        Contract effective date; period ``k`` starts on its anchor day ``k`` months later.
    currency : str
        ISO code, one of :data:`billing_model.core.money.CURRENCIES` (default ``USD``).
    billing_timezone : str
        IANA zone of the billing periods (default ``America/New_York``, the FAQ's "EST"). The
        loader gives a :class:`~billing_model.core.periods.Zone`: the name, parsed once, which
        the engines use without looking it up again.
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
    months_after_term : int
        Periods after the term billed month to month: actual users in arrears at
        ``month_to_month_rate``, no prepay (default 0, docs/rules.md#month-to-month).
    month_to_month_rate : Decimal or None
        Price per user per month of the main license line in those periods (``None`` only
        without them, or for the partner channel).
    hourly_rate : Decimal or None
        Price per billable hour of the main license line under ``license_model = "hourly"``
        (docs/rules.md#hourly-licensing).
    payment_terms_days : int
        Days from invoice date to due date (default 30: "net 30", docs/rules.md#payment-terms).
    channel : str
        ``direct`` or ``partner`` (default ``direct``).
    ivr_overage_rate, api_overage_rate, storage_overage_rate : Decimal or None
        Contract rates per basic routing/IVR minute, per API request and per GB-month of storage
        above the fair-use allowance. Contract-specific inputs with no default
        (docs/rules.md#ivr-and-api), except storage in USD, which defaults to the published
        0.25 USD/GB.
    """

    order_date: dt.date
    license: str
    committed_users: int
    term_months: int
    prepay_rate: Decimal | None = None
    overage_rate: Decimal | None = None
    # the defaults are the schema's (core/schema.py), the one declaration of each field
    currency: str = FIELDS["currency"].default
    billing_timezone: str = FIELDS["billing_timezone"].default
    license_model: str = FIELDS["license_model"].default
    ramp_months: int = FIELDS["ramp_months"].default
    ramp_policy: str = FIELDS["ramp_policy"].default
    payment_terms_days: int = FIELDS["payment_terms_days"].default
    channel: str = FIELDS["channel"].default
    ivr_overage_rate: Decimal | None = None
    api_overage_rate: Decimal | None = None
    storage_overage_rate: Decimal | None = None
    months_after_term: int = FIELDS["months_after_term"].default
    month_to_month_rate: Decimal | None = None
    hourly_rate: Decimal | None = None

    @property
    def periods(self) -> int:
        """Billed periods: ramp, term and the months after the term."""
        return self.ramp_months + self.term_months + self.months_after_term

    @property
    def term_end(self) -> int:
        """The first period after the term (ramp plus term periods): periods from it on are
        billed month to month, when ``months_after_term`` says so."""
        return self.ramp_months + self.term_months

    @property
    def partner(self) -> bool:
        return self.channel == "partner"


@dataclass(frozen=True)
class Product:
    """One license line of the contract: what is committed and at which rates.

    ``license_model`` is the model the line is billed under (Communicate and Collaborate are
    always ``named``); ``month_to_month_rate`` its price per user per month after the term
    (per billable hour for an ``hourly`` line), ``hourly_rate`` its price per billable hour.
    The first product comes from ``[contract]``, further ones from ``[[product]]`` tables
    (e.g. Communicate seats beside PureCloud 2 agents).
    """

    license: str
    license_model: str
    committed_users: int
    prepay_rate: Decimal | None
    overage_rate: Decimal | None
    month_to_month_rate: Decimal | None = None
    hourly_rate: Decimal | None = None

    @property
    def hourly(self) -> bool:
        """Billed per logged-in hour: its ``users`` are billable hours per period."""
        return self.license_model == "hourly"

    @property
    def label(self) -> str:
        """``PureCloud 2 / CX 2 named`` -- used in invoice line descriptions."""
        return f"{BY_KEY[self.license].label} {self.license_model}"


@dataclass(frozen=True)
class SessionSource:
    """Where an org's users per period came from: a session file and the usage options.

    ``after_data`` says what the periods after the data hold: ``None`` or ``"zero"`` (no users)
    or ``"repeat-last"`` (the last measured period again, for a quote from one measured month).

    ``records`` (the file's :class:`~billing_model.core.sessions.Sessions`) and ``usage`` (the usage
    engine's rows on the contract's calendar) are filled once by the loader
    (:func:`billing_model.io.scenario.session_usage`, counting with the usage engine that
    :mod:`billing_model.service` gives it), so a build reads each file once.
    """

    path: Path
    input_timezone: str | None = None
    peak_rule: str = PEAK_RULES[0]
    min_minutes: int = DEFAULT_MIN_MINUTES
    after_data: str | None = None
    other_clients: str | None = None
    other_presence: str | None = None
    #: the region of rows without one (``region`` of ``[usage]`` or ``[[org]]``; the CLI's
    #: ``--region``): concurrent peaks are never pooled across regions
    region: str | None = None
    records: Any = field(default=None, compare=False, repr=False)
    usage: Any = field(default=None, compare=False, repr=False)

    def coverage(self, calendar: BillingCalendar, n: int) -> np.ndarray:
        """The share (0-1) of each period ``0 .. n-1`` that the data's window (its earliest start
        to its latest end, every session counted, API ones too) covers: a period the window
        covers with no billable user is *measured* all the same (0 users)."""
        start, end = self.records.span()
        return calendar.coverage(np.arange(n), start, end)

    def last_measured(self, calendar: BillingCalendar, n: int) -> int:
        """The last of the periods ``0 .. n-1`` that the data measures (covers at least half:
        :data:`~billing_model.core.periods.MEASURED_SHARE`), whether or not anyone logged in
        then; -1 when none is. What ``repeat-last`` repeats (docs/rules.md#after-the-data)."""
        measured = np.flatnonzero(self.coverage(calendar, n) >= MEASURED_SHARE)
        return int(measured[-1]) if len(measured) else -1

    def per_period(self, rows: pd.DataFrame, n: int, column: str, last_k: int) -> np.ndarray:
        """``column`` of usage ``rows`` summed per period ``0 .. n-1``. Under ``repeat-last``
        every period after ``last_k`` (the last *measured* period, :meth:`last_measured`), a
        partial one included, holds ``last_k``'s users (0 when nobody logged in then): never a
        partial period's. Periods up to ``last_k`` keep what the data says."""
        per = np.zeros(n, dtype=np.int64)
        rows = rows[(rows["period"] >= 0) & (rows["period"] < n)]
        np.add.at(
            per,
            rows["period"].to_numpy(dtype=np.int64),
            rows[column].fillna(0).to_numpy(dtype=np.int64),
        )
        if self.after_data == "repeat-last" and 0 <= last_k < n - 1:
            per[last_k + 1 :] = per[last_k]
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
    given : dict[str, tuple]
        Every value the scenario file gives for each series (``users:<license>``,
        ``telephony``, a fair-use key), also those past ramp + term, which the engines do not
        bill: the workbook keeps them for a longer ramp or term typed into it.
    telephony_reported : bool
        Its telephony came from a voice report (``[telephony] voice_report``), priced per voice
        cycle: the report's own warning names its calls outside the contract's cycles, so the
        warning of data past the term does not name its telephony again.
    """

    name: str
    users: Mapping[str, tuple[int, ...]]
    telephony: tuple[Decimal, ...]
    ivr_minutes: tuple[Decimal, ...] | None = None
    api_requests: tuple[Decimal, ...] | None = None
    storage_gb: tuple[Decimal, ...] | None = None
    sessions: SessionSource | None = None
    given: Mapping[str, tuple[int | Decimal, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    telephony_reported: bool = False


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
class Quote:
    """Who a quote is for (the scenario's ``[quote]`` table): the workbook's Quote sheet and
    the customer-facing titles use it instead of the scenario's file name.

    Attributes
    ----------
    customer : str
        The customer's name, as it appears on the quote.
    title : str
        The quote's title (the Quote and Summary sheets' heading, the workbook's title).
    valid_until : datetime.date
        Last day the offer holds.
    seller, contact, email, phone : str
        Who sends the quote: the seller's company, its contact person, e-mail and phone (empty
        when the scenario does not say).
    number : str
        The quote's number (empty when not given).
    issued : datetime.date or None
        The day the quote is issued (on or before ``valid_until``).
    """

    customer: str
    title: str
    valid_until: dt.date
    seller: str = ""
    contact: str = ""
    email: str = ""
    phone: str = ""
    number: str = ""
    issued: dt.date | None = None


@dataclass(frozen=True)
class Scenario:
    """A contract with its usage: everything the invoice schedule needs.

    Built by :func:`billing_model.io.scenario.load_scenario` (a TOML file) or
    :func:`~billing_model.io.scenario.scenario_from_mapping`.
    """

    name: str
    contract: Contract
    products: tuple[Product, ...]
    orgs: tuple[Org, ...]
    one_time: tuple[Charge, ...] = ()
    hardware: tuple[Charge, ...] = ()
    storage: Any = None
    source: Path | None = None
    quote: Quote | None = None
    variant_of: str | None = None
    _variants: tuple[tuple[str, Scenario], ...] = field(default=(), repr=False, compare=False)

    @property
    def periods(self) -> int:
        """Number of billed periods: ramp, term and months after the term."""
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
        raise BillingInputError(
            f"{self.name}: variant {name!r} is not defined; accepted: {accepted}"
        )

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


__all__ = [
    "AFTER_DATA",
    "CHANNELS",
    "CONTRACT_DEFAULTS",
    "FAIR_USE_KEYS",
    "PEAK_RULES",
    "RAMP_POLICIES",
    "Charge",
    "Contract",
    "Org",
    "Product",
    "Quote",
    "Scenario",
    "SessionSource",
]
