"""Excel twin of :mod:`billing_model.core.compare`: the break-even concurrent rate.

The Summary sheet prices the named model of one period with
:func:`billing_model.formulas.money.line_amount` and divides by the concurrent peak here, as
:attr:`billing_model.core.compare.Comparison.break_even_concurrent_rate` does over the periods.
"""

from __future__ import annotations


def break_even_rate(named_cost: str, concurrent_users: str, decimals: str = "MoneyDecimals") -> str:
    """named cost / concurrent quantity, rounded half up to the currency's decimals but never
    fewer than 2; empty without concurrent users (twin of
    :func:`billing_model.core.compare.break_even_rate`).

    >>> break_even_rate("B5", "B6")
    'IF(B6=0,"",ROUND(B5/B6,MAX(MoneyDecimals,2)))'
    """
    return f'IF({concurrent_users}=0,"",ROUND({named_cost}/{concurrent_users},MAX({decimals},2)))'
