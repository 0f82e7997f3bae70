"""Contracts and scenarios from plain values (the Excel functions' cells), validated like a
scenario file: above :mod:`billing_model.io.scenario`, which does not import it back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.contract import Contract, Scenario
from ..core.errors import BillingInputError
from ..core.money import to_decimal
from ..core.periods import to_date
from ..core.schema import CONTRACT_DEFAULTS
from .scenario import scenario_from_mapping
from .scenario_checks import Checker
from .scenario_contract import read_contract

#: the license :func:`scenario_from_values` (and ``BM_INVOICE_SCHEDULE``) bills when none is
#: given: PureCloud 2, the middle tier (a scenario file always names its license)
DEFAULT_LICENSE = "pc2"


def contract_from_values(
    order_date: object,
    license: str,
    committed_users: int,
    prepay_rate: object,
    term_months: int,
    **kwargs: Any,
) -> Contract:
    """A validated :class:`Contract` from plain values (for UDFs and tests)."""
    raw = {
        "order_date": str(to_date(order_date)),
        "license": license,
        "committed_users": committed_users,
        "prepay_rate": to_decimal(prepay_rate),
        "term_months": term_months,
    }
    raw.update(
        {
            k: (to_decimal(v) if isinstance(v, float) else v)
            for k, v in kwargs.items()
            if v is not None
        }
    )
    return read_contract(Checker("contract"), raw)


def _plain(values: object, where: str) -> list | None:
    """A sequence of numbers as a list (Excel ranges arrive as lists, arrays or columns)."""
    if values is None:
        return None
    arr = np.asarray(values, dtype=object).reshape(-1)
    out = []
    for v in arr:  # a loop over periods
        if isinstance(v, np.generic):
            v = v.item()
        if v is None or (isinstance(v, float) and v != v):
            raise BillingInputError(f"{where}: an empty value; accepted: one number per period")
        out.append(v)
    return out


def scenario_from_values(
    order_date: object,
    committed_users: int,
    prepay_rate: object,
    ramp_months: int,
    term_months: int,
    users: Sequence[float],
    *,
    overage_rate: object = None,
    currency: str = CONTRACT_DEFAULTS["currency"],
    ramp_policy: str = CONTRACT_DEFAULTS["ramp_policy"],
    telephony: Sequence[object] | None = None,
    payment_terms_days: int = CONTRACT_DEFAULTS["payment_terms_days"],
    timezone: str = CONTRACT_DEFAULTS["billing_timezone"],
    license: str = DEFAULT_LICENSE,
    license_model: str = CONTRACT_DEFAULTS["license_model"],
    channel: str = CONTRACT_DEFAULTS["channel"],
    months_after_term: int = CONTRACT_DEFAULTS["months_after_term"],
    month_to_month_rate: object = None,
    hourly_rate: object = None,
) -> Scenario:
    """A single-license contract's scenario from plain values, checked as a scenario file is
    (errors name the key, e.g. ``contract.ramp_policy``). Its invoice schedule is
    :func:`billing_model.service.schedule_from_values` (the ``BM_INVOICE_SCHEDULE`` UDF).

    Parameters
    ----------
    order_date : date or ``YYYY-MM-DD``
    committed_users : int
        Prepay quantity.
    prepay_rate : number
        Price per committed user per month.
    ramp_months, term_months : int
    users : sequence of numbers
        Billable users per period (named users or the concurrent peak), at least
        ``ramp_months + term_months + months_after_term`` values; under
        ``license_model = "hourly"`` the logged-in hours per period (the file's ``[usage]
        hours``), each period billed rounded up to a whole hour.
    overage_rate : number, optional
        Price per user above the commitment; defaults to ``prepay_rate``.
    currency, ramp_policy, payment_terms_days, timezone, license, license_model, channel
        As in the scenario file's ``[contract]`` table.
    telephony : sequence of numbers, optional
        Telephony charge per period in the contract currency.
    months_after_term, month_to_month_rate : int, number
        Periods billed month to month after the term and their price per user per month
        (docs/rules.md#month-to-month).
    hourly_rate : number, optional
        Price per billable hour of an ``hourly`` line (docs/rules.md#hourly-licensing); its
        ``committed_users`` is 0 and ``prepay_rate`` may be ``None``.

    Examples
    --------
    >>> s = scenario_from_values("2026-01-15", 0, 171.115, 0, 1, [55], currency="EUR")
    >>> s.contract.currency, s.periods
    ('EUR', 1)
    """
    hourly = isinstance(license_model, str) and license_model.strip().lower() == "hourly"
    contract = {
        "order_date": str(order_date) if not isinstance(order_date, dt.date) else order_date,
        "committed_users": committed_users,
        "prepay_rate": prepay_rate,
        "ramp_months": ramp_months,
        "term_months": term_months,
        "currency": currency,
        "ramp_policy": ramp_policy,
        "payment_terms_days": payment_terms_days,
        "billing_timezone": timezone,
        "license": license,
        "license_model": license_model,
        "channel": channel,
    }
    if overage_rate is not None:
        contract["overage_rate"] = overage_rate
    if months_after_term:
        contract["months_after_term"] = months_after_term
    if month_to_month_rate is not None:
        contract["month_to_month_rate"] = month_to_month_rate
    if hourly_rate is not None:
        contract["hourly_rate"] = hourly_rate
    if prepay_rate is None:  # an hourly line has no prepay (the loader says when one is needed)
        del contract["prepay_rate"]
    contract = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in contract.items()}
    key = "hours" if hourly else "users"
    usage: dict[str, object] = {key: _plain(users, "usage." + key)}
    if telephony is not None:
        usage["telephony"] = _plain(telephony, "usage.telephony")
    return scenario_from_mapping({"contract": contract, "usage": usage}, name="values")
