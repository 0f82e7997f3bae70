"""A literal, minute-by-minute reading of the usage rules, and small random sessions to test with.

For validating the peers (``peer_duckdb.py``, ``peer_polars.py``) and the engine on tiny inputs
only: it loops over every user and every minute. Calendar months in UTC, cumulative rule.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import pandas as pd

LICENSES = ("collaborate", "communicate", "pc1", "pc2", "pc3")
RANK = {k: r for r, k in enumerate(LICENSES)}
BILLABLE = {"desktop", "web", "mobile"}
MIN = pd.Timedelta(minutes=1)


def _month(ts: pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(year=ts.year, month=ts.month, day=1, tz="UTC")


def _next(p0: pd.Timestamp) -> pd.Timestamp:
    return p0 + pd.DateOffset(months=1)


def usage_rows(frame: pd.DataFrame, min_minutes: int = 30) -> list[tuple]:
    """The rows, as tuples (org, period_start, period_end, license, named, concurrent, peak,
    raw_peak), sorted by period, org, license rank."""
    # (org, period) -> user -> [highest rank, billable?, set of minute marks present]
    table: dict = defaultdict(lambda: defaultdict(lambda: [-1, False, set()]))
    for row in frame.itertuples(index=False):
        start, end = pd.Timestamp(row.start), pd.Timestamp(row.end)
        p0 = _month(start)
        while p0 < end or (start == end and p0 <= start):
            p1 = _next(p0)
            overlaps = (start < p1 and end > p0) or (start == end and p0 <= start < p1)
            if overlaps:
                entry = table[(row.org, p0)][row.user_id]
                entry[0] = max(entry[0], RANK[row.license])
                if row.client in BILLABLE:
                    entry[1] = True
                    m = max(start.ceil("min"), p0)
                    while m < end and m < p1:
                        entry[2].add(m)
                        m += MIN
            p0 = p1
    rows = []
    for org, p0 in sorted(table, key=lambda k: (k[1], k[0])):
        users = table[(org, p0)]
        pool = {u: v for u, v in users.items() if v[0] >= 2}
        count: dict = defaultdict(int)
        for v in pool.values():
            for m in v[2]:
                count[m] += 1
        raw = max(count.values(), default=0)
        peak = 0
        for k in range(1, raw + 1):
            if sum(1 for c in count.values() if c >= k) >= min_minutes:
                peak = k
        order = sorted(pool, key=lambda u: (-len(pool[u][2]), -pool[u][0], u))
        billed = [pool[u][0] for u in order[:peak]]
        last = (_next(p0) - pd.Timedelta(days=1)).date()
        for r, key in enumerate(LICENSES):
            named = sum(1 for v in users.values() if v[1] and v[0] == r)
            conc = billed.count(r)
            if named or conc:
                rows.append((org, str(p0.date()), str(last), key, named, conc, peak, raw))
    return rows


def random_sessions(seed: int, n: int = 400, users: int = 40) -> pd.DataFrame:
    """Sessions at second resolution around a month end: handovers within a minute, zero-length
    sessions, overlaps, sessions crossing into the next month, API sessions, upgrades."""
    rng = np.random.default_rng(seed)
    base = pd.Timestamp("2026-01-31 20:00", tz="UTC")  # Feb and Mar are reached too
    user = rng.integers(0, users, n)
    start_s = rng.integers(0, 9 * 3600, n)
    length = np.where(rng.random(n) < 0.08, 0, rng.integers(1, 3 * 3600, n))
    # handovers: a session that starts a few seconds after another one ends
    hand = rng.random(n) < 0.2
    start_s[1:][hand[1:]] = (
        start_s[:-1][hand[1:]] + length[:-1][hand[1:]] + rng.integers(0, 60, hand[1:].sum())
    )
    long = rng.random(n) < 0.01  # a month-long session now and then
    length[long] = 31 * 86400
    start = base + pd.to_timedelta(start_s, unit="s")
    # orgs and licenses are per user, with a few mid-period upgrades
    org = np.array(["acme", "beta"], dtype=object)[user % 2]
    lic = np.array(LICENSES, dtype=object)[(user * 7 + rng.integers(0, 2, n)) % 5]
    client = rng.choice(
        np.array(["desktop", "web", "mobile", "api"], dtype=object), n, p=[0.45, 0.3, 0.1, 0.15]
    )
    frame = pd.DataFrame(
        {
            "user_id": [f"u{u:03d}" for u in user],
            "org": org,
            "license": lic,
            "client": client,
            "start": start,
            "end": start + pd.to_timedelta(length, unit="s"),
        }
    )
    # edges: zero-length at the month boundary, ending exactly on it, a handover 14:00:20 ->
    # 14:00:40 (nobody counted twice), a login holding no minute mark (named, never present)
    b = pd.Timestamp("2026-02-01", tz="UTC")
    h = pd.Timestamp("2026-01-31 22:00:20", tz="UTC")
    sec = pd.Timedelta(seconds=1)
    edges = pd.DataFrame(
        [
            ("e1", "acme", "pc2", "web", b, b),
            ("e2", "acme", "pc3", "web", b - 3 * MIN, b),
            ("e3", "beta", "pc1", "desktop", h - 40 * MIN, h),
            ("e4", "beta", "pc1", "desktop", h + 20 * sec, h + 50 * MIN),
            ("e5", "beta", "pc3", "mobile", h + sec, h + 30 * sec),
        ],
        columns=frame.columns,
    )
    return pd.concat([frame, edges], ignore_index=True)


def _check_doc() -> None:  # pragma: no cover - a hand check of the worked example
    """500 users for 31 minutes and 3 more for 6 minutes bill 500."""
    t = pd.Timestamp("2026-01-05 10:00", tz="UTC")
    rows = [(f"a{i:03d}", "o", "pc2", "web", t, t + 31 * MIN) for i in range(500)]
    rows += [(f"b{i}", "o", "pc2", "web", t, t + 6 * MIN) for i in range(3)]
    got = usage_rows(
        pd.DataFrame(rows, columns=["user_id", "org", "license", "client", "start", "end"])
    )
    assert got == [("o", "2026-01-01", "2026-01-31", "pc2", 503, 500, 500, 503)], got


if __name__ == "__main__":  # the smoke test (tests/test_benchmarks.py) runs this: about a second
    _check_doc()
    print(dt.datetime.now(dt.UTC), usage_rows(random_sessions(1, n=120))[:2])
