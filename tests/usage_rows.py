"""Sessions for the usage tests, written as rows: timestamps around a Monday, crowds of agents,
and Sessions made with or without the reader (shared by test_usage and test_usage_kernel)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from billing_model.core.sessions import Sessions
from billing_model.core.usage import compute_usage
from billing_model.io.sessions import sessions_from_columns

T0 = pd.Timestamp("2026-01-05T14:00:00Z")  # a Monday, well inside the period from 2026-01-01


def at(minutes, seconds=0):
    return T0 + pd.Timedelta(minutes=minutes, seconds=seconds)


def sessions(rows, **kw):
    """rows: (user, start, end[, license[, client[, org]]]) with starts/ends as Timestamps."""
    user = [r[0] for r in rows]
    start = [r[1].isoformat() for r in rows]
    end = [r[2].isoformat() for r in rows]
    lic = [r[3] if len(r) > 3 else "pc2" for r in rows]
    client = [r[4] if len(r) > 4 else "desktop" for r in rows]
    org = [r[5] if len(r) > 5 else "prod" for r in rows]
    return sessions_from_columns(user, start, end, license=lic, client=client, org=org, **kw)


def usage(rows, **kw):
    kw.setdefault("order_date", "2026-01-01")
    return compute_usage(sessions(rows), **kw)


def crowd(n, start_min, end_min, prefix, license="pc2"):
    return [(f"{prefix}{i:04d}", at(start_min), at(end_min), license) for i in range(n)]


def direct_sessions(rows):
    """Sessions straight from ``(user, org, license, client, start_ns, end_ns)`` rows, with no
    reader in between (zero-length sessions kept, as the readers keep them)."""
    from billing_model.core.licenses import BY_KEY
    from billing_model.core.sessions import BILLABLE_CLIENTS

    user_ids, user = np.unique([r[0] for r in rows], return_inverse=True)
    org_names, org = np.unique([r[1] for r in rows], return_inverse=True)
    return Sessions(
        user=user.astype(np.int64),
        org=org.astype(np.int64),
        rank=np.array([BY_KEY[r[2]].rank for r in rows], np.int8),
        start_ns=np.array([r[4] for r in rows], np.int64),
        end_ns=np.array([r[5] for r in rows], np.int64),
        billable=np.array([r[3] in BILLABLE_CLIENTS for r in rows]),
        user_ids=user_ids.astype(object),
        org_names=org_names.astype(object),
    )
