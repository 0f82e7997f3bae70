"""``billing-model storage``: forecast recording storage against the fair-use allowance."""

from __future__ import annotations

import argparse
import math
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from ..core.allowances import STORAGE_OVERAGE_USD_PER_GB, check_model, fair_use_allowance
from ..core.errors import BillingInputError
from ..core.licenses import normalize_license
from ..core.limits import LIMITS
from ..core.money import check_currency, round_money
from ..core.periods import DEFAULT_TIMEZONE, MAX_PERIODS, BillingCalendar, get_timezone, to_date
from ..core.storage_settings import (
    DEFAULT_AUDIO_MB_PER_MINUTE,
    DEFAULT_SCREEN_MB_PER_MINUTE,
    GB_DECIMALS,
    StorageSettings,
    growing_calls,
)
from ..output import add_csv_raw_option, print_table, write_csv

if TYPE_CHECKING:
    import pandas as pd

# pandas and the forecast (core.storage) are imported by the functions that run the command:
# `billing-model --help` and `--version` build this parser without them (issue #17)

#: scenario key -> CLI option, so that errors name what the user typed
OPTIONS = {
    "calls_per_month": "--calls-per-month",
    "avg_minutes": "--avg-minutes",
    "retention_days": "--retention-days",
    "recorded_share": "--recorded-share",
    "audio_mb_per_minute": "--audio-mb-per-minute",
    "screen_share": "--screen-share",
    "screen_mb_per_minute": "--screen-mb-per-minute",
    "screen_retention_days": "--screen-retention-days",
    "archive_after_days": "--archive-after-days",
    "overage_rate": "--overage-rate",
}


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "storage",
        help="forecast recording storage per billing period against the fair-use allowance",
        description="Forecast recording storage per billing period (a new org, nothing stored "
        "at the start), the allowance, the overage and its cost. Sizes are stated "
        f"assumptions: audio {DEFAULT_AUDIO_MB_PER_MINUTE:g} MB/min (64 kbit/s), "
        f"screen {DEFAULT_SCREEN_MB_PER_MINUTE:g} MB/min (500 kbit/s video).",
    )
    volume = p.add_argument_group("volume")
    volume.add_argument(
        "--calls-per-month",
        required=True,
        metavar="N",
        help="recorded-call volume in the first billing period",
    )
    volume.add_argument(
        "--growth-rate",
        default="0",
        metavar="R",
        help="monthly growth of the call volume as a fraction (0.02 = 2 %%; default 0)",
    )
    volume.add_argument(
        "--avg-minutes", required=True, metavar="X", help="average call duration in minutes"
    )
    volume.add_argument(
        "--recorded-share", metavar="P", help="share of calls recorded, 0..1 (default 1)"
    )
    volume.add_argument(
        "--audio-mb-per-minute",
        metavar="MB",
        help=f"audio size per minute (default {DEFAULT_AUDIO_MB_PER_MINUTE:g})",
    )
    volume.add_argument(
        "--screen-share",
        metavar="P",
        help="share of calls with a screen recording, 0..1 (default 0)",
    )
    volume.add_argument(
        "--screen-mb-per-minute",
        metavar="MB",
        help=f"screen size per minute (default {DEFAULT_SCREEN_MB_PER_MINUTE:g})",
    )
    keep = p.add_argument_group("retention")
    keep.add_argument(
        "--retention-days",
        metavar="D",
        help="days a recording is kept, the day of the call included",
    )
    keep.add_argument(
        "--screen-retention-days",
        metavar="D2",
        help="days a screen recording is kept (default: as audio; at most "
        f"{LIMITS['screen_retention_days'].maximum})",
    )
    keep.add_argument(
        "--archive-after-days",
        metavar="A",
        help="archive after A days: archived recordings do not count",
    )
    horizon = p.add_argument_group("horizon")
    horizon.add_argument(
        "--start-date",
        required=True,
        metavar="DATE",
        help="first day of the first billing period (order date), YYYY-MM-DD",
    )
    horizon.add_argument(
        "--months", required=True, metavar="M", help="number of billing periods (the contract term)"
    )
    horizon.add_argument(
        "--timezone",
        default=DEFAULT_TIMEZONE,
        help=f"billing time zone (default {DEFAULT_TIMEZONE})",
    )
    allowance = p.add_argument_group("allowance and price")
    allowance.add_argument("--allowance-gb", metavar="G", help="storage allowance per period")
    allowance.add_argument(
        "--license", metavar="L", help="license of the billable users (pc1, pc2, pc3, communicate)"
    )
    allowance.add_argument(
        "--license-model",
        default="named",
        metavar="MODEL",
        help="named, concurrent or hourly (default named)",
    )
    allowance.add_argument(
        "--users",
        metavar="U",
        help="billable users per period (billable hours with --license-model hourly)",
    )
    allowance.add_argument(
        "--overage-rate",
        metavar="R",
        help="price per GB per month above the allowance (default "
        f"{STORAGE_OVERAGE_USD_PER_GB} USD, the published example)",
    )
    allowance.add_argument("--currency", default="USD", help="currency of the rate (default USD)")
    out = p.add_argument_group("output")
    out.add_argument(
        "--max-retention",
        action="store_true",
        help="print the longest retention (days) that stays within the allowance",
    )
    out.add_argument("--daily", action="store_true", help="one row per day instead of period")
    out.add_argument(
        "--format",
        choices=("table", "csv"),
        default="table",
        help="table for people (default) or csv",
    )
    add_csv_raw_option(out)
    return p


def _number(text: str, option: str, accepted: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        raise BillingInputError(f"{option}: {text!r} is not a number; accepted: {accepted}")
    return value


def _months(text: str) -> int:
    accepted = f"a whole number of billing periods from 1 to {MAX_PERIODS}"
    value = _number(text, "--months", accepted)
    if value != int(value) or not 1 <= value <= MAX_PERIODS:
        raise BillingInputError(f"--months: {text!r} is not accepted; accepted: {accepted}")
    return int(value)


def _settings(args: argparse.Namespace, months: int) -> StorageSettings:
    table: dict[str, object] = {
        key: getattr(args, key) for key in OPTIONS if getattr(args, key) is not None
    }
    if args.max_retention and args.retention_days is None:
        table["retention_days"] = 1  # the value being solved for; any valid one will do
    if "retention_days" not in table:
        raise BillingInputError(
            "--retention-days: missing; accepted: a whole number of days (or ask --max-retention)"
        )
    flags = {**OPTIONS, "growth_rate": "--growth-rate"}
    table["calls_per_month"] = growing_calls(
        args.calls_per_month, args.growth_rate, months, label=lambda key: flags.get(key, key)
    )
    return StorageSettings.from_mapping(table, key_label=lambda key: OPTIONS.get(key, key))


def _allowance(args: argparse.Namespace) -> float | None:
    if args.allowance_gb is not None:
        if args.license is not None or args.users is not None:
            raise BillingInputError(
                "--allowance-gb: give either --allowance-gb or --license with --users, not both"
            )
        value = _number(args.allowance_gb, "--allowance-gb", "GB >= 0")
        if value < 0:
            raise BillingInputError(
                f"--allowance-gb: {args.allowance_gb!r} is negative; accepted: GB >= 0"
            )
        return value
    if args.license is None and args.users is None:
        return None
    if args.license is None or args.users is None:
        missing = "--users" if args.users is None else "--license"
        raise BillingInputError(
            f"{missing}: missing; the allowance from a license needs "
            "--license, --license-model and --users"
        )
    normalize_license(args.license, where="--license")
    check_model(args.license_model, where="--license-model")
    accepted = "a whole number of billable users >= 0"
    users = _number(args.users, "--users", accepted)
    if users < 0 or users != int(users):
        raise BillingInputError(f"--users: {args.users!r} is not accepted; accepted: {accepted}")
    return float(fair_use_allowance(args.license, args.license_model, "storage_gb", users))


def _gb(values) -> list[str]:
    import pandas as pd

    return ["" if pd.isna(v) else f"{v:.{GB_DECIMALS}f}" for v in values]


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..core.storage import (
        FORECAST_COLUMNS,
        check_rate_currency,
        max_retention,
        storage_daily,
        storage_forecast,
    )

    currency = check_currency(args.currency, where="--currency")
    check_rate_currency(currency, args.overage_rate, where="--overage-rate")
    check_model(args.license_model, where="--license-model")  # a typo, even when unused
    months = _months(args.months)
    args.start_date = to_date(args.start_date, where="--start-date")
    get_timezone(args.timezone, where="--timezone")
    settings = _settings(args, months)
    allowance = _allowance(args)

    if args.max_retention:
        if allowance is None:
            raise BillingInputError(
                "--max-retention: needs an allowance; give --allowance-gb or "
                "--license, --license-model and --users"
            )
        days = max_retention(settings, allowance, args.start_date, months, timezone=args.timezone)
        if args.format == "csv":
            write_csv(pd.DataFrame({"max_retention_days": [days]}), raw=args.csv_raw)
        else:
            horizon = int(
                BillingCalendar(args.start_date, args.timezone).days(np.arange(months)).sum()
            )
            gb = f"{allowance:,.3f}".rstrip("0").rstrip(".")
            print(
                f"Longest retention within {gb} GB over {months} billing periods: "
                f"{days} days"
                + (
                    f" (the whole {horizon}-day horizon: any longer retention fits too)"
                    if days >= horizon
                    else ""
                )
            )
        return 0

    if args.daily:
        daily = storage_daily(settings, args.start_date, months, timezone=args.timezone)
        if args.format == "csv":
            write_csv(daily, raw=args.csv_raw)
        else:
            print_table(
                daily.assign(
                    **{c: _gb(daily[c]) for c in daily.columns[3:]}, calls=daily["calls"].round(2)
                ),
                "Storage per day",
            )
        return 0

    forecast = storage_forecast(
        settings,
        args.start_date,
        months,
        timezone=args.timezone,
        allowance_gb=allowance,
        currency=currency,
    )
    table = forecast.loc[:, list(FORECAST_COLUMNS)]
    if args.format == "csv":
        write_csv(
            table.assign(
                **{c: _gb(table[c]) for c in ("new_gb", "stored_gb", "allowance_gb", "overage_gb")},
                overage_cost=["" if v is None else str(v) for v in table["overage_cost"]],
            ),
            raw=args.csv_raw,
        )
        return 0
    print_table(
        table.assign(
            **{c: _gb(table[c]) for c in ("new_gb", "stored_gb", "allowance_gb", "overage_gb")},
            overage_cost=["" if v is None else f"{v} {currency}" for v in table["overage_cost"]],
        ),
        "Storage forecast (GB = 1000 MB; stored_gb = the period's largest daily total)",
        footer=_footer(settings, forecast, months, currency),
    )
    return 0


def _footer(settings: StorageSettings, forecast: pd.DataFrame, months: int, currency: str) -> str:
    from ..core.storage import steady_state_gb

    last = forecast.iloc[-1]
    days_last = (last["period_end"] - last["period_start"]).days + 1
    per_day = settings.calls_by_period(months)[-1] / days_last
    steady = steady_state_gb(settings, per_day)
    lines = [
        f"Steady state at the last period's volume: {per_day:,.2f} calls/day x "
        + (
            f"({settings.audio_life_days} days x {settings.audio_gb_per_call * 1000:g} MB audio"
            f" + {settings.screen_life_days} days x {settings.screen_gb_per_call * 1000:g} MB "
            "screen per call)"
            if settings.screen_share
            else f"{settings.audio_life_days} days x {settings.audio_gb_per_call * 1000:g} MB "
            "per call"
        )
        + f" = {steady:,.3f} GB"
        + (
            " (not reached within the horizon)"
            if max(settings.audio_life_days, settings.screen_life_days)
            > (forecast["period_end"].iloc[-1] - forecast["period_start"].iloc[0]).days + 1
            else ""
        ),
        f"Total new: {forecast['new_gb'].sum():,.3f} GB over {months} billing periods",
    ]
    if forecast["overage_cost"].notna().any():
        total = sum(forecast["overage_cost"], Decimal(0))
        lines.append(
            f"Total overage: {forecast['overage_gb'].sum():,.3f} GB, "
            f"{round_money(total, currency)} {currency} (rate {settings.overage_rate} "
            f"{currency}/GB; taxes excluded)"
        )
    else:
        lines.append("No allowance given: give --allowance-gb or --license/--users for overage")
    lines.append(
        f"Sizes assumed: audio {settings.audio_mb_per_minute:g} MB/min, screen "
        f"{settings.screen_mb_per_minute:g} MB/min; the horizon starts with nothing "
        "stored"
    )
    return "\n".join(lines)


__all__ = ["add_parser", "run"]
