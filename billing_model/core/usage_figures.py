"""The usage engine's figures as the Usage and Summary sheets show them.

From the usage engine's rows (:func:`billing_model.core.usage.compute_usage`: one row per org,
period and license): the PureCloud 1-3 pool, whose users may be licensed concurrent
(``docs/rules.md#who-is-billable``); its busiest period (the largest sum of the orgs' billable
peaks: concurrency is billed per org, so the orgs' peaks add up); its first measured period (the
first with named users); which count a license line bills (the concurrent peak under the
concurrent model, else the named users); the concurrent / named ratio.

Excel twin: :mod:`billing_model.formulas.usage_figures` (the billed count and the ratio), tested
against this module in ``tests/test_formulas.py``.
"""

from __future__ import annotations

import pandas as pd

from .licenses import BY_KEY


def pool_usage(usage: pd.DataFrame) -> pd.DataFrame:
    """The rows of the licenses that may be licensed concurrent (PureCloud 1-3)."""
    # astype(bool): an empty object Series would select columns, not rows (KeyError: period)
    return usage[usage["license"].map(lambda k: BY_KEY[k].concurrent).astype(bool)]


def _per_period(usage: pd.DataFrame) -> pd.DataFrame:
    return pool_usage(usage).groupby("period")[["named_users", "peak_concurrent"]].sum()


def busiest_period(usage: pd.DataFrame) -> tuple[int, int]:
    """``(k, peak)``: the pool's period with the largest sum of the orgs' billable peaks (the
    first of equals; ``(0, 0)`` without pool rows).

    >>> rows = pd.DataFrame({"org": ["a", "b", "a", "b", "a"], "period": [0, 0, 1, 1, 1],
    ...     "license": ["pc2", "pc2", "pc2", "pc3", "communicate"],
    ...     "named_users": [9, 4, 8, 5, 60], "peak_concurrent": [6, 3, 5, 4, 50]})
    >>> busiest_period(rows), first_measured_period(rows)
    ((0, 9), (0, 13, 9))
    """
    per = _per_period(usage)["peak_concurrent"]
    if not len(per):
        return 0, 0
    k = int(per.index[int(per.to_numpy().argmax())])  # the first busiest, as idxmax
    return k, int(per.loc[k])


def first_measured_period(usage: pd.DataFrame) -> tuple[int, int, int]:
    """``(k, named users, peak)`` of the pool's first period with named users, the orgs added
    up (``(0, 0, 0)`` without one)."""
    per = _per_period(usage)
    measured = per[per["named_users"] > 0]
    if not len(measured):
        return 0, 0, 0
    return (
        int(measured.index[0]),
        int(measured["named_users"].iloc[0]),
        int(measured["peak_concurrent"].iloc[0]),
    )


def pool_billable_hours(usage: pd.DataFrame, k: int) -> int:
    """The pool's billable hours in period ``k``, the orgs' and licenses' added up (each
    rounded up on its own by the usage engine: docs/rules.md#hourly-licensing); 0 without
    them.

    >>> rows = pd.DataFrame({"org": ["a", "b", "a"], "period": [0, 0, 0],
    ...     "license": ["pc2", "pc2", "communicate"], "billable_hours": [223, 40, 99]})
    >>> pool_billable_hours(rows, 0), pool_billable_hours(rows, 1)
    (263, 0)
    """
    pool = pool_usage(usage)
    if "billable_hours" not in pool.columns:
        return 0
    return int(pool.loc[pool["period"] == k, "billable_hours"].fillna(0).sum())


def billed_count(license_model: str, named: int, concurrent: int) -> int:
    """The count a license line bills: the concurrent peak under the concurrent model, else the
    named users.

    >>> billed_count("concurrent", 45, 24), billed_count("named", 45, 24)
    (24, 45)
    """
    return concurrent if license_model == "concurrent" else named


def concurrent_share(named: int, peak: int) -> float:
    """Concurrent peak per named user (a concurrent license pays off below the named price /
    this ratio); the peak itself without named users.

    >>> concurrent_share(40, 24), concurrent_share(0, 0)
    (0.6, 0.0)
    """
    return peak / max(named, 1)
