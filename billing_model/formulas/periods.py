"""Excel twin of :mod:`billing_model.core.periods`: the billing-period calendar in whole days.

``EDATE`` computes each anchor from the original order date and clamps days 29-31 to the
month's end, as :func:`billing_model.core.periods.anchor_dates` does (Jan 31 -> Feb 28 -> Mar 31).
"""

from __future__ import annotations


def period_start(k: int | str, order_date: str = "OrderDate") -> str:
    """First day of period ``k`` (twin of :func:`billing_model.core.periods.anchor_dates`).

    >>> period_start("A5")
    'EDATE(OrderDate,A5)'
    """
    return f"EDATE({order_date},{k})"


def period_end(k: int | str, order_date: str = "OrderDate") -> str:
    """Last day of period ``k``: the day before period ``k + 1`` starts.

    >>> period_end(2), period_end("A5")
    ('EDATE(OrderDate,3)-1', 'EDATE(OrderDate,A5+1)-1')
    """
    after = k + 1 if isinstance(k, int) else f"{k}+1"
    return f"EDATE({order_date},{after})-1"


def period_of_day(date: str, starts: str = "PeriodStart") -> str:
    """Period ``k`` a date falls in, from the column of period starts (twin of
    :func:`billing_model.core.periods.period_of_day`; the Storage sheet's daily model).

    >>> period_of_day("O5")
    'MATCH(O5,PeriodStart,1)-1'
    """
    return f"MATCH({date},{starts},1)-1"
