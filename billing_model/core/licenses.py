"""License tiers as data.

Source: ``docs/rules.md#who-is-billable``, the billing FAQ ("How are users counted
in PureCloud services, as named or concurrent?"). A new tier is a row of :data:`LICENSES`.

``rank`` orders the tiers: a user who held several licenses in a billing period is billed at the
highest rank (FAQ: "The user type billed is the highest level license assigned to that user during
the billing period"). ``concurrent`` says whether the tier may be licensed concurrently (only
PureCloud 1, 2, 3 / CX 1, 2, 3; Communicate and Collaborate users are always named).

Excel twin: :mod:`billing_model.formulas.licenses` (labels looked up in the license table the
workbook writes from :data:`LICENSES`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .errors import BillingInputError
from .validate import shown


@dataclass(frozen=True)
class License:
    key: str
    rank: int
    label: str
    concurrent: bool
    aliases: tuple[str, ...]


LICENSES: tuple[License, ...] = (
    License(
        "collaborate",
        0,
        "Collaborate",
        False,
        ("collaborate", "purecloudcollaborate", "genesyscloudcollaborate"),
    ),
    License(
        "communicate",
        1,
        "Communicate",
        False,
        ("communicate", "purecloudcommunicate", "genesyscloudcommunicate", "cxcommunicate"),
    ),
    License(
        "pc1",
        2,
        "PureCloud 1 / CX 1",
        True,
        ("pc1", "purecloud1", "cx1", "gc1", "genesyscloud1", "genesyscloudcx1", "cloudcx1"),
    ),
    License(
        "pc2",
        3,
        "PureCloud 2 / CX 2",
        True,
        ("pc2", "purecloud2", "cx2", "gc2", "genesyscloud2", "genesyscloudcx2", "cloudcx2"),
    ),
    License(
        "pc3",
        4,
        "PureCloud 3 / CX 3",
        True,
        ("pc3", "purecloud3", "cx3", "gc3", "genesyscloud3", "genesyscloudcx3", "cloudcx3"),
    ),
)

LICENSE_KEYS: tuple[str, ...] = tuple(lic.key for lic in LICENSES)
BY_KEY: dict[str, License] = {lic.key: lic for lic in LICENSES}
BY_RANK: dict[int, License] = {lic.rank: lic for lic in LICENSES}
#: lowest rank that can be licensed concurrently (the concurrent pool is rank >= this)
POOL_MIN_RANK: int = min(lic.rank for lic in LICENSES if lic.concurrent)
#: license key per rank, as an array for vectorized look-ups
KEY_BY_RANK = np.array([BY_RANK[r].key for r in range(len(LICENSES))], dtype=object)

_ALIASES: dict[str, str] = {alias: lic.key for lic in LICENSES for alias in lic.aliases}
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")

ACCEPTED = "collaborate, communicate, pc1, pc2, pc3 (or 'PureCloud 2', 'CX 2', ...)"


def normalize_license(value: object, *, where: str = "") -> str:
    """Return the license key (``pc2``) for a name such as ``"PureCloud 2"`` or ``"CX 2"``.

    Case, spaces, hyphens and underscores are ignored.

    >>> normalize_license("PureCloud 2"), normalize_license("cx-3"), normalize_license("PC1")
    ('pc2', 'pc3', 'pc1')
    """
    text = _NOT_ALNUM.sub("", str(value).strip().lower())
    try:
        return _ALIASES[text]
    except KeyError:
        prefix = f"{where}: " if where else ""
        raise BillingInputError(
            f"{prefix}unknown license {shown(value)}; accepted: {ACCEPTED}"
        ) from None
