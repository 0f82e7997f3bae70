"""The Sources sheet: the rule tables the formulas look up, the rules, the assumptions.

The tables are written from the engines' own tables, one row each, with a defined name per
column: currencies (``CurrencyCodes``, ``CurrencyDecimals`` from
:data:`billing_model.core.money.CURRENCIES`), fair use (``FairUseKey``, ``FairUseStorageGB``, ...
from :data:`billing_model.core.allowances.FAIR_USE`) and licenses (``LicenseKeys``,
``LicenseLabels`` from :data:`billing_model.core.licenses.LICENSES`). A new currency, tier or
allowance is a row in the engine's table and, through these writers, in every workbook.
``tests/test_formulas.py`` writes the same tables to check the formula twins.
"""

from __future__ import annotations

from ..core.allowances import FAIR_USE
from ..core.concurrency import DEFAULT_MIN_MINUTES
from ..core.licenses import BY_KEY, LICENSES
from ..core.limits import LIMITS
from ..core.money import CURRENCIES, TAX_NOTE
from ..core.schema import FIELDS
from ..formulas import allowances as fa
from ..formulas import licenses as fl
from ..formulas import money as fm
from .context import INT, Ctx, header, title
from .layout import Book, Sheet, Table


def fair_use_table(book: Book, sheet: Sheet, row: int) -> int:
    """The FairUse table from row ``row`` (its header); returns its last row."""
    header(
        sheet,
        row,
        1,
        ["Key (license|model)", "License", "Storage GB", "IVR minutes", "API requests", "Source"],
    )
    first = row + 1
    for (lic, model), (gb, ivr, api) in FAIR_USE.items():
        row += 1
        sheet.text(row, 1, f"{lic}|{model}")
        sheet.text(row, 2, f"{BY_KEY[lic].label} {model}")
        sheet.put(row, 3, gb, fmt="#,##0.00")
        sheet.put(row, 4, ivr, fmt=INT)
        sheet.put(row, 5, api, fmt=INT)
        sheet.text(
            row,
            6,
            "Vendor fair use policy; data storage usage and charges (docs/rules.md#allowances)",
            style="intro",
        )
    book.name(fa.KEY, sheet, first, 1, row, 1)
    for col, feature in ((3, "storage_gb"), (4, "ivr_minutes"), (5, "api_requests")):
        book.name(fa.COLUMNS[feature], sheet, first, col, row, col)
    sheet.tables.append(Table("FairUse", first - 1, 1, row, 6))
    return row


def license_table(book: Book, sheet: Sheet, row: int) -> int:
    """License keys and labels from row ``row`` (its header); returns the last row."""
    header(sheet, row, 1, ["License key", "Label"])
    for lic in LICENSES:
        row += 1
        sheet.text(row, 1, lic.key)
        sheet.text(row, 2, lic.label)
    book.name(fl.KEYS, sheet, row - len(LICENSES) + 1, 1, row, 1)
    book.name(fl.LABELS, sheet, row - len(LICENSES) + 1, 2, row, 2)
    return row


def currency_table(book: Book, sheet: Sheet, row: int) -> int:
    """Currency codes and their minor-unit decimals from row ``row`` (its header)."""
    header(sheet, row, 1, ["Currency", "Decimals"])
    for code, decimals in CURRENCIES.items():
        row += 1
        sheet.text(row, 1, code)
        sheet.put(row, 2, decimals, fmt="0")
    book.name(fm.CODES, sheet, row - len(CURRENCIES) + 1, 1, row, 1)
    book.name(fm.DECIMALS, sheet, row - len(CURRENCIES) + 1, 2, row, 2)
    return row


def sources_sheet(ctx: Ctx) -> Sheet:
    sheet = Sheet("Sources", tab_color="808080", landscape=False)
    title(
        sheet,
        "Sources and assumptions",
        "Rules and figures the formulas use, with where they come from.",
    )
    sheet.widths.update({1: 24, 2: 52, 3: 13, 4: 13, 5: 14, 6: 46})
    row = 4
    sheet.text(row, 1, "Fair-use allowances per billable user per month", style="subtitle")
    row += 1
    book = ctx.book
    row = fair_use_table(book, sheet, row)
    row += 1
    sheet.text(
        row,
        1,
        "Collaborate has no allowance; Communicate and Collaborate are always "
        "named. Allowances count max(commitment, actual users) per license line.",
        style="intro",
    )
    row += 2
    sheet.text(row, 1, "Rules", style="subtitle")
    rules = [
        (
            "Billing periods",
            "Monthly from the order date; an order on January 15 bills "
            "January 15 - February 14. Anchor days 29-31 clamp to the month's end and return.",
            "Billing FAQ; docs/rules.md#billing-periods",
        ),
        (
            "Prepay users",
            "Committed users are invoiced in advance at the start of each term period.",
            "Billing FAQ 'How do I know which service period...'",
        ),
        (
            "Overage, telephony, usage",
            "Users above the commitment, telephony and fair-use "
            "overages are invoiced in arrears, on the start of the next period.",
            "Billing FAQ",
        ),
        (
            "Telephony (voice report)",
            "A voice usage report's calls bill in the cycle holding "
            "their start: 07:00 UTC on a period's first day to 07:00 UTC on the next period's; "
            "cost = Total cost, else rate x duration rounded up to 6 s; each cycle rounded once.",
            "Vendor 'The Genesys Cloud Voice billing cycle'; docs/rules.md#voice-billing-cycle",
        ),
        (
            "Ramp",
            "actual-usage: ramp users billed on actual usage at contract rates; "
            "no-software-charges: none. The last ramp invoice also carries the first prepay.",
            "Billing FAQ; vendor's current FAQ (docs/rules.md#invoices)",
        ),
        (
            "One-time, hardware",
            "Enablement packages right after the order; hardware when it ships.",
            "Billing FAQ 'When are enablement service packages billed?'",
        ),
        (
            "Payment",
            f"Net {FIELDS['payment_terms_days'].default} days, by ACH/EFT, wire or check.",
            "Billing FAQ",
        ),
        (
            "Rounding",
            "Each line rounded half up to the currency's minor unit (the currency "
            "table below: JPY 0 decimals, others 2); totals add the rounded lines.",
            "docs/rules.md#invoices",
        ),
        (
            "Concurrent peak",
            "The highest user count reached for at least "
            f"{DEFAULT_MIN_MINUTES} minutes in total (not necessarily contiguous).",
            "Vendor 'Concurrent licensing model billing overview'",
        ),
        (
            "Storage",
            "Archived recordings do not count; screen recordings kept at most one "
            "year; data may stay for the term.",
            "Billing FAQ; docs/rules.md#retention",
        ),
        ("Taxes", TAX_NOTE, "Billing FAQ 'Does your pricing ... include applicable taxes?'"),
    ]
    row += 1
    header(sheet, row, 1, ["Rule", "What the model does", "", "", "", "Source"])
    for topic, text, source in rules:
        row += 1
        sheet.text(row, 1, topic, bold=True)
        sheet.text(row, 2, text, style="note")
        sheet.text(row, 6, source, style="note")
    row += 2
    sheet.text(row, 1, "Recording-size assumptions", style="subtitle")
    row += 1
    sheet.text(row, 1, "Audio")
    sheet.put(row, 3, LIMITS["audio_mb_per_minute"].default, fmt='0.000 "MB/min"')
    sheet.text(
        row,
        6,
        "64 kbit/s (G.711 stored as is, or two 32 kbit/s Opus channels): "
        "64,000 x 60 / 8 bytes. The vendor publishes no size.",
        style="note",
    )
    row += 1
    sheet.text(row, 1, "Screen")
    sheet.put(row, 3, LIMITS["screen_mb_per_minute"].default, fmt='0.000 "MB/min"')
    sheet.text(
        row,
        6,
        "500 kbit/s video of one 1080p desktop at a low frame rate. The vendor publishes no size.",
        style="note",
    )
    row += 2
    sheet.text(
        row,
        1,
        "Built by billing_model from "
        + (ctx.scenario.source.name if ctx.scenario.source else ctx.scenario.name)
        + ". Excel recalculates on open; LibreOffice computes the same values.",
        style="intro",
    )
    row += 2
    sheet.text(row, 1, "License labels", style="subtitle")
    row = license_table(book, sheet, row + 1)
    row += 2
    sheet.text(
        row,
        1,
        "Currencies: decimals of the minor unit (ISO 4217); each line is rounded half up to them",
        style="subtitle",
    )
    currency_table(book, sheet, row + 1)
    return sheet
