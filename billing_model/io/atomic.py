"""Files written atomically: to a temporary name beside the target, renamed over it on success."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..core.errors import BillingInputError


class WriteError(BillingInputError):
    """A file could not be written (a full disk, no permission): ``target`` and ``reason``
    (``"no space left on device"``) let a caller name what the user asked for instead."""

    def __init__(self, target: Path, reason: str):
        super().__init__(
            f"{target}: cannot be written ({reason}); accepted: a file in a folder you can write to"
        )
        self.target, self.reason = target, reason


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` only on success.

    A failure leaves whatever was at ``target`` untouched and removes the temporary file.
    """
    target = Path(target)
    if target.is_dir():
        raise BillingInputError(f"{target}: is a folder; accepted: a file name to write")
    for parent in target.parents:
        if parent.exists() and not parent.is_dir():
            raise BillingInputError(
                f"{target}: {parent} is a file, not a folder; accepted: a file in a folder"
            )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:  # a parent that is a file, no permission, a read-only disk
        raise WriteError(target, _reason(exc)) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file private (0600): give it the mode a new file would get, or the
        # mode of the file it replaces
        if target.exists():
            mode = target.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, target)
    except OSError as exc:  # name the user's file, not the temporary one (a full disk, ...)
        raise WriteError(target, _reason(exc)) from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()
