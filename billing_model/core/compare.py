"""Named or concurrent? Both license models priced on the same usage.

Source: ``docs/rules.md#who-is-billable`` and ``docs/rules.md#concurrency-examples`` ("The vendor's
published concurrency method"). The concurrent model is available for PureCloud 1, 2, 3 (CX 1, 2,
3) only; Communicate and Collaborate users are always counted as named, so they cost the same under
both models and are left out of the comparison (their count is reported). Concurrency is computed
per org and billed separately per org: the concurrent quantity of a period is the sum of the orgs'
billable peaks, never a peak across orgs.

Per period ``k`` the comparison prices ``named_users[k] x named_rate`` and
``concurrent_users[k] x concurrent_rate``, each a line rounded half up to the currency's minor
unit (:func:`billing_model.core.money.line_amount`); totals add the rounded lines. The break-even
concurrent rate is the concurrent rate at which both totals are equal: total named cost divided
by the total concurrent quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from .errors import BillingInputError
from .licenses import BY_KEY, normalize_license
from .money import MAX_PRICE, check_currency, line_amount, minor_units, to_decimal

PERIOD_COLUMNS: tuple[str, ...] = (
    "period", "period_start", "period_end", "named_users", "named_cost", "concurrent_users",
    "concurrent_cost", "cheaper", "difference", "always_named_users",
)
"""Columns of :attr:`Comparison.periods`. ``difference`` = named cost - concurrent cost
(positive: concurrent is cheaper). ``always_named_users``: Communicate/Collaborate users, named
under both models and not priced here."""


@dataclass(frozen=True)
class Comparison:
    """Both license models priced on the same usage.

    Attributes
    ----------
    periods : pandas.DataFrame
        One row per billing period, columns :data:`PERIOD_COLUMNS` (costs as ``Decimal``).
    currency : str
    named_rate, concurrent_rate : Decimal
        Price per named user and per concurrent user per month.
    named_users, concurrent_users : int
        Billable quantities added over the periods.
    named_cost, concurrent_cost : Decimal
        Totals (sums of the rounded per-period lines).
    """

    periods: pd.DataFrame
    currency: str
    named_rate: Decimal
    concurrent_rate: Decimal
    named_users: int
    concurrent_users: int
    named_cost: Decimal
    concurrent_cost: Decimal

    @property
    def cheaper(self) -> str:
        """``named``, ``concurrent`` or ``equal``."""
        return _cheaper(self.named_cost, self.concurrent_cost)

    @property
    def saving(self) -> Decimal:
        """How much the cheaper model saves over the other (0 when equal)."""
        return abs(self.named_cost - self.concurrent_cost)

    @property
    def saving_share(self) -> float | None:
        """The saving as a share of the dearer model's cost (``None`` when both cost 0)."""
        dearer = max(self.named_cost, self.concurrent_cost)
        return None if dearer == 0 else float(self.saving / dearer)

    @property
    def break_even_concurrent_rate(self) -> Decimal | None:
        """Concurrent rate at which both models cost the same over the periods
        (:func:`break_even_rate`). A lower concurrent rate makes concurrent cheaper."""
        return break_even_rate(self.named_cost, self.concurrent_users, self.currency)

    @property
    def users_ratio(self) -> float | None:
        """Named users per concurrent user: the largest concurrent/named price ratio at which
        concurrent still pays off (``None`` without concurrent users)."""
        if self.concurrent_users == 0:
            return None
        return self.named_users / self.concurrent_users


def break_even_rate(named_cost: Decimal, concurrent_users: int, currency: str) -> Decimal | None:
    """The concurrent rate at which both models cost the same: the named cost divided by the
    concurrent quantity, rounded half up to the currency's minor unit but never to fewer than
    2 decimals (a rate); ``None`` without concurrent users.

    Excel twin: :func:`billing_model.formulas.compare.break_even_rate` (the Summary sheet).

    >>> break_even_rate(Decimal("5175.00"), 24, "USD"), break_even_rate(Decimal(5175), 24, "JPY")
    (Decimal('215.63'), Decimal('215.63'))
    >>> break_even_rate(Decimal("0.01"), 2, "EUR"), break_even_rate(Decimal(100), 0, "USD")
    (Decimal('0.01'), None)
    """
    if concurrent_users == 0:
        return None
    exact = Decimal(named_cost) / Decimal(concurrent_users)
    quantum = Decimal(1).scaleb(-max(minor_units(currency), 2))
    return exact.quantize(quantum, rounding=ROUND_HALF_UP)


def _cheaper(named: Decimal, concurrent: Decimal) -> str:
    if named == concurrent:
        return "equal"
    return "named" if named < concurrent else "concurrent"


def compare_models(usage: pd.DataFrame, *, named_rate: object, concurrent_rate: object,
                   currency: str = "USD") -> Comparison:
    """Price the named and the concurrent model on the same usage.

    Parameters
    ----------
    usage : pandas.DataFrame
        The usage engine's output (:func:`billing_model.core.usage.compute_usage`): columns ``org``,
        ``period``, ``period_start``, ``period_end``, ``license``, ``named_users``,
        ``concurrent_users``.
    named_rate, concurrent_rate : number
        Price per user per month under each model.
    currency : str
        Currency of both rates (default USD).

    Returns
    -------
    Comparison

    Examples
    --------
    45 named agents never have more than 24 on line at once (one org, one period): at 115 named
    and 175 concurrent, which model is cheaper?

    >>> usage = pd.DataFrame({"org": ["prod"], "period": [0], "period_start": ["2026-01-15"],
    ...     "period_end": ["2026-02-14"], "license": ["pc2"], "named_users": [45],
    ...     "concurrent_users": [24]})
    >>> c = compare_models(usage, named_rate=115, concurrent_rate=175)
    >>> c.named_cost, c.concurrent_cost, c.cheaper, c.saving, c.break_even_concurrent_rate
    (Decimal('5175.00'), Decimal('4200.00'), 'concurrent', Decimal('975.00'), Decimal('215.63'))
    """
    currency = check_currency(currency)
    named_rate = check_rate(named_rate, "named_rate")
    concurrent_rate = check_rate(concurrent_rate, "concurrent_rate")
    needed = {"period", "period_start", "period_end", "license", "named_users",
              "concurrent_users"}
    missing = sorted(needed - set(usage.columns))
    if missing:
        raise BillingInputError(f"usage: missing columns {', '.join(missing)}; accepted: the "
                                "usage engine's output")
    licenses = usage["license"].astype(str).to_numpy()
    uniq, inverse = np.unique(licenses, return_inverse=True)
    pool_of = np.array([BY_KEY[normalize_license(v, where="usage.license")].concurrent
                        for v in uniq], dtype=bool)  # a loop over distinct license names
    pool = pool_of[inverse.reshape(-1)] if len(uniq) else np.zeros(0, dtype=bool)
    frame = pd.DataFrame({
        "period": usage["period"].to_numpy(dtype=np.int64),
        "period_start": usage["period_start"].astype(object).to_numpy(),
        "period_end": usage["period_end"].astype(object).to_numpy(),
        "named_users": np.where(pool, usage["named_users"].to_numpy(dtype=np.int64), 0),
        "concurrent_users": np.where(pool, usage["concurrent_users"].to_numpy(dtype=np.int64),
                                     0),
        "always_named_users": np.where(pool, 0, usage["named_users"].to_numpy(dtype=np.int64)),
    })
    per = (frame.groupby("period", sort=True)
           .agg(period_start=("period_start", "first"), period_end=("period_end", "first"),
                named_users=("named_users", "sum"), concurrent_users=("concurrent_users", "sum"),
                always_named_users=("always_named_users", "sum"))
           .reset_index())
    # a loop over periods: one exact line per model
    named_cost = [line_amount(int(q), named_rate, currency) for q in per["named_users"]]
    conc_cost = [line_amount(int(q), concurrent_rate, currency) for q in per["concurrent_users"]]
    per["named_cost"] = pd.Series(named_cost, dtype=object)
    per["concurrent_cost"] = pd.Series(conc_cost, dtype=object)
    per["cheaper"] = pd.Series([_cheaper(a, b) for a, b in zip(named_cost, conc_cost,
                                                                strict=True)], dtype=object)
    per["difference"] = pd.Series([a - b for a, b in zip(named_cost, conc_cost, strict=True)],
                                  dtype=object)
    per = per[list(PERIOD_COLUMNS)]
    return Comparison(periods=per, currency=currency, named_rate=named_rate,
                      concurrent_rate=concurrent_rate,
                      named_users=int(per["named_users"].sum()),
                      concurrent_users=int(per["concurrent_users"].sum()),
                      named_cost=sum(named_cost, Decimal(0)),
                      concurrent_cost=sum(conc_cost, Decimal(0)))


def check_rate(value: object, where: str) -> Decimal:
    """A price >= 0 as an exact decimal, or a one-line error naming ``where``."""
    try:
        rate = to_decimal(value, where=where)
    except BillingInputError:
        rate = Decimal("NaN")
    if not rate.is_finite() or not 0 <= rate <= MAX_PRICE:
        raise BillingInputError(f"{where}: {value!r} is not accepted; accepted: a price per user "
                                f"per month from 0 to {MAX_PRICE:,}")
    return rate
