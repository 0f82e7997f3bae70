"""Regions: concurrent usage is computed and billed apart per geographic region.

Source: the PureCloud billing FAQ (``docs/rules.md#orgs-and-regions``): "Concurrent billing in
PureCloud is limited to organizations that are contained within a single geographic region.
Concurrent usage is calculated and billed separately for each geographic region."

Sessions may name their ``region`` (a column of CSV and Parquet input, ``--region`` for rows
without one). The usage engines never pool a concurrent peak across regions: each region of an
org is a pool of its own, and the usage rows carry a ``region`` column
(:class:`billing_model.core.usage.UsagePartial`). Under the concurrent license model an org
whose sessions name more than one region is refused (:func:`check_one_region`); named billing
counts users per org and region and says nothing.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .errors import BillingInputError


def check_one_region(org: ArrayLike, region: ArrayLike, *, where: str = "sessions") -> None:
    """Refuse, in one line naming the org and its regions, the first org (in name order) whose
    rows name more than one region: the concurrent model bills one region per org.

    ``org`` and ``region``: one value per usage row (or session).

    >>> check_one_region(["prod", "prod", "dev"], ["us-east-1", "us-east-1", "eu-west-1"])
    >>> check_one_region(["prod", "prod"], ["us-east-1", "eu-west-1"])
    Traceback (most recent call last):
    ...
    billing_model.core.errors.BillingInputError: sessions: org 'prod' has sessions in 2 regions \
(eu-west-1, us-east-1); accepted under the concurrent license model: one region per org (the \
FAQ: concurrent usage is calculated and billed separately for each geographic region; \
docs/rules.md#orgs-and-regions), or named licensing
    """
    org = np.asarray(org, dtype=object).astype(str)
    region = np.asarray(region, dtype=object).astype(str)
    pairs = sorted(set(zip(org.tolist(), region.tolist(), strict=True)))  # distinct pairs
    names = [o for o, _ in pairs]
    for name in sorted(set(names)):  # a loop over orgs
        regions = [r for o, r in pairs if o == name]
        if len(regions) > 1:
            raise BillingInputError(
                f"{where}: org {name!r} has sessions in {len(regions)} regions "
                f"({', '.join(regions)}); accepted under the concurrent license model: one "
                "region per org (the FAQ: concurrent usage is calculated and billed separately "
                "for each geographic region; docs/rules.md#orgs-and-regions), or named licensing"
            )
