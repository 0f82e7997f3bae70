"""Hostile input to `billing-model build` / `demo`, the scenario loader and the UDFs.

Each test is a repro of a problem found by a hostile QA pass: it failed before its fix.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal

import pytest

from billing_model.io.scenario import scenario_from_mapping
from billing_model.workbook import SCENARIOS_DIR, build_layout


def _quote_mapping(**quote) -> dict:
    with open(SCENARIOS_DIR / "sales_quote.toml", "rb") as f:
        data = tomllib.load(f, parse_float=Decimal)
    data["usage"]["sessions"] = str(SCENARIOS_DIR / "sample_sessions.csv")
    data["quote"].update(quote)
    return data


def test_quote_customer_starting_with_equals_is_text_not_a_formula():
    # customer = '=HYPERLINK("http://x","y")' was written to Quote!C4 as a live formula
    customer = '=HYPERLINK("http://example.com","click")'
    book = build_layout(scenario_from_mapping(_quote_mapping(customer=customer)))
    quote = book.sheet("Quote")
    cell = quote.cells[(4, 3)]
    assert cell.formula is None
    assert cell.value == customer
    assert "C4" not in quote.formulas()
