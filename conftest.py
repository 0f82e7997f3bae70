"""Marks for the whole run (tests/ and the doctests of billing_model/).

A test that starts LibreOffice carries ``@pytest.mark.libreoffice``, so that
``pytest -m "not libreoffice"`` (``make test-fast``) starts none: the doctests that recalculate
are marked here, and an unmarked test that would start LibreOffice fails, saying so.
"""

from __future__ import annotations

import re
import subprocess
import threading

import pytest

#: a doctest calling one of these starts LibreOffice
_STARTS_LIBREOFFICE = re.compile(r"\b(recalculate|recalculate_many|convert|to_pdf)\(")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        examples = getattr(getattr(item, "dtest", None), "examples", ())
        if any(_STARTS_LIBREOFFICE.search(example.source) for example in examples):
            item.add_marker(pytest.mark.libreoffice)


class _NoLibreOffice:
    """``subprocess`` as the LibreOffice runner sees it in an unmarked test: running fails."""

    def __init__(self, nodeid: str) -> None:
        self._nodeid = nodeid

    def __getattr__(self, name):
        return getattr(subprocess, name)

    def _refuse(self, real, *args, **kwargs):
        if threading.current_thread().name.startswith("workbook-batch"):
            # the session's workbook batch, started early in a thread (tests/workbooks.py),
            # runs beside whatever test the worker runs meanwhile
            return real(*args, **kwargs)
        pytest.fail(
            f"{self._nodeid} starts LibreOffice but is not marked "
            "@pytest.mark.libreoffice (pytest -m 'not libreoffice' must start none)",
            pytrace=False,
        )

    def run(self, *args, **kwargs):
        return self._refuse(subprocess.run, *args, **kwargs)

    def Popen(self, *args, **kwargs):  # the runner starts LibreOffice in a process group (Popen)
        return self._refuse(subprocess.Popen, *args, **kwargs)


@pytest.fixture(autouse=True)
def _libreoffice_only_when_marked(request, monkeypatch):
    if request.node.get_closest_marker("libreoffice") is None:
        from billing_model.io import libreoffice

        monkeypatch.setattr(libreoffice, "subprocess", _NoLibreOffice(request.node.nodeid))
