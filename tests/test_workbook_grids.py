"""The workbook's grids cover every value its Inputs accept (issue 13, items 1 and 4).

sales_quote and finance_ramp_study are built once, copied, and edited (the input cells of the
saved file) across the whole validated range (ramp 0-24, term 1-60, ramp policy, currency,
license model, committed users, rates, storage inputs), all recalculated in one LibreOffice run.
Each must equal the engine on the equally edited scenario file, line by line and in total. The
scenario's usage lists are extended as the workbook extends them (the last value repeated);
variants are left out of the engine's file (a variant's own ramp could outgrow the extended
lists).
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from decimal import Decimal

import openpyxl
import pytest
from test_workbook import _engine_lines, _named, _raw, _workbook_lines

from billing_model.core.invoices import grand_total, invoice_schedule
from billing_model.core.limits import LIMITS
from billing_model.service import load_scenario, scenario_from_mapping
from billing_model.workbook import SCENARIOS_DIR
from billing_model.workbook.context import extend, grid_size
from tests import workbooks

STEMS = ("sales_quote", "finance_ramp_study")
N_EDITS = 4  # seeded random edit sets per example

#: defined name -> (TOML table, key)
KEYS = {
    "RampMonths": ("contract", "ramp_months"),
    "TermMonths": ("contract", "term_months"),
    "RampPolicy": ("contract", "ramp_policy"),
    "Currency": ("contract", "currency"),
    "LicenseModel": ("contract", "license_model"),
    "CommittedUsers": ("contract", "committed_users"),
    "PrepayRate": ("contract", "prepay_rate"),
    "OverageRate": ("contract", "overage_rate"),
    "StorageOverageRate": ("contract", "storage_overage_rate"),
    "CallsPerMonth": ("storage", "calls_per_month"),
    "AvgMinutes": ("storage", "avg_minutes"),
    "RetentionDays": ("storage", "retention_days"),
    "ScreenShare": ("storage", "screen_share"),
}


def _random_edits(seed: int) -> dict:
    """One seeded edit set over the whole validated range of each input."""
    rng = random.Random(seed)
    currency = rng.choice(["USD", "EUR", "JPY", "GBP"])
    decimals = 0 if currency == "JPY" else 3
    prepay = round(rng.uniform(20, 200), decimals)
    edits = {
        "RampMonths": rng.randint(0, 24),
        "TermMonths": rng.randint(1, 60),
        "RampPolicy": rng.choice(["actual-usage", "no-software-charges"]),
        "Currency": currency,
        "LicenseModel": rng.choice(["named", "concurrent"]),
        "CommittedUsers": rng.randint(0, 300),
        "PrepayRate": prepay,
        "OverageRate": round(prepay * rng.uniform(1, 1.3), decimals),
    }
    if seed % 2 == 0:  # storage what-if: the forecast billed at an explicit rate
        edits.update(
            {
                "StorageBilled": "yes",
                "StorageOverageRate": round(rng.uniform(0, 1), 4),
                "CallsPerMonth": rng.randint(1000, 400_000),
                "AvgMinutes": round(rng.uniform(1, 12), 2),
                "RetentionDays": rng.choice([30, 90, 180, 365, 730]),
                "ScreenShare": rng.choice([0, 0.2]),
            }
        )
    return edits


def _grid_scenario(stem: str, edits: dict):
    """The engine's scenario with the workbook's edits: lists extended as the grid extends
    them, no variants."""
    data = copy.deepcopy(_raw(stem))
    data.pop("variant", None)
    for name, value in edits.items():
        if name == "StorageBilled":
            continue
        table, key = KEYS[name]
        value = Decimal(repr(value)) if isinstance(value, float) else value
        data.setdefault(table, {})[key] = value
    n = data["contract"].get("ramp_months", 0) + data["contract"]["term_months"]
    for table in (data["usage"], *data.get("org", [])):
        for key in ("users", "telephony", "ivr_minutes", "api_requests", "storage_gb"):
            if isinstance(table.get(key), list):
                table[key] = extend(table[key], n)
            elif isinstance(table.get(key), dict):
                table[key] = {lic: extend(v, n) for lic, v in table[key].items()}
    return scenario_from_mapping(data, base_dir=SCENARIOS_DIR, name=stem)


def _eur_without_storage_rate():
    """eur_contract without its storage rate and measured storage (the loader accepts it:
    nothing bills storage)."""
    data = _raw("eur_contract")
    del data["contract"]["storage_overage_rate"]
    del data["usage"]["storage_gb"]
    return scenario_from_mapping(data, base_dir=SCENARIOS_DIR, name="eur_contract")


def _partner_jpy():
    partner = _raw("eur_contract")
    partner["contract"].update({"channel": "partner", "currency": "JPY"})
    return scenario_from_mapping(partner, base_dir=SCENARIOS_DIR, name="eur_contract")


#: the session's workbooks (tests/workbooks.py): the examples and their edited copies
BUILT = {stem: workbooks.example(stem) for stem in STEMS}
STORAGE_ESTIMATE = workbooks.example("storage_estimate")
EUR = workbooks.example("eur_contract")
#: (case, example, input edits); each case's engine scenario is made by the fixture
EDITED = [
    ("finance-ramp-6", "finance_ramp_study", {"RampMonths": 6}),
    ("quote-term-24", "sales_quote", {"TermMonths": 24}),
]
EDITED += [
    (f"{stem}-random{seed}", stem, _random_edits(seed + (100 if stem == "sales_quote" else 0)))
    for stem in STEMS
    for seed in range(N_EDITS)
]
STORAGE_EDITS = {
    "StorageBilled": "yes",
    "CallsPerMonth": 150_000,
    "AvgMinutes": 6.5,
    "RetentionDays": 180,
}  # no rate: 0.25 USD/GB in both
EDITED.append(("quote-storage-default", "sales_quote", STORAGE_EDITS))
EDITED_BOOKS = {
    case: workbooks.edited(f"grids-{case}", BUILT[stem], edits) for case, stem, edits in EDITED
}
PARTNER_JPY = workbooks.scenario("grids-partner-jpy", _partner_jpy)
#: RampMonths + TermMonths past the grid, as a formula (validation does not see it), and a
#: negative commitment typed with validation off
FORCED = workbooks.edited(
    "grids-forced", BUILT["finance_ramp_study"], {"TermMonths": "=GridPeriods"}
)
FORCED_NEGATIVE = workbooks.edited(
    "grids-forced-negative", BUILT["sales_quote"], {"CommittedUsers": -5}
)
EUR_WITHOUT_RATE = workbooks.scenario("grids-eur-without-storage-rate", _eur_without_storage_rate)
EUR_NO_RATE = workbooks.edited(
    "grids-eur-no-rate",
    EUR_WITHOUT_RATE,
    {"StorageBilled": "yes", "CallsPerMonth": 400_000, "AvgMinutes": 10, "RetentionDays": 365},
)


@pytest.fixture(scope="module")
def grid_books(workbook_store):
    """{case: (engine scenario or None, recalculated workbook)}."""
    cases: dict[str, tuple] = {}
    for case, stem, edits in EDITED:
        if case == "finance-ramp-6":
            scenario = load_scenario(SCENARIOS_DIR / f"{stem}.toml").variant("6-month ramp")
        else:
            scenario = _grid_scenario(stem, edits)
        cases[case] = (scenario, workbook_store.book(EDITED_BOOKS[case]))
    for case, book in (
        ("storage_estimate", STORAGE_ESTIMATE),
        *BUILT.items(),
        ("partner-jpy", PARTNER_JPY),
    ):
        cases[case] = (workbook_store.scenario(book), workbook_store.book(book))
    cases["forced"] = (None, workbook_store.book(FORCED))
    cases["forced-negative"] = (None, workbook_store.book(FORCED_NEGATIVE))
    cases["eur-no-rate"] = (_eur_without_storage_rate(), workbook_store.book(EUR_NO_RATE))
    return cases


#: the layout of the cases of test_stored_values_of_the_grid_sheets_equal_libreoffice
LAYOUTS = {**BUILT, "storage_estimate": STORAGE_ESTIMATE, "partner-jpy": PARTNER_JPY}


def _close(expected, got) -> bool:
    if isinstance(got, dt.datetime):
        got = got.date()
    if expected == "" and got is None:  # an empty text result reads back as no value
        return True
    if isinstance(expected, bool) or not isinstance(expected, int | float):
        return expected == got
    # floats of both sides: money to the cent is exact, GB and allowances differ in the 1e-12s
    return isinstance(got, int | float) and abs(got - expected) <= 1e-9 * max(1, abs(got))


RANDOM = [f"{stem}-random{i}" for stem in STEMS for i in range(N_EDITS)]


@pytest.mark.libreoffice
def test_finance_ramp_3_to_6_is_the_engines_626787_50(grid_books):
    scenario, wb = grid_books["finance-ramp-6"]
    assert grand_total(invoice_schedule(scenario)) == Decimal("626787.50")
    assert _named(wb, "InvoiceTotal") == pytest.approx(626787.50, abs=0.005)
    assert _workbook_lines(wb) == _engine_lines(scenario)


@pytest.mark.libreoffice
def test_sales_quote_term_24_is_the_engine(grid_books):
    scenario, wb = grid_books["quote-term-24"]
    total = grand_total(invoice_schedule(scenario))
    assert total != Decimal("122350.60")  # the figure a cut-off grid kept
    assert Decimal(repr(_named(wb, "InvoiceTotal"))).quantize(Decimal("0.01")) == total
    assert _workbook_lines(wb) == _engine_lines(scenario)


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", RANDOM)
def test_random_edits_over_the_validated_range_equal_the_engine(grid_books, case):
    scenario, wb = grid_books[case]
    assert _named(wb, "InputsOK") is True
    assert _workbook_lines(wb) == _engine_lines(scenario)
    total = grand_total(invoice_schedule(scenario)) or Decimal(0)
    decimals = Decimal(1).scaleb(-2 if scenario.contract.currency != "JPY" else 0)
    assert Decimal(repr(_named(wb, "InvoiceTotal"))).quantize(decimals) == total


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", ["forced", "forced-negative"])
def test_a_value_forced_past_validation_makes_the_totals_an_error(grid_books, case):
    _scenario, wb = grid_books[case]
    assert _named(wb, "InputsOK") is False
    for name in ("InvoiceTotal", "FirstYearCost", "Periods"):
        assert _named(wb, name) == "#N/A", name


@pytest.mark.parametrize("stem", STEMS)
def test_validation_stops_where_the_grid_stops(workbook_store, stem):
    book = workbook_store.layout(BUILT[stem])
    inputs = book.sheet("Inputs")
    by_cell = {v.cells: v for v in inputs.validations}
    bounds = {}
    for name in ("RampMonths", "TermMonths"):
        cell = book.names[name].split("!")[1].replace("$", "")
        bounds[name] = (by_cell[cell].minimum, by_cell[cell].maximum)
    assert bounds == {"RampMonths": (0.0, 24.0), "TermMonths": (1.0, 60.0)}
    assert grid_size(load_scenario(SCENARIOS_DIR / f"{stem}.toml")) == (24, 60, 108)
    assert LIMITS["grid_periods"].maximum == 108  # 24 ramp + 60 term + 24 month to month
    formulas = "".join(inputs.formulas().values())
    assert "rebuild" not in formulas


def test_storage_rate_defaults_as_invoices_does(workbook_store):
    book = workbook_store.layout(BUILT["sales_quote"])
    sheet_name, cell = book.names["StorageOverageRate"].split("!")
    row, col = openpyxl.utils.cell.coordinate_to_tuple(cell.replace("$", ""))
    assert book.sheet(sheet_name).value(row, col) == 0.25
    book = workbook_store.layout(EUR_WITHOUT_RATE)
    sheet_name, cell = book.names["StorageOverageRate"].split("!")
    row, col = openpyxl.utils.cell.coordinate_to_tuple(cell.replace("$", ""))
    assert book.sheet(sheet_name).value(row, col) == ""  # flagged empty, never a silent 0
    assert "REQUIRED" in book.sheet(sheet_name).value(row, 4)
    book = workbook_store.layout(EUR)
    sheet_name, cell = book.names["StorageOverageRate"].split("!")
    row, col = openpyxl.utils.cell.coordinate_to_tuple(cell.replace("$", ""))
    assert book.sheet(sheet_name).value(row, col) == 0.23  # the contract's rate


def _storage_lines(scenario) -> Decimal:
    lines = invoice_schedule(scenario)
    return sum(lines[lines["description"].str.startswith("Data storage")]["amount"], Decimal(0))


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    "case",
    [
        "quote-storage-default",
        "storage_estimate",
        "sales_quote-random0",
        "finance_ramp_study-random2",
    ],
)
def test_storage_is_priced_like_invoices(grid_books, case):
    """Storage lines billed at the same rate (0.25 USD/GB by default) and the Storage sheet's
    overage total is the invoiced one (one answer: 22.43 USD for storage_estimate)."""
    scenario, wb = grid_books[case]
    invoiced = _storage_lines(scenario)
    assert invoiced > 0  # the case has storage lines
    if case == "quote-storage-default":
        assert scenario.contract.storage_overage_rate == Decimal("0.25")
    if case == "storage_estimate":
        assert invoiced == Decimal("22.43")
    assert _workbook_lines(wb) == _engine_lines(scenario)
    assert Decimal(repr(_named(wb, "StorageOverageCost"))).quantize(Decimal("0.01")) == invoiced
    total = grand_total(invoice_schedule(scenario))
    assert Decimal(repr(_named(wb, "InvoiceTotal"))).quantize(Decimal("0.01")) == total


def test_storage_estimate_shows_one_steady_answer_per_retention(workbook_store):
    book = workbook_store.layout(STORAGE_ESTIMATE)
    sheet = book.sheet("Storage")
    column = [sheet.value(r, 1) for r in range(1, 200)]
    start = column.index("Retention days") + 1
    days = column[start : start + 6]
    assert days == ["=RetentionDays", 30, 90, 365, 730, None]  # 180 is the Inputs' row


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", [*STEMS, "storage_estimate", "partner-jpy"])
def test_stored_values_of_the_grid_sheets_equal_libreoffice(grid_books, workbook_store, case):
    """Every formula of Inputs, Invoices, Cash flow (and the Storage sheet's overage columns)
    carries the engines' value, and it is LibreOffice's (the partner channel's blank rates and
    amounts and JPY's whole yen too)."""
    _scenario, wb = grid_books[case]
    book = workbook_store.layout(LAYOUTS[case])
    wrong = []
    for name in ("Inputs", "Invoices", "Cash flow", "Storage"):
        for (r, c), cell in book.sheet(name).cells.items():
            if cell.formula is None or name == "Storage" and c not in (10, 11):
                continue  # of the Storage sheet: the overage and its cost, the invoices' own
            got = wb[name].cell(r, c).value
            if cell.result is None or not _close(cell.result, got):
                wrong.append((name, r, c, cell.formula[:50], cell.result, got))
    assert wrong == []


@pytest.mark.libreoffice
def test_storage_overage_without_the_contracts_rate_is_an_error_not_zero(grid_books):
    """EUR has no published storage rate: the flagged empty input bills no silent 0 (the
    loader refuses the same scenario file without storage_overage_rate)."""
    scenario, wb = grid_books["eur-no-rate"]
    assert scenario.contract.storage_overage_rate is None
    assert _named(wb, "StorageOverageRate") in ("", None)
    assert _named(wb, "InvoiceTotal") == "#N/A"
    assert _named(wb, "StorageOverageCost") == "#N/A"


@pytest.mark.parametrize(
    ("ramp", "term", "expected"),
    [
        (0, 12, (24, 60, 108)),
        (3, 120, (24, 120, 168)),
        (30, 10, (30, 60, 114)),
        (0, 240, (0, 240, 240)),
        (40, 200, (40, 200, 240)),
    ],
)
def test_a_longer_scenario_widens_its_grid_up_to_the_engines_limit(ramp, term, expected):
    data = {
        "contract": {
            "order_date": "2026-01-15",
            "license": "pc2",
            "committed_users": 1,
            "prepay_rate": 1,
            "ramp_months": ramp,
            "term_months": term,
        },
        "usage": {"users": [1] * (ramp + term)},
    }
    assert grid_size(scenario_from_mapping(data)) == expected
