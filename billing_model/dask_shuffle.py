"""Passes 2-4 of the Dask engine (:mod:`billing_model.dask_engine`): the sessions shuffled by
user, one :func:`~billing_model.core.usage.partial_usage` per partition, the partials added in a
tree.

Two graphs build the same :class:`~billing_model.core.usage.UsagePartial`: :func:`usage_graph`
with ``dask.dataframe``'s shuffle (for a cluster) and :func:`local_usage_graph` through ``.npy``
files in a scratch folder (for one machine). Both read the pieces :func:`read_pieces` plans from
the scans of pass 1.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .core.sessions import Chunk, Sessions
from .core.usage_partial import UsagePartial, Window, partial_usage
from .io.sessions import iter_chunks
from .io.tables import fold_ids

#: partials added per reduction task
FAN_IN = 4

_META = pd.DataFrame(
    {
        "user": pd.Series([], dtype=np.int32),
        "org": pd.Series([], dtype=np.int32),
        "region": pd.Series([], dtype=np.int16),
        "rank": pd.Series([], dtype=np.int8),
        "start": pd.Series([], dtype=np.int64),
        "end": pd.Series([], dtype=np.int64),
        "billable": pd.Series([], dtype=bool),
    }
)


# --- pass 2: shuffle by user, partials, tree reduction ---------------------------------------


def read_pieces(
    files: Sequence[Path], scans: Sequence[dict], rows_per_piece: int
) -> list[tuple[Path, tuple[int, ...] | None]]:
    """What each read task of the shuffle reads: a whole file, or consecutive row groups of a
    Parquet file adding up to about ``rows_per_piece`` rows (``(file, row_groups)``)."""
    pieces: list[tuple[Path, tuple[int, ...] | None]] = []
    for file, scan in zip(files, scans, strict=True):
        sizes = scan.get("row_groups")
        if not sizes or len(sizes) == 1:
            pieces.append((Path(file), None))
            continue
        group: list[int] = []
        rows = 0
        for i, n in enumerate(sizes):  # a loop over row groups (metadata), not rows
            if group and rows + n > rows_per_piece:
                pieces.append((Path(file), tuple(group)))
                group, rows = [], 0
            group.append(i)
            rows += n
        pieces.append((Path(file), tuple(group)))
    return pieces


def _piece_chunks(piece: tuple[Path, tuple[int, ...] | None], options: dict) -> Iterator[Chunk]:
    """Encoded chunks of a piece. A file is read by :func:`~billing_model.io.sessions.iter_chunks`;
    row groups of a Parquet file (validated by the scan already) batch by batch alike."""
    file, groups = piece
    yield from iter_chunks(file, **options, row_groups=groups)


def read_part(
    piece: tuple[Path, tuple[int, ...] | None],
    options: dict,
    user_ids: np.ndarray,
    org_names: np.ndarray,
    region_names: np.ndarray | None = None,
) -> pd.DataFrame:
    """One piece (see :func:`read_pieces`) as compact integer columns for the shuffle
    (zero-length sessions kept: each is a login).

    ``user`` and ``org`` are codes into the run's sorted ``user_ids`` and ``org_names`` (from the
    scan), so the shuffle moves no text. A chunk's ids are looked up as compared (trimmed,
    without case): ``user_ids`` holds one name per such id. ``region`` codes index
    ``region_names`` (0 when the data has no region).
    """
    folded = fold_ids(user_ids)
    codes = np.argsort(folded, kind="stable")
    keys = folded[codes]
    orgs = org_names.astype(str)
    frames = []
    for chunk in _piece_chunks(piece, options):
        if not len(chunk):
            continue
        user_code = codes[np.searchsorted(keys, fold_ids(chunk.user_dict))]  # distinct ids
        org_code = np.searchsorted(orgs, chunk.org_dict.astype(str))
        region = np.zeros(len(chunk), dtype=np.int16)
        if region_names is not None:
            region_code = np.searchsorted(region_names.astype(str), chunk.region_dict.astype(str))
            region[:] = region_code[chunk.region_idx]
        frames.append(
            pd.DataFrame(
                {
                    "user": user_code[chunk.user_idx].astype(np.int32),
                    "org": org_code[chunk.org_idx].astype(np.int32),
                    "region": region,
                    "rank": chunk.rank.astype(np.int8),
                    "start": chunk.start,
                    "end": chunk.end,
                    "billable": chunk.billable,
                }
            )
        )
    if not frames:
        return _META.copy()
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def sessions_from_frame(
    frame: pd.DataFrame,
    user_ids: np.ndarray,
    org_names: np.ndarray,
    region_names: np.ndarray | None = None,
) -> Sessions:
    """:class:`~billing_model.core.sessions.Sessions` from a partition's compact columns."""
    users, user = np.unique(frame["user"].to_numpy(), return_inverse=True)
    orgs, org = np.unique(frame["org"].to_numpy(), return_inverse=True)
    region = names = None
    if region_names is not None:
        regions, region = np.unique(frame["region"].to_numpy(), return_inverse=True)
        region, names = region.reshape(-1).astype(np.int64), region_names[regions]
    return Sessions(
        user=user.reshape(-1).astype(np.int64),
        org=org.reshape(-1).astype(np.int64),
        rank=frame["rank"].to_numpy(np.int8),
        start_ns=frame["start"].to_numpy(np.int64),
        end_ns=frame["end"].to_numpy(np.int64),
        billable=frame["billable"].to_numpy(bool),
        user_ids=user_ids[users],
        org_names=org_names[orgs],
        region=region,
        region_names=names,
    )


def partition_partial(
    frame: pd.DataFrame,
    window: Window,
    user_ids: np.ndarray,
    org_names: np.ndarray,
    region_names: np.ndarray | None = None,
) -> UsagePartial:
    """:func:`~billing_model.core.usage.partial_usage` of one partition (every session of its
    users)."""
    return partial_usage(
        sessions_from_frame(frame, user_ids, org_names, region_names),
        window,
        org_names,
        region_names,
    )


def add_partials(*partials: UsagePartial) -> UsagePartial:
    """The sum of partials (events merge, user tables concatenate)."""
    total = partials[0]
    for other in partials[1:]:  # a handful per reduction task
        total = total + other
    return total


def usage_graph(
    pieces: Sequence[tuple[Path, tuple[int, ...] | None]],
    options: dict,
    window: Window,
    user_ids: np.ndarray,
    org_names: np.ndarray,
    n_parts: int,
    *,
    shuffle_method: str = "p2p",
    fan_in: int = FAN_IN,
    region_names: np.ndarray | None = None,
):
    """Passes 2-4 with a ``dask.dataframe`` shuffle (for a cluster): a delayed
    :class:`~billing_model.core.usage.UsagePartial`."""
    import dask.dataframe as dd
    from dask import delayed

    frame = dd.from_map(
        read_part,
        list(pieces),
        options=options,
        user_ids=user_ids,
        org_names=org_names,
        region_names=region_names,
        meta=_META,
        label="read-sessions",
        enforce_metadata=False,
    )
    if n_parts > 1 or frame.npartitions > 1:
        frame = frame.shuffle(
            on=["org", "user"], npartitions=n_parts, ignore_index=True, method=shuffle_method
        )
    window_d = delayed(window, name="usage-window")
    users_d = delayed(user_ids, name="usage-user-ids")  # one key, not a copy per task
    orgs_d = delayed(org_names, name="usage-org-names")
    regions_d = delayed(region_names, name="usage-region-names")
    level = [
        delayed(partition_partial, pure=True)(part, window_d, users_d, orgs_d, regions_d)
        for part in frame.to_delayed()
    ]
    while len(level) > 1:  # a loop over reduction levels (a few), each a set of tasks
        level = [
            delayed(add_partials, pure=True)(*level[i : i + fan_in])
            for i in range(0, len(level), fan_in)
        ]
    return level[0]


# --- the local shuffle: through files, no buffer ------------------------------------------------

#: one shuffled session on disk: 28 bytes
_RECORD = np.dtype(
    [
        ("user", np.int32),
        ("org", np.int32),
        ("region", np.int16),
        ("rank", np.int8),
        ("billable", np.bool_),
        ("start", np.int64),
        ("end", np.int64),
    ]
)
_RECORD_NAMES: tuple[str, ...] = tuple(_RECORD.fields or ())


def write_buckets(
    piece: tuple[Path, tuple[int, ...] | None],
    index: int,
    options: dict,
    user_ids: np.ndarray,
    org_names: np.ndarray,
    n_parts: int,
    directory: Path,
    region_names: np.ndarray | None = None,
) -> int:
    """Read a piece and write its sessions to ``directory/<bucket>/<index>.npy`` by bucket
    ``user % n_parts`` (all of a user's sessions land in one bucket). Returns the rows written."""
    frame = read_part(piece, options, user_ids, org_names, region_names)
    records = np.empty(len(frame), dtype=_RECORD)
    for name in _RECORD_NAMES:  # seven columns
        records[name] = frame[name].to_numpy()
    bucket = records["user"].astype(np.int64) % n_parts
    order = np.argsort(bucket, kind="stable")
    cuts = np.searchsorted(bucket[order], np.arange(n_parts + 1))
    for b in np.flatnonzero(np.diff(cuts)):  # a loop over buckets (tens), each one write
        np.save(directory / str(b) / f"{index}.npy", records[order[cuts[b] : cuts[b + 1]]])
    return len(records)


def bucket_partial(
    written: list[int],
    bucket: int,
    directory: Path,
    window: Window,
    user_ids: np.ndarray,
    org_names: np.ndarray,
    region_names: np.ndarray | None = None,
) -> UsagePartial:
    """:func:`~billing_model.core.usage.partial_usage` of one bucket (after every piece is
    written)."""
    files = sorted((directory / str(bucket)).glob("*.npy"))
    records = np.concatenate([np.load(f) for f in files]) if files else np.empty(0, dtype=_RECORD)
    frame = pd.DataFrame({name: records[name] for name in _RECORD_NAMES})
    return partition_partial(frame, window, user_ids, org_names, region_names)


def local_usage_graph(
    pieces: Sequence[tuple[Path, tuple[int, ...] | None]],
    options: dict,
    window: Window,
    user_ids: np.ndarray,
    org_names: np.ndarray,
    n_parts: int,
    directory: Path,
    *,
    fan_in: int = FAN_IN,
    region_names: np.ndarray | None = None,
):
    """Passes 2-4 for one machine: a delayed :class:`~billing_model.core.usage.UsagePartial`.

    The shuffle goes through ``directory`` (one ``.npy`` file per piece and bucket) so that no
    task, and no buffer, holds more than one piece or one bucket.
    """
    from dask import delayed

    for b in range(n_parts):  # a loop over buckets: their folders
        (directory / str(b)).mkdir()
    window_d = delayed(window, name="usage-window")
    users_d = delayed(user_ids, name="usage-user-ids")
    orgs_d = delayed(org_names, name="usage-org-names")
    regions_d = delayed(region_names, name="usage-region-names")
    written = [
        delayed(write_buckets, pure=True)(
            piece, i, options, users_d, orgs_d, n_parts, directory, regions_d
        )
        for i, piece in enumerate(pieces)
    ]
    level = [
        delayed(bucket_partial, pure=True)(
            written, b, directory, window_d, users_d, orgs_d, regions_d
        )
        for b in range(n_parts)
    ]
    while len(level) > 1:
        level = [
            delayed(add_partials, pure=True)(*level[i : i + fan_in])
            for i in range(0, len(level), fan_in)
        ]
    return level[0]
