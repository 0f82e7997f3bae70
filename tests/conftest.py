"""Shared fixtures: LibreOffice headless and the session's workbooks.

The workbook tests recalculate generated workbooks in LibreOffice (``soffice``). They must run in
CI, never skip: when LibreOffice is missing they fail with how to install it. A test that starts
LibreOffice is marked ``@pytest.mark.libreoffice`` (the root ``conftest.py`` fails one that is
not), so ``make test-fast`` (``-m "not libreoffice"``) runs without it.

How a test gets a built and recalculated workbook (``tests/workbooks.py``)::

    from tests import workbooks

    QUOTE = workbooks.example("sales_quote")                 # scenarios/sales_quote.toml
    QUOTE_40 = workbooks.edited("quote-40", QUOTE, {"CommittedUsers": 40})   # an input edit
    PARTNER = workbooks.scenario("quote-partner", make_partner_scenario)   # any Scenario
    TWINS = workbooks.custom("twins", lambda path: write_book(my_book, path))  # any writer

    @pytest.mark.libreoffice
    def test_something(workbook_store):
        wb = workbook_store.book(QUOTE_40)            # recalculated values (tests/xlsx_values.py)
        # LibreOffice's saved xlsx, for a case declared with workbooks.needs_file(QUOTE_40):
        styled = workbook_store.book(QUOTE_40, styles=True)  # openpyxl's, styles and all
        path = workbook_store.recalculated(QUOTE_40)  # the recalculated file
        stored = workbook_store.built(QUOTE)          # the file as written (stored values)
        layout = workbook_store.layout(QUOTE)         # its Book layout; .scenario(QUOTE) too

Declare the cases at module level (every xdist worker imports every module, so all workers
know the same cases and share the work); each is built once per session, and all are
recalculated in one LibreOffice run per worker. The files are shared: never modify them, copy
one to ``tmp_path`` first. ``workbook_store.built``, ``.layout`` and ``.scenario`` need no
LibreOffice (no mark).
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def soffice() -> str:
    """Path of ``soffice``; fails (does not skip) when LibreOffice is not installed."""
    from billing_model.io.libreoffice import RecalcError, find_soffice

    try:
        return find_soffice()
    except RecalcError as exc:
        pytest.fail(f"{exc} -- the workbook tests need it (make test installs it)", pytrace=False)


@pytest.fixture(scope="session")
def poppler() -> str:
    """Path of ``pdftotext`` (Debian poppler-utils), which the quote tests read PDFs with; fails
    (does not skip) when it is missing."""
    import shutil

    found = shutil.which("pdftotext")
    if found is None:
        pytest.fail(
            "pdftotext was not found -- install poppler-utils (make test runs "
            "scripts/ensure-package.sh)",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="session")
def workbook_store(tmp_path_factory):
    """The session's workbooks (:class:`tests.workbooks.Store`), shared by the xdist workers."""
    from tests.workbooks import Store

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # the run's folder, above each worker's own
        base = base.parent
    return Store(base / "workbooks", int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))


@pytest.fixture(scope="session", autouse=True)
def _workbook_batch_early(request):
    """When the run recalculates the session's workbooks, each worker starts its batch at once,
    in a thread (:meth:`tests.workbooks.Store.start`): LibreOffice then recalculates on one core
    while the worker's other tests run, instead of the worker waiting for it when its first
    workbook test comes (which left a core idle at the end of the run)."""
    needs = any(
        "workbook_store" in getattr(item, "fixturenames", ())
        and item.get_closest_marker("libreoffice") is not None
        for item in request.session.items
    )
    if not needs:
        yield
        return
    store = request.getfixturevalue("workbook_store")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    store.start(int(worker.removeprefix("gw")) if worker.removeprefix("gw").isdigit() else 0)
    yield
    store.join()
