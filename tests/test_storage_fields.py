"""The storage settings, declared once (core/storage_settings.py, ``STORAGE_FIELDS``): the
``[storage]`` loader and the Inputs sheet's Storage forecast section read the same rows."""

from __future__ import annotations

import dataclasses

import pytest

from billing_model.core.errors import BillingInputError
from billing_model.core.storage_settings import (
    REQUIRED_STORAGE_KEYS,
    STORAGE_FIELDS,
    StorageSettings,
)
from billing_model.service import scenario_from_mapping
from billing_model.workbook import build_layout

BASE = {
    "contract": {
        "order_date": "2026-01-15",
        "license": "pc2",
        "committed_users": 100,
        "prepay_rate": 110,
        "term_months": 3,
    },
    "usage": {"users": [40, 100, 112]},
}
GIVEN = {"calls_per_month": 1000, "avg_minutes": 4, "retention_days": 30}

#: per kind: a value the setting refuses, and what the refusal says
REFUSED = {
    "calls": (-1, "is negative; accepted: a number >= 0"),
    "number": (-1, "is negative; accepted: a number >= 0"),
    "share": (1.5, "is outside 0..1; accepted: a share from 0 to 1"),
    "days": (2.5, "is not accepted; accepted: a whole number of days from 0 to 36500"),
    "price": (-1, "is not accepted; accepted: a price per GB >= 0"),
}


def test_the_settings_are_the_declared_ones_with_their_defaults():
    fields = dataclasses.fields(StorageSettings)
    assert [f.name for f in fields] == [f.key for f in STORAGE_FIELDS]
    for declared, field in zip(STORAGE_FIELDS, fields, strict=True):
        if declared.required:
            assert field.default is dataclasses.MISSING, declared.key
            assert declared.default is None, declared.key
        else:
            assert field.default == declared.default, declared.key
    assert REQUIRED_STORAGE_KEYS == ("calls_per_month", "avg_minutes", "retention_days")


@pytest.mark.parametrize("field", STORAGE_FIELDS, ids=lambda f: f.key)
def test_the_loader_checks_each_setting_by_its_kind(field):
    bad, says = REFUSED[field.kind]
    with pytest.raises(BillingInputError) as err:
        StorageSettings.from_mapping({**GIVEN, field.key: bad})
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"storage.{field.key}: "), message
    assert says in message, message


@pytest.mark.parametrize(
    "field", [f for f in STORAGE_FIELDS if f.kind == "number"], ids=lambda f: f.key
)
def test_a_number_setting_stops_at_its_limits_maximum(field):
    top = field.range.real("maximum")
    assert getattr(StorageSettings.from_mapping({**GIVEN, field.key: top}), field.key) == top
    with pytest.raises(BillingInputError, match=f"storage.{field.key}: .* is too large"):
        StorageSettings.from_mapping({**GIVEN, field.key: top * 1.5})


@pytest.mark.parametrize("key", REQUIRED_STORAGE_KEYS)
def test_a_required_setting_left_out_names_every_required_key(key):
    table = {k: v for k, v in GIVEN.items() if k != key}
    with pytest.raises(BillingInputError) as err:
        StorageSettings.from_mapping(table)
    assert str(err.value) == (
        f"storage.{key}: missing; required: calls_per_month, avg_minutes, retention_days"
    )


@pytest.mark.parametrize("storage", [None, {**GIVEN, "screen_retention_days": 20}])
def test_the_inputs_sheet_has_one_checked_input_per_declared_setting(storage):
    """With or without a ``[storage]`` table (then a what-if: zeros for the required settings,
    the declared defaults for the others, blank for the optional days)."""
    data = dict(BASE, **({"storage": storage} if storage else {}))
    book = build_layout(scenario_from_mapping(data, name="storage-fields"))
    sheet = book.sheet("Inputs")
    inputs = [f for f in STORAGE_FIELDS if f.name]
    assert [f.key for f in STORAGE_FIELDS if not f.name] == ["overage_rate"]  # a contract input
    rows = [int(book.names[f.name].rsplit("$", 1)[1]) for f in inputs]
    assert rows == list(range(rows[0], rows[0] + len(inputs)))  # in the declared order
    for f, row in zip(inputs, rows, strict=True):
        assert (sheet.value(row, 1), sheet.value(row, 3), sheet.value(row, 4)) == (
            f.label,
            f.unit,
            f.help,
        ), f.key
        (check,) = [v for v in sheet.validations if v.cells == f"B{row}"]
        assert check.error == f"Accepted: {f.range.accepted()}.", f.key
        expected = (storage or {}).get(f.key, 0 if f.required else f.default)
        assert sheet.value(row, 2) == ("" if expected is None else expected), f.key
