"""Arrow arrays to NumPy and back, without pyarrow's pandas hooks or its compute module.

pyarrow looks for pandas whenever it converts an array to NumPy (``Array.to_numpy``,
``np.asarray``) or builds an array or scalar from Python or NumPy values (``pa.array``,
``pa.scalar``), and imports it when it is installed: a quarter of a second of start-up that
``billing-model usage`` would pay for nothing. The reader converts through these helpers, which
work on the arrays' buffers; arrays holding nulls (error paths) go through pyarrow's own
conversion.

Likewise ``import pyarrow.compute`` (which Arrow methods such as ``Array.cast``, ``take``,
``is_null`` and ``fill_null`` do on their first call) builds a Python wrapper with a docstring
for each of Arrow's ~290 compute functions: about 45 ms of every start-up. The Parquet path calls
the few functions it needs by name (:func:`call`, :func:`cast`); text input (CSV, JSON) and error
paths import the module where they need it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

try:  # the functions by name, from the compiled module that pyarrow.compute wraps
    from pyarrow._compute import (
        CastOptions,
        SetLookupOptions,
        TrimOptions,
        Utf8NormalizeOptions,
        call_function,
    )
except ImportError:  # pragma: no cover - a pyarrow that moved them: the public names
    from pyarrow.compute import (
        CastOptions,
        SetLookupOptions,
        TrimOptions,
        Utf8NormalizeOptions,
        call_function,
    )


def numpy(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The values of an Arrow array of numbers, booleans or timestamps as NumPy (a read-only
    view of its buffer, or for booleans an unpacked copy); timestamps as their int64 counts."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.null_count == 0:
        if pa.types.is_boolean(arr.type):
            bits = np.frombuffer(arr.buffers()[1], dtype=np.uint8)
            unpacked = np.unpackbits(bits, count=arr.offset + len(arr), bitorder="little")
            return unpacked[arr.offset :].view(bool)
        dtype = _fixed_width(arr.type)
        if dtype is not None:
            if len(arr) == 0:
                return np.zeros(0, dtype=dtype)
            return np.frombuffer(
                arr.buffers()[1], dtype=dtype, count=len(arr), offset=arr.offset * dtype.itemsize
            )
    return arr.to_numpy(zero_copy_only=False)


def _fixed_width(t: pa.DataType) -> np.dtype | None:
    if pa.types.is_integer(t):
        return np.dtype(f"{'i' if pa.types.is_signed_integer(t) else 'u'}{t.bit_width // 8}")
    if pa.types.is_floating(t) and t.bit_width in (32, 64):
        return np.dtype(f"f{t.bit_width // 8}")
    if pa.types.is_timestamp(t) or pa.types.is_duration(t) or pa.types.is_date64(t):
        return np.dtype(np.int64)
    return None


def call(name: str, *args, options=None):
    """Arrow compute function ``name`` on ``args`` (arrays or scalars), with its default
    options unless ``options`` (e.g. ``call("utf8_lower", values)``, ``call("any", mask)``)."""
    return call_function(name, list(args), options)


def cast(arr: pa.Array, to: pa.DataType) -> pa.Array:
    """``arr.cast(to)`` (safe), without importing pyarrow.compute."""
    return call_function("cast", [arr], CastOptions.safe(to))


def is_in(values: pa.Array, value_set: pa.Array) -> pa.Array:
    """Whether each value is one of ``value_set`` (``pyarrow.compute.is_in``)."""
    return call_function("is_in", [values], SetLookupOptions(value_set))


def trim(values: pa.Array, characters: str) -> pa.Array:
    """``values`` without ``characters`` at either end (``pyarrow.compute.utf8_trim``)."""
    return call_function("utf8_trim", [values], TrimOptions(characters))


def nfc(values: pa.Array) -> pa.Array:
    """``values`` in Unicode normal form C (``pyarrow.compute.utf8_normalize``)."""
    return call_function("utf8_normalize", [values], Utf8NormalizeOptions("NFC"))


def strings(values) -> pa.StringArray:
    """Python strings as an Arrow string array."""
    encoded = [str(v).encode() for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return pa.StringArray.from_buffers(
        len(encoded), pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))
    )


#: the empty string as an Arrow scalar (a Python "" passed to a compute function is converted
#: by ``pa.scalar``, which looks for pandas)
EMPTY = strings([""])[0]


def integers(values: np.ndarray) -> pa.Array:
    """NumPy integers as an Arrow int64 array (indices for ``take``)."""
    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def one_line(exc: BaseException) -> str:
    """An exception's text on one line (Arrow's messages can span several)."""
    return " ".join(str(exc).split())
