"""Figures the workbook shows of an invoice schedule, each a rule of the invoice engine
(:mod:`billing_model.core.invoices`) in one place:

- the monthly prepay of the term: each license line's committed users x its prepay rate,
  rounded as an invoice line, summed (:func:`monthly_prepay`: the Summary sheet);
- what a fair-use overage line bills: the overage at its rate, rounded as a line; a rate the
  contract does not give (storage outside USD) bills nothing while there is no overage and is
  no figure once there is (:func:`fair_use_amount`), and a period's storage overage and its
  amount over the workbook's grid (:func:`storage_overage_invoiced`: the Storage sheet).

Money is exact: Decimal lines rounded half up to the currency's minor unit, totals as sums of
rounded lines (docs/rules.md#rounding). Excel twin: :mod:`billing_model.formulas.invoice_figures`,
tested against this module in ``tests/test_formulas.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from .contract import Product
from .invoices import fair_use_overage
from .money import line_amount, to_decimal


def monthly_prepay(products: Sequence[Product], currency: str) -> Decimal:
    """What a term period's prepay lines bill together: each line's committed users x its
    prepay rate rounded to the currency (as :func:`~billing_model.core.invoices.invoice_schedule`
    rounds each line), summed. A line without a prepay rate (an hourly line, a partner's) adds 0.

    Examples
    --------
    55 committed users at 171.115 EUR: the invoice line is 9411.33, not 9411.325.

    >>> from billing_model.core.contract import Product
    >>> monthly_prepay([Product("pc2", "named", 55, Decimal("171.115"), None)], "EUR")
    Decimal('9411.33')
    """
    return sum(
        (line_amount(p.committed_users, p.prepay_rate or 0, currency) for p in products),
        Decimal(0),
    )


def fair_use_amount(overage: Decimal, rate: Decimal | None, currency: str) -> Decimal | None:
    """What a fair-use overage line bills: ``overage x rate`` rounded to the currency. Without a
    rate: 0 while there is no overage, else ``None`` (no figure: the contract must give the
    rate, as the loader says; the sheet shows ``#N/A``).

    Examples
    --------
    >>> fair_use_amount(Decimal("12.5"), Decimal("0.25"), "USD")
    Decimal('3.13')
    >>> fair_use_amount(Decimal(0), None, "EUR"), fair_use_amount(Decimal(1), None, "EUR")
    (Decimal('0.00'), None)
    """
    if rate is None:
        return line_amount(0, 0, currency) if overage == 0 else None
    return line_amount(overage, rate, currency)


def storage_overage_invoiced(
    used: Sequence[Decimal] | None,
    allowance: Sequence[float] | np.ndarray,
    rate: Decimal | None,
    currency: str,
    *,
    billed: int,
    periods: int,
) -> tuple[list[float], list[Decimal | None]]:
    """Each of ``periods`` periods' storage GB above ``allowance`` and what its invoice line
    bills at ``rate`` (:func:`fair_use_amount`): the billed storage ``used``
    (:func:`~billing_model.core.invoices.storage_usage`) in the ``billed`` periods, 0 past them
    and without storage. The overage is rounded to 9 decimals as its twin
    (:func:`billing_model.formulas.invoices.fair_use_overage`) rounds it: float noise of the
    sheet's sums bills no line the exact decimals leave out.

    Examples
    --------
    10 and 30 GB kept against 20 GB included, at 0.25 USD per GB; a third period not billed:

    >>> storage_overage_invoiced([Decimal(10), Decimal(30)], [20.0, 20.0, 20.0],
    ...                          Decimal("0.25"), "USD", billed=2, periods=3)
    ([0.0, 10.0, 0.0], [Decimal('0.00'), Decimal('2.50'), Decimal('0.00')])
    """
    overage = [
        round(float(fair_use_overage(used[k], allowance[k])), 9)
        if used is not None and k < billed
        else 0.0
        for k in range(periods)
    ]
    return overage, [fair_use_amount(to_decimal(q), rate, currency) for q in overage]
