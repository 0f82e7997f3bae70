"""What every sheet module shares: number formats, the build context, small cell helpers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from ..core.contract import Scenario
from ..core.money import minor_units
from .layout import Book, Sheet

DATE = "yyyy-mm-dd"
INT = "#,##0"
GB = "#,##0.000"
NUM = "#,##0.00"
PCT = "0%"
BASIS = dt.datetime(2026, 1, 1)  # fixed workbook timestamps: builds are reproducible

FEATURES = (("storage_gb", "StorageGB", "storage GB"),
            ("ivr_minutes", "IvrMinutes", "basic routing/IVR minutes"),
            ("api_requests", "ApiRequests", "API requests"))


def money_format(currency: str) -> str:
    """Number format of amounts in ``currency`` (``#,##0.00 "EUR"``; JPY without decimals)."""
    decimals = minor_units(currency)
    return (f'#,##0.{"0" * decimals} "{currency}"' if decimals else f'#,##0 "{currency}"')


def rate_format(currency: str) -> str:
    return f'#,##0.00### "{currency}"'



@dataclass
class Ctx:
    scenario: Scenario
    book: Book
    money: str
    rate: str
    periods: int  # capacity of the per-period grids (the scenario's ramp + term)
    product_names: list[dict[str, str]] = field(default_factory=list)
    charge_names: list[dict[str, str]] = field(default_factory=list)
    usage_cols: dict[str, str] = field(default_factory=dict)  # series -> defined name
    sessions: dict | None = None



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

