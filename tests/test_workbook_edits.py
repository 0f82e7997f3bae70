"""Workbooks that stay true under every edit (issue #18): each edit a user makes in a built
workbook, recalculated in LibreOffice, gives the figure ``billing-model invoices`` gives on the
same change; an invalid edit leaves no figure standing and says which input is wrong.

Every workbook of this module is built once and all are recalculated in ONE LibreOffice run
(the ``books`` fixture); the structural tests read the layout without LibreOffice.
"""

from __future__ import annotations

import copy
import tomllib
from decimal import Decimal

import openpyxl
import pytest

from billing_model.io.libreoffice import recalculate_many
from billing_model.io.scenario import load_scenario, scenario_from_mapping
from billing_model.workbook import SCENARIOS_DIR, build_layout, build_workbook, scenario_figures
from tests.workbook_cells import engine_lines, error_cells, money, named, set_named
from tests.workbook_cells import workbook_lines

#: item 1: 40 users values, ramp 1 + term 12, a variant with ramp 5 (the issue's scenario)
USERS_40 = {"contract": {"order_date": "2026-01-15", "license": "pc2", "committed_users": 10,
                         "prepay_rate": 100, "overage_rate": 125, "term_months": 12,
                         "ramp_months": 1},
            "usage": {"users": list(range(1, 41))},
            "variant": [{"name": "5-month ramp", "ramp_months": 5}]}


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
        "users40": (USERS_40, {"RampMonths": 4, "TermMonths": 30},
                    _with(USERS_40, ramp_months=4, term_months=30)),
        "finance36": ("finance_ramp_study", {"TermMonths": 36},
                      _with(_repeat_last(finance, 42), term_months=36)),
    }


def _scenario(data, name: str):
    if isinstance(data, str):
        return load_scenario(SCENARIOS_DIR / f"{data}.toml")
    return scenario_from_mapping(data, base_dir=SCENARIOS_DIR, name=name)


@pytest.fixture(scope="module")
def books(tmp_path_factory, soffice):
    """case -> (the engine's scenario on the same change or None, recalculated workbook)."""
    folder = tmp_path_factory.mktemp("edits")
    cases, paths = _cases(), []
    for case, (data, edits, _engine) in cases.items():
        path = build_workbook(_scenario(data, case), folder / f"{case}.xlsx")
        set_named(path, edits)
        paths.append(path)
    outs = [folder / "out" / p.name for p in paths]
    recalculate_many(paths, outs)
    return {case: (None if engine is None else scenario_from_mapping(
                       engine, base_dir=SCENARIOS_DIR, name=case),
                   openpyxl.load_workbook(out, data_only=True))
            for (case, (_d, _e, engine)), out in zip(cases.items(), outs, strict=True)}


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
def test_variant_usage_links_to_the_base_where_the_variant_does_not_override_it():
    book = build_layout(load_scenario(SCENARIOS_DIR / "finance_ramp_study.toml"))
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
        assert workbook_lines(wb, f"V{j} invoices", f"V{j}_InvoiceLines") == \
            engine_lines(variant), name

