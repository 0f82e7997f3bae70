"""The contract's schema (core/schema.py, issue #22): one declaration per field, read by the
loader, the Contract, the workbook's inputs and the docs' key table."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from billing_model.core.contract import Contract
from billing_model.core.errors import BillingInputError
from billing_model.core.schema import (
    CONTRACT_DEFAULTS,
    CONTRACT_FIELDS,
    CONTRACT_KEYS,
    FIELDS,
    KINDS,
    PRODUCT_KEYS,
    REQUIRED,
    THE_CONTRACTS,
    docs_table,
    product_docs_table,
)
from billing_model.service import scenario_from_mapping
from billing_model.workbook import build_layout
from billing_model.workbook.variant_inputs import CONTRACT_INPUTS

ROOT = Path(__file__).resolve().parents[1]

#: per kind: a value the field accepts (as a TOML file gives it), what it becomes, and a value
#: it refuses
SAMPLES = {
    "date": ("2026-01-31", dt.date(2026, 1, 31), "31/01/2026"),
    "whole": (12, 12, 1.5),
    "number": (Decimal("171.115"), Decimal("171.115"), -1),
    "zone": (" Europe/Berlin ", "Europe/Berlin", "Mars/Olympus"),
    "license": ("CX 3", "pc3", "pc9"),
}

BASE = {
    "contract": {
        "order_date": "2026-01-15",
        "license": "pc2",
        "committed_users": 100,
        "prepay_rate": 110,
        "ramp_months": 1,
        "term_months": 2,
    },
    "usage": {"users": [40, 100, 112]},
}


def test_the_contract_has_exactly_the_schemas_fields():
    assert {f.name for f in dataclasses.fields(Contract)} == set(CONTRACT_KEYS)
    assert set(PRODUCT_KEYS) == {
        "license",
        "license_model",
        "committed_users",
        "prepay_rate",
        "overage_rate",
        "month_to_month_rate",
        "hourly_rate",
    }


def test_every_default_is_the_schemas_and_is_accepted_by_its_own_field():
    contract = {
        f.name: f.default
        for f in dataclasses.fields(Contract)
        if f.default is not dataclasses.MISSING
    }
    assert contract == CONTRACT_DEFAULTS
    for f in CONTRACT_FIELDS:
        assert f.kind in KINDS, f.key
        if f.is_required or f.default is None:
            continue
        assert f.parse(f.default, f"contract.{f.key}") == f.default, f.key


@pytest.mark.parametrize("field", CONTRACT_FIELDS, ids=lambda f: f.key)
def test_every_field_parses_and_refuses_in_one_line(field):
    if field.kind == "choice":
        good, parsed, bad = f"  {field.choices[-1].swapcase()} ", field.choices[-1], "nonsense"
    else:
        good, parsed, bad = SAMPLES[field.kind]
    assert field.parse(good, "x.toml: contract." + field.key) == parsed
    with pytest.raises(BillingInputError) as err:
        field.parse(bad, "x.toml: contract." + field.key)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"x.toml: contract.{field.key}: ")
    assert message.split("accepted: ", 1)[1].startswith(field.accepted()), message


@pytest.mark.parametrize(
    "field", [f for f in CONTRACT_FIELDS if f.is_required], ids=lambda f: f.key
)
def test_a_required_field_left_out_names_what_is_accepted(field):
    data = {"contract": dict(BASE["contract"]), "usage": BASE["usage"]}
    del data["contract"][field.key]
    with pytest.raises(BillingInputError) as err:
        scenario_from_mapping(data, name="basic")
    assert str(err.value) == (
        f"basic: contract.{field.key}: missing; accepted: {field.missing_text()}"
    )


def test_the_loader_applies_every_optional_default():
    given = {
        k: BASE["contract"][k]
        for k in ("order_date", "license", "committed_users", "term_months", "prepay_rate")
    }
    c = scenario_from_mapping({"contract": given, "usage": {"users": [1, 2]}}).contract
    for key, default in CONTRACT_DEFAULTS.items():
        if key not in given and key != "overage_rate":  # which defaults to the prepay rate
            assert getattr(c, key) == default, key
    assert c.overage_rate == c.prepay_rate


def test_a_product_takes_the_defaults_the_schema_declares_for_it():
    """[[product]] keys: license required (the declared message), license_model the
    contract's, committed_users 0, the others none unless given (docs/invoices.md's table)."""
    text = (ROOT / "docs" / "invoices.md").read_text(encoding="utf-8")
    assert product_docs_table() in text
    declared = {k: FIELDS[k].product_default for k in PRODUCT_KEYS}
    assert declared["license"] is REQUIRED and declared["license_model"] is THE_CONTRACTS
    assert declared["committed_users"] == 0
    contract = dict(BASE["contract"], license_model="concurrent", months_after_term=0)
    data = {"contract": contract, "usage": {"users": {"pc2": [1, 2, 3], "pc3": [0, 0, 0]}}}
    one = scenario_from_mapping({**data, "product": [{"license": "pc3", "prepay_rate": 9}]})
    line = one.products[1]
    assert (line.license_model, line.committed_users) == ("concurrent", 0)
    assert (line.overage_rate, line.month_to_month_rate, line.hourly_rate) == (9, None, None)
    with pytest.raises(BillingInputError) as caught:
        scenario_from_mapping({**data, "product": [{"prepay_rate": 9}]}, name="s")
    assert str(caught.value) == (
        f"s: product[1].license: missing; accepted: {FIELDS['license'].product_missing}"
    )


def test_the_docs_key_table_is_the_schemas():
    """docs/invoices.md lists the [contract] keys as docs_table() writes them (regenerate:
    python -c "from billing_model.core.schema import docs_table; print(docs_table())")."""
    text = (ROOT / "docs" / "invoices.md").read_text(encoding="utf-8")
    assert docs_table() in text
    listed = re.findall(
        r"^\| `(\w+)` \|", text.split("### `[contract]`")[1].split("###")[0], flags=re.M
    )
    assert listed == list(CONTRACT_KEYS)


def test_the_workbook_has_one_checked_input_per_field():
    """Each contract field is a named input on the Inputs sheet with its label, unit and a
    data validation (a list of its choices, or its range); each field the formulas read has a
    row per variant on the Variant inputs sheet."""
    data = {
        **BASE,
        "variant": [{"name": "long", "term_months": 3}],
        "usage": {"users": [40, 100, 112, 112]},
    }
    book = build_layout(scenario_from_mapping(data, name="schema"))
    sheet = book.sheet("Inputs")
    for f in CONTRACT_FIELDS:
        row = int(book.names[f.name].rsplit("$", 1)[1])
        assert (sheet.value(row, 1), sheet.value(row, 3)) == (f.label, f.unit), f.key
        checks = [v for v in sheet.validations if v.cells == f"B{row}"]
        if f.kind == "zone":  # any IANA name: no list or range to validate against
            assert checks == []
            continue
        assert len(checks) == 1, f.key
        if f.key == "license_model":  # a named line switches to concurrent, not to hourly
            assert tuple(checks[0].options) == ("named", "concurrent")
        elif f.choices:
            assert tuple(checks[0].options) == f.choices, f.key
        else:
            assert checks[0].error == f"Accepted: {f.range.accepted()}." or f.key in (
                "ramp_months",
                "term_months",
            ), f.key  # the grid narrows those two
    assert [key for _name, _label, key, _check, _fmt in CONTRACT_INPUTS] == [
        f.key for f in CONTRACT_FIELDS if f.in_formulas
    ]
    assert all(f"V1_{f.name}" in book.names for f in CONTRACT_FIELDS if f.in_formulas)
