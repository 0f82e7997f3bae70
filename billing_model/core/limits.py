"""Limits and defaults of every numeric input, defined once, with the reason beside each.

The engines check their arguments against these rows (``periods.MIN_DATE`` and friends are
read from here), and the workbook formats its data validations from them
(:mod:`billing_model.workbook.inputs`), so the CLI, the UDFs and Excel accept the same values.
A limit is either a rule (a share is at most 1; the vendor keeps screen recordings a year) or a
guard against typos that would overflow the engines; ``source`` says which.

Examples
--------
What does the model accept as payment terms, and what is the default?

>>> LIMITS["payment_terms_days"].accepted(), LIMITS["payment_terms_days"].default
('a whole number from 0 to 365', 30)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

#: a row's bound: a count, a quantity, money or a date
Bound = int | float | Decimal | dt.date
#: what a typed accessor reads
Field = Literal["minimum", "maximum", "default"]


@dataclass(frozen=True)
class Limit:
    """One input's accepted range: ``kind`` is ``whole``, ``decimal`` or ``date``."""

    key: str
    kind: str
    minimum: Bound
    maximum: Bound
    default: object
    unit: str
    source: str

    def accepted(self) -> str:
        """What an error message says is accepted: ``a whole number from 0 to 365``."""
        if self.kind == "date":
            return f"a date from {self.minimum} to {self.maximum}"
        noun = "a whole number" if self.kind == "whole" else "a number"
        return f"{noun} from {_show(self.minimum)} to {_show(self.maximum)}"

    def capped(self, maximum: float | None) -> Bound:
        """``maximum`` (a narrower top, as a workbook grid's) if given, else this row's own."""
        if maximum is None:
            return self.maximum
        if isinstance(self.maximum, dt.date):
            raise TypeError(f"{self.key} is a date; a number cannot cap it")
        return min(self.maximum, maximum)

    # One row's bound or default as the type its kind holds, for the engines' typed constants
    # (``MAX_PERIODS: int = LIMITS["periods"].whole("maximum")``); a row of another kind is a
    # programming error, caught at import.

    def whole(self, field: Field) -> int:
        """``field`` of a whole-number row, an ``int``."""
        value = getattr(self, field)
        if self.kind != "whole" or isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{self.key}.{field} is {value!r}, not a whole number")
        return value

    def real(self, field: Field) -> float:
        """``field`` of a ``decimal`` row held as a float (a quantity, not money)."""
        value = getattr(self, field)
        if self.kind != "decimal" or not isinstance(value, float):
            raise TypeError(f"{self.key}.{field} is {value!r}, not a float")
        return value

    def exact(self, field: Field) -> Decimal:
        """``field`` of a ``decimal`` row held as a Decimal (money)."""
        value = getattr(self, field)
        if self.kind != "decimal" or not isinstance(value, Decimal):
            raise TypeError(f"{self.key}.{field} is {value!r}, not a Decimal")
        return value

    def day(self, field: Field) -> dt.date:
        """``field`` of a date row, a ``datetime.date``."""
        value = getattr(self, field)
        if self.kind != "date" or not isinstance(value, dt.date):
            raise TypeError(f"{self.key}.{field} is {value!r}, not a date")
        return value


def _show(value: object) -> str:
    if isinstance(value, Decimal | float) and value == int(value):
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


#: a guard, not a rule: no real price, rate or charge is near it, and a larger one's products
#: would pass the 28 digits of exact decimal arithmetic
_PRICE = Decimal(10) ** 12
_TYPO = "guard against typos (no real value is near it)"

_ROWS: tuple[Limit, ...] = (
    # --- calendar ---------------------------------------------------------------------------
    Limit(
        "order_date",
        "date",
        dt.date(1900, 1, 1),
        dt.date(2199, 12, 31),
        None,
        "date",
        "wide enough for any contract; every period and due date stays within the nanosecond "
        "timestamps the engines use (to 2262)",
    ),
    Limit(
        "periods",
        "whole",
        1,
        240,
        None,
        "billing periods",
        "ramp + term of one contract or forecast: 20 years, so that term_months = 1200000 is "
        "an error, not minutes of work and gigabytes",
    ),
    Limit("ramp_months", "whole", 0, 240, 0, "billing periods", "at most the periods limit"),
    Limit("term_months", "whole", 1, 240, None, "billing periods", "at most the periods limit"),
    Limit(
        "months_after_term",
        "whole",
        0,
        24,
        0,
        "billing periods",
        "periods billed month to month after the term without a renewal "
        "(docs/rules.md#month-to-month): two years, past which a quote would be a renewal",
    ),
    # --- the workbook's per-period grids (a workbook limit, never wider than the engine's) ----
    Limit(
        "grid_ramp_months",
        "whole",
        0,
        24,
        24,
        "billing periods",
        "the workbook's grids hold a ramp of up to 24 months (two years of onboarding)",
    ),
    Limit(
        "grid_term_months",
        "whole",
        1,
        60,
        60,
        "billing periods",
        "the workbook's grids hold a term of up to 60 months (five-year agreements)",
    ),
    Limit(
        "grid_months_after_term",
        "whole",
        0,
        24,
        24,
        "billing periods",
        "the workbook's grids hold every months_after_term accepted (0-24) after any ramp "
        "and term they hold",
    ),
    Limit(
        "grid_periods",
        "whole",
        1,
        108,
        108,
        "billing periods",
        "the workbook's per-period grids (usage, storage, invoices): the longest ramp + the "
        "longest term + the longest month to month the workbook accepts, 24 + 60 + 24; a "
        "scenario past it widens its grid",
    ),
    Limit(
        "payment_terms_days",
        "whole",
        0,
        365,
        30,
        "days",
        "net 30 (billing FAQ); longer than a year is a typo",
    ),
    # --- counts and money -------------------------------------------------------------------
    Limit(
        "count",
        "whole",
        0,
        1_000_000_000,
        None,
        "users",
        "users and other counts: " + _TYPO + "; past int64 sums would overflow",
    ),
    Limit(
        "price",
        "decimal",
        Decimal(0),
        _PRICE,
        None,
        "currency",
        "rates, charges and usage figures: " + _TYPO + "; beyond it exact decimal "
        "arithmetic runs out of digits",
    ),
    # --- storage forecast ---------------------------------------------------------------------
    Limit(
        "calls_per_month",
        "decimal",
        0.0,
        1e9,
        None,
        "calls",
        "a billion recorded calls a month: " + _TYPO + " (1e308 calls gave 'inf' GB)",
    ),
    Limit("avg_minutes", "decimal", 0.0, 1440.0, None, "minutes", "a call of a whole day"),
    Limit(
        "audio_mb_per_minute",
        "decimal",
        0.0,
        1000.0,
        64_000 * 60 / 8 / 1e6,
        "MB/minute",
        "default: assumption, the vendor publishes no size: 64 kbit/s (G.711 stored as is, or "
        "two 32 kbit/s Opus channels) x 60 s / 8 = 0.48 MB; at most 1,000 MB a minute "
        "(beyond 4K screen video)",
    ),
    Limit(
        "screen_mb_per_minute",
        "decimal",
        0.0,
        1000.0,
        500_000 * 60 / 8 / 1e6,
        "MB/minute",
        "default: assumption, the vendor publishes no size: 500 kbit/s video of one 1080p "
        "desktop at a low frame rate = 3.75 MB; at most 1,000 MB a minute",
    ),
    Limit("recorded_share", "decimal", 0.0, 1.0, 1.0, "share", "a share of calls"),
    Limit("screen_share", "decimal", 0.0, 1.0, 0.0, "share", "a share of calls"),
    Limit(
        "retention_days",
        "whole",
        0,
        36_500,
        None,
        "days",
        "100 years: beyond any contract, below integer overflow",
    ),
    Limit("archive_after_days", "whole", 0, 36_500, None, "days", "as retention_days"),
    Limit(
        "screen_retention_days",
        "whole",
        0,
        365,
        None,
        "days",
        "the vendor keeps screen recordings at most one year (docs/rules.md#retention)",
    ),
    # --- sessions and concurrency (used by their engines) --------------------------------------
    Limit(
        "min_minutes",
        "whole",
        1,
        31 * 24 * 60,
        30,
        "minutes",
        "the vendor's concurrent peak counts 30 minutes; at most a 31-day period",
    ),
    Limit(
        "session_days",
        "whole",
        0,
        366,
        None,
        "days",
        "longest session: a year (longer is a wrong year in the data)",
    ),
)

#: key -> :class:`Limit`; one row per numeric input
LIMITS: dict[str, Limit] = {row.key: row for row in _ROWS}

__all__ = ["LIMITS", "Limit"]
