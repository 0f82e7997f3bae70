"""Hourly lines in the workbook (issue #19, its last gap; docs/workbooks.md#hourly-lines).

An ``hourly`` license line bills each period's billable hours x ``hourly_rate`` in arrears
(docs/rules.md#hourly-licensing). The workbook holds the hours per period as input cells of
the Usage sheet, and its Invoices grid, recalculated in LibreOffice, must bill exactly the
engine's schedule: for the scenario as built and after a user types other hours over a cell.
Workbooks come from the session's shared store (``tests/workbooks.py``); the structural tests
read the layout only.
"""

from __future__ import annotations

import csv
import tomllib
from decimal import Decimal

import pytest

from billing_model.core.errors import BillingInputError
from billing_model.core.invoices import grand_total, invoice_schedule
from billing_model.service import load_scenario, scenario_from_mapping
from billing_model.workbook import SCENARIOS_DIR, build_layout
from tests import workbooks
from tests.workbook_cells import engine_lines, error_cells, money, named, workbook_lines

D = Decimal

#: one workbook for the line order, a further hourly line under variants, and item 4: a named
#: PureCloud 2 line first (its users and its logged-in hours both given), an hourly PureCloud 1
#: line second (a dev org's hours: one model per org), ramp periods not charged, two months to
#: month after the term; the variant bills the first line hourly too (its hours), so its grid
#: orders two hourly lines and reads the second line's fixed 0s
SECOND_LINE = {
    "contract": {
        "order_date": "2026-01-31",
        "license": "pc2",
        "committed_users": 20,
        "prepay_rate": 150,
        "overage_rate": 170,
        "ramp_months": 2,
        "ramp_policy": "no-software-charges",
        "term_months": 3,
        "months_after_term": 2,
        "month_to_month_rate": 180,
        "api_overage_rate": D("0.0001"),
    },
    "product": [
        {
            "license": "pc1",
            "license_model": "hourly",
            "hourly_rate": D("0.95"),
            "month_to_month_rate": D("1.05"),
        }
    ],
    "usage": {
        "users": [5, 12, 20, 24, 19, 22, 18],
        "hours": [400, 1900.5, 3100, 3500.25, 2800, 3000, 2900],
        "api_requests": [0, 0, 9_000_000, 0, 0, 0, 0],
    },
    "org": [{"name": "dev", "hours": {"pc1": [100.5, 220, 3100.25, 2999, 3333.01, 1500, 0]}}],
    "variant": [
        {
            "name": "hourly",
            "license_model": "hourly",
            "hourly_rate": D("0.9"),
            "committed_users": 0,
            "month_to_month_rate": D("1.2"),
            "ramp_policy": "actual-usage",
        }
    ],
}

#: a named base whose [[variant]] bills the same license hourly: the license's users and its
#: logged-in hours are both given, each line bills the list of its model (issue #19, item 4)
SWITCH = {
    "contract": {
        "order_date": "2026-01-15",
        "license": "pc2",
        "committed_users": 10,
        "prepay_rate": 110,
        "overage_rate": 125,
        "ramp_months": 1,
        "term_months": 3,
        "ivr_overage_rate": D("0.01"),
    },
    "usage": {
        "users": [8, 12, 10, 11],
        "hours": [900.5, 1500, 1200.25, 1300],
        "ivr_minutes": [20_000, 40_000, 30_000, 31_000],
    },
    "variant": [
        {"name": "hourly", "license_model": "hourly", "hourly_rate": 0.95, "committed_users": 0}
    ],
}

EXAMPLE = workbooks.example("hourly_contract")
SECOND = workbooks.scenario(
    "hourly-second-line", lambda: scenario_from_mapping(SECOND_LINE, name="hourly-second-line")
)
#: the user types other hours: period 0 (the ramp) 0 hours, period 2 5,000 hours (the Usage
#: sheet's first org column, D, holds the pc2 hours; row 5 is period 0)
EDITED = workbooks.edited("hourly-hours-typed", EXAMPLE, {"Usage!D5": 0, "Usage!D7": 5000})


def _example_data() -> dict:
    with open(SCENARIOS_DIR / "hourly_contract.toml", "rb") as f:
        return tomllib.load(f)


def _edited_scenario():
    """The engine's scenario for the edited workbook: the same hours typed into the file."""
    data = _example_data()
    hours = data["usage"]["hours"]["pc2"]
    hours[0], hours[2] = 0, 5000
    return scenario_from_mapping(data, base_dir=SCENARIOS_DIR, name="hourly_contract")


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    ("case", "make"),
    [
        (EXAMPLE, lambda: load_scenario(SCENARIOS_DIR / "hourly_contract.toml")),
        (SECOND, lambda: scenario_from_mapping(SECOND_LINE, name="hourly-second-line")),
        (EDITED, _edited_scenario),
    ],
    ids=["example", "second-line", "hours-typed"],
)
def test_the_recalculated_grid_bills_the_engines_schedule(workbook_store, soffice, case, make):
    scenario = make()
    wb = workbook_store.book(case)
    lines = workbook_lines(wb)
    assert lines == engine_lines(scenario)
    assert any("billable hours" in line[2] for line in lines)
    assert error_cells(wb) == []
    assert money(named(wb, "InvoiceTotal")) == grand_total(invoice_schedule(scenario))


@pytest.mark.libreoffice
def test_the_variant_switched_to_hourly_bills_the_engines_schedule(workbook_store, soffice):
    scenario = scenario_from_mapping(SECOND_LINE, name=SECOND.name)
    variant = scenario.variant("hourly")
    wb = workbook_store.book(SECOND)
    lines = workbook_lines(wb, "V1 invoices", "V1_InvoiceLines")
    assert lines == engine_lines(variant)
    hourly = {line[2] for line in lines if "billable hours" in line[2]}
    assert len(hourly) == 4  # both lines hourly, through the term and month to month
    assert not any("prepay" in line[2] for line in lines)


def test_a_variant_switching_to_hourly_reads_the_licenses_hours():
    base = scenario_from_mapping(SWITCH, name="switch")
    hourly = base.variant("hourly")
    assert base.users("pc2").tolist() == [8, 12, 10, 11]
    assert hourly.users("pc2").tolist() == [901, 1500, 1201, 1300]  # rounded up per period
    descriptions = set(invoice_schedule(hourly)["description"])
    assert "PureCloud 2 / CX 2 hourly: billable hours (logged in, rounded up)" in descriptions
    assert not any("prepay" in d for d in descriptions)


def test_the_cli_bills_the_hourly_variant(tmp_path, capsys):
    from billing_model.cli import main

    path = tmp_path / "switch.toml"
    path.write_text(_toml(SWITCH))
    assert main(["invoices", str(path), "--variant", "hourly", "--format", "csv"]) == 0
    rows = list(csv.reader(capsys.readouterr().out.splitlines()))
    assert [row[6:9] for row in rows if "billable hours" in row[2]] == [
        ["901", "0.95", "855.95"],
        ["1500", "0.95", "1425.00"],
        ["1201", "0.95", "1140.95"],
        ["1300", "0.95", "1235.00"],
    ]


def test_hours_alone_for_a_named_line_are_still_refused():
    data = {**SWITCH, "usage": {"hours": SWITCH["usage"]["hours"]}, "variant": []}
    with pytest.raises(BillingInputError, match=r"usage.hours: pc2 is billed named; accepted"):
        scenario_from_mapping(data, name="named-hours")


def _toml(data: dict) -> str:
    """The scenario tables as TOML text (plain values only)."""

    def value(v) -> str:
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, str):
            return f'"{v}"'
        return str(v)

    text = ["[contract]", *(f"{k} = {value(v)}" for k, v in data["contract"].items())]
    text += ["", "[usage]", *(f"{k} = {value(v)}" for k, v in data["usage"].items())]
    for variant in data["variant"]:
        text += ["", "[[variant]]", *(f"{k} = {value(v)}" for k, v in variant.items())]
    return "\n".join(text) + "\n"


def test_the_edit_changes_what_is_billed():
    """The edited case checks something: its engine schedule is not the example's."""
    example = load_scenario(SCENARIOS_DIR / "hourly_contract.toml")
    assert engine_lines(_edited_scenario()) != engine_lines(example)


@pytest.mark.libreoffice
def test_the_quote_lists_the_hourly_line_at_the_engines_average(workbook_store, soffice):
    scenario = load_scenario(SCENARIOS_DIR / "hourly_contract.toml")
    wb = workbook_store.book(EXAMPLE)
    rows = [
        [c.value for c in row[:8]]
        for row in wb["Quote"].iter_rows(min_row=14, max_row=40)
        if isinstance(row[0].value, str) and "billable hours (estimate)" in row[0].value
    ]
    hourly = [
        line for line in invoice_schedule(scenario).itertuples() if "logged in" in line.description
    ]
    average = sum(D(repr(h.quantity)) for h in hourly) / len(hourly)
    total = sum(h.amount for h in hourly)
    assert len(rows) == 1
    label, qty, price, unit, billing, _monthly, _year, contract_total = rows[0]
    assert label == "PureCloud 2 / CX 2 hourly billable hours (estimate)"
    assert (unit, billing) == ("per billable hour", "monthly in arrears")
    assert qty == pytest.approx(float(average.quantize(D("0.01"))))
    assert price == pytest.approx(1.10)
    assert money(contract_total) == total


@pytest.mark.libreoffice
def test_stored_values_equal_the_recalculation(workbook_store, soffice):
    """Every formula's stored value (the engine's) is what LibreOffice computes."""
    layout = workbook_store.layout(SECOND)
    stored = workbook_store.book(SECOND, recalculated=False)
    computed = workbook_store.book(SECOND)
    wrong = []
    for sheet in layout.sheets:
        for (r, c), cell in sheet.cells.items():
            if cell.formula is None:
                continue
            mine, theirs = (
                stored[sheet.name].cell(r, c).value,
                computed[sheet.name].cell(r, c).value,
            )
            if isinstance(theirs, int | float) and not isinstance(theirs, bool):
                same = isinstance(mine, int | float) and abs(mine - theirs) < 1e-6
            else:
                same = (mine or "") == (theirs or "")
            if not same:
                wrong.append((sheet.name, r, c, mine, theirs))
    assert wrong == []


def test_the_hours_are_input_cells_and_the_line_stays_hourly():
    book = build_layout(load_scenario(SCENARIOS_DIR / "hourly_contract.toml"))
    usage = book.sheet("Usage")
    assert usage.value(4, 4) == "production pc2 hours"
    assert usage.cells[(5, 4)].style == "input" and usage.value(5, 4) == 2211  # 2210.5 rounded up
    inputs = book.sheet("Inputs")
    row = int(book.names["LicenseModel"].rsplit("$", 1)[1])
    (check,) = [v for v in inputs.validations if v.cells == f"B{row}"]
    assert tuple(check.options) == ("hourly",)
    kinds = {cell.value for (r, c), cell in book.sheet("Invoices").cells.items() if c == 12}
    assert {"hourly", "month_to_month", "prepay"} <= kinds


def test_a_scenario_without_hourly_lines_builds_no_hourly_row():
    book = build_layout(load_scenario(SCENARIOS_DIR / "basic_contract.toml"))
    kinds = {cell.value for (r, c), cell in book.sheet("Invoices").cells.items() if c == 12}
    assert "hourly" not in kinds
    assert not any(name.startswith("HourlyRate_") for name in book.names)


def test_hours_from_sessions_are_the_usage_sheets_input_cells():
    """An hourly line counted from sessions: each org's column holds the usage engine's
    billable hours per period as input cells (no named/concurrent switch beside it)."""
    data = {
        "contract": {
            "order_date": "2026-03-01",
            "license": "pc2",
            "license_model": "hourly",
            "hourly_rate": D("0.9"),
            "term_months": 2,
        },
        "product": [{"license": "communicate", "committed_users": 2, "prepay_rate": 25}],
        "usage": {"sessions": "sample_sessions.csv", "after_data": "repeat-last"},
    }
    scenario = scenario_from_mapping(data, base_dir=SCENARIOS_DIR, name="sessions-hourly")
    usage = build_layout(scenario).sheet("Usage")
    heads = {cell.value: c for (r, c), cell in usage.cells.items() if r == 4}
    columns = [c for head, c in heads.items() if str(head).endswith(" pc2 hours")]
    assert len(columns) == len([o for o in scenario.orgs if "pc2" in o.users]) >= 1
    assert not any("(sessions)" in str(head) and "pc2" in str(head) for head in heads)
    per_period = [sum(usage.value(5 + k, c) for c in columns) for k in range(scenario.periods)]
    assert per_period == scenario.users("pc2").tolist()
    assert all(usage.cells[(5, c)].style == "input" for c in columns)
