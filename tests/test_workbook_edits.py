"""Workbooks that stay true under every edit (issue #18): each edit a user makes in a built
workbook, recalculated in LibreOffice, gives the figure ``billing-model invoices`` gives on the
same change; an invalid edit leaves no figure standing and says which input is wrong.

Every workbook of this module is a case of the session's shared store (``tests/workbooks.py``):
the examples are built once for the whole session and edited on copies, and everything is
recalculated in the worker's one LibreOffice run; the structural tests read the layout without
LibreOffice.
"""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from decimal import Decimal

import openpyxl
import pytest

from billing_model.core.compare import break_even_rate
from billing_model.core.errors import BillingInputError
from billing_model.core.money import line_amount
from billing_model.service import scenario_from_mapping
from billing_model.workbook import SCENARIOS_DIR, build_layout, scenario_figures
from tests import workbooks
from tests.workbook_cells import engine_lines, error_cells, money, named, workbook_lines

#: item 1: 40 users values, ramp 1 + term 12, a variant with ramp 5 (the issue's scenario)
USERS_40 = {
    "contract": {
        "order_date": "2026-01-15",
        "license": "pc2",
        "committed_users": 10,
        "prepay_rate": 100,
        "overage_rate": 125,
        "term_months": 12,
        "ramp_months": 1,
    },
    "usage": {"users": list(range(1, 41))},
    "variant": [{"name": "5-month ramp", "ramp_months": 5}],
}


def _toml(stem: str) -> dict:
    with open(SCENARIOS_DIR / f"{stem}.toml", "rb") as fh:
        return tomllib.load(fh, parse_float=Decimal)


def _repeat_last(data: dict, n: int) -> dict:
    """``data`` with every ``[usage]`` list extended to ``n`` values by its last one: what the
    workbook assumes past the scenario's values (its Usage sheet says so)."""
    data = copy.deepcopy(data)
    for key, values in data["usage"].items():
        if isinstance(values, list):
            data["usage"][key] = values + [values[-1]] * (n - len(values))
    return data


def _with(data: dict, **contract) -> dict:
    data = copy.deepcopy(data)
    data["contract"].update(contract)
    return data


#: case -> (scenario data or stem, input edits typed into the workbook, the engine's scenario
#: data on the same change or None for an invalid edit)
def _cases() -> dict:
    finance = _toml("finance_ramp_study")
    return {
        "users40": (
            USERS_40,
            {"RampMonths": 4, "TermMonths": 30},
            _with(USERS_40, ramp_months=4, term_months=30),
        ),
        "finance36": (
            "finance_ramp_study",
            {"TermMonths": 36},
            _with(_repeat_last(finance, 42), term_months=36),
        ),
        **{case: (stem, edits, None) for case, (stem, edits, _label, _engine) in BAD.items()},
        # a variant's own input not accepted: its figures are errors, the base's stand
        "variant-negative": ("finance_ramp_study", {"V1_CommittedUsers": -1}, None),
        # item 4: session counts typed over on the Usage sheet (period 0, both orgs)
        "usage-edit": ("sales_quote", {"Usage!E5": 70, "Usage!F5": 40, "Usage!I5": 3}, None),
    }


DELETE = object()  # a key the edit removes from the scenario file

#: invalid edits: case -> (scenario, edits, the input InputsProblem names, the same change in
#: the scenario file (the CLI refuses it) or None when only the workbook's grid refuses it)
BAD = {
    "negative-users": (
        "sales_quote",
        {"CommittedUsers": -1},
        "Committed users",
        ("contract", "committed_users", -1),
    ),
    "text-users": (
        "sales_quote",
        {"CommittedUsers": "abc"},
        "Committed users",
        ("contract", "committed_users", "abc"),
    ),
    "ramp-25": ("sales_quote", {"RampMonths": 25}, "Ramp months", None),
    "currency-xyz": (
        "sales_quote",
        {"Currency": "XYZ"},
        "Currency",
        ("contract", "currency", "XYZ"),
    ),
    "concurrent-communicate": (
        "sales_quote",
        {"LicenseModel_2": "concurrent"},
        "License line 2: model",
        ("product", "license_model", "concurrent"),
    ),
    "order-after-ship": (
        "sales_quote",
        {"OrderDate": dt.datetime(2026, 3, 15)},
        "Hardware 2: ship date",
        ("contract", "order_date", dt.date(2026, 3, 15)),
    ),
    "ship-after-term": (
        "sales_quote",
        {"ChargeDate_2": dt.datetime(2027, 6, 1)},
        "Hardware 2: ship date",
        ("hardware", "ship_date", dt.date(2027, 6, 1)),
    ),
    "screen-400": (
        "storage_estimate",
        {"ScreenRetentionDays": 400},
        "Screen retention",
        ("storage", "screen_retention_days", 400),
    ),
    "screen-as-audio-400": (
        "storage_estimate",
        {"ScreenRetentionDays": None, "RetentionDays": 400},
        "Screen retention",
        [("storage", "screen_retention_days", DELETE), ("storage", "retention_days", 400)],
    ),
    "eur-without-storage-rate": (
        "storage_estimate",
        {"Currency": "EUR", "StorageOverageRate": None},
        "Storage overage rate",
        [("contract", "currency", "EUR"), ("contract", "storage_overage_rate", DELETE)],
    ),
}


#: the examples whose layouts tests read: the store lays each out once per worker (two tests
#: here read sales_quote's and finance_ramp_study's; each was built twice, issue #17)
LAID_OUT = {
    stem: workbooks.example(stem)
    for stem in ("finance_ramp_study", "sales_quote", "storage_estimate")
}


def _base(data) -> workbooks.Case:
    """The shared workbook an edited case starts from: an example, or USERS_40 as built."""
    if isinstance(data, str):
        return workbooks.example(data)
    return workbooks.scenario(
        "edits-users40-base",
        lambda: scenario_from_mapping(USERS_40, base_dir=SCENARIOS_DIR, name="users40"),
    )


#: case -> (the store's edited copy, the engine's scenario data on the same change or None)
CASES = {
    case: (workbooks.edited(f"edits-{case}", _base(data), edits), engine)
    for case, (data, edits, engine) in _cases().items()
}


@pytest.fixture(scope="module")
def books(workbook_store, soffice):
    """case -> (the engine's scenario on the same change or None, recalculated workbook), read
    on first use from the session's store (its batch recalculated in one LibreOffice run)."""

    class Books(dict):
        def __missing__(self, case):
            book, engine = CASES[case]
            self[case] = (
                None
                if engine is None
                else scenario_from_mapping(engine, base_dir=SCENARIOS_DIR, name=case),
                workbook_store.book(book),
            )
            return self[case]

    return Books()


# --- item 1: every usage value the scenario gives, up to the grid -------------------------------
def test_the_usage_sheet_keeps_every_value_the_scenario_gives():
    book = build_layout(scenario_from_mapping(USERS_40, name="users40"))
    column = [book.sheet("Usage").value(5 + k, 4) for k in range(84)]
    assert column == list(range(1, 41)) + [40] * 44  # repeats only past the file's values


def test_the_engine_bills_only_ramp_plus_term_of_a_longer_list():
    scenario = scenario_from_mapping(USERS_40, name="users40")
    assert len(scenario.users("pc2")) == 13
    assert len(scenario.variant("5-month ramp").users("pc2")) == 17


def test_a_bad_value_past_the_term_is_refused():
    data = copy.deepcopy(USERS_40)
    data["usage"]["users"][30] = -1  # the workbook would show it: refused like any other
    with pytest.raises(Exception, match=r"users\[30\]"):
        scenario_from_mapping(data, name="users40")


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", ["users40", "finance36"])
def test_an_edited_ramp_and_term_give_the_engines_lines(books, case):
    scenario, wb = books[case]
    assert error_cells(wb) == []
    assert workbook_lines(wb) == engine_lines(scenario)
    assert money(named(wb, "InvoiceTotal")) == scenario_figures(scenario)["total"]


# --- item 2: a variant links to the base unless the scenario overrides the value -----------------
def test_variant_usage_links_to_the_base_where_the_variant_does_not_override_it(workbook_store):
    book = workbook_store.layout(LAID_OUT["finance_ramp_study"])
    for j in range(1, 5):
        for base in ("Users_pc1", "Telephony"):
            sheet, cells = book.names[f"V{j}_{base}"].split("!")
            first, last = (int(x.split("$")[-1]) for x in cells.split(":"))
            col = openpyxl.utils.column_index_from_string(cells.split("$")[1])
            values = [book.sheet("Variant inputs").value(r, col) for r in range(first, last + 1)]
            constants = [v for v in values if not (isinstance(v, str) and v.startswith("="))]
            assert constants == [], (j, base)


@pytest.mark.libreoffice
def test_variants_follow_an_edited_term(books):
    scenario, wb = books["finance36"]
    for j, (name, variant) in enumerate(scenario.variants()[1:], start=1):
        assert money(named(wb, f"V{j}_InvoiceTotal")) == scenario_figures(variant)["total"], name
        assert workbook_lines(wb, f"V{j} invoices", f"V{j}_InvoiceLines") == engine_lines(
            variant
        ), name


# --- items 3 and 5: an input not accepted leaves no figure standing, and says why ----------------
@pytest.mark.parametrize("case", sorted(c for c in BAD if BAD[c][3] is not None))
def test_the_cli_refuses_the_same_change(case):
    stem, _edits, _label, change = BAD[case]
    data = _toml(stem)
    for table, key, value in change if isinstance(change, list) else [change]:
        target = data[table][0] if isinstance(data[table], list) else data[table]
        if value is DELETE:
            del target[key]
        else:
            target[key] = value
    with pytest.raises(BillingInputError):
        scenario_from_mapping(data, base_dir=SCENARIOS_DIR, name=stem)


def _is_error(value) -> bool:
    return isinstance(value, str) and value.startswith(("#", "Err:"))


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", sorted(BAD))
def test_an_input_not_accepted_leaves_no_figure_standing(books, case):
    _stem, _edits, label, _change = BAD[case]
    _none, wb = books[case]
    assert named(wb, "InputsOK") is False
    problem = named(wb, "InputsProblem")
    assert problem.startswith(label + ": ") and "accepted: " in problem, problem
    for name in ("InvoiceTotal", "FirstYearCost", "Periods", "StorageMaxGB", "StorageOverageCost"):
        assert _is_error(named(wb, name)), name
    ws = wb["Summary"]
    end = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 1).value == "Sheets")
    figures = {
        ws.cell(r, 1).value: ws.cell(r, 2).value
        for r in range(5, end)
        if ws.cell(r, 2).value is not None and ws.cell(r, 1).value != "Grid check"
    }
    assert len(figures) >= 8
    assert [f for f, v in figures.items() if not _is_error(v)] == []
    grid = {ws.cell(r, 1).value: ws.cell(r, 3).value for r in range(5, ws.max_row + 1)}
    assert grid["Grid check"] == "Not accepted: " + problem
    # every line amount and invoice total is an error: no sum of lines stands
    sheet, cells = next(iter(wb.defined_names["LineAmount"].destinations))
    amounts = [row[0].value for row in wb[sheet][cells.replace("$", "")]]
    assert all(_is_error(v) for v in amounts)
    # the status beside the input says what is wrong and what is accepted
    inputs = wb["Inputs"]
    statuses = [
        (inputs.cell(r, 1).value, inputs.cell(r, 5).value)
        for r in range(5, inputs.max_row + 1)
        if inputs.cell(r, 5).value
    ]
    assert statuses[0][1] == problem and statuses[0][0] == label


def test_every_cli_refusal_of_an_input_has_its_workbook_twin(workbook_store):
    """Each validated input and rule has a data validation and a status check (InputsOK)."""
    book = workbook_store.layout(LAID_OUT["sales_quote"])
    inputs = book.sheet("Inputs")
    validated = {v.cells for v in inputs.validations}
    checked = {r for (r, c), cell in inputs.cells.items() if c == 5 and cell.formula}
    for name in (
        "OrderDate",
        "Currency",
        "LicenseModel",
        "License",
        "CommittedUsers",
        "PrepayRate",
        "OverageRate",
        "RampMonths",
        "RampPolicy",
        "TermMonths",
        "PaymentTermsDays",
        "Channel",
        "IvrOverageRate",
        "ApiOverageRate",
        "StorageOverageRate",
        "ScreenRetentionDays",
        "RetentionDays",
        "ChargeDate_2",
        "ChargeQty_1",
        "ChargeRate_2",
        "LicenseModel_2",
        "CommittedUsers_2",
    ):
        cell = book.names[name].split("!")[1]
        row = int(cell.rsplit("$", 1)[1])
        assert cell.replace("$", "") in validated, name
        assert row in checked, name


# --- item 4: the Summary's named-vs-concurrent block follows the Usage sheet and the scenario -----
def _summary(wb) -> dict:
    ws = wb["Summary"]
    return {
        ws.cell(r, 1).value: (ws.cell(r, 2).value, ws.cell(r, 3).value)
        for r in range(5, ws.max_row + 1)
        if ws.cell(r, 1).value
    }


@pytest.mark.libreoffice
def test_the_named_vs_concurrent_block_follows_the_usage_sheet(books):
    _none, wb = books["usage-edit"]
    usage = wb["Usage"]
    figures = _summary(wb)
    named_users = usage["E5"].value + usage["I5"].value
    peak = usage["F5"].value + usage["J5"].value
    assert named_users == 73 and peak == 40 + usage["J5"].value
    assert figures["Named PureCloud users, period 0"][0] == named_users
    assert figures["Concurrent peak, period 0"][0] == peak
    assert figures["Concurrent / named"][0] == pytest.approx(peak / named_users)
    # the compare command's rule: the period's named line (rounded) / the peak, to the cent
    expected = break_even_rate(line_amount(named_users, 115, "USD"), peak, "USD")
    assert Decimal(repr(figures["Break-even concurrent rate"][0])) == expected


def test_the_summary_states_the_scenarios_peak_threshold():
    data = _toml("sales_quote")
    data["usage"]["min_minutes"] = 45
    data["usage"]["peak_rule"] = "contiguous"
    book = build_layout(scenario_from_mapping(data, base_dir=SCENARIOS_DIR, name="q"))
    texts = [c.value for c in book.sheet("Summary").cells.values() if isinstance(c.value, str)]
    assert any("45 minutes in a row" in t for t in texts)
    assert not any("30 minutes" in t for t in texts)


# --- item 7: the sheets a user prints fit the page width at a readable size -----------------------
#: characters of column width a printed page holds at a readable size (fit to width: about 80 %
#: of normal on A4 portrait, 60 % landscape)
PAGE_CHARS = {False: 130, True: 200}


@pytest.mark.parametrize("stem", sorted(LAID_OUT))
def test_printed_sheets_fit_the_page_width(workbook_store, stem):
    book = workbook_store.layout(LAID_OUT[stem])
    checked = 0
    for sheet in book.sheets:
        if sheet.name not in ("Summary", "Inputs", "Variants"):
            continue
        assert sheet.print_area and sheet.fit_width, sheet.name
        first, last = (
            openpyxl.utils.cell.coordinate_from_string(x) for x in sheet.print_area.split(":")
        )
        cols = range(
            openpyxl.utils.column_index_from_string(first[0]),
            openpyxl.utils.column_index_from_string(last[0]) + 1,
        )
        width = sum(sheet.widths.get(c, 8.43) for c in cols)
        assert width <= PAGE_CHARS[sheet.landscape], (sheet.name, width)
        wrapped = {"note", "paragraph", "bad", "header"}
        for (row, col), cell in sheet.cells.items():
            if col not in cols or row > last[1] or not isinstance(cell.value, str):
                continue
            if cell.style in wrapped:
                continue
            room = sum(sheet.widths.get(c, 8.43) for c in range(col, cols[-1] + 1))
            assert len(cell.value) <= room * 1.1, (sheet.name, row, col, cell.value)
            checked += 1
    assert checked > 20


@pytest.mark.libreoffice
def test_a_variant_input_not_accepted_makes_that_variants_figures_errors(books):
    _none, wb = books["variant-negative"]
    assert named(wb, "InputsOK") is True and named(wb, "V1_InputsOK") is False
    assert _is_error(named(wb, "V1_InvoiceTotal")) and _is_error(named(wb, "V1_Periods"))
    assert named(wb, "V2_InputsOK") is True
    base = scenario_from_mapping(_toml("finance_ramp_study"), base_dir=SCENARIOS_DIR, name="f")
    assert money(named(wb, "InvoiceTotal")) == scenario_figures(base)["total"]
    assert money(named(wb, "V2_InvoiceTotal")) == scenario_figures(base.variants()[2][1])["total"]
    data = _toml("finance_ramp_study")
    data["variant"][0]["committed_users"] = -1
    with pytest.raises(BillingInputError):  # the CLI refuses the same change
        scenario_from_mapping(data, base_dir=SCENARIOS_DIR, name="f")
