"""Scenario files: the tables a customer reads, checked as the texts they become (split from
:mod:`billing_model.io.scenario`): ``[quote]`` (the customer, the title, the dates, the seller's
contact) and the charges of ``[[one_time]]`` and ``[[hardware]]`` (each a line of the
invoices and the quote)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..core import validate
from ..core.contract import Charge, Contract, Quote
from ..core.periods import anchor_dates
from .scenario_checks import Checker, bidi_problem

#: the keys of each table (unknown keys are errors: a typo is never ignored)
CHARGE_KEYS: tuple[str, ...] = ("description", "amount", "quantity", "rate")
HARDWARE_KEYS: tuple[str, ...] = (*CHARGE_KEYS, "ship_date")
QUOTE_KEYS: tuple[str, ...] = (
    "customer",
    "title",
    "valid_until",
    "seller",
    "contact",
    "email",
    "phone",
    "number",
    "issued",
)
#: longest customer name or quote title (a heading, not a document)
MAX_QUOTE_TEXT = 255
#: longest description of a charge: what one Excel cell holds (Microsoft, "Excel
#: specifications and limits"); refused here, naming the key, not later naming a cell
MAX_DESCRIPTION_TEXT = 32_767


def _excel_len(text: str) -> int:
    """``text``'s length as Excel counts it (UTF-16 units: an emoji is 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


#: default title of a quote without ``title``
QUOTE_TITLE = "Genesys Cloud subscription quote"
#: characters a spreadsheet cell cannot hold (control characters other than tab, newline, CR)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: an e-mail address as a quote shows it (one "@", a dot in the domain, no spaces)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def read_quote(c: Checker, t: Mapping[str, Any]) -> Quote:
    """``[quote]``: customer (required), title (default :data:`QUOTE_TITLE`), valid_until
    (required); seller, contact, email, phone, number and issued (optional)."""
    c.known(t, QUOTE_KEYS, "quote")

    def text(key: str, value: Any) -> str:
        where = f"quote.{key}"
        if key == "number" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # number = 1042 is the quote number "1042"
        if not isinstance(value, str) or not value.strip():
            c.fail(where, f"{validate.shown(value)} is not accepted; accepted: a non-empty text")
        bad = _CONTROL.search(value)
        if bad:
            c.fail(
                where,
                f"contains the control character U+{ord(bad.group()):04X} at "
                f"position {bad.start() + 1}; accepted: printable text (tab and newline "
                "allowed)",
            )
        if len(value) > MAX_QUOTE_TEXT:
            c.fail(where, f"{len(value):,} characters; accepted: at most {MAX_QUOTE_TEXT}")
        if problem := bidi_problem(value):
            c.fail(where, problem)
        return value.strip()

    customer = text("customer", c.required(t, "customer", "quote", "the customer's name"))
    title = text("title", t.get("title", QUOTE_TITLE))
    valid = c.date(c.required(t, "valid_until", "quote", "a date YYYY-MM-DD"), "quote.valid_until")
    optional = {
        key: text(key, t[key]) if key in t else ""
        for key in ("seller", "contact", "email", "phone", "number")
    }
    if optional["email"] and not _EMAIL.fullmatch(optional["email"]):
        c.fail(
            "quote.email",
            f"{optional['email']!r} is not accepted; accepted: an e-mail "
            "address such as sales@example.com",
        )
    issued = c.date(t["issued"], "quote.issued") if "issued" in t else None
    if issued is not None and issued > valid:
        c.fail(
            "quote.issued",
            f"{issued.isoformat()} is after valid_until "
            f"{valid.isoformat()}; accepted: a date on or before valid_until",
        )
    return Quote(customer=customer, title=title, valid_until=valid, issued=issued, **optional)


def read_charge(
    c: Checker, t: Mapping[str, Any], where: str, contract: Contract, *, hardware: bool
) -> Charge:
    """A ``[[one_time]]`` charge (``amount``, or ``quantity`` and ``rate``; a partner's rate
    may be left out) or, with ``hardware``, a ``[[hardware]]`` shipment (its ``ship_date``
    within the contract's billed days)."""
    c.known(t, HARDWARE_KEYS if hardware else CHARGE_KEYS, where)
    desc = str(c.required(t, "description", where, "a text")).strip()
    if _excel_len(desc) > MAX_DESCRIPTION_TEXT:  # as Excel counts: an emoji is 2
        c.fail(
            f"{where}.description",
            f"{_excel_len(desc):,} characters; accepted: at most "
            f"{MAX_DESCRIPTION_TEXT:,} (what one Excel cell holds)",
        )
    if problem := bidi_problem(desc):
        c.fail(f"{where}.description", problem)
    if "amount" in t:
        if "quantity" in t or "rate" in t:
            c.fail(
                f"{where}.amount",
                "given with quantity/rate; accepted: amount, or quantity and rate",
            )
        quantity, rate = Decimal(1), c.money(t["amount"], f"{where}.amount")
    else:
        if contract.partner and "rate" not in t:
            rate = Decimal(0)
        else:
            rate = c.money(
                c.required(t, "rate", where, "a number >= 0 (or give amount)"), f"{where}.rate"
            )
        quantity = c.money(t.get("quantity", 1), f"{where}.quantity")
    ship = None
    if hardware:
        ship = c.date(c.required(t, "ship_date", where, "a date YYYY-MM-DD"), f"{where}.ship_date")
        end = (anchor_dates(contract.order_date, [contract.periods])[0] - 1).astype(object)
        if ship < contract.order_date:
            c.fail(
                f"{where}.ship_date",
                f"{ship} is before the order date "
                f"{contract.order_date}; accepted: the order date or later",
            )
        if ship > end:  # 2099 for 2026: a typo that put an invoice decades after the contract
            c.fail(
                f"{where}.ship_date",
                f"{ship} is after the contract's last billed day {end}; "
                f"accepted: a date from {contract.order_date} to {end}",
            )
    return Charge(description=desc, quantity=quantity, rate=rate, ship_date=ship)


__all__ = ["QUOTE_TITLE", "read_charge", "read_quote"]
