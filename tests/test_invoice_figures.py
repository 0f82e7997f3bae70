"""The invoice figures the sheets show (core/invoice_figures.py) are the invoice engine's: the
Summary's monthly prepay is what a term period's prepay lines bill, the Storage sheet's overage
invoiced is what each period's storage line bills; and each sheet places the Excel twin with
the engine's value (its formula against the engine in LibreOffice: tests/test_formulas.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing_model.core.contract import Product
from billing_model.core.invoice_figures import (
    fair_use_amount,
    monthly_prepay,
    storage_overage_invoiced,
)
from billing_model.core.invoices import invoice_schedule
from billing_model.formulas import invoice_figures as fif
from billing_model.workbook.layout import a1
from tests import workbooks

EUR_CONTRACT = workbooks.example("eur_contract")
SALES_QUOTE = workbooks.example("sales_quote")
STORAGE_ESTIMATE = workbooks.example("storage_estimate")


@pytest.mark.parametrize("case", [EUR_CONTRACT, SALES_QUOTE], ids=lambda c: c.name)
def test_monthly_prepay_is_what_a_term_period_invoices(workbook_store, case):
    scenario = workbook_store.scenario(case)
    lines = invoice_schedule(scenario, keys=True)
    prepay = lines[lines["kind"] == "prepay"]
    per_period = prepay.groupby("period")["amount"].sum()
    expected = monthly_prepay(scenario.products, scenario.contract.currency)
    assert len(per_period) == scenario.contract.term_months
    assert set(per_period) == {expected}


def test_a_line_is_rounded_before_the_lines_are_summed():
    # 55 x 171.115 = 9411.325 and 3 x 0.335 = 1.005: lines of 9411.33 and 1.01 (half up), so
    # 9412.34; the unrounded sum 9412.33 is no invoice's
    products = [
        Product("pc2", "named", 55, Decimal("171.115"), None),
        Product("communicate", "named", 3, Decimal("0.335"), None),
        Product("pc3", "hourly", 0, None, None),
    ]
    assert monthly_prepay(products, "EUR") == Decimal("9412.34")
    assert monthly_prepay(products, "JPY") == Decimal("9412")  # 9411 + 1: no decimals


def test_an_overage_without_its_rate_is_no_figure():
    assert fair_use_amount(Decimal("0"), None, "EUR") == 0
    assert fair_use_amount(Decimal("0.001"), None, "EUR") is None
    assert fair_use_amount(Decimal("0.001"), Decimal("1"), "EUR") == 0


def test_storage_overage_invoiced_is_the_invoices_storage_lines(workbook_store):
    from billing_model.core.invoices import fair_use_allowances, storage_usage

    scenario = workbook_store.scenario(STORAGE_ESTIMATE)
    rate = scenario.contract.storage_overage_rate
    n = scenario.periods
    overage, amounts = storage_overage_invoiced(
        storage_usage(scenario),
        fair_use_allowances(scenario, "storage_gb"),
        rate,
        "USD",
        billed=n,
        periods=n + 2,
    )
    lines = invoice_schedule(scenario, keys=True)
    storage = lines[lines["kind"] == "storage_gb"]
    billed = {int(k): a for k, a in zip(storage["period"], storage["amount"], strict=True)}
    assert sum(billed.values()) == Decimal("22.43")  # tests/test_workbook_grids.py's answer
    assert {k: a for k, a in enumerate(amounts) if a} == billed
    assert overage[n:] == [0.0, 0.0] and amounts[n:] == [Decimal("0.00")] * 2


def _cell(book, sheet_name: str, label: str, column: int):
    """The cell of ``column`` on the row whose column A holds ``label``."""
    sheet = book.sheet(sheet_name)
    rows = [r for (r, c), cell in sheet.cells.items() if c == 1 and cell.value == label]
    assert len(rows) == 1, (sheet_name, label, rows)
    return sheet.cells[(rows[0], column)]


@pytest.mark.parametrize("case", [EUR_CONTRACT, SALES_QUOTE], ids=lambda c: c.name)
def test_the_summary_places_the_twin_with_the_engines_prepay(workbook_store, case):
    scenario, book = workbook_store.scenario(case), workbook_store.layout(case)
    cell = _cell(book, "Summary", "Monthly prepay (term)", 2)
    names = [("CommittedUsers", "PrepayRate")] + [
        (f"CommittedUsers_{j}", f"PrepayRate_{j}") for j in range(2, len(scenario.products) + 1)
    ]
    assert cell.formula == f"=IF(InputsOK,{fif.monthly_prepay(names)},NA())"
    assert Decimal(str(cell.result)) == monthly_prepay(
        scenario.products, scenario.contract.currency
    )


def test_the_storage_sheet_places_the_twin_with_the_engines_amounts(workbook_store):
    scenario, book = (
        workbook_store.scenario(STORAGE_ESTIMATE),
        workbook_store.layout(STORAGE_ESTIMATE),
    )
    sheet = book.sheet("Storage")
    heads = [(r, c) for (r, c), cell in sheet.cells.items() if cell.value == "Overage invoiced"]
    (head, column), *_ = sorted(heads)
    cells = [sheet.cells[(head + 1 + k, column)] for k in range(scenario.periods)]
    assert [c.formula for c in cells[:2]] == [
        "=" + fif.fair_use_amount(a1(head + 1 + k, column - 1), "StorageOverageRate")
        for k in range(2)
    ]
    lines = invoice_schedule(scenario, keys=True)
    storage = lines[lines["kind"] == "storage_gb"]
    billed = dict(zip(storage["period"].astype(int), storage["amount"], strict=True))
    assert [Decimal(str(c.result)) for c in cells] == [
        billed.get(k, Decimal(0)) for k in range(scenario.periods)
    ]
