"""Excel twin of :mod:`billing_model.core.invoices`: which invoice bills what, in which quantity.

Each function names the engine rule it computes; the timing comes from the engine's own tables
(:data:`billing_model.core.invoices.TIMING`, :data:`~billing_model.core.invoices.INVOICE_OFFSET`),
so an arrears line is dated the start of the next period in both languages by one definition.
``k`` is the period: a literal ``int`` (the invoice grid's rows) or a formula.
"""

from __future__ import annotations

from ..core.invoices import FIRST_YEAR_MONTHS, INVOICE_OFFSET, TIMING
from .periods import period_start


def _plus(k: int | str, n: int) -> int | str:
    if isinstance(k, int):
        return k + n
    return k if n == 0 else f"{k}+{n}"


def invoice_date(kind: str, k: int | str, order_date: str = "OrderDate") -> str:
    """Date of the invoice that bills kind ``kind``'s line of period ``k`` (twin of
    :func:`billing_model.core.invoices.invoice_period`).

    >>> invoice_date("prepay", 2), invoice_date("overage", 2)
    ('EDATE(OrderDate,2)', 'EDATE(OrderDate,3)')
    """
    return period_start(str(_plus(k, INVOICE_OFFSET[TIMING[kind]])), order_date)


def due_date(invoice: str, payment_terms_days: str = "PaymentTermsDays") -> str:
    """Invoice date + payment terms (twin of :func:`billing_model.core.invoices.due_date`)."""
    return f"{invoice}+{payment_terms_days}"


def ramp_quantity(
    k: int | str,
    users: str,
    *,
    ramp_months: str = "RampMonths",
    term_end: str = "TermEnd",
    ramp_policy: str = "RampPolicy",
) -> str:
    """Users billed for ramp period ``k`` (``user_quantities(...)["ramp"]``)."""
    return f'IF(AND({k}<{ramp_months},{k}<{term_end},{ramp_policy}="actual-usage"),{users},0)'


def prepay_quantity(
    k: int | str, committed: str, *, ramp_months: str = "RampMonths", term_end: str = "TermEnd"
) -> str:
    """Committed users billed in advance for term period ``k``
    (``user_quantities(...)["prepay"]``); ``term_end``: ramp + term."""
    return f"IF(AND({k}>={ramp_months},{k}<{term_end}),{committed},0)"


def overage_quantity(
    k: int | str,
    users: str,
    committed: str,
    *,
    ramp_months: str = "RampMonths",
    term_end: str = "TermEnd",
) -> str:
    """Users above the commitment in term period ``k`` (``user_quantities(...)["overage"]``)."""
    return f"IF(AND({k}>={ramp_months},{k}<{term_end}),MAX({users}-{committed},0),0)"


def month_to_month_quantity(
    k: int | str, users: str, *, term_end: str = "TermEnd", periods: str = "Periods"
) -> str:
    """Users billed month to month in period ``k`` after the term
    (``user_quantities(...)["month_to_month"]``): the actual users from ``term_end`` (ramp +
    term) to ``periods`` (ramp + term + months after the term), docs/rules.md#month-to-month."""
    return f"IF(AND({k}>={term_end},{k}<{periods}),{users},0)"


def hourly_quantity(
    k: int | str,
    hours: str,
    *,
    ramp_months: str = "RampMonths",
    term_end: str = "TermEnd",
    ramp_policy: str = "RampPolicy",
) -> str:
    """Billable hours of an hourly line billed for period ``k`` (``user_quantities(...)
    ["hourly"]``): every period before ``term_end`` (ramp + term), ramp periods only under
    ``actual-usage``; no commitment (docs/rules.md#hourly-licensing)."""
    return f'IF(AND({k}<{term_end},OR({k}>={ramp_months},{ramp_policy}="actual-usage")),{hours},0)'


def telephony_quantity(k: int | str, charge: str, *, periods: str = "Periods") -> str:
    """1 when period ``k`` has a telephony charge (the engine's telephony line: quantity 1,
    the charge as the rate)."""
    return f"IF(AND({k}<{periods},{charge}<>0),1,0)"


def fair_use_overage(k: int | str, used: str, allowance: str, *, periods: str = "Periods") -> str:
    """Usage above the allowance in period ``k`` (twin of
    :func:`billing_model.core.invoices.fair_use_overage`); rounded to 9 decimals so float noise of
    the sheet's sums does not bill a line the engine's exact decimals leave out."""
    return f"IF({k}<{periods},ROUND(MAX({used}-{allowance},0),9),0)"


def required_rate(rate: str, quantity: str) -> str:
    """A rate the contract must give (storage overage outside USD): empty is ``#N/A`` once a
    quantity needs it, never a silent 0 (``load_scenario`` refuses the same scenario)."""
    return f'IF({rate}="",IF({quantity}>0,NA(),0),{rate})'


def partner_blank(value: str, channel: str = "Channel") -> str:
    """Empty for the partner channel, whose invoices show quantities but no rates or amounts
    (``invoice_schedule``'s partner rule)."""
    return f'IF({channel}="partner","",{value})'


def first_year_end(order_date: str = "OrderDate") -> str:
    """The first day after the first year (twin of
    :func:`billing_model.core.invoices.first_year_end`).

    >>> first_year_end("V1_OrderDate")
    'EDATE(V1_OrderDate,12)'
    """
    return period_start(FIRST_YEAR_MONTHS, order_date)


def invoiced_before(day: str, dates: str = "LineInvoiceDate", amounts: str = "LineAmount") -> str:
    """The amount of the lines dated before ``day`` (twin of
    :func:`billing_model.core.invoices.invoiced_to_date`; ``dates="LineDueDate"`` for cash)."""
    return f'SUMIF({dates},"<"&{day},{amounts})'


def first_year_cost(
    dates: str = "LineInvoiceDate", amounts: str = "LineAmount", order_date: str = "OrderDate"
) -> str:
    """First-year cost: invoiced before :func:`first_year_end` (twin of
    :func:`billing_model.core.invoices.first_year_cost`; ``dates="LineDueDate"`` for
    first-year cash).

    >>> first_year_cost()
    'SUMIF(LineInvoiceDate,"<"&EDATE(OrderDate,12),LineAmount)'
    """
    return invoiced_before(first_year_end(order_date), dates, amounts)
