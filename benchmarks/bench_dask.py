"""Benchmark: the Dask usage engine on a generated year of 20,000 agents (about 18M sessions).

Run by hand (`python benchmarks/bench_dask.py`); ``--tiny`` (4 agents, two months, ``local``
and ``--numpy``: a cluster's start alone takes longer than a smoke test may, and the engine's
cluster path has its own tests in ``tests/test_dask_engine.py``) is the smoke test
``tests/test_benchmarks.py`` runs. Generates the year once, month by month (each month is
generated, written as one Parquet part and freed, so generation never holds the year), under
``benchmarks/data/year_<agents>_<months>m/`` (``--data`` moves it). Then, each in a fresh
process through the CLI (`billing-model usage DIR --engine dask --format csv`):

* ``local``: Dask's local threaded scheduler, one process: wall time and peak RSS;
* ``cluster``: a ``distributed.LocalCluster`` of ``--workers`` processes (default: the core
  count, one thread each) reached with ``--scheduler ADDRESS``: wall time, peak RSS of each
  worker and of the client process;
* ``numpy`` (with ``--numpy``): the in-memory engine on the same year, for comparison; the rows
  of every run must be identical.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _timing import measure_ok  # noqa: E402


def dataset(agents: int, months: int, start: str = "2026-01-01", root: Path | None = None) -> Path:
    """The folder of monthly Parquet parts (generated when missing, one month at a time)."""
    import pandas as pd

    from billing_model.io.synthetic import generate_sessions, write_sessions

    folder = (root or HERE / "data") / f"year_{agents}_{months}m"
    folder.mkdir(parents=True, exist_ok=True)
    first = pd.Timestamp(start)
    for i in range(months):
        month = first + pd.DateOffset(months=i)
        part = folder / f"sessions-{month:%Y-%m}.parquet"
        if part.exists():
            continue
        days = ((month + pd.DateOffset(months=1)) - month).days
        frame = generate_sessions(
            agents,
            f"{month:%Y-%m-%d}",
            days,
            seed=7 + i,
            orgs=("prod", "dev"),
            org_weights=(0.95, 0.05),
            upgrades=agents // 100,
        )
        tmp = folder / f".{part.name}.partial.parquet"  # renamed when complete
        write_sessions(frame, str(tmp))
        os.replace(tmp, part)
        print(f"  generated {part.name}: {len(frame):,} sessions", flush=True)
        del frame
    return folder


def cli(path: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "billing_model",
        "usage",
        str(path),
        "--format",
        "csv",
        "--order-date",
        "2026-01-01",
        *extra,
    ]


def run_cluster(path: Path, workers: int, out: Path) -> tuple[float, float, list[float]]:
    """Wall time, client peak RSS and each worker's peak RSS (MB) on a fresh LocalCluster."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        run = measure_ok(
            cli(path, "--engine", "dask", "--scheduler", cluster.scheduler_address), stdout=out
        )
        peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return run.wall, run.peak_mb, sorted(peaks.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes of the LocalCluster (default: core count)",
    )
    parser.add_argument("--modes", default="local,cluster", help="comma-separated: local, cluster")
    parser.add_argument(
        "--numpy", action="store_true", help="also run the in-memory engine on the year and compare"
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=HERE / "data",
        help="folder of the generated data (default benchmarks/data)",
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="4 agents, two months, local and --numpy: the smoke test "
        "(checks the rows agree, never times)",
    )
    args = parser.parse_args()
    if args.tiny:
        args.agents, args.months, args.modes, args.numpy = 4, 2, "local", True

    import pyarrow.parquet as pq

    print(
        f"machine: {os.cpu_count()} cores (nproc), "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB RAM; "
        f"load average {os.getloadavg()[0]:.1f} (other work slows the timings); "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        flush=True,
    )
    t = time.perf_counter()
    path = dataset(args.agents, args.months, root=args.data)
    parts = sorted(path.glob("*.parquet"))
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in parts)
    size = sum(p.stat().st_size for p in parts) / 1e6
    print(
        f"data: {args.agents:,} agents, {len(parts)} monthly parts, {rows:,} sessions, "
        f"{size:.0f} MB Parquet (ready in {time.perf_counter() - t:.0f} s)",
        flush=True,
    )

    results = {}
    out_dir = path.parent
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        out = out_dir / f"bench_dask_{mode}.csv"
        if mode == "local":
            run = measure_ok(cli(path, "--engine", "dask"), stdout=out)
            wall, peak = run.wall, run.peak_mb
            print(
                f"dask, local threaded scheduler: {wall:.1f} s, peak RSS {peak:.0f} MB "
                f"({rows / wall / 1e6:.2f} M sessions/s)",
                flush=True,
            )
        elif mode == "cluster":
            wall, client_mb, workers = run_cluster(path, args.workers, out)
            print(
                f"dask, LocalCluster {args.workers} workers x 1 thread: {wall:.1f} s, peak "
                f"RSS per worker {', '.join(f'{w:.0f}' for w in workers)} MB, client "
                f"{client_mb:.0f} MB ({rows / wall / 1e6:.2f} M sessions/s)",
                flush=True,
            )
        else:
            sys.exit(f"unknown mode {mode!r}; accepted: local, cluster")
        results[mode] = out.read_text()
    if args.numpy:
        out = out_dir / "bench_dask_numpy.csv"
        run = measure_ok(cli(path), stdout=out)
        wall, peak = run.wall, run.peak_mb
        print(
            f"numpy (in memory), for comparison: {wall:.1f} s, peak RSS {peak:.0f} MB", flush=True
        )
        results["numpy"] = out.read_text()
    if not results:
        return
    texts = set(results.values())
    print(
        f"rows identical across {', '.join(results)}: {len(texts) == 1} "
        f"({len(next(iter(results.values())).splitlines()) - 1} rows)"
    )
    if len(texts) != 1:
        sys.exit(1)


if __name__ == "__main__":
    main()
