"""Fair-use allowances per billable user per month, as data.

Source: ``docs/rules.md#allowances``, from the vendor's "fair use policy"
and "data storage usage and charges" pages. Allowances count the billable users of each license in
the period, using the greater of the commitment and the actual usage. Collaborate carries no
allowance. Communicate is always named, so its named row serves both models.

Excel twin: :mod:`billing_model.formulas.allowances` (looks up the FairUse table the workbook
writes from :data:`FAIR_USE`), tested against this module in ``tests/test_formulas.py``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .errors import BillingInputError
from .licenses import BY_KEY, normalize_license

FEATURES: tuple[str, ...] = ("storage_gb", "ivr_minutes", "api_requests")
MODELS: tuple[str, ...] = ("named", "concurrent", "hourly")

#: (license, model) -> (storage GB, basic routing/IVR minutes, API requests) per user per month;
#: for the ``hourly`` model per billable hour (the vendor's "Genesys Cloud hourly user
#: licenses", https://help.mypurecloud.com/?p=214024; docs/rules.md#hourly-licensing)
FAIR_USE: dict[tuple[str, str], tuple[float, float, float]] = {
    ("communicate", "named"): (5.0, 500.0, 10_000.0),
    ("pc1", "named"): (17.5, 1_750.0, 75_000.0),
    ("pc1", "concurrent"): (22.75, 2_275.0, 97_500.0),
    ("pc2", "named"): (25.0, 2_500.0, 110_000.0),
    ("pc2", "concurrent"): (32.5, 3_250.0, 143_000.0),
    ("pc3", "named"): (32.5, 3_250.0, 140_000.0),
    ("pc3", "concurrent"): (42.25, 4_225.0, 182_000.0),
    ("pc1", "hourly"): (0.16, 16.0, 675.0),
    ("pc2", "hourly"): (0.23, 23.0, 990.0),
    ("pc3", "hourly"): (0.30, 29.0, 1_260.0),
}

#: the published example overage rate for storage, USD per GB per month
STORAGE_OVERAGE_USD_PER_GB = 0.25

SOURCE = "docs/rules.md#allowances (vendor fair use policy; data storage usage and charges)"


def check_model(model: object, *, where: str = "license_model") -> str:
    text = str(model).strip().lower()
    if text not in MODELS:
        raise BillingInputError(
            f"{where}: unknown license model {model!r}; accepted: {', '.join(MODELS)}"
        )
    return text


def per_user_allowance(license: str, license_model: str, feature: str) -> float:
    """The allowance one billable user brings per month.

    >>> per_user_allowance("PureCloud 2", "named", "storage_gb")
    25.0
    """
    key = normalize_license(license, where="license")
    model = check_model(license_model)
    if feature not in FEATURES:
        raise BillingInputError(
            f"feature: unknown fair-use feature {feature!r}; accepted: {', '.join(FEATURES)}"
        )
    if not BY_KEY[key].concurrent:
        model = "named"  # Communicate and Collaborate are always counted as named
    row = FAIR_USE.get((key, model))
    return 0.0 if row is None else row[FEATURES.index(feature)]


def fair_use_allowance(
    license: str, license_model: str, feature: str, users: ArrayLike, committed: ArrayLike = 0
) -> np.ndarray:
    """Allowance for a period: max(committed, users) x the per-user allowance (vectorized).

    Examples
    --------
    How much storage do 20 PureCloud 2 named agents get before overage is billed?

    >>> float(fair_use_allowance("pc2", "named", "storage_gb", 20))
    500.0
    """
    count = np.asarray(users, dtype=float)
    if np.any(count < 0) or np.any(np.asarray(committed, dtype=float) < 0):
        raise BillingInputError("users: a negative number of users; accepted: 0 or more")
    billable = np.maximum(count, np.asarray(committed, dtype=float))
    allowance: np.ndarray = billable * per_user_allowance(license, license_model, feature)
    return allowance
