"""Benchmark: `billing-model usage` end to end against DuckDB SQL and Polars peers of its rules.

Run by hand (`make bench`, or `python benchmarks/compare_peers.py --sizes 150k,1.5M`); needs
DuckDB and Polars (the ``bench`` extra, also in ``dev``). ``--tiny`` (validation on one random
input of 120 sessions, then the ``tiny`` size, one run each) is the smoke test
``tests/test_benchmarks.py`` runs: it checks the rows, never a time.

Every timed run is a fresh process, Parquet in, CSV out: the CLI
(`billing-model usage PATH --timezone UTC --order-date 2026-01-01 --format csv`),
`peer_duckdb.py PATH` and `peer_polars.py PATH`. The peers only implement calendar months in UTC
and the cumulative 30-minute rule, so the CLI is run fixed to ``--timezone UTC`` and an order
date on the 1st of a month: its periods are then calendar months in UTC too. Reported per
process: wall time and peak RSS (``os.wait4`` resource usage of that child alone, through the
launcher of ``_timing.py``). With
``--repeat N`` the runs are interleaved (engine, DuckDB, Polars, engine, ...), so that a change in
the machine's load hits every implementation alike; the best and the median are reported.

Before any timing:

1. validation on small random data (second-resolution starts and ends, handovers within a
   minute, zero-length sessions, sessions crossing month ends): the DuckDB peer, the Polars peer
   and a minute-by-minute brute-force reading of the rules (``rules_bruteforce.py``) must give
   identical rows; the engine's rows are compared too and any disagreement is printed with the
   input file kept (``benchmarks/data/validate_<seed>.parquet``);
2. on each benchmark file, the peers' rows must equal each other and the engine's.

Sizes (generated once under ``benchmarks/data/`` (``--data`` moves it), git-ignored, by the same
generators as ``bench_memory.py`` and ``bench_dask.py``): ``150k``, ``1.5M``, ``7.5M`` sessions
in a month of one org, one license, and ``year``: about 20M sessions in 12 monthly Parquet parts
of two orgs. ``mixed-150k``, ``mixed-1.5M`` and ``mixed-7.5M`` are a month of the *mixed* shape
(:func:`mixed_month`): two orgs, four licenses mixed in each org, three shifts with breaks, 3 %
API sessions; ``tiny`` is that shape for 4 agents (about 350 sessions).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _timing import measure_ok  # noqa: E402
from bench_dask import dataset as year_dataset  # noqa: E402
from bench_memory import dataset as month_dataset  # noqa: E402

#: size name -> (kind, agents); a month of the generator is about 88.5 sessions per agent,
#: a year about 1,040
SIZES = {
    "150k": ("month", 1_700),
    "1.5M": ("month", 17_000),
    "7.5M": ("month", 85_000),
    "year": ("year", 19_200),
    "mixed-150k": ("mixed", 1_700),
    "mixed-1.5M": ("mixed", 17_000),
    "mixed-7.5M": ("mixed", 85_000),
    "tiny": ("mixed", 4),
}
#: the mixed shape: (license, share of the agents) in each org, and the API sessions' share
MIXED_LICENSES = (("communicate", 0.15), ("pc1", 0.25), ("pc2", 0.4), ("pc3", 0.2))
MIXED_ORGS = (("north", 0.6), ("south", 0.4))
API_SHARE = 0.03


def mixed_month(agents: int, days: int = 31, seed: int = 7):
    """A month of two orgs, four licenses mixed in each org, three shifts with breaks and 3 %
    API sessions: :func:`~billing_model.io.synthetic.generate_sessions` (shifts, breaks, 3 %
    mobile logins) with a license drawn per agent and 3 % of the sessions moved to the API
    client (not billable; their user may still log in elsewhere)."""
    import numpy as np

    from billing_model.io.synthetic import generate_sessions

    frame = generate_sessions(
        agents,
        "2026-01-01",
        days,
        seed=seed,
        orgs=tuple(o for o, _ in MIXED_ORGS),
        org_weights=tuple(w for _, w in MIXED_ORGS),
        api_users=0,
    )
    rng = np.random.default_rng(seed + 1)
    keys = np.array([k for k, _ in MIXED_LICENSES], dtype=object)
    per_agent = rng.choice(len(keys), agents, p=[w for _, w in MIXED_LICENSES])
    agent = frame["user_id"].str.slice(5).astype(int).to_numpy()  # "agent00042" -> 42
    frame["license"] = keys[per_agent[agent]]
    api = rng.random(len(frame)) < API_SHARE
    frame["client"] = np.where(api, "api", frame["client"].to_numpy(dtype=object))
    return frame


def mixed_dataset(agents: int, days: int = 31, root: Path | None = None) -> Path:
    """The Parquet file of :func:`mixed_month` (generated once, written atomically)."""
    from billing_model.io.synthetic import write_sessions

    path = (root or HERE / "data") / f"mixed_{agents}_{days}d.parquet"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.partial.parquet")
        write_sessions(mixed_month(agents, days), str(tmp))
        os.replace(tmp, path)
    return path


SHARED = [
    "org",
    "period_start",
    "period_end",
    "license",
    "named_users",
    "concurrent_users",
    "peak_concurrent",
    "raw_peak",
]


def engine_command(path: Path, tree: Path | None = None) -> list[str]:
    """The CLI on ``path``; ``tree``: the package of another checkout (``--also-engine``)."""
    start = (
        ["-m", "billing_model"]
        if tree is None
        else [
            "-c",
            f"import sys; sys.path.insert(0, {str(tree)!r}); "
            "from billing_model.cli import main; sys.exit(main())",
        ]
    )
    return [
        sys.executable,
        *start,
        "usage",
        str(path),
        "--timezone",
        "UTC",
        "--order-date",
        "2026-01-01",
        "--format",
        "csv",
    ]


COMMANDS = {
    "billing-model": engine_command,
    "duckdb": lambda path: [sys.executable, str(HERE / "peer_duckdb.py"), str(path)],
    "polars": lambda path: [sys.executable, str(HERE / "peer_polars.py"), str(path)],
}


def rows(csv_text: str) -> list[tuple[str, ...]]:
    """The rows on the columns every implementation writes (the engine may add more)."""
    reader = csv.DictReader(io.StringIO(csv_text))
    return [tuple(row[c] for c in SHARED) for row in reader]


def diff(a: list, b: list, limit: int = 4) -> str:
    lines = [f"  only in first:  {r}" for r in a if r not in b][:limit]
    lines += [f"  only in second: {r}" for r in b if r not in a][:limit]
    return "\n".join(lines) or "  (same rows, different order)"


def validate(seeds: int, folder: Path, n: int = 400) -> bool:
    """Peers vs brute force (must agree) and the engine vs them (reported) on random data."""
    import peer_duckdb
    import peer_polars
    import rules_bruteforce as brute

    folder.mkdir(parents=True, exist_ok=True)
    engine_ok = engine_ok_nonzero = 0
    for seed in range(seeds):
        frame = brute.random_sessions(seed, n=n)
        path = folder / f"validate_{seed}.parquet"
        frame.to_parquet(path, index=False)
        expected = [tuple(str(v) for v in r) for r in brute.usage_rows(frame)]
        for name, module in (("duckdb", peer_duckdb), ("polars", peer_polars)):
            got = [tuple(str(v) for v in r) for r in module.usage_rows(path)]
            if got != expected:
                sys.exit(
                    f"validation: {name} differs from the brute-force rules on {path}:\n"
                    f"{diff(got, expected)}"
                )
        out = measure_ok(engine_command(path)).stdout
        engine = rows(out)
        if engine == expected:
            engine_ok += 1
            path.unlink()
        else:
            print(
                f"validation: the engine differs from the peers and the brute-force rules "
                f"on {path} (kept):\n{diff(engine, expected)}",
                flush=True,
            )
            # the same input without its zero-length sessions, to tell that case apart
            kept = frame[frame["end"] > frame["start"]]
            nonzero = folder / f"validate_{seed}_nonzero.parquet"
            kept.to_parquet(nonzero, index=False)
            same = rows(measure_ok(engine_command(nonzero)).stdout) == [
                tuple(str(v) for v in r) for r in brute.usage_rows(kept)
            ]
            engine_ok_nonzero += same
            if same:
                nonzero.unlink()
            print(
                f"  without its {len(frame) - len(kept)} zero-length sessions the engine "
                f"{'agrees' if same else f'still differs ({nonzero} kept)'}",
                flush=True,
            )
    print(
        f"validation on {seeds} random inputs: duckdb = polars = brute force on all; "
        f"engine agrees on {engine_ok} of {seeds}"
        + (
            f" ({engine_ok + engine_ok_nonzero} of {seeds} once zero-length sessions are removed)"
            if engine_ok < seeds
            else ""
        ),
        flush=True,
    )
    return engine_ok == seeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="150k", help=f"comma-separated, of {', '.join(SIZES)} (default 150k)"
    )
    parser.add_argument(
        "--seeds", type=int, default=20, help="random inputs to validate on first (0 skips)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per implementation, interleaved; the best and the median "
        "wall times are reported",
    )
    parser.add_argument(
        "--allow-engine-mismatch",
        action="store_true",
        help="time even when the engine's rows differ from the peers'",
    )
    parser.add_argument(
        "--also-engine",
        type=Path,
        metavar="DIR",
        help="also time the engine of another checkout (a folder holding its "
        "billing_model package, e.g. from `git archive`): before and after "
        "a change, interleaved with the rest",
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
        help="--sizes tiny --seeds 1 --repeat 1: the smoke test (checks the rows, never times)",
    )
    args = parser.parse_args()
    if args.tiny:
        args.sizes, args.seeds, args.repeat = "tiny", 1, 1

    import duckdb
    import polars

    print(
        f"machine: {os.cpu_count()} cores (nproc), "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB RAM, "
        f"load average {os.getloadavg()[0]:.1f} (other work slows the timings); "
        f"python {sys.version.split()[0]}, duckdb {duckdb.__version__}, "
        f"polars {polars.__version__}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        flush=True,
    )
    print(
        "rules fixed to --timezone UTC --order-date 2026-01-01: calendar months in UTC, "
        "cumulative 30-minute rule",
        flush=True,
    )
    # the package's bytecode, as `pip install` leaves it: an editable install under
    # PYTHONDONTWRITEBYTECODE would compile every module of the engine in each timed process
    import compileall

    compileall.compile_dir(HERE.parent / "billing_model", quiet=1)
    if args.also_engine:
        compileall.compile_dir(args.also_engine / "billing_model", quiet=1)
        COMMANDS["billing-model (other)"] = lambda path: engine_command(path, args.also_engine)
    # what `usage` imports (the CLI module alone loads neither NumPy nor Arrow)
    engine_modules = (
        "billing_model.cli, billing_model.commands.usage, "
        "billing_model.io.sessions, billing_model.core.usage"
    )
    if not args.tiny:  # a timing only: the smoke test skips it
        floors = {
            name: measure_ok([sys.executable, "-c", f"import {module}"])
            for name, module in (
                ("billing-model", engine_modules),
                ("duckdb", "duckdb"),
                ("polars", "polars"),
            )
        }
        print(
            "start-up floor (a fresh process importing only): "
            + ", ".join(
                f"{name} {run.wall:.2f} s / {run.peak_mb:.0f} MB" for name, run in floors.items()
            ),
            flush=True,
        )
    # the brute force loops over every minute: --tiny validates on 120 random sessions, not 400
    engine_agrees = (
        validate(args.seeds, args.data, n=120 if args.tiny else 400) if args.seeds else True
    )
    if not engine_agrees and not args.allow_engine_mismatch:
        sys.exit(
            "stopping before timing: the engine's rows differ (--allow-engine-mismatch "
            "times anyway)"
        )

    import pyarrow.parquet as pq

    for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        if size not in SIZES:
            sys.exit(f"unknown size {size!r}; accepted: {', '.join(SIZES)}")
        kind, agents = SIZES[size]
        t = time.perf_counter()
        make = {"month": month_dataset, "year": year_dataset, "mixed": mixed_dataset}[kind]
        path = make(agents, 12 if kind == "year" else 31, root=args.data)
        parts = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
        n = sum(pq.ParquetFile(p).metadata.num_rows for p in parts)
        mb = sum(p.stat().st_size for p in parts) / 1e6
        print(
            f"\n{size}: {n:,} sessions, {agents:,} agents, {len(parts)} Parquet "
            f"part(s), {mb:.0f} MB (ready in {time.perf_counter() - t:.0f} s); "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        runs: dict[str, list] = {name: [] for name in COMMANDS}
        for _ in range(args.repeat):  # interleaved: a busier moment slows every peer alike
            for name, command in COMMANDS.items():
                load = os.getloadavg()[0]  # the machine is shared: say how busy it was
                runs[name].append((measure_ok(command(path)), load))
        results = {name: min(r, key=lambda run: run[0].wall) for name, r in runs.items()}
        medians = {name: sorted(run[0].wall for run in r)[len(r) // 2] for name, r in runs.items()}
        outputs = {name: rows(r[0].stdout) for name, r in results.items()}
        peers_agree = outputs["duckdb"] == outputs["polars"]
        engine_same = all(
            outputs[name] == outputs["duckdb"]
            for name in outputs
            if name.startswith("billing-model")
        )
        if not peers_agree:
            sys.exit(
                f"duckdb and polars differ on {path}:\n{diff(outputs['duckdb'], outputs['polars'])}"
            )
        best_peer = min(results["duckdb"][0].wall, results["polars"][0].wall)
        median_peer = min(medians["duckdb"], medians["polars"])
        for name, (run, load) in results.items():
            wall, peak, cpu = run.wall, run.peak_mb, run.cpu
            ratio = (
                ""
                if not name.startswith("billing-model")
                else (
                    f", {best_peer / wall:.2f}x the best peer (medians: "
                    f"{median_peer / medians[name]:.2f}x)"
                )
            )
            print(
                f"  {name:21s} best {wall:6.2f} s  median {medians[name]:6.2f} s  peak RSS "
                f"{peak:6.0f} MB  CPU {cpu:5.2f} s  {n / wall / 1e6:5.2f} M sessions/s  (load "
                f"{load:.1f} at start of the best){ratio}",
                flush=True,
            )
        print(
            f"  rows: {len(outputs['duckdb'])}; duckdb = polars: {peers_agree}; "
            f"engine = peers: {engine_same}",
            flush=True,
        )
        if not engine_same:
            print(diff(outputs["billing-model"], outputs["duckdb"]), flush=True)
            if not args.allow_engine_mismatch:
                sys.exit(1)


if __name__ == "__main__":
    main()
