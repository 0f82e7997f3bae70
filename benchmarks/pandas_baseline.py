"""A straightforward pandas implementation of the usage rules: the speed baseline.

What a careful analyst would write without thinking about vectorization across users: split
sessions at period boundaries, merge each user's sessions with a groupby, sweep +1/-1 events per
org and period, and sort the levels to apply the 30-minute rule. Cumulative rule only. It gives
the same rows as the engine (the benchmark checks that), just slower.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from billing_model.core.licenses import BY_KEY, KEY_BY_RANK, normalize_license  # noqa: E402
from billing_model.core.periods import BillingCalendar  # noqa: E402

BILLABLE = ["desktop", "web", "mobile"]


def pandas_usage(df: pd.DataFrame, order_date, timezone="America/New_York", min_minutes=30):
    df = df.copy()
    df["rank"] = df["license"].map(lambda v: BY_KEY[normalize_license(v)].rank)
    cal = BillingCalendar(order_date, timezone)
    k0, k1 = cal.covering(df["start"].min().value, df["end"].max().value)
    bounds = pd.to_datetime(cal.bounds_ns(k0, k1), utc=True)
    # minutes on the UTC grid
    df["a"] = df["start"].dt.floor("min")
    df["b"] = df["end"].dt.ceil("min")
    # split at period boundaries
    df["p0"] = bounds.searchsorted(df["a"], side="right") - 1
    df["p1"] = bounds.searchsorted(df["b"] - pd.Timedelta(minutes=1), side="right") - 1
    df["period"] = [list(range(x, y + 1)) for x, y in zip(df["p0"], df["p1"], strict=True)]
    df = df.explode("period")
    df["period"] = df["period"].astype(int)
    df["a"] = np.maximum(df["a"], bounds[df["period"]])
    df["b"] = np.minimum(df["b"], bounds[df["period"] + 1])

    rank = df.groupby(["org", "period", "user_id"])["rank"].max()
    bill = df[df["client"].isin(BILLABLE)]
    billed = rank.loc[bill.groupby(["org", "period", "user_id"]).size().index]

    # merge each user's sessions: a new run starts after a gap
    bill = bill.sort_values(["org", "period", "user_id", "a"])
    prev_end = bill.groupby(["org", "period", "user_id"])["b"].transform(
        lambda s: s.cummax().shift()
    )
    bill = bill.assign(run=(bill["a"] > prev_end) | prev_end.isna())
    bill["run"] = bill["run"].cumsum()
    runs = bill.groupby("run").agg(
        org=("org", "first"),
        period=("period", "first"),
        user_id=("user_id", "first"),
        a=("a", "min"),
        b=("b", "max"),
    )
    runs["minutes"] = (runs["b"] - runs["a"]).dt.total_seconds() // 60
    minutes = runs.groupby(["org", "period", "user_id"])["minutes"].sum()
    users = pd.DataFrame({"rank": billed, "minutes": minutes}).reset_index()
    users["pool"] = users["rank"] >= 2

    rows = []
    for (org, period), grp in users.groupby(["org", "period"]):
        pool = grp[grp["pool"]]
        pr = runs.merge(pool[["org", "period", "user_id"]], on=["org", "period", "user_id"])
        events = (
            pd.concat([pd.DataFrame({"t": pr["a"], "d": 1}), pd.DataFrame({"t": pr["b"], "d": -1})])
            .groupby("t")["d"]
            .sum()
        )
        events = events.sort_index()
        level = events.cumsum()
        dur = (events.index.to_series().shift(-1) - events.index.to_series()).dt.total_seconds()
        seg = pd.DataFrame({"level": level.values, "minutes": dur.values / 60}).dropna()
        seg = seg.sort_values("level", ascending=False)
        seg["cum"] = seg["minutes"].cumsum()
        hit = seg[seg["cum"] >= min_minutes]
        peak = int(hit["level"].iloc[0]) if len(hit) else 0
        raw = int(seg["level"].max()) if len(seg) else 0
        chosen = pool.sort_values(
            ["minutes", "rank", "user_id"], ascending=[False, False, True]
        ).head(peak)
        for r in sorted(grp["rank"].unique()):
            rows.append(
                (
                    org,
                    str(cal.first_day(period + k0)),
                    str(cal.last_day(period + k0)),
                    KEY_BY_RANK[r],
                    int((grp["rank"] == r).sum()),
                    int((chosen["rank"] == r).sum()),
                    peak,
                    raw,
                )
            )
    out = pd.DataFrame(
        rows,
        columns=[
            "org",
            "period_start",
            "period_end",
            "license",
            "named_users",
            "concurrent_users",
            "peak_concurrent",
            "raw_peak",
        ],
    )
    return out.sort_values(["period_start", "org"], kind="stable").reset_index(drop=True)
