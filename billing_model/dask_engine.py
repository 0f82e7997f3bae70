"""Usage on Dask: the in-memory engine's rows, for inputs larger than one machine's memory.

The computation is the in-memory engine's (:mod:`billing_model.core.usage`) cut along users, so no
rule is implemented twice:

1. **Scan** (one task per part file): read and validate the part exactly as the in-memory engine
   does (:func:`billing_model.io.sessions.iter_chunks`, i.e. :func:`~billing_model.core.sessions.
   normalize_table` per batch) and keep only what the whole run needs: row counts, the earliest
   start and latest end, the org names and user ids, the first bad-input message. The client
   then raises the error of the first bad file (in file order, as the in-memory engine would),
   fixes the billing calendar, the :class:`~billing_model.core.usage.Window` and the sorted org and
   user lists.
2. **Shuffle**: each part is read again as compact integer columns (user and org codes into the
   sorted names the scan found, license rank, UTC start and end, billable: 26 bytes a session)
   and every row moves to partition ``user % N`` (one machine: each read task writes its rows to
   one file per partition, each partition task reads its files; a cluster: ``dask.dataframe``'s
   peer-to-peer shuffle on ``hash(org, user)``), so that every session of one user meets in one
   partition.
3. **Partials**: :func:`~billing_model.core.usage.partial_usage` per partition with the shared
window and org list: the pool's +1/-1 presence events per org and period, and per-user minutes.
4. **Reduce**: the partials are added in a tree (events merge, user tables concatenate) and
   :func:`~billing_model.core.usage.finalize_usage` picks the peaks and the billed users once.

Memory: a scan task holds one batch of a part; a read task one part, or one run of row groups
of a Parquet part (about ``partition_rows`` sessions); a partial one partition (about
``partition_rows`` sessions). The shuffled sessions wait on disk: in files on one machine, in
the peer-to-peer shuffle's buffers and spill files on a cluster (bounded by each worker's memory
limit).

This module runs the whole and holds pass 1 (the scan) and the connection to a scheduler;
passes 2-4, the graphs of tasks, are in :mod:`billing_model.dask_shuffle`.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import tempfile
import types
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from .core.concurrency import DEFAULT_MIN_MINUTES, billable_peak, check_peak_rule
from .core.errors import BillingInputError, BillingWarning
from .core.periods import DEFAULT_TIMEZONE, BillingCalendar, get_timezone, mark_coverage
from .core.sessions import (
    PARAMETERS,
    OptionNames,
    check_other_clients,
    check_other_presence,
    check_span,
    first_rows,
    no_billable_message,
    warn_clipped,
    warn_open,
)
from .core.usage import (
    COLUMNS,
    USER_COLUMNS,
    Window,
    daily_usage,
    finalize_usage,
    order_date_at,
    output_names,
    to_frame,
)
from .dask_shuffle import (
    FAN_IN,
    add_partials,
    local_usage_graph,
    partition_partial,
    read_part,
    read_pieces,
    sessions_from_frame,
    usage_graph,
)
from .io.progress import dask_progress, wait_distributed
from .io.sessions import iter_chunks, parse_as_of, session_files
from .io.tables import fold_ids

__all__ = [  # passes 2-4 live in dask_shuffle; their names are re-exported here
    "CONNECT_TIMEOUT",
    "FAN_IN",
    "PARTITION_ROWS",
    "add_partials",
    "compute_usage_dask",
    "local_usage_graph",
    "partition_partial",
    "read_part",
    "read_pieces",
    "scan_part",
    "sessions_from_frame",
    "summarize_scans",
    "usage_graph",
]

#: sessions per shuffled partition (25 MB of compact columns); bounds a task's memory
PARTITION_ROWS = 1 << 20
#: how long to try reaching a distributed scheduler before giving up
CONNECT_TIMEOUT = "10s"


def compute_usage_dask(
    path: str | Path,
    *,
    order_date=None,
    timezone: str = DEFAULT_TIMEZONE,
    peak_rule: str = "cumulative",
    min_minutes: int = DEFAULT_MIN_MINUTES,
    license: str | None = None,
    input_timezone: str | None = None,
    org: str | None = None,
    other_clients: str | None = None,
    as_of: int | str | None = None,
    other_presence: str | None = None,
    region: str | None = None,
    option_names: OptionNames = PARAMETERS,
    scheduler: Any = None,
    partition_rows: int = PARTITION_ROWS,
    progress: bool | None = None,
    by_user: bool = False,
    daily: bool = False,
) -> pd.DataFrame:
    """Billable named users and concurrent peaks, computed with Dask over part files.

    The same rows (and the same errors and warnings) as
    ``compute_usage(read_sessions(path, ...), ...)``, without holding every session in one
    process.

    Parameters
    ----------
    path : a CSV, Parquet or user-details JSON file, a folder of such parts, or a glob.
    order_date, timezone, peak_rule, min_minutes : as
        :func:`billing_model.core.usage.compute_usage`.
    license, input_timezone, org, other_clients, as_of, other_presence, region : as
        :func:`billing_model.io.sessions.read_sessions` (``as_of`` also ends the data's window, as
        :func:`billing_model.core.usage.compute_usage`).
    option_names : how messages name those options (the parameters, the command line's flags:
        :class:`~billing_model.core.sessions.OptionNames`).
    scheduler : address of a Dask distributed scheduler (``"tcp://host:8786"``) or a
        ``distributed.Client``; default ``None``: Dask's local threaded scheduler.
    partition_rows : about how many sessions each shuffled partition holds (memory per task).
    progress : draw progress bars on standard error (default: when it is a terminal).
    by_user, daily : one row per org, period and user, or per org and local day, instead (as
        :func:`~billing_model.core.usage.compute_usage`).

    Returns
    -------
    DataFrame: the columns of :func:`billing_model.core.usage.compute_usage`.

    Examples
    --------
    Two parts of one month; ann's sessions are split across them:

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> header = "user_id,start,end,license\\n"
    >>> _ = (folder / "a.csv").write_text(header + "ann,2026-01-05T13:00Z,2026-01-05T14:00Z,pc2\\n"
    ...                                   "bob,2026-01-05T13:00Z,2026-01-05T23:00Z,pc2\\n")
    >>> _ = (folder / "b.csv").write_text(header + "ann,2026-01-05T14:00Z,2026-01-05T17:00Z,pc2\\n")
    >>> frame = compute_usage_dask(folder, order_date="2026-01-01", progress=False)
    >>> frame[["license", "named_users", "peak_concurrent"]]
      license  named_users  peak_concurrent
    0     pc2            2                2
    """
    peak_rule = check_peak_rule(peak_rule)
    billable_peak(np.zeros(0, np.int64), min_minutes, peak_rule)  # checks min_minutes now
    get_timezone(timezone)
    if int(partition_rows) != partition_rows or partition_rows < 1:
        raise BillingInputError(f"partition rows: {partition_rows!r} is not a whole number >= 1")
    source = str(path)
    files = session_files(path)
    as_of = parse_as_of(as_of, option_names)
    options = {
        "license": license,
        "input_timezone": input_timezone,
        "org": org,
        "region": region,
        "other_clients": check_other_clients(other_clients, option_names),
        "as_of": as_of,
        "other_presence": check_other_presence(other_presence, option_names),
        "option_names": option_names,
    }

    with _connect(scheduler) as client:
        scans = _run(
            client,
            [_delayed(scan_part)(f, options) for f in files],
            "Checking session files",
            progress,
        )
        summary = summarize_scans(scans, source=source, option_names=option_names)
        calendar = BillingCalendar(
            order_date if order_date is not None else order_date_at(summary.start_min, timezone),
            timezone,
        )
        window = Window.covering(calendar, summary.start_min, summary.touch_max)
        n_parts = max(1, math.ceil(summary.rows / partition_rows))
        pieces = read_pieces(files, scans, partition_rows)
        with _scratch(client) as directory:
            if directory is None:  # a cluster: Dask's peer-to-peer shuffle between workers
                root = usage_graph(
                    pieces,
                    options,
                    window,
                    summary.user_ids,
                    summary.org_names,
                    n_parts,
                    shuffle_method="p2p",
                    region_names=summary.region_names,
                )
            else:  # one machine: each piece's buckets go to files, each partition reads its own
                root = local_usage_graph(
                    pieces,
                    options,
                    window,
                    summary.user_ids,
                    summary.org_names,
                    n_parts,
                    directory,
                    region_names=summary.region_names,
                )
            (partial,) = _run(client, [root], "Computing usage", progress)
    if daily:
        return to_frame(daily_usage(partial, window))
    columns = finalize_usage(
        partial, window, peak_rule=peak_rule, min_minutes=min_minutes, by_user=by_user
    )
    columns = mark_coverage(
        columns,
        calendar,
        window.k0,
        window.k1,
        summary.start_min,
        summary.end_max if as_of is None else max(summary.end_max, as_of),
    )
    return to_frame(
        {
            name: columns[name]
            for name in output_names(USER_COLUMNS if by_user else COLUMNS, columns)
        }
    )


# --- pass 1: scan ---------------------------------------------------------------------------


def scan_part(file: Path, options: dict) -> dict:
    """What the run needs to know of one part, reading it as the in-memory engine does.

    Returns ``rows`` (sessions, zero-length ones included: each is a login), ``start_min`` and
    ``end_max`` (UTC ns, ``None`` without any) with ``start_where`` and ``end_where`` (the
    places of their rows, for messages), the sorted ``org_names``, ``user_keys`` (user ids as
    compared: trimmed, without case) with ``user_names`` (each as first seen in the part),
    ``open`` (the JSON records without ``endTime``: ``(count, end_ns, as_of given)`` or
    ``None``), the sizes of its Parquet ``row_groups`` (``None`` for other formats) and ``error``
    (the one-line message of the first bad input, or ``None``). Memory: one batch of the part,
    plus its distinct names.
    """
    rows = billable = 0
    start_min = end_max = touch_max = None
    start_where = end_where = None
    orgs: set[str] = set()
    regions: set[str] = set()
    no_region = None  # the first row of a chunk without a region
    users: dict[str, str] = {}  # key -> name as first seen
    opened: list[tuple] = []
    clipped: list[tuple] = []  # sessions ending after as_of: (count, as_of) per chunk
    try:
        for chunk in iter_chunks(Path(file), **options):
            if chunk.open:
                opened.append(chunk.open)
            if chunk.clipped:
                clipped.append(chunk.clipped)
            if not len(chunk):
                continue
            rows += len(chunk.start)
            billable += int(chunk.billable.sum())
            orgs.update(chunk.org_dict.astype(str).tolist())  # distinct names only
            if chunk.region_dict is not None:
                regions.update(chunk.region_dict.astype(str).tolist())
            elif no_region is None:
                no_region = chunk.where(0)
            seen = first_rows(chunk.user_idx, len(chunk.user_dict))
            order = np.argsort(seen, kind="stable")
            names = chunk.user_dict.astype(str)[order]
            for key, name in zip(fold_ids(names).tolist(), names.tolist(), strict=True):
                users.setdefault(key, name)  # distinct ids of the batch
            lo, hi = int(np.argmin(chunk.start)), int(np.argmax(chunk.end))
            if start_min is None or chunk.start[lo] < start_min:
                start_min, start_where = int(chunk.start[lo]), chunk.where(lo)
            if end_max is None or chunk.end[hi] > end_max:
                end_max, end_where = int(chunk.end[hi]), chunk.where(hi)
            # the window's end, as the in-memory engine takes it (usage_window): a zero-length
            # login at the latest instant still belongs to the period holding it
            touch = int(np.maximum(chunk.end, chunk.start + 1).max())
            touch_max = touch if touch_max is None else max(touch_max, touch)
    except BillingInputError as exc:
        return {"error": str(exc)}
    keys = sorted(users)
    return {
        "rows": rows,
        "billable": billable,
        "start_min": start_min,
        "end_max": end_max,
        "touch_max": touch_max,
        "start_where": start_where,
        "end_where": end_where,
        "org_names": sorted(orgs),
        "region_names": sorted(regions),
        "no_region": no_region,
        "user_keys": keys,
        "user_names": [users[k] for k in keys],
        "open": (sum(o[0] for o in opened), max(o[1] for o in opened), opened[0][2])
        if opened
        else None,
        "clipped": (sum(c[0] for c in clipped), clipped[0][1]) if clipped else None,
        "row_groups": _row_groups(Path(file)),
        "error": None,
    }


def _row_groups(file: Path) -> list[int] | None:
    """Rows in each row group of a Parquet file (``None`` for other formats)."""
    if file.suffix.lower() not in (".parquet", ".pq"):
        return None
    metadata = pq.ParquetFile(file).metadata
    return [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]


def summarize_scans(
    scans: Sequence[dict], *, source: str, option_names: OptionNames = PARAMETERS
) -> types.SimpleNamespace:
    """Totals of the scans; raises the first part's error, warns about open JSON records.

    Messages are those of :func:`billing_model.core.sessions.combine` for the same input. User ids
    are unified across parts as there: equal without case and spaces, named as first seen (in
    file order).
    """
    for scan in scans:
        if scan["error"] is not None:
            raise BillingInputError(scan["error"])
    warn_open([s["open"] for s in scans], source, option_names)
    warn_clipped([s.get("clipped") for s in scans], source, option_names)
    rows = sum(s["rows"] for s in scans)
    if rows == 0:
        raise BillingInputError(f"{source}: no sessions found (the input is empty)")
    if not sum(s["billable"] for s in scans):
        warnings.warn(no_billable_message(source), BillingWarning, stacklevel=3)
    lo = min((s for s in scans if s["start_min"] is not None), key=lambda s: s["start_min"])
    hi = max((s for s in scans if s["end_max"] is not None), key=lambda s: s["end_max"])
    check_span(lo["start_min"], lo["start_where"], hi["end_max"], hi["end_where"])

    users: dict[str, str] = {}
    for scan in scans:  # a loop over parts; each adds its distinct users
        for key, name in zip(scan["user_keys"], scan["user_names"], strict=True):
            users.setdefault(key, name)
    user_ids = np.array(sorted(users.values()), dtype=object)  # in name order, as combine's
    org_names = np.array(sorted(set().union(*(s["org_names"] for s in scans))), dtype=object)
    if len(user_ids) >= 2**31 or len(org_names) >= 2**31:  # the shuffle's int32 codes
        raise BillingInputError(
            f"{source}: {len(user_ids)} users in {len(org_names)} orgs; "
            "accepted: fewer than 2**31 users and 2**31 orgs"
        )
    regions = sorted(set().union(*(s["region_names"] for s in scans)))
    region_names = None
    if regions:  # as combine: every row has a region, or none has
        missing = [s["no_region"] for s in scans if s["rows"] and s["no_region"] is not None]
        if missing:
            raise BillingInputError(
                f"{missing[0]}: no 'region' column, where other parts of {source} have one; "
                f"accepted: a region on every row, or {option_names.setting('region', ['NAME'])} "
                "for rows without one"
            )
        region_names = np.array(regions, dtype=object)
        if len(region_names) >= 2**15:  # the shuffle's int16 codes
            raise BillingInputError(
                f"{source}: {len(region_names)} distinct region names; accepted: fewer than 2**15"
            )
    return types.SimpleNamespace(
        rows=rows,
        start_min=lo["start_min"],
        end_max=hi["end_max"],
        touch_max=max(s["touch_max"] for s in scans if s["touch_max"] is not None),
        org_names=org_names,
        user_ids=user_ids,
        region_names=region_names,
    )


@contextlib.contextmanager
def _scratch(client: Any) -> Iterator[Path | None]:
    """A temporary folder for the local shuffle (removed afterwards); ``None`` on a cluster."""
    if client is not None:
        yield None
        return
    import dask

    directory = Path(
        tempfile.mkdtemp(
            prefix="billing-model-shuffle-", dir=dask.config.get("temporary_directory", None)
        )
    )
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# --- running ----------------------------------------------------------------------------------


def _delayed(func):
    from dask import delayed

    return delayed(func, pure=True)


@contextlib.contextmanager
def _connect(scheduler: Any) -> Iterator[Any]:
    """A ``distributed.Client`` for ``scheduler`` (an address or a client), or ``None``."""
    if scheduler is None:
        yield None
        return
    from distributed import Client

    if isinstance(scheduler, Client):
        yield scheduler
        return
    address = str(scheduler).strip()
    try:
        _check_reachable(address)
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, ValueError, TimeoutError) as exc:
        raise BillingInputError(
            f"--scheduler: cannot reach a Dask scheduler at {address!r} "
            f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); accepted: the "
            "address `dask scheduler` prints, e.g. tcp://127.0.0.1:8786"
        ) from None
    with client:
        yield client


def _check_reachable(address: str) -> None:
    """Refuse a malformed, unreachable or non-TCP address before ``Client`` is made: a ``Client``
    whose constructor fails is left half-made, and its ``__del__`` at exit printed a traceback
    after waiting 20 s."""
    import socket

    from distributed.comm.addressing import parse_address, parse_host_port

    scheme, location = parse_address(address)
    if scheme == "inproc":  # a cluster in this process (the Python API, tests)
        from distributed.comm.inproc import global_manager

        if global_manager.get_listener_for(location) is None:
            raise ValueError("no scheduler of that address runs in this process")
        return
    if scheme != "tcp":  # no TLS security can be passed here; ucx needs its own set-up
        raise ValueError(f"scheme {scheme}:// is not supported here; use tcp://")
    host, port = parse_host_port(location)
    seconds = float(CONNECT_TIMEOUT.rstrip("s"))
    socket.create_connection((host, port), timeout=seconds).close()


def _run(client: Any, tasks: list, description: str, progress: bool | None) -> list:
    """Compute delayed objects locally or on ``client``, with a progress bar."""
    import dask

    with dask_progress(description, enabled=progress) as bar:
        if client is None:
            return list(dask.compute(*tasks))
        futures = client.compute(tasks)
        wait_distributed(futures, bar)
        return client.gather(futures)
