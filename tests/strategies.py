"""Hypothesis strategies shared by the tests (STYLE.md: one module, as numpy-financial's).

Sessions as rows for the slow reference (:data:`session_rows`), as partitioned part files for the
two engines (:func:`partitioned_sessions`), as Excel-like columns for the UDFs
(:data:`session_lists`); money amounts and rates; storage settings.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from billing_model.core.storage import StorageSettings

# --- sessions --------------------------------------------------------------------------------

BASE = pd.Timestamp("2026-03-08T00:00Z").value  # DST weekend; periods from 2026-03-08 or -31
LICENSES = ["collaborate", "communicate", "pc1", "pc2", "pc3"]
CLIENTS = ["desktop", "web", "mobile", "api"]

session_rows = st.lists(
    st.tuples(
        st.sampled_from(["u1", "u2", "u3", "u4", "u5", "u6"]),
        st.sampled_from(["a", "b"]),
        st.sampled_from(LICENSES),
        st.sampled_from(CLIENTS),
        st.integers(-3 * 86400, 3 * 86400),  # start, seconds from BASE
        st.one_of(
            st.integers(0, 400 * 60),  # duration, seconds
            st.integers(0, 130),
        ),
    ),  # short: within or across a minute mark
    min_size=1,
    max_size=25,
)


BOUNDARY = pd.Timestamp("2026-03-01T05:00Z")  # local midnight, America/New_York, order Feb 1


@st.composite
def partitioned_sessions(draw):
    """Random sessions near a period boundary, scattered over 1-4 parts of mixed formats."""
    n_users = draw(st.integers(1, 8))
    n = draw(st.integers(1, 40))
    user = draw(st.lists(st.integers(0, n_users - 1), min_size=n, max_size=n))
    org = draw(st.lists(st.sampled_from(["east", "west"]), min_size=n, max_size=n))
    lic = draw(st.lists(st.sampled_from(["communicate", "pc1", "pc2"]), min_size=n, max_size=n))
    client = draw(
        st.lists(st.sampled_from(["desktop", "web", "mobile", "api"]), min_size=n, max_size=n)
    )
    # starts within three hours of the boundary, to the second; lengths 0 to 4 hours (some
    # cross it), some under two minutes (within or across one minute mark)
    start = draw(st.lists(st.integers(-180 * 60, 180 * 60), min_size=n, max_size=n))
    length = draw(
        st.lists(st.one_of(st.integers(0, 240 * 60), st.integers(0, 130)), min_size=n, max_size=n)
    )
    n_parts = draw(st.integers(1, 4))
    part = draw(st.lists(st.integers(0, n_parts - 1), min_size=n, max_size=n))
    formats = draw(
        st.lists(st.sampled_from(["csv", "parquet"]), min_size=n_parts, max_size=n_parts)
    )
    frame = pd.DataFrame(
        {
            "user_id": [f"u{u}" for u in user],
            "org": org,
            "license": lic,
            "client": client,
            "start": BOUNDARY + pd.to_timedelta(start, unit="s"),
            "end": BOUNDARY + pd.to_timedelta(np.add(start, length), unit="s"),
        }
    )
    return frame, part, formats


session_lists = st.lists(
    st.tuples(
        st.sampled_from(["ann", "bob", "cy", "dee", "eve"]),
        st.integers(0, 300),
        st.integers(1, 200),
    ),  # user, start second/10, length
    min_size=1,
    max_size=12,
)


# --- money and storage ----------------------------------------------------------------------

money = st.decimals(min_value=0, max_value=500, places=3, allow_nan=False, allow_infinity=False)


rates = st.decimals(min_value=0, max_value=400, places=3, allow_nan=False, allow_infinity=False)


start_dates = st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)) | st.sampled_from(
    [dt.date(2026, 1, 31), dt.date(2024, 1, 29), dt.date(2026, 3, 30), dt.date(2025, 12, 31)]
)


@st.composite
def storage_settings(draw, months: int) -> StorageSettings:
    volume = st.floats(0, 200_000, allow_nan=False)
    calls = draw(volume | st.lists(volume, min_size=months, max_size=months).map(tuple))
    screen_share = draw(st.sampled_from([0.0, 0.25, 1.0]) | st.floats(0, 1))
    retention = draw(st.integers(0, 500))
    screen_retention = draw(st.none() | st.integers(0, 365))
    if screen_share > 0 and screen_retention is None and retention > 365:
        screen_retention = 365  # leaving it unset would (rightly) be refused
    return StorageSettings(
        calls_per_month=calls,
        avg_minutes=draw(st.floats(0, 60)),
        retention_days=retention,
        recorded_share=draw(st.floats(0, 1)),
        audio_mb_per_minute=draw(st.floats(0, 2)),
        screen_share=screen_share,
        screen_mb_per_minute=draw(st.floats(0, 10)),
        screen_retention_days=screen_retention,
        archive_after_days=draw(st.none() | st.integers(0, 400)),
    )


@st.composite
def scenarios(draw, max_months: int = 5):
    months = draw(st.integers(1, max_months))
    return draw(storage_settings(months)), draw(start_dates), months
