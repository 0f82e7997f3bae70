"""``billing-model usage``: billable named users and concurrent peaks from session data."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import numpy as np

from ..core.concurrency import (
    DEFAULT_MIN_MINUTES,
    DEFAULT_PEAK_RULE,
    PEAK_RULES,
    _check_min_minutes,
)
from ..core.daily import DAILY_COLUMNS
from ..core.licenses import normalize_license
from ..core.periods import (
    DEFAULT_TIMEZONE,
    MEASURED_SHARE,
    floor_decimals,
    get_timezone,
    parse_zone,
    to_date,
)
from ..core.sessions import OTHER_CLIENTS, OTHER_PRESENCE
from ..core.usage import COLUMNS, USER_COLUMNS
from ..output import add_csv_raw_option, print_table, write_columns_csv

if TYPE_CHECKING:
    import pandas as pd


def _lower(text: str) -> str:
    return text.strip().lower()


def add_session_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that reads session data."""
    parser.add_argument(
        "sessions",
        metavar="PATH",
        help="CSV, Parquet or user-details JSON file, a folder of parts, or a glob",
    )
    parser.add_argument(
        "--order-date",
        metavar="YYYY-MM-DD",
        help="contract order date anchoring the billing periods "
        "(default: the date of the earliest session)",
    )
    parser.add_argument(
        "--timezone",
        default=DEFAULT_TIMEZONE,
        metavar="ZONE",
        help=f"billing time zone, any IANA name (default {DEFAULT_TIMEZONE})",
    )
    parser.add_argument(
        "--license",
        metavar="LICENSE",
        help="license for rows without one (collaborate, communicate, pc1-pc3, "
        "'PureCloud 2', 'CX 2', ...)",
    )
    parser.add_argument(
        "--input-timezone", metavar="ZONE", help="zone of timestamps written without a UTC offset"
    )
    parser.add_argument("--org", metavar="NAME", help="org name for rows without one")
    parser.add_argument(
        "--region",
        metavar="NAME",
        help="region for rows without one (a blank cell, a file without a "
        "region column); each region of an org is billed apart",
    )
    parser.add_argument(
        "--other-clients",
        choices=OTHER_CLIENTS,
        type=_lower,
        help="what client values other than desktop, web, mobile (billable) and "
        "api, integration, bot, ... (not billable) are; default: refused",
    )
    parser.add_argument(
        "--other-presence",
        choices=OTHER_PRESENCE,
        type=_lower,
        help="what a JSON export's systemPresence other than the ten the vendor "
        "documents (AVAILABLE, ..., OFFLINE) is; default: refused",
    )
    parser.add_argument(
        "--as-of",
        metavar="TIMESTAMP",
        help="when the export was taken (ISO 8601 with an offset): JSON presence "
        "records without endTime run until then, and the data's window "
        "ends there: sessions ending later are counted until then, one "
        "starting later is refused (default: the latest time in the data)",
    )
    parser.add_argument(
        "--peak-rule",
        choices=PEAK_RULES,
        default=DEFAULT_PEAK_RULE,
        help=f"cumulative: the vendor's method ({DEFAULT_MIN_MINUTES} minutes in "
        f"total); contiguous: {DEFAULT_MIN_MINUTES} consecutive minutes",
    )
    parser.add_argument(
        "--min-minutes",
        type=int,
        default=DEFAULT_MIN_MINUTES,
        metavar="N",
        help=f"minutes a level must accrue to bill (default {DEFAULT_MIN_MINUTES})",
    )
    parser.add_argument(
        "--engine",
        choices=("numpy", "dask"),
        default="numpy",
        help="numpy: in memory (default); dask: partitioned, for large inputs",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --engine dask: a Dask distributed scheduler (tcp://host:8786)",
    )


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "usage",
        help="billable named users and concurrent peaks per org, period and license",
        description="Billable named users and the billable concurrent peak per org, billing "
        "period and license, from minute-level session data, by the vendor's rules.",
    )
    add_session_options(parser)
    parser.add_argument(
        "--format",
        choices=("table", "csv"),
        default="table",
        help="table for people (default) or csv",
    )
    parser.add_argument(
        "--by-user",
        action="store_true",
        help="one row per org, period and user: minutes present at the minute "
        "marks, named, billed as concurrent (to reconcile the vendor's "
        "concurrent usage report)",
    )
    parser.add_argument(
        "--daily",
        action="store_true",
        help="one row per org and day (billing time zone): the most PureCloud "
        "1-3 users present at a minute mark and the minutes at that peak, "
        "as the vendor's concurrent usage report shows them",
    )
    add_csv_raw_option(parser)
    return parser


def usage_from_args(args) -> pd.DataFrame:
    """Run the usage engine the options ask for (shared with ``compare``): a DataFrame."""
    from ..core.usage import to_frame

    result = _usage(args)
    return result if not isinstance(result, dict) else to_frame(result)


def _usage(args):
    """The usage rows: NumPy columns from the in-memory engine (no pandas loaded), a DataFrame
    from the Dask engine."""
    timezone = parse_zone(args.timezone, where="--timezone")  # once: the engines take it as is
    if getattr(args, "daily", False) and getattr(args, "by_user", False):
        from ..core.errors import BillingInputError

        raise BillingInputError(
            "--daily and --by-user: choose one (per day, or per user and period)"
        )
    if args.input_timezone is not None:  # checked even when every timestamp has an offset
        get_timezone(args.input_timezone, where="--input-timezone")
    if args.license is not None:  # named as typed, not as a column the file may not have
        normalize_license(args.license, where="--license")
    order_date = to_date(args.order_date, where="--order-date") if args.order_date else None
    _check_min_minutes(args.min_minutes, where="--min-minutes")
    from ..core.sessions import FLAGS
    from ..io.sessions import parse_as_of

    as_of = parse_as_of(args.as_of, FLAGS)
    if args.engine == "dask":
        try:
            import dask  # noqa: F401
            import distributed  # noqa: F401
        except ModuleNotFoundError:
            from ..core.errors import BillingInputError

            raise BillingInputError(
                "--engine dask: Dask is not installed; accepted: install it "
                "with pip install 'billing_model[scale]'"
            ) from None
        from ..dask_engine import compute_usage_dask

        return compute_usage_dask(
            args.sessions,
            order_date=order_date,
            timezone=timezone,
            peak_rule=args.peak_rule,
            min_minutes=args.min_minutes,
            license=args.license,
            input_timezone=args.input_timezone,
            org=args.org,
            other_clients=args.other_clients,
            region=args.region,
            as_of=as_of,
            other_presence=args.other_presence,
            option_names=FLAGS,
            scheduler=args.scheduler,
            by_user=getattr(args, "by_user", False),
            daily=getattr(args, "daily", False),
        )
    if args.scheduler:
        from ..core.errors import BillingInputError

        raise BillingInputError("--scheduler: only with --engine dask")
    from ..core.usage import usage_columns
    from ..io.sessions import read_sessions

    sessions = read_sessions(
        args.sessions,
        license=args.license,
        input_timezone=args.input_timezone,
        org=args.org,
        other_clients=args.other_clients,
        as_of=as_of,
        other_presence=args.other_presence,
        region=args.region,
        option_names=FLAGS,
    )
    return usage_columns(
        sessions,
        order_date=order_date,
        timezone=timezone,
        peak_rule=args.peak_rule,
        min_minutes=args.min_minutes,
        as_of=as_of,
        by_user=getattr(args, "by_user", False),
        daily=getattr(args, "daily", False),
    )


def run(args) -> int:
    result = _usage(args)
    columns = (
        result
        if isinstance(result, dict)
        else {name: result[name].to_numpy() for name in result.columns}
    )
    if args.by_user:
        return _run_by_user(columns, args)
    if args.daily:
        return _run_daily(columns, args)
    names = shown_names(COLUMNS, columns)
    if args.format == "csv":
        out = {name: columns[name] for name in names}
        out["logged_in_hours"] = hours_text(out["logged_in_hours"])
        write_columns_csv(out, raw=args.csv_raw)
        return 0
    from ..core.usage import to_frame

    frame = to_frame(columns)
    rule = f"{args.peak_rule} rule, {args.min_minutes} minutes" + (
        " in total" if args.peak_rule == "cumulative" else " in a row"
    )
    shown = frame[names].rename(
        columns={
            "period_start": "from",
            "period_end": "to",
            "named_users": "named",
            "concurrent_users": "concurrent",
            "peak_concurrent": "billable peak",
            "raw_peak": "highest minute",
            "logged_in_hours": "logged-in h",
            "billable_hours": "billable h",
        }
    )
    shown["coverage"] = [coverage_text(c) for c in frame["coverage"]]
    shown["logged-in h"] = hours_text(frame["logged_in_hours"].to_numpy())
    print_table(
        shown,
        title=f"Billable users per org, period and license ({args.timezone})",
        footer=f"named: users who logged in (desktop, web, mobile) in the period, at "
        f"their highest license; concurrent: the billable peak ({rule}) split by "
        "the licenses of the users present longest; billable peak and highest "
        "minute are the org's whole PureCloud pool, repeated on each of its rows "
        "(a Communicate row shows them too). coverage: the share of the period "
        "the data covers; * partial: less than half, not a month's users. "
        "logged-in h: the named users' time logged in to a user interface "
        "(overlapping sessions once), billable h: that rounded up to a whole "
        "hour (hourly licensing).",
    )
    return 0


def hours_text(hours: np.ndarray) -> np.ndarray:
    """Logged-in hours as printed: two decimals (the engine keeps them unrounded).

    >>> hours_text(np.array([222.34, 0.005, 3.0])).tolist()
    ['222.34', '0.01', '3.00']
    """
    return np.char.mod("%.2f", np.asarray(hours, dtype=np.float64))


def shown_names(names: list[str], columns) -> list[str]:
    """The columns written: ``names``, with ``region`` after ``org`` when the data has one."""
    from ..core.usage import output_names

    return output_names(names, columns)[:-1]


def coverage_text(share: float) -> str:
    """A period's coverage as the table shows it: whole percent rounded *down*, so "50%" never
    appears on a partial period (one 1 ns short of half was shown "50% partial*") nor "100%" on
    one not wholly covered; "<1%" for a sliver of data; ``partial*`` below
    :data:`~billing_model.core.periods.MEASURED_SHARE`.

    >>> coverage_text(0.4999999999999996), coverage_text(0.5), coverage_text(0.29)
    ('49% partial*', '50%', '29% partial*')
    >>> coverage_text(0.008), coverage_text(0.9999), coverage_text(1.0)
    ('<1% partial*', '99%', '100%')
    """
    percent = round(float(floor_decimals([share], 2)[0]) * 100)  # whole hundredths
    text = "<1%" if percent == 0 and share > 0 else f"{percent}%"
    return text + ("" if share >= MEASURED_SHARE else " partial*")


def _run_by_user(columns, args) -> int:
    """``usage --by-user``: one row per org, period and user."""
    out = {name: columns[name] for name in shown_names(USER_COLUMNS, columns)}
    for name in ("named", "billed_concurrent"):
        out[name] = np.where(out[name].astype(bool), "true", "false")
    if args.format == "csv":
        write_columns_csv(out, raw=args.csv_raw)
        return 0
    from ..core.usage import to_frame

    print_table(
        to_frame(out).rename(
            columns={
                "period_start": "from",
                "period_end": "to",
                "minutes_present": "minutes present",
                "billed_concurrent": "billed concurrent",
            }
        ),
        title=f"Users per org and period ({args.timezone})",
        footer="minutes present: the minute marks (m:00) at which one of the user's "
        "desktop, web or mobile sessions was open; named: logged in to a user "
        "interface in the period; billed concurrent: among the users present "
        "longest, up to the billable peak (ties: higher license, then user id)",
    )
    return 0


def _run_daily(columns, args) -> int:
    """``usage --daily``: the vendor's daily concurrent usage report, one row per org and day."""
    out = {name: columns[name] for name in shown_names(DAILY_COLUMNS, columns)}
    if args.format == "csv":
        write_columns_csv(out, raw=args.csv_raw)
        return 0
    from ..core.usage import to_frame

    print_table(
        to_frame(out).rename(
            columns={"peak_concurrent": "peak concurrent", "minutes_at_peak": "minutes at peak"}
        ),
        title=f"Concurrent users per org and day ({args.timezone})",
        footer="peak concurrent: the most PureCloud 1-3 users present at one minute "
        "mark (m:00) of the day; minutes at peak: the day's minute marks at "
        "which that many were present (the vendor's concurrent usage report); "
        "a day with nobody present has no row",
    )
    return 0
