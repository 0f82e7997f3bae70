"""Invoice schedules: which invoice bills what, when, for which service dates.

Source: ``docs/rules.md#invoices``, ``docs/rules.md#fair-use`` and the billing FAQ
("How do I know which service period is included on my invoice?", "Why do I see both charges for
both users and prepay users on my invoice?"). Periods ``k = 0, 1, ...`` are the billing periods
of :class:`~billing_model.core.periods.BillingCalendar` from the order date; the invoice "on the
start of period k" is dated the first day of period ``k``.

The rules, as implemented:

- One-time items (enablement packages) are invoiced on the order date; hardware on its ship date.
  Their service dates are the invoice date.
- Ramp periods (``k < ramp_months``): under ``actual-usage``, ``users[k] x prepay_rate`` in
  arrears on the start of period ``k + 1``; under ``no-software-charges``, no user lines.
- Term periods: ``committed_users x prepay_rate`` in advance on the start of period ``k``; users
  above the commitment, ``max(0, users[k] - committed_users) x overage_rate``, in arrears on the
  start of period ``k + 1``. So the last ramp invoice carries both the ramp actuals and the first
  prepay, as the FAQ says; the invoice after the term's last period carries its arrears.
- Hourly lines (``license_model = "hourly"``): the billable hours of every period (the
  logged-in hours rounded up) x ``hourly_rate`` in arrears on the start of period ``k + 1``, no
  commitment, no prepay (docs/rules.md#hourly-licensing); ramp periods only under
  ``actual-usage``.
- Month to month (``term_end <= k < term_end + months_after_term``): ``users[k] x
  month_to_month_rate`` in arrears on the start of period ``k + 1``, no prepay, no commitment
  (docs/rules.md#month-to-month).
- Telephony (quantity 1, the period's charge as rate) and fair-use overages in arrears on the
  start of period ``k + 1``. Fair-use allowance per period = sum over license lines of
  ``max(commitment, users[k]) x`` the per-user allowance (no commitment applies during the ramp
  or month to month, so those periods use the actual users); overage = usage above it x the
  contract's rate.
- Lines with a zero quantity or a zero (rounded) charge are left out; for the partner channel,
  which shows quantities only, a line with a quantity stays even without a rate (a hardware
  shipment whose cost comes through the partner).
- Due date = invoice date + ``payment_terms_days``.
- Each line is ``quantity x rate`` computed exactly and rounded half up to the currency's minor
  unit (:func:`billing_model.core.money.line_amount`); totals add rounded lines. Fees exclude taxes.
- Partner channel: quantities only; ``rate`` and ``amount`` are empty (``None``).

Lines of one invoice are ordered by service start (a period's arrears come before the next
period's prepay), then by :data:`KINDS` order, then by license line and file order.

Excel twin: :mod:`billing_model.formulas.invoices` (invoice and due dates, the ramp, prepay,
overage and fair-use quantities, the partner rule, the first-year cost), tested against this
module in ``tests/test_formulas.py``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .allowances import per_user_allowance
from .contract import Charge, Scenario
from .money import line_amount, to_decimal
from .periods import BillingCalendar

COLUMNS: tuple[str, ...] = (
    "invoice_date",
    "due_date",
    "description",
    "timing",
    "service_start",
    "service_end",
    "quantity",
    "rate",
    "amount",
    "currency",
)

#: line kinds in the order they appear within one invoice and service start
KINDS: tuple[str, ...] = (
    "one-time",
    "hardware",
    "prepay",
    "ramp",
    "overage",
    "hourly",
    "month_to_month",
    "telephony",
    "ivr_minutes",
    "api_requests",
    "storage_gb",
)

#: descriptions of the fair-use overage lines (unit in the text)
FAIR_USE_LABELS: dict[str, str] = {
    "ivr_minutes": "Basic routing/IVR minutes above the fair-use allowance",
    "api_requests": "API requests above the fair-use allowance",
    "storage_gb": "Data storage GB above the fair-use allowance",
}
#: when each kind of line is invoiced (the FAQ's "in advance" / "in arrears")
TIMING: dict[str, str] = {
    "one-time": "one-time",
    "hardware": "one-time",
    "prepay": "advance",
    "ramp": "arrears",
    "overage": "arrears",
    "hourly": "arrears",
    "month_to_month": "arrears",
    "telephony": "arrears",
    "ivr_minutes": "arrears",
    "api_requests": "arrears",
    "storage_gb": "arrears",
}
#: a line of period k is on the invoice dated the first day of period k + this
INVOICE_OFFSET: dict[str, int] = {"advance": 0, "arrears": 1}


def invoice_period(kind: str, k: int) -> int:
    """Period whose first day dates the invoice of kind ``kind``'s line of period ``k``.

    >>> invoice_period("prepay", 3), invoice_period("overage", 3)
    (3, 4)
    """
    return k + INVOICE_OFFSET[TIMING[kind]]


def due_date(invoice_date: dt.date, payment_terms_days: int) -> dt.date:
    """Invoice date + the payment terms in days (net 30 by default)."""
    return invoice_date + dt.timedelta(days=payment_terms_days)


def user_quantities(
    users: ArrayLike,
    committed_users: int,
    ramp_months: int,
    term_end: int,
    ramp_policy: str,
    months_after_term: int = 0,
) -> dict[str, np.ndarray]:
    """Quantity of the ramp, prepay, overage, hourly and month-to-month user lines per period
    ``k = 0 .. len(users)-1``.

    Ramp periods (``k < ramp_months``) bill the actual users under ``actual-usage``, nothing
    under ``no-software-charges``; term periods (``ramp_months <= k < term_end``) bill the
    commitment in advance and the users above it in arrears; the ``months_after_term`` periods
    from ``term_end`` on bill the actual users month to month; later periods bill nothing.
    ``hourly``: an hourly line's quantity when ``users`` are its billable hours, every period
    before ``term_end`` that is not a ramp period under ``no-software-charges``
    (docs/rules.md#hourly-licensing).

    Examples
    --------
    One ramp month, two term months of 100 committed users, then one month to month:

    >>> q = user_quantities([40, 100, 112, 90, 80], 100, 1, 3, "actual-usage", 1)
    >>> q["ramp"].tolist(), q["prepay"].tolist(), q["overage"].tolist()
    ([40, 0, 0, 0, 0], [0, 100, 100, 0, 0], [0, 0, 12, 0, 0])
    >>> q["month_to_month"].tolist(), q["hourly"].tolist()
    ([0, 0, 0, 90, 0], [40, 100, 112, 0, 0])
    """
    users = np.asarray(users, dtype=np.int64)
    k = np.arange(users.size)
    live = k < term_end
    ramp, term = live & (k < ramp_months), live & (k >= ramp_months)
    after = (k >= term_end) & (k < term_end + months_after_term)
    return {
        "ramp": np.where(ramp & (ramp_policy == "actual-usage"), users, 0),
        "prepay": np.where(term, committed_users, 0),
        "overage": np.where(term, np.maximum(users - committed_users, 0), 0),
        "month_to_month": np.where(after, users, 0),
        "hourly": np.where(live & ((k >= ramp_months) | (ramp_policy == "actual-usage")), users, 0),
    }


def fair_use_overage(used: Decimal, allowance: float) -> Decimal:
    """Usage above the fair-use allowance, never negative."""
    return max(to_decimal(used) - to_decimal(float(allowance)), Decimal(0))


_RATE_KEYS = {
    "ivr_minutes": "ivr_overage_rate",
    "api_requests": "api_overage_rate",
    "storage_gb": "storage_overage_rate",
}


def _periods(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """First day of periods 0..n (n + 1 dates) and last day of periods 0..n-1, as dates."""
    cal = BillingCalendar(scenario.contract.order_date, scenario.contract.billing_timezone)
    first = cal.first_days(np.arange(scenario.periods + 1))
    return first.astype(object), (first[1:] - 1).astype(object)


def storage_usage(scenario: Scenario) -> tuple[Decimal, ...] | None:
    """Billed storage GB per period: measured ``storage_gb`` or the ``[storage]`` forecast's
    ``stored_gb`` (the storage engine's per-period peak, to whole MB)."""
    measured = scenario.usage("storage_gb")
    if measured is not None or scenario.storage is None:
        return measured
    from .storage import storage_forecast

    forecast = storage_forecast(
        scenario.storage,
        scenario.contract.order_date,
        scenario.periods,
        timezone=scenario.contract.billing_timezone,
    )
    return tuple(to_decimal(float(v)) for v in forecast["stored_gb"].to_numpy())


def fair_use_allowances(scenario: Scenario, feature: str) -> np.ndarray:
    """Allowance per period for one fair-use feature (float; units of the feature).

    ``sum over license lines of max(commitment, users[k]) x per-user allowance``; during the ramp
    and month to month after the term the commitment is 0 (no minimum commitment applies), so
    the actual users count.

    Examples
    --------
    100 committed PureCloud 2 named users, 104 active: how many IVR minutes are included?

    >>> from billing_model.service import scenario_from_mapping
    >>> s = scenario_from_mapping({"contract": {"order_date": "2026-01-15", "license": "pc2",
    ...     "committed_users": 100, "prepay_rate": 110, "term_months": 2},
    ...     "usage": {"users": [104, 90]}})
    >>> fair_use_allowances(s, "ivr_minutes").tolist()
    [260000.0, 250000.0]
    """
    ramp, end = scenario.contract.ramp_months, scenario.contract.term_end
    k = np.arange(scenario.periods)
    in_term = (k >= ramp) & (k < end)
    total = np.zeros(scenario.periods)
    for product in scenario.products:  # a loop over license lines
        users = scenario.users(product.license).astype(float)
        committed = np.where(in_term, float(product.committed_users), 0.0)
        per_user = per_user_allowance(product.license, product.license_model, feature)
        total += np.maximum(users, committed) * per_user
    return total


def _charges(scenario: Scenario) -> list[dict[str, Any]]:
    """Every charge before rounding: kind, period k (or None), invoice date, quantity, rate."""
    contract = scenario.contract
    n, ramp = scenario.periods, contract.ramp_months
    first, last = _periods(scenario)
    lines: list[dict[str, Any]] = []

    def add(
        kind: str, order: int, k: int, description: str, quantity: Decimal, rate: Decimal | None
    ) -> None:
        lines.append(
            {
                "kind": kind,
                "order": order,
                "period": k,
                "invoice_date": first[invoice_period(kind, k)],
                "timing": TIMING[kind],
                "description": description,
                "service_start": first[k],
                "service_end": last[k],
                "quantity": quantity,
                "rate": rate,
            }
        )

    # one-time fees on the order date, hardware when it ships
    # (docs/rules.md#one-time-fees-and-hardware)
    charges: list[tuple[str, int, Charge, dt.date | None]] = [
        ("one-time", i, item, contract.order_date) for i, item in enumerate(scenario.one_time)
    ]
    charges += [("hardware", i, item, item.ship_date) for i, item in enumerate(scenario.hardware)]
    for kind, i, item, when in charges:
        lines.append(
            {
                "kind": kind,
                "order": i,
                "period": None,
                "invoice_date": when,
                "timing": "one-time",
                "description": item.description,
                "service_start": when,
                "service_end": when,
                "quantity": item.quantity,
                "rate": item.rate,
            }
        )

    for j, product in enumerate(scenario.products):  # a loop over license lines and periods
        end = contract.term_end
        q = user_quantities(
            scenario.users(product.license),
            product.committed_users,
            ramp,
            end,
            contract.ramp_policy,
            contract.months_after_term,
        )
        label = product.label
        if product.hourly:  # docs/rules.md#hourly-licensing: no commitment, no prepay
            first_k = 0 if contract.ramp_policy == "actual-usage" else ramp
            for k in range(first_k, end):
                add(
                    "hourly",
                    j,
                    k,
                    f"{label}: billable hours (logged in, rounded up)",
                    Decimal(int(q["hourly"][k])),
                    product.hourly_rate,
                )
            for k in range(end, n):
                add(
                    "month_to_month",
                    j,
                    k,
                    f"{label}: billable hours, month to month",
                    Decimal(int(q["month_to_month"][k])),
                    product.month_to_month_rate,
                )
            continue
        if contract.ramp_policy == "actual-usage":
            for k in range(ramp):
                add(
                    "ramp",
                    j,
                    k,
                    f"{label} users, ramp (actual usage)",
                    Decimal(int(q["ramp"][k])),
                    product.prepay_rate,
                )
        for k in range(ramp, end):
            add(
                "prepay",
                j,
                k,
                f"{label} users, prepay (committed)",
                Decimal(int(q["prepay"][k])),
                product.prepay_rate,
            )
            add(
                "overage",
                j,
                k,
                f"{label} users above the commitment",
                Decimal(int(q["overage"][k])),
                product.overage_rate,
            )
        for k in range(end, n):  # docs/rules.md#month-to-month
            add(
                "month_to_month",
                j,
                k,
                f"{label} users, month to month (actual usage)",
                Decimal(int(q["month_to_month"][k])),
                product.month_to_month_rate,
            )

    telephony = scenario.usage("telephony") or ()
    for k, charge in enumerate(telephony):  # no charge, no line (even for a partner)
        add("telephony", 0, k, "Telephony", Decimal(1 if charge != 0 else 0), charge)

    for feature, label in FAIR_USE_LABELS.items():
        used = storage_usage(scenario) if feature == "storage_gb" else scenario.usage(feature)
        if used is None:
            continue
        allowance = fair_use_allowances(scenario, feature)
        rate = getattr(contract, _RATE_KEYS[feature])
        for k in range(n):
            add(
                feature,
                0,
                k,
                f"{label} ({float(allowance[k]):,.10g} included)",
                fair_use_overage(used[k], allowance[k]),
                rate,
            )
    return lines


def invoice_schedule(scenario: Scenario, *, keys: bool = False) -> pd.DataFrame:
    """Every invoice line of a scenario, ordered by invoice date.

    Parameters
    ----------
    scenario : Scenario
        From :func:`billing_model.io.scenario.load_scenario` or ``scenario_from_mapping``.
    keys : bool
        Also return ``kind`` (one of :data:`KINDS`), ``period`` (``k``, ``None`` for one-time
        and hardware) and ``order`` (license line or charge number): what identifies a line,
        for the workbook's values.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`: dates as ``datetime.date``; ``timing`` is ``advance``,
        ``arrears`` or ``one-time``; ``quantity`` float; ``rate`` and ``amount`` ``Decimal``
        (``None`` for the partner channel); ``currency`` the ISO code. Lines of one invoice are
        ordered by service start, then by :data:`KINDS`.

    Examples
    --------
    An order on January 15 with a one-month ramp: what does the second invoice hold?

    >>> from billing_model.service import scenario_from_mapping
    >>> s = scenario_from_mapping({"contract": {"order_date": "2026-01-15", "license": "pc2",
    ...     "committed_users": 100, "prepay_rate": 110, "ramp_months": 1, "term_months": 2},
    ...     "usage": {"users": [40, 100, 112]}})
    >>> lines = invoice_schedule(s)
    >>> print(lines[lines.invoice_date == dt.date(2026, 2, 15)][
    ...     ["timing", "service_start", "quantity", "rate", "amount"]].to_string(index=False))
     timing service_start  quantity rate   amount
    arrears    2026-01-15      40.0  110  4400.00
    advance    2026-02-15     100.0  110 11000.00
    """
    contract = scenario.contract
    raw = _charges(scenario)
    rows = []
    for line in raw:  # a loop over invoice lines (a few per period)
        quantity, rate = line["quantity"], line["rate"]
        if quantity == 0:
            continue
        amount = None
        if rate is not None:
            amount = line_amount(quantity, rate, contract.currency)
            if amount == 0 and not contract.partner:  # partner: the quantity is the line
                continue
        if contract.partner:
            rate = amount = None
        rows.append(
            {
                "invoice_date": line["invoice_date"],
                "due_date": due_date(line["invoice_date"], contract.payment_terms_days),
                "description": line["description"],
                "timing": line["timing"],
                "service_start": line["service_start"],
                "service_end": line["service_end"],
                "quantity": float(quantity),
                "rate": rate,
                "amount": amount,
                "currency": contract.currency,
                "kind": line["kind"],
                "period": line["period"],
                "order": line["order"],
                "_key": (
                    line["invoice_date"],
                    line["service_start"],
                    KINDS.index(line["kind"]),
                    line["order"],
                ),
            }
        )
    rows.sort(key=lambda r: r["_key"])
    extra = ["kind", "period", "order"] if keys else []
    frame = pd.DataFrame(rows, columns=[*COLUMNS, *extra, "_key"]).drop(columns="_key")
    frame["quantity"] = frame["quantity"].astype(float)
    for col in (
        "description",
        "timing",
        "currency",
        "rate",
        "amount",
        "invoice_date",
        "due_date",
        "service_start",
        "service_end",
        *extra,
    ):
        frame[col] = frame[col].astype(object)
    return frame.reset_index(drop=True)


def invoice_totals(schedule: pd.DataFrame) -> pd.DataFrame:
    """One row per invoice: ``invoice_date, due_date, lines, amount, currency``.

    ``amount`` adds the invoice's rounded lines exactly (``Decimal``; ``None`` when the schedule
    has no amounts, as for the partner channel).

    Examples
    --------
    Ten committed users at 99.99, twelve active in the second period:

    >>> from billing_model.service import schedule_from_values
    >>> s = schedule_from_values("2026-01-15", 10, 99.99, 0, 2, [10, 12])
    >>> print(invoice_totals(s)[["invoice_date", "lines", "amount"]].to_string(index=False))
    invoice_date  lines amount
      2026-01-15      1 999.90
      2026-02-15      1 999.90
      2026-03-15      1 199.98
    """
    rows = []
    for (invoice, due), group in schedule.groupby(["invoice_date", "due_date"], sort=True):
        amounts = [a for a in group["amount"] if a is not None and not pd.isna(a)]
        rows.append(
            {
                "invoice_date": invoice,
                "due_date": due,
                "lines": len(group),
                "amount": sum(amounts, Decimal(0)) if amounts else None,
                "currency": group["currency"].iloc[0],
            }
        )
    frame = pd.DataFrame(rows, columns=["invoice_date", "due_date", "lines", "amount", "currency"])
    frame["lines"] = frame["lines"].astype(np.int64)
    for col in ("invoice_date", "due_date", "amount", "currency"):
        frame[col] = frame[col].astype(object)
    return frame


def grand_total(schedule: pd.DataFrame) -> Decimal | None:
    """Sum of all rounded lines (``None`` without amounts)."""
    amounts = [a for a in schedule["amount"] if a is not None and not pd.isna(a)]
    return sum(amounts, Decimal(0)) if amounts else None


#: the "first year" of a contract: the invoices dated (or due) in this many months from the order
#: date, whatever the ramp (the Summary's ``FirstYearCost``, the Variants and the Quote sheets)
FIRST_YEAR_MONTHS = 12


def first_year_end(order_date: dt.date) -> dt.date:
    """The first day after the first year: the order date + 12 months, clamped like a period
    anchor (Jan 31 -> next Jan 31; Feb 29 -> Feb 28). Excel twin:
    :func:`billing_model.formulas.invoices.first_year_end`.

    >>> first_year_end(dt.date(2024, 2, 29))
    datetime.date(2025, 2, 28)
    """
    return BillingCalendar(order_date).first_day(FIRST_YEAR_MONTHS)


def invoiced_to_date(
    schedule: pd.DataFrame, by: str = "invoice_date"
) -> Callable[[dt.date], Decimal]:
    """A function ``day -> Decimal``: the amount of the lines dated (``by``: ``invoice_date``, or
    ``due_date`` for cash) before ``day``; lines without an amount (partner) count 0. The lines
    are sorted once, so a month-by-month table asks it many times cheaply. Excel twin:
    :func:`billing_model.formulas.invoices.invoiced_before`.

    >>> from billing_model.service import schedule_from_values
    >>> upto = invoiced_to_date(schedule_from_values("2026-01-15", 10, 99.99, 0, 2, [10, 12]))
    >>> upto(dt.date(2026, 1, 15)), upto(dt.date(2026, 2, 16)), upto(dt.date(2027, 1, 1))
    (Decimal('0'), Decimal('1999.80'), Decimal('2199.78'))
    """
    dated = sorted(
        (d, a)
        for d, a in zip(schedule[by], schedule["amount"], strict=True)
        if a is not None and not pd.isna(a)
    )
    days = [d for d, _a in dated]
    totals: list[Decimal] = list(itertools.accumulate((a for _d, a in dated), initial=Decimal(0)))
    return lambda day: totals[bisect.bisect_left(days, day)]


def first_year_cost(
    schedule: pd.DataFrame, order_date: dt.date, *, by: str = "invoice_date"
) -> Decimal:
    """First-year cost: the amounts invoiced before :func:`first_year_end` (``by="due_date"``:
    first-year cash, the amounts due in it). Excel twin:
    :func:`billing_model.formulas.invoices.first_year_cost`."""
    return invoiced_to_date(schedule, by)(first_year_end(order_date))


def contract_figures(scenario: Scenario) -> dict[str, Any]:
    """The headline figures of a scenario from its invoice schedule: ``lines`` (the schedule),
    ``first_year`` (:func:`first_year_cost`), ``first_year_due`` (first-year cash), ``total``
    (every amount of ramp + term, the arrears invoice after the term included)."""
    lines = invoice_schedule(scenario)
    order = scenario.contract.order_date
    total = grand_total(lines)
    return {
        "lines": lines,
        "first_year": first_year_cost(lines, order),
        "first_year_due": first_year_cost(lines, order, by="due_date"),
        "total": Decimal(0) if total is None else total,
    }
