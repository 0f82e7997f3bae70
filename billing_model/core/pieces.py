"""Sessions as *pieces*: one per billing period a session touches, packed and sorted once.

The first step of the usage kernel (:func:`billing_model.core.usage.partial_usage`). A piece is a
session's part within one period of the window: its org, period and user (the *key*), the
first minute mark it holds and how many marks it holds (the sampled presence,
:func:`billing_model.core.concurrency.session_minutes`), its license rank and whether its client
is billable. A session whose whole minutes cross a period boundary is cut there into a piece
per period. The pieces pack into one int64 each (:class:`_Layout`) and are sorted by one value
sort (NumPy's, several times faster than an argsort, and no gathers after it); when the fields
do not fit in 63 bits they are a structured array sorted by its fields.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import DTypeLike

from .concurrency import session_minutes
from .licenses import LICENSES
from .sessions import Sessions

if TYPE_CHECKING:
    from .usage_partial import Window

#: sorted pieces: ``(key, mark, held, rank, billable)``, one array each (:meth:`_Layout.sort`)
Pieces = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]

#: bits of the license rank in a packed piece (:class:`_Layout`)
_RANK_BITS = max(len(LICENSES) - 1, 1).bit_length()

#: sessions packed at a time: the arrays of one block's minutes stay small (memory of a year
#: of sessions is the packed pieces, not five arrays of every session)
BLOCK_ROWS = 1 << 21
#: from this many sessions the blocks are packed on :data:`PACKERS` threads at once (NumPy's
#: arithmetic releases the GIL: the packing is most of the kernel's first step, and the reading
#: threads are idle by then); smaller inputs are one block, where a thread costs more than it saves
THREADED_ROWS = 1 << 18
#: one in the browser (xlwings Lite runs the Excel functions in Pyodide, which has no threads)
PACKERS = 1 if sys.platform == "emscripten" else max(1, min(os.cpu_count() or 1, 2))


def sorted_pieces(
    sessions: Sessions, window: Window, org_code: np.ndarray, n_orgs: int
) -> Pieces | None:
    """The pieces of the sessions in ``window``, sorted by key then first mark: ``(key, mark,
    held, rank, billable)``, or ``None`` when no session is in the window.

    ``key`` is ``(org * n_periods + period - k0) * n_users + user``; ``mark`` the first minute
    mark the piece holds (window minutes, 0: the window's first); ``held`` how many marks it
    holds (0 for a login between two marks). A session whose whole minutes (which decide the
    periods it is in) cross a period boundary gives a piece in each period. Sessions are packed
    in blocks of :data:`BLOCK_ROWS` into one array, which is sorted in place.
    """
    n = len(sessions)
    if n == 0:
        return None
    starts = window.bounds - window.bounds[0]  # periods' first minutes in the window, the end
    layout = _Layout.fit(
        n_orgs * window.n_periods * len(sessions.user_ids),
        int(starts[-1]),
        int(np.diff(starts).max()),
    )
    # room for the later pieces of sessions crossing a boundary (a few in a hundred at most in
    # real data); more grows the array
    pieces = layout.empty(n + n // 32 + 1024)
    filled, later = 0, list[np.ndarray]()
    block = BLOCK_ROWS
    if PACKERS > 1 and n >= THREADED_ROWS:  # at least one block per thread
        block = min(BLOCK_ROWS, -(-n // PACKERS))

    def pack(lo: int) -> tuple[np.ndarray, np.ndarray]:
        return _pack_block(sessions, lo, min(n, lo + block), window, org_code, layout)

    with contextlib.ExitStack() as stack:
        if PACKERS > 1 and block < n:
            from concurrent.futures import ThreadPoolExecutor

            pool = stack.enter_context(ThreadPoolExecutor(PACKERS))
            # in order; a block packed ahead of its turn waits as its pieces only (each
            # thread's temporaries are freed when its block is done)
            blocks = pool.map(pack, range(0, n, block))
        else:
            blocks = (pack(lo) for lo in range(0, n, block))
        for main, extra in blocks:  # a loop over blocks of millions of sessions
            pieces[filled : filled + len(main)] = main
            filled += len(main)
            later += [extra] if len(extra) else []
            del main, extra
    size = filled + sum(len(x) for x in later)
    if size == 0:
        return None
    if size > len(pieces):
        pieces.resize(size, refcheck=False)
    for extra in later:
        pieces[filled : filled + len(extra)] = extra
        filled += len(extra)
    return layout.sort(pieces[:size])


def _pack_block(
    sessions: Sessions, lo: int, hi: int, window: Window, org_code: np.ndarray, layout: _Layout
) -> tuple[np.ndarray, np.ndarray]:
    """The packed pieces of sessions ``lo .. hi - 1``: their first pieces (clipped to the
    period they start in), and the later pieces of those crossing a period boundary."""
    base = int(window.bounds[0])
    starts = window.bounds - base
    span = int(starts[-1])
    n_per, n_users = window.n_periods, len(sessions.user_ids)
    first, last, a, b = session_minutes(sessions.start_ns[lo:hi], sessions.end_ns[lo:hi], base)
    inside = b >= 0
    inside &= a < span
    rows = np.arange(lo, hi) if inside.all() else np.flatnonzero(inside) + lo
    if len(rows) < hi - lo:
        first, last, a, b = (x[rows - lo] for x in (first, last, a, b))
    del inside
    np.maximum(a, 0, out=a)
    np.minimum(b, span - 1, out=b)
    np.maximum(first, 0, out=first)
    per, crossing = _periods_of(a, b, starts)
    del a

    def column(name: str, index: np.ndarray | None) -> np.ndarray:
        """A session column for some rows (a slice when it is a block)."""
        values: np.ndarray = getattr(sessions, name)
        return values[lo:hi] if index is None else values[index]

    def keys(index: np.ndarray | None, period: np.ndarray) -> np.ndarray:
        key: np.ndarray = org_code[column("org", index)]
        key *= n_per
        key += period
        key *= n_users
        key += column("user", index)
        return key

    whole = None if len(rows) == hi - lo else rows
    if len(crossing):
        cross_b, cross_per = b[crossing], per[crossing]
        np.minimum(b, starts[1:][per] - 1, out=b)
    main = layout.pack(
        keys(whole, per), first, last, b, column("rank", whole), column("billable", whole)
    )
    del first, last, b, per
    if not len(crossing):
        return main, layout.empty(0)
    src = rows[crossing]
    count = np.searchsorted(starts, cross_b, side="right") - 1 - cross_per
    which = np.repeat(np.arange(len(crossing)), count)
    period = np.arange(len(which)) - np.repeat(np.cumsum(count) - count, count) + 1
    period += cross_per[which]
    src, cross_b = src[which], cross_b[which]
    first = starts[period]  # the session started in an earlier period
    last = session_minutes(sessions.start_ns[src], sessions.end_ns[src], base)[1]
    return main, layout.pack(
        keys(src, period),
        first,
        last,
        np.minimum(cross_b, starts[period + 1] - 1),
        column("rank", src),
        column("billable", src),
    )


def _periods_of(a: np.ndarray, b: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The period of each minute ``a`` (index into ``starts``, the periods' first minutes and
    the end), and the rows whose ``b`` is in a later period: looked up in a table of the
    window's minutes (16 bits each: 21 MB for the longest window, 240 months)."""
    n_per = len(starts) - 1
    if n_per == 1:
        return np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64)  # broadcasts
    table = np.repeat(np.arange(n_per, dtype=np.int16), np.diff(starts))
    per = table[a]
    return per, np.flatnonzero(table[b] != per)


@dataclass(frozen=True)
class _Layout:
    """How a piece packs in one int64, high bits to low: key, first mark, marks held, license
    rank, billable. ``packs`` is false when they do not fit in 63 bits: the pieces are then a
    structured array sorted by its fields."""

    mark_bits: int
    held_bits: int
    packs: bool

    @classmethod
    def fit(cls, n_keys: int, span: int, longest: int) -> _Layout:
        mark_bits = max(span.bit_length(), 1)  # a mark of the window, or its end
        held_bits = max(longest.bit_length(), 1)  # marks held within one period
        key_bits = max(n_keys - 1, 1).bit_length()
        return cls(mark_bits, held_bits, key_bits + mark_bits + held_bits + _RANK_BITS + 1 <= 63)

    def empty(self, n: int) -> np.ndarray:
        return np.empty(n, dtype=np.int64 if self.packs else _PIECE)

    def pack(
        self,
        key: np.ndarray,
        first: np.ndarray,
        last: np.ndarray,
        end: np.ndarray,
        rank: np.ndarray,
        billable: np.ndarray,
    ) -> np.ndarray:
        """Pieces of ``key`` holding the marks ``first .. min(last, end)`` (none when that is
        empty). ``key`` is reused."""
        held = np.minimum(last, end)
        held -= first
        held += 1
        np.maximum(held, 0, out=held)
        if not self.packs:
            out = np.empty(len(key), dtype=_PIECE)
            out["key"], out["mark"], out["held"] = key, first, held
            out["rank"], out["billable"] = rank, billable
            return out
        packed = key
        packed <<= self.mark_bits
        packed += first
        packed <<= self.held_bits
        packed += held
        packed <<= _RANK_BITS
        packed += rank
        packed <<= 1
        packed += billable
        return packed

    def sort(self, pieces: np.ndarray) -> Pieces:
        """``(key, mark, held, rank, billable)`` of the pieces, sorted by key then mark: key
        int64 (``pieces`` itself when packed), mark and held int32, rank int8."""
        if not self.packs:
            pieces.sort(order=["key", "mark"])
            return (
                pieces["key"],
                pieces["mark"].astype(np.int32),
                pieces["held"].astype(np.int32),
                pieces["rank"],
                pieces["billable"],
            )
        pieces.sort()

        def field(bits: int, dtype: DTypeLike) -> np.ndarray:
            """The low bits, then dropped (no int64 copy of the field)."""
            out = np.empty(len(pieces), dtype=dtype)
            np.bitwise_and(pieces, (1 << bits) - 1, out=out, casting="unsafe")
            np.right_shift(pieces, bits, out=pieces)
            return out

        billable = field(1, bool)
        rank = field(_RANK_BITS, np.int8)
        held = field(self.held_bits, np.int32)
        mark = field(self.mark_bits, np.int32)
        return pieces, mark, held, rank, billable


_PIECE = np.dtype(
    [
        ("key", np.int64),
        ("mark", np.int32),
        ("held", np.int32),
        ("rank", np.int8),
        ("billable", np.bool_),
    ]
)
