"""Scenario files: the data model, and validation errors that name the file, the key, the value and
what is accepted (one line each)."""

from __future__ import annotations

import copy
import datetime as dt
import warnings
from decimal import Decimal
from pathlib import Path

import pytest

from billing_model.core.contract import Contract, Scenario
from billing_model.core.errors import BillingInputError
from billing_model.io.scenario_values import contract_from_values
from billing_model.service import load_scenario, scenario_from_mapping

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


def build(**changes):
    """BASE with ``table__key=value`` changes (``None`` removes the key)."""
    data = copy.deepcopy(BASE)
    for path, value in changes.items():
        table, key = path.split("__")
        if value is None:
            data.setdefault(table, {}).pop(key, None)
        else:
            data.setdefault(table, {})[key] = value
    return data


def error_of(data, **kwargs) -> str:
    with pytest.raises(BillingInputError) as err:
        scenario_from_mapping(data, name="basic", **kwargs)
    message = str(err.value)
    assert "\n" not in message
    return message


def test_basic_contract_file_loads_into_the_data_model():
    s = load_scenario("scenarios/basic_contract.toml")
    assert isinstance(s, Scenario) and isinstance(s.contract, Contract)
    c = s.contract
    assert (c.order_date, c.currency, c.billing_timezone, c.license_model, c.license) == (
        dt.date(2026, 1, 15),
        "USD",
        "America/New_York",
        "named",
        "pc2",
    )
    assert (c.committed_users, c.ramp_months, c.term_months, c.payment_terms_days) == (
        100,
        3,
        12,
        30,
    )
    # floats keep the digits written in the file
    assert (c.prepay_rate, c.overage_rate, c.ivr_overage_rate) == (
        Decimal("110.00"),
        Decimal("130.00"),
        Decimal("0.012"),
    )
    assert [o.name for o in s.orgs] == ["production", "dev"]
    assert s.users("pc2")[:3].tolist() == [45, 90, 105]  # production + dev
    assert s.usage("telephony")[0] == Decimal("310.20")
    assert [(ch.description, ch.quantity, ch.rate, ch.ship_date) for ch in s.hardware] == [
        ("Desk phones", Decimal(40), Decimal("105.00"), dt.date(2026, 2, 3))
    ]
    assert s.one_time[0].rate == Decimal(15000) and s.one_time[0].ship_date is None


def test_overage_rate_defaults_to_prepay_rate():
    s = scenario_from_mapping(BASE)
    assert s.contract.overage_rate == s.contract.prepay_rate == Decimal(110)
    assert s.periods == 3


def test_variants_override_contract_and_usage_keys():
    data = build()
    data["variant"] = [
        {
            "name": "long ramp",
            "ramp_months": 2,
            "term_months": 1,
            "ramp_policy": "no-software-charges",
        },
        {"name": "more users", "users": [50, 120, 130]},
    ]
    s = scenario_from_mapping(data)
    (b, base), (n1, v1), (n2, v2) = s.variants()
    assert (b, n1, n2) == ("base", "long ramp", "more users")
    assert base is s
    assert (v1.contract.ramp_months, v1.contract.ramp_policy, v1.periods) == (
        2,
        "no-software-charges",
        3,
    )
    assert v1.variant_of == "scenario" and base.contract.ramp_months == 1
    assert v2.users("pc2").tolist() == [50, 120, 130]
    assert s.variant("more users") is v2


def test_variant_with_a_longer_ramp_needs_enough_usage():
    data = build()
    data["variant"] = [{"name": "long", "ramp_months": 2}]
    msg = error_of(data)
    assert msg == (
        "basic (variant 'long'): usage.users: 3 values, but the contract bills 4 "
        "periods (ramp_months + term_months + months_after_term); accepted: one value "
        "per period"
    )


def test_longer_series_keep_the_billed_periods():
    s = scenario_from_mapping(build(usage__users=[1, 2, 3, 4, 5]))
    assert s.users("pc2").tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    "changes, expected",
    [
        (
            dict(contract__currency="XYZ"),
            "basic: contract.currency: 'XYZ' is not accepted; accepted: AUD, BRL, CAD, EUR, GBP, "
            "JPY, "
            "NZD, USD",
        ),
        (
            dict(contract__ramp_policy="free"),
            "basic: contract.ramp_policy: 'free' is not accepted; accepted: actual-usage, "
            "no-software-charges",
        ),
        (
            dict(contract__license_model="weekly"),
            "basic: contract.license_model: 'weekly' is not accepted; accepted: named, concurrent, "
            "hourly",
        ),
        (
            dict(contract__channel="reseller"),
            "basic: contract.channel: 'reseller' is not accepted; accepted: direct, partner",
        ),
        (
            dict(contract__license="pc9"),
            "basic: contract.license: 'pc9' is not accepted; accepted: collaborate, communicate, "
            "pc1, "
            "pc2, pc3 (or 'PureCloud 2', 'CX 2', ...)",
        ),
        (
            dict(usage__users=[40, 100]),
            "basic: usage.users: 2 values, but the contract bills 3 periods (ramp_months + "
            "term_months + months_after_term); accepted: one value per period",
        ),
        (
            dict(usage__users=[40, -1, 100]),
            "basic: usage.users[1]: -1 is not accepted; accepted: a whole number from 0 to "
            "1,000,000,000",
        ),
        (
            dict(usage__users=[40, 1.5, 100]),
            "basic: usage.users[1]: 1.5 is not accepted; accepted: a whole number from 0 to "
            "1,000,000,000",
        ),
        (
            dict(usage__users=[40, float("nan"), 100]),
            "basic: usage.users[1]: nan is not accepted; accepted: a whole number from 0 to "
            "1,000,000,000",
        ),
        (
            dict(usage__telephony=[1, float("inf"), 3]),
            "basic: usage.telephony[1]: inf is not accepted; accepted: a number from 0 to "
            "1,000,000,000,000",
        ),
        (
            dict(usage__telephony=[1, -2, 3]),
            "basic: usage.telephony[1]: -2 is not accepted; accepted: a number from 0 to "
            "1,000,000,000,000",
        ),
        (
            dict(contract__committed_users=-5),
            "basic: contract.committed_users: -5 is not accepted; accepted: a whole number from "
            "0 to "
            "1,000,000,000",
        ),
        (
            dict(contract__prepay_rate=-1),
            "basic: contract.prepay_rate: -1 is not accepted; accepted: a number from 0 to "
            "1,000,000,000,000",
        ),
        (
            dict(contract__prepay_rate=None),
            "basic: contract.prepay_rate: missing; accepted: a number >= 0 (price per user per "
            "month)",
        ),
        (
            dict(contract__term_months=0),
            "basic: contract.term_months: 0 is not accepted; accepted: a whole number "
            "from 1 to 240",
        ),
        (
            dict(contract__order_date="15/01/2026"),
            "basic: contract.order_date: '15/01/2026' is not accepted; accepted: a date YYYY-MM-DD",
        ),
        (
            dict(contract__billing_timezone="Mars/Olympus"),
            "basic: contract.billing_timezone: 'Mars/Olympus' is not accepted; accepted: an IANA "
            "zone "
            "such as 'America/New_York', 'Europe/Berlin' or 'UTC'",
        ),
        (
            dict(contract__comitted_users=100),
            "basic: contract.comitted_users: unknown key; accepted: order_date, currency, ",
        ),
        (
            dict(usage__user=[1, 2, 3]),
            "basic: usage.user: unknown key; accepted: name, users, hours, sessions",
        ),
        (
            dict(usage__ivr_minutes=[1, 2, 3]),
            "basic: contract.ivr_overage_rate: missing while usage gives ivr_minutes; accepted: "
            "the "
            "contract's rate",
        ),
        (
            dict(contract__currency="EUR", usage__storage_gb=[1, 2, 3]),
            "basic: contract.storage_overage_rate: missing while storage is billed in EUR",
        ),
        (
            dict(usage__users=None),
            "basic: usage.users: missing; accepted: a list with one user count per period",
        ),
        (
            dict(usage__users={"pc3": [1, 2, 3]}),
            "basic: usage.users.pc3: no license line for pc3 in the contract; accepted: pc2 (add a "
            "[[product]] table for pc3)",
        ),
        (dict(usage__peak_rule="contiguous"), "basic: usage.peak_rule: only applies with sessions"),
        # two names of one license: the second list silently replaced the first
        (
            dict(usage__users={"pc2": [1, 2, 3], "CX 2": [50, 50, 50]}),
            "basic: usage.users.CX 2: 'CX 2' is pc2, given already as 'pc2'; accepted: one list "
            "per "
            "license",
        ),
        # typos of extra digits: they hung the loader for minutes and gigabytes, or overflowed
        (
            dict(contract__term_months=99999999999999999999),
            "basic: contract.term_months: 99999999999999999999 is not accepted; accepted: a "
            "whole number "
            "from 1 to 240",
        ),
        (
            dict(contract__ramp_months=200, contract__term_months=100),
            "basic: contract.term_months: ramp_months + term_months + months_after_term = 300 "
            "periods; accepted: at most "
            "240",
        ),
        (
            dict(usage__users=[40, 10**20, 100]),
            "basic: usage.users[1]: 100000000000000000000 is not accepted; accepted: a whole "
            "number from "
            "0 to 1,000,000,000",
        ),
        (
            dict(usage__telephony=[10.5, 6e25, 1]),
            "basic: usage.telephony[1]: 6e+25 is not accepted; accepted: a number from 0 to "
            "1,000,000,000,000",
        ),
        (
            dict(contract__payment_terms_days=999999999),
            "basic: contract.payment_terms_days: 999999999 is not accepted; accepted: a whole "
            "number from "
            "0 to 365",
        ),
        (
            dict(contract__prepay_rate=Decimal("1e300")),
            "basic: contract.prepay_rate: 1E+300 is not accepted; accepted: a number from 0 to "
            "1,000,000,000,000",
        ),
        (
            dict(contract__order_date="9999-12-15"),
            "basic: contract.order_date: '9999-12-15' is not accepted; accepted: a date "
            "YYYY-MM-DD from "
            "1900-01-01 "
            "to 2199-12-31",
        ),
    ],
)
def test_validation_errors_name_the_key_and_what_is_accepted(changes, expected):
    assert error_of(build(**changes)).startswith(expected)


def test_unknown_top_level_table_is_an_error():
    data = build()
    data["contracts"] = {}
    assert error_of(data).startswith(
        "basic: contracts: unknown key; accepted: contract, product, usage, org"
    )


def test_mixing_named_and_concurrent_pc_users_in_one_org_is_an_error():
    data = build(
        contract__license_model="concurrent", usage__users={"pc2": [1, 2, 3], "pc1": [1, 1, 1]}
    )
    data["product"] = [{"license": "pc1", "license_model": "named", "prepay_rate": 50}]
    assert error_of(data) == (
        "basic: usage.users.pc1: org 'production' mixes named and concurrent PureCloud 1-3 users "
        "(pc2 concurrent, pc1 named); accepted: one model per org"
    )


def test_mixing_pc_tiers_in_one_org_is_an_error_but_not_across_orgs():
    data = build(usage__users={"pc2": [1, 2, 3], "pc1": [1, 1, 1]})
    data["product"] = [{"license": "pc1", "prepay_rate": 50}]
    assert error_of(data) == (
        "basic: usage.users.pc1: org 'production' mixes PureCloud tiers "
        "(pc2 and pc1); accepted: one of pc1, pc2, pc3 per org "
        "(docs/rules.md#license-models)"
    )
    # the same two tiers in two orgs are fine
    data = build()
    data["product"] = [{"license": "pc1", "prepay_rate": 50}]
    data["org"] = [{"name": "training", "users": {"pc1": [1, 1, 1]}}]
    s = scenario_from_mapping(data)
    assert s.users("pc1").tolist() == [1, 1, 1]


def test_communicate_beside_concurrent_pc2_is_not_a_mix():
    data = build(
        contract__license_model="concurrent",
        usage__users={"pc2": [1, 2, 3], "communicate": [5, 5, 5]},
    )
    data["product"] = [{"license": "Communicate", "prepay_rate": 25}]
    s = scenario_from_mapping(data)
    assert [(p.license, p.license_model) for p in s.products] == [
        ("pc2", "concurrent"),
        ("communicate", "named"),
    ]


def test_communicate_cannot_be_concurrent():
    data = build()
    data["product"] = [{"license": "communicate", "license_model": "concurrent", "prepay_rate": 25}]
    assert "Communicate and Collaborate users are always named" in error_of(data)


@pytest.mark.parametrize(
    "extra, expected",
    [
        ({"org": [{"users": [1, 2, 3]}]}, "basic: org[1].name: missing"),
        (
            {"org": [{"name": "production", "users": [1, 2, 3]}]},
            "basic: org[1].name: org 'production' appears twice",
        ),
        (
            {"hardware": [{"description": "Phones", "amount": 10, "ship_date": "2025-12-01"}]},
            "basic: hardware[1].ship_date: 2025-12-01 is before the order date 2026-01-15",
        ),
        (
            {"hardware": [{"description": "Phones", "amount": 10}]},
            "basic: hardware[1].ship_date: missing; accepted: a date YYYY-MM-DD",
        ),
        (
            {"one_time": [{"description": "Enablement", "amount": 10, "rate": 5}]},
            "basic: one_time[1].amount: given with quantity/rate",
        ),
        (
            {"one_time": [{"description": "Enablement", "ship_date": "2026-02-01", "amount": 1}]},
            "basic: one_time[1].ship_date: unknown key",
        ),
        (
            {"variant": [{"name": "x", "ramp_month": 2}]},
            "basic: variant[1].ramp_month: unknown key; accepted: name, order_date",
        ),
        ({"variant": [{"name": "base"}]}, "basic: variant[1].name: 'base' is empty or used twice"),
        (
            {"storage": {"calls_per_month": 10, "avg_minutes": 3}},
            "basic: storage.retention_days: missing",
        ),
        # a typo of a year put an invoice decades after the contract, silently
        (
            {"hardware": [{"description": "Phones", "amount": 10, "ship_date": "2099-02-01"}]},
            "basic: hardware[1].ship_date: 2099-02-01 is after the contract's last billed day "
            "2026-04-14; accepted: a date from 2026-01-15 to 2026-04-14",
        ),
        # found only when invoicing before, without the file's name
        (
            {"storage": {"calls_per_month": [10, 20], "avg_minutes": 3, "retention_days": 30}},
            "basic: storage.calls_per_month: 2 values for 3 periods",
        ),
    ],
)
def test_table_errors(extra, expected):
    data = build()
    data.update(extra)
    assert error_of(data).startswith(expected)


def test_partner_contract_needs_no_rates():
    s = scenario_from_mapping(build(contract__prepay_rate=None, contract__channel="partner"))
    assert s.contract.partner and s.contract.prepay_rate is None


def test_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("[contract\n")
    with pytest.raises(BillingInputError, match=r"^broken\.toml: not valid TOML"):
        load_scenario(bad)
    with pytest.raises(BillingInputError, match=r"nope\.toml: no such scenario file"):
        load_scenario(tmp_path / "nope.toml")


def test_scenario_saved_with_a_bom_or_not_in_utf8(tmp_path):
    # Notepad's UTF-8 starts with a byte-order mark: it was "Invalid statement (line 1)"
    text = Path("scenarios/basic_contract.toml").read_text()
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert load_scenario(tmp_path / "bom.toml").contract.committed_users == 100
    # latin-1 was a UnicodeDecodeError traceback
    (tmp_path / "latin.toml").write_bytes(text.encode() + "\n# Fran\xe7ois\n".encode("latin-1"))
    line = text.count("\n") + 2
    with pytest.raises(BillingInputError) as info:
        load_scenario(tmp_path / "latin.toml")
    assert str(info.value) == (
        f"latin.toml: line {line}, column 7: byte 0xe7 is not UTF-8 text; "
        "accepted: a TOML file saved as UTF-8"
    )


def test_sessions_path_is_relative_to_the_scenario_file(tmp_path):
    # two orgs in the data, each its own Org; named counts vs concurrent peaks by the model
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "s.csv").write_text(
        "user_id,org,license,client,start,end\n"
        "a,prod,pc2,desktop,2026-01-16T14:00:00Z,2026-01-16T16:00:00Z\n"
        "b,prod,pc2,desktop,2026-01-16T18:00:00Z,2026-01-16T20:00:00Z\n"
        "c,dev,pc2,web,2026-02-16T14:00:00Z,2026-02-16T16:00:00Z\n"
    )
    text = (
        '[contract]\norder_date = 2026-01-15\nlicense = "pc2"\ncommitted_users = 0\n'
        'prepay_rate = 1\nterm_months = 2\nlicense_model = "{model}"\n'
        '[usage]\nsessions = "data/s.csv"\n'
    )
    (tmp_path / "named.toml").write_text(text.format(model="named"))
    (tmp_path / "conc.toml").write_text(text.format(model="concurrent"))
    named = load_scenario(tmp_path / "named.toml")
    conc = load_scenario(tmp_path / "conc.toml")
    assert sorted(o.name for o in named.orgs) == ["dev", "prod"]
    assert named.users("pc2").tolist() == [2, 1]  # a and b logged in; c in period 1
    assert conc.users("pc2").tolist() == [1, 1]  # a and b never overlap: peak 1


def test_sessions_short_of_the_term_warn(tmp_path):
    from billing_model.core.errors import BillingWarning

    (tmp_path / "s.csv").write_text(  # Jan 16 to Feb 5: 20 days of period 0, measured
        "user_id,org,license,client,start,end\n"
        "a,prod,pc2,desktop,2026-01-16T14:00:00Z,2026-01-16T16:00:00Z\n"
        "a,prod,pc2,desktop,2026-02-05T14:00:00Z,2026-02-05T16:00:00Z\n"
    )
    data = build(usage__users=None, usage__sessions="s.csv")
    with pytest.warns(
        BillingWarning,
        match=r"usage\.sessions: s\.csv holds no data for 2 of "
        r"the 3 billed periods: periods 1-2 \(2026-02-15 to 2026-04-14\); they "
        r"count 0 users",
    ):
        s = scenario_from_mapping(data, base_dir=tmp_path)
    assert s.users("pc2").tolist() == [1, 0, 0]
    # said explicitly: no warning; repeat-last carries the last measured period forward
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zero = scenario_from_mapping(
            build(usage__users=None, usage__sessions="s.csv", usage__after_data="zero"),
            base_dir=tmp_path,
        )
        last = scenario_from_mapping(
            build(usage__users=None, usage__sessions="s.csv", usage__after_data="repeat-last"),
            base_dir=tmp_path,
        )
    assert zero.users("pc2").tolist() == [1, 0, 0]
    assert last.users("pc2").tolist() == [1, 1, 1]
    assert error_of(
        build(usage__users=None, usage__sessions="s.csv", usage__after_data="x"), base_dir=tmp_path
    ) == ("basic: usage.after_data: 'x' is not accepted; accepted: zero, repeat-last")


@pytest.mark.parametrize(
    "key, value, expected",
    [
        # the engine's own messages ('timezone:', 'min minutes:') named neither file nor key
        (
            "input_timezone",
            "Mars/Olympus",
            "basic: usage.input_timezone: 'Mars/Olympus' is not accepted; accepted: an IANA zone",
        ),
        (
            "min_minutes",
            0,
            "basic: usage.min_minutes: 0 is not accepted; accepted: a whole number "
            "from 1 to 44,640",
        ),
        (
            "min_minutes",
            10**6,
            "basic: usage.min_minutes: 1000000 is not accepted; accepted: a whole "
            "number from 1 to 44,640",
        ),
    ],
)
def test_session_options_are_checked_with_the_key(tmp_path, key, value, expected):
    (tmp_path / "s.csv").write_text(
        "user_id,org,license,client,start,end\n"
        "a,prod,pc2,desktop,2026-01-16T14:00:00Z,2026-01-16T16:00:00Z\n"
    )
    data = build(
        usage__users=None,
        usage__sessions="s.csv",
        usage__after_data="zero",
        **{f"usage__{key}": value},
    )
    assert error_of(data, base_dir=tmp_path).startswith(expected)


def test_errors_in_the_session_file_name_the_scenario_key(tmp_path):
    # they named only the session file: which scenario and which org table was not said
    (tmp_path / "s.csv").write_text(
        "user_id,org,license,client,start,end\n"
        "a,prod,pc9,desktop,2026-01-16T14:00:00Z,"
        "2026-01-16T16:00:00Z\n"
    )
    data = build(usage__users=None, usage__sessions="s.csv")
    assert error_of(data, base_dir=tmp_path).startswith(
        f"basic: usage.sessions: {tmp_path / 's.csv'}: line 2, column 'license': unknown "
        "license 'pc9'"
    )
    assert error_of(build(usage__users=None, usage__sessions=5), base_dir=tmp_path) == (
        "basic: usage.sessions: 5 is not accepted; accepted: the path of a session file or "
        "folder as text, e.g. 'sessions.csv'"
    )


def test_missing_sessions_file_names_the_key(tmp_path):
    data = build(usage__users=None, usage__sessions="none.csv")
    assert error_of(data, base_dir=tmp_path).startswith("basic: usage.sessions: ")


def test_contract_from_values_validates():
    c = contract_from_values("2026-01-15", "CX 3", 10, 99.5, 12, currency="gbp")
    assert (c.license, c.currency, c.prepay_rate) == ("pc3", "GBP", Decimal("99.5"))
    with pytest.raises(BillingInputError, match="contract.ramp_policy"):
        contract_from_values("2026-01-15", "pc3", 10, 99.5, 12, ramp_policy="x")


def test_users_per_license_keep_every_value_the_file_gives():
    # a table of lists per license bound a second dict to the name of the org's given series
    # (found by mypy): the "users:<license>" series went into it, and the workbook's grid lost
    # the values past ramp + term that a list of users keeps
    listed = scenario_from_mapping(build(usage__users=[40, 100, 112, 130]), name="basic")
    table = scenario_from_mapping(build(usage__users={"pc2": [40, 100, 112, 130]}), name="basic")
    assert listed.orgs[0].given["users:pc2"] == (40, 100, 112, 130)
    assert table.orgs[0].given == listed.orgs[0].given
    assert table.orgs[0].users == listed.orgs[0].users == {"pc2": (40, 100, 112)}
