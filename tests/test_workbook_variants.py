"""Live variants, proven in LibreOffice (issue #13, item 2).

``finance_ramp_study.xlsx`` is built, copied, and in the copy (its saved input cells) one
variant's override (``V3_RampMonths``: the 6-month ramp becomes 4 months), one variant's linked rate
(``V2_OverageRate``: typed over the link, it becomes an override) and two base inputs
(``PrepayRate``, ``TermMonths``, which no variant overrides) are edited. Both files are
recalculated in one LibreOffice run; each variant's invoice lines, invoice totals, cash flow and
Variants-sheet figures must equal the engine's schedule of the equally edited variant scenario.
"""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from decimal import Decimal

import openpyxl
import pytest

from billing_model.core.invoices import invoice_schedule, invoice_totals
from billing_model.service import scenario_from_mapping
from billing_model.workbook import SCENARIOS_DIR, scenario_figures
from tests import workbooks
from tests.workbook_cells import as_date as _as_date
from tests.workbook_cells import engine_lines as _engine_lines
from tests.workbook_cells import error_cells
from tests.workbook_cells import money as _money
from tests.workbook_cells import named as _named
from tests.workbook_cells import workbook_lines as _workbook_lines

STEM = "finance_ramp_study"
#: base inputs edited (name -> (contract key, value)); no variant of the study overrides them
BASE_EDITS = {"PrepayRate": ("prepay_rate", 79.99), "TermMonths": ("term_months", 20)}
#: variant inputs edited: (defined name, variant index in the file, contract key, value)
VARIANT_EDITS = (
    ("V3_RampMonths", 2, "ramp_months", 4),
    ("V2_OverageRate", 1, "overage_rate", 90.125),
)


#: sales_quote: the concurrent variant switched back to named (its users follow the switch)
#: with another commitment, and the base's payment terms (not overridden) changed
QUOTE_BASE_EDITS = {"PaymentTermsDays": ("payment_terms_days", 45)}
QUOTE_VARIANT_EDITS = (
    ("V1_LicenseModel", 0, "license_model", "named"),
    ("V1_CommittedUsers", 0, "committed_users", 40),
)


def _edited_scenario(stem, base_edits, variant_edits):
    with open(SCENARIOS_DIR / f"{stem}.toml", "rb") as fh:
        data = copy.deepcopy(tomllib.load(fh, parse_float=Decimal))
    for key, value in base_edits.values():
        data["contract"][key] = Decimal(repr(value)) if isinstance(value, float) else value
    for _name, index, key, value in variant_edits:
        data["variant"][index][key] = Decimal(repr(value)) if isinstance(value, float) else value
    return scenario_from_mapping(data, base_dir=SCENARIOS_DIR, name=stem)


#: (case, example, base edits, variant edits): the session's workbooks (tests/workbooks.py)
SPECS = (
    ("built", STEM, {}, ()),
    ("edited", STEM, BASE_EDITS, VARIANT_EDITS),
    ("quote", "sales_quote", {}, ()),
    ("quote-edited", "sales_quote", QUOTE_BASE_EDITS, QUOTE_VARIANT_EDITS),
)
EUR = workbooks.example("eur_contract")
BOOKS = {}
for _case, _stem, _base, _variant in SPECS:
    BOOKS[_case] = workbooks.example(_stem)
    if _base or _variant:
        BOOKS[_case] = workbooks.edited(
            f"variants-{_case}",
            BOOKS[_case],
            {**{n: v for n, (_k, v) in _base.items()}, **{n: v for n, _i, _k, v in _variant}},
        )


@pytest.fixture(scope="module")
def books(workbook_store):
    """{case: (scenario the engine computes, recalculated workbook with values)}."""
    return {
        case: (_edited_scenario(stem, base_edits, variant_edits), workbook_store.book(BOOKS[case]))
        for case, stem, base_edits, variant_edits in SPECS
    }


CASES = ("built", "edited", "quote", "quote-edited")
#: (case, variant number) for every variant of every case
VARIANT_CASES = [
    (case, j) for case in CASES for j in ((1,) if case.startswith("quote") else (1, 2, 3, 4))
]


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", CASES)
def test_no_error_cells(books, case):
    _scenario, wb = books[case]
    assert error_cells(wb) == []


@pytest.mark.libreoffice
@pytest.mark.parametrize(("case", "j"), VARIANT_CASES)
def test_variant_lines_and_totals_equal_the_engine(books, case, j):
    scenario, wb = books[case]
    name, variant = scenario.variants()[j]
    expected = _engine_lines(variant)
    assert expected, "a schedule without lines proves nothing"
    assert _workbook_lines(wb, f"V{j} invoices", f"V{j}_InvoiceLines") == expected
    figures = scenario_figures(variant)
    assert _money(_named(wb, f"V{j}_InvoiceTotal")) == figures["total"]
    # per invoice: the variant's cash flow sheet's non-zero rows are the engine's totals
    ws = wb[f"V{j} cash flow"]
    rows = list(ws[ws.tables[f"V{j}_Invoices"].ref])[1:]
    got = [
        (_as_date(r[0].value), _as_date(r[1].value), _money(r[2].value)) for r in rows if r[2].value
    ]
    want = [
        (r.invoice_date, r.due_date, r.amount)
        for r in invoice_totals(invoice_schedule(variant)).itertuples()
        if r.amount
    ]
    assert got == want
    # the Variants sheet's column of this variant
    ws = wb["Variants"]
    assert ws.cell(4, 2 + j).value == name
    column = {ws.cell(r, 1).value: ws.cell(r, 2 + j).value for r in range(5, 17)}
    assert _money(column["Total contract value"]) == figures["total"]
    assert _money(column["First-year cost (invoiced in 12 months)"]) == figures["first_year"]
    assert _money(column["First-year cash (due in 12 months)"]) == figures["first_year_due"]
    assert column["Ramp months"] == variant.contract.ramp_months
    assert column["Term months"] == variant.contract.term_months


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", CASES)
def test_variants_sheet_base_column_and_curves(books, case):
    scenario, wb = books[case]
    ws = wb["Variants"]
    base = scenario_figures(scenario)
    column = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(5, 17)}
    assert _money(column["Total contract value"]) == base["total"]
    # invoiced to date: the last row of each variant's curve is its contract value
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=19)]
    last = [row for row in values if row[0] is not None][-1]
    n = len(scenario.variants())
    to_date = last[2 + n : 2 + 2 * n]
    assert [_money(v) for v in to_date] == [
        scenario_figures(sc)["total"] for _n, sc in scenario.variants()
    ]
    # the months' amounts add up to the same
    months = [row[1 : 1 + n] for row in values if isinstance(row[0], dt.datetime)]
    assert [sum(_money(m[j]) for m in months) for j in range(n)] == [_money(v) for v in to_date]


@pytest.mark.libreoffice
def test_a_variant_that_does_not_override_a_base_input_moves_with_it(books):
    (_s0, before), (scenario, after) = books["built"], books["edited"]
    # "no ramp" (V1) overrides only the ramp: the edited prepay rate and term reach it
    assert _named(after, "V1_PrepayRate") == 79.99
    assert _named(after, "V1_TermMonths") == 20
    assert _named(after, "V1_RampMonths") == 0  # its own override stays
    assert _named(after, "V1_InvoiceTotal") != _named(before, "V1_InvoiceTotal")
    assert (
        _money(_named(after, "V1_InvoiceTotal"))
        == scenario_figures(scenario.variant("no ramp"))["total"]
    )
    # the override typed over V2's link holds; the others keep following the base
    assert _named(after, "V2_OverageRate") == 90.125
    assert _named(after, "V1_OverageRate") == _named(after, "OverageRate") == 82.5


@pytest.mark.libreoffice
def test_switching_a_variants_license_model_switches_its_users(books):
    (_s, built), (scenario, edited) = books["quote"], books["quote-edited"]
    ws_built, ws_edited = built["Variant inputs"], edited["Variant inputs"]
    sheet, cell = next(iter(built.defined_names["V1_Users_pc2"].destinations))
    first = cell.split(":")[0].replace("$", "")
    # built: the concurrent peaks (26 + 6); switched to named: the named users of both orgs
    assert ws_built[first].value == 32
    assert ws_edited[first].value == int(scenario.variant("concurrent").users("pc2")[0]) == 56
    assert _named(edited, "V1_PaymentTermsDays") == 45  # followed the base


@pytest.mark.libreoffice
def test_stored_results_equal_libreoffice(books, workbook_store):
    """Every formula cell of the Variants and Variant inputs sheets carries the engine's value,
    and it is what LibreOffice computes."""
    for case in ("built", "quote"):
        _check_results(workbook_store.layout(BOOKS[case]), books[case][1])


def _check_results(book, wb) -> None:
    checked = 0
    for name in ("Variants", "Variant inputs"):
        for (r, c), cell in book.sheet(name).cells.items():
            if cell.formula is None:
                continue
            assert cell.result is not None, (name, r, c, cell.formula)
            got = wb[name].cell(r, c).value
            if isinstance(cell.result, float | int) and not isinstance(cell.result, bool):
                assert got == pytest.approx(cell.result, abs=1e-9), (name, r, c, cell.formula)
            else:
                assert _as_date(got) == cell.result, (name, r, c, cell.formula)
            checked += 1
    assert checked > 150


def test_overrides_are_inputs_and_the_rest_links_to_the_base(workbook_store):
    book = workbook_store.layout(BOOKS["built"])
    cells = {}
    for name in (
        "V1_RampMonths",
        "V3_RampMonths",
        "V4_RampPolicy",
        "V1_RampPolicy",
        "V2_PrepayRate",
        "V4_TermMonths",
    ):
        sheet, cell = book.names[name].split("!")
        col, row = openpyxl.utils.cell.coordinate_from_string(cell.replace("$", ""))
        cells[name] = book.sheet(sheet.strip("'")).cells[
            (row, openpyxl.utils.column_index_from_string(col))
        ]
    assert (cells["V1_RampMonths"].value, cells["V1_RampMonths"].style) == (0, "input")
    assert (cells["V3_RampMonths"].value, cells["V3_RampMonths"].style) == (6, "input")
    assert cells["V4_RampPolicy"].value == "no-software-charges"
    assert cells["V1_RampPolicy"].formula == "=RampPolicy"
    assert cells["V2_PrepayRate"].formula == "=PrepayRate"
    assert cells["V4_TermMonths"].formula == "=TermMonths"
    # the variant grids read the variant's names only, never the base's inputs
    grid = book.sheet("V3 invoices").formulas()
    assert any("V3_RampMonths" in f for f in grid.values())
    for base_name in (
        "RampMonths",
        "PrepayRate",
        "OrderDate",
        "Channel",
        "Telephony",
        "LineAmount",
    ):
        assert not any(
            f"({base_name}," in f or f"={base_name}" in f or f",{base_name})" in f
            for f in grid.values()
        ), base_name


def test_a_scenario_without_variants_has_no_variant_sheets(workbook_store):
    names = [s.name for s in workbook_store.layout(EUR).sheets]
    assert "Variant inputs" not in names and not any(n.startswith("V1 ") for n in names)
