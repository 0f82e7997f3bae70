"""The usage rules as DuckDB SQL: a peer the engine is timed against (benchmarks only).

``python benchmarks/peer_duckdb.py PATH`` reads a Parquet file or a folder of Parquet parts
(columns user_id, org, license, client, start, end; tz-aware UTC timestamps) and prints the CSV of
``billing-model usage PATH --timezone UTC --order-date <a 1st> --format csv``: periods are
calendar months in UTC (the only calendar this peer implements), cumulative 30-minute rule,
licenses given by their keys (collaborate, communicate, pc1, pc2, pc3).

Presence is sampled at the minute marks: a session [start, end) holds the marks
[ceil(start to minute), ceil(end to minute)). Each user's intervals in a period are merged
(gaps and islands), turned into +1/-1 events, summed in time order per org and period into level
segments, and the cumulative peak is read from the level durations sorted by level, descending.
Nothing is exploded to one row per minute. DuckDB reads timestamps at microsecond precision.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

LICENSES = ("collaborate", "communicate", "pc1", "pc2", "pc3")  # rank 0..4; pc1-pc3 pool
BILLABLE = ("desktop", "web", "mobile")
MIN_MINUTES = 30
US_PER_MIN = 60_000_000

SQL = f"""
WITH raw AS (
  SELECT org, user_id,
         CASE license {" ".join(f"WHEN '{k}' THEN {r}" for r, k in enumerate(LICENSES))} END
           AS rank,
         client IN {BILLABLE} AS billable,
         epoch_us("start") AS t0, epoch_us("end") AS t1,
         "start"::TIMESTAMP AS s, greatest("start", "end" - INTERVAL 1 microsecond)::TIMESTAMP
           AS e
  FROM read_parquet($path)
),
s AS (
  SELECT org, user_id, rank, billable,
         year(s) * 12 + month(s) - 1 AS m0, year(e) * 12 + month(e) - 1 AS m1,
         (t0 + {US_PER_MIN - 1}) // {US_PER_MIN} AS a, (t1 + {US_PER_MIN - 1}) // {US_PER_MIN} AS b
  FROM raw
),
periods AS (  -- calendar months in UTC, bounds in minutes since the epoch
  SELECT m, epoch_us(make_timestamp(m // 12, m % 12 + 1, 1, 0, 0, 0)) // {US_PER_MIN} AS p0,
         epoch_us(make_timestamp((m + 1) // 12, (m + 1) % 12 + 1, 1, 0, 0, 0)) // {US_PER_MIN}
           AS p1
  FROM (SELECT unnest(range(min(m0), max(m1) + 1)) AS m FROM s)
),
sp AS (  -- one row per session and period it overlaps (most sessions stay in one month)
  SELECT org, user_id, rank, billable, m0 AS m, a, b FROM s WHERE m0 = m1
  UNION ALL
  SELECT org, user_id, rank, billable, p.m, greatest(a, p.p0), least(b, p.p1)
  FROM s JOIN periods p ON p.m BETWEEN s.m0 AND s.m1 WHERE s.m0 < s.m1
),
users AS (  -- highest license over all the user's sessions; named if one is billable;
            -- uid: an integer key, cheaper to partition the windows by than the strings
  SELECT org, m, user_id, max(rank) AS rank, bool_or(billable) AS named,
         row_number() OVER () AS uid
  FROM sp GROUP BY ALL
),
iv AS (  -- sampled intervals of the pool's billable sessions
  SELECT u.uid, sp.a, sp.b
  FROM sp JOIN users u USING (org, m, user_id)
  WHERE sp.billable AND sp.b > sp.a AND u.rank >= 2
),
flagged AS (  -- gaps and islands: a fresh interval begins after every earlier end
  SELECT *, max(b) OVER (PARTITION BY uid ORDER BY a, b
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach,
         max(b) OVER (PARTITION BY uid) AS last_end
  FROM iv
),
islands AS (  -- fresh intervals have strictly increasing starts; an island ends where the
              -- next one's earlier reach stops
  SELECT uid, a, coalesce(lead(reach) OVER (PARTITION BY uid ORDER BY a), last_end) AS b
  FROM flagged WHERE reach IS NULL OR a > reach
),
merged AS (
  SELECT u.org, u.m, u.user_id, u.rank, i.a, i.b FROM islands i JOIN users u USING (uid)
),
events AS (
  SELECT org, m, t, sum(d) AS d FROM (
    SELECT org, m, a AS t, 1 AS d FROM merged UNION ALL SELECT org, m, b, -1 FROM merged
  ) GROUP BY ALL
),
segments AS (
  SELECT org, m, sum(d) OVER w AS level, lead(t) OVER w - t AS minutes
  FROM events WINDOW w AS (PARTITION BY org, m ORDER BY t)
),
levels AS (
  SELECT org, m, level, sum(minutes) AS minutes FROM segments WHERE level > 0 GROUP BY ALL
),
peaks AS (
  SELECT org, m, max(level) AS raw_peak,
         coalesce(max(level) FILTER (WHERE reached >= {MIN_MINUTES}), 0) AS peak
  FROM (SELECT *, sum(minutes) OVER (PARTITION BY org, m ORDER BY level DESC) AS reached
        FROM levels)
  GROUP BY ALL
),
presence AS (
  SELECT org, m, user_id, rank, sum(b - a) AS minutes FROM merged GROUP BY ALL
),
billed AS (
  SELECT org, m, rank, count(*) AS concurrent_users FROM (
    SELECT p.org, p.m, p.rank, row_number() OVER (PARTITION BY p.org, p.m
             ORDER BY p.minutes DESC, p.rank DESC, p.user_id) AS place, k.peak
    FROM presence p JOIN peaks k USING (org, m))
  WHERE place <= peak GROUP BY ALL
),
named AS (
  SELECT org, m, rank, count(*) AS named_users FROM users WHERE named GROUP BY ALL
)
SELECT org,
       strftime(make_date(m // 12, m % 12 + 1, 1), '%Y-%m-%d') AS period_start,
       strftime(last_day(make_date(m // 12, m % 12 + 1, 1)), '%Y-%m-%d') AS period_end,
       rank, coalesce(named_users, 0), coalesce(concurrent_users, 0),
       coalesce(peak, 0), coalesce(raw_peak, 0)
FROM named FULL JOIN billed USING (org, m, rank) LEFT JOIN peaks USING (org, m)
ORDER BY m, org, rank
"""

HEADER = [
    "org",
    "period_start",
    "period_end",
    "license",
    "named_users",
    "concurrent_users",
    "peak_concurrent",
    "raw_peak",
]


def usage_rows(path: str | Path) -> list[tuple]:
    """The usage rows of a Parquet file or folder of parts, as tuples in HEADER order."""
    import duckdb

    source = Path(path)
    pattern = str(source / "*.parquet") if source.is_dir() else str(source)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rows = con.execute(SQL, {"path": pattern}).fetchall()
    return [(r[0], r[1], r[2], LICENSES[r[3]], *r[4:]) for r in rows]


def main() -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(usage_rows(sys.argv[1]))


if __name__ == "__main__":
    main()
