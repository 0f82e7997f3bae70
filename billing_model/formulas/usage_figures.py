"""Excel twin of :mod:`billing_model.core.usage_figures`: the count a license line bills and the
concurrent / named ratio (the Usage and Summary sheets)."""

from __future__ import annotations


def billed_count(license_model: str, named: str, concurrent: str) -> str:
    """The concurrent peak under the concurrent model, else the named users (twin of
    :func:`billing_model.core.usage_figures.billed_count`).

    >>> billed_count("LicenseModel", "E5", "F5")
    'IF(LicenseModel="concurrent",F5,E5)'
    """
    return f'IF({license_model}="concurrent",{concurrent},{named})'


def concurrent_share(named: str, peak: str) -> str:
    """Concurrent peak per named user (twin of
    :func:`billing_model.core.usage_figures.concurrent_share`)."""
    return f"{peak}/MAX({named},1)"
