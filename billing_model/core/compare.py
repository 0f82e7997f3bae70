"""Named or concurrent? Both license models priced on the same usage.

Source: ``docs/rules.md#who-is-billable`` and ``docs/rules.md#concurrency-examples`` ("The vendor's
published concurrency method"). The concurrent model is available for PureCloud 1, 2, 3 (CX 1, 2,
3) only; Communicate and Collaborate users are always counted as named, so they cost the same under
both models and are left out of the comparison (their count is reported). Concurrency is computed
per org and billed separately per org: the concurrent quantity of a period is the sum of the orgs'
billable peaks, never a peak across orgs. An org whose sessions name more than one region is
refused (:func:`billing_model.core.regions.check_one_region`).

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
from .regions import check_one_region
from .validate import shown

PERIOD_COLUMNS: tuple[str, ...] = (
    "period",
    "period_start",
    "period_end",
    "named_users",
    "named_cost",
    "concurrent_users",
    "concurrent_cost",
    "cheaper",
    "difference",
    "always_named_users",
)
"""Columns of :attr:`Comparison.periods`. ``difference`` = named cost - concurrent cost
(positive: concurrent is cheaper). ``always_named_users``: Communicate/Collaborate users, named
under both models and not priced here."""
#: the columns an hourly rate adds (:func:`compare_models` with ``hourly_rate``): the billable
#: hours of the PureCloud 1-3 users (docs/rules.md#hourly-licensing) and their cost
HOURLY_COLUMNS: tuple[str, ...] = ("hourly_hours", "hourly_cost")


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
    #: with an hourly rate: the rate per billable hour, the billable hours added over the
    #: periods and their cost (sum of the rounded per-period lines); else ``None``
    hourly_rate: Decimal | None = None
    hourly_hours: int | None = None
    hourly_cost: Decimal | None = None

    @property
    def cheapest(self) -> str:
        """``named``, ``concurrent``, ``hourly`` (with an hourly rate), two of them joined by
        `` = `` when they tie for the lowest cost, or ``equal`` when all cost the same."""
        return _cheapest(self.named_cost, self.concurrent_cost, self.hourly_cost)

    @property
    def break_even_hourly_rate(self) -> Decimal | None:
        """Rate per billable hour at which hourly costs the same as named over the periods,
        rounded half up to the currency's minor unit (``None`` without an hourly rate or without
        billable hours). A lower hourly rate makes hourly cheaper than named."""
        if not self.hourly_hours:
            return None
        exact = self.named_cost / Decimal(self.hourly_hours)
        quantum = Decimal(1).scaleb(-max(minor_units(self.currency), 2))
        return exact.quantize(quantum, rounding=ROUND_HALF_UP)

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


def _cheapest(named: Decimal, concurrent: Decimal, hourly: Decimal | None) -> str:
    """The model with the lowest cost; two that share it are named together
    (``concurrent = hourly``: "equal" said named cost the same too); ``equal`` when all do.

    >>> _cheapest(Decimal(3), Decimal(2), Decimal(2)), _cheapest(Decimal(1), Decimal(1), None)
    ('concurrent = hourly', 'equal')
    """
    if hourly is None:
        return _cheaper(named, concurrent)
    costs = {"named": named, "concurrent": concurrent, "hourly": hourly}
    low = min(costs.values())
    best = [k for k, v in costs.items() if v == low]
    return best[0] if len(best) == 1 else ("equal" if len(best) == 3 else " = ".join(best))


def compare_models(
    usage: pd.DataFrame,
    *,
    named_rate: object,
    concurrent_rate: object,
    currency: str = "USD",
    hourly_rate: object = None,
) -> Comparison:
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
        Currency of the rates (default USD).
    hourly_rate : number, optional
        Price per billable hour of the hourly model (docs/rules.md#hourly-licensing): adds
        :data:`HOURLY_COLUMNS` (the PureCloud 1-3 rows' ``billable_hours`` added per period, and
        their cost) and the ``hourly_*`` totals; ``cheaper`` per period is then the cheapest of
        the three models.

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
    if hourly_rate is not None:
        hourly_rate = check_rate(hourly_rate, "hourly_rate", per="billable hour")
    needed = {
        "period",
        "period_start",
        "period_end",
        "license",
        "named_users",
        "concurrent_users",
        *(["billable_hours"] if hourly_rate is not None else []),
    }
    missing = sorted(needed - set(usage.columns))
    if missing:
        raise BillingInputError(
            f"usage: missing columns {', '.join(missing)}; accepted: the usage engine's output"
        )
    if "region" in usage.columns:  # the concurrent side bills one region per org
        check_one_region(usage["org"].to_numpy(), usage["region"].to_numpy())
    licenses = usage["license"].astype(str).to_numpy()
    uniq, inverse = np.unique(licenses, return_inverse=True)
    pool_of = np.array(
        [BY_KEY[normalize_license(v, where="usage.license")].concurrent for v in uniq], dtype=bool
    )  # a loop over distinct license names
    pool = pool_of[inverse.reshape(-1)] if len(uniq) else np.zeros(0, dtype=bool)
    frame = pd.DataFrame(
        {
            "period": usage["period"].to_numpy(dtype=np.int64),
            "period_start": usage["period_start"].astype(object).to_numpy(),
            "period_end": usage["period_end"].astype(object).to_numpy(),
            "named_users": np.where(pool, usage["named_users"].to_numpy(dtype=np.int64), 0),
            "concurrent_users": np.where(
                pool, usage["concurrent_users"].to_numpy(dtype=np.int64), 0
            ),
            "always_named_users": np.where(pool, 0, usage["named_users"].to_numpy(dtype=np.int64)),
            "hourly_hours": np.where(pool, usage["billable_hours"].to_numpy(dtype=np.int64), 0)
            if hourly_rate is not None
            else np.zeros(len(pool), dtype=np.int64),
        }
    )
    per = (
        frame.groupby("period", sort=True)
        .agg(
            period_start=("period_start", "first"),
            period_end=("period_end", "first"),
            named_users=("named_users", "sum"),
            concurrent_users=("concurrent_users", "sum"),
            always_named_users=("always_named_users", "sum"),
            hourly_hours=("hourly_hours", "sum"),
        )
        .reset_index()
    )
    # a loop over periods: one exact line per model
    named_cost = [line_amount(int(q), named_rate, currency) for q in per["named_users"]]
    conc_cost = [line_amount(int(q), concurrent_rate, currency) for q in per["concurrent_users"]]
    per["named_cost"] = pd.Series(named_cost, dtype=object)
    per["concurrent_cost"] = pd.Series(conc_cost, dtype=object)
    hourly_cost: list[Decimal | None] = (
        [line_amount(int(q), hourly_rate, currency) for q in per["hourly_hours"]]
        if hourly_rate is not None
        else [None] * len(per)
    )
    per["cheaper"] = pd.Series(
        [_cheapest(a, b, h) for a, b, h in zip(named_cost, conc_cost, hourly_cost, strict=True)],
        dtype=object,
    )
    per["difference"] = pd.Series(
        [a - b for a, b in zip(named_cost, conc_cost, strict=True)], dtype=object
    )
    per["hourly_cost"] = pd.Series(hourly_cost, dtype=object)
    per = per[[*PERIOD_COLUMNS, *(HOURLY_COLUMNS if hourly_rate is not None else ())]]
    hourly = hourly_rate is not None
    return Comparison(
        periods=per,
        currency=currency,
        named_rate=named_rate,
        concurrent_rate=concurrent_rate,
        named_users=int(per["named_users"].sum()),
        concurrent_users=int(per["concurrent_users"].sum()),
        named_cost=sum(named_cost, Decimal(0)),
        concurrent_cost=sum(conc_cost, Decimal(0)),
        hourly_rate=hourly_rate,
        hourly_hours=int(per["hourly_hours"].sum()) if hourly else None,
        hourly_cost=sum((c for c in hourly_cost if c is not None), Decimal(0)) if hourly else None,
    )


def check_rate(value: object, where: str, *, per: str = "user per month") -> Decimal:
    """A price >= 0 as an exact decimal, or a one-line error naming ``where``."""
    try:
        rate = to_decimal(value, where=where)
    except BillingInputError:
        rate = Decimal("NaN")
    if not rate.is_finite() or not 0 <= rate <= MAX_PRICE:
        raise BillingInputError(
            f"{where}: {shown(value)} is not accepted; accepted: a price per "
            f"{per} from 0 to {MAX_PRICE:,}"
        )
    return rate
