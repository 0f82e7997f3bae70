"""The usage rules in Polars (lazy): a peer the engine is timed against (benchmarks only).

``python benchmarks/peer_polars.py PATH`` reads a Parquet file or a folder of Parquet parts and
prints the CSV of ``billing-model usage PATH --timezone UTC --order-date <a 1st> --format csv``:
calendar months in UTC, cumulative 30-minute rule, license keys (collaborate, communicate,
pc1, pc2, pc3). Same method as ``peer_duckdb.py``: sampled intervals
[ceil(start to minute), ceil(end to minute)), merged per user and period, +1/-1 events, level
segments, cumulative peak from the level durations; never one row per minute.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

LICENSES = ("collaborate", "communicate", "pc1", "pc2", "pc3")  # rank 0..4; pc1-pc3 pool
BILLABLE = ("desktop", "web", "mobile")
MIN_MINUTES = 30
NS_PER_MIN = 60_000_000_000
KEY = ["org", "m", "user_id"]
SPAN = 1 << 26  # minutes, about 127 years


def _month(col: pl.Expr) -> pl.Expr:
    return col.dt.year().cast(pl.Int64) * 12 + col.dt.month().cast(pl.Int64) - 1


def _month_start_min(m: pl.Expr) -> pl.Expr:
    """Minutes since the epoch of the first instant of month index ``m`` (UTC)."""
    return (
        pl.date((m // 12).cast(pl.Int32), (m % 12 + 1).cast(pl.Int8), 1)
        .cast(pl.Datetime("ns"))
        .cast(pl.Int64)
        // NS_PER_MIN
    )


def usage(path: str | Path) -> pl.DataFrame:
    return plan(path).collect()


def plan(path: str | Path) -> pl.LazyFrame:
    """The query, lazily (``plan(path).profile()`` shows where the time goes)."""
    source = Path(path)
    scan = pl.scan_parquet(str(source / "*.parquet") if source.is_dir() else str(source))
    # nanoseconds, so that "end minus one tick" is the last instant the session holds
    t0 = pl.col("start").dt.convert_time_zone("UTC").dt.cast_time_unit("ns")
    t1 = pl.col("end").dt.convert_time_zone("UTC").dt.cast_time_unit("ns")
    s = scan.select(
        "org",
        "user_id",
        pl.col("license")
        .replace_strict(LICENSES, range(len(LICENSES)), return_dtype=pl.Int8)
        .alias("rank"),
        pl.col("client").is_in(BILLABLE).alias("billable"),
        _month(t0).alias("m0"),
        _month(pl.max_horizontal(t0, t1 - pl.duration(nanoseconds=1))).alias("m1"),
        ((t0.dt.epoch("ns") + NS_PER_MIN - 1) // NS_PER_MIN).alias("a"),
        ((t1.dt.epoch("ns") + NS_PER_MIN - 1) // NS_PER_MIN).alias("b"),
    )
    # one row per session and period it overlaps; most sessions stay within one month
    single = s.filter(pl.col("m0") == pl.col("m1")).select(
        "org", "user_id", "rank", "billable", pl.col("m0").alias("m"), "a", "b"
    )
    multi = (
        s.filter(pl.col("m0") < pl.col("m1"))
        .with_columns(pl.int_ranges("m0", pl.col("m1") + 1).alias("m"))
        .explode("m")
        .with_columns(
            pl.max_horizontal("a", _month_start_min(pl.col("m"))).alias("a"),
            pl.min_horizontal("b", _month_start_min(pl.col("m") + 1)).alias("b"),
        )
        .select("org", "user_id", "rank", "billable", "m", "a", "b")
    )
    sp = pl.concat([single, multi])

    # uid: an integer key per user and period, cheaper to sort and group by than the strings
    users = (
        sp.group_by(KEY)
        .agg(pl.col("rank").max(), pl.col("billable").any().alias("named"))
        .with_row_index("uid")
        .cache()
    )
    iv = (
        sp.filter(pl.col("billable") & (pl.col("b") > pl.col("a")))
        .select(KEY + ["a", "b"])
        .join(users.filter(pl.col("rank") >= 2).select(KEY + ["uid"]), on=KEY)
        .select(pl.col("uid").cast(pl.Int64), "a", "b")
        .sort("uid", "a")
    )
    # gaps and islands: an interval starts a new island when it begins after every earlier end
    # of its user; offsetting each user's minutes by uid * SPAN lets one running maximum serve
    # every user at once (minutes since 1970 stay below SPAN until the 2090s)
    offset = pl.col("uid") * SPAN
    merged = (
        iv.with_columns(
            (pl.col("a") + offset > (pl.col("b") + offset).cum_max().shift(1).fill_null(-1))
            .cum_sum()
            .alias("island")
        )
        .group_by("island")
        .agg(pl.col("uid").first(), pl.col("a").min(), pl.col("b").max())
        .join(users.select(pl.col("uid").cast(pl.Int64), "org", "m"), on="uid")
    )
    merged = merged.cache()
    events = (
        pl.concat(
            [
                merged.select("org", "m", pl.col("a").alias("t"), pl.lit(1).alias("d")),
                merged.select("org", "m", pl.col("b").alias("t"), pl.lit(-1).alias("d")),
            ]
        )
        .group_by("org", "m", "t")
        .agg(pl.col("d").sum())
        .sort("org", "m", "t")
    )
    segments = events.with_columns(
        pl.col("d").cum_sum().over("org", "m").alias("level"),
        (pl.col("t").shift(-1).over("org", "m") - pl.col("t")).alias("minutes"),
    )
    levels = (
        segments.filter(pl.col("level") > 0)
        .group_by("org", "m", "level")
        .agg(pl.col("minutes").sum())
        .sort("org", "m", "level", descending=[False, False, True])
        .with_columns(pl.col("minutes").cum_sum().over("org", "m").alias("reached"))
    )
    peaks = levels.group_by("org", "m").agg(
        pl.col("level").max().alias("raw_peak"),
        pl.col("level").filter(pl.col("reached") >= MIN_MINUTES).max().fill_null(0).alias("peak"),
    )
    presence = (
        merged.group_by("uid")
        .agg((pl.col("b") - pl.col("a")).sum().alias("minutes"))
        .join(users.select(pl.col("uid").cast(pl.Int64), "org", "m", "user_id", "rank"), on="uid")
    )
    billed = (
        presence.join(peaks, on=["org", "m"])
        .sort(
            ["org", "m", "minutes", "rank", "user_id"], descending=[False, False, True, True, False]
        )
        .filter(pl.int_range(pl.len()).over("org", "m") < pl.col("peak"))
        .group_by("org", "m", "rank")
        .agg(pl.len().alias("concurrent_users"))
    )
    named = users.filter("named").group_by("org", "m", "rank").agg(pl.len().alias("named_users"))
    out = (
        named.join(billed, on=["org", "m", "rank"], how="full", coalesce=True)
        .join(peaks, on=["org", "m"], how="left")
        .sort("m", "org", "rank")
        .select(
            "org",
            _date(pl.col("m")).alias("period_start"),
            (_date(pl.col("m") + 1) - pl.duration(days=1)).alias("period_end"),
            pl.col("rank")
            .replace_strict(range(len(LICENSES)), LICENSES, return_dtype=pl.String)
            .alias("license"),
            pl.col("named_users").fill_null(0),
            pl.col("concurrent_users").fill_null(0),
            pl.col("peak").fill_null(0).alias("peak_concurrent"),
            pl.col("raw_peak").fill_null(0),
        )
    )
    return out


def _date(m: pl.Expr) -> pl.Expr:
    return pl.date((m // 12).cast(pl.Int32), (m % 12 + 1).cast(pl.Int8), 1)


def usage_rows(path: str | Path) -> list[tuple]:
    frame = usage(path).with_columns(pl.col("period_start", "period_end").cast(pl.String))
    return frame.rows()


def main() -> None:
    usage(sys.argv[1]).write_csv(sys.stdout)


if __name__ == "__main__":
    main()
