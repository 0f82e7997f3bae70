"""Benchmark: `billing-model build` of a scenario with many [[variant]] tables (issue #21).

Run by hand (``python benchmarks/bench_build_variants.py [--variants N] [--repeat R]``);
``--tiny`` (2 variants built, 51 refused) is the smoke test ``tests/test_benchmarks.py`` runs (the
build must succeed and the refusal be one line, exit 2; never a time). Writes a scenario like
``scenarios/finance_ramp_study.toml`` (250 users, a 3-month ramp, a 12-month term) with ``N``
variants that change the ramp and the rate, then runs the CLI in a fresh process and reports,
best of ``--repeat`` runs: wall time, CPU time (user + system) and peak resident memory of the
process (``_timing.measure``: what ``/usr/bin/time -v`` calls "Maximum resident set size"). The
CPU time is the figure to compare on a shared machine (the wall time grows with the load
average, printed with it).

Targets: 50 variants (the most a workbook holds at the usual 84-period grid) in at most 20 s and
1 GB; 1,000 variants refused in one line before any work (``--refused`` runs that case too).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from _timing import Measured, measure

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

BASE = """\
[contract]
order_date = 2026-04-15
currency = "USD"
license_model = "named"
license = "pc1"
committed_users = 250
prepay_rate = 75.00
overage_rate = 82.50
ramp_months = 3
ramp_policy = "actual-usage"
term_months = 12
payment_terms_days = 45

[usage]
users = [60, 140, 210, 245, 252, 250, 255, 261, 250, 248, 250, 270, 262, 255, 250]

[[one_time]]
description = "Enablement package"
amount = 30000
"""


def scenario(variants: int, folder: Path) -> Path:
    """A scenario file with ``variants`` [[variant]] tables."""
    path = folder / f"variants_{variants}.toml"
    path.write_text(
        BASE
        + "".join(
            f'\n[[variant]]\nname = "variant {i + 1}"\nramp_months = {i % 4}\n'
            f"prepay_rate = {70 + i % 10}\n"
            for i in range(variants)
        ),
        encoding="utf-8",
    )
    return path


def build(path: Path, repeat: int) -> Measured:
    """Best of ``repeat`` builds of ``path`` (by CPU time)."""
    out = path.with_suffix(".xlsx")
    runs = [
        measure([sys.executable, "-m", "billing_model", "build", str(path), "-o", str(out)])
        for _ in range(repeat)
    ]
    return min(runs, key=lambda r: r.cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--refused",
        type=int,
        default=1000,
        metavar="N",
        help="also time the refusal of N variants (0: skip)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="folder for the scenarios and workbooks (default: a temporary one)",
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="2 variants built, 51 refused: the smoke test (never times)",
    )
    args = parser.parse_args()
    if args.tiny:
        args.variants, args.repeat, args.refused = 2, 1, 51

    print(f"machine: {os.cpu_count()} cores (nproc), load average {os.getloadavg()[0]:.1f}")
    if args.data is not None:
        args.data.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-variants-", dir=args.data) as folder:
        code, wall, cpu, mb, _, err = build(scenario(args.variants, Path(folder)), args.repeat)
        if code != 0:
            sys.exit(f"build of {args.variants} variants failed (exit {code}): {err.strip()}")
        size = Path(folder, f"variants_{args.variants}.xlsx").stat().st_size / 1e6
        print(
            f"build, {args.variants:,} variants: wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS "
            f"{mb:.0f} MB, workbook {size:.1f} MB"
        )
        if args.refused:
            code, wall, cpu, mb, _, err = build(scenario(args.refused, Path(folder)), 1)
            if code != 2 or err.count("\n") != 1:
                sys.exit(
                    f"{args.refused:,} variants: expected one line and exit 2, got exit "
                    f"{code}: {err}"
                )
            print(
                f"build, {args.refused:,} variants: refused in wall {wall:.1f} s, CPU "
                f"{cpu:.1f} s, peak RSS {mb:.0f} MB: {err.strip()}"
            )
    print("built, and refused in one line: True")


if __name__ == "__main__":
    main()
