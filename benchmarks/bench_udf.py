"""Benchmark: BM_CONCURRENT_PEAK on a full sheet of sessions, as Excel hands them over.

Run by hand (``python benchmarks/bench_udf.py [--rows N] [--repeat R]``); ``--tiny`` (300 rows,
one run) is the smoke test ``tests/test_benchmarks.py`` runs, so the script cannot rot. A full
sheet is 1,048,575 data rows under a header. The sessions are a synthetic month (three shifts
with breaks, :mod:`billing_model.io.synthetic`) cut to that many rows, turned into what xlwings
passes a Python function: a list of user-id strings, and the start and end columns as

* ``datetimes``: naive ``datetime.datetime`` objects (classic xlwings on Windows, cells
  formatted as dates),
* ``serials``: Excel serial numbers as floats (xlwings Lite, or cells not formatted as dates),
* ``iso text``: ISO 8601 text with ``Z`` (an export pasted as text),
* ``2-D rows``: datetimes as one-element rows ``[[v], [v], ...]``.

Reported, best of ``--repeat`` runs each: the whole UDF call (wall and CPU time), and its parts:
the adapter (lists to validated :class:`~billing_model.core.sessions.Sessions`) and the engine
(``partial_usage`` and ``finalize_usage`` on the whole span, the kernels that also serve
``compute_usage``). The time xlwings itself takes to move a million cells between Excel and
Python is not included (it depends on Excel and the machine); neither is Excel's recalculation.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import best_of  # noqa: E402

from billing_model.core.usage import finalize_usage, partial_usage  # noqa: E402
from billing_model.io import cell_sessions, cells  # noqa: E402
from billing_model.io.synthetic import generate_sessions  # noqa: E402
from udfs import billing_udfs as udf  # noqa: E402

FULL_SHEET = 1_048_575


def sheet_columns(rows: int) -> dict[str, tuple[list, list, list]]:
    """The sheet's three columns in each form Excel may hand them over."""
    agents = int(rows / (31 * 5 / 7 * 4)) + 200
    frame = generate_sessions(agents, "2026-03-01", 31, seed=11).iloc[:rows]
    if len(frame) < rows:
        raise SystemExit(f"generated {len(frame)} rows, fewer than {rows}")
    users = frame["user_id"].tolist()
    start_ns = frame["start"].dt.tz_localize(None).to_numpy().astype("datetime64[ns]")
    end_ns = frame["end"].dt.tz_localize(None).to_numpy().astype("datetime64[ns]")
    starts = start_ns.astype("datetime64[us]").astype(object).tolist()
    ends = end_ns.astype("datetime64[us]").astype(object).tolist()

    def serial(values: np.ndarray) -> list:
        return (values.astype(np.int64) / 86_400e9 + 25569).tolist()

    def iso(values: np.ndarray) -> list:
        return [f"{v}Z" for v in np.datetime_as_string(values, unit="s")]

    return {
        "datetimes": (users, starts, ends),
        "serials": (users, serial(start_ns), serial(end_ns)),
        "iso text": (users, iso(start_ns), iso(end_ns)),
        "2-D rows": ([[u] for u in users], [[s] for s in starts], [[e] for e in ends]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=FULL_SHEET)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="300 rows, one run: the smoke test (checks, never times)",
    )
    args = parser.parse_args()
    if args.tiny:
        args.rows, args.repeat = 300, 1

    t = time.perf_counter()
    forms = sheet_columns(args.rows)
    print(
        f"{args.rows:,} sessions generated in {time.perf_counter() - t:.1f} s "
        f"({platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}, Python {platform.python_version()}, NumPy {np.__version__})"
    )
    print(f"{'input form':<12} {'UDF call':>9} {'(CPU)':>9} {'adapter':>9} {'engine':>9}  peak")
    answers = set()
    for name, (users, starts, ends) in forms.items():
        cpu: list[float] = []
        call, peak = best_of(
            args.repeat, lambda u=users, s=starts, e=ends: udf.BM_CONCURRENT_PEAK(u, s, e), cpu
        )
        adapter, sessions = best_of(
            args.repeat,
            lambda u=users, s=starts, e=ends: cell_sessions.read_sessions(
                u, s, e, None, cells.SESSION_TIMEZONE
            ),
        )
        window = cell_sessions.period_window(sessions, None, None, "UTC")
        engine, frame = best_of(
            args.repeat, lambda s=sessions, w=window: finalize_usage(partial_usage(s, w), w)
        )
        # the engine returns NumPy columns (one row here: one org, one period)
        assert int(frame["peak_concurrent"][0]) == peak, (name, peak)
        answers.add(peak)
        print(f"{name:<12} {call:>8.3f}s {cpu[0]:>8.3f}s {adapter:>8.3f}s {engine:>8.3f}s  {peak}")
    assert len(answers) == 1, f"the input forms disagree: {answers}"
    print(f"every input form, the UDF and the engine agree: peak {answers.pop()}")


if __name__ == "__main__":
    main()
