"""Invoice schedules against a plain reference written here, on contracts Hypothesis draws: one
license line with both ramp policies, any anchor day and currency; several orgs, license lines
and fair use (split from tests/test_invoices.py, which holds the literal schedules).
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing_model.core.invoices import invoice_schedule, invoice_totals
from billing_model.core.money import CURRENCIES
from billing_model.service import scenario_from_mapping, schedule_from_values
from tests.strategies import money

D = dt.date


# ------------------------------------------------------------------------------------------
# Hypothesis: the engine against a plain reference
# ------------------------------------------------------------------------------------------
def ref_first_day(order: dt.date, k: int) -> dt.date:
    month = order.month - 1 + k
    year, month = order.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(order.day, calendar.monthrange(year, month)[1]))


def reference_lines(
    order, committed, prepay, overage, ramp, term, users, telephony, policy, currency
):
    """Plain slow reference: (kind, k, invoice date, quantity, amount), from the issue's rules."""
    quantum = Decimal(1).scaleb(-CURRENCIES[currency])

    def amount(q, r):
        return (Decimal(q) * r).quantize(quantum, rounding=ROUND_HALF_UP)

    out = []
    for k in range(ramp + term):
        nxt = ref_first_day(order, k + 1)
        if k < ramp:
            if policy == "actual-usage":
                out.append(("ramp", k, nxt, users[k], amount(users[k], prepay)))
        else:
            out.append(("prepay", k, ref_first_day(order, k), committed, amount(committed, prepay)))
            out.append(
                (
                    "overage",
                    k,
                    nxt,
                    max(0, users[k] - committed),
                    amount(max(0, users[k] - committed), overage),
                )
            )
        out.append(("telephony", k, nxt, 1, amount(1, telephony[k])))
    return [line for line in out if line[3] != 0 and line[4] != 0]


def kind_of(description: str) -> str:
    if description == "Telephony":
        return "telephony"
    if "ramp" in description:
        return "ramp"
    return "prepay" if "prepay" in description else "overage"


@st.composite
def contracts(draw):
    ramp = draw(st.integers(0, 4))
    term = draw(st.integers(1, 6))
    n = ramp + term
    day = draw(st.sampled_from([1, 15, 28, 29, 30, 31]))
    return {
        "order": dt.date(draw(st.integers(2024, 2027)), draw(st.integers(1, 12)), 1).replace(day=1)
        + dt.timedelta(days=0),
        "day": day,
        "committed": draw(st.integers(0, 60)),
        "prepay": draw(money),
        "overage": draw(money),
        "ramp": ramp,
        "term": term,
        "users": draw(st.lists(st.integers(0, 120), min_size=n, max_size=n)),
        "telephony": draw(st.lists(money, min_size=n, max_size=n)),
        "policy": draw(st.sampled_from(["actual-usage", "no-software-charges"])),
        "currency": draw(st.sampled_from(sorted(CURRENCIES))),
    }


@settings(max_examples=60, deadline=None)
@given(contracts())
def test_schedule_matches_the_reference(c):
    first = c["order"]
    order = first.replace(day=min(c["day"], calendar.monthrange(first.year, first.month)[1]))
    s = schedule_from_values(
        order,
        c["committed"],
        c["prepay"],
        c["ramp"],
        c["term"],
        c["users"],
        overage_rate=c["overage"],
        currency=c["currency"],
        ramp_policy=c["policy"],
        telephony=c["telephony"],
    )
    expected = reference_lines(
        order,
        c["committed"],
        c["prepay"],
        c["overage"],
        c["ramp"],
        c["term"],
        c["users"],
        c["telephony"],
        c["policy"],
        c["currency"],
    )
    got = []
    for line in s.itertuples(index=False):
        k = [
            j for j in range(c["ramp"] + c["term"]) if ref_first_day(order, j) == line.service_start
        ]
        assert len(k) == 1
        assert line.service_end == ref_first_day(order, k[0] + 1) - dt.timedelta(days=1)
        assert line.due_date == line.invoice_date + dt.timedelta(days=30)
        got.append(
            (kind_of(line.description), k[0], line.invoice_date, int(line.quantity), line.amount)
        )
    assert sorted(got) == sorted(expected)
    # every period billed exactly once per charge
    assert len(set((kind, k) for kind, k, *_ in got)) == len(got)
    # ordered by invoice date; totals add the rounded lines
    assert list(s["invoice_date"]) == sorted(s["invoice_date"])
    totals = invoice_totals(s)
    assert sum(totals["amount"].dropna(), Decimal(0)) == sum(e[4] for e in expected)
    assert totals["lines"].sum() == len(s)
    for line in s.itertuples(index=False):
        assert line.amount.as_tuple().exponent == -CURRENCIES[c["currency"]]


@st.composite
def multi_org_scenarios(draw):
    ramp = draw(st.integers(0, 3))
    term = draw(st.integers(1, 4))
    n = ramp + term

    def series(elements):
        return draw(st.lists(elements, min_size=n, max_size=n))

    orgs = [
        {
            "name": f"org{i}",
            "users": {"pc2": series(st.integers(0, 40)), "communicate": series(st.integers(0, 10))},
            "ivr_minutes": series(st.integers(0, 200_000)),
        }
        for i in range(draw(st.integers(1, 3)))
    ]
    return {
        "contract": {
            "order_date": "2026-01-30",
            "license": "pc2",
            "committed_users": draw(st.integers(0, 60)),
            "prepay_rate": draw(money),
            "overage_rate": draw(money),
            "ramp_months": ramp,
            "term_months": term,
            "ivr_overage_rate": draw(money),
            "ramp_policy": draw(st.sampled_from(["actual-usage", "no-software-charges"])),
        },
        "product": [
            {
                "license": "communicate",
                "committed_users": draw(st.integers(0, 10)),
                "prepay_rate": draw(money),
            }
        ],
        "usage": orgs[0],
        "org": orgs[1:],
    }


@settings(max_examples=40, deadline=None)
@given(multi_org_scenarios())
def test_orgs_license_lines_and_fair_use_match_the_reference(data):
    c = data["contract"]
    orgs = [data["usage"], *data["org"]]
    ramp, n = c["ramp_months"], c["ramp_months"] + c["term_months"]
    comm = data["product"][0]
    s = invoice_schedule(scenario_from_mapping(data))
    cent = Decimal("0.01")

    def amount(q, r):
        return (Decimal(q) * r).quantize(cent, rounding=ROUND_HALF_UP)

    expected = []
    for k in range(n):
        pc2 = sum(o["users"]["pc2"][k] for o in orgs)
        com = sum(o["users"]["communicate"][k] for o in orgs)
        for key, users, committed, rate, over_rate in (
            ("pc2", pc2, c["committed_users"], c["prepay_rate"], c["overage_rate"]),
            ("com", com, comm["committed_users"], comm["prepay_rate"], comm["prepay_rate"]),
        ):
            if k < ramp:
                if c["ramp_policy"] == "actual-usage":
                    expected.append((key + "-ramp", k, users, amount(users, rate)))
            else:
                expected.append((key + "-prepay", k, committed, amount(committed, rate)))
                over = max(0, users - committed)
                expected.append((key + "-over", k, over, amount(over, over_rate)))
        # allowance: pc2 named 2,500 and Communicate 500 minutes per billable user, the
        # commitment counting only in the term
        commit_pc2 = c["committed_users"] if k >= ramp else 0
        commit_com = comm["committed_users"] if k >= ramp else 0
        allowance = max(commit_pc2, pc2) * 2500 + max(commit_com, com) * 500
        over = max(0, sum(o["ivr_minutes"][k] for o in orgs) - allowance)
        expected.append(("ivr", k, over, amount(over, c["ivr_overage_rate"])))
    expected = sorted(e for e in expected if e[2] != 0 and e[3] != 0)

    starts = {D(2026, 1, 30): 0}
    for k in range(1, n + 1):
        starts[ref_first_day(D(2026, 1, 30), k)] = k
    got = []
    for line in s.itertuples(index=False):
        d = line.description
        key = (
            "ivr"
            if d.startswith("Basic routing")
            else ("pc2" if d.startswith("PureCloud 2") else "com")
            + ("-ramp" if "ramp" in d else "-prepay" if "prepay" in d else "-over")
        )
        got.append((key, starts[line.service_start], int(line.quantity), line.amount))
    assert sorted(got) == expected
    assert len({(key, k) for key, k, *_ in got}) == len(got)  # each charge once per period
    assert sum(invoice_totals(s)["amount"], Decimal(0)) == sum(e[3] for e in expected)
