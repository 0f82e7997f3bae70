"""The contract's fields, declared once: every reader of a ``[contract]`` key reads this table.

One :class:`Field` per key of a scenario's ``[contract]`` table (and of ``[[product]]`` and
``[[variant]]``, which take some of the same keys): its name, type (``kind``), accepted range
(a row of :data:`~billing_model.core.limits.LIMITS`) or choices, default, unit, help text and
the rule it comes from. The readers:

- the TOML loader (:mod:`billing_model.io.scenario_contract`): accepted keys, parsing
  (:meth:`Field.parse`), what a missing key's message accepts, defaults;
- the :class:`~billing_model.core.contract.Contract` dataclass's defaults and
  :data:`~billing_model.core.contract.CONTRACT_DEFAULTS`, which the Excel functions
  (:mod:`billing_model.udfs`) and :func:`~billing_model.io.scenario_values.schedule_from_values`
  take their defaults from;
- the workbook's Inputs and Variant inputs sheets (label, defined name, unit, note, data
  validation, the ``InputsOK`` check and its reason text);
- the key table of ``docs/invoices.md`` (``tests/test_schema.py`` checks it is
  :func:`docs_table`'s output) and the tests' map of defined names to keys.

Adding a contract field is one :class:`Field` here plus its rule (the engine reading the new
``Contract`` attribute, and its Excel formula): see "Adding a contract field" in
``docs/invoices.md``.

Why a frozen dataclass and no library (pydantic, msgspec, attrs + cattrs): the fields are 19
rows read by five consumers that are not all validation -- Excel data validations and formulas,
a Markdown table, UDF defaults -- so the table has to be plain data anyway; the checks already
exist in :mod:`billing_model.core.validate` with the project's one-line messages (what, where,
what is accepted), which a library's error objects would have to be translated back into. The
whole schema is this module, whose code (not the table) is about 120 lines, and it adds no
dependency to the engines.

Examples
--------
What does ``payment_terms_days`` accept, and what is its default?

>>> f = FIELDS["payment_terms_days"]
>>> f.accepted(), f.default, f.unit, f.name
('a whole number from 0 to 365', 30, 'days', 'PaymentTermsDays')
>>> FIELDS["ramp_policy"].parse(" No-Software-Charges", "contract.ramp_policy")
'no-software-charges'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import validate
from .errors import BillingInputError
from .licenses import LICENSE_KEYS, normalize_license
from .limits import LIMITS, Limit
from .money import CURRENCIES
from .periods import DEFAULT_TIMEZONE, parse_zone


class _Required:
    """The default of a key the contract cannot do without."""

    def __repr__(self) -> str:
        return "REQUIRED"


#: the ``default`` of a required key
REQUIRED: Any = _Required()


class _TheContracts:
    """The default of a ``[[product]]`` key that takes the contract's value."""

    def __repr__(self) -> str:
        return "THE_CONTRACTS"


#: the ``product_default`` of a ``[[product]]`` key that defaults to the contract's value
THE_CONTRACTS: Any = _TheContracts()

RAMP_POLICIES: tuple[str, ...] = ("actual-usage", "no-software-charges")
"""``actual-usage``: the FAQ ("billed based on actual usage during the ramp and at the rates
contracted"); ``no-software-charges``: the vendor's current FAQ (no user charges during the ramp;
telephony and fair-use overages still bill). Source: docs/rules.md#ramp."""

CHANNELS: tuple[str, ...] = ("direct", "partner")
"""``partner``: the billing report shows usage but no cost (FAQ, "Why does my billing report show
no cost?"): the schedule keeps quantities and leaves rates and amounts empty."""

LICENSE_MODELS: tuple[str, ...] = ("named", "concurrent", "hourly")
"""The PureCloud 1-3 license models (docs/rules.md#license-models; ``hourly``:
docs/rules.md#hourly-licensing)."""

#: kinds of field and what :meth:`Field.parse` returns for each
KINDS = {
    "date": "datetime.date",
    "whole": "int",
    "number": "Decimal",
    "choice": "str",
    "license": "str (a license key)",
    "zone": "periods.Zone (an IANA name, a str)",
    "text": "str (as written)",
}

_ZONE_ACCEPTED = "an IANA zone such as 'America/New_York', 'Europe/Berlin' or 'UTC'"
_LICENSE_ACCEPTED = f"{', '.join(LICENSE_KEYS)} (or 'PureCloud 2', 'CX 2', ...)"


@dataclass(frozen=True)
class Field:
    """One contract field.

    Attributes
    ----------
    key : str
        The TOML key and the :class:`~billing_model.core.contract.Contract` attribute.
    kind : str
        One of :data:`KINDS`.
    label : str
        What the workbook's sheets call it (``Payment terms``).
    unit : str
        The unit the Inputs sheet shows beside the value (``days``).
    help : str
        One line for the docs' key table (Markdown).
    note : str
        The Inputs sheet's note (``{ramp_max}``, ``{term_max}``, ``{periods}``: the workbook's
        grid); empty when the workbook writes its own.
    source : str
        Where its rule is documented (``docs/rules.md#payment-terms``).
    default : object
        The value when the key is absent, :data:`REQUIRED`, or ``None`` (no value).
    limit : str or None
        The row of :data:`~billing_model.core.limits.LIMITS` of a ``date``, ``whole`` or
        ``number``.
    choices : tuple of str
        The accepted values of a ``choice`` (or the license keys of a ``license``).
    required : str
        The docs table's "required" column when it is not plain ``yes``/empty
        (``yes (direct)``: the loader's rule decides).
    shown_default : str
        The docs table's default when it is not ``default`` itself (``prepay_rate``).
    missing : str
        What the message for a missing value accepts, when not :meth:`accepted`.
    product : bool
        Also a key of ``[[product]]`` (a further license line).
    product_default : object
        Its default in a ``[[product]]``: :data:`REQUIRED`, :data:`THE_CONTRACTS` (the
        contract's value), or a value (``None``: no value unless given).
    product_missing : str
        What the message for a ``[[product]]`` leaving out a required key accepts.
    in_formulas : bool
        The workbook's formulas read it, so each variant has its own input (the billing time
        zone only places sessions, which are counted when the workbook is built).
    bare_label : str
        The label where no unit stands beside it (the Variant inputs sheet), when the unit has
        to join it (``Payment terms (days)``).
    """

    key: str
    kind: str
    label: str
    unit: str
    help: str
    note: str
    source: str
    default: Any = None
    limit: str | None = None
    choices: tuple[str, ...] = ()
    required: str = ""
    shown_default: str = ""
    missing: str = ""
    product: bool = False
    product_default: Any = None
    product_missing: str = ""
    in_formulas: bool = True
    bare_label: str = ""

    @property
    def name(self) -> str:
        """The workbook's defined name of the input: ``payment_terms_days`` ->
        ``PaymentTermsDays``."""
        return "".join(part.capitalize() for part in self.key.split("_"))

    @property
    def is_required(self) -> bool:
        return self.default is REQUIRED

    @property
    def range(self) -> Limit | None:
        """The field's :class:`~billing_model.core.limits.Limit` (``None`` for choices)."""
        return LIMITS[self.limit] if self.limit else None

    def accepted(self) -> str:
        """What a refusal says is accepted (``a whole number from 0 to 365``)."""
        if self.kind == "date":
            return "a date YYYY-MM-DD"
        if self.kind == "zone":
            return _ZONE_ACCEPTED
        if self.kind == "license":
            return _LICENSE_ACCEPTED
        if self.kind == "choice":
            return ", ".join(self.choices)
        if self.kind == "text":
            return self.missing or "text"
        limit = self.range
        assert limit is not None, f"{self.key}: a {self.kind} field names its limit"
        return limit.accepted()

    def missing_text(self) -> str:
        """What the message for a required key left out accepts."""
        return self.missing or self.accepted()

    def parse(self, value: Any, where: str) -> Any:
        """``value`` as the contract holds it, or a one-line error starting with ``where``
        (``basic.toml: contract.currency``). Choices ignore case and surrounding spaces and
        come back as declared (``eur`` is ``EUR``)."""
        if self.kind == "date":
            return validate.date(value, where, self.limit or "order_date")
        if self.kind == "whole":
            return validate.whole(value, where, self.limit or "count")
        if self.kind == "number":
            return validate.number(value, where, self.limit or "price")
        if self.kind == "choice":
            by_text = {c.lower(): c for c in self.choices}
            text = value.strip().lower() if isinstance(value, str) else None
            if text not in by_text:
                validate.refuse(where, value, self.accepted())
            return by_text[text]
        if self.kind == "text":  # as written: its reader trims it (a session option's name)
            if not isinstance(value, str):
                validate.refuse(where, value, self.accepted())
            return value
        if self.kind == "zone":  # a Zone: the name, with its ZoneInfo for the engines
            try:
                return parse_zone(value if isinstance(value, str) else str(value))
            except BillingInputError:
                validate.refuse(where, value, _ZONE_ACCEPTED)
        if self.kind == "license":  # text only: str(['pc2']) would read as pc2
            if not isinstance(value, str):
                validate.refuse(where, value, _LICENSE_ACCEPTED)
            try:
                return normalize_license(value, where=where)
            except BillingInputError:
                validate.refuse(where, value, _LICENSE_ACCEPTED)
        raise ValueError(f"{self.key}: unknown kind {self.kind!r}; accepted: {', '.join(KINDS)}")


_RATE = "per user-month"

#: every ``[contract]`` key, in the order of the docs' table and the Inputs sheet
CONTRACT_FIELDS: tuple[Field, ...] = (
    Field(
        "order_date",
        "date",
        "Order date",
        "date",
        "contract effective date, `2026-01-15`; period k starts on its day k months later "
        "(days 29-31 clamp to the month's end and come back: Jan 31 → Feb 28 → Mar 31)",
        "Contract effective date: period k starts on this day k months later (days 29-31 "
        "clamp to the month's end). docs/rules.md#anchor-days.",
        "docs/rules.md#anchor-days",
        REQUIRED,
        limit="order_date",
    ),
    Field(
        "currency",
        "choice",
        "Currency",
        "ISO code",
        "AUD BRL CAD EUR GBP JPY NZD USD (JPY has no minor unit)",
        "AUD BRL CAD EUR GBP JPY NZD USD (billing FAQ). JPY lines round to whole yen, the "
        "others to cents. Number formats show the scenario's currency.",
        "docs/rules.md#currencies",
        "USD",
        choices=tuple(CURRENCIES),
    ),
    Field(
        "billing_timezone",
        "zone",
        "Billing time zone",
        "IANA zone",
        'IANA zone of the billing periods (the FAQ\'s "EST")',
        "Periods run from local midnight of the anchor day (FAQ: 'EST'). Used when sessions "
        "are counted; the formulas here work in whole days.",
        "docs/rules.md#time-zone",
        parse_zone(DEFAULT_TIMEZONE),
        in_formulas=False,
    ),
    Field(
        "license_model",
        "choice",
        "License model",
        "",
        "`named`, `concurrent` or `hourly` (PureCloud 1-3 only; Communicate and "
        "Collaborate are always named)",
        "named: everyone who logged in; concurrent: the billable peak (PureCloud 1-3 only). "
        "docs/rules.md#who-is-billable.",
        "docs/rules.md#license-models",
        "named",
        choices=LICENSE_MODELS,
        product=True,
        product_default=THE_CONTRACTS,
    ),
    Field(
        "license",
        "license",
        "License",
        "license key",
        "license of the main line: `pc1` `pc2` `pc3` `communicate` `collaborate`, or "
        "`PureCloud 2`, `CX 2`, ...",
        "pc1/pc2/pc3 = PureCloud 1-3 (CX 1-3), communicate, collaborate. Decides the fair-use "
        "allowances (Sources sheet).",
        "docs/rules.md#license-models",
        REQUIRED,
        choices=LICENSE_KEYS,
        missing="a license such as pc2",
        product=True,
        product_default=REQUIRED,
        product_missing="a license such as communicate",
    ),
    Field(
        "committed_users",
        "whole",
        "Committed users",
        "users",
        "prepay (committed) quantity, a whole number ≥ 0 (0, or left out, for `hourly`)",
        "Prepay quantity, invoiced in advance at the start of each term period.",
        "docs/rules.md#advance-and-arrears",
        REQUIRED,
        limit="count",
        product=True,
        product_default=0,
        required="yes (not `hourly`)",
    ),
    Field(
        "prepay_rate",
        "number",
        "Prepay rate",
        _RATE,
        "price per committed user per month",
        "Contract rate per committed user per month; ramp actuals are billed at it too (FAQ: "
        "'at the rates contracted').",
        "docs/rules.md#invoices",
        None,
        limit="price",
        required="yes (direct, not `hourly`)",
        missing="a number >= 0 (price per user per month)",
        product=True,
    ),
    Field(
        "hourly_rate",
        "number",
        "Hourly rate",
        "per billable hour",
        "price per billable hour of an `hourly` line (its logged-in hours per period, "
        "rounded up to a whole hour), in arrears",
        "Per billable hour of an hourly line (docs/rules.md#hourly-licensing): its billable "
        "hours (Usage sheet) x this rate, in arrears each period; no commitment, no prepay.",
        "docs/rules.md#hourly-licensing",
        None,
        limit="price",
        required="if `hourly` (direct)",
        product=True,
        in_formulas=False,
    ),
    Field(
        "overage_rate",
        "number",
        "Overage rate",
        _RATE,
        "price per user above the commitment per month",
        "Per user above the commitment, invoiced in arrears (defaults to the prepay rate).",
        "docs/rules.md#invoices",
        None,
        limit="price",
        shown_default="`prepay_rate`",
        product=True,
    ),
    Field(
        "month_to_month_rate",
        "number",
        "Month-to-month rate",
        _RATE,
        "price per user per month after the term (the published rate the contract names); "
        "a direct contract with `months_after_term` > 0 needs it",
        "Per user per month in the months after the term, billed in arrears on actual users "
        "(the published rate; docs/rules.md#month-to-month).",
        "docs/rules.md#month-to-month",
        None,
        limit="price",
        required="if `months_after_term` > 0 (direct)",
        product=True,
    ),
    Field(
        "ramp_months",
        "whole",
        "Ramp months",
        "periods",
        "ramp periods before the term",
        "Ramp periods before the term, 0 to {ramp_max}: the grids of this workbook hold "
        "{periods} periods, every ramp + term accepted here.",
        "docs/rules.md#ramp",
        LIMITS["ramp_months"].default,
        limit="ramp_months",
    ),
    Field(
        "ramp_policy",
        "choice",
        "Ramp policy",
        "",
        "`actual-usage` (FAQ: ramp billed on actual usage at the contracted rates) or "
        "`no-software-charges` (the vendor's current FAQ: no user charges during the ramp; "
        "telephony and fair-use overages still bill)",
        "actual-usage: users billed on actual usage at the contract rate (the FAQ); "
        "no-software-charges: no user charges during the ramp (the vendor's current FAQ). "
        "docs/rules.md#invoices.",
        "docs/rules.md#ramp",
        "actual-usage",
        choices=RAMP_POLICIES,
    ),
    Field(
        "term_months",
        "whole",
        "Term months",
        "periods",
        "term periods, ≥ 1; the term begins right after the ramp",
        "Subscription term, 1 to {term_max} months; it begins right after the ramp. After it "
        "the contract runs month to month (Months after term).",
        "docs/rules.md#invoices",
        REQUIRED,
        limit="term_months",
    ),
    Field(
        "months_after_term",
        "whole",
        "Months after term",
        "periods",
        "periods after the term billed month to month (no renewal): actual users in arrears "
        "at `month_to_month_rate`, no prepay",
        "Periods after the term without a renewal, 0 to {after_max}: actual users billed in "
        "arrears at the month-to-month rate, no commitment (docs/rules.md#month-to-month).",
        "docs/rules.md#month-to-month",
        LIMITS["months_after_term"].default,
        limit="months_after_term",
    ),
    Field(
        "payment_terms_days",
        "whole",
        "Payment terms",
        "days",
        'due date = invoice date + this ("net 30")',
        "Due date = invoice date + these days (net 30, billing FAQ).",
        "docs/rules.md#payment-terms",
        LIMITS["payment_terms_days"].default,
        limit="payment_terms_days",
        bare_label="Payment terms (days)",
    ),
    Field(
        "channel",
        "choice",
        "Channel",
        "",
        "`partner`: the report shows quantities but no cost (rates optional)",
        "partner: bought through a partner, whose billing report shows usage but no cost "
        "(FAQ): amounts are 0 here.",
        "docs/rules.md#partner-channel",
        "direct",
        choices=CHANNELS,
    ),
    Field(
        "ivr_overage_rate",
        "number",
        "IVR overage rate",
        "per minute",
        "price per basic routing/IVR minute above the allowance (contract-specific, no default)",
        "Per basic routing/IVR minute above the fair-use allowance; contract-specific, no "
        "published default (docs/rules.md#storage-overage).",
        "docs/rules.md#ivr-and-api",
        None,
        limit="price",
        required="if `ivr_minutes` given",
    ),
    Field(
        "api_overage_rate",
        "number",
        "API overage rate",
        "per request",
        "price per API request above the allowance (contract-specific, no default)",
        "Per API request above the fair-use allowance; contract-specific, no published "
        "default (docs/rules.md#invoices).",
        "docs/rules.md#ivr-and-api",
        None,
        limit="price",
        required="if `api_requests` given",
    ),
    Field(
        "storage_overage_rate",
        "number",
        "Storage overage rate",
        "per GB-month",
        "price per GB-month above the allowance",
        "",
        "docs/rules.md#storage-overage",
        None,
        limit="price",
        shown_default="see below",
    ),
)

#: key -> :class:`Field`
FIELDS: dict[str, Field] = {f.key: f for f in CONTRACT_FIELDS}
#: the keys ``[contract]`` accepts, in declaration order
CONTRACT_KEYS: tuple[str, ...] = tuple(FIELDS)
#: the keys ``[[product]]`` accepts (a further license line)
PRODUCT_KEYS: tuple[str, ...] = tuple(f.key for f in CONTRACT_FIELDS if f.product)
#: the defaults of the optional keys (``None``: no value unless given), which the Contract,
#: the scenario values and the Excel functions read (``CONTRACT_DEFAULTS["payment_terms_days"]
#: == 30``)
CONTRACT_DEFAULTS: dict[str, Any] = {f.key: f.default for f in CONTRACT_FIELDS if not f.is_required}


def product_docs_table() -> str:
    """The Markdown table of ``[[product]]`` keys in ``docs/invoices.md``: each key a further
    license line takes, when it is required and its default there (a test keeps the docs equal
    to it)."""
    rows = ["| key | required | default |", "|---|---|---|"]
    for f in CONTRACT_FIELDS:
        if not f.product:
            continue
        required = "yes" if f.product_default is REQUIRED else ""
        default = ""
        if f.product_default is THE_CONTRACTS:
            default = "the contract's"
        elif f.product_default is None:
            required, default = f.required, f.shown_default
        elif f.product_default is not REQUIRED:
            default = f"`{f.product_default}`"
        cells = (f"`{f.key}`", required, default)
        rows.append("|" + "|".join(f" {c} " if c else " " for c in cells) + "|")
    return "\n".join(rows)


def docs_table() -> str:
    """The Markdown table of ``[contract]`` keys in ``docs/invoices.md`` (a test keeps the docs
    equal to it)."""
    rows = ["| key | required | default | meaning |", "|---|---|---|---|"]
    for f in CONTRACT_FIELDS:
        required = f.required or ("yes" if f.is_required else "")
        if f.shown_default:
            default = f.shown_default
        elif f.default is None or f.is_required:
            default = ""
        elif isinstance(f.default, str):
            default = f"`{f.default}`"
        else:
            default = str(f.default)
        cells = (f"`{f.key}`", required, default, f.help)
        rows.append("|" + "|".join(f" {c} " if c else " " for c in cells) + "|")
    return "\n".join(rows)


__all__ = [
    "CHANNELS",
    "CONTRACT_DEFAULTS",
    "CONTRACT_FIELDS",
    "CONTRACT_KEYS",
    "FIELDS",
    "LICENSE_MODELS",
    "PRODUCT_KEYS",
    "RAMP_POLICIES",
    "REQUIRED",
    "THE_CONTRACTS",
    "Field",
    "docs_table",
    "product_docs_table",
]
