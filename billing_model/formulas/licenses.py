"""Excel twin of :mod:`billing_model.core.licenses`: a license key's label, looked up in the license
table (``LicenseKeys``, ``LicenseLabels``) written from
:data:`billing_model.core.licenses.LICENSES`.
"""

from __future__ import annotations

KEYS, LABELS = "LicenseKeys", "LicenseLabels"


def license_label(license: str = "License") -> str:
    """The label of a license key (twin of ``billing_model.core.licenses.BY_KEY[key].label``).

    >>> license_label()
    'INDEX(LicenseLabels,MATCH(License,LicenseKeys,0))'
    """
    return f"INDEX({LABELS},MATCH({license},{KEYS},0))"
