"""What every sheet module shares: number formats, the build context, small cell helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar, overload

from ..core.contract import Scenario
from ..core.limits import LIMITS
from ..core.money import minor_units
from .layout import Book, Sheet

T = TypeVar("T")

DATE = "yyyy-mm-dd"
INT = "#,##0"
GB = "#,##0.000"
NUM = "#,##0.00"
PCT = "0%"
BASIS = dt.datetime(2026, 1, 1)  # fixed workbook timestamps: builds are reproducible

FEATURES = (
    ("storage_gb", "StorageGB", "storage GB"),
    ("ivr_minutes", "IvrMinutes", "basic routing/IVR minutes"),
    ("api_requests", "ApiRequests", "API requests"),
)


def money_format(currency: str) -> str:
    """Number format of amounts in ``currency`` (``#,##0.00 "EUR"``; JPY without decimals)."""
    decimals = minor_units(currency)
    return f'#,##0.{"0" * decimals} "{currency}"' if decimals else f'#,##0 "{currency}"'


def rate_format(currency: str) -> str:
    return f'#,##0.00### "{currency}"'


class Figures:
    """The engines' headline figures of a scenario (:func:`~billing_model.core.invoices.
    contract_figures`), computed once per scenario of a build: the amount check, the Summary and
    the Variants sheet each asked for them (finance_ramp_study: 11 invoice schedules of its 5
    scenarios, ~0.04 s more than 5). Kept by identity, with the scenario (so its id stays its
    own); the figures are read, never changed."""

    def __init__(self) -> None:
        self._known: dict[int, tuple[Scenario, dict]] = {}

    def __call__(self, scenario: Scenario) -> dict:
        known = self._known.get(id(scenario))
        if known is None:
            from ..core.invoices import contract_figures

            known = self._known[id(scenario)] = (scenario, contract_figures(scenario))
        return known[1]


@dataclass
class Ctx:
    scenario: Scenario
    book: Book
    money: str
    rate: str
    periods: int  # capacity of the per-period grids (:func:`grid_size`), not the scenario's
    ramp_max: int = 0  # the largest RampMonths the Inputs accept (the grid's ramp)
    term_max: int = 0  # the largest TermMonths the Inputs accept (the grid's term)
    after_max: int = 0  # the largest MonthsAfterTerm the Inputs accept
    product_names: list[dict[str, str]] = field(default_factory=list)
    charge_names: list[dict[str, str]] = field(default_factory=list)
    usage_cols: dict[str, str] = field(default_factory=dict)  # series -> defined name
    sessions: dict | None = None
    figures: Figures = field(default_factory=Figures)


def num(value):
    """Decimals become floats in cells (Excel has no decimal type); ints stay ints."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def title(sheet: Sheet, title: str, subtitle: str | None = None) -> None:
    sheet.text(1, 1, title, style="title")
    if subtitle:
        sheet.text(2, 1, subtitle, style="intro")


def header(sheet: Sheet, row: int, col: int, labels: list[str]) -> None:
    for i, label in enumerate(labels):
        sheet.text(row, col + i, label, style="header")


def edate(date: dt.date, months: int) -> dt.date:
    from ..core.periods import anchor_dates

    return anchor_dates(date, [months])[0].astype(object)


def grid_size(scenario: Scenario) -> tuple[int, int, int]:
    """``(ramp_max, term_max, periods)`` of the workbook's per-period grids.

    At least the grid rows of :data:`~billing_model.core.limits.LIMITS` (ramp 0-24, term 1-60,
    month to month 0-24 after it: 108 periods), wider when the scenario itself is longer, never
    past the engine's ``periods`` limit (a scenario near it leaves fewer months after the term
    than :func:`after_max`); ``periods - ramp_max - term_max`` is the largest
    ``MonthsAfterTerm`` the Inputs accept, so every ramp, term and month to month they accept
    fits.

    >>> from billing_model.service import scenario_from_mapping
    >>> s = scenario_from_mapping({"contract": {"order_date": "2026-01-15", "license": "pc2",
    ...     "committed_users": 1, "prepay_rate": 1, "term_months": 12},
    ...     "usage": {"users": [1] * 12}})
    >>> grid_size(s)
    (24, 60, 108)
    """
    c = scenario.contract
    limit = LIMITS["periods"].whole("maximum")
    engine = limit - c.months_after_term  # the scenario's own months after the term fit
    term_max = max(LIMITS["grid_term_months"].whole("maximum"), c.term_months)
    ramp_max = max(
        c.ramp_months, min(LIMITS["grid_ramp_months"].whole("maximum"), engine - term_max)
    )
    term_max = min(term_max, engine - ramp_max)
    after = min(after_max(scenario), limit - ramp_max - term_max)
    return ramp_max, term_max, ramp_max + term_max + after


def after_max(scenario: Scenario) -> int:
    """The largest ``MonthsAfterTerm`` the workbook accepts: every value the contract accepts
    (0-24), after any ramp and term the grids hold."""
    return max(
        LIMITS["grid_months_after_term"].whole("maximum"), scenario.contract.months_after_term
    )


@overload
def extend(values: None, n: int) -> None: ...
@overload
def extend(values: Iterable[T], n: int) -> list[T]: ...
@overload
def extend(values: Iterable[T] | None, n: int) -> list[T] | None: ...
def extend(values: Iterable[T] | None, n: int) -> list[T] | None:
    """``values`` over ``n`` periods: the periods past them repeat the last value (an
    assumption the Usage sheet states; the engine would need the same list in the scenario)."""
    if values is None:
        return None
    given = list(values)
    if not given:
        return given
    return (given + [given[-1]] * n)[:n]


def given(org, key: str) -> list | None:
    """Every value the scenario file gives for one org's series ``key`` (``users:<license>``,
    ``telephony``, a fair-use key), also those past ramp + term; else the series the engines
    use (session counts, defaults). ``None`` when the org has no such series."""
    if key in org.given:
        return list(org.given[key])
    values = org.users.get(key[6:]) if key.startswith("users:") else getattr(org, key)
    return None if values is None else list(values)


def given_total(scenario: Scenario, key: str, n: int) -> list | None:
    """The orgs' series ``key`` over ``n`` periods (each as the file gives it, extended by its
    last value), summed per period; ``None`` when no org gives it."""
    parts = [extend(values, n) for org in scenario.orgs if (values := given(org, key)) is not None]
    if not parts:
        return None
    return [sum(values, Decimal(0)) for values in zip(*parts, strict=True)]
