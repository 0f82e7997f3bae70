"""Progress bars: drawn on a terminal, silent when output is piped, switchable by environment."""

from __future__ import annotations

import io

import dask
import pytest

from billing_model.io.progress import dask_progress, progress_bar, progress_enabled, track


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def no_override(monkeypatch):
    monkeypatch.delenv("BILLING_MODEL_PROGRESS", raising=False)


def test_enabled_only_on_a_terminal():
    assert progress_enabled(Terminal()) is True
    assert progress_enabled(io.StringIO()) is False


@pytest.mark.parametrize(
    ("value", "expected"), [("0", False), ("off", False), ("1", True), ("yes", True)]
)
def test_environment_overrides(monkeypatch, value, expected):
    monkeypatch.setenv("BILLING_MODEL_PROGRESS", value)
    assert progress_enabled(Terminal()) is expected
    assert progress_enabled(io.StringIO()) is expected


def test_piped_output_gets_nothing():
    out = io.StringIO()
    with progress_bar("Reading", total=2, stream=out) as bar:
        bar.advance()
        bar.update(2)
    assert not bar.active and out.getvalue() == ""


def test_terminal_gets_a_bar():
    out = Terminal()
    with progress_bar("Reading parts", total=4, stream=out) as bar:
        bar.update(3)
    assert bar.active and "Reading parts" in out.getvalue() and "3/4" in out.getvalue()


def test_track_yields_every_item_in_order():
    assert list(track(iter(range(5)), "Counting", total=5, enabled=False)) == [0, 1, 2, 3, 4]


def test_dask_callback_counts_the_tasks():
    out = Terminal()
    parts = [dask.delayed(lambda x: x * 2)(i) for i in range(6)]
    with dask_progress("Doubling", stream=out):
        (total,) = dask.compute(dask.delayed(sum)(parts), scheduler="sync")
    assert total == 30
    assert "Doubling" in out.getvalue() and "7/7" in out.getvalue()  # 6 tasks and the sum
