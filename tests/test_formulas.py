"""Every Excel formula twin against its engine, computed by LibreOffice on one grid of cases.

``billing_model/formulas/<engine>.py`` holds the Excel text of the rules of
``billing_model/<engine>.py``. Here each twin is written into one workbook, once per case of a
grid that includes every row of the currency, license and fair-use tables (written by the same
writers as the Sources sheet of every workbook), LibreOffice recalculates that one workbook in
one run, and each value is compared with the engine's on the same case. So a new currency,
license or allowance row that the formulas do not handle fails here, and so does a twin that
drifts from its engine. The cases: tests/formula_cases.py (the case workbook and the billing
twins) and tests/formula_cases_figures.py (the figure twins).

Tolerances: money, dates, counts and labels are compared exactly; GB and allowance figures are
floats computed by both sides in a different order, compared to 1e-9 relative.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

import numpy as np
import pytest

from billing_model.core import allowances, licenses, money
from billing_model.workbook.writer import write_book
from tests import workbooks
from tests.formula_cases import BILLING_CASES, Grid
from tests.formula_cases_figures import FIGURE_CASES


@functools.cache
def _grid() -> Grid:
    """Every twin on its cases (made once per process: by the writer and for the checks)."""
    g = Grid()
    for add in (*BILLING_CASES, *FIGURE_CASES):
        add(g)
    return g


#: the case workbook, one of the session's workbooks (tests/workbooks.py)
TWINS = workbooks.custom("formula-twins", lambda path: write_book(_grid().book, path))


@pytest.fixture(scope="module")
def results(workbook_store) -> dict[str, list[tuple[str, object, object]]]:
    """``{twin: [(case, workbook value, engine value), ...]}`` from ONE LibreOffice run."""
    g = _grid()
    ws = workbook_store.book(TWINS)["Cases"]
    got: dict[str, list[tuple[str, object, object]]] = {}
    for twin, cases in g.cases.items():
        for label, (row, col), expected in cases:
            value = ws.cell(row, col).value
            got.setdefault(twin, []).append((label, value, expected))
    return got


def _same(value: object, expected: object) -> bool:
    if isinstance(expected, Decimal):  # money: exact, as the cell's float read back
        return value is not None and Decimal(repr(float(value))) == expected
    if isinstance(expected, dt.date):
        return isinstance(value, dt.datetime) and value.date() == expected
    if expected is None:
        return value in (None, "")
    if isinstance(expected, str):
        return value == expected
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return bool(np.isclose(value, float(expected), rtol=1e-9, atol=1e-12))


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    "twin",
    [
        "money",
        "licenses",
        "allowances",
        "periods",
        "invoices",
        "storage",
        "compare",
        "first year",
        "usage figures",
        "invoice figures",
    ],
)
def test_twin_equals_its_engine(results, twin):
    cases = results[twin]
    wrong = [
        (label, value, expected) for label, value, expected in cases if not _same(value, expected)
    ]
    assert not wrong, f"{len(wrong)} of {len(cases)} {twin} cases differ: {wrong[:8]}"


@pytest.mark.libreoffice
def test_every_table_row_is_a_case(results):
    labels = {twin: " ".join(label for label, _v, _e in cases) for twin, cases in results.items()}
    for code in money.CURRENCIES:
        assert f"minor_units {code}" in labels["money"]
    for lic in licenses.LICENSE_KEYS:
        assert f"{lic} named storage_gb" in labels["allowances"]
        assert lic in labels["licenses"]
    for lic, model in allowances.FAIR_USE:
        assert f"{lic} {model} api_requests 30/20" in labels["allowances"]


@pytest.mark.libreoffice
def test_the_currency_table_drives_the_decimals(results):
    # JPY's row says 0 decimals: 2.5 JPY is 3 yen, 2.5 EUR stays 2.50
    cases = {label: value for label, value, _e in results["money"]}
    assert cases["round 2.5 JPY"] == 3
    assert cases["round 2.5 EUR"] == 2.5
    assert cases["55 x 171.115 EUR"] == 9411.33
    assert cases["minor_units JPY"] == 0
