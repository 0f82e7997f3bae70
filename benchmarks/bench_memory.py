"""Benchmark: peak memory of the usage engines on the month of 20,000 agents (1.77M sessions).

Run by hand (`python benchmarks/bench_memory.py`); ``--tiny`` (4 agents, 31 days) is the smoke
test ``tests/test_benchmarks.py`` runs (the rows of both engines must agree). Generates
``generate_sessions(20000, "2026-01-01", 31, seed=7)`` as one Parquet file once (the file
``bench_usage.py`` uses too; ``--data`` moves it), then runs the CLI in a fresh process for each
engine and reports its wall time and peak resident memory (``_timing.measure``: what
``/usr/bin/time -v`` calls "Maximum resident set size"), next to the peak of a process that only
imports the libraries (the floor).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _timing import measure_ok  # noqa: E402


def dataset(agents: int, days: int, root: Path | None = None) -> Path:
    from billing_model.io.synthetic import generate_sessions, write_sessions

    path = (root or HERE / "data") / f"month_{agents}_{days}d.parquet"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.partial.parquet")
        write_sessions(generate_sessions(agents, "2026-01-01", days, seed=7), str(tmp))
        os.replace(tmp, path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument(
        "--data",
        type=Path,
        default=HERE / "data",
        help="folder of the generated data (default benchmarks/data)",
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="4 agents, 31 days: the smoke test (checks the rows, never times)",
    )
    args = parser.parse_args()
    if args.tiny:
        args.agents, args.days = 4, 31

    import pyarrow.parquet as pq

    path = dataset(args.agents, args.days, root=args.data)
    rows = pq.ParquetFile(path).metadata.num_rows
    print(
        f"machine: {os.cpu_count()} cores (nproc), load average {os.getloadavg()[0]:.1f}; "
        f"data: {args.agents:,} agents, {args.days} days, {rows:,} sessions, "
        f"{path.stat().st_size / 1e6:.1f} MB Parquet"
    )
    floor = [
        sys.executable,
        "-c",
        "import numpy, pandas, pyarrow, pyarrow.parquet, "
        "billing_model.core.usage, billing_model.io.sessions",
    ]
    out = path.parent / "bench_memory.csv"
    floor_mb = measure_ok(floor, stdout=out).peak_mb
    print(f"imports only (the floor): peak RSS {floor_mb:.0f} MB")
    outputs = {}
    for engine in ("numpy", "dask"):
        command = [
            sys.executable,
            "-m",
            "billing_model",
            "usage",
            str(path),
            "--format",
            "csv",
            "--order-date",
            "2026-01-01",
            "--engine",
            engine,
        ]
        run = measure_ok(command, stdout=out)
        wall, peak = run.wall, run.peak_mb
        outputs[engine] = out.read_text()
        print(
            f"billing-model usage --engine {engine}: {wall:.1f} s, peak RSS {peak:.0f} MB "
            f"({(peak - floor_mb) * 2**20 / rows:.0f} bytes per session above the floor)"
        )
    same = outputs["numpy"] == outputs["dask"]
    print(f"rows identical: {same} ({len(outputs['numpy'].splitlines()) - 1} rows)")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
