"""Excel twin of :mod:`billing_model.core.invoice_figures`: the monthly prepay of the term (the
Summary sheet) and what a fair-use overage line bills (the Storage sheet)."""

from __future__ import annotations

from collections.abc import Sequence

from .invoices import required_rate
from .money import line_amount


def monthly_prepay(lines: Sequence[tuple[str, str]], decimals: str = "MoneyDecimals") -> str:
    """The sum of each ``(committed users, prepay rate)`` line rounded to the currency (twin of
    :func:`billing_model.core.invoice_figures.monthly_prepay`).

    >>> monthly_prepay([("CommittedUsers", "PrepayRate"), ("B2", "C2")])
    'ROUND(CommittedUsers*PrepayRate,MoneyDecimals)+ROUND(B2*C2,MoneyDecimals)'
    """
    return "+".join(line_amount(users, rate, decimals) for users, rate in lines)


def fair_use_amount(overage: str, rate: str, decimals: str = "MoneyDecimals") -> str:
    """``overage x rate`` rounded to the currency; an empty rate is 0 without overage, ``#N/A``
    with some (twin of :func:`billing_model.core.invoice_figures.fair_use_amount`).

    >>> fair_use_amount("J5", "StorageOverageRate")
    'ROUND(J5*IF(StorageOverageRate="",IF(J5>0,NA(),0),StorageOverageRate),MoneyDecimals)'
    """
    return line_amount(overage, required_rate(rate, overage), decimals)
