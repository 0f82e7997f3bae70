"""Silent wrong answers of session data (issue #21): data outside the billed periods,
repeat-last over measured periods without users, coverage shown rounded, the workbook's series
of each org's own file. The data as it is read (spellings of one user id, ``--as-of`` inside the
data, dates and presence values the vendor does not write): tests/test_silent_answers_reading.py.

Each test failed before its fix (a wrong number, a silent 0, or a traceback)."""

from __future__ import annotations

import pytest

from billing_model.cli import main
from billing_model.core.errors import BillingInputError, BillingWarning
from billing_model.service import load_scenario
from billing_model.workbook import build_layout
from tests.silent_answers_data import (
    ENGINES,
    ONE_IN_MARCH,
    PARTIAL_DATA,
    scenario_file,
    usage_column,
)

# the CLI's warnings are part of what a user sees: shown here (pyproject ignores them)
pytestmark = pytest.mark.filterwarnings("always::billing_model.core.errors.BillingWarning")


# --- 1. session data wholly outside the billed periods ---------------------------------------


@pytest.mark.parametrize("order", ["2026-05-01", "2025-10-01"])  # the data before; after
def test_repeat_last_without_a_measured_billed_period_is_refused(tmp_path, capsys, order):
    # invoices printed a header only, exit 0, no warning: nothing billed, nothing said
    path = scenario_file(
        tmp_path, ONE_IN_MARCH, order=order, term=3, extra='after_data = "repeat-last"\n'
    )
    for command in (
        ["invoices", str(path), "--format", "csv"],
        ["build", str(path), "-o", str(tmp_path / "q.xlsx")],
    ):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, err
        assert (
            "usage.after_data: 'repeat-last' needs a measured period, and s.csv holds no "
            "data in any of the 3 billed periods (the data runs from 2026-03-01T14:00Z to "
            "2026-03-20T22:00Z; the billed periods from "
        ) in err
    assert not (tmp_path / "q.xlsx").exists()


def test_data_before_the_billed_periods_warns_naming_them_and_builds(tmp_path, capsys):
    # build failed with KeyError: 'period' (workbook/usage.py); invoices billed 0 with a
    # warning that said "the periods after it" of periods the data never reached
    path = scenario_file(tmp_path, ONE_IN_MARCH, order="2026-05-01", term=3)
    with pytest.warns(BillingWarning) as caught:
        scenario = load_scenario(path)
    assert [str(w.message) for w in caught] == [
        "q.toml: usage.sessions: s.csv holds no data for 3 of the 3 billed periods: periods 0-2 "
        "(2026-05-01 to 2026-07-31); they count 0 users (the data runs from 2026-03-01T14:00Z "
        "to 2026-03-20T22:00Z; the billed periods from 2026-05-01 to 2026-07-31) (set "
        "usage.after_data = 'zero' or 'repeat-last' to say what the periods after the data "
        "hold)"
    ]
    assert scenario.users("pc2").tolist() == [0, 0, 0]
    assert main(["build", str(path), "-o", str(tmp_path / "q.xlsx")]) == 0
    assert "Traceback" not in capsys.readouterr().err
    assert (tmp_path / "q.xlsx").exists()


def test_data_after_the_billed_periods_warns_even_with_after_data_zero(tmp_path):
    # 'zero' says what periods *after* the data hold; these come before it
    path = scenario_file(
        tmp_path, ONE_IN_MARCH, order="2025-10-01", term=3, extra='after_data = "zero"\n'
    )
    with (
        pytest.warns(
            BillingWarning,
            match=r"s\.csv holds no data for 3 of the 3 billed "
            r"periods: periods 0-2 \(2025-10-01 to 2025-12-31\); they count 0 users "
            r"\(the data runs from 2026-03-01T14:00Z to 2026-03-20T22:00Z; the billed "
            r"periods from 2025-10-01 to 2025-12-31\)$",
        ),
        # and the March data no period bills is named too (docs/rules.md#month-to-month)
        pytest.warns(
            BillingWarning,
            match=r"s\.csv holds logged-in users for 1 period\(s\) past the 3 billed "
            r"periods, not billed: period 5 \(2026-03-01 to 2026-03-31\)",
        ),
    ):
        assert load_scenario(path).users("pc2").tolist() == [0, 0, 0]


def test_periods_before_the_data_are_named_not_only_those_after(tmp_path):
    # order on Feb 1, data in March only, 3 periods: February has no data (0 users, said),
    # April follows after_data = 'zero' (said explicitly: not warned)
    path = scenario_file(
        tmp_path, ONE_IN_MARCH, order="2026-02-01", term=3, extra='after_data = "zero"\n'
    )
    with pytest.warns(
        BillingWarning,
        match=r"holds no data for 1 of the 3 billed periods: "
        r"period 0 \(2026-02-01 to 2026-02-28\); they count 0 users",
    ):
        assert load_scenario(path).users("pc2").tolist() == [0, 1, 0]


# --- 2. repeat-last fills only the periods the data does not cover ----------------------------

ISSUE_2 = (
    "ann,2026-03-01T14:00:00Z,2026-03-20T22:00:00Z,pc2,desktop\n"
    "cat,2026-03-02T14:00:00Z,2026-03-02T22:00:00Z,pc2,desktop\n"
    "bob,2026-05-01T14:00:00Z,2026-05-01T22:00:00Z,pc2,desktop\n"
)


@PARTIAL_DATA
@pytest.mark.parametrize("april", ["", "api1,2026-04-10T14:00:00Z,2026-04-10T15:00:00Z,pc2,api\n"])
def test_repeat_last_keeps_a_measured_period_without_users(tmp_path, april):
    # it billed 2, 2, 2, 2: April is covered by the data and nobody logged in (or only an API
    # client did), so April is a measured period with 0 users, and it is what repeats
    path = scenario_file(
        tmp_path, ISSUE_2 + april, order="2026-03-01", term=4, extra='after_data = "repeat-last"\n'
    )
    scenario = load_scenario(path)
    assert scenario.users("pc2").tolist() == [2, 0, 0, 0]
    # the workbook's Usage sheet counts the same series
    book = build_layout(scenario)
    assert usage_column(book, "default pc2 named (sessions)")[:4] == [2, 0, 0, 0]
    assert usage_column(book, "Billable pc2 users (all orgs)")[:4] == [2, 0, 0, 0]


def test_repeat_last_still_repeats_the_last_measured_period_with_users(tmp_path):
    # the data ends in March (measured): April on repeat March's 2 users
    path = scenario_file(
        tmp_path,
        ISSUE_2.rsplit("bob", 1)[0],
        order="2026-03-01",
        term=3,
        extra='after_data = "repeat-last"\n',
    )
    scenario = load_scenario(path)
    assert scenario.users("pc2").tolist() == [2, 2, 2]
    assert usage_column(build_layout(scenario), "Billable pc2 users (all orgs)")[:3] == [2, 2, 2]


# --- 8. coverage is shown rounded down ---------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_period_just_short_of_half_covered_never_shows_50_percent(tmp_path, capsys, engine):
    # March 2026 in UTC is 31 days: half ends 2026-03-16T12:00Z; the data ends 1 ns before.
    # The table showed "50% partial*"
    file = tmp_path / "s.csv"
    file.write_text("user_id,start,end\nann,2026-03-01T00:00:00Z,2026-03-16T11:59:59.999999999Z\n")
    assert (
        main(
            [
                "usage",
                str(file),
                "--license",
                "pc2",
                "--order-date",
                "2026-03-01",
                "--timezone",
                "UTC",
                "--engine",
                engine,
            ]
        )
        == 0
    )
    out, err = capsys.readouterr()
    assert "49% partial*" in out and "50%" not in out
    # the warning's days are rounded down too: 15.5 of 31 days is half (measured)
    assert (
        "less than half of 1 billing period(s): 2026-03-01 to 2026-03-31 (15.4 of 31 days)" in err
    )
    assert (
        main(
            [
                "usage",
                str(file),
                "--license",
                "pc2",
                "--order-date",
                "2026-03-01",
                "--timezone",
                "UTC",
                "--engine",
                engine,
                "--format",
                "csv",
            ]
        )
        == 0
    )
    coverage = float(capsys.readouterr().out.splitlines()[1].split(",")[8])  # coverage
    assert coverage < 0.5


# --- hostile: the workbook's series of each org's own session file ----------------------------


@PARTIAL_DATA
def test_workbook_counts_each_org_from_its_own_file_and_renamed_orgs(tmp_path):
    # build raised TypeError ('NoneType' object is not subscriptable) when an [[org]] had a
    # session file of its own (the sheet looked every org up in the first file) or [usage]
    # renamed the file's org with `name`
    (tmp_path / "dev.csv").write_text(
        "user_id,start,end,license,org\n"
        "zed,2026-03-05T14:00:00Z,2026-03-05T22:00:00Z,pc2,dev\n"
        "yan,2026-03-05T14:00:00Z,2026-04-25T22:00:00Z,pc2,dev\n"
    )
    path = scenario_file(
        tmp_path,
        ISSUE_2,
        order="2026-03-01",
        term=3,
        extra='after_data = "zero"\nname = "production"\n'
        '[[org]]\nname = "dev"\nsessions = "dev.csv"\n'
        'after_data = "repeat-last"\n',
    )
    scenario = load_scenario(path)
    assert {o.name: o.users["pc2"] for o in scenario.orgs} == {
        "production": (2, 0, 1),
        "dev": (2, 1, 1),
    }
    book = build_layout(scenario)
    assert usage_column(book, "production pc2 named (sessions)")[:3] == [2, 0, 1]
    assert usage_column(book, "dev pc2 named (sessions)")[:3] == [2, 1, 1]
    assert usage_column(book, "Billable pc2 users (all orgs)")[:3] == [4, 1, 2]


@PARTIAL_DATA
def test_repeat_last_with_data_measured_only_before_the_order_names_where_the_data_is(tmp_path):
    # February (before the order) is measured, March only 9 days: "covers less than half of
    # every billing period it touches" was wrong of February and did not say where the data is
    path = scenario_file(
        tmp_path,
        "ann,2026-02-01T14:00:00Z,2026-03-10T22:00:00Z,pc2,desktop\n",
        order="2026-03-01",
        term=4,
        extra='after_data = "repeat-last"\n',
    )
    with pytest.raises(
        BillingInputError,
        match=r"s\.csv covers less than half of every billing "
        r"period it touches among the 4 billed \(the data runs from "
        r"2026-02-01T14:00Z to 2026-03-10T22:00Z; the billed periods from "
        r"2026-03-01 to 2026-06-30\)",
    ):
        load_scenario(path)


def test_a_variant_billing_periods_without_data_is_warned_too(tmp_path):
    # the base bills March (data); a variant with a 6-month term billed June-August 0 users
    # silently: the warning was given once per file, for the base
    path = scenario_file(
        tmp_path,
        ISSUE_2,
        order="2026-03-01",
        term=1,
        extra='[[variant]]\nname = "longer"\nterm_months = 6\n',
    )
    with pytest.warns(BillingWarning) as caught:
        load_scenario(path)
    assert [str(w.message) for w in caught if "holds no data" in str(w.message)] == [
        "q.toml (variant 'longer'): usage.sessions: s.csv holds no data for 3 of the 6 billed "
        "periods: periods 3-5 (2026-06-01 to 2026-08-31); they count 0 users (the data runs "
        "from 2026-03-01T14:00Z to 2026-05-01T22:00Z; the billed periods from 2026-03-01 to "
        "2026-08-31) (set usage.after_data = 'zero' or 'repeat-last' to say what the periods "
        "after the data hold)"
    ]
