"""Excel twin of :mod:`billing_model.core.allowances`: fair-use allowances from the FairUse table.

The table (``FairUseKey`` = ``license|model`` and one column per feature) is written on the
Sources sheet from :data:`billing_model.core.allowances.FAIR_USE`. A license without a row of its
own model falls back to its named row (Communicate is always named), then to 0 (Collaborate), as
:func:`billing_model.core.allowances.per_user_allowance` does.
"""

from __future__ import annotations

#: defined name of each feature's column of the FairUse table
COLUMNS: dict[str, str] = {
    "storage_gb": "FairUseStorageGB",
    "ivr_minutes": "FairUseIvrMinutes",
    "api_requests": "FairUseApiRequests",
}
KEY = "FairUseKey"


def per_user_allowance(
    license: str = "License", license_model: str = "LicenseModel", feature: str = "storage_gb"
) -> str:
    """What one billable user brings per month (twin of
    :func:`billing_model.core.allowances.per_user_allowance`).

    >>> per_user_allowance("License_2", "LicenseModel_2", "ivr_minutes").startswith(
    ...     'IFERROR(INDEX(FairUseIvrMinutes,MATCH(License_2&"|"&LicenseModel_2,FairUseKey,0))')
    True
    """
    table = COLUMNS[feature]
    return (
        f'IFERROR(INDEX({table},MATCH({license}&"|"&{license_model},{KEY},0)),'
        f'IFERROR(INDEX({table},MATCH({license}&"|named",{KEY},0)),0))'
    )


def fair_use_allowance(
    users: str,
    committed: str = "0",
    license: str = "License",
    license_model: str = "LicenseModel",
    feature: str = "storage_gb",
) -> str:
    """max(committed, users) x the per-user allowance (twin of
    :func:`billing_model.core.allowances.fair_use_allowance`)."""
    return f"MAX({committed},{users})*{per_user_allowance(license, license_model, feature)}"
