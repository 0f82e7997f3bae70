"""``billing-model invoices``: the invoice schedule of a scenario file."""

from __future__ import annotations

import argparse
import math
from decimal import Decimal
from typing import TYPE_CHECKING

from ..core.money import TAX_NOTE
from ..output import add_csv_raw_option, print_table, write_csv

if TYPE_CHECKING:
    import pandas as pd

    from ..core.contract import Scenario

# pandas and the engine are imported by the functions that run the command: `billing-model
# --help` and `--version` build this parser without them (issue #17)


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "invoices",
        help="invoice schedule of a contract scenario (ramp, prepay, overage, usage)",
        description="Every invoice line of a contract scenario (TOML): one-time and hardware "
        "charges, ramp usage, prepay in advance, overage, telephony and fair-use "
        "overages in arrears, with due dates and exact amounts.",
    )
    parser.add_argument("scenario", metavar="SCENARIO.toml", help="scenario file")
    parser.add_argument(
        "--format",
        choices=("table", "csv"),
        default="table",
        help="table for people (default) or csv (one row per invoice line)",
    )
    parser.add_argument(
        "--totals",
        action="store_true",
        help="one row per invoice (date, due date, lines, total) instead of the lines",
    )
    parser.add_argument(
        "--variant",
        metavar="NAME",
        help="a [[variant]] of the scenario by name (default: the scenario itself, 'base')",
    )
    add_csv_raw_option(parser)
    return parser


def format_quantity(value: float) -> str:
    """``100.0`` -> ``100``; other values as the shortest exact float text."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def schedule_csv(schedule: pd.DataFrame) -> pd.DataFrame:
    """The schedule as text columns for CSV: ISO dates, exact decimals, empty for no amount."""
    from ..core.invoices import COLUMNS

    out = schedule[list(COLUMNS)].copy()
    for col in ("invoice_date", "due_date", "service_start", "service_end", "rate", "amount"):
        out[col] = [_text(v) for v in out[col]]
    out["quantity"] = [format_quantity(v) for v in out["quantity"]]
    return out


def _table(schedule: pd.DataFrame, scenario: Scenario, name: str, out=None) -> None:
    """One section per invoice (its lines, then its total and due date), a grand total and the
    tax note."""
    import pandas as pd

    from ..core.invoices import grand_total, invoice_totals

    contract = scenario.contract
    totals = invoice_totals(schedule).set_index("invoice_date").to_dict("index")
    rows, bold = [], []
    for invoice, group in schedule.groupby("invoice_date", sort=True):  # a loop over invoices
        for line in group.to_dict("records"):
            rows.append(
                [
                    str(invoice),
                    line["description"],
                    line["timing"],
                    f"{line['service_start']} .. {line['service_end']}",
                    format_quantity(line["quantity"]),
                    _text(line["rate"]),
                    _text(line["amount"]),
                ]
            )
        total = totals[invoice]
        bold.append(len(rows))
        rows.append(
            [
                "",
                f"Invoice {invoice} total (due {total['due_date']})",
                "",
                "",
                "",
                "",
                _text(total["amount"]),
            ]
        )
    columns = ["invoice", "description", "timing", "service dates", "quantity", "rate", "amount"]
    grand = grand_total(schedule)
    partner = (
        ("Partner channel: quantities only; billing and cost details come through the partner. ")
        if contract.partner
        else ""
    )
    grand_text = (
        f"Grand total: {grand} {contract.currency} over {len(totals)} invoices. "
        if grand is not None
        else ""
    )
    print_table(
        pd.DataFrame(rows, columns=columns),
        f"Invoice schedule: {name} ({contract.currency}; ramp {contract.ramp_months} "
        f"months, {contract.ramp_policy}; term {contract.term_months} months; net "
        f"{contract.payment_terms_days})",
        footer=f"{grand_text}{partner}{TAX_NOTE}",
        out=out,
        justify={c: "right" if c in ("quantity", "rate", "amount") else "left" for c in columns},
        bold_rows=bold,
        end_sections=bold,
        width="terminal",
    )


def _variants_summary(scenario: Scenario, out=None) -> None:
    """Side by side: each variant's ramp, policy and totals (a finance ramp study)."""
    import pandas as pd

    from ..core.invoices import grand_total, invoice_schedule

    rows = []
    for name, variant in scenario.variants():  # a loop over variants
        schedule = invoice_schedule(variant)
        software = schedule[schedule["description"].str.contains(" users")]
        c = variant.contract
        rows.append(
            {
                "variant": name,
                "ramp months": c.ramp_months,
                "ramp policy": c.ramp_policy,
                "term months": c.term_months,
                "user charges": _text(grand_total(software) or Decimal(0)),
                "grand total": _text(grand_total(schedule)),
            }
        )
    print_table(
        pd.DataFrame(rows).astype(str),
        f"Variants of {scenario.name} ({scenario.contract.currency}); pick one with --variant NAME",
        out=out,
        justify={c: "left" if c in ("variant", "ramp policy") else "right" for c in rows[0]},
        width="terminal",
    )


def run(args) -> int:
    from ..core.invoices import grand_total, invoice_schedule, invoice_totals
    from ..service import load_scenario

    scenario = load_scenario(args.scenario)
    # --variant "" is an unknown variant, not the base
    chosen = scenario.variant(args.variant) if args.variant is not None else scenario
    schedule = invoice_schedule(chosen)
    if schedule.empty and args.format == "table":  # an empty table said nothing
        print(
            f"No invoice lines for {chosen.name}: every charge is zero (lines with a zero "
            "quantity or a zero rounded amount are left out; check the rates)."
        )
        return 0
    if args.totals:
        totals = invoice_totals(schedule)
        text = totals.astype(object).map(_text)
        text["lines"] = totals["lines"].astype(str)
        if args.format == "csv":
            write_csv(text, raw=args.csv_raw)
        else:
            grand = grand_total(schedule)
            print_table(
                text,
                title=f"Invoices of {chosen.name}"
                + (f", variant {args.variant!r}" if args.variant else ""),
                footer=(
                    f"Grand total: {grand} {chosen.contract.currency}. "
                    if grand is not None
                    else ""
                )
                + TAX_NOTE,
            )
        return 0
    if args.format == "csv":
        write_csv(schedule_csv(schedule), raw=args.csv_raw)
        return 0
    name = scenario.name + (f", variant {args.variant!r}" if args.variant else "")
    _table(schedule, chosen, name)
    if len(scenario.variants()) > 1 and not chosen.contract.partner:
        _variants_summary(scenario)
    return 0
