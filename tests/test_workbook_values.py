"""Stored values: every formula cell carries the value the engines compute (issue 13, item 3).

Readers that do not calculate (pandas, openpyxl ``data_only``, previews) see the figures; Excel
and LibreOffice still recalculate on open. Checked three ways: every formula cell of every example
layout has a result; the stored values of the written files equal LibreOffice's recalculation
cell by cell; ``pandas.read_excel`` reads the Summary figures of a committed workbook.
"""

from __future__ import annotations

import collections
import datetime as dt
import math
import zipfile

import openpyxl
import pandas as pd
import pytest

from billing_model.core.invoices import grand_total, invoice_schedule
from billing_model.core.storage import storage_forecast
from billing_model.service import load_scenario
from billing_model.workbook import SCENARIOS_DIR, WORKBOOKS_DIR
from billing_model.workbook.layout import a1
from tests import workbooks
from tests.xlsx_values import load_values

EXAMPLES = (
    "sales_quote",
    "storage_estimate",
    "finance_ramp_study",
    "eur_contract",
    "basic_contract",
)


#: the session's workbooks (tests/workbooks.py)
BOOKS = {stem: workbooks.example(stem) for stem in EXAMPLES}


@pytest.fixture(scope="module")
def layouts(workbook_store):
    return {stem: workbook_store.layout(book) for stem, book in BOOKS.items()}


def _missing(book, sheet_name: str) -> list[str]:
    sheet = book.sheet(sheet_name)
    return [
        a1(r, c, absolute=False)
        for (r, c), cell in sorted(sheet.cells.items())
        if cell.formula is not None and cell.result is None
    ]


SHEETS = (
    "Summary",
    "Quote",
    "Quote rows",
    "Inputs",
    "Invoices",
    "Cash flow",
    "Usage",
    "Storage",
    "Sources",
    "Variant inputs",
    "Variants",
    "V1 invoices",
    "V1 cash flow",
)


@pytest.mark.parametrize("sheet_name", SHEETS)
def test_every_formula_cell_has_a_result(layouts, sheet_name):
    for stem, book in layouts.items():
        if sheet_name not in [s.name for s in book.sheets]:
            continue
        assert _missing(book, sheet_name) == [], f"{stem} {sheet_name}"


def test_the_writer_stores_results_and_asks_for_a_recalculation(workbook_store):
    path = workbook_store.built(BOOKS["storage_estimate"])  # as write_book wrote it
    with zipfile.ZipFile(path) as z:
        assert 'fullCalcOnLoad="1"' in z.read("xl/workbook.xml").decode()
    wb = load_values(path)  # the stored values, as openpyxl data_only reads them
    sheet, cell = next(iter(wb.defined_names["StorageMaxGB"].destinations))
    scenario = load_scenario(SCENARIOS_DIR / "storage_estimate.toml")
    peak = storage_forecast(
        scenario.storage,
        scenario.contract.order_date,
        scenario.periods,
        timezone=scenario.contract.billing_timezone,
    )["stored_gb"].max()
    assert wb[sheet][cell.replace("$", "")].value == float(peak) == 1481.843
    formulas = openpyxl.load_workbook(path)
    assert formulas[sheet][cell.replace("$", "")].value.startswith("=IF(InputsOK,MAX(")


def _same(stored, computed, fmt: str) -> bool:
    if isinstance(computed, dt.datetime):
        return isinstance(stored, dt.datetime) and stored == computed
    if isinstance(computed, bool) or isinstance(stored, bool):
        return stored == computed
    if isinstance(computed, int | float):
        if not isinstance(stored, int | float):
            return False
        if '"' in fmt:  # money: to the cent
            return abs(stored - computed) < 0.005
        # float sums in another order: 1e-9 relative; values near 0 after a difference of
        # running sums compare to 1e-9 GB absolute
        return math.isclose(stored, computed, rel_tol=1e-9, abs_tol=1e-9)
    return (stored or "") == (computed or "")


@pytest.mark.libreoffice
def test_stored_values_equal_libreoffices_recalculation(layouts, workbook_store):
    checked, wrong = 0, []
    for stem, book in BOOKS.items():
        stored = workbook_store.book(book, recalculated=False)  # the values the writer stored
        computed = workbook_store.book(book)
        for sheet in layouts[stem].sheets:
            for (r, c), cell in sorted(sheet.cells.items()):
                if cell.formula is None:
                    continue
                mine = stored[sheet.name].cell(r, c)
                theirs = computed[sheet.name].cell(r, c).value
                checked += 1
                if not _same(mine.value, theirs, cell.number_format or ""):
                    wrong.append((stem, sheet.name, mine.coordinate, mine.value, theirs))
    by_sheet = collections.Counter((w[0], w[1]) for w in wrong)
    assert wrong == [], f"{len(wrong)} of {checked} differ ({dict(by_sheet)}), first: {wrong[:5]}"
    assert checked > 20000


def test_pandas_reads_the_summary_figures_of_a_committed_workbook():
    frame = pd.read_excel(
        WORKBOOKS_DIR / "finance_ramp_study.xlsx", sheet_name="Summary", header=3, usecols="A:B"
    )
    figures = dict(zip(frame["Figure"], frame["Value"], strict=True))
    scenario = load_scenario(SCENARIOS_DIR / "finance_ramp_study.toml")
    total = grand_total(invoice_schedule(scenario))
    assert figures["Total contract value"] == pytest.approx(float(total), abs=0.005)
    assert 0 < figures["First-year cost"] < figures["Total contract value"]
    assert figures["Billed periods"] == scenario.periods
    assert figures["Grid check"] is True  # InputsOK: every input within its validation
