"""Scenario -> workbook layout: the live Excel model of a contract.

:func:`build_layout` turns a :class:`~billing_model.scenario.Scenario` into a plain
:class:`~billing_model.workbook.layout.Book`; :func:`build_workbook` writes it (and optionally
recalculates it in LibreOffice so viewers that do not calculate show numbers).

Sheets: **Summary** (first-year cost, total contract value, named vs concurrent, storage),
**Inputs** (every scenario value as a named input cell), **Invoices** (a fixed grid of invoice
lines, one row per possible charge and period, whose quantities, rates and amounts are formulas
over the inputs and the per-period usage; lines that do not apply compute 0 and are greyed),
**Usage** (users and usage per period, allowances, the concurrency profile when sessions are
given), **Storage** (the daily storage model as formulas), **Variants** (the scenario's variants
side by side, computed by the Python engine) and **Sources** (rules, figures, assumptions).

The formulas use only functions Excel 2010+ and LibreOffice 7.4 both compute: arithmetic, IF,
AND, MAX, MIN, SUM, SUMIF(S), SUMPRODUCT, INDEX, MATCH, IFERROR, ROUND, EDATE, DATE.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from openpyxl.utils import get_column_letter

from ..allowances import FAIR_USE
from ..errors import BillingInputError
from ..licenses import BY_KEY, LICENSE_KEYS, LICENSES
from ..money import CURRENCIES, TAX_NOTE
from ..scenario import CHANNELS, RAMP_POLICIES, Scenario
from .layout import Book, Chart, Highlight, Series, Sheet, Table, Validation, a1, ref
from .writer import write_book

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
    decimals = CURRENCIES.get(currency, 2)
    return (f'#,##0.{"0" * decimals} "{currency}"' if decimals else f'#,##0 "{currency}"')


def rate_format(currency: str) -> str:
    return f'#,##0.00### "{currency}"'


@dataclass
class _Ctx:
    scenario: Scenario
    book: Book
    money: str
    rate: str
    periods: int  # capacity of the per-period grids (the scenario's ramp + term)
    product_names: list[dict[str, str]] = field(default_factory=list)
    charge_names: list[dict[str, str]] = field(default_factory=list)
    usage_cols: dict[str, str] = field(default_factory=dict)  # series -> defined name
    sessions: dict | None = None


# ----------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------
def build_layout(scenario: Scenario, *, variants: list | None = None) -> Book:
    """The workbook for ``scenario`` as plain data (see :mod:`billing_model.workbook.layout`).

    Parameters
    ----------
    scenario : the contract and its usage (:func:`billing_model.scenario.load_scenario`).
    variants : ``[(name, Scenario), ...]`` to compare on a Variants sheet; default
        ``scenario.variants()`` when it has more than the base.

    Examples
    --------
    >>> from billing_model.scenario import scenario_from_mapping
    >>> s = scenario_from_mapping({"contract": {"order_date": "2026-01-15", "license": "pc2",
    ...     "committed_users": 100, "prepay_rate": 110, "term_months": 12},
    ...     "usage": {"users": [100] * 12}}, name="quote")
    >>> book = build_layout(s)
    >>> [sheet.name for sheet in book.sheets]
    ['Summary', 'Inputs', 'Invoices', 'Cash flow', 'Usage', 'Storage', 'Sources']
    >>> book.names["CommittedUsers"]
    'Inputs!$B$11'
    """
    currency = scenario.contract.currency
    book = Book(sheets=[], title=f"Billing model: {scenario.name}",
                subject="Genesys Cloud (PureCloud) subscription billing", created=BASIS)
    ctx = _Ctx(scenario=scenario, book=book, money=money_format(currency),
               rate=rate_format(currency), periods=scenario.periods)
    ctx.sessions = _session_data(scenario)
    summary = book.add_sheet("Summary", tab_color="1F4E79")
    _inputs(ctx, book.add_sheet("Inputs", tab_color="FFC000"))
    invoices = book.add_sheet("Invoices", tab_color="70AD47")
    cash = book.add_sheet("Cash flow", tab_color="70AD47", landscape=False)
    usage = book.add_sheet("Usage", tab_color="5B9BD5")
    storage = book.add_sheet("Storage", tab_color="A5A5A5")
    sources = _sources(ctx)  # its allowance table's names are used by the usage formulas
    _usage(ctx, usage)
    _storage(ctx, storage)
    _invoices(ctx, invoices)
    _invoice_totals(ctx, cash)
    if variants is None:
        variants = scenario.variants() if len(scenario.variants()) > 1 else []
    if variants:
        _variants(ctx, book.add_sheet("Variants", tab_color="7030A0"), variants)
    book.sheets.append(sources)
    _summary(ctx, summary, bool(variants))
    return book


def build_workbook(scenario: Scenario, target: str | os.PathLike, *,
                   recalc: bool = False) -> Path:
    """Build the workbook of ``scenario`` into ``target`` (written to a temp name, renamed).

    ``recalc=True`` also recalculates it in LibreOffice headless, so the file carries computed
    values for viewers that do not calculate (Excel recalculates on open either way).
    """
    target = Path(target)
    if target.suffix.lower() != ".xlsx":
        raise BillingInputError(f"{target}: the output must be an .xlsx file")
    layout = build_layout(scenario)
    if not recalc:
        write_book(layout, target)
        return target
    from ..output import atomic_path
    from ..recalc import recalculate
    with atomic_path(target) as tmp:  # the user's file stays until LibreOffice has succeeded
        write_book(layout, tmp)
        recalculate(tmp)
    return target


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def _num(value):
    """Decimals become floats in cells (Excel has no decimal type); ints stay ints."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _title(sheet: Sheet, title: str, subtitle: str | None = None) -> None:
    sheet.text(1, 1, title, style="title")
    if subtitle:
        sheet.text(2, 1, subtitle, style="intro")


def _header(sheet: Sheet, row: int, col: int, labels: list[str]) -> None:
    for i, label in enumerate(labels):
        sheet.text(row, col + i, label, style="header")


# ----------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------
class _InputWriter:
    def __init__(self, ctx: _Ctx, sheet: Sheet, row: int):
        self.ctx, self.sheet, self.row = ctx, sheet, row

    def section(self, title: str) -> None:
        self.row += 1
        self.sheet.text(self.row, 1, title, style="subtitle")
        self.row += 1

    def add(self, name: str | None, label: str, value, *, fmt: str | None = None,
            unit: str = "", note: str = "", options: tuple[str, ...] | None = None,
            kind: str | None = None, minimum: float | None = None,
            maximum: float | None = None, text: bool = False, calc: bool = False) -> str:
        sheet, row = self.sheet, self.row
        sheet.text(row, 1, label, style="label")
        if calc:
            sheet.put(row, 2, value, style="calc", fmt=fmt)
        elif text or isinstance(value, str) and not str(value).startswith("="):
            sheet.text(row, 2, value, style="input", comment=note or None)
        else:
            sheet.put(row, 2, _num(value), style="input", fmt=fmt, comment=note or None)
        sheet.text(row, 3, unit, style="intro")
        sheet.text(row, 4, note, style="note")
        cell = a1(row, 2, absolute=False)
        if options:
            sheet.validations.append(Validation(cell, options=options, prompt=note,
                                                error="Pick a value from the list."))
        elif kind:
            sheet.validations.append(Validation(cell, kind=kind, minimum=minimum,
                                                maximum=maximum, prompt=note,
                                                error=f"Accepted: {kind} from {minimum} to "
                                                      f"{maximum}."))
        self.row += 1
        if name:
            self.ctx.book.name(name, sheet, row, 2)
        return name or ref(sheet, row, 2)


BIG = 1e12


def _inputs(ctx: _Ctx, sheet: Sheet) -> None:
    s, c = ctx.scenario, ctx.scenario.contract
    cur = c.currency
    _title(sheet, "Inputs",
           "Yellow cells are inputs: change them and every sheet recalculates. Defined names "
           "(Formulas > Name Manager) make the formulas readable.")
    sheet.widths.update({1: 34, 2: 22, 3: 22, 4: 90})
    w = _InputWriter(ctx, sheet, 3)
    _header(sheet, w.row, 1, ["Input", "Value", "Unit", "Note (and source)"])
    w.row += 1
    w.section("Contract")
    w.add("OrderDate", "Order date", c.order_date, fmt=DATE, unit="date",
          note="Contract effective date: period k starts on this day k months later (days 29-31 "
               "clamp to the month's end). RULES.md 'Billing periods'.",
          kind="date", minimum=None, maximum=None)
    # date validations need bounds: replace the last one with a plain date range
    sheet.validations[-1] = Validation(a1(w.row - 1, 2, absolute=False), kind="date",
                                       minimum=36526, maximum=73051,
                                       prompt="A date from 2000 to 2099")
    w.add("Currency", "Currency", cur, options=tuple(CURRENCIES), unit="ISO code",
          note="AUD BRL CAD EUR GBP JPY NZD USD (billing FAQ). JPY lines round to whole yen, the "
               "others to cents. Number formats show the scenario's currency.")
    w.add("BillingTimezone", "Billing time zone", c.billing_timezone, unit="IANA zone",
          note="Periods run from local midnight of the anchor day (FAQ: 'EST'). Used when "
               "sessions are counted; the formulas here work in whole days.", text=True)
    w.add("LicenseModel", "License model", c.license_model, options=("named", "concurrent"),
          note="named: everyone who logged in; concurrent: the billable peak (PureCloud 1-3 "
               "only). RULES.md 'Who is billable'." + (
              " With sessions, switching it picks the other user count on the Usage sheet."
              if ctx.sessions else ""))
    w.add("License", "License", c.license, options=LICENSE_KEYS, unit="license key",
          note="pc1/pc2/pc3 = PureCloud 1-3 (CX 1-3), communicate, collaborate. Decides the "
               "fair-use allowances (Sources sheet).")
    w.add("CommittedUsers", "Committed users", c.committed_users, fmt=INT, unit="users",
          kind="whole", minimum=0, maximum=BIG,
          note="Prepay quantity, invoiced in advance at the start of each term period.")
    w.add("PrepayRate", "Prepay rate", c.prepay_rate or 0, fmt=ctx.rate, unit="per user-month",
          kind="decimal", minimum=0, maximum=BIG, note="Contract rate per committed user per "
          "month; ramp actuals are billed at it too (FAQ: 'at the rates contracted').")
    w.add("OverageRate", "Overage rate", c.overage_rate or 0, fmt=ctx.rate,
          unit="per user-month", kind="decimal", minimum=0, maximum=BIG,
          note="Per user above the commitment, invoiced in arrears (defaults to the prepay "
               "rate).")
    w.add("RampMonths", "Ramp months", c.ramp_months, fmt=INT, unit="periods", kind="whole",
          minimum=0, maximum=ctx.periods - 1,
          note=f"Ramp periods before the term. Ramp + term may not exceed the {ctx.periods} "
               "periods of usage this workbook was built with.")
    w.add("RampPolicy", "Ramp policy", c.ramp_policy, options=RAMP_POLICIES,
          note="actual-usage: users billed on actual usage at the contract rate (the FAQ); "
               "no-software-charges: no user charges during the ramp (the vendor's current "
               "FAQ). RULES.md 'Invoices'.")
    w.add("TermMonths", "Term months", c.term_months, fmt=INT, unit="periods", kind="whole",
          minimum=1, maximum=ctx.periods, note="Subscription term; it begins right after the "
          "ramp. After it the contract runs month to month at published rates (not modelled).")
    w.add("PaymentTermsDays", "Payment terms", c.payment_terms_days, fmt=INT, unit="days",
          kind="whole", minimum=0, maximum=3650,
          note="Due date = invoice date + these days (net 30, billing FAQ).")
    w.add("Channel", "Channel", c.channel, options=CHANNELS,
          note="partner: bought through a partner, whose billing report shows usage but no cost "
               "(FAQ): amounts are 0 here.")
    w.add("IvrOverageRate", "IVR overage rate", c.ivr_overage_rate or 0, fmt=ctx.rate,
          unit="per minute", kind="decimal", minimum=0, maximum=BIG,
          note="Per basic routing/IVR minute above the fair-use allowance; contract-specific, "
               "no published default (RULES.md).")
    w.add("ApiOverageRate", "API overage rate", c.api_overage_rate or 0, fmt=ctx.rate,
          unit="per request", kind="decimal", minimum=0, maximum=BIG,
          note="Per API request above the fair-use allowance; contract-specific, no published "
               "default (RULES.md).")
    w.add("StorageOverageRate", "Storage overage rate", c.storage_overage_rate or 0,
          fmt=ctx.rate, unit="per GB-month", kind="decimal", minimum=0, maximum=BIG,
          note="Per GB-month of storage above the allowance; published example 0.25 USD/GB "
               "(RULES.md 'Fair use allowances').")
    w.add("MoneyDecimals", "Money decimals", '=IF(Currency="JPY",0,2)', fmt="0",
          unit="calculated", note="Decimals each line is rounded to, half up (JPY none).",
          calc=True)
    w.add("Periods", "Ramp + term", "=RampMonths+TermMonths", fmt=INT, unit="calculated",
          note="Billed periods.", calc=True)
    w.add("GridOK", "Grid covers ramp + term", f"=IF(Periods<={ctx.periods},\"yes\",\"NO: "
          f"rebuild with billing-model build (usage covers {ctx.periods} periods)\")",
          unit="check", note="The usage, storage and invoice grids hold "
          f"{ctx.periods} periods.", calc=True)

    w.section("License lines")
    for i, p in enumerate(s.products):
        n = "" if i == 0 else f"_{i + 1}"
        if i == 0:
            ctx.product_names.append({"license": "License", "model": "LicenseModel",
                                      "committed": "CommittedUsers", "prepay": "PrepayRate",
                                      "overage": "OverageRate", "label": BY_KEY[p.license].label})
            continue
        names = {"license": "License" + n, "model": "LicenseModel" + n,
                 "committed": "CommittedUsers" + n, "prepay": "PrepayRate" + n,
                 "overage": "OverageRate" + n, "label": BY_KEY[p.license].label}
        w.add(names["license"], f"License line {i + 1}: license", p.license,
              options=LICENSE_KEYS, note="A further license line of the contract.")
        w.add(names["model"], f"License line {i + 1}: model", p.license_model,
              options=("named", "concurrent"),
              note="Communicate and Collaborate are always named.")
        w.add(names["committed"], f"License line {i + 1}: committed users", p.committed_users,
              fmt=INT, kind="whole", minimum=0, maximum=BIG, unit="users",
              note="Prepay quantity of this line.")
        w.add(names["prepay"], f"License line {i + 1}: prepay rate", p.prepay_rate or 0,
              fmt=ctx.rate, kind="decimal", minimum=0, maximum=BIG, unit="per user-month",
              note="Rate per committed user per month.")
        w.add(names["overage"], f"License line {i + 1}: overage rate", p.overage_rate or 0,
              fmt=ctx.rate, kind="decimal", minimum=0, maximum=BIG, unit="per user-month",
              note="Rate per user above the commitment.")
        ctx.product_names.append(names)
    if len(s.products) == 1:
        sheet.text(w.row, 1, "The contract's license line is above (License, CommittedUsers, "
                   "PrepayRate, OverageRate).", style="intro")
        w.row += 1

    _storage_inputs(ctx, w)

    w.section("One-time charges and hardware")
    if not s.one_time and not s.hardware:
        sheet.text(w.row, 1, "None in this scenario.", style="intro")
        w.row += 1
    for charge in (*s.one_time, *s.hardware):
        hw = charge.ship_date is not None
        kind = "Hardware" if hw else "One-time"
        k = len(ctx.charge_names) + 1
        names = {"description": f"ChargeText_{k}", "quantity": f"ChargeQty_{k}",
                 "rate": f"ChargeRate_{k}", "date": f"ChargeDate_{k}", "hardware": hw}
        w.add(names["description"], f"{kind} {k}: description", charge.description, text=True,
              note="Invoice line text.")
        w.add(names["quantity"], f"{kind} {k}: quantity", charge.quantity, fmt=NUM,
              kind="decimal", minimum=0, maximum=BIG, note="Quantity.")
        w.add(names["rate"], f"{kind} {k}: rate", charge.rate, fmt=ctx.rate, kind="decimal",
              minimum=0, maximum=BIG, unit=cur, note="Price per unit.")
        if hw:
            w.add(names["date"], f"{kind} {k}: ship date", charge.ship_date, fmt=DATE,
                  unit="date", note="Hardware is invoiced when it ships (billing FAQ).")
        else:
            w.add(names["date"], f"{kind} {k}: invoice date", "=OrderDate", fmt=DATE,
                  unit="calculated", calc=True,
                  note="Enablement packages are invoiced right after the order (billing FAQ).")
        ctx.charge_names.append(names)


def _storage_inputs(ctx: _Ctx, w: _InputWriter) -> None:
    from ..storage import (
        DEFAULT_AUDIO_MB_PER_MINUTE,
        DEFAULT_SCREEN_MB_PER_MINUTE,
        MAX_SCREEN_RETENTION_DAYS,
    )
    st = ctx.scenario.storage
    w.section("Storage forecast" + ("" if st is not None else " (what-if: the scenario has no "
                                    "[storage] table)"))
    calls = 0 if st is None else st.calls_per_month
    per_period = isinstance(calls, tuple)
    w.add("CallsPerMonth", "Calls per month", calls[0] if per_period else calls, fmt=INT,
          unit="calls", kind="decimal", minimum=0, maximum=BIG,
          note=("Recorded-call volume per period. The scenario gives one value per period: "
                "edit them in the Storage sheet's 'calls' column (this is the first)."
                if per_period else "Recorded-call volume per billing period."))
    w.add("AvgMinutes", "Average call minutes", 0 if st is None else st.avg_minutes, fmt=NUM,
          unit="minutes", kind="decimal", minimum=0, maximum=BIG, note="Average call duration.")
    w.add("RetentionDays", "Retention", 0 if st is None else st.retention_days, fmt=INT,
          unit="days", kind="whole", minimum=0, maximum=100000,
          note="Days a call's audio is kept, the day of the call included. Data may stay for the "
               "term of the agreement (FAQ).")
    w.add("RecordedShare", "Recorded share", 1 if st is None else st.recorded_share, fmt=PCT,
          unit="share", kind="decimal", minimum=0, maximum=1, note="Share of calls recorded.")
    w.add("AudioMBPerMinute", "Audio MB per minute",
          DEFAULT_AUDIO_MB_PER_MINUTE if st is None else st.audio_mb_per_minute, fmt="0.000",
          unit="MB/minute", kind="decimal", minimum=0, maximum=BIG,
          note="Assumption (no published size): 64 kbit/s, G.711 as stored = 0.48 MB/minute. "
               "Override with your measured size.")
    w.add("ScreenShare", "Screen-recorded share", 0 if st is None else st.screen_share, fmt=PCT,
          unit="share", kind="decimal", minimum=0, maximum=1,
          note="Share of calls with a screen recording.")
    w.add("ScreenMBPerMinute", "Screen MB per minute",
          DEFAULT_SCREEN_MB_PER_MINUTE if st is None else st.screen_mb_per_minute, fmt="0.000",
          unit="MB/minute", kind="decimal", minimum=0, maximum=BIG,
          note="Assumption (no published size): 500 kbit/s video of one desktop = 3.75 "
               "MB/minute.")
    screen_days = None if st is None else st.screen_retention_days
    w.add("ScreenRetentionDays", "Screen retention", "" if screen_days is None else screen_days,
          fmt=INT, unit="days (blank = as audio)", kind="whole", minimum=0,
          maximum=MAX_SCREEN_RETENTION_DAYS,
          note="Screen recordings can be kept at most one year (RULES.md 'Storage'); blank keeps "
               "them as long as the audio.")
    archive = None if st is None else st.archive_after_days
    w.add("ArchiveAfterDays", "Archive after", "" if archive is None else archive, fmt=INT,
          unit="days (blank = never)", kind="whole", minimum=0, maximum=100000,
          note="Archived recordings do not count against the allowance (FAQ).")
    w.add("AudioGBPerCall", "Audio GB per call",
          "=RecordedShare*AvgMinutes*AudioMBPerMinute/1000", fmt="0.000000", unit="calculated",
          note="recorded share x minutes x MB/minute / 1000 (GB = 1000 MB).", calc=True)
    w.add("ScreenGBPerCall", "Screen GB per call",
          "=ScreenShare*AvgMinutes*ScreenMBPerMinute/1000", fmt="0.000000", unit="calculated",
          note="screen share x minutes x MB/minute / 1000.", calc=True)
    w.add("AudioLifeDays", "Audio counted for",
          '=IF(ArchiveAfterDays="",RetentionDays,MIN(RetentionDays,ArchiveAfterDays))',
          fmt=INT, unit="days", note="Retention, or until archived.", calc=True)
    w.add("ScreenLifeDays", "Screen counted for",
          '=IF(ArchiveAfterDays="",IF(ScreenRetentionDays="",RetentionDays,ScreenRetentionDays),'
          'MIN(IF(ScreenRetentionDays="",RetentionDays,ScreenRetentionDays),ArchiveAfterDays))',
          fmt=INT, unit="days", note="Screen retention (or audio's), or until archived.",
          calc=True)
    w.add("StorageBilled", "Storage forecast billed", "yes" if st is not None else "no",
          options=("yes", "no"),
          note="yes: the forecast's billed storage is the storage usage the invoices bill; no: "
               "the measured storage_gb of the Usage sheet (if any) is billed.")


# ----------------------------------------------------------------------------------------------
# Sources (built early: its allowance table is referenced by formulas)
# ----------------------------------------------------------------------------------------------
def _sources(ctx: _Ctx) -> Sheet:
    from ..storage import DEFAULT_AUDIO_MB_PER_MINUTE, DEFAULT_SCREEN_MB_PER_MINUTE
    sheet = Sheet("Sources", tab_color="808080", landscape=False)
    _title(sheet, "Sources and assumptions",
           "Rules and figures the formulas use, with where they come from.")
    sheet.widths.update({1: 24, 2: 52, 3: 13, 4: 13, 5: 14, 6: 46})
    row = 4
    sheet.text(row, 1, "Fair-use allowances per billable user per month", style="subtitle")
    row += 1
    _header(sheet, row, 1, ["Key (license|model)", "License", "Storage GB", "IVR minutes",
                            "API requests", "Source"])
    first = row + 1
    for (lic, model), (gb, ivr, api) in FAIR_USE.items():
        row += 1
        sheet.text(row, 1, f"{lic}|{model}")
        sheet.text(row, 2, f"{BY_KEY[lic].label} {model}")
        sheet.put(row, 3, gb, fmt="#,##0.00")
        sheet.put(row, 4, ivr, fmt=INT)
        sheet.put(row, 5, api, fmt=INT)
        sheet.text(row, 6, "Vendor fair use policy; data storage usage and charges (RULES.md)",
                   style="intro")
    last = row
    book = ctx.book
    book.name("FairUseKey", sheet, first, 1, last, 1)
    book.name("FairUseStorageGB", sheet, first, 3, last, 3)
    book.name("FairUseIvrMinutes", sheet, first, 4, last, 4)
    book.name("FairUseApiRequests", sheet, first, 5, last, 5)
    sheet.tables.append(Table("FairUse", first - 1, 1, last, 6))
    row += 1
    sheet.text(row, 1, "Collaborate has no allowance; Communicate and Collaborate are always "
               "named. Allowances count max(commitment, actual users) per license line.",
               style="intro")
    row += 2
    sheet.text(row, 1, "Rules", style="subtitle")
    rules = [
        ("Billing periods", "Monthly from the order date; an order on January 15 bills "
         "January 15 - February 14. Anchor days 29-31 clamp to the month's end and return.",
         "Billing FAQ; RULES.md 'Billing periods'"),
        ("Prepay users", "Committed users are invoiced in advance at the start of each term "
         "period.", "Billing FAQ 'How do I know which service period...'"),
        ("Overage, telephony, usage", "Users above the commitment, telephony and fair-use "
         "overages are invoiced in arrears, on the start of the next period.", "Billing FAQ"),
        ("Ramp", "actual-usage: ramp users billed on actual usage at contract rates; "
         "no-software-charges: none. The last ramp invoice also carries the first prepay.",
         "Billing FAQ; vendor's current FAQ (RULES.md 'Invoices')"),
        ("One-time, hardware", "Enablement packages right after the order; hardware when it "
         "ships.", "Billing FAQ 'When are enablement service packages billed?'"),
        ("Payment", "Net 30 days, by ACH/EFT, wire or check.", "Billing FAQ"),
        ("Rounding", "Each line rounded half up to the currency's minor unit (JPY 0 "
         "decimals, others 2); totals add the rounded lines.", "RULES.md 'Invoices'"),
        ("Concurrent peak", "The highest user count reached for at least 30 minutes in total "
         "(not necessarily contiguous).", "Vendor 'Concurrent licensing model billing "
         "overview'"),
        ("Storage", "Archived recordings do not count; screen recordings kept at most one "
         "year; data may stay for the term.", "Billing FAQ; RULES.md 'Storage'"),
        ("Taxes", TAX_NOTE, "Billing FAQ 'Does your pricing ... include applicable taxes?'"),
    ]
    row += 1
    _header(sheet, row, 1, ["Rule", "What the model does", "", "", "", "Source"])
    for topic, text, source in rules:
        row += 1
        sheet.text(row, 1, topic, bold=True)
        sheet.text(row, 2, text, style="note")
        sheet.text(row, 6, source, style="note")
    row += 2
    sheet.text(row, 1, "Recording-size assumptions", style="subtitle")
    row += 1
    sheet.text(row, 1, "Audio")
    sheet.put(row, 3, DEFAULT_AUDIO_MB_PER_MINUTE, fmt="0.000 \"MB/min\"")
    sheet.text(row, 6, "64 kbit/s (G.711 stored as is, or two 32 kbit/s Opus channels): "
               "64,000 x 60 / 8 bytes. The vendor publishes no size.", style="note")
    row += 1
    sheet.text(row, 1, "Screen")
    sheet.put(row, 3, DEFAULT_SCREEN_MB_PER_MINUTE, fmt="0.000 \"MB/min\"")
    sheet.text(row, 6, "500 kbit/s video of one 1080p desktop at a low frame rate. The vendor "
               "publishes no size.", style="note")
    row += 2
    sheet.text(row, 1, "Built by billing_model from " + (
        ctx.scenario.source.name if ctx.scenario.source else ctx.scenario.name) +
        ". Excel recalculates on open; LibreOffice computes the same values.", style="intro")
    row += 2
    sheet.text(row, 1, "License labels", style="subtitle")
    row += 1
    _header(sheet, row, 1, ["License key", "Label"])
    for lic in LICENSES:
        row += 1
        sheet.text(row, 1, lic.key)
        sheet.text(row, 2, lic.label)
    book.name("LicenseKeys", sheet, row - len(LICENSES) + 1, 1, row, 1)
    book.name("LicenseLabels", sheet, row - len(LICENSES) + 1, 2, row, 2)
    return sheet


# ----------------------------------------------------------------------------------------------
# Usage
# ----------------------------------------------------------------------------------------------
def _session_data(scenario: Scenario) -> dict | None:
    """Named and concurrent users per period and license from the scenario's session file(s),
    and a concurrency profile of the busiest period (for the chart)."""
    sources = [org.sessions for org in scenario.orgs if org.sessions is not None]
    if not sources:
        return None
    from ..iotools import read_sessions
    from ..periods import BillingCalendar
    from ..usage import concurrency_profile
    c = scenario.contract
    source = sources[0]
    usage = source.usage(c)
    n = scenario.periods
    usage = usage[(usage["period"] >= 0) & (usage["period"] < n)]
    last_k = int(usage["period"].max()) if len(usage) else -1
    series = {(str(org), str(lic), column): source.per_period(sub, n, column, last_k)
              for (org, lic), sub in usage.groupby(["org", "license"])  # orgs and licenses
              for column in ("named_users", "concurrent_users")}
    pool = usage[usage["license"].map(lambda k: BY_KEY[k].concurrent)]
    by_period = pool.groupby("period")["peak_concurrent"].sum()
    busiest = int(by_period.idxmax()) if len(by_period) else 0
    cal = BillingCalendar(c.order_date, c.billing_timezone)
    start, end = (int(v) for v in cal.bounds_ns(busiest, busiest + 1))
    sessions = read_sessions(source.path, license=c.license,
                             input_timezone=source.input_timezone)
    profile = concurrency_profile(sessions, start, end, step_minutes=15, pool_only=True)
    return {"usage": usage, "busiest": busiest, "profile": profile, "path": source.path,
            "peak": int(by_period.get(busiest, 0)), "source": source, "series": series}


def _usage(ctx: _Ctx, sheet: Sheet) -> None:
    s, book, P = ctx.scenario, ctx.book, ctx.periods
    _title(sheet, "Usage per billing period",
           "Billable users per org and license (inputs: edit them to try other volumes), "
           "usage, and the fair-use allowances the formulas compute from them.")
    head = 4
    first = head + 1
    last = head + P
    cols = ["Period k", "Period start", "Period end"]
    sheet.widths.update({1: 9, 2: 12, 3: 12})
    for i in range(P):
        r = first + i
        sheet.put(r, 1, i, fmt="0")
        sheet.put(r, 2, f"=EDATE(OrderDate,{a1(r, 1)})", fmt=DATE)
        sheet.put(r, 3, f"=EDATE(OrderDate,{a1(r, 1)}+1)-1", fmt=DATE)
    book.name("PeriodK", sheet, first, 1, last, 1)
    book.name("PeriodStart", sheet, first, 2, last, 2)
    col = 4
    licenses = [p.license for p in s.products]
    org_cols: dict[str, list[int]] = {lic: [] for lic in licenses}
    sess = ctx.sessions
    for org in s.orgs:
        for lic in licenses:
            if lic not in org.users:
                continue
            label = f"{org.name} {lic} users"
            cols.append(label)
            values = org.users[lic]
            named = conc = None
            if sess is not None and org.sessions is not None:
                named = sess["series"].get((org.name, lic, "named_users"))
                conc = sess["series"].get((org.name, lic, "concurrent_users"))
            for i in range(P):
                if named is not None and BY_KEY[lic].concurrent:
                    # the session file gives both counts: the License model input picks one
                    n_col, c_col = col + 1, col + 2
                    sheet.put(first + i, col, f'=IF({_model_name(ctx, lic)}="concurrent",'
                              f"{a1(first + i, c_col)},{a1(first + i, n_col)})", fmt=INT)
                    sheet.put(first + i, n_col, int(named[i]), style="input", fmt=INT)
                    sheet.put(first + i, c_col, int(conc[i]), style="input", fmt=INT)
                else:
                    sheet.put(first + i, col, int(values[i]), style="input", fmt=INT)
            org_cols[lic].append(col)
            sheet.widths[col] = 14
            col += 1
            if named is not None and BY_KEY[lic].concurrent:
                cols += [f"{org.name} {lic} named (sessions)",
                         f"{org.name} {lic} concurrent (sessions)"]
                sheet.widths[col] = sheet.widths[col + 1] = 14
                col += 2
    for _j, lic in enumerate(licenses):
        name = "Users_" + lic
        cols.append(f"Billable {lic} users (all orgs)")
        for i in range(P):
            parts = "+".join(a1(first + i, cc) for cc in org_cols[lic]) or "0"
            sheet.put(first + i, col, f"={parts}", fmt=INT, style="calc")
        book.name(name, sheet, first, col, last, col)
        ctx.usage_cols["users:" + lic] = name
        sheet.widths[col] = 14
        col += 1
    series = [("telephony", "Telephony", "Telephony charges", ctx.money)]
    for key, short, label in FEATURES:
        series.append((key, short + "Used", "Used " + label, GB if key == "storage_gb" else INT))
    for key, name, label, fmt in series:
        cols.append(label)
        values = s.usage(key)
        for i in range(P):
            if key == "storage_gb":
                measured = 0 if values is None else _num(values[i])
                sheet.put(first + i, col, f'=IF(StorageBilled="yes",INDEX(StorageBilledGB,'
                          f'{a1(first + i, 1)}+1),{measured})', fmt=fmt)
            else:
                sheet.put(first + i, col, 0 if values is None else _num(values[i]),
                          style="input", fmt=fmt)
        book.name(name, sheet, first, col, last, col)
        ctx.usage_cols[key] = name
        sheet.widths[col] = 14
        col += 1
    for key, short, label in FEATURES:
        cols.append("Allowance " + label)
        table = "FairUse" + short
        for i in range(P):
            r = first + i
            terms = []
            for p, names in zip(s.products, ctx.product_names, strict=True):
                users = f"INDEX({ctx.usage_cols['users:' + p.license]},{a1(r, 1)}+1)"
                committed = f"IF({a1(r, 1)}<RampMonths,0,{names['committed']})"
                terms.append(f"MAX({committed},{users})*{_per_user(names, table)}")
            sheet.put(r, col, "=" + "+".join(terms), fmt=GB if key == "storage_gb" else INT)
        book.name("Allowance" + short, sheet, first, col, last, col)
        ctx.usage_cols["allowance:" + key] = "Allowance" + short
        sheet.widths[col] = 14
        col += 1
    _header(sheet, head, 1, cols)
    sheet.freeze = a1(first, 4, absolute=False)
    sheet.tables.append(Table("UsageByPeriod", head, 1, last, col - 1))
    bottom = last
    if sess is not None:
        bottom = _profile(ctx, sheet, last + 3, col + 1)
    sheet.print_area = f"A1:{get_column_letter(col - 1)}{bottom}"


def _model_name(ctx: _Ctx, lic: str) -> str:
    for p, names in zip(ctx.scenario.products, ctx.product_names, strict=True):
        if p.license == lic:
            return names["model"]
    return "LicenseModel"


def _per_user(names: dict[str, str], table: str) -> str:
    """Per-user allowance of a license line: its (license, model) row, else the named row
    (Communicate is always named), else 0 (Collaborate)."""
    lic, model = names["license"], names["model"]
    return (f'IFERROR(INDEX({table},MATCH({lic}&"|"&{model},FairUseKey,0)),'
            f'IFERROR(INDEX({table},MATCH({lic}&"|named",FairUseKey,0)),0))')


def _profile(ctx: _Ctx, sheet: Sheet, row: int, col: int) -> int:
    """The concurrency profile: data from column ``col``, the chart below the table at ``row``.
    Returns the last row the chart covers."""
    sess = ctx.sessions
    tz = ctx.scenario.contract.billing_timezone
    profile = sess["profile"]
    k = sess["busiest"]
    source = sess["source"]
    reached = "in total" if source.peak_rule == "cumulative" else "in a row"
    sheet.text(row, 1, f"Concurrency profile of period {k}, the busiest: PureCloud 1-3 users "
               "logged in (the most in any minute of each 15 minutes) and the billable peak "
               f"({source.peak_rule} rule: reached for {source.min_minutes} minutes {reached}).",
               style="subtitle")
    head = 4
    _header(sheet, head, col, [f"Time ({tz})", "Users logged in", "Billable peak"])
    sheet.widths.update({col: 17, col + 1: 10, col + 2: 10})
    first = head + 1
    times = profile["time"].dt.tz_convert(tz).dt.tz_localize(None)
    for i, (t, users) in enumerate(zip(times, profile["users"], strict=True)):
        sheet.put(first + i, col, t.to_pydatetime(), fmt="yyyy-mm-dd hh:mm")
        sheet.put(first + i, col + 1, int(users), fmt=INT)
        sheet.put(first + i, col + 2, sess["peak"], fmt=INT)
    last = first + len(profile) - 1
    sheet.charts.append(Chart(
        "line", f"Users logged in, period {k}, and the billable peak (sum of the orgs' peaks)",
        a1(row + 1, 1, absolute=False),
        [Series("Users logged in", ref(sheet, first, col + 1, last),
                ref(sheet, first, col, last), color="5B9BD5"),
         Series("Billable peak", ref(sheet, first, col + 2, last),
                ref(sheet, first, col, last), color="C00000", dash=True)],
        y_title="users", width_cm=32, height_cm=11, x_number_format="mm-dd"))
    return row + 24


# ----------------------------------------------------------------------------------------------
# Storage
# ----------------------------------------------------------------------------------------------
def _storage(ctx: _Ctx, sheet: Sheet) -> None:
    s, book, P = ctx.scenario, ctx.book, ctx.periods
    _title(sheet, "Storage forecast",
           "Daily model (columns N onwards) as formulas over the Inputs: each day of period k "
           "gets calls / days calls;")
    sheet.text(3, 1, "a day's recordings count for the retention (or until archived); a period "
               "bills its largest daily total.", style="intro")
    head = 4
    first, last = head + 1, head + P
    days_cap = 31 * P
    d_head = head
    d_first, d_last = d_head + 1, d_head + days_cap
    DC = 14  # first column of the daily model
    cols = ["Period k", "Start", "End", "Days", "Calls", "Calls per day", "New GB",
            "Billed GB", "Allowance GB", "Overage GB", "Overage cost", "Largest day GB",
            "New GB, unrounded"]
    _header(sheet, head, 1, cols)
    widths = [9, 12, 12, 7, 12, 12, 11, 12, 13, 12, 14, 13, 13]
    sheet.widths.update({i + 1: w for i, w in enumerate(widths)})
    calls = s.storage.calls_per_month if s.storage is not None else None
    for i in range(P):
        r = first + i
        k = a1(r, 1)
        sheet.put(r, 1, i, fmt="0")
        sheet.put(r, 2, f"=EDATE(OrderDate,{k})", fmt=DATE)
        sheet.put(r, 3, f"=EDATE(OrderDate,{k}+1)-1", fmt=DATE)
        sheet.put(r, 4, f"={a1(r, 3)}-{a1(r, 2)}+1", fmt="0")
        if isinstance(calls, tuple):
            if i == 0:
                sheet.put(r, 5, "=CallsPerMonth", fmt=INT)
            else:
                sheet.put(r, 5, _num(calls[i]), style="input", fmt=INT)
        else:
            sheet.put(r, 5, "=CallsPerMonth", fmt=INT)
        sheet.put(r, 6, f"={a1(r, 5)}/{a1(r, 4)}", fmt=NUM)
        day0, day1 = f"({a1(r, 2)}-OrderDate+1)", f"({a1(r, 3)}-OrderDate+1)"
        live = f"{k}<Periods"
        sheet.put(r, 12, f"=IF({live},MAX(INDEX(DailyStoredGB,{day0}):"
                  f"INDEX(DailyStoredGB,{day1})),0)", fmt="0.000000", style="muted")
        sheet.put(r, 13, f"=IF({live},SUM(INDEX(DailyNewGB,{day0}):INDEX(DailyNewGB,{day1})),0)",
                  fmt="0.000000", style="muted")
        sheet.put(r, 7, "=" + _round_gb(a1(r, 13)), fmt=GB)
        sheet.put(r, 8, "=" + _round_gb(a1(r, 12)), fmt=GB, style="calc")
        sheet.put(r, 9, f"=INDEX(AllowanceStorageGB,{k}+1)", fmt=GB)
        sheet.put(r, 10, "=" + _round_gb(f"MAX({a1(r, 8)}-{a1(r, 9)},0)"), fmt=GB)
        sheet.put(r, 11, f"=ROUND({a1(r, 10)}*StorageOverageRate,MoneyDecimals)", fmt=ctx.money)
    book.name("StorageBilledGB", sheet, first, 8, last, 8)
    book.name("StorageOverageGB", sheet, first, 10, last, 10)
    book.name("StorageCallsPerPeriod", sheet, first, 5, last, 5)
    book.name("StorageCallsPerDay", sheet, first, 6, last, 6)
    sheet.tables.append(Table("StorageByPeriod", head, 1, last, len(cols)))
    tot = last + 1
    sheet.text(tot, 1, "Largest / total", style="total")
    for cc in range(2, 12):
        sheet.put(tot, cc, None, style="total")
    sheet.put(tot, 8, f"=MAX({ref(sheet, first, 8, last)})", fmt=GB, style="total")
    sheet.put(tot, 10, f"=MAX({ref(sheet, first, 10, last)})", fmt=GB, style="total")
    sheet.put(tot, 11, f"=SUM({ref(sheet, first, 11, last)})", fmt=ctx.money, style="total")
    book.name("StorageMaxGB", sheet, tot, 8)
    book.name("StorageMaxOverageGB", sheet, tot, 10)
    book.name("StorageOverageCost", sheet, tot, 11)
    sheet.charts.append(Chart(
        "line", "Billed storage against the allowance", a1(tot + 2, 1, absolute=False),
        [Series("Billed GB", ref(sheet, first, 8, last), ref(sheet, first, 2, last),
                color="5B9BD5"),
         Series("Allowance GB", ref(sheet, first, 9, last), ref(sheet, first, 2, last),
                color="70AD47", dash=True),
         Series("Overage GB", ref(sheet, first, 10, last), ref(sheet, first, 2, last),
                color="C00000")],
        y_title="GB", width_cm=22, height_cm=9, x_number_format="yyyy-mm",
        y_number_format="#,##0"))
    bottom = _retention_choices(ctx, sheet, tot + 24)
    sheet.print_area = f"A1:K{bottom}"
    # the daily model, to the right
    dcols = ["Day", "Date", "Period k", "Calls", "New audio GB", "New screen GB",
             "Audio sum GB", "Screen sum GB", "Stored audio GB", "Stored screen GB",
             "Stored GB"]
    sheet.text(d_head - 1, DC, "Daily model (one row per day from the order date; rows after "
               "the last period stay 0)", style="subtitle")
    _header(sheet, d_head, DC, dcols)
    for j, w_ in enumerate([7, 12, 9, 10, 12, 12, 12, 12, 12, 12, 12]):
        sheet.widths[DC + j] = w_
    c_day, c_date, c_k, c_calls, c_na, c_ns, c_ca, c_cs, c_sa, c_ss, c_st = range(DC, DC + 11)
    for d in range(days_cap):
        r = d_first + d
        day = a1(r, c_day)
        sheet.put(r, c_day, d, fmt="0")
        sheet.put(r, c_date, f"=OrderDate+{day}", fmt=DATE)
        sheet.put(r, c_k, f"=MATCH({a1(r, c_date)},PeriodStart,1)-1", fmt="0")
        sheet.put(r, c_calls, f"=IF({a1(r, c_date)}<EDATE(OrderDate,Periods),"
                  f"INDEX(StorageCallsPerDay,{a1(r, c_k)}+1),0)", fmt=NUM)
        sheet.put(r, c_na, f"={a1(r, c_calls)}*AudioGBPerCall", fmt="0.0000")
        sheet.put(r, c_ns, f"={a1(r, c_calls)}*ScreenGBPerCall", fmt="0.0000")
        prev_a = "0" if d == 0 else a1(r - 1, c_ca)
        prev_s = "0" if d == 0 else a1(r - 1, c_cs)
        sheet.put(r, c_ca, f"={prev_a}+{a1(r, c_na)}", fmt="0.000")
        sheet.put(r, c_cs, f"={prev_s}+{a1(r, c_ns)}", fmt="0.000")
        # sum over the last `life` days, this one included: cumulative(d) - cumulative(d - life)
        sheet.put(r, c_sa, f"=IF(AudioLifeDays<=0,0,MAX({a1(r, c_ca)}-IF({day}-AudioLifeDays"
                  f">=0,INDEX(DailyAudioSum,{day}-AudioLifeDays+1),0),0))", fmt="0.000")
        sheet.put(r, c_ss, f"=IF(ScreenLifeDays<=0,0,MAX({a1(r, c_cs)}-IF({day}-ScreenLifeDays"
                  f">=0,INDEX(DailyScreenSum,{day}-ScreenLifeDays+1),0),0))", fmt="0.000")
        sheet.put(r, c_st, f"={a1(r, c_sa)}+{a1(r, c_ss)}", fmt="0.000")
    book.name("DailyAudioSum", sheet, d_first, c_ca, d_last, c_ca)
    book.name("DailyScreenSum", sheet, d_first, c_cs, d_last, c_cs)
    book.name("DailyStoredGB", sheet, d_first, c_st, d_last, c_st)
    # New GB of a period = audio + screen: a helper column keeps the SUM a single range
    c_new = c_st + 1
    sheet.text(d_head, c_new, "New GB", style="header")
    sheet.widths[c_new] = 10
    for d in range(days_cap):
        r = d_first + d
        sheet.put(r, c_new, f"={a1(r, c_na)}+{a1(r, c_ns)}", fmt="0.0000")
    book.names["DailyNewGB"] = ref(sheet, d_first, c_new, d_last, c_new)
    sheet.freeze = a1(head + 1, 1, absolute=False)


RETENTION_CHOICES = (30, 90, 180, 365, 730)


def _round_gb(x: str) -> str:
    """GB to 3 decimals exactly as the storage engine does (``numpy.round``: x * 1000 rounded
    half to even, / 1000), so a period at exactly half a MB bills the same GB in both."""
    y = f"({x})*1000"
    return (f"IF({y}-INT({y})=0.5,INT({y})+MOD(INT({y}),2),ROUND({y},0))/1000")


def _retention_choices(ctx: _Ctx, sheet: Sheet, row: int) -> int:
    """Steady-state storage for a few retention choices against the committed allowance."""
    s = ctx.scenario
    sheet.text(row, 1, "Retention choices: storage once a steady volume has run longer than the "
               "retention (calls per day x days kept x GB per call)", style="subtitle")
    row += 1
    sheet.text(row, 1, "Calls per day = CallsPerMonth x 12 / 365. Allowance = the committed users' "
               "(Inputs). Edit the yellow retention days to try others.", style="intro")
    row += 1
    cols = (1, 2, 3, 5, 6, 8, 9)  # beside the per-period table: skip its narrow Days column
    for col, label in zip(cols, ["Retention days", "Audio GB", "Screen GB", "Stored GB",
                                 "Allowance GB", "Over by GB", "Overage per month"], strict=True):
        sheet.text(row, col, label, style="header")
    for col in (4, 7):
        sheet.put(row, col, None, style="header")
    sheet.heights[row] = 30
    allowance = "+".join(f"{n['committed']}*{_per_user(n, 'FairUseStorageGB')}"
                         for n in ctx.product_names)
    c_ret, c_audio, c_screen, c_total, c_allow, c_over, c_cost = cols
    first = row + 1
    for i, days in enumerate(("=RetentionDays", *RETENTION_CHOICES)):
        r = first + i
        ret = a1(r, c_ret)
        sheet.put(r, c_ret, days, fmt=INT, style="calc" if i == 0 else "input")
        cpd = "(CallsPerMonth*12/365)"
        audio_days = f'IF(ArchiveAfterDays="",{ret},MIN({ret},ArchiveAfterDays))'
        screen_keep = f'IF(ScreenRetentionDays="",MIN({ret},365),ScreenRetentionDays)'
        screen_days = f'IF(ArchiveAfterDays="",{screen_keep},MIN({screen_keep},ArchiveAfterDays))'
        sheet.put(r, c_audio, f"={cpd}*{audio_days}*AudioGBPerCall", fmt=GB)
        sheet.put(r, c_screen, f"={cpd}*{screen_days}*ScreenGBPerCall", fmt=GB)
        sheet.put(r, c_total, f"={a1(r, c_audio)}+{a1(r, c_screen)}", fmt=GB, style="calc")
        sheet.put(r, c_allow, f"={allowance}", fmt=GB)
        sheet.put(r, c_over, f"=MAX({a1(r, c_total)}-{a1(r, c_allow)},0)", fmt=GB)
        sheet.put(r, c_cost, f"=ROUND({a1(r, c_over)}*StorageOverageRate,MoneyDecimals)",
                  fmt=ctx.money)
    sheet.text(first, 10, "(the Inputs' retention)", style="intro")
    row = first + len(RETENTION_CHOICES) + 1
    if s.storage is not None:
        from ..invoices import fair_use_allowances
        from ..storage import max_retention
        longest = max_retention(s.storage, fair_use_allowances(s, "storage_gb"),
                                s.contract.order_date, s.periods,
                                timezone=s.contract.billing_timezone)
        row += 1
        sheet.text(row, 1, "Longest retention that stays within every period's allowance over "
                   "ramp + term:", bold=True)
        sheet.put(row, 9, longest, fmt='#,##0 "days"', style="total")
        row += 1
        sheet.text(row, 1, "Computed by billing_model (storage.max_retention) when the workbook "
                   "was built, for the scenario's inputs; it does not follow edits.",
                   style="intro")
    return row


# ----------------------------------------------------------------------------------------------
# Invoices
# ----------------------------------------------------------------------------------------------
INVOICE_COLUMNS = ["Invoice date", "Due date", "Description", "Timing", "Service start",
                   "Service end", "Quantity", "Rate", "Amount", "Currency", "Period k", "Kind"]


def _invoices(ctx: _Ctx, sheet: Sheet) -> None:
    """A fixed grid: every charge that can occur gets a row whose formulas give 0 when it does
    not apply, so changing any input (commitment, rates, ramp, term, usage) recomputes it."""
    s, book, P = ctx.scenario, ctx.book, ctx.periods
    _title(sheet, "Invoice schedule",
           "Every possible line; lines that do not apply compute 0 and are greyed. Amounts = "
           "ROUND(quantity x rate, currency decimals), half up. " + TAX_NOTE)
    head = 4
    _header(sheet, head, 1, INVOICE_COLUMNS)
    widths = [12, 12, 74, 10, 12, 12, 12, 11, 14, 9, 9, 12]
    sheet.widths.update({i + 1: w for i, w in enumerate(widths)})
    row = head
    decimals = CURRENCIES.get(s.contract.currency, 2)
    money = "#,##0." + "0" * decimals if decimals else "#,##0"
    rate_fmt = "#,##0.00###"

    def line(invoice: str, desc: str, timing: str, start: str, end: str, qty: str, rate: str,
             k: int | None, kind: str, *, desc_text: bool = False) -> None:
        nonlocal row
        row += 1
        r = row
        sheet.put(r, 1, invoice, fmt=DATE)
        sheet.put(r, 2, f"={a1(r, 1)}+PaymentTermsDays", fmt=DATE)
        if desc_text:
            sheet.text(r, 3, desc)
        else:
            sheet.put(r, 3, desc)
        sheet.text(r, 4, timing)
        sheet.put(r, 5, start, fmt=DATE)
        sheet.put(r, 6, end, fmt=DATE)
        sheet.put(r, 7, qty, fmt="#,##0.###")
        sheet.put(r, 8, f'=IF(Channel="partner","",{rate.lstrip("=")})', fmt=rate_fmt)
        sheet.put(r, 9, f'=IF(Channel="partner","",ROUND({a1(r, 7)}*{a1(r, 8)},MoneyDecimals))',
                  fmt=money)
        sheet.put(r, 10, "=Currency")
        if k is not None:
            sheet.put(r, 11, k, fmt="0", style="center")
        sheet.text(r, 12, kind)

    # one-time charges and hardware: static rows
    for names in ctx.charge_names:
        line(f"={names['date']}", f"={names['description']}", "one-time",
             f"={names['date']}", f"={names['date']}", f"={names['quantity']}",
             f"={names['rate']}", None, "hardware" if names["hardware"] else "one-time")
    # per invoice m = 0..P: the arrears of period m - 1, then the prepay of period m
    for m in range(P + 1):
        k = m - 1
        if k >= 0:
            start, end = f"=EDATE(OrderDate,{k})", f"=EDATE(OrderDate,{k + 1})-1"
            inv = f"=EDATE(OrderDate,{m})"
            live = f"{k}<Periods"
            for p, names in zip(s.products, ctx.product_names, strict=True):
                users = f"INDEX({ctx.usage_cols['users:' + p.license]},{k + 1})"
                label = (f'INDEX(LicenseLabels,MATCH({names["license"]},LicenseKeys,0))&" "&'
                         f'{names["model"]}')
                line(inv, f'={label}&" users, ramp (actual usage)"', "arrears", start, end,
                     f'=IF(AND({k}<RampMonths,{live},RampPolicy="actual-usage"),{users},0)',
                     f"={names['prepay']}", k, "ramp")
                line(inv, f'={label}&" users above the commitment"', "arrears", start, end,
                     f"=IF(AND({k}>=RampMonths,{live}),MAX({users}-{names['committed']},0),0)",
                     f"={names['overage']}", k, "overage")
            line(inv, "Telephony", "arrears", start, end,
                 f"=IF(AND({live},INDEX(Telephony,{k + 1})<>0),1,0)",
                 f"=INDEX(Telephony,{k + 1})", k, "telephony", desc_text=True)
            for key, _short, _label in (FEATURES[1], FEATURES[2], FEATURES[0]):
                from ..invoices import FAIR_USE_LABELS
                used = f"INDEX({ctx.usage_cols[key]},{k + 1})"
                allowance = f"INDEX({ctx.usage_cols['allowance:' + key]},{k + 1})"
                rate = {"ivr_minutes": "IvrOverageRate", "api_requests": "ApiOverageRate",
                        "storage_gb": "StorageOverageRate"}[key]
                shown = (f'IF({allowance}=INT({allowance}),TEXT({allowance},"#,##0"),'
                         f'TEXT({allowance},"#,##0.###"))')
                line(inv, f'="{FAIR_USE_LABELS[key]} ("&{shown}&" included)"', "arrears",
                     start, end,
                     f"=IF({live},ROUND(MAX({used}-{allowance},0),9),0)", f"={rate}", k, key)
        if m < P:
            inv = f"=EDATE(OrderDate,{m})"
            for names in ctx.product_names:
                label = (f'INDEX(LicenseLabels,MATCH({names["license"]},LicenseKeys,0))&" "&'
                         f'{names["model"]}')
                line(inv, f'={label}&" users, prepay (committed)"', "advance", inv,
                     f"=EDATE(OrderDate,{m + 1})-1",
                     f"=IF(AND({m}>=RampMonths,{m}<Periods),{names['committed']},0)",
                     f"={names['prepay']}", m, "prepay")
    first, last = head + 1, row
    sheet.tables.append(Table("InvoiceLines", head, 1, last, len(INVOICE_COLUMNS)))
    for col, name in ((1, "LineInvoiceDate"), (2, "LineDueDate"), (7, "LineQuantity"),
                      (9, "LineAmount"), (12, "LineKind")):
        book.name(name, sheet, first, col, last, col)
    sheet.highlights.append(Highlight(f"A{first}:L{last}", f"=N($I{first})=0", "muted"))
    tot = last + 1
    sheet.text(tot, 3, "Total (all invoices)", style="total")
    for cc in range(1, 13):
        if cc not in (3, 9):
            sheet.put(tot, cc, None, style="total")
    sheet.put(tot, 9, f"=SUM({ref(sheet, first, 9, last)})", fmt=money, style="total")
    book.name("InvoiceTotal", sheet, tot, 9)
    sheet.freeze = a1(head + 1, 1, absolute=False)


def _invoice_totals(ctx: _Ctx, sheet: Sheet) -> None:
    """Per-invoice totals and the cash flow by due date."""
    s, book, P = ctx.scenario, ctx.book, ctx.periods
    col = 1
    _title(sheet, "Invoices and cash flow by due date",
           "One row per invoice: the total of its lines (Invoices sheet) and when it is due. "
           + TAX_NOTE)
    head = 4
    _header(sheet, head, col, ["Invoice date", "Due date", "Invoice total", "Paid to date",
                               "Due", "Kind"])
    for j, w in enumerate([13, 13, 18, 18, 11, 11]):
        sheet.widths[col + j] = w
    dates: list[tuple[dt.date, str, str | None]] = []  # (build-time date, formula, hardware)
    for m in range(P + 1):
        dates.append((_edate(s.contract.order_date, m), f"=EDATE(OrderDate,{m})", None))
    for names, charge in zip(ctx.charge_names, (*s.one_time, *s.hardware), strict=True):
        if names["hardware"]:
            dates.append((charge.ship_date, f"={names['date']}", names["date"]))
    dates.sort(key=lambda d: (d[0], d[2] is not None))
    first = head + 1
    last = first + len(dates) - 1
    all_dates, all_kinds = ref(sheet, first, col, last), ref(sheet, first, col + 5, last)
    for i, (_when, formula, hardware) in enumerate(dates):
        r = first + i
        sheet.put(r, col, formula, fmt=DATE)
        sheet.put(r, col + 1, f"={a1(r, col)}+PaymentTermsDays", fmt=DATE)
        sheet.text(r, col + 5, "hardware" if hardware else "periodic", style="muted")
        total = f"SUMIF(LineInvoiceDate,{a1(r, col)},LineAmount)"
        if hardware:
            # hardware shipped on the day of another invoice is on that invoice: count it once
            above = (f"+COUNTIFS({ref(sheet, first, col + 5, r - 1)},\"hardware\","
                     f"{ref(sheet, first, col, r - 1)},{a1(r, col)})" if i else "")
            total = (f'IF(COUNTIFS({all_kinds},"periodic",{all_dates},{a1(r, col)})'
                     f"{above}>0,0,{total})")
        sheet.put(r, col + 2, "=" + total, fmt=ctx.money)
        prev = "0" if i == 0 else a1(r - 1, col + 3)
        sheet.put(r, col + 3, f"={prev}+{a1(r, col + 2)}", fmt=ctx.money)
        sheet.put(r, col + 4, f'=TEXT({a1(r, col + 1)},"yyyy-mm-dd")', style="muted")
    book.name("InvoiceDates", sheet, first, col, last, col)
    book.name("InvoiceTotals", sheet, first, col + 2, last, col + 2)
    sheet.tables.append(Table("Invoices", head, col, last, col + 5, style="TableStyleLight11"))
    total_col = get_column_letter(col + 2)
    sheet.highlights.append(Highlight(f"{a1(first, col, absolute=False)}:"
                                      f"{a1(last, col + 3, absolute=False)}",
                                      f"=N(${total_col}{first})=0", "muted"))
    sheet.text(last + 1, col, "Total", style="total")
    sheet.put(last + 1, col + 1, None, style="total")
    sheet.put(last + 1, col + 2, "=InvoiceTotal", fmt=ctx.money, style="total")
    sheet.put(last + 1, col + 3, None, style="total")
    sheet.charts.append(Chart(
        "bar", "Cash due by due date", a1(last + 3, col, absolute=False),
        [Series("Invoice total", ref(sheet, first, col + 2, last),
                ref(sheet, first, col + 4, last), color="1F4E79")],
        y_title=s.contract.currency, width_cm=24, height_cm=9, y_number_format="#,##0"))


def _edate(date: dt.date, months: int) -> dt.date:
    from ..periods import anchor_dates
    return anchor_dates(date, [months])[0].astype(object)


# ----------------------------------------------------------------------------------------------
# Variants (static: computed by the Python engine at build time)
# ----------------------------------------------------------------------------------------------
def scenario_figures(scenario: Scenario) -> dict:
    """First-year cost, total contract value and per-invoice totals from the Python engine.

    First-year cost = the amounts invoiced in the first 12 months from the order date.
    """
    from ..invoices import invoice_schedule
    lines = invoice_schedule(scenario)
    order = scenario.contract.order_date
    year_end = _edate(order, 12)
    amounts = [(d, a) for d, a in zip(lines["invoice_date"], lines["amount"], strict=True)
               if a is not None]
    return {
        "lines": lines,
        "first_year": sum((a for d, a in amounts if d < year_end), Decimal(0)),
        "total": sum((a for _d, a in amounts), Decimal(0)),
    }


def _variants(ctx: _Ctx, sheet: Sheet, variants: list) -> None:
    s = ctx.scenario
    _title(sheet, "Variants side by side",
           "Each variant is the whole scenario with its overrides, computed by billing_model "
           "when the workbook was built (static values); the base column of the live model is "
           "on the Summary sheet.")
    head = 4
    figures = [(name, scen, scenario_figures(scen)) for name, scen in variants]
    _header(sheet, head, 1, ["", *[name for name, _s, _f in figures]])
    sheet.widths[1] = 34
    for j in range(len(figures)):
        sheet.widths[2 + j] = 20
    rows = [
        ("Ramp months", lambda sc, f: sc.contract.ramp_months, INT),
        ("Ramp policy", lambda sc, f: sc.contract.ramp_policy, None),
        ("Term months", lambda sc, f: sc.contract.term_months, INT),
        ("License model", lambda sc, f: sc.contract.license_model, None),
        ("Committed users", lambda sc, f: sc.contract.committed_users, INT),
        ("Prepay rate", lambda sc, f: _num(sc.contract.prepay_rate or 0), ctx.rate),
        ("First-year cost (invoiced in 12 months)", lambda sc, f: _num(f["first_year"]),
         ctx.money),
        ("Total contract value", lambda sc, f: _num(f["total"]), ctx.money),
        ("Contract value minus the base's",
         lambda sc, f: _num(f["total"] - figures[0][2]["total"]), ctx.money),
    ]
    r = head
    for label, getter, fmt in rows:
        r += 1
        sheet.text(r, 1, label, bold=label.startswith(("First", "Total")))
        for j, (_n, scen, fig) in enumerate(figures):
            value = getter(scen, fig)
            if isinstance(value, str):
                sheet.text(r, 2 + j, value)
            else:
                sheet.put(r, 2 + j, value, fmt=fmt,
                          style="total" if label.startswith(("First", "Total")) else None)
    # cumulative invoiced amount per invoice date, one column per variant
    r += 2
    sheet.text(r, 1, "Invoiced to date, by invoice date", style="subtitle")
    r += 1
    chart_head = r
    _header(sheet, r, 1, ["Invoice date", *[name for name, _s, _f in figures]])
    all_dates = sorted({d for _n, _s, f in figures for d in f["lines"]["invoice_date"]})
    for i, day in enumerate(all_dates):
        rr = r + 1 + i
        sheet.put(rr, 1, day, fmt=DATE)
        for j, (_n, _sc, fig) in enumerate(figures):
            lines = fig["lines"]
            to_date = sum((a for d, a in zip(lines["invoice_date"], lines["amount"], strict=True)
                           if a is not None and d <= day), Decimal(0))
            sheet.put(rr, 2 + j, _num(to_date), fmt=ctx.money)
    last = r + len(all_dates)
    sheet.charts.append(Chart(
        "line", "Invoiced to date by variant", a1(head, 3 + len(figures), absolute=False),
        [Series(name, ref(sheet, chart_head + 1, 2 + j, last),
                ref(sheet, chart_head + 1, 1, last)) for j, (name, _s, _f) in enumerate(figures)],
        y_title=s.contract.currency, width_cm=24, height_cm=12, x_number_format="yyyy-mm",
        y_number_format="#,##0"))


# ----------------------------------------------------------------------------------------------
# Summary
# ----------------------------------------------------------------------------------------------
def _summary(ctx: _Ctx, sheet: Sheet, has_variants: bool) -> None:
    s, c = ctx.scenario, ctx.scenario.contract
    _title(sheet, f"Billing model: {s.name}",
           "A live model: edit the yellow cells on the Inputs sheet; Excel recalculates every "
           "invoice line. " + TAX_NOTE)
    sheet.widths.update({1: 40, 2: 20, 3: 64})
    r = 4
    _header(sheet, r, 1, ["Figure", "Value", "How it is computed"])

    def fig(label: str, formula: str, fmt: str | None, how: str, *, style: str = "calc"):
        nonlocal r
        r += 1
        sheet.text(r, 1, label, bold=style == "total")
        sheet.put(r, 2, formula, fmt=fmt, style=style)
        sheet.text(r, 3, how, style="note")
        return r

    lic = BY_KEY[c.license].label
    ramp = (f"{c.ramp_months}-month ramp ({c.ramp_policy})" if c.ramp_months else "no ramp")
    sheet.text(3, 1, f"{lic} {c.license_model}, {c.committed_users} committed users, "
               f"{ramp} + {c.term_months}-month term, "
               f"{c.currency}, order date {c.order_date.isoformat()} (as built; the figures "
               "below follow the inputs)", style="intro")
    first_year = fig("First-year cost", "=SUMIF(LineInvoiceDate,\"<\"&EDATE(OrderDate,12),"
                     "LineAmount)", ctx.money, "Invoiced in the 12 months from the order date "
                     "(one-time, hardware, prepay, ramp, overage, telephony, fair use).",
                     style="total")
    fig("Total contract value", "=InvoiceTotal", ctx.money,
        "Every invoice of ramp + term, the arrears invoice after the term included.",
        style="total")
    ctx.book.name("FirstYearCost", sheet, first_year, 2)
    fig("Invoices", "=SUMPRODUCT((InvoiceTotals<>0)*1)", INT, "Invoices with a non-zero "
        "total.")
    fig("Largest invoice", "=MAX(InvoiceTotals)", ctx.money, "")
    fig("Monthly prepay (term)", "=CommittedUsers*PrepayRate" + "".join(
        f"+{n['committed']}*{n['prepay']}" for n in ctx.product_names[1:]), ctx.money,
        "Committed users x prepay rate, per term period.")
    fig("Billed periods", "=Periods", INT, "Ramp + term.")
    fig("Grid check", "=GridOK", None, "The grids cover the periods the inputs ask for.")
    r += 1
    sheet.text(r + 1, 1, "Storage" + ("" if s.storage is not None else
                                      " (what-if: the scenario has no [storage] forecast)"),
               style="subtitle")
    r += 1
    fig("Largest billed storage (StorageMaxGB)", "=StorageMaxGB", GB,
        "Largest daily total of any period of ramp + term (Storage sheet).")
    fig("Biggest storage overage", "=StorageMaxOverageGB", GB,
        "GB above the fair-use allowance in the worst period.")
    fig("Storage overage cost (forecast)", "=StorageOverageCost", ctx.money,
        "Sum over periods of overage GB x storage overage rate.")
    sess = ctx.sessions
    if sess is not None:
        r += 1
        sheet.text(r + 1, 1, "Named vs concurrent (from the sessions)", style="subtitle")
        r += 1
        u = sess["usage"]
        pool = u[u["license"].map(lambda k: BY_KEY[k].concurrent)]
        per = pool.groupby("period")[["named_users", "peak_concurrent"]].sum()
        measured = per[(per["named_users"] > 0)]
        k = int(measured.index[0]) if len(measured) else 0
        named = int(measured["named_users"].iloc[0]) if len(measured) else 0
        peak = int(measured["peak_concurrent"].iloc[0]) if len(measured) else 0
        fig(f"Named PureCloud users, period {k}", named, INT,
            f"Distinct users who logged in ({sess['path'].name}).")
        fig(f"Concurrent peak, period {k}", peak, INT,
            "Highest count reached for 30 minutes in total (vendor method).")
        fig("Concurrent / named", f"={peak}/MAX({named},1)", PCT,
            "A concurrent license pays off when its price is below named price / this ratio.")
        fig("Break-even concurrent rate", f"=PrepayRate*{named}/MAX({peak},1)", ctx.rate,
            "Concurrent rate at which both models cost the same for this period, from the "
            "prepay rate on the Inputs sheet.")
    if has_variants:
        r += 1
        sheet.text(r + 1, 1, "Variants", style="subtitle")
        r += 1
        sheet.text(r + 1, 1, "The Variants sheet compares the scenario's variants side by side "
                   "(first-year cost, total contract value, invoiced to date).", style="intro")
        r += 1
    r += 2
    sheet.text(r, 1, "Sheets", style="subtitle")
    for name, what in (("Inputs", "every scenario value as a named input cell"),
                       ("Invoices", "every invoice line, as formulas over the inputs"),
                       ("Cash flow", "totals per invoice by due date, with a chart"),
                       ("Usage", "users and usage per period, allowances" + (
                           ", concurrency profile" if sess is not None else "")),
                       ("Storage", "daily storage model, billed storage and overage"),
                       *([("Variants", "variants side by side")] if has_variants else []),
                       ("Sources", "rules, allowance figures, assumptions, sources")):
        r += 1
        sheet.text(r, 1, name, bold=True)
        sheet.text(r, 2, what, style="intro")
    sheet.landscape = False


__all__ = ["build_layout", "build_workbook", "money_format", "LICENSES"]
