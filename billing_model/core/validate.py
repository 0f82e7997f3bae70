"""One set of validators for user input, with one message template.

Every refusal is one line, ``<where>: <value> is not accepted; accepted: <what>`` (see
:func:`refuse`), and numeric limits come from :data:`billing_model.core.limits.LIMITS`, so the
scenario loader, the UDFs and the workbook's data validations accept the same values.

Examples
--------
>>> whole(45, "contract.payment_terms_days", "payment_terms_days")
45
>>> whole(400, "contract.payment_terms_days", "payment_terms_days")
Traceback (most recent call last):
...
billing_model.core.errors.BillingInputError: contract.payment_terms_days: 400 is not accepted; \
accepted: a whole number from 0 to 365
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from .errors import BillingInputError
from .limits import LIMITS, Limit

#: longest value a message shows: a list of 100,000 numbers or a 100,000-character text typed
#: where one value belongs was written out whole, a line of hundreds of kilobytes
MAX_SHOWN = 80


def shown(value: Any) -> str:
    """``value`` as a message shows it: text quoted, a Decimal as its digits (``1E+300``, not
    ``Decimal('1E+300')``: the user typed a number, not Python); cut after
    :data:`MAX_SHOWN` characters, saying how long it was.

    >>> shown(Decimal("-5")), shown("abc"), shown(2.5)
    ('-5', "'abc'", '2.5')
    >>> shown([1] * 1000)[-29:]
    '1, 1, 1... (3,000 characters)'
    >>> shown("x" * 300)[-26:]  # text: quoted to its cut, and its own length
    "xxxxx...' (300 characters)"
    """
    text = str(value) if isinstance(value, Decimal) else repr(value)
    if len(text) <= MAX_SHOWN:
        return text
    if isinstance(value, str):
        head = repr(value[: MAX_SHOWN - 5])
        return f"{head[:-1]}...{head[-1]} ({len(value):,} characters)"
    return f"{text[: MAX_SHOWN - 3]}... ({len(text):,} characters)"


def refuse(where: str, value: Any, accepted: str) -> NoReturn:
    """Raise the one message template: ``{where}: {value} is not accepted; accepted: ...``."""
    raise BillingInputError(f"{where}: {shown(value)} is not accepted; accepted: {accepted}")


def _finite(value: int | float | Decimal) -> bool:
    if isinstance(value, Decimal):
        return value.is_finite()
    return value == value and abs(value) != float("inf")


def _bounds(key: str, minimum: int | None, maximum: int | None) -> tuple[Any, Any]:
    limit: Limit = LIMITS[key]
    return (
        limit.minimum if minimum is None else minimum,
        limit.maximum if maximum is None else maximum,
    )


def _range(noun: str, low: Any, high: Any) -> str:
    show = Limit("", "", low, high, None, "", "").accepted()  # formats numbers as LIMITS does
    return show.replace("a whole number", noun, 1).replace("a number", noun, 1)


def whole(
    value: Any,
    where: str,
    key: str = "count",
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """A whole number within ``LIMITS[key]`` (``minimum``/``maximum`` narrow it)."""
    low, high = _bounds(key, minimum, maximum)
    ok = not isinstance(value, bool) and isinstance(value, int | Decimal | float)
    if ok and not isinstance(value, int):
        ok = _finite(value) and int(value) == value
    if not ok or not low <= value <= high:
        refuse(where, value, _range("a whole number", low, high))
    return int(value)


def number(value: Any, where: str, key: str = "price") -> Decimal:
    """An exact decimal within ``LIMITS[key]`` (money, rates, usage figures); floats keep the
    digits they print with (``0.1`` is ``Decimal('0.1')``)."""
    low, high = _bounds(key, None, None)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        refuse(where, value, _range("a number", low, high))
    try:
        exact = (
            value
            if isinstance(value, Decimal)
            else Decimal(str(value) if isinstance(value, int) else repr(value))
        )
    except (InvalidOperation, ValueError):
        refuse(where, value, _range("a number", low, high))
    if not exact.is_finite() or not low <= exact <= high:
        refuse(where, value, _range("a number", low, high))
    return exact


_ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")


def iso_date(text: str, *, time: bool = False) -> dt.date | None:
    """The date of ``YYYY-MM-DD`` text (with ``time``: optionally followed by ``T`` or a space
    and a time, which is dropped), or ``None``. Python's ``fromisoformat`` also reads the basic
    form ``20260301`` and week dates ``2026-W09-7``: a typo of a digit then reads as another
    date, so only the extended form is accepted.

    >>> iso_date("2026-03-01"), iso_date("20260301"), iso_date("2026-W09-7")
    (datetime.date(2026, 3, 1), None, None)
    """
    text = text.strip()
    if not _ISO_DATE.match(text):
        return None
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        if time and text[10] in "T ":
            return dt.datetime.fromisoformat(text).date()
    except ValueError:
        pass
    return None


def date(value: Any, where: str, key: str = "order_date") -> dt.date:
    """A ``datetime.date`` (or ``YYYY-MM-DD`` text) within ``LIMITS[key]``."""
    low, high = _bounds(key, None, None)
    accepted = f"a date YYYY-MM-DD from {low} to {high}"
    parsed = None
    if isinstance(value, dt.datetime):
        parsed = value.date()
    elif isinstance(value, dt.date):
        parsed = value
    elif isinstance(value, str):
        parsed = iso_date(value)
    if parsed is None or not low <= parsed <= high:
        refuse(where, value if not isinstance(value, dt.date) else str(value), accepted)
    return parsed


def choice(value: Any, where: str, accepted: Sequence[str]) -> str:
    """One of ``accepted`` (case and surrounding spaces ignored), returned as written there."""
    text = value.strip().lower() if isinstance(value, str) else None
    if text is None or text not in accepted:
        refuse(where, value, ", ".join(accepted))
    return text


__all__ = ["choice", "date", "iso_date", "number", "refuse", "whole"]
