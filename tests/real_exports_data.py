"""What tests/test_real_exports.py and tests/test_real_exports_odd.py share: the data folder,
the engines, the partial-period warning, and the CLI and API calls on one engine."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from billing_model.cli import main
from billing_model.core.usage import compute_usage
from billing_model.dask_engine import compute_usage_dask
from billing_model.io.sessions import read_sessions

DATA = Path(__file__).parent / "data"
ENGINES = ["numpy", "dask"]
#: the warning of a file that covers less than half of a billing period (its users partial)
PARTIAL = r"less than half of 1 billing period\(s\)"


def usage_csv(capsys, *args, engine="numpy"):
    """``billing-model usage ... --format csv`` on one engine: (exit code, rows, stderr)."""
    code = main(["usage", *map(str, args), "--format", "csv", "--engine", engine])
    out, err = capsys.readouterr()
    rows = pd.read_csv(io.StringIO(out), keep_default_na=False) if code == 0 else None
    return code, rows, err


def usage_error(capsys, *args, engine="numpy") -> str:
    """The one line a bad input gives (exit 2, no traceback)."""
    code = main(["usage", *map(str, args), "--engine", engine])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


def exit_code(args) -> int:
    """main()'s exit code, argparse's own exit for usage errors included."""
    try:
        return main(args)
    except SystemExit as exc:
        return int(exc.code)


def api_usage(path, engine, **kw):
    """compute_usage(read_sessions(...)) or compute_usage_dask on the same input."""
    read = {k: kw.pop(k) for k in ("license", "other_clients", "as_of") if k in kw}
    if engine == "dask":
        return compute_usage_dask(path, progress=False, **read, **kw)
    as_of = read.get("as_of")
    if isinstance(as_of, str):
        as_of = pd.Timestamp(as_of).value
    return compute_usage(read_sessions(path, **read), as_of=as_of, **kw)
