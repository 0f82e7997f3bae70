"""The engines' figures for every row of the invoice grid, stored beside the formulas (``result=``).

The grid holds every period the Inputs accept (:func:`.context.grid_size`), more than the scenario
bills: rows past ramp + term compute quantity 0, yet their dates, descriptions and rates are
shown. Those come from :func:`grid_scenario`, the scenario stretched over the whole grid (its
series extended as the Usage sheet extends them); what is billed comes from the scenario itself
(:mod:`billing_model.core.invoices`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

import numpy as np

from ..core import invoices as ci
from ..core.contract import Scenario
from ..core.money import line_amount, to_decimal
from ..core.periods import BillingCalendar
from .context import Ctx, extend, given, num


def grid_scenario(ctx: Ctx) -> Scenario:
    """The scenario over ``ctx.periods`` periods: the periods after its term as months after
    it, every series extended."""
    s, n = ctx.scenario, ctx.periods
    orgs = []
    for org in s.orgs:  # a loop over orgs
        users = {}
        for lic in org.users:
            series = None
            hourly = any(p.hourly for p in s.products if p.license == lic)  # hours as given
            if ctx.sessions is not None and org.sessions is not None and not hourly:
                product = next(p for p in s.products if p.license == lic)
                column = (
                    "concurrent_users" if product.license_model == "concurrent" else "named_users"
                )
                series = ctx.sessions["series"].get((org.name, lic, column))
            if series is None:
                series = given(org, "users:" + lic)
            assert series is not None, "every license of org.users has a series"
            users[lic] = tuple(int(v) for v in extend(series, n))
        extra: dict[str, Any] = {
            key: None if getattr(org, key) is None else tuple(extend(given(org, key), n) or ())
            for key in ("telephony", "ivr_minutes", "api_requests", "storage_gb")
        }
        orgs.append(replace(org, users=users, **extra))
    # the grid's periods past the term as months after it: no commitment there, as the sheet's
    # allowance formulas (k >= TermEnd) have it
    contract = replace(s.contract, months_after_term=n - s.contract.term_end)
    return replace(s, contract=contract, orgs=tuple(orgs), storage=None, _variants=())


class GridValues:
    """Engine values of the invoice grid's cells, looked up by the sheet code per row."""

    def __init__(self, ctx: Ctx, storage_rate: object):
        s, self.n = ctx.scenario, ctx.scenario.periods
        self.contract = s.contract
        self.grid = grid_scenario(ctx)
        cal = BillingCalendar(s.contract.order_date, s.contract.billing_timezone)
        self.first = cal.first_days(np.arange(ctx.periods + 2)).astype(object)
        self.allowance = {key: ci.fair_use_allowances(self.grid, key) for key in ci.FAIR_USE_LABELS}
        used = {key: s.usage(key) for key in ("ivr_minutes", "api_requests")}
        used["storage_gb"] = ci.storage_usage(s)
        self.used = used
        self.telephony = self.grid.usage("telephony") or ()
        self.rates = {
            "ivr_minutes": self.contract.ivr_overage_rate or 0,
            "api_requests": self.contract.api_overage_rate or 0,
            "storage_gb": storage_rate,
        }
        # the engine's quantities of a product's lines over the whole grid, computed once per
        # license and commitment: the invoice grid asks for one period at a time (1,728 rows in
        # sales_quote, 2,160 in finance_ramp_study), and the whole array each time took ~0.05 s
        self._quantities: dict[tuple[str, int], dict[str, np.ndarray]] = {}
        # amounts by (quantity, rate), their types kept apart: most of the grid's rows repeat a
        # few pairs (0 users at a rate), and each amount is Decimal arithmetic (~15 µs)
        self._money: dict[tuple, tuple[object, object]] = {}

    def dates(self, kind: str, k: int) -> dict[int, dt.date]:
        """Columns 1, 2, 5, 6: invoice date, due date, service start and end of period ``k``."""
        invoice = self.first[ci.invoice_period(kind, k)]
        return {
            1: invoice,
            2: ci.due_date(invoice, self.contract.payment_terms_days),
            5: self.first[k],
            6: self.first[k + 1] - dt.timedelta(days=1),
        }

    def users(self, product, kind: str, k: int) -> float:
        key = (product.license, product.committed_users)
        q = self._quantities.get(key)
        if q is None:
            q = self._quantities[key] = ci.user_quantities(
                self.grid.users(product.license),
                product.committed_users,
                self.contract.ramp_months,
                self.contract.term_end,
                self.contract.ramp_policy,
                self.contract.months_after_term,
            )
        return float(q[kind][k])

    def fair_use(self, key: str, k: int) -> tuple[str, float]:
        """Description text (as the sheet's TEXT formats show the allowance) and quantity."""
        allowance = float(self.allowance[key][k])
        shown = (
            f"{allowance:,.0f}"
            if allowance == int(allowance)
            else f"{allowance:,.3f}".rstrip("0").rstrip(".")
        )
        used = self.used[key]
        qty = (
            0.0
            if k >= self.n or used is None
            else round(float(ci.fair_use_overage(used[k], allowance)), 9)
        )
        return f"{ci.FAIR_USE_LABELS[key]} ({shown} included)", qty

    def money(self, quantity: float, rate: object) -> tuple[object, object]:
        """Rate and amount cells: ``""`` for the partner channel, as the sheet shows them."""
        if self.contract.partner:
            return "", ""
        if rate == "":  # the flagged empty storage rate: 0 while nothing needs it
            rate = 0
        key = (quantity.__class__, quantity, rate.__class__, rate)
        known = self._money.get(key)
        if known is not None:
            return known
        amount = line_amount(
            to_decimal(quantity) if isinstance(quantity, float) else Decimal(quantity),
            to_decimal(rate),
            self.contract.currency,
        )
        known = num(rate if isinstance(rate, Decimal) else to_decimal(rate)), num(amount)
        self._money[key] = known
        return known
