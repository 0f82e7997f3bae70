"""The quote tests' scenario: sales_quote.toml as a mapping to change (shared by
``test_workbook_quote.py`` and ``test_workbook_quote_pdf.py``)."""

from __future__ import annotations

import tomllib
from decimal import Decimal

from billing_model.workbook import SCENARIOS_DIR


def quote_mapping(**contract) -> dict:
    """sales_quote.toml as a mapping with ``contract`` keys changed (telephony extended to
    the periods, as the workbook repeats its last value)."""
    with open(SCENARIOS_DIR / "sales_quote.toml", "rb") as f:
        data = tomllib.load(f, parse_float=Decimal)
    data["contract"].update(contract)
    data["usage"]["sessions"] = str(SCENARIOS_DIR / "sample_sessions.csv")
    periods = data["contract"].get("ramp_months", 0) + data["contract"]["term_months"]
    phone = data["usage"]["telephony"]
    data["usage"]["telephony"] = (phone + [phone[-1]] * periods)[: max(periods, len(phone))]
    return data


def amount(value: Decimal) -> str:
    """An amount as the quote prints it: thousands separated, two decimals."""
    return f"{value:,.2f}"


def printed_lines(lines) -> list[tuple[str, ...]]:
    """The appendix rows the quote prints for a schedule (``invoice_schedule``'s frame):
    invoice date, due date, service start and end, amount."""
    return [
        (
            r.invoice_date.isoformat(),
            r.due_date.isoformat(),
            r.service_start.isoformat(),
            r.service_end.isoformat(),
            amount(r.amount),
        )
        for r in lines.itertuples()
    ]
