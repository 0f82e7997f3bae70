"""Money: exact decimals, rounded half up per currency.

Source: ``docs/rules.md#currencies``: the accepted currencies are AUD, BRL, CAD, EUR,
GBP, JPY, NZD, USD; JPY has no minor unit, the others two decimals. Each invoice line is rounded
half up to the minor unit; totals add the rounded lines. Fees exclude all taxes.

Excel twin: :mod:`billing_model.formulas.money` (decimals looked up in the currency table the
workbook writes from :data:`CURRENCIES`), tested against this module in ``tests/test_formulas.py``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import BillingInputError
from .limits import LIMITS

#: decimals of each accepted currency's minor unit (ISO 4217)
CURRENCIES: dict[str, int] = {
    "AUD": 2,
    "BRL": 2,
    "CAD": 2,
    "EUR": 2,
    "GBP": 2,
    "JPY": 0,
    "NZD": 2,
    "USD": 2,
}

TAX_NOTE = "All amounts exclude taxes, levies and duties (billing FAQ)."

#: largest price, rate or charge the model takes (``core.limits.LIMITS["price"]``, with its reason)
MAX_PRICE: Decimal = LIMITS["price"].exact("maximum")


def check_currency(currency: object, *, where: str = "currency") -> str:
    """Return the upper-case ISO code, or raise naming what is accepted."""
    code = str(currency).strip().upper()
    if code not in CURRENCIES:
        raise BillingInputError(
            f"{where}: unknown currency {currency!r}; accepted: {', '.join(CURRENCIES)}"
        )
    return code


def minor_units(currency: str) -> int:
    """Decimals of the currency's minor unit: ``minor_units("JPY") == 0``."""
    return CURRENCIES[check_currency(currency)]


def to_decimal(value: object, *, where: str = "amount") -> Decimal:
    """Exact decimal of a number as the user wrote it (floats go through ``repr``: 171.115 stays
    171.115, not 171.11499999...)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise BillingInputError(f"{where}: expected a number, got {value!r}")
    try:
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise InvalidOperation
            return Decimal(repr(value))
        text = str(value).strip()
        if "_" in text:  # Python reads 1_000 as 1000; a price typed so is a typo, not a number
            raise InvalidOperation
        return Decimal(text)
    except (InvalidOperation, ValueError):
        raise BillingInputError(f"{where}: expected a number, got {value!r}") from None


def round_money(amount: object, currency: str) -> Decimal:
    """Round half up to the currency's minor unit.

    A zero is never negative (``-0.001`` is ``0.00``, not ``-0.00``), as Excel's ROUND gives it.

    >>> round_money("9411.325", "EUR"), round_money(1234.5, "JPY"), round_money("-0.001", "USD")
    (Decimal('9411.33'), Decimal('1235'), Decimal('0.00'))
    """
    places = minor_units(currency)
    quantum = Decimal(1).scaleb(-places)
    value = to_decimal(amount)
    try:
        rounded = value.quantize(quantum, rounding=ROUND_HALF_UP)
        return rounded if rounded else rounded.copy_abs()  # -0.00 printed on a line is 0.00
    except InvalidOperation:  # more digits than exact arithmetic holds: an absurd input
        raise BillingInputError(
            f"amount: {value:.3E} {currency} is too large to bill exactly; accepted: amounts "
            "below 10^25 (check the rates and quantities for a typo)"
        ) from None


def line_amount(quantity: object, rate: object, currency: str) -> Decimal:
    """One invoice line: quantity x rate computed exactly, rounded half up.

    >>> line_amount(55, 171.115, "EUR")
    Decimal('9411.33')
    """
    return round_money(
        to_decimal(quantity, where="quantity") * to_decimal(rate, where="rate"), currency
    )
