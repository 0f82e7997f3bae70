"""``billing-model compare``: named or concurrent licensing, priced on the same session data."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..core.money import TAX_NOTE, check_currency
from ..output import add_csv_raw_option, print_table, write_csv
from .usage import add_session_options, usage_from_args

if TYPE_CHECKING:
    import pandas as pd

    from ..core.compare import Comparison

# pandas and the comparison engine are imported by the functions that run the command:
# `billing-model --help` and `--version` build this parser without them (issue #17)


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "compare",
        help="named vs concurrent: both models priced on the same sessions",
        description="Run the named and the concurrent license model on the same session data and "
        "price both per billing period: billable quantities, costs, the cheaper "
        "model and by how much, and the break-even concurrent rate (with "
        "--hourly-rate, the hourly model too). Communicate and "
        "Collaborate users are always named (same cost under both models) and are "
        "left out.",
    )
    add_session_options(parser)
    parser.add_argument(
        "--named-rate", required=True, metavar="PRICE", help="price per named user per month"
    )
    parser.add_argument(
        "--concurrent-rate",
        required=True,
        metavar="PRICE",
        help="price per concurrent user per month",
    )
    parser.add_argument(
        "--hourly-rate",
        metavar="PRICE",
        help="price per billable hour: adds the hourly model (the PureCloud 1-3 "
        "users' logged-in hours, rounded up per period) and its break-even "
        "rate",
    )
    parser.add_argument(
        "--currency",
        default="USD",
        help="currency of the rates (AUD BRL CAD EUR GBP JPY NZD USD; default USD)",
    )
    parser.add_argument(
        "--format",
        choices=("table", "csv"),
        default="table",
        help="table for people (default) or csv (one row per period + total)",
    )
    add_csv_raw_option(parser)
    return parser


def comparison_csv(result: Comparison) -> pd.DataFrame:
    """Per-period rows and a ``total`` row, all as text (exact decimals, ISO dates)."""
    import pandas as pd

    from ..core.compare import HOURLY_COLUMNS, PERIOD_COLUMNS

    rows = result.periods.astype(object).map(lambda v: "" if v is None else str(v))
    total = {
        "period": "total",
        "period_start": str(rows["period_start"].iloc[0]) if len(rows) else "",
        "period_end": str(rows["period_end"].iloc[-1]) if len(rows) else "",
        "named_users": str(result.named_users),
        "named_cost": str(result.named_cost),
        "concurrent_users": str(result.concurrent_users),
        "concurrent_cost": str(result.concurrent_cost),
        "cheaper": result.cheaper,
        "difference": str(result.named_cost - result.concurrent_cost),
        "always_named_users": str(int(result.periods["always_named_users"].sum())),
    }
    hourly = result.hourly_rate is not None
    if hourly:
        total.update(
            hourly_hours=str(result.hourly_hours),
            hourly_cost=str(result.hourly_cost),
            cheaper=result.cheapest,
        )
    out = pd.concat([rows, pd.DataFrame([total])], ignore_index=True)
    out.insert(len(out.columns), "currency", result.currency)
    return out[[*PERIOD_COLUMNS, *(HOURLY_COLUMNS if hourly else ()), "currency"]]


def verdict(result: Comparison) -> str:
    """The answer in words: which model, by how much, and the break-even concurrent rate."""
    cur = result.currency
    n = len(result.periods)
    span = f"{n} period" + ("" if n == 1 else "s")
    if result.cheaper == "equal":
        head = f"Both models cost {result.named_cost} {cur} over {span}."
    else:
        dearer = "named" if result.cheaper == "concurrent" else "concurrent"
        head = (
            f"{result.cheaper.capitalize()} is cheaper by {result.saving} {cur} over {span} "
            f"({result.saving_share:.1%} less than {dearer})."
        )
    rate = result.break_even_concurrent_rate
    if rate is None:
        tail = "No concurrent users in these periods: no break-even rate."
    else:
        tail = (
            f"Break-even concurrent rate: {rate} {cur} per user per month (concurrent is "
            f"cheaper below it; {result.users_ratio:.2f} x the named rate)."
        )
    if result.hourly_rate is not None:
        hourly = (
            f" Hourly at {result.hourly_rate} {cur} per billable hour: {result.hourly_cost} "
            f"{cur} for {result.hourly_hours:,} hours"
            + ("" if result.cheapest != "hourly" else ", the cheapest of the three")
        )
        even = result.break_even_hourly_rate
        hourly += (
            f"; break-even hourly rate {even} {cur} (hourly is cheaper than named below it)."
            if even is not None
            else "; no billable hours."
        )
        return f"{head} {tail}{hourly}"
    return f"{head} {tail}"


def run(args) -> int:
    import pandas as pd

    from ..core.compare import check_rate, compare_models

    named_rate = check_rate(args.named_rate, "--named-rate")
    concurrent_rate = check_rate(args.concurrent_rate, "--concurrent-rate")
    hourly_rate = (
        check_rate(args.hourly_rate, "--hourly-rate", per="billable hour")
        if args.hourly_rate is not None
        else None
    )
    currency = check_currency(args.currency, where="--currency")
    usage = usage_from_args(args)
    result = compare_models(
        usage,
        named_rate=named_rate,
        concurrent_rate=concurrent_rate,
        currency=currency,
        hourly_rate=hourly_rate,
    )
    if args.format == "csv":
        write_csv(comparison_csv(result), raw=args.csv_raw)
        return 0
    per = result.periods
    shown = pd.DataFrame(
        {
            "period": per["period"].astype(str),
            "from": per["period_start"].astype(str),
            "to": per["period_end"].astype(str),
            "named users": per["named_users"].astype(str),
            "named cost": per["named_cost"].astype(str),
            "concurrent users": per["concurrent_users"].astype(str),
            "concurrent cost": per["concurrent_cost"].astype(str),
            "cheaper": per["cheaper"].astype(str),
            "saving": [str(abs(d)) for d in per["difference"]],
        }
    )
    total = pd.DataFrame(
        [
            {
                "period": "total",
                "from": "",
                "to": "",
                "named users": str(result.named_users),
                "named cost": str(result.named_cost),
                "concurrent users": str(result.concurrent_users),
                "concurrent cost": str(result.concurrent_cost),
                "cheaper": result.cheaper,
                "saving": str(result.saving),
            }
        ]
    )
    if result.hourly_rate is not None:  # beside the other two; cheaper: of the three
        shown.insert(7, "hourly hours", per["hourly_hours"].astype(str))
        shown.insert(8, "hourly cost", per["hourly_cost"].astype(str))
        shown = shown.rename(columns={"saving": "named vs concurrent"})
        total.insert(7, "hourly hours", str(result.hourly_hours))
        total.insert(8, "hourly cost", str(result.hourly_cost))
        total["cheaper"] = result.cheapest
        total = total.rename(columns={"saving": "named vs concurrent"})
    always = int(per["always_named_users"].sum())
    note = (
        " Communicate/Collaborate users are always named: the same cost under both models, "
        f"left out here ({always} user-periods)."
    )
    _print(
        pd.concat([shown, total], ignore_index=True),
        title=f"Named at {result.named_rate} vs concurrent at {result.concurrent_rate} "
        f"{result.currency} per user per month"
        + (
            f" vs hourly at {result.hourly_rate} per billable hour"
            if result.hourly_rate is not None
            else ""
        )
        + f" ({args.timezone}; "
        f"{args.peak_rule} peaks, {args.min_minutes} minutes)",
        footer=f"{verdict(result)}{note} Concurrent users are the billable peaks, per org, "
        f"added up. {TAX_NOTE}",
    )
    return 0


def _print(frame: pd.DataFrame, *, title: str, footer: str, out=None) -> None:
    """Numbers right-aligned, the total row set apart, the verdict under the table."""
    last = len(frame) - 1
    print_table(
        frame,
        title,
        footer=footer,
        out=out,
        justify={
            c: "left" if c in ("period", "from", "to", "cheaper") else "right"
            for c in frame.columns
        },
        bold_rows=[last],
        end_sections=[last - 1],
        width="terminal",
    )
