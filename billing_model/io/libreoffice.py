"""Recalculate workbooks in LibreOffice headless, the spreadsheet engine the tests trust.

openpyxl writes formulas without results. Opening such a file in LibreOffice Calc (headless) and
saving it again as ``.xlsx`` stores every formula's computed value, which openpyxl then reads with
``load_workbook(path, data_only=True)``. That is how the tests prove the workbooks compute the same
figures as the Python engines, and what ``billing-model build --recalc`` does so that viewers which
do not calculate (previewers, mail clients) show numbers.

Each Python process uses its own LibreOffice profile directory (two LibreOffice instances sharing
a profile block each other), configured to recalculate every formula on load.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..core.errors import BillingInputError

#: seconds one LibreOffice run may take before it is stopped
DEFAULT_TIMEOUT = 180.0

SOFFICE_HELP = (
    "install LibreOffice Calc (Debian package libreoffice-calc; `make libreoffice` "
    "runs scripts/ensure-package.sh) or set BILLING_MODEL_SOFFICE to its path"
)

# Calc settings for the profile: recalculate always on load (Excel 2007+ files and ODF), so no
# stale cached value survives a conversion. And a last-run version no LibreOffice reaches:
# LibreOffice 7.2+ runs its graphics self-tests (GraphicsRenderTests, drawing into 4096-pixel
# bitmaps) whenever the profile's last version is older than itself, and headless runs never
# record it, so every start paid them: about 0.9 s of the 1.36 s of CPU a start cost (the
# values are the same; docs/workbooks.md, "LibreOffice's cost").
#: the profile's "last version run" (major.minor): above every LibreOffice's, so none upgrades
_NO_SELF_TESTS = "999.9"
_ITEM = (
    '<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse">'
    "<value>{value}</value></prop></item>"
)
_REGISTRY = "\n".join(
    [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry"'
        ' xmlns:xs="http://www.w3.org/2001/XMLSchema"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
        _ITEM.format(
            path="/org.openoffice.Office.Calc/Formula/Load", name="OOXMLRecalcMode", value=0
        ),
        _ITEM.format(
            path="/org.openoffice.Office.Calc/Formula/Load", name="ODFRecalcMode", value=0
        ),
        _ITEM.format(path="/org.openoffice.Office.Common/Misc", name="FirstRun", value="false"),
        _ITEM.format(
            path="/org.openoffice.Setup/Product", name="ooSetupLastVersion", value=_NO_SELF_TESTS
        ),
        "</oor:items>",
        "",
    ]
)

_PROFILES: dict[int, Path] = {}


class RecalcError(RuntimeError):
    """LibreOffice is missing, failed, or took too long."""


def find_soffice() -> str:
    """Path of the ``soffice`` program, or a :class:`RecalcError` saying how to install it."""
    candidates = [
        os.environ.get("BILLING_MODEL_SOFFICE"),
        shutil.which("soffice"),
        shutil.which("libreoffice"),
        "/usr/bin/soffice",
        "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise RecalcError(f"LibreOffice (soffice) was not found; {SOFFICE_HELP}")


def _profile_dir() -> Path:
    """This process's LibreOffice profile (created once, reused by later runs)."""
    pid = os.getpid()
    profile = _PROFILES.get(pid)
    if profile is None or not profile.exists():
        profile = Path(tempfile.mkdtemp(prefix=f"billing-model-lo-{pid}-"))
        user = profile / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_REGISTRY, encoding="utf-8")
        _PROFILES[pid] = profile
        atexit.register(shutil.rmtree, profile, True)
    return profile


def convert(
    paths: Sequence[str | os.PathLike],
    outdir: str | os.PathLike,
    *,
    to: str = "xlsx",
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Path]:
    """Open ``paths`` in LibreOffice headless and save them into ``outdir`` in format ``to``.

    ``to`` is ``"xlsx"`` (recalculated workbook) or ``"pdf"``. One LibreOffice run converts all
    the files (each start costs seconds). Returns the output paths, in the order of ``paths``.
    """
    files = [Path(p).resolve() for p in paths]
    for path in files:
        if not path.is_file():
            raise BillingInputError(f"{path}: no such workbook to recalculate")
    folder = Path(outdir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if any(p.parent == folder for p in files):
        raise BillingInputError(f"{folder}: the output folder must differ from the input's")
    if not files:
        return []
    target = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "pdf": "pdf"}.get(to, to)
    proc = _soffice(files, folder, target, timeout)
    suffix = "." + to.split(":")[0]
    outputs = [folder / (p.stem + suffix) for p in files]
    missing = [str(o) for o in outputs if not o.is_file()]
    if proc.returncode != 0 or missing:
        raise RecalcError(_failure(proc, to, ", ".join(missing) or "nothing"))
    return outputs


def _failure(proc: subprocess.CompletedProcess, to: str, missing: str) -> str:
    detail = " ".join((proc.stderr or proc.stdout or "").split())[:300]
    return (
        f"LibreOffice failed (exit {proc.returncode}) converting to {to}; "
        f"missing {missing}: {detail}"
    )


def _soffice(
    files: Sequence[Path], folder: Path, target: str, timeout: float
) -> subprocess.CompletedProcess:
    """One LibreOffice run converting ``files`` into ``folder`` with the filter ``target``."""
    soffice = find_soffice()
    cmd = [
        soffice,
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--nodefault",
        f"-env:UserInstallation={_profile_dir().as_uri()}",
        "--convert-to",
        target,
        "--outdir",
        str(folder),
        *map(str, files),
    ]
    # LibreOffice's own temporary files go inside the profile, removed with it at exit (an
    # interrupted run left /tmp/lu*.tmp behind)
    scratch = _profile_dir() / "tmp"
    scratch.mkdir(exist_ok=True)
    env = dict(
        os.environ,
        SAL_USE_VCLPLUGIN="svp",
        TMPDIR=str(scratch),
        TMP=str(scratch),
        TEMP=str(scratch),
    )
    return _run(cmd, env, timeout, len(files))


def _run(
    cmd: list[str], env: dict[str, str], timeout: float, count: int
) -> subprocess.CompletedProcess:
    """Run LibreOffice in a process group of its own; stop the whole group if it takes longer
    than ``timeout`` or this process is interrupted (Ctrl-C, SIGTERM through the CLI).

    ``soffice`` is a launcher (``oosplash``) whose child ``soffice.bin`` does the work: stopping
    only the launcher, as ``subprocess.run`` does, left ``soffice.bin`` running, writing into a
    profile that was being removed (and a ``pkcs11.txt`` into the current folder)."""
    import time

    started = time.time()
    handlers = _catch_termination()
    try:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        return _wait(proc, cmd, timeout, count, started)
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP while LibreOffice runs, in a program that left them to Python's
    default (which ended the process at once: LibreOffice, in a session of its own, ran on, and
    the temporary folders and the profile stayed in /tmp). Raised like Ctrl-C's
    KeyboardInterrupt, so that both are stopped and removed on the way out."""

    def __init__(self, signum: int):
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


def _terminate(signum, frame):
    signal.signal(signum, signal.SIG_IGN)  # a second kill must not cut the clean-up short
    raise Terminated(signum)


def _catch_termination() -> dict[int, signal._HANDLER]:
    """Install :func:`_terminate` for SIGTERM and SIGHUP where Python's default is in place
    (the command line has its own); return the handlers to put back."""
    import threading

    handlers: dict[int, signal._HANDLER] = {}
    if threading.current_thread() is not threading.main_thread():
        return handlers
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) == signal.SIG_DFL:
            handlers[signum] = signal.signal(signum, _terminate)
    return handlers


def _wait(
    proc: subprocess.Popen, cmd: list[str], timeout: float, count: int, started: float
) -> subprocess.CompletedProcess:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop_group(proc)
        _remove_stale_pipes(started)
        raise RecalcError(
            f"LibreOffice did not finish converting {count} file(s) within "
            f"{timeout:.0f} s; is another soffice hanging?"
        ) from None
    except BaseException:
        _stop_group(proc)
        _remove_stale_pipes(started)
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _remove_stale_pipes(since: float, folder: str = "/tmp") -> list[Path]:
    """Remove the ``OSL_PIPE_*`` sockets a killed LibreOffice left in ``folder`` (LibreOffice
    places its single-instance socket in /tmp whatever TMPDIR says, and only removes it on a
    clean exit). Only sockets created since ``since`` (a ``time.time()``) that no process
    listens on any more are removed: a running LibreOffice's socket accepts a connection."""
    import socket
    import stat

    removed = []
    for path in Path(folder).glob(f"OSL_PIPE_{os.getuid()}_*"):
        try:
            info = path.lstat()
            if not stat.S_ISSOCK(info.st_mode) or info.st_mtime < since - 1:
                continue
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.settimeout(0.5)
                probe.connect(str(path))  # someone listens: a live LibreOffice's, keep it
        except (ConnectionRefusedError, FileNotFoundError) as exc:
            if isinstance(exc, ConnectionRefusedError):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
        except OSError:
            continue
    return removed


def _stop_group(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """Kill ``proc``'s process group (LibreOffice and the children it started) and wait until
    none of them runs any more (at most ``grace`` seconds), so nothing writes after we return."""
    import time

    # SIGTERM first: LibreOffice then removes its /tmp/OSL_PIPE_* socket (SIGKILL left it)
    for signum, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, grace)):
        try:
            os.killpg(proc.pid, signum)
        except (ProcessLookupError, PermissionError):
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.05)  # the launcher; its children are reparented
            if proc.returncode is not None and not _group_alive(proc.pid):
                break
        else:
            continue
        break
    with contextlib.suppress(Exception):
        proc.communicate(timeout=grace)


def _group_alive(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs (zombies, dead but not yet reaped by
    their new parent, do not count). Without /proc (macOS): assume it does."""
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[0] != "Z" and fields[2] == str(pgid):
            return True
    return False


def recalculate(
    path: str | os.PathLike,
    out: str | os.PathLike | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """Recalculate one workbook with LibreOffice and store the results in the file.

    Parameters
    ----------
    path : workbook to recalculate.
    out : where to write the recalculated workbook; default: replace ``path`` (atomically).
    timeout : seconds before LibreOffice is stopped.

    Examples
    --------
    openpyxl stores a formula without its result; what does it compute?

    >>> import openpyxl, pathlib, tempfile
    >>> wb = openpyxl.Workbook(); wb.active["A1"] = "=ROUND(55*171.115,2)"
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.xlsx"; wb.save(path)
    >>> openpyxl.load_workbook(recalculate(path), data_only=True).active["A1"].value
    9411.33
    """
    return recalculate_many([path], [out] if out is not None else None, timeout=timeout)[0]


def recalculate_many(
    paths: Iterable[str | os.PathLike],
    outs: Iterable[str | os.PathLike] | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Path]:
    """Recalculate several workbooks in one LibreOffice run (see :func:`recalculate`)."""
    inputs = [Path(p) for p in paths]
    targets = [Path(o) for o in outs] if outs is not None else list(inputs)
    if len(targets) != len(inputs):
        raise ValueError("recalculate_many: one output per input")
    with tempfile.TemporaryDirectory(prefix="billing-model-recalc-") as tmp:
        staged = []
        for i, path in enumerate(inputs):  # distinct names even when two inputs share a stem
            if not path.is_file():
                raise BillingInputError(f"{path}: no such workbook to recalculate")
            stage = Path(tmp) / "in" / f"{i:03d}-{path.stem}.xlsx"
            stage.parent.mkdir(exist_ok=True)
            shutil.copyfile(path, stage)
            staged.append(stage)
        results = convert(staged, Path(tmp) / "out", to="xlsx", timeout=timeout)
        for result, out in zip(results, targets, strict=True):
            out.parent.mkdir(parents=True, exist_ok=True)
            _copy_replace(result, out)
    return targets


#: LibreOffice's CSV export of every sheet to a file of its own (``<stem>-<sheet>.csv``, LibreOffice
#: 7.2+). The tokens: comma, double quote, UTF-8, (import only), (import only), system language,
#: every text cell quoted (so text and numbers differ), (import only), values not as shown (raw
#: numbers, full precision; dates stay ISO text, percentages keep their %), values not formulas,
#: spaces kept, -1 = each sheet.
CSV_EACH_SHEET = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,true,false,false,false,-1"


def sheet_values(
    paths: Iterable[str | os.PathLike],
    outdirs: Iterable[str | os.PathLike],
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Path]:
    """Recalculate workbooks in one LibreOffice run and write each sheet's computed values as
    CSV, ``<outdir>/<sheet name>.csv``, instead of saving the workbook: what a reader needs who
    wants the figures, not the file (saving a large workbook as xlsx costs LibreOffice as much
    as loading and recalculating it; the CSV costs a fraction). Returns the folders.

    An input that is not a workbook (not a zip archive: an empty file, a CSV) and an output
    folder that is a file or serves two inputs are refused in one line before LibreOffice
    runs; a folder gets its sheets whole or not at all (see :func:`_place_values`)."""
    inputs = [Path(p) for p in paths]
    targets = [Path(o) for o in outdirs]
    if len(targets) != len(inputs):
        raise ValueError("sheet_values: one output folder per input")
    _check_values_args(inputs, targets)  # before LibreOffice's run, not after it
    with tempfile.TemporaryDirectory(prefix="billing-model-values-") as tmp:
        staged = []
        for i, path in enumerate(inputs):  # the stem is the index: the sheet follows its '-'
            stage = Path(tmp) / "in" / f"{i:03d}.xlsx"
            stage.parent.mkdir(exist_ok=True)
            shutil.copyfile(path, stage)
            staged.append(stage.resolve())
        out = (Path(tmp) / "out").resolve()
        out.mkdir()
        proc = _soffice(staged, out, CSV_EACH_SHEET, timeout)
        made: dict[int, list[Path]] = {}
        for csv in out.glob("*.csv"):
            made.setdefault(int(csv.name.partition("-")[0]), []).append(csv)
        missing = [str(p) for i, p in enumerate(inputs) if i not in made]
        if proc.returncode != 0 or missing:
            raise RecalcError(_failure(proc, "csv", ", ".join(missing) or "nothing"))
        for i, target in enumerate(targets):
            _place_values(made[i], target)
    return targets


def _check_values_args(inputs: list[Path], targets: list[Path]) -> None:
    """One line for what :func:`sheet_values` cannot do, before LibreOffice runs: an input that
    is not a workbook (LibreOffice read an empty file as an empty sheet, values that looked
    complete), an output folder that is a file or given twice (two workbooks' sheets mixed)."""
    import zipfile

    for path in inputs:
        if not path.is_file():
            raise BillingInputError(f"{path}: no such workbook to recalculate")
        if not zipfile.is_zipfile(path):
            what = "an empty file" if path.stat().st_size == 0 else "not a zip archive"
            raise BillingInputError(
                f"{path}: {what}, not a workbook; accepted: an .xlsx (or .ods) workbook"
            )
    seen: dict[Path, int] = {}
    for i, target in enumerate(targets):
        existing = next((p for p in (target, *target.parents) if p.exists()), target)
        if existing.exists() and not existing.is_dir():
            where = "is a file" if existing == target else f"is under {existing}, a file"
            raise BillingInputError(
                f"{target}: {where}; accepted: a folder for the sheets' CSV files"
            )
        first = seen.setdefault(target.resolve(), i)
        if first != i:
            raise BillingInputError(
                f"{target}: the output folder of workbooks {first + 1} and {i + 1} "
                f"({inputs[first].name}, {inputs[i].name}); accepted: one folder per workbook"
            )


def _place_values(csvs: list[Path], target: Path) -> None:
    """Move one workbook's sheet files (``007-Invoices.csv``) into ``target`` (``Invoices.csv``)
    so that no half-written file ever has its final name: they are copied into a folder beside
    ``target`` (the same file system) first, which becomes ``target``, or whose files each
    replace their namesake in an existing ``target``. A failure leaves ``target`` as it was
    (or each file whole), and no partial folder behind."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = Path(tempfile.mkdtemp(prefix=f".{target.name}.part-", dir=target.parent))
    try:
        for csv in csvs:
            shutil.move(csv, part / csv.name.partition("-")[2])
        if not target.exists():
            part.rename(target)
            return
        for csv in sorted(part.iterdir()):
            os.replace(csv, target / csv.name)
    finally:
        shutil.rmtree(part, ignore_errors=True)


def _copy_replace(src: Path, dst: Path) -> None:
    from .atomic import atomic_path

    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)


def to_pdf(
    path: str | os.PathLike, outdir: str | os.PathLike, *, timeout: float = DEFAULT_TIMEOUT
) -> Path:
    """Render a workbook to PDF with LibreOffice (what a user would print)."""
    with tempfile.TemporaryDirectory(prefix="billing-model-pdf-") as tmp:
        stage = Path(tmp) / Path(path).name
        shutil.copyfile(path, stage)
        result = convert([stage], Path(tmp) / "out", to="pdf", timeout=timeout)[0]
        target = Path(outdir) / result.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(result, target)
    return target
