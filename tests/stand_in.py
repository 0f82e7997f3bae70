"""A stand-in ``soffice`` for one test's thread only.

The session's workbook batch recalculates with the real LibreOffice in a thread of its own while
the worker's other tests run (``tests/conftest.py``); a test that points
``BILLING_MODEL_SOFFICE`` at a stand-in for the whole process could hand that thread the
stand-in (a hanging one: the whole batch failed). :func:`stand_in_soffice` answers
``find_soffice`` with the stand-in in the calling thread and with the real one elsewhere."""

from __future__ import annotations

import threading
from pathlib import Path

from billing_model.io import libreoffice


def stand_in_soffice(monkeypatch, script: Path) -> Path:
    """``billing_model.io.libreoffice.find_soffice`` gives ``script`` in this thread only."""
    real = libreoffice.find_soffice
    here = threading.current_thread()
    monkeypatch.setattr(
        libreoffice,
        "find_soffice",
        lambda: str(script) if threading.current_thread() is here else real(),
    )
    return script


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not reaped, does not): what a test
    checks of the stand-in's child after LibreOffice's runner stopped it (reads /proc)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
