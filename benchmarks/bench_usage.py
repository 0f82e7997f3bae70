"""Benchmark: the usage engine end to end through the CLI, against the pandas baseline.

Run by hand (`python benchmarks/bench_usage.py [--agents N]`); ``--tiny`` (4 agents, 31 days, one
run) is the smoke test ``tests/test_benchmarks.py`` runs (the engine and the baseline must give the
same rows). Its pandas
baseline predates sampled presence (it floors session starts to the minute); `make bench` now
runs `compare_peers.py`, against DuckDB and Polars peers of the current rules.

Generates a shuffled month of N agents (three shifts, breaks) as Parquet once, then
reports for the CLI (a fresh process: start-up, reading, computing, printing) the wall time and
peak memory, the engine alone in-process, and the pandas baseline, and checks they agree.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _timing import best_of, measure_ok  # noqa: E402
from bench_memory import dataset  # noqa: E402  (the same generated month, written atomically)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--data",
        type=Path,
        default=HERE / "data",
        help="folder of the generated data (default benchmarks/data)",
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="4 agents, 31 days, one run: the smoke test (checks the rows, never times)",
    )
    args = parser.parse_args()
    if args.tiny:
        args.agents, args.days, args.repeat = 4, 31, 1

    import pyarrow.parquet as pq

    path = dataset(args.agents, args.days, root=args.data)
    rows = pq.ParquetFile(path).metadata.num_rows
    print(
        f"machine: {os.cpu_count()} cores; data: {args.agents:,} agents, {rows:,} sessions "
        f"({path.stat().st_size / 1e6:.1f} MB Parquet)"
    )

    cli = [
        sys.executable,
        "-m",
        "billing_model",
        "usage",
        str(path),
        "--format",
        "csv",
        "--order-date",
        "2026-01-01",
    ]
    runs = [measure_ok(cli) for _ in range(args.repeat)]
    walls = [run.wall for run in runs]
    peak_mb = max(run.peak_mb for run in runs)
    print(
        f"CLI end to end (fresh process): best {min(walls):.2f} s of {args.repeat}, "
        f"peak RSS {peak_mb:.0f} MB, {rows / min(walls) / 1e6:.2f} M sessions/s"
    )

    from billing_model.core.usage import compute_usage
    from billing_model.io.sessions import read_sessions

    t_read, sessions = best_of(args.repeat, lambda: read_sessions(path))
    t_eng, engine = best_of(args.repeat, lambda: compute_usage(sessions, order_date="2026-01-01"))
    print(
        f"in process: read {t_read:.2f} s, compute {t_eng:.2f} s, together {t_read + t_eng:.2f} s"
    )
    if args.skip_baseline:
        return
    import pandas as pd
    from pandas_baseline import pandas_usage

    frame = pd.read_parquet(path)
    t_pd, baseline = best_of(1, lambda: pandas_usage(frame, "2026-01-01"))
    print(
        f"pandas baseline (compute only, data already in memory): {t_pd:.2f} s -> engine "
        f"read+compute is {t_pd / (t_read + t_eng):.1f}x faster, compute alone "
        f"{t_pd / t_eng:.1f}x"
    )
    cols = list(baseline.columns)
    same = (
        engine[cols]
        .astype(str)
        .reset_index(drop=True)
        .equals(baseline[cols].astype(str).reset_index(drop=True))
    )
    print(f"results identical: {same}")
    if not same:
        print(engine[cols].to_string(), baseline.to_string(), sep="\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
