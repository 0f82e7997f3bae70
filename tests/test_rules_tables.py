"""The rules-as-data tables: licenses, currencies and money rounding, fair-use allowances.

Expected values are the figures of docs/rules.md, typed in from its tables.
"""

from decimal import Decimal

import pytest

from billing_model.core.allowances import fair_use_allowance, per_user_allowance
from billing_model.core.errors import BillingInputError
from billing_model.core.licenses import BY_KEY, normalize_license
from billing_model.core.money import check_currency, line_amount, minor_units, round_money


@pytest.mark.parametrize(
    "text, key",
    [
        ("PureCloud 2", "pc2"),
        ("purecloud2", "pc2"),
        ("CX 2", "pc2"),
        ("cx-3", "pc3"),
        ("Genesys Cloud CX 1", "pc1"),
        (" PC1 ", "pc1"),
        ("Communicate", "communicate"),
        ("COLLABORATE", "collaborate"),
    ],
)
def test_license_aliases(text, key):
    assert normalize_license(text) == key


def test_license_order_and_concurrent_eligibility():
    ranks = sorted(BY_KEY.values(), key=lambda lic: lic.rank)
    assert [lic.key for lic in ranks] == ["collaborate", "communicate", "pc1", "pc2", "pc3"]
    assert [lic.concurrent for lic in ranks] == [False, False, True, True, True]


def test_unknown_license_lists_what_is_accepted():
    with pytest.raises(BillingInputError, match="unknown license 'CX 4'; accepted: collaborate"):
        normalize_license("CX 4")


def test_money_is_exact_and_half_up_per_currency():
    # issue 3: 171.115 x 55 EUR is 9411.33 (9411.325 exactly), not 9411.32 (binary floats)
    assert line_amount(55, 171.115, "EUR") == Decimal("9411.33")
    assert round_money("0.125", "USD") == Decimal("0.13")
    assert round_money("-0.125", "USD") == Decimal("-0.13")
    assert round_money(1234.5, "JPY") == Decimal("1235")
    assert line_amount(3, "333.335", "JPY") == Decimal("1000")
    assert [minor_units(c) for c in ("AUD", "BRL", "CAD", "EUR", "GBP", "JPY", "NZD", "USD")] == [
        2,
        2,
        2,
        2,
        2,
        0,
        2,
        2,
    ]


def test_an_amount_too_large_for_exact_rounding_is_one_line():
    # 1e300 x 10 used to raise decimal.InvalidOperation, a traceback in the CLI
    with pytest.raises(
        BillingInputError,
        match=r"amount: 1\.000E\+301 USD is too large to bill "
        "exactly",
    ):
        line_amount(10, "1e300", "USD")


def test_unknown_currency():
    assert check_currency(" eur ") == "EUR"
    with pytest.raises(BillingInputError, match="accepted: AUD, BRL, CAD, EUR, GBP, JPY, NZD, USD"):
        check_currency("CHF")


@pytest.mark.parametrize(
    "license, model, storage, ivr, api",
    [
        ("communicate", "named", 5, 500, 10_000),
        ("pc1", "named", 17.5, 1_750, 75_000),
        ("pc1", "concurrent", 22.75, 2_275, 97_500),
        ("pc2", "named", 25, 2_500, 110_000),
        ("pc2", "concurrent", 32.5, 3_250, 143_000),
        ("pc3", "named", 32.5, 3_250, 140_000),
        ("pc3", "concurrent", 42.25, 4_225, 182_000),
    ],
)
def test_fair_use_table(license, model, storage, ivr, api):
    got = [
        per_user_allowance(license, model, f) for f in ("storage_gb", "ivr_minutes", "api_requests")
    ]
    assert got == [storage, ivr, api]


def test_fair_use_published_example_and_commitment():
    # docs/rules.md#storage-overage: 20 PureCloud 2 named agents -> 500 GB
    assert fair_use_allowance("pc2", "named", "storage_gb", 20) == 500
    # the greater of the commitment and the actual usage
    assert fair_use_allowance("pc2", "named", "storage_gb", [10, 30], committed=20).tolist() == [
        500,
        750,
    ]
    # Communicate is always named; Collaborate brings no allowance
    assert per_user_allowance("communicate", "concurrent", "storage_gb") == 5
    assert per_user_allowance("collaborate", "named", "storage_gb") == 0


def test_fair_use_bad_input():
    with pytest.raises(BillingInputError, match="accepted: storage_gb, ivr_minutes, api_requests"):
        per_user_allowance("pc2", "named", "disk")
    with pytest.raises(BillingInputError, match="accepted: named, concurrent, hourly"):
        per_user_allowance("pc2", "floating", "storage_gb")
    with pytest.raises(BillingInputError, match="negative"):
        fair_use_allowance("pc2", "named", "storage_gb", -1)
