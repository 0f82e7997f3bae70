"""Excel twin of :mod:`billing_model.core.money`: currency decimals and half-up rounding.

The decimals are looked up in the currency table (``CurrencyCodes``, ``CurrencyDecimals`` on
the Sources sheet, written from :data:`billing_model.core.money.CURRENCIES`): a new currency is a
row there, not an ``IF`` here. Excel's and LibreOffice's ``ROUND`` round half away from zero,
as ``ROUND_HALF_UP`` does.
"""

from __future__ import annotations

#: defined names of the currency table's columns
CODES, DECIMALS = "CurrencyCodes", "CurrencyDecimals"


def minor_units(currency: str = "Currency") -> str:
    """Decimals of the currency's minor unit (twin of :func:`billing_model.core.money.minor_units`).

    >>> minor_units()
    'INDEX(CurrencyDecimals,MATCH(Currency,CurrencyCodes,0))'
    """
    return f"INDEX({DECIMALS},MATCH({currency},{CODES},0))"


def round_money(amount: str, decimals: str = "MoneyDecimals") -> str:
    """Half up to the minor unit (twin of :func:`billing_model.core.money.round_money`).

    >>> round_money("B4*C4")
    'ROUND(B4*C4,MoneyDecimals)'
    """
    return f"ROUND({amount},{decimals})"


def line_amount(quantity: str, rate: str, decimals: str = "MoneyDecimals") -> str:
    """quantity x rate rounded half up (twin of :func:`billing_model.core.money.line_amount`)."""
    return round_money(f"{quantity}*{rate}", decimals)
