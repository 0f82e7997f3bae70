"""Reading recalculated workbooks in tests: a defined name's value, dates and money as the
engines give them (shared by the workbook tests)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal


def named(wb, name: str):
    """The value of the cell a defined name points to (openpyxl, ``data_only``)."""
    sheet, cell = next(iter(wb.defined_names[name].destinations))
    return wb[sheet][cell.replace("$", "")].value


def as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def money(value) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
