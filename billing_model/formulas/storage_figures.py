"""Excel twin of :mod:`billing_model.core.storage_figures`: the Storage sheet's own figures (a
period's calls per day, the retention choices' steady calls a day and GB over the allowance).
"""

from __future__ import annotations


def calls_per_day(calls_per_month: str, days: str) -> str:
    """A period's calls over its days (twin of
    :func:`billing_model.core.storage_figures.calls_per_day`)."""
    return f"{calls_per_month}/{days}"


def steady_calls_per_day(calls_per_month: str = "CallsPerMonth") -> str:
    """Calls a day of a steady volume, a year's calls over its days (twin of
    :func:`billing_model.core.storage_figures.steady_calls_per_day`).

    >>> steady_calls_per_day()
    '(CallsPerMonth*12/365)'
    """
    return f"({calls_per_month}*12/365)"


def over_allowance(gb: str, allowance: str) -> str:
    """GB above an allowance, never below 0 (the third figure of
    :func:`billing_model.core.storage_figures.retention_choice`)."""
    return f"MAX({gb}-{allowance},0)"
