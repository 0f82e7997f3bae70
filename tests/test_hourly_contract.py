"""Hourly contracts (issue #19, part 1; docs/rules.md#hourly-contracts): an ``hourly`` license
line bills each period's billable hours (the logged-in hours rounded up to a whole hour) x
``hourly_rate`` in arrears, with no commitment and no prepay, and brings its fair-use allowance
per billable hour.

The vendor's worked example ("Genesys Cloud hourly user licenses",
https://help.mypurecloud.com/?p=214024): 112.23 h + 110.11 h = 222.34 h, billed 223 h; the rate
(1.10 per hour) and everything else below are hand-computed cases.
"""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from billing_model.cli import main
from billing_model.core.allowances import per_user_allowance
from billing_model.core.errors import BillingInputError
from billing_model.core.invoices import fair_use_allowances, invoice_schedule
from billing_model.io.scenario import billable_hours
from billing_model.service import scenario_from_mapping
from tests import workbooks

D = Decimal
#: the article's 222.34 logged-in hours in January, 100 in February; IVR usage to bill above
#: the hourly allowance
HOURLY = {
    "contract": {
        "order_date": "2026-01-01",
        "license": "pc2",
        "license_model": "hourly",
        "hourly_rate": D("1.10"),
        "term_months": 2,
        "ivr_overage_rate": D("0.01"),
        "billing_timezone": "UTC",
    },
    "usage": {"hours": [D("222.34"), D(100)], "ivr_minutes": [6000, 100]},
}


def _with(data: dict, **contract) -> dict:
    """``data`` with these contract keys changed (``None``: the key left out)."""
    data = copy.deepcopy(data)
    data["contract"].update(contract)
    data["contract"] = {k: v for k, v in data["contract"].items() if v is not None}
    return data


def _hourly_lines(lines):
    return [
        (
            r.invoice_date.isoformat(),
            r.timing,
            r.service_start.isoformat(),
            r.quantity,
            str(r.rate),
            str(r.amount),
        )
        for r in lines.itertuples()
        if "hours" in r.description
    ]


def test_the_vendors_example_is_billed_223_hours_in_arrears():
    lines = invoice_schedule(scenario_from_mapping(HOURLY))
    assert _hourly_lines(lines) == [
        ("2026-02-01", "arrears", "2026-01-01", 223.0, "1.10", "245.30"),  # 223 x 1.10
        ("2026-03-01", "arrears", "2026-02-01", 100.0, "1.10", "110.00"),  # 100 x 1.10
    ]
    assert not lines.description.str.contains("prepay").any()
    assert lines.description.iloc[0] == (
        "PureCloud 2 / CX 2 hourly: billable hours (logged in, rounded up)"
    )


def test_each_period_rounds_its_own_hours_up():
    assert billable_hours((D("222.34"), D("0.01"), D(0), D(7))) == (223, 1, 0, 7)


@pytest.mark.parametrize(
    ("lic", "ivr", "gb", "api"),
    [("pc1", 16, 0.16, 675), ("pc2", 23, 0.23, 990), ("pc3", 29, 0.30, 1260)],
)
def test_the_allowance_per_billable_hour_is_the_articles_table(lic, ivr, gb, api):
    assert (
        per_user_allowance(lic, "hourly", "ivr_minutes"),
        per_user_allowance(lic, "hourly", "storage_gb"),
        per_user_allowance(lic, "hourly", "api_requests"),
    ) == (ivr, gb, api)


def test_the_excel_function_gives_the_allowance_of_billable_hours():
    from billing_model import udfs

    # 20 CX 2 hours x 0.23 GB (binary floats: 4.6000000000000005)
    assert udfs.BM_FAIR_USE("CX 2", "hourly", "storage_gb", 20.0) == pytest.approx(4.6, rel=1e-12)
    assert udfs.BM_FAIR_USE("pc3", "hourly", "api_requests", 223.0) == 223 * 1260


def test_fair_use_counts_the_billable_hours():
    s = scenario_from_mapping(HOURLY)
    assert fair_use_allowances(s, "ivr_minutes").tolist() == [223 * 23, 100 * 23]  # 5,129; 2,300
    lines = invoice_schedule(s)
    ivr = lines[lines.description.str.startswith("Basic routing")]
    # 6,000 - 5,129 = 871 minutes x 0.01; February's 100 stay within 2,300
    assert [(r.quantity, str(r.amount)) for r in ivr.itertuples()] == [(871.0, "8.71")]


def test_no_software_charges_bills_no_hours_during_the_ramp():
    data = _with(HOURLY, ramp_months=1, term_months=1, ramp_policy="no-software-charges")
    assert [x[2] for x in _hourly_lines(invoice_schedule(scenario_from_mapping(data)))] == [
        "2026-02-01"
    ]


def test_after_the_term_the_hours_are_billed_month_to_month():
    data = _with(HOURLY, term_months=1, months_after_term=1, month_to_month_rate=D("1.50"))
    assert _hourly_lines(invoice_schedule(scenario_from_mapping(data)))[1] == (
        "2026-03-01",
        "arrears",
        "2026-02-01",
        100.0,
        "1.50",
        "150.00",
    )


def test_an_hourly_line_beside_named_communicate_seats():
    data = copy.deepcopy(HOURLY)
    data["product"] = [
        {
            "license": "communicate",
            "license_model": "named",
            "committed_users": 2,
            "prepay_rate": 30,
        }
    ]
    data["usage"]["users"] = {"communicate": [3, 2]}
    lines = invoice_schedule(scenario_from_mapping(data))
    assert [r.amount for r in lines.itertuples() if "Communicate" in r.description] == [
        D("60.00"),
        D("30.00"),
        D("60.00"),
    ]  # prepay 2 x 30, 1 above at 30, prepay
    assert len(_hourly_lines(lines)) == 2


def test_hours_from_sessions_are_the_usage_engines_billable_hours(tmp_path):
    # ann 112 h 13 min 48 s (= 112.23 h; her second device overlaps and counts once), bob
    # 110 h 6 min 36 s (= 110.11 h): 222.34 h in January, billed 223
    (tmp_path / "s.csv").write_text(
        "user_id,org,license,client,start,end\n"
        "ann,prod,pc2,desktop,2026-01-05T00:00:00Z,2026-01-09T16:13:48Z\n"
        "ann,prod,pc2,web,2026-01-05T10:00:00Z,2026-01-05T12:00:00Z\n"
        "bob,prod,pc2,desktop,2026-01-10T00:00:00Z,2026-01-14T14:06:36Z\n"
        "bot,prod,pc2,api,2026-01-10T00:00:00Z,2026-01-20T00:00:00Z\n"
    )
    data = _with(HOURLY, term_months=1)
    data["usage"] = {"sessions": "s.csv"}
    s = scenario_from_mapping(data, base_dir=tmp_path)
    assert s.users("pc2").tolist() == [223]
    assert _hourly_lines(invoice_schedule(s)) == [
        ("2026-02-01", "arrears", "2026-01-01", 223.0, "1.10", "245.30")
    ]


@pytest.mark.parametrize(
    ("change", "usage", "message"),
    [
        (
            {"committed_users": 5},
            None,
            r"contract\.committed_users: 5 with license_model 'hourly'; "
            r"accepted: 0 or left out",
        ),
        (
            {"hourly_rate": None},
            None,
            r"contract\.hourly_rate: missing; accepted: a number >= 0 "
            r"\(price per billable hour\)",
        ),
        ({}, {"users": [1, 2]}, r"usage\.users: pc2 is billed hourly"),
        (
            {"license_model": "named", "committed_users": 1, "prepay_rate": 1},
            {"hours": [1, 2]},
            r"usage\.hours: pc2 is billed named; accepted: hours only for a license line with "
            r"license_model 'hourly'",
        ),
        (
            {"license_model": "weekly"},
            None,
            r"contract\.license_model: 'weekly' is not accepted; "
            r"accepted: named, concurrent, hourly",
        ),
    ],
)
def test_bad_hourly_inputs_are_one_line_refusals(change, usage, message):
    data = _with(HOURLY, **change)
    if usage is not None:
        data["usage"] = usage
    with pytest.raises(BillingInputError, match=message) as info:
        scenario_from_mapping(data)
    assert "\n" not in str(info.value)


def test_communicate_cannot_be_hourly():
    data = copy.deepcopy(HOURLY)
    data["product"] = [{"license": "communicate", "license_model": "hourly", "hourly_rate": 1}]
    with pytest.raises(
        BillingInputError,
        match=r"product\[1\]\.license_model: 'hourly' is not "
        r"accepted for communicate",
    ):
        scenario_from_mapping(data)


def test_the_cli_bills_an_hourly_contract(tmp_path, capsys):
    path = tmp_path / "hourly.toml"
    path.write_text(
        '[contract]\norder_date = 2026-01-01\nlicense = "CX 2"\n'
        'license_model = "hourly"\nhourly_rate = 1.10\nterm_months = 1\n'
        'billing_timezone = "UTC"\n[usage]\nhours = [222.34]\n'
    )
    # in this process, as tests/test_cli.py runs a command: a child's start was 0.7 s of CPU
    assert main(["invoices", str(path), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert (
        'hourly: billable hours (logged in, rounded up)",arrears,2026-01-01,2026-01-31,223,'
        "1.10,245.30,USD"
    ) in out


# --- the workbook's Summary: named, concurrent and hourly side by side -------------------------
QUOTE = workbooks.example("sales_quote")


@pytest.mark.libreoffice
def test_the_summary_gives_the_break_even_hourly_rate_of_the_compare_rule(workbook_store, soffice):
    from billing_model.core.compare import break_even_rate
    from billing_model.core.money import line_amount
    from billing_model.core.usage_figures import first_measured_period, pool_billable_hours
    from billing_model.service import load_scenario
    from billing_model.workbook import SCENARIOS_DIR

    scenario = load_scenario(SCENARIOS_DIR / "sales_quote.toml")
    usage = scenario.orgs[0].sessions.usage
    k, named, _peak = first_measured_period(usage)
    hours = pool_billable_hours(usage, k)
    assert hours > named  # hours of the month, not users
    summary = workbook_store.book(QUOTE)["Summary"]
    by_label = {row[0].value: row[1].value for row in summary.iter_rows(max_col=2) if row[0].value}
    assert by_label[f"Billable hours, period {k}"] == hours
    expected = break_even_rate(
        line_amount(named, scenario.contract.prepay_rate, "USD"), hours, "USD"
    )
    assert Decimal(repr(by_label["Break-even hourly rate"])) == expected
