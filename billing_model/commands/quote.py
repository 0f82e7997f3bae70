"""``billing-model quote``: a scenario's quote as a PDF, ready to send to the customer."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.errors import BillingInputError


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "quote",
        help="write a scenario's quote as a PDF (needs LibreOffice)",
        description="Write the quote of a scenario with a [quote] table as a PDF: seller and "
        "customer, quote number and dates, the price summary, terms, an acceptance "
        "block and the invoice schedule as an appendix. The workbook's Quote sheet, "
        "recalculated and printed by LibreOffice headless.",
    )
    parser.add_argument("scenario", metavar="SCENARIO.toml", help="scenario file")
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT.pdf",
        help="PDF to write (default: the scenario's name -quote.pdf here)",
    )
    parser.add_argument("--variant", metavar="NAME", help="quote one variant of the scenario")
    return parser


def run(args) -> int:
    from ..core.invoices import contract_figures
    from ..io.libreoffice import RecalcError, find_soffice
    from ..service import load_scenario  # pandas: not for --help (issue #17)
    from ..workbook.quote_pdf import write_quote_pdf

    if args.output is not None and (
        not args.output.strip() or Path(args.output).suffix.lower() != ".pdf"
    ):
        raise BillingInputError(
            f"-o/--output: {args.output!r} is not accepted; accepted: a file name ending in .pdf"
        )
    scenario = load_scenario(args.scenario)
    if args.variant is not None:
        scenario = scenario.variant(args.variant)
    if scenario.quote is None:
        raise BillingInputError(
            f"{args.scenario}: no [quote] table; accepted: a scenario with "
            "a [quote] table (customer, valid_until, ...; docs/invoices.md)"
        )
    out = Path(args.output) if args.output else Path(f"{Path(args.scenario).stem}-quote.pdf")
    try:
        find_soffice()
    except RecalcError as exc:
        raise BillingInputError(f"quote: {exc}") from None
    figures = contract_figures(scenario)
    try:
        write_quote_pdf(scenario, out)
    except RecalcError as exc:  # LibreOffice failed or hung: not bad input, but one line
        print(f"billing-model: error: {exc}; {out} was left as it was", file=sys.stderr)
        return 1
    cur = scenario.contract.currency
    variant = "" if args.variant is None else f", variant {args.variant!r}"
    print(
        f"{out}: quote {scenario.quote.number or ''} for {scenario.quote.customer} "
        f"({scenario.name}{variant})".replace("quote  for", "quote for")
    )
    if not scenario.contract.partner:
        print(
            f"  first-year total {figures['first_year']:,} {cur}; contract value "
            f"{figures['total']:,} {cur}; taxes excluded"
        )
    return 0
