"""Progress display for long runs: a rich bar on a terminal, nothing when output is piped.

A bar is drawn on standard error, and only when standard error is a terminal (``isatty``), so
``billing-model usage ... > out.csv`` in a script or a pipeline prints nothing extra. Setting the
environment variable ``BILLING_MODEL_PROGRESS=0`` turns bars off everywhere, ``=1`` forces them.

Three ways in:

* :func:`progress_bar`: a context manager yielding a :class:`Bar` (``update(done, total)``,
  ``advance(n)``);
* :func:`track`: wrap an iterable (files, batches) in a bar;
* :func:`dask_progress`: show the tasks of a Dask computation on the local scheduler (a Dask
  callback), and :func:`wait_distributed` for one on a distributed cluster (the scheduler's
  progress feed, what ``distributed.progress`` uses).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator, Sized
from typing import Any, TextIO

ENV = "BILLING_MODEL_PROGRESS"


def progress_enabled(stream: TextIO | None = None) -> bool:
    """Whether bars are drawn: ``BILLING_MODEL_PROGRESS`` if set, else ``stream.isatty()``.

    >>> import io
    >>> progress_enabled(io.StringIO())  # a file, not a terminal (unless forced on)
    False
    """
    flag = os.environ.get(ENV, "").strip().lower()
    if flag in ("0", "false", "no", "off"):
        return False
    if flag in ("1", "true", "yes", "on"):
        return True
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or file-like without isatty
        return False


class Bar:
    """One progress line (a silent one when ``progress`` is ``None``)."""

    def __init__(self, progress: Any = None, task: Any = None):
        self._progress = progress
        self._task = task

    @property
    def active(self) -> bool:
        return self._progress is not None

    def update(self, completed: float, total: float | None = None) -> None:
        """Set how much is done (and the total when it becomes known)."""
        if self._progress is not None:
            self._progress.update(self._task, completed=completed, total=total)

    def advance(self, amount: float = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, amount)


@contextlib.contextmanager
def progress_bar(
    description: str,
    total: float | None = None,
    *,
    enabled: bool | None = None,
    stream: TextIO | None = None,
) -> Iterator[Bar]:
    """A progress bar on ``stream`` (standard error) for the duration of the ``with`` block.

    ``enabled`` defaults to :func:`progress_enabled`; when off, the bar does nothing.

    >>> with progress_bar("Reading", total=3, enabled=False) as bar:
    ...     bar.advance()
    >>> bar.active
    False
    """
    stream = sys.stderr if stream is None else stream
    if not (progress_enabled(stream) if enabled is None else enabled):
        yield Bar()
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(file=stream), transient=True) as progress:
        yield Bar(progress, progress.add_task(description, total=total))


def track(
    items: Iterable, description: str, total: int | None = None, *, enabled: bool | None = None
) -> Iterator:
    """Yield ``items`` while a bar counts them (``total`` defaults to ``len(items)``).

    >>> list(track([1, 2], "Reading files", enabled=False))
    [1, 2]
    """
    if total is None and isinstance(items, Sized):
        total = len(items)
    with progress_bar(description, total, enabled=enabled) as bar:
        for item in items:
            yield item
            bar.advance()


# --- Dask -----------------------------------------------------------------------------------


@contextlib.contextmanager
def dask_progress(
    description: str, *, enabled: bool | None = None, stream: TextIO | None = None
) -> Iterator[Any]:
    """Show the tasks of Dask computations run on the local scheduler inside the block.

    Yields a :class:`Bar`; pass it to :func:`wait_distributed` for work submitted to a
    distributed cluster (the local callback does not see those tasks).

    >>> import dask
    >>> with dask_progress("Adding", enabled=False):
    ...     dask.compute(dask.delayed(sum)([1, 2]))
    (3,)
    """
    with progress_bar(description, enabled=enabled, stream=stream) as bar:
        if not bar.active:
            yield bar
            return
        from dask.callbacks import Callback

        class _Callback(Callback):
            def _start_state(self, dsk, state):
                self._total = sum(
                    len(state[k]) for k in ("ready", "waiting", "running", "finished")
                )
                bar.update(len(state["finished"]), self._total)

            def _posttask(self, key, result, dsk, state, worker_id):
                bar.update(len(state["finished"]), self._total)

        with _Callback():
            yield bar


def wait_distributed(futures: Any, bar: Bar) -> None:
    """Block until distributed ``futures`` (and the tasks they need) finish, drawing ``bar``.

    Uses the scheduler's progress feed (what ``distributed.progress`` uses); returns at once when
    the bar is silent (the caller's ``.result()`` then waits).
    """
    if not bar.active:
        return
    from distributed.diagnostics.progressbar import TextProgressBar

    class _Feed(TextProgressBar):
        def _draw_bar(self, remaining, all, **kwargs):
            bar.update(all - remaining, all)

        def _draw_stop(self, **kwargs):
            pass

    keys = futures if isinstance(futures, list | tuple) else [futures]
    _Feed(keys, scheduler=keys[0].client.scheduler.address, complete=True)
