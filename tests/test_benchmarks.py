"""Every script in ``benchmarks/`` runs at its tiny size, so a change that breaks one fails here.

Each script is run as a user runs it (a fresh ``python benchmarks/X.py --tiny`` process) with its
generated data under the test's temporary folder. What is checked is what the script checks:
its exit code (each script exits non-zero when its engines or peers give different rows) and the
line where it says the rows agree; never a time. The scripts that are only run by others (the
DuckDB and Polars peers, the brute-force rules, the pandas baseline) are covered by the script
that runs them, and a new script without an entry here fails ``test_every_script_is_covered``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"

#: script -> (arguments after --tiny, with {data} for the data folder; a line its output must
#: hold: the script's own check that the rows agree)
SMOKE = {
    "bench_udf.py": ([], "every input form, the UDF and the engine agree"),
    "bench_dask.py": (["--data", "{data}"], "rows identical across local, numpy: True"),
    "bench_memory.py": (["--data", "{data}"], "rows identical: True"),
    "bench_usage.py": (["--data", "{data}"], "results identical: True"),
    "compare_peers.py": (["--data", "{data}"], "duckdb = polars: True; engine = peers: True"),
    "bench_build_variants.py": (["--data", "{data}"], "built, and refused in one line: True"),
}
#: scripts that other scripts run, and the smoke run that covers them
COVERED_BY = {
    "peer_duckdb.py": "compare_peers.py",  # a fresh process per size, and in the validation
    "peer_polars.py": "compare_peers.py",
    "rules_bruteforce.py": "compare_peers.py",  # the validation's reference
    "pandas_baseline.py": "bench_usage.py",
    "_timing.py": "bench_dask.py",  # imported by every script that times a process
}


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        BILLING_MODEL_PROGRESS="0",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    return subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_every_script_is_covered():
    scripts = {p.name for p in BENCH.glob("*.py")}
    assert scripts == set(SMOKE) | set(COVERED_BY)
    assert set(COVERED_BY.values()) <= set(SMOKE)


@pytest.mark.parametrize("script", sorted(SMOKE))
def test_benchmark_runs_at_tiny_size(script, tmp_path):
    extra, expected = SMOKE[script]
    done = run(script, "--tiny", *(a.format(data=tmp_path) for a in extra))
    assert done.returncode == 0, f"{script} --tiny failed:\n{done.stdout}\n{done.stderr[-3000:]}"
    assert expected in done.stdout, done.stdout


def test_bruteforce_worked_example():
    """``rules_bruteforce.py`` run by itself checks the rules' worked example (500 users for 31
    minutes and 3 for 6 bill 500)."""
    done = run("rules_bruteforce.py")
    assert done.returncode == 0, done.stderr[-3000:]
