"""The session options of [usage] and [[org]] are declared once (core/usage_schema.py): the
loader accepts, parses, defaults and refuses them by the declaration, the docs' table is its
output, and the reader's messages offer a scenario user only these keys (issue #22)."""

from __future__ import annotations

from pathlib import Path

import pytest

from billing_model.core.concurrency import DEFAULT_MIN_MINUTES, DEFAULT_PEAK_RULE
from billing_model.core.errors import BillingInputError
from billing_model.core.usage_schema import FIELDS, SESSION_FIELDS, SESSION_KEYS, docs_table
from billing_model.io.scenario import USAGE_KEYS
from billing_model.service import scenario_from_mapping

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
CONTRACT = {
    "order_date": "2026-03-01",
    "license": "pc2",
    "committed_users": 0,
    "prepay_rate": 115,
    "billing_timezone": "UTC",
    "term_months": 1,
}
#: a value of each option's own kind that it does not accept, and one it does
VALUES = {
    "input_timezone": ("Mars/Olympus", "Europe/Berlin"),
    "peak_rule": ("longest", " Contiguous"),
    "min_minutes": (0, 45),
    "after_data": ("again", "zero"),
    "other_clients": ("maybe", "not-billable"),
    "other_presence": ("asleep", "offline"),
    "region": (3, "us-east-1"),
}


def _load(**usage):
    data = {"contract": CONTRACT, "usage": {"sessions": "one_month_night_shift.csv", **usage}}
    return scenario_from_mapping(data, name="s", base_dir=DATA)


def test_the_docs_table_is_the_declarations():
    """docs/invoices.md lists the session options as docs_table() writes them (regenerate:
    python -c "from billing_model.core.usage_schema import docs_table; print(docs_table())")."""
    text = (ROOT / "docs" / "invoices.md").read_text(encoding="utf-8")
    assert docs_table() in text
    assert [line.split("`")[1] for line in docs_table().splitlines()[2:]] == list(SESSION_KEYS)


def test_every_option_is_a_usage_key_and_every_case_is_covered():
    assert set(SESSION_KEYS) <= set(USAGE_KEYS)
    assert set(VALUES) == set(SESSION_KEYS)


def test_the_loader_applies_the_declared_defaults():
    source = _load().orgs[0].sessions
    assert (source.peak_rule, source.min_minutes) == (DEFAULT_PEAK_RULE, DEFAULT_MIN_MINUTES)
    assert {f.key: f.default for f in SESSION_FIELDS} == {
        "input_timezone": None,
        "peak_rule": DEFAULT_PEAK_RULE,
        "min_minutes": DEFAULT_MIN_MINUTES,
        "after_data": None,
        "other_clients": None,
        "other_presence": None,
        "region": None,
    }
    assert all(getattr(source, key) == FIELDS[key].default for key in SESSION_KEYS)


@pytest.mark.parametrize("field", SESSION_FIELDS, ids=lambda f: f.key)
def test_each_option_is_parsed_and_refused_by_its_declaration(field):
    bad, good = VALUES[field.key]
    with pytest.raises(BillingInputError) as caught:
        _load(**{field.key: bad})
    assert str(caught.value) == f"s: usage.{field.key}: {bad!r} is not accepted; accepted: " + (
        field.accepted()
    )
    source = _load(**{field.key: good}).orgs[0].sessions
    assert getattr(source, field.key) == field.parse(good, "x")


@pytest.mark.parametrize("key", SESSION_KEYS)
def test_an_option_without_sessions_is_refused(key):
    data = {"contract": CONTRACT, "usage": {"users": [1], key: VALUES[key][1]}}
    with pytest.raises(BillingInputError, match=rf"^s: usage\.{key}: only applies with sessions"):
        scenario_from_mapping(data, name="s")
