"""Named vs concurrent: the comparison engine on hand-made usage tables, a Hypothesis check
against a plain reference, and the ``compare`` command end to end on a small session file."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing_model.cli import main
from billing_model.core.compare import HOURLY_COLUMNS, PERIOD_COLUMNS, compare_models
from billing_model.core.errors import BillingInputError
from billing_model.core.money import CURRENCIES
from tests.strategies import rates


def usage(rows):
    return pd.DataFrame(
        rows,
        columns=[
            "org",
            "period",
            "period_start",
            "period_end",
            "license",
            "named_users",
            "concurrent_users",
        ],
    )


TWO_PERIODS = usage(
    [
        # period 0: prod 45 named / 24 concurrent pc2, 9 Communicate; training 8 / 6
        ("prod", 0, "2026-01-15", "2026-02-14", "pc2", 45, 24),
        ("prod", 0, "2026-01-15", "2026-02-14", "communicate", 9, 0),
        ("training", 0, "2026-01-15", "2026-02-14", "pc2", 8, 6),
        # period 1: prod only, 20 named / 18 concurrent
        ("prod", 1, "2026-02-15", "2026-03-14", "pc2", 20, 18),
    ]
)


def test_literal_two_periods_two_orgs():
    # period 0: named 53 x 115 = 6095; concurrent (24 + 6, per org, added) 30 x 175 = 5250
    # period 1: named 20 x 115 = 2300; concurrent 18 x 175 = 3150
    c = compare_models(TWO_PERIODS, named_rate=115, concurrent_rate=175)
    p = c.periods
    assert list(p.columns) == list(PERIOD_COLUMNS)
    assert p["named_users"].tolist() == [53, 20]
    assert p["concurrent_users"].tolist() == [30, 18]
    assert p["named_cost"].tolist() == [Decimal("6095.00"), Decimal("2300.00")]
    assert p["concurrent_cost"].tolist() == [Decimal("5250.00"), Decimal("3150.00")]
    assert p["cheaper"].tolist() == ["concurrent", "named"]
    assert p["difference"].tolist() == [Decimal("845.00"), Decimal("-850.00")]
    # Communicate users are always named: reported, not priced
    assert p["always_named_users"].tolist() == [9, 0]
    assert (c.named_cost, c.concurrent_cost) == (Decimal("8395.00"), Decimal("8400.00"))
    assert (c.cheaper, c.saving) == ("named", Decimal("5.00"))
    # break-even: 8395 / 48 = 174.8958.. -> 174.90
    assert c.break_even_concurrent_rate == Decimal("174.90")
    assert c.users_ratio == pytest.approx(73 / 48)


def test_equal_costs_and_no_concurrent_users():
    c = compare_models(usage([("o", 0, "a", "b", "pc1", 2, 1)]), named_rate=50, concurrent_rate=100)
    assert (c.cheaper, c.saving, c.saving_share) == ("equal", Decimal("0.00"), 0.0)
    c = compare_models(
        usage([("o", 0, "a", "b", "communicate", 2, 0)]), named_rate=50, concurrent_rate=100
    )
    assert c.break_even_concurrent_rate is None and c.named_cost == 0


def test_jpy_rounds_each_period_to_whole_yen():
    c = compare_models(
        usage([("o", 0, "a", "b", "pc3", 3, 1), ("o", 1, "c", "d", "pc3", 3, 1)]),
        named_rate="1000.5",
        concurrent_rate="2000.5",
        currency="JPY",
    )
    # 3 x 1000.5 = 3001.5 -> 3002 per period; 2000.5 -> 2001 per period
    assert c.periods["named_cost"].tolist() == [Decimal("3002"), Decimal("3002")]
    assert (c.named_cost, c.concurrent_cost) == (Decimal("6004"), Decimal("4002"))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            dict(named_rate=-1, concurrent_rate=1),
            r"named_rate: -1 is not accepted; accepted: a price",
        ),
        (dict(named_rate=1, concurrent_rate="abc"), r"concurrent_rate: 'abc' is not accepted"),
        # Python's Decimal reads "1_000" as 1000: a rate typed with underscores is refused
        (dict(named_rate="1_000", concurrent_rate=1), r"named_rate: '1_000' is not accepted"),
        (dict(named_rate=1, concurrent_rate=1, currency="XYZ"), r"currency: unknown currency"),
    ],
)
def test_bad_rates_and_currency(kwargs, match):
    with pytest.raises(BillingInputError, match=match):
        compare_models(TWO_PERIODS, **kwargs)


@st.composite
def usage_tables(draw):
    rows = []
    for period in range(draw(st.integers(1, 5))):
        for org in draw(st.lists(st.sampled_from(["a", "b", "c"]), unique=True, max_size=3)):
            for lic in draw(
                st.lists(
                    st.sampled_from(["pc1", "communicate", "collaborate"]), unique=True, max_size=3
                )
            ):
                named = draw(st.integers(0, 500))
                conc = draw(st.integers(0, named)) if lic == "pc1" else 0
                rows.append((org, period, f"s{period}", f"e{period}", lic, named, conc))
    return usage(rows)


@settings(max_examples=80, deadline=None)
@given(usage_tables(), rates, rates, st.sampled_from(sorted(CURRENCIES)))
def test_compare_matches_a_plain_reference(table, named_rate, concurrent_rate, currency):
    c = compare_models(
        table, named_rate=named_rate, concurrent_rate=concurrent_rate, currency=currency
    )
    quantum = Decimal(1).scaleb(-CURRENCIES[currency])
    periods = sorted(set(table["period"]))
    assert c.periods["period"].tolist() == periods
    named_total = conc_total = Decimal(0)
    for k, row in zip(periods, c.periods.itertuples(index=False), strict=True):
        sub = [r for r in table.itertuples(index=False) if r.period == k]
        named = sum(r.named_users for r in sub if r.license == "pc1")
        conc = sum(r.concurrent_users for r in sub if r.license == "pc1")
        always = sum(r.named_users for r in sub if r.license != "pc1")
        n_cost = (named * named_rate).quantize(quantum, rounding=ROUND_HALF_UP)
        c_cost = (conc * concurrent_rate).quantize(quantum, rounding=ROUND_HALF_UP)
        assert (row.named_users, row.concurrent_users, row.always_named_users) == (
            named,
            conc,
            always,
        )
        assert (row.named_cost, row.concurrent_cost) == (n_cost, c_cost)
        assert row.difference == n_cost - c_cost
        named_total += n_cost
        conc_total += c_cost
    assert (c.named_cost, c.concurrent_cost) == (named_total, conc_total)
    assert c.saving == abs(named_total - conc_total)
    assert c.cheaper == (
        "equal"
        if named_total == conc_total
        else "named"
        if named_total < conc_total
        else "concurrent"
    )


SESSIONS = """user_id,org,license,client,start,end
ann,prod,pc2,desktop,2026-01-16T14:00:00Z,2026-01-16T18:00:00Z
bob,prod,pc2,desktop,2026-01-16T18:00:00Z,2026-01-16T22:00:00Z
cat,prod,pc2,web,2026-01-16T14:00:00Z,2026-01-16T22:00:00Z
dan,prod,communicate,desktop,2026-01-17T14:00:00Z,2026-01-17T15:00:00Z
"""


def test_cli_compare_csv_end_to_end(tmp_path, capsys):
    # ann and bob follow each other, cat works all day: 3 named pc2 users, a peak of 2.
    # named 3 x 100 = 300.00; concurrent 2 x 160 = 320.00 -> named is cheaper by 20.00.
    (tmp_path / "s.csv").write_text(SESSIONS)
    assert (
        main(
            [
                "compare",
                str(tmp_path / "s.csv"),
                "--order-date",
                "2026-01-15",
                "--named-rate",
                "100",
                "--concurrent-rate",
                "160",
                "--format",
                "csv",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out == [
        ",".join([*PERIOD_COLUMNS, "currency"]),
        "0,2026-01-15,2026-02-14,3,300.00,2,320.00,named,-20.00,1,USD",
        "total,2026-01-15,2026-02-14,3,300.00,2,320.00,named,-20.00,1,USD",
    ]


def test_cli_compare_table_states_the_answer(tmp_path, capsys):
    (tmp_path / "s.csv").write_text(SESSIONS)
    assert (
        main(
            [
                "compare",
                str(tmp_path / "s.csv"),
                "--order-date",
                "2026-01-15",
                "--named-rate",
                "100",
                "--concurrent-rate",
                "140",
            ]
        )
        == 0
    )
    out = " ".join(capsys.readouterr().out.split())
    assert "Concurrent is cheaper by 20.00 USD over 1 period (6.7% less than named)" in out
    assert "Break-even concurrent rate: 150.00 USD" in out
    assert "Communicate/Collaborate users are always named" in out


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--named-rate", "x", "--concurrent-rate", "1"], "--named-rate: 'x' is not accepted"),
        (
            ["--named-rate", "1", "--concurrent-rate", "1", "--currency", "EURO"],
            "--currency: unknown currency 'EURO'",
        ),
        (
            ["--named-rate", "1", "--concurrent-rate", "1", "--timezone", "Nowhere/City"],
            "unknown time zone 'Nowhere/City'",
        ),
        # a rate with a typo of many zeros: it was a decimal.InvalidOperation traceback
        (
            ["--named-rate", "1e300", "--concurrent-rate", "1"],
            "--named-rate: '1e300' is not accepted; accepted: a price per user per month from 0 to "
            "1,000,000,000,000",
        ),
    ],
)
def test_cli_compare_errors_are_one_line_exit_2(tmp_path, capsys, extra, message):
    (tmp_path / "s.csv").write_text(SESSIONS)
    assert main(["compare", str(tmp_path / "s.csv"), *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_hourly_model_beside_the_other_two():
    # docs/rules.md#hourly-licensing: the PureCloud 1-3 rows' billable hours x the hourly rate.
    # period 0: 223 + 40 h (pc2 of prod and training; Communicate's 90 h left out) x 0.85 =
    # 223.55; period 1: 180 h x 0.85 = 153.00. Break-even hourly rate: named 8395.00 / 443 h =
    # 18.950.. -> 18.95
    rows = TWO_PERIODS.assign(billable_hours=[223, 90, 40, 180])
    c = compare_models(rows, named_rate=115, concurrent_rate=175, hourly_rate="0.85")
    p = c.periods
    assert list(p.columns) == [*PERIOD_COLUMNS, *HOURLY_COLUMNS]
    assert p["hourly_hours"].tolist() == [263, 180]
    assert p["hourly_cost"].tolist() == [Decimal("223.55"), Decimal("153.00")]
    assert p["cheaper"].tolist() == ["hourly", "hourly"]
    assert (c.hourly_hours, c.hourly_cost, c.cheapest) == (443, Decimal("376.55"), "hourly")
    assert c.break_even_hourly_rate == Decimal("18.95")
    assert c.cheaper == "named"  # named vs concurrent, as without an hourly rate
    # at 40 an hour, period 0 costs 10,520.00 hourly: concurrent (5,250.00) is the cheapest
    dear = compare_models(rows, named_rate=115, concurrent_rate=175, hourly_rate=40)
    assert dear.periods["cheaper"].tolist() == ["concurrent", "named"]
    with pytest.raises(BillingInputError, match="missing columns billable_hours"):
        compare_models(TWO_PERIODS, named_rate=115, concurrent_rate=175, hourly_rate=1)
    with pytest.raises(BillingInputError, match="hourly_rate: -1 .*per billable hour"):
        compare_models(rows, named_rate=115, concurrent_rate=175, hourly_rate=-1)


def test_cli_hourly_rate(capsys):
    args = [
        "compare",
        "scenarios/sample_sessions.csv",
        "--order-date",
        "2026-03-01",
        "--named-rate",
        "115",
        "--concurrent-rate",
        "160",
        "--hourly-rate",
        "0.9",
    ]
    assert main([*args, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("always_named_users,hourly_hours,hourly_cost,currency")
    # the sample's pc2 rows bill 7913 + 1287 hours (usage --format csv)
    assert lines[-1].split(",")[-3:] == ["9200", "8280.00", "USD"]
    assert main(args) == 0
    assert "break-even hourly rate 0.70 USD" in capsys.readouterr().out
    assert main([*args[:-1], "an hour"]) == 2
    assert "--hourly-rate: 'an hour' is not accepted" in capsys.readouterr().err


def test_a_tie_of_two_of_three_models_names_them_not_equal():
    # the hostile review: concurrent and hourly tying below a dearer named said "equal"
    from billing_model.core.compare import _cheapest

    three = (Decimal("300.00"), Decimal("200.00"), Decimal("200.00"))
    assert _cheapest(*three) == "concurrent = hourly"
    assert _cheapest(Decimal("200.00"), Decimal("300.00"), Decimal("200.00")) == "named = hourly"
    assert _cheapest(Decimal(1), Decimal(1), Decimal(1)) == "equal"
    assert _cheapest(Decimal(1), Decimal(2), Decimal(3)) == "named"
