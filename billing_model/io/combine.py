"""Joining the chunks of :mod:`billing_model.io.tables` into one
:class:`~billing_model.core.sessions.Sessions`: global, sorted user, org and region codes
(split from ``tables.py``, which validates and encodes one table)."""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa

from ..core.errors import BillingInputError, BillingWarning
from ..core.sessions import (
    PARAMETERS,
    Chunk,
    OptionNames,
    Sessions,
    check_span,
    first_rows,
    no_billable_message,
    span_of_chunks,
    warn_clipped,
    warn_open,
)
from .arrow import call, integers, numpy
from .tables import _fold, _text


def combine(
    chunks: list[Chunk],
    *,
    source: str = "sessions",
    columns: dict[str, np.ndarray] | None = None,
    option_names: OptionNames = PARAMETERS,
) -> Sessions:
    """Join chunks into one :class:`Sessions` with global, sorted user and org codes.

    User ids equal without case and surrounding spaces, in Unicode NFC, are one user, named as
    first seen.
    Zero-length sessions (end == start) are kept: each is a login. Records of a JSON export that
    were still open (no ``endTime``) are named in one warning. Data spanning a wrong year is
    refused naming the file and row of its earliest start and latest end. ``columns``: the
    whole ``start``, ``end``, ``rank`` and ``billable`` columns the chunks were written into, in
    order (``normalize_table(out=...)``): taken as they are, not copied. ``option_names``: how
    messages name the options (:class:`~billing_model.core.sessions.OptionNames`).
    """
    warn_open([c.open for c in chunks], source, option_names)
    warn_clipped([c.clipped for c in chunks], source, option_names)
    chunks = [c for c in chunks if len(c)]
    if not chunks:
        raise BillingInputError(f"{source}: no sessions found (the input is empty)")
    check_span(*span_of_chunks(chunks))
    user_ids, user = _recode(chunks, "user_dict", "user_idx", True, source)
    org_names, org = _recode(chunks, "org_dict", "org_idx", False, source)
    region_names = region = None
    with_region = [c.region_dict is not None for c in chunks]
    if any(with_region):
        if not all(with_region):
            c = chunks[with_region.index(False)]
            raise BillingInputError(
                f"{c.where(0)}: no 'region' column, where other parts of {source} have one; "
                f"accepted: a region on every row, or {option_names.setting('region', ['NAME'])} "
                "for rows without one"
            )
        region_names, region = _recode(
            chunks, "region_dict", "region_idx", False, source, what="region names"
        )
    if columns is None or len(columns["start"]) != len(user):
        columns = {
            key: _joined(chunks, key, dtype)
            for key, dtype in (
                ("rank", np.int8),
                ("start", np.int64),
                ("end", np.int64),
                ("billable", np.bool_),
            )
        }
    sessions = Sessions(
        user=user,
        org=org,
        rank=columns["rank"],
        start_ns=columns["start"],
        end_ns=columns["end"],
        billable=columns["billable"],
        user_ids=user_ids,
        org_names=org_names,
        region=region,
        region_names=region_names,
    )
    if not sessions.billable.any():
        warnings.warn(no_billable_message(source), BillingWarning, stacklevel=2)
    return sessions


def _joined(chunks: list[Chunk], key: str, dtype) -> np.ndarray:
    """One column of every chunk, copied once into an array of ``dtype``."""
    out = np.empty(sum(len(c) for c in chunks), dtype=dtype)
    at = 0
    for c in chunks:  # a loop over chunks (batches)
        out[at : at + len(c)] = getattr(c, key)
        at += len(c)
    return out


def _recode(
    chunks: list[Chunk],
    dict_key: str,
    idx_key: str,
    fold: bool,
    source: str,
    what: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted names and global int32 codes of one text column of every chunk.

    Every chunk's dictionary is concatenated in one Arrow array and unified by hashing: no
    Python string per row or per chunk value, only the sorted names at the end. With ``fold``,
    values equal without case and spaces, in NFC, are one name, written as in the earliest row.
    """
    dicts = [_text(getattr(c, dict_key)) for c in chunks]
    sizes = np.array([len(d) for d in dicts], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    values = pa.concat_arrays(dicts) if len(dicts) > 1 else dicts[0]
    if fold and all(c.user_keys is not None for c in chunks):  # folded on the reading threads
        keys = pa.concat_arrays([c.user_keys for c in chunks])
    else:
        keys = _fold(call("utf8_trim_whitespace", values)) if fold else values
    encoded = call("dictionary_encode", keys)
    inverse = numpy(encoded.indices)
    n_keys = len(encoded.dictionary)
    if n_keys >= 2**31:
        what = what or ("user ids" if fold else "org names")
        raise BillingInputError(f"{source}: {n_keys} distinct {what}; accepted: fewer than 2**31")
    if fold and keys.equals(values):  # no id changed by folding: each key is its only spelling
        display = encoded.dictionary
    elif fold:  # each user named as first seen: the entry of the earliest row overall
        rows = np.cumsum([0] + [len(c) for c in chunks])
        seen = np.concatenate(
            [
                (
                    c.user_first
                    if c.user_first is not None
                    else first_rows(getattr(c, idx_key), len(d))
                )
                + rows[j]
                for j, (c, d) in enumerate(zip(chunks, dicts, strict=True))
            ]
        )
        unused = seen >= np.repeat(rows[1:], sizes)  # a value no row of its chunk holds
        seen[unused] = rows[-1] + np.flatnonzero(unused)  # last, and each its own
        best = np.full(n_keys, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, inverse, seen)  # over distinct values per chunk, not rows
        lead = np.flatnonzero(seen == best[inverse])  # one entry per key
        lead = lead[np.argsort(inverse[lead])]  # in key order
        display = call("take", values, integers(lead))
    else:
        display = encoded.dictionary
    order = numpy(call("array_sort_indices", display))
    rank = np.empty(n_keys, dtype=np.int32)
    rank[order] = np.arange(n_keys, dtype=np.int32)
    names = np.asarray(call("take", display, integers(order)).to_pylist(), dtype=object)
    rank = rank[inverse]  # the global code of each chunk's value
    codes = np.empty(int(sum(len(c) for c in chunks)), dtype=np.int32)
    at = 0
    for j, c in enumerate(chunks):  # a loop over chunks (batches)
        local = rank[offsets[j] : offsets[j + 1]]
        if len(local) and local.min() == local.max():  # one org (or user) in the chunk
            codes[at : at + len(c)] = local[0]
        else:
            np.take(local, getattr(c, idx_key), out=codes[at : at + len(c)], mode="clip")
        at += len(c)
    return names, codes
