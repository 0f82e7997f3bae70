"""Timing and peak memory for the benchmark scripts (one copy, imported by each).

* :func:`best_of`: the best wall time of a few calls in this process (and, on request, the best
  CPU time: on a shared machine it moves less than the wall time).
* :func:`measure`: one fresh process, run through a small launcher that forks and execs it, reaps
  it with ``os.wait4`` and reports its exit code, wall time, CPU time (user + system, all its
  threads) and peak resident memory (``ru_maxrss`` of that child alone, what ``/usr/bin/time -v``
  calls "Maximum resident set size"). The launcher is a fresh ``python -S``: a child spawned
  straight from a benchmark that holds DuckDB, Polars or pandas would inherit that high-water
  mark (Linux keeps the parent's peak across exec). :func:`measure_ok` stops the benchmark when
  the process fails.

Children run with the repository first on ``PYTHONPATH`` (the code of this checkout) and without
progress bars.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]

#: the launcher: ``python -S -c LAUNCHER METRICS_FILE COMMAND...`` writes ``code wall rss_kb cpu``
LAUNCHER = """
import os, sys, time
t = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(f"{os.waitstatus_to_exitcode(status)} {time.perf_counter() - t} {usage.ru_maxrss} "
            f"{usage.ru_utime + usage.ru_stime}")
"""


class Measured(NamedTuple):
    """One fresh process: exit code, wall and CPU time (s), peak RSS (MB) and what it printed
    (``stdout`` is empty when it went to a file)."""

    code: int
    wall: float
    cpu: float
    peak_mb: float
    stdout: str
    stderr: str


def best_of(repeat: int, fn: Callable[[], Any], cpu: list | None = None) -> tuple[float, Any]:
    """The best wall time of ``repeat`` calls and the result; with ``cpu``, the best CPU time
    (this process, all threads) is appended to it: on a busy machine it moves less."""
    times, cpus, result = [], [], None
    for _ in range(repeat):
        c, t = time.process_time(), time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    if cpu is not None:
        cpu.append(min(cpus))
    return min(times), result


def measure(command: list[str], *, stdout: Path | None = None) -> Measured:
    """Run ``command`` (its first item a path to an executable) in a fresh process through the
    launcher; its standard output goes to the file ``stdout``, or is returned."""
    env = dict(
        os.environ,
        BILLING_MODEL_PROGRESS="0",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as metrics:
        with open(stdout, "w") if stdout is not None else contextlib.nullcontext() as out:
            done = subprocess.run(
                [sys.executable, "-S", "-c", LAUNCHER, metrics.name, *command],
                stdout=out if out is not None else subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )
        code, wall, rss_kb, cpu = metrics.read().split()
    return Measured(
        int(code) or done.returncode,
        float(wall),
        float(cpu),
        int(rss_kb) / 1024,
        (done.stdout or b"").decode(),
        done.stderr.decode(),
    )


def measure_ok(command: list[str], *, stdout: Path | None = None) -> Measured:
    """:func:`measure`, stopping the benchmark with the command's error when it fails."""
    run = measure(command, stdout=stdout)
    if run.code:
        sys.exit(f"{' '.join(command)} failed with exit code {run.code}: {run.stderr[-2000:]}")
    return run
