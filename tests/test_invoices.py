"""Invoice schedules: literal schedules for the FAQ's statements, exact money, both ramp policies,
partner channel, fair use, the CLI. Hypothesis against a plain reference:
tests/test_invoices_reference.py.

Expected values are worked out by hand from docs/rules.md#invoices and the billing FAQ; the dates
follow the FAQ's example (an order on January 15 bills January 15 through February 14).
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest

from billing_model.cli import main
from billing_model.core.errors import BillingInputError, BillingWarning
from billing_model.core.invoices import (
    COLUMNS,
    fair_use_allowances,
    grand_total,
    invoice_schedule,
    invoice_totals,
)
from billing_model.core.money import TAX_NOTE
from billing_model.service import load_scenario, scenario_from_mapping, schedule_from_values

D = dt.date


def scenario(users, *, ramp=0, term=None, committed=100, prepay=110, usage=None, **contract):
    term = term if term is not None else len(users) - ramp
    c = {
        "order_date": "2026-01-15",
        "license": "pc2",
        "committed_users": committed,
        "prepay_rate": prepay,
        "ramp_months": ramp,
        "term_months": term,
    }
    c.update(contract)
    c = {k: v for k, v in c.items() if v is not None}
    u = {"users": users}
    u.update(usage or {})
    return scenario_from_mapping({"contract": c, "usage": u}, name="t")


def rows(schedule, *cols):
    cols = cols or ("invoice_date", "timing", "service_start", "service_end", "quantity", "amount")
    return [tuple(r) for r in schedule[list(cols)].itertuples(index=False)]


# ------------------------------------------------------------------------------------------
# literal schedules
# ------------------------------------------------------------------------------------------
def test_order_on_the_15th_one_month_ramp_literal_schedule():
    # FAQ: order on January 15 -> periods Jan 15 - Feb 14, Feb 15 - Mar 14, Mar 15 - Apr 14.
    # Ramp period 0: 40 actual users x 110 in arrears on Feb 15; term periods 1-2: 100 x 110 in
    # advance on Feb 15 and Mar 15; period 1 had 112 users -> 12 x 130 in arrears on Mar 15;
    # period 2 had 100 -> no overage line; the invoice on Apr 15 carries nothing else.
    s = invoice_schedule(scenario([40, 112, 100], ramp=1, overage_rate=130))
    assert list(s.columns) == list(COLUMNS)
    assert rows(s) == [
        (D(2026, 2, 15), "arrears", D(2026, 1, 15), D(2026, 2, 14), 40.0, Decimal("4400")),
        (D(2026, 2, 15), "advance", D(2026, 2, 15), D(2026, 3, 14), 100.0, Decimal("11000")),
        (D(2026, 3, 15), "arrears", D(2026, 2, 15), D(2026, 3, 14), 12.0, Decimal("1560")),
        (D(2026, 3, 15), "advance", D(2026, 3, 15), D(2026, 4, 14), 100.0, Decimal("11000")),
    ]
    assert list(s["due_date"]) == [D(2026, 3, 17), D(2026, 3, 17), D(2026, 4, 14), D(2026, 4, 14)]
    assert list(s["rate"]) == [Decimal(110), Decimal(110), Decimal(130), Decimal(110)]
    assert set(s["currency"]) == {"USD"}


def test_last_ramp_invoice_carries_ramp_actuals_and_first_prepay():
    # FAQ: "the last invoice of your ramp period, when both the actual users for the previous
    # billing cycle, and the prepay users for the first billing cycle of your contract term will
    # appear on the same invoice". Ramp of 3: the invoice on April 15 (start of period 3).
    s = invoice_schedule(scenario([40, 85, 95, 100, 100], ramp=3))
    last_ramp = s[s["invoice_date"] == D(2026, 4, 15)]
    assert rows(last_ramp, "timing", "service_start", "quantity", "amount") == [
        ("arrears", D(2026, 3, 15), 95.0, Decimal("10450")),
        ("advance", D(2026, 4, 15), 100.0, Decimal("11000")),
    ]
    # earlier ramp invoices hold only actuals, no prepay
    assert set(s[s["invoice_date"] < D(2026, 4, 15)]["timing"]) == {"arrears"}
    # the invoice after the term's last period carries its arrears (none here: 100 <= 100)
    assert s["invoice_date"].max() == D(2026, 5, 15)


def test_invoice_after_the_term_carries_the_last_periods_arrears():
    s = invoice_schedule(scenario([100, 107], usage={"telephony": [10, 20.5]}))
    after = s[s["invoice_date"] == D(2026, 3, 15)]
    assert rows(after, "description", "service_start", "quantity", "amount") == [
        (
            "PureCloud 2 / CX 2 named users above the commitment",
            D(2026, 2, 15),
            7.0,
            Decimal("770"),
        ),
        ("Telephony", D(2026, 2, 15), 1.0, Decimal("20.50")),
    ]


def _sessions_csv(path, rows_):
    lines = ["user_id,org,license,client,start,end"]
    lines += [",".join(r) for r in rows_]
    path.write_text("\n".join(lines) + "\n")


def test_deleted_added_and_upgraded_users_bill_the_full_period_no_proration(tmp_path):
    # Periods from 2026-01-15 (America/New_York): Jan 15 - Feb 14, Feb 15 - Mar 14.
    # period 0: ann works all along; bob is deleted after his first day (FAQ: "counts for the
    # current billing period"); cat is added two days before the end (FAQ: "Monthly user fees
    # are not prorated"); dan upgrades from Communicate to PureCloud 2 mid-period (FAQ: "billed
    # as a PureCloud contact center user for the full month").
    # period 1: ann only. Named pc2 users: 4, then 1 -> 4 x 110 and 1 x 110, full rate each.
    _sessions_csv(
        tmp_path / "s.csv",
        [
            ("ann", "prod", "pc2", "desktop", "2026-01-16T14:00:00Z", "2026-01-16T22:00:00Z"),
            ("ann", "prod", "pc2", "desktop", "2026-02-20T14:00:00Z", "2026-02-20T22:00:00Z"),
            ("bob", "prod", "pc2", "web", "2026-01-16T14:00:00Z", "2026-01-16T15:00:00Z"),
            ("cat", "prod", "pc2", "desktop", "2026-02-13T14:00:00Z", "2026-02-13T15:00:00Z"),
            (
                "dan",
                "prod",
                "communicate",
                "desktop",
                "2026-01-20T14:00:00Z",
                "2026-01-20T15:00:00Z",
            ),
            ("dan", "prod", "pc2", "desktop", "2026-02-10T14:00:00Z", "2026-02-10T15:00:00Z"),
            ("api", "prod", "pc2", "api", "2026-02-10T14:00:00Z", "2026-02-10T15:00:00Z"),
        ],
    )
    (tmp_path / "c.toml").write_text(
        '[contract]\norder_date = 2026-01-15\nlicense = "pc2"\ncommitted_users = 0\n'
        "prepay_rate = 110\nramp_months = 2\nterm_months = 1\n"
        '[usage]\nsessions = "s.csv"\n'
    )
    with pytest.warns(
        BillingWarning,
        match=r"holds no data for 1 of the 3 billed periods: "
        r"period 2 \(2026-03-15 to 2026-04-14\)",
    ):
        s = invoice_schedule(load_scenario(tmp_path / "c.toml"))
    assert rows(s, "invoice_date", "service_start", "service_end", "quantity", "amount") == [
        (D(2026, 2, 15), D(2026, 1, 15), D(2026, 2, 14), 4.0, Decimal("440")),
        (D(2026, 3, 15), D(2026, 2, 15), D(2026, 3, 14), 1.0, Decimal("110")),
    ]


def test_jpy_contract_rounds_half_up_to_whole_yen():
    # 3 users x 12,345.5 JPY = 37,036.5 -> 37,037 (half up, no minor unit);
    # telephony 1,234.5 -> 1,235.
    s = invoice_schedule(
        scenario([3], committed=0, prepay=12345.5, currency="JPY", usage={"telephony": [1234.5]})
    )
    assert list(s["amount"]) == [Decimal("37037"), Decimal("1235")]
    assert all(a.as_tuple().exponent == 0 for a in s["amount"])
    assert set(s["currency"]) == {"JPY"}


def test_eur_line_is_computed_exactly():
    # 171.115 x 55 = 9411.325 -> 9411.33 (binary floats would give 9411.32)
    s = schedule_from_values("2026-01-15", 0, 171.115, 0, 1, [55], currency="EUR")
    assert list(s["amount"]) == [Decimal("9411.33")]


def test_anchor_day_31_clamps_and_returns():
    # docs/rules.md#anchor-days: Jan 31 -> Feb 28 -> Mar 31 -> Apr 30, each from the original
    # anchor.
    s = schedule_from_values("2026-01-31", 10, 100, 0, 4, [10, 10, 10, 10])
    assert rows(s, "invoice_date", "service_start", "service_end") == [
        (D(2026, 1, 31), D(2026, 1, 31), D(2026, 2, 27)),
        (D(2026, 2, 28), D(2026, 2, 28), D(2026, 3, 30)),
        (D(2026, 3, 31), D(2026, 3, 31), D(2026, 4, 29)),
        (D(2026, 4, 30), D(2026, 4, 30), D(2026, 5, 30)),
    ]


def test_no_software_charges_during_the_ramp_but_telephony_still_bills():
    kwargs = dict(ramp=2, usage={"telephony": [50, 60, 70]})
    actual = invoice_schedule(scenario([30, 60, 100], **kwargs))
    none = invoice_schedule(scenario([30, 60, 100], ramp_policy="no-software-charges", **kwargs))
    ramp_lines = actual[actual["description"].str.contains("ramp")]
    assert list(ramp_lines["amount"]) == [Decimal("3300"), Decimal("6600")]
    assert not none["description"].str.contains("ramp").any()
    assert list(none[none["description"] == "Telephony"]["amount"]) == [
        Decimal("50"),
        Decimal("60"),
        Decimal("70"),
    ]
    # the difference between the policies is exactly the ramp lines
    assert grand_total(actual) - grand_total(none) == Decimal("9900")


def test_partner_channel_shows_quantities_only():
    s = invoice_schedule(
        scenario([100, 120], channel="partner", prepay=None, usage={"telephony": [5, 5]})
    )
    assert s["rate"].isna().all() and s["amount"].isna().all()
    assert list(s["quantity"]) == [100.0, 1.0, 100.0, 20.0, 1.0]
    totals = invoice_totals(s)
    assert totals["amount"].isna().all()
    assert grand_total(s) is None


def test_one_time_on_order_date_and_hardware_on_ship_date():
    data = {
        "contract": {
            "order_date": "2026-01-15",
            "license": "pc2",
            "committed_users": 10,
            "prepay_rate": 10,
            "term_months": 1,
        },
        "usage": {"users": [10]},
        "one_time": [{"description": "Enablement package", "amount": 15000}],
        "hardware": [
            {"description": "Desk phones", "quantity": 40, "rate": 105, "ship_date": "2026-02-03"}
        ],
    }
    s = invoice_schedule(scenario_from_mapping(data))
    assert rows(
        s, "invoice_date", "description", "timing", "service_start", "service_end", "amount"
    )[:1] == [
        (
            D(2026, 1, 15),
            "Enablement package",
            "one-time",
            D(2026, 1, 15),
            D(2026, 1, 15),
            Decimal("15000"),
        )
    ]
    hw = s[s["description"] == "Desk phones"]
    assert rows(hw, "invoice_date", "due_date", "service_start", "quantity", "amount") == [
        (D(2026, 2, 3), D(2026, 3, 5), D(2026, 2, 3), 40.0, Decimal("4200"))
    ]
    # one-time comes before the prepay of the same day
    assert list(s["description"])[:2] == [
        "Enablement package",
        "PureCloud 2 / CX 2 named users, prepay (committed)",
    ]


def test_zero_lines_are_left_out():
    s = invoice_schedule(scenario([0, 100, 100], ramp=1, usage={"telephony": [0, 0, 0.001]}))
    assert (s["quantity"] > 0).all()
    assert (s["amount"] != 0).all()
    assert "Telephony" not in set(s["description"])  # 0.001 rounds to 0.00
    assert not s["description"].str.contains("ramp").any()  # 0 ramp users


def test_payment_terms_set_the_due_date():
    s = invoice_schedule(scenario([100], payment_terms_days=45))
    assert list(s["due_date"] - s["invoice_date"]) == [dt.timedelta(days=45)]


# ------------------------------------------------------------------------------------------
# fair use, orgs, license lines, storage
# ------------------------------------------------------------------------------------------
def test_ivr_overage_above_the_allowance():
    # pc2 named: 2,500 IVR minutes per user. Term period 0: 104 users > 100 committed ->
    # 260,000 included; 270,000 used -> 10,000 x 0.012 = 120.00. Period 1: 90 users, commitment
    # 100 -> 250,000 included; 240,000 used -> no line.
    s = invoice_schedule(
        scenario([104, 90], ivr_overage_rate=0.012, usage={"ivr_minutes": [270000, 240000]})
    )
    ivr = s[s["description"].str.startswith("Basic routing/IVR")]
    assert rows(ivr, "invoice_date", "service_start", "quantity", "rate", "amount") == [
        (D(2026, 2, 15), D(2026, 1, 15), 10000.0, Decimal("0.012"), Decimal("120.00"))
    ]


def test_ramp_allowance_counts_actual_users_and_concurrent_allowance_is_larger():
    # during the ramp no commitment applies: 40 users x 3,250 (pc2 concurrent) = 130,000
    s = scenario([40, 100], ramp=1, license_model="concurrent")
    assert fair_use_allowances(s, "ivr_minutes").tolist() == [130000.0, 325000.0]


def test_api_requests_without_a_contract_rate_is_an_error():
    with pytest.raises(BillingInputError, match=r"contract\.api_overage_rate: missing"):
        scenario([100], usage={"api_requests": [1]})


def test_dev_org_is_billed_exactly_like_production():
    data = {
        "contract": {
            "order_date": "2026-01-15",
            "license": "pc2",
            "committed_users": 100,
            "prepay_rate": 110,
            "overage_rate": 130,
            "term_months": 1,
        },
        "usage": {"users": [98]},
        "org": [{"name": "dev", "users": [5]}, {"name": "qa", "users": [2]}],
    }
    s = invoice_schedule(scenario_from_mapping(data))
    over = s[s["timing"] == "arrears"]
    assert rows(over, "quantity", "amount") == [(5.0, Decimal("650"))]  # 98 + 5 + 2 - 100


def test_a_communicate_license_line_bills_beside_pc2():
    data = {
        "contract": {
            "order_date": "2026-01-15",
            "license": "pc2",
            "committed_users": 10,
            "prepay_rate": 110,
            "license_model": "concurrent",
            "term_months": 1,
        },
        "product": [
            {"license": "communicate", "committed_users": 20, "prepay_rate": 25, "overage_rate": 30}
        ],
        "usage": {"users": {"pc2": [10], "communicate": [23]}},
    }
    s = invoice_schedule(scenario_from_mapping(data))
    assert rows(s, "description", "quantity", "amount") == [
        ("PureCloud 2 / CX 2 concurrent users, prepay (committed)", 10.0, Decimal("1100")),
        ("Communicate named users, prepay (committed)", 20.0, Decimal("500")),
        ("Communicate named users above the commitment", 3.0, Decimal("90")),
    ]


def test_storage_forecast_becomes_an_arrears_line():
    from billing_model.core.storage import StorageSettings, storage_forecast

    table = {"calls_per_month": 300000, "avg_minutes": 5, "retention_days": 90}
    data = {
        "contract": {
            "order_date": "2026-01-15",
            "license": "pc2",
            "committed_users": 20,
            "prepay_rate": 110,
            "term_months": 4,
        },
        "usage": {"users": [20, 20, 20, 20]},
        "storage": table,
    }
    s = invoice_schedule(scenario_from_mapping(data))
    stored = storage_forecast(StorageSettings.from_mapping(table), "2026-01-15", 4)["stored_gb"]
    expected = [max(Decimal(repr(float(g))) - 500, Decimal(0)) for g in stored]  # 20 x 25 GB
    lines = s[s["description"].str.startswith("Data storage")]
    got = dict(zip(lines["service_start"], lines["quantity"], strict=True))
    starts = [D(2026, 1, 15), D(2026, 2, 15), D(2026, 3, 15), D(2026, 4, 15)]
    assert [Decimal(repr(got.get(d, 0.0))) for d in starts] == expected
    assert any(e > 0 for e in expected)
    for q, a in zip(lines["quantity"], lines["amount"], strict=True):
        assert a == (Decimal(repr(q)) * Decimal("0.25")).quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_basic_contract_variants_compare_ramp_lengths():
    s = load_scenario("scenarios/basic_contract.toml")
    names = [n for n, _ in s.variants()]
    assert names == ["base", "no ramp charges", "1-month ramp"]
    base, none, short = (invoice_schedule(v) for _, v in s.variants())
    ramp_total = sum(
        (a for d, a in zip(base["description"], base["amount"], strict=True) if "ramp" in d),
        Decimal(0),
    )
    assert grand_total(base) - grand_total(none) == ramp_total
    assert short["invoice_date"].max() == D(2027, 2, 15)  # 1 + 12 periods


# ------------------------------------------------------------------------------------------
# schedule_from_values
# ------------------------------------------------------------------------------------------
def test_schedule_from_values_matches_the_scenario_engine():
    a = schedule_from_values(
        "2026-01-15", 100, 110, 1, 2, [40, 112, 100], overage_rate=130, telephony=[1, 2, 3]
    )
    b = invoice_schedule(
        scenario([40, 112, 100], ramp=1, overage_rate=130, usage={"telephony": [1, 2, 3]})
    )
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(users=[1, 2]), r"usage\.users: 2 values, but the contract bills 3 periods"),
        (dict(users=[1, -2, 3]), r"usage\.users\[1\]: -2 is not accepted; accepted: a whole"),
        (
            dict(users=[1, 2, 3], currency="XYZ"),
            r"contract\.currency: 'XYZ' is not accepted; "
            r"accepted: AUD, BRL",
        ),
        (
            dict(users=[1, 2, 3], ramp_policy="free"),
            r"contract\.ramp_policy: 'free' is not "
            r"accepted; accepted: actual-usage, ",
        ),
        (dict(users=[1, 2, 3], telephony=[1, None, 2]), r"usage\.telephony: an empty value"),
    ],
)
def test_schedule_from_values_errors_name_the_key(kwargs, match):
    users = kwargs.pop("users")
    with pytest.raises(BillingInputError, match=match) as err:
        schedule_from_values("2026-01-15", 10, 100, 1, 2, users, **kwargs)
    assert "\n" not in str(err.value)


# ------------------------------------------------------------------------------------------
# CLI
# ------------------------------------------------------------------------------------------
def test_cli_csv_has_the_exact_columns_and_exact_decimals(capsys):
    assert main(["invoices", "scenarios/basic_contract.toml", "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ",".join(COLUMNS)
    assert out[1] == (
        "2026-01-15,2026-02-14,Enablement package,one-time,2026-01-15,2026-01-15,"
        "1,15000,15000.00,USD"
    )
    # the ramp line of period 0: (40 + 5 dev) x 110
    assert (
        '2026-02-15,2026-03-17,"PureCloud 2 / CX 2 named users, ramp (actual usage)",'
        "arrears,2026-01-15,2026-02-14,45,110.00,4950.00,USD"
    ) in out


def test_cli_table_shows_invoice_totals_grand_total_and_tax_note(capsys):
    assert main(["invoices", "scenarios/basic_contract.toml", "--variant", "no ramp charges"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Invoice 2026-02-15 total (due 2026-03-17)" in out
    assert "Grand total: 177877.15 USD" in out
    assert " ".join(TAX_NOTE.split()) in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["invoices", "missing.toml"], "missing.toml: no such scenario file"),
        (
            ["invoices", "scenarios/basic_contract.toml", "--variant", "x"],
            "variant 'x' is not defined; accepted: base, no ramp charges, 1-month ramp",
        ),
    ],
)
def test_cli_errors_are_one_line_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_cli_bad_scenario_is_one_line_exit_2(tmp_path, capsys):
    (tmp_path / "bad.toml").write_text(
        '[contract]\norder_date = 2026-01-15\nlicense = "pc2"\ncommitted_users = 1\n'
        'prepay_rate = 1\nterm_months = 1\ncurrency = "XYZ"\n[usage]\nusers = [1]\n'
    )
    assert main(["invoices", str(tmp_path / "bad.toml")]) == 2
    err = capsys.readouterr().err
    assert err == (
        "billing-model: error: bad.toml: contract.currency: 'XYZ' is not accepted; "
        "accepted: AUD, BRL, CAD, EUR, GBP, JPY, NZD, USD\n"
    )


def test_cli_totals_csv_adds_each_invoices_lines(capsys):
    assert main(["invoices", "scenarios/basic_contract.toml", "--format", "csv"]) == 0
    lines = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype=str)
    assert main(["invoices", "scenarios/basic_contract.toml", "--totals", "--format", "csv"]) == 0
    totals = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype=str)
    assert list(totals.columns) == ["invoice_date", "due_date", "lines", "amount", "currency"]
    for row in totals.itertuples(index=False):
        mine = lines[lines["invoice_date"] == row.invoice_date]
        assert int(row.lines) == len(mine)
        assert Decimal(row.amount) == sum(map(Decimal, mine["amount"]), Decimal(0))
