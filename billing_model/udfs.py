"""Excel functions (xlwings UDFs) over the billing_model engines.

Each ``BM_`` function is thin: xlwings decorators with one line of help per argument, one call
into an engine of :mod:`billing_model`, and a result Excel can show. Reading the cells (columns,
dates and times, counts, money) and turning results into rows that spill is
:mod:`billing_model.io.cells`; bad input gives the cell a short text, never an exception.

Argument names are also the names of VBA parameters in classic xlwings (the add-in writes a VBA
wrapper per function), so none may be a VBA keyword: the currency argument is ``currency_code``
because ``Currency`` is a VBA type.

Use it from Excel on Windows (xlwings add-in, ``UDF Modules`` = ``billing_udfs`` with
``PYTHONPATH`` = the repository's ``udfs`` folder, whose ``billing_udfs.py`` imports this module;
or ``UDF Modules`` = ``billing_model.udfs`` when the package is installed) or from xlwings Lite:
see ``docs/excel-functions.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import xlwings as xw

from billing_model.core.allowances import STORAGE_OVERAGE_USD_PER_GB, fair_use_allowance
from billing_model.core.concurrency import DEFAULT_MIN_MINUTES, DEFAULT_PEAK_RULE
from billing_model.core.invoices import COLUMNS as INVOICE_COLUMNS
from billing_model.core.limits import LIMITS
from billing_model.core.money import round_money
from billing_model.core.periods import billing_periods
from billing_model.core.schema import CONTRACT_DEFAULTS, FIELDS
from billing_model.core.storage import (
    DEFAULT_SCREEN_MB_PER_MINUTE,
    FORECAST_COLUMNS,
    check_rate_currency,
    storage_forecast,
)
from billing_model.core.usage import concurrency_profile
from billing_model.io import cell_sessions, cells
from billing_model.io.cells import MAX_ERROR_CHARS, Cell, Result, arg_help, excel_safe
from billing_model.io.scenario_values import DEFAULT_LICENSE
from billing_model.io.spill import spill_profile, spill_rows
from billing_model.service import schedule_from_values, window_usage

CATEGORY = "Billing Model"
#: help texts and defaults are read from their owners (core/limits, the contract's schema in
#: core/schema.py, the concurrency engine), never typed again: tests/test_udfs.py checks every
#: default
SCREEN_DAYS = LIMITS["screen_retention_days"]
#: the Excel functions' defaults: argument -> value, each from its owner
DEFAULTS: dict[str, Any] = {  # each key its own type: text, or a whole number
    "rule": DEFAULT_PEAK_RULE,
    "min_minutes": DEFAULT_MIN_MINUTES,
    "timezone": CONTRACT_DEFAULTS["billing_timezone"],
    "currency_code": CONTRACT_DEFAULTS["currency"],
    "ramp_policy": CONTRACT_DEFAULTS["ramp_policy"],
    "payment_terms_days": CONTRACT_DEFAULTS["payment_terms_days"],
    "license": DEFAULT_LICENSE,
    "license_model": CONTRACT_DEFAULTS["license_model"],
    "months_after_term": CONTRACT_DEFAULTS["months_after_term"],
}

# === the Excel functions =====================================================================

# the session columns, the same three arguments of every session function
UserIds = Annotated[Cell, arg_help("Column of user ids, one session per row.")]
Starts = Annotated[Cell, arg_help("Column of session starts: dates and times in UTC (as the "
                                  "vendor exports them) or text with an offset.")]
Ends = Annotated[Cell, arg_help("Column of session ends, same rows as starts (UTC).")]
PeriodStart = Annotated[Cell, arg_help("Optional: first instant of the period. Default: the "
                                       "first session start.")]
PeriodEnd = Annotated[Cell, arg_help("Optional: end of the period; a date alone is the last day "
                                     "included. Default: the last session end.")]
SessionZone = Annotated[Cell, arg_help("Optional: IANA zone of period_start and period_end "
                                       "(default UTC). Session times are UTC.")]
def _choices(key: str) -> str:
    """A contract argument's choices and default as the schema declares them: ``AUD, BRL, ...
    or USD (default USD)``."""
    *rest, last = FIELDS[key].choices
    return f"{', '.join(rest)} or {last} (default {FIELDS[key].default})"


CurrencyCode = Annotated[Cell, arg_help(f"Optional: {_choices('currency')}.")]


@xw.func(category=CATEGORY)
@excel_safe
def BM_CONCURRENT_PEAK(
    user_ids: UserIds,
    starts: Starts,
    ends: Ends,
    licenses: Annotated[Cell, arg_help("Optional: column of licenses (pc1, pc2, pc3, "
                                       "communicate, ...) or one for all. Default: all "
                                       "PureCloud 1-3.")] = None,
    period_start: PeriodStart = None,
    period_end: PeriodEnd = None,
    rule: Annotated[Cell, arg_help(f"Optional: cumulative (vendor's method) or contiguous "
                                   f"(default {DEFAULT_PEAK_RULE}).")] = None,
    min_minutes: Annotated[Cell, arg_help("Optional: minutes a level must last to be billed "
                                          f"(default {DEFAULT_MIN_MINUTES}).")] = None,
    timezone: SessionZone = None,
) -> Result:
    ("Billable concurrent peak of one org's sessions: the most users logged in at the minute "
     "marks (m:00) for 30 minutes (cumulative by default), PureCloud 1-3 users only.")
    frame = window_usage(user_ids, starts, ends, licenses, period_start, period_end,
                               timezone, rule=cells.read_text(rule, "rule", DEFAULTS["rule"]),
                               min_minutes=cells.read_whole(min_minutes, "min_minutes",
                                                            DEFAULTS["min_minutes"], minimum=1))
    return 0 if frame is None or frame.empty else int(frame["peak_concurrent"].iloc[0])


@xw.func(category=CATEGORY)
@excel_safe
def BM_NAMED_USERS(
    user_ids: UserIds,
    starts: Starts,
    ends: Ends,
    licenses: Annotated[Cell, arg_help("Optional: column of licenses or one for all (only "
                                       "checked here: every license counts).")] = None,
    period_start: PeriodStart = None,
    period_end: PeriodEnd = None,
    timezone: SessionZone = None,
) -> Result:
    """Billable named users: how many different users logged in during the period (all licenses)."""
    frame = window_usage(user_ids, starts, ends, licenses, period_start, period_end,
                               timezone)
    return 0 if frame is None or frame.empty else int(frame["named_users"].sum())


@xw.func(category=CATEGORY)
@excel_safe
def BM_BILLABLE_HOURS(
    user_ids: UserIds,
    starts: Starts,
    ends: Ends,
    licenses: Annotated[Cell, arg_help("Optional: column of licenses or one for all (each "
                                       "license is rounded on its own). Default: pc2.")] = None,
    period_start: PeriodStart = None,
    period_end: PeriodEnd = None,
    timezone: SessionZone = None,
) -> Result:
    ("Hourly licensing: hours logged in during the period (overlapping sessions once), each "
     "license's total rounded up to a whole hour, added over the licenses.")
    frame = window_usage(user_ids, starts, ends, licenses, period_start, period_end,
                         timezone)
    return 0 if frame is None or frame.empty else int(frame["billable_hours"].sum())


@xw.func(category=CATEGORY)
@excel_safe
def BM_CONCURRENCY_PROFILE(
    user_ids: UserIds,
    starts: Starts,
    ends: Ends,
    period_start: Annotated[Cell, arg_help("Optional: first instant to show. Default: the "
                                           "first session start.")] = None,
    period_end: Annotated[Cell, arg_help("Optional: end of the chart; a date alone is the last "
                                         "day included. Default: the last session end.")] = None,
    step_minutes: Annotated[Cell, arg_help("Optional: minutes per row (default 1); each row "
                                           "shows the most users in any minute of it.")] = None,
    timezone: Annotated[Cell, arg_help("Optional: IANA zone of the period and of the times "
                                       "shown (default UTC). Session times are UTC.")] = None,
) -> Result:
    ("Users logged in over time, for a chart: spills a header and one row per step (time, "
     "users).")
    sessions, start_ns, end_ns, step, tz = cell_sessions.profile_inputs(
        user_ids, starts, ends, period_start, period_end, step_minutes, timezone)
    profile = concurrency_profile(sessions, start_ns, end_ns, step_minutes=step)
    return spill_profile(profile, tz)


@xw.func(category=CATEGORY)
@excel_safe
def BM_BILLING_PERIODS(
    order_date: Annotated[Cell, arg_help("The contract's order (effective) date: the first "
                                         "period starts that day.")],
    count: Annotated[Cell, arg_help("How many monthly periods to list.")],
    timezone: Annotated[Cell, arg_help("Optional: billing time zone (default "
                                       f"{DEFAULTS['timezone']}, the FAQ's EST).")] = None,
) -> Result:
    ("Monthly billing periods from an order date: spills a header and, per period, its first "
     "and last day. Day 29-31 orders clamp to short months.")
    periods = billing_periods(cells.read_date(order_date),
                              cells.read_whole(count, "count", minimum=1),
                              cells.read_timezone(timezone, DEFAULTS["timezone"]))
    return spill_rows(periods.rename(columns={"first_day": "period_start"}),
                            ["period_start", "last_day"])


@xw.func(category=CATEGORY)
@excel_safe
def BM_INVOICE_SCHEDULE(
    order_date: Annotated[Cell, arg_help("The contract's order (effective) date.")],
    committed_users: Annotated[Cell, arg_help("Prepay (committed) users, invoiced in advance "
                                              "each period of the term.")],
    prepay_rate: Annotated[Cell, arg_help("Price per committed user per month.")],
    ramp_months: Annotated[Cell, arg_help("Months of ramp before the term (0 for none).")],
    term_months: Annotated[Cell, arg_help("Months of the subscription term.")],
    users: Annotated[Cell, arg_help("Column of billable users per period (named users or the "
                                    "concurrent peak; hourly: logged-in hours), ramp and term "
                                    "periods.")],
    overage_rate: Annotated[Cell, arg_help("Optional: price per user above the commitment "
                                           "(default: the prepay rate).")] = None,
    currency_code: CurrencyCode = None,
    ramp_policy: Annotated[Cell, arg_help(f"Optional: {_choices('ramp_policy')}.")] = None,
    telephony: Annotated[Cell, arg_help("Optional: column of telephony charges per period, in "
                                        "arrears.")] = None,
    payment_terms_days: Annotated[Cell, arg_help("Optional: days from invoice to due date "
                                                 f"(default {DEFAULTS['payment_terms_days']})"
                                                 ".")] = None,
    license: Annotated[Cell, arg_help("Optional: license billed: pc1, pc2, pc3, communicate, "
                                      "collaborate (or 'PureCloud 3', 'CX 3'). Default pc2.")]
    = None,
    license_model: Annotated[Cell, arg_help("Optional: named, concurrent or hourly (default "
                                            f"{DEFAULTS['license_model']}): what the users "
                                            "column counts.")] = None,
    months_after_term: Annotated[Cell, arg_help("Optional: months billed month to month after "
                                                "the term, 0-24 (default "
                                                f"{DEFAULTS['months_after_term']}).")] = None,
    month_to_month_rate: Annotated[Cell, arg_help("Optional: price per user per month after "
                                                  "the term (needed with months_after_term)."
                                                  )] = None,
    hourly_rate: Annotated[Cell, arg_help("Optional: price per billable hour (hourly: each "
                                          "period's hours rounded up, in arrears; committed "
                                          "users 0, prepay rate may be blank).")] = None,
) -> Result:
    ("Invoice schedule of a contract: spills a header and one row per invoice line (dates, "
     "service period, quantity, rate, amount rounded half up). Prepay in advance; ramp, "
     "overage, hourly, month to month and telephony in arrears.")
    # the model first: the defaults of committed_users and prepay_rate depend on it, so a typo
    # is named as such, not as a blank committed_users
    model = FIELDS["license_model"].parse(
        cells.read_text(license_model, "license_model", DEFAULTS["license_model"]),
        "license_model",
    )
    hourly = model == "hourly"  # users holds hours; no prepay needed
    with cells.argument_names({"hours": "users"} if hourly else None):
        schedule = schedule_from_values(
            cells.read_date(order_date),
            cells.read_whole(committed_users, "committed_users", 0 if hourly else None),
            cells.read_money(prepay_rate, "prepay_rate", *((None,) if hourly else ())),
            cells.read_whole(ramp_months, "ramp_months"),
            cells.read_whole(term_months, "term_months"),
            cells.read_numbers(users, "users", money=True) if hourly
            else cells.read_numbers(users, "users"),
            overage_rate=cells.read_money(overage_rate, "overage_rate", None),
            currency=cells.read_text(currency_code, "currency_code", DEFAULTS["currency_code"]),
            ramp_policy=cells.read_text(ramp_policy, "ramp_policy", DEFAULTS["ramp_policy"]),
            telephony=cells.read_numbers(telephony, "telephony", money=True, optional=True),
            payment_terms_days=cells.read_whole(payment_terms_days, "payment_terms_days",
                                                DEFAULTS["payment_terms_days"]),
            license=cells.read_text(license, "license", DEFAULTS["license"]),
            license_model=model,
            months_after_term=cells.read_whole(months_after_term, "months_after_term",
                                               DEFAULTS["months_after_term"]),
            month_to_month_rate=cells.read_money(month_to_month_rate, "month_to_month_rate",
                                                 None),
            hourly_rate=cells.read_money(hourly_rate, "hourly_rate", None))
    return spill_rows(schedule, INVOICE_COLUMNS)


@xw.func(category=CATEGORY)
@excel_safe
def BM_STORAGE_FORECAST(
    calls_per_month: Annotated[Cell, arg_help("Recorded calls per month: one number, or a "
                                              "column with one value per period.")],
    avg_minutes: Annotated[Cell, arg_help("Average call length in minutes.")],
    retention_days: Annotated[Cell, arg_help("Days a recording is kept, the day of the call "
                                             "included.")],
    start_date: Annotated[Cell, arg_help("First day of the first billing period (the order "
                                         "date).")],
    months: Annotated[Cell, arg_help("Number of billing periods to forecast.")],
    audio_mb_per_minute: Annotated[Cell, arg_help("Optional: audio MB per recorded minute "
                                                  "(default 0.48, 64 kbit/s).")] = None,
    screen_share: Annotated[Cell, arg_help("Optional: share of calls with a screen recording, "
                                           "0 to 1 (default 0).")] = None,
    screen_mb_per_minute: Annotated[Cell, arg_help("Optional: screen MB per minute (default "
                                                   f"{DEFAULT_SCREEN_MB_PER_MINUTE:g}, 500 "
                                                   "kbit/s).")] = None,
    screen_retention_days: Annotated[Cell, arg_help("Optional: days screen recordings are kept "
                                                    f"(max {SCREEN_DAYS.maximum}; default: as "
                                                    "the audio).")] = None,
    allowance_gb: Annotated[Cell, arg_help("Optional: storage allowance in GB (one number or "
                                           "one per period) to price the overage.")] = None,
    overage_rate: Annotated[Cell, arg_help("Optional: price per GB above the allowance, in "
                                           f"currency_code (default {STORAGE_OVERAGE_USD_PER_GB}, "
                                           "the published USD rate).")] = None,
    currency_code: CurrencyCode = None,
) -> Result:
    ("Storage forecast per billing period: spills a header and per period the new GB, stored "
     "(billed) GB, allowance, overage GB and overage cost (default USD 0.25/GB).")
    currency = cells.read_currency(currency_code, default=DEFAULTS["currency_code"])
    rate = cells.scalar(overage_rate, "overage_rate")
    check_rate_currency(currency, rate, where="overage_rate")  # as the CLI
    with cells.argument_names():  # the engine's 'storage.calls_per_month' is an argument here
        forecast = storage_forecast(
            cells.storage_settings(calls_per_month, avg_minutes, retention_days,
                                   audio_mb_per_minute, screen_share, screen_mb_per_minute,
                                   screen_retention_days, overage_rate),
            cells.read_date(start_date, "start_date"),
            cells.read_whole(months, "months", minimum=1),
            allowance_gb=cells.read_allowance(allowance_gb), currency=currency)
    return spill_rows(forecast, FORECAST_COLUMNS)


@xw.func(category=CATEGORY)
@excel_safe
def BM_FAIR_USE(
    license: Annotated[Cell, arg_help("License: pc1, pc2, pc3, communicate, collaborate (or "
                                      "'PureCloud 2', 'CX 2').")],
    license_model: Annotated[Cell, arg_help("named, concurrent or hourly.")],
    feature: Annotated[Cell, arg_help("storage_gb, ivr_minutes or api_requests.")],
    users: Annotated[Cell, arg_help("Billable users of that license (hourly: billable hours): a "
                                    "number or a column of numbers.")],
) -> Result:
    ("Fair-use allowance of a month for a number of billable users: storage GB, IVR minutes or"
     " API requests (e.g. 20 pc2 named users: 500 GB).")
    lic, model = cells.read_text(license, "license"), cells.read_text(license_model,
                                                                      "license_model")
    feat = cells.read_text(feature, "feature").lower()
    return cells.map_column(users, lambda count: float(fair_use_allowance(lic, model, feat, count)),
                            reader=cells.users_count)


@xw.func(category=CATEGORY)
@excel_safe
def BM_ROUND_CURRENCY(
    amount: Annotated[Cell, arg_help("Amount to round: a number or a column of numbers.")],
    currency_code: Annotated[Cell, arg_help("AUD, BRL, CAD, EUR, GBP, JPY, NZD or USD.")],
) -> Result:
    ("Rounds an amount half up to the currency's minor unit (cents; whole yen for JPY), as "
     "invoices do: 2.675 USD gives 2.68.")
    code = cells.read_text(currency_code, "currency_code")
    return cells.map_column(amount, lambda value: float(round_money(value, code)),
                            reader=cells.amount)


#: every Excel function of this module, for tests and the sample sheet
EXCEL_FUNCTIONS: tuple[Callable, ...] = (
    BM_CONCURRENT_PEAK, BM_NAMED_USERS, BM_BILLABLE_HOURS, BM_CONCURRENCY_PROFILE,
    BM_BILLING_PERIODS, BM_INVOICE_SCHEDULE, BM_STORAGE_FORECAST, BM_FAIR_USE,
    BM_ROUND_CURRENCY,
)

#: ``from billing_model.udfs import *`` (``udfs/billing_udfs.py``, xlwings Lite's ``main.py``)
#: brings every Excel function: xlwings registers the functions it finds in the module it imports
__all__ = ["EXCEL_FUNCTIONS", "MAX_ERROR_CHARS", *(f.__name__ for f in EXCEL_FUNCTIONS)]
