"""Month to month after the term (issue #19, part 2; docs/rules.md#month-to-month): the
``months_after_term`` periods after the term bill the actual users in arrears at the line's
``month_to_month_rate``, no prepay; without them, usage past the term is named in a warning.

The expected lines are computed by hand below each case; the workbook cases are recalculated in
LibreOffice through the session's shared store (``tests/workbooks.py``) and compared with the
engine on the same scenario.
"""

from __future__ import annotations

import copy
import datetime as dt
import warnings
from decimal import Decimal

import pytest

from billing_model.cli import main
from billing_model.core.errors import BillingInputError, BillingWarning
from billing_model.core.invoices import fair_use_allowances, invoice_schedule
from billing_model.service import scenario_from_mapping, schedule_from_values
from billing_model.workbook import SCENARIOS_DIR, build_layout, scenario_figures
from tests import workbooks
from tests.workbook_cells import engine_lines, error_cells, money, named, workbook_lines

#: 1 ramp + 2 term + 2 month-to-month periods; 10 committed at 100, overage 125, after the
#: term 130 per user
CONTRACT = {
    "order_date": "2026-01-15",
    "license": "pc2",
    "committed_users": 10,
    "prepay_rate": 100,
    "overage_rate": 125,
    "ramp_months": 1,
    "term_months": 2,
    "months_after_term": 2,
    "month_to_month_rate": 130,
}
DATA = {"contract": CONTRACT, "usage": {"users": [5, 12, 8, 7, 20]}}

#: by hand: (invoice date, timing, service start, quantity, rate, amount)
EXPECTED = [
    (dt.date(2026, 2, 15), "arrears", dt.date(2026, 1, 15), 5, 100, "500.00"),  # ramp 5 x 100
    (dt.date(2026, 2, 15), "advance", dt.date(2026, 2, 15), 10, 100, "1000.00"),  # prepay
    (dt.date(2026, 3, 15), "arrears", dt.date(2026, 2, 15), 2, 125, "250.00"),  # 12 - 10 over
    (dt.date(2026, 3, 15), "advance", dt.date(2026, 3, 15), 10, 100, "1000.00"),  # prepay
    # period 2 has 8 users: no overage; periods 3 and 4 month to month, in arrears
    (dt.date(2026, 5, 15), "arrears", dt.date(2026, 4, 15), 7, 130, "910.00"),
    (dt.date(2026, 6, 15), "arrears", dt.date(2026, 5, 15), 20, 130, "2600.00"),
]


def _with(data: dict, **contract) -> dict:
    """``data`` with these contract keys changed (``None``: the key left out)."""
    data = copy.deepcopy(data)
    data["contract"].update(contract)
    data["contract"] = {k: v for k, v in data["contract"].items() if v is not None}
    return data


def _rows(schedule) -> list[tuple]:
    return [
        (r.invoice_date, r.timing, r.service_start, r.quantity, r.rate, str(r.amount))
        for r in schedule.itertuples()
    ]


def test_months_after_term_bill_actual_users_in_arrears_at_the_month_to_month_rate():
    lines = invoice_schedule(scenario_from_mapping(DATA))
    assert _rows(lines) == EXPECTED
    after = lines[lines.description.str.contains("month to month")]
    assert (
        list(after.description)
        == ["PureCloud 2 / CX 2 named users, month to month (actual usage)"] * 2
    )
    assert sum(lines.amount) == Decimal("6260.00")  # 500 + 1000 + 250 + 1000 + 910 + 2600


def test_month_to_month_has_no_commitment_so_fair_use_counts_the_actual_users():
    # 10 committed, 7 and 20 active after the term: the allowance follows the users only
    s = scenario_from_mapping(DATA)
    per_user = fair_use_allowances(s, "ivr_minutes")[0] / 5  # ramp: 5 actual users
    assert fair_use_allowances(s, "ivr_minutes").tolist() == [
        5 * per_user,
        12 * per_user,
        10 * per_user,
        7 * per_user,
        20 * per_user,
    ]


def test_each_license_line_has_its_own_month_to_month_rate():
    data = _with(DATA)
    data["product"] = [
        {
            "license": "communicate",
            "committed_users": 2,
            "prepay_rate": 30,
            "month_to_month_rate": 40,
        }
    ]
    data["usage"]["users"] = {"pc2": [5, 12, 8, 7, 20], "communicate": [2, 2, 2, 3, 1]}
    lines = invoice_schedule(scenario_from_mapping(data))
    after = lines[lines.description.str.contains("Communicate.*month to month", regex=True)]
    assert [(r.quantity, str(r.amount)) for r in after.itertuples()] == [
        (3, "120.00"),
        (1, "40.00"),
    ]


def test_a_partner_contract_needs_no_month_to_month_rate():
    lines = invoice_schedule(
        scenario_from_mapping(
            _with(
                DATA,
                channel="partner",
                prepay_rate=None,
                overage_rate=None,
                month_to_month_rate=None,
            )
        )
    )
    after = lines[lines.description.str.contains("month to month")]
    assert list(after.quantity) == [7, 20] and list(after.amount) == [None, None]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"month_to_month_rate": None},
            r"contract\.month_to_month_rate: missing; accepted: a "
            r"number >= 0",
        ),
        (
            {"months_after_term": 25},
            r"contract\.months_after_term: 25 .*accepted: a whole number "
            r"from 0 to 24",
        ),
        ({"months_after_term": -1}, r"contract\.months_after_term"),
    ],
)
def test_bad_month_to_month_inputs_are_one_line_refusals(change, message):
    data = _with(DATA, **change)
    with pytest.raises(BillingInputError, match=message) as info:
        scenario_from_mapping(data)
    assert "\n" not in str(info.value)


def test_usage_must_cover_the_months_after_the_term():
    with pytest.raises(BillingInputError, match=r"4 values, but the contract bills 5 periods"):
        scenario_from_mapping({**DATA, "usage": {"users": [5, 12, 8, 7]}})


def test_usage_past_the_term_without_months_after_term_is_named_in_a_warning():
    data = _with(DATA, months_after_term=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lines = invoice_schedule(scenario_from_mapping(data))
    messages = [str(w.message) for w in caught if issubclass(w.category, BillingWarning)]
    assert len(messages) == 1
    assert (
        "scenario: usage: usage data for 2 period(s) past the 3 billed periods, not "
        "billed: periods 3-4 (2026-04-15 to 2026-06-14); set contract.months_after_term"
    ) in messages[0]
    assert "month to month" not in " ".join(lines.description)


def test_a_variant_that_bills_the_later_periods_silences_the_warning():
    data = _with(DATA, months_after_term=0)
    data["variant"] = [{"name": "longer", "term_months": 4}]
    with warnings.catch_warnings():
        warnings.simplefilter("error", BillingWarning)
        assert scenario_from_mapping(data).variant("longer").periods == 5


def test_session_data_past_the_term_is_named_too(tmp_path):
    (tmp_path / "s.csv").write_text(
        "user_id,org,license,client,start,end\n"
        "ann,prod,pc2,desktop,2026-01-20T14:00:00Z,2026-01-20T16:00:00Z\n"
        "ann,prod,pc2,desktop,2026-04-20T14:00:00Z,2026-04-20T16:00:00Z\n"
    )
    data = _with(DATA, months_after_term=0, ramp_months=0, term_months=1)
    data["usage"] = {"sessions": "s.csv"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenario_from_mapping(data, base_dir=tmp_path)
    messages = [str(w.message) for w in caught if "past the 1 billed" in str(w.message)]
    assert messages == [
        "scenario: usage.sessions: s.csv holds logged-in users for 1 period(s) past the 1 billed "
        "periods, not billed: period 3 (2026-04-15 to 2026-05-14); set "
        "contract.months_after_term (0-24) to bill them month to month"
    ]


def test_zeros_past_the_term_need_no_warning():
    data = _with(DATA, months_after_term=0)
    data["usage"]["users"] = [5, 12, 8, 0, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", BillingWarning)
        scenario_from_mapping(data)


def test_the_excel_function_values_give_the_same_lines():
    lines = schedule_from_values(
        "2026-01-15",
        10,
        100,
        1,
        2,
        [5, 12, 8, 7, 20],
        overage_rate=125,
        months_after_term=2,
        month_to_month_rate=130,
    )
    assert _rows(lines) == EXPECTED


def test_the_cli_bills_the_months_after_the_term(tmp_path, capsys):
    path = tmp_path / "m2m.toml"
    path.write_text(
        "[contract]\n"
        + "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in CONTRACT.items())
        + "[usage]\nusers = [5, 12, 8, 7, 20]\n"
    )
    # in this process, as tests/test_cli.py runs a command: a child's start was 0.7 s of CPU
    assert main(["invoices", str(path), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert 'month to month (actual usage)",arrears,2026-05-15,2026-06-14,20,130,2600.00' in out


# --- the workbook: an input, and grids that hold 0-24 such months --------------------------------
def test_the_workbook_has_the_inputs_and_room_for_24_months_after_any_term():
    book = build_layout(scenario_from_mapping(DATA, name="m2m"))
    assert {"MonthsAfterTerm", "MonthToMonthRate", "TermEnd"} <= set(book.names)
    kinds = [
        v
        for (r, c), v in ((k, cell.value) for k, cell in book.sheet("Invoices").cells.items())
        if c == 12
    ]
    assert kinds.count("month_to_month") == 108  # one line per period of the 108-period grid


BASE = workbooks.scenario(
    "m2m-base",
    lambda: scenario_from_mapping(
        _with(DATA, months_after_term=0) | {"usage": {"users": [5, 12, 8, 7, 20, 9, 30]}},
        base_dir=SCENARIOS_DIR,
        name="m2m",
    ),
)
#: the months typed into the workbook: the 24 the Inputs accept after a 60-month term, and 3
EDITS = {
    "m2m-3": ({"MonthsAfterTerm": 3, "MonthToMonthRate": 130}, {"months_after_term": 3}),
    "m2m-24": (
        {"MonthsAfterTerm": 24, "MonthToMonthRate": 130.5, "TermMonths": 60},
        {"months_after_term": 24, "term_months": 60},
    ),
}
CASES = {
    case: workbooks.edited(f"m2m-{case}", BASE, edits) for case, (edits, _engine) in EDITS.items()
}


def _engine(case: str):
    """The engine's scenario on the same change: the workbook's usage repeats the last value
    past the file's (its Usage sheet says so)."""
    change = dict(EDITS[case][1], month_to_month_rate=EDITS[case][0]["MonthToMonthRate"])
    data = _with(DATA, **change)
    n = (
        data["contract"]["ramp_months"]
        + data["contract"]["term_months"]
        + data["contract"]["months_after_term"]
    )
    users = [5, 12, 8, 7, 20, 9, 30]
    data["usage"]["users"] = (users + [users[-1]] * n)[:n]
    return scenario_from_mapping(data, name=case)


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", sorted(EDITS))
def test_months_typed_into_the_workbook_give_the_engines_lines(workbook_store, soffice, case):
    wb = workbook_store.book(CASES[case])
    scenario = _engine(case)
    assert error_cells(wb) == []
    assert workbook_lines(wb) == engine_lines(scenario)
    assert money(named(wb, "InvoiceTotal")) == scenario_figures(scenario)["total"]


@pytest.mark.libreoffice
def test_the_base_workbook_bills_no_month_to_month(workbook_store, soffice):
    wb = workbook_store.book(BASE)
    assert named(wb, "Periods") == 3 and named(wb, "TermEnd") == 3
    assert money(named(wb, "InvoiceTotal")) == Decimal("2750")  # 500+1000+250+1000


#: months typed in while the rate stays empty: the loader's refusal, as the workbook's Check
NO_RATE = workbooks.edited("m2m-no-rate", BASE, {"MonthsAfterTerm": 2, "MonthToMonthRate": None})


def test_the_cli_refuses_months_without_a_rate_as_the_workbook_does():
    with pytest.raises(BillingInputError, match="month_to_month_rate: missing"):
        scenario_from_mapping(_with(DATA, month_to_month_rate=None))


@pytest.mark.libreoffice
def test_months_without_a_rate_leave_no_total_standing(workbook_store, soffice):
    wb = workbook_store.book(NO_RATE)
    assert named(wb, "InputsOK") is False
    assert named(wb, "InputsProblem").startswith(
        "Month-to-month rate: empty is not accepted; accepted: the rate per user per month"
    )
    assert named(wb, "InvoiceTotal") == "#N/A"
