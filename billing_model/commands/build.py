"""``billing-model build``: a scenario's live Excel workbook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "build",
        help="build a scenario's live Excel workbook (.xlsx)",
        description="Build the live Excel model of a scenario: named inputs, invoice lines as "
        "formulas, usage, storage forecast, variants, sources. Excel recalculates "
        "every line when an input changes.",
    )
    parser.add_argument("scenario", metavar="SCENARIO.toml", help="scenario file")
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT.xlsx",
        help="workbook to write (default: the scenario's name .xlsx here)",
    )
    parser.add_argument(
        "--variant", metavar="NAME", help="build one variant of the scenario as the live model"
    )
    parser.add_argument(
        "--recalc",
        action="store_true",
        help="also recalculate in LibreOffice headless, so viewers that do not "
        "calculate show values",
    )
    return parser


def run(args) -> int:
    from ..core.invoices import contract_figures
    from ..core.money import TAX_NOTE
    from ..service import load_scenario  # pandas: not for --help (issue #17)
    from ..workbook import build_workbook

    if args.output is not None and not args.output.strip():  # not the default in silence
        from ..core.errors import BillingInputError

        raise BillingInputError(
            f"-o/--output: {args.output!r} is not accepted; accepted: a "
            "workbook file name ending in .xlsx"
        )
    from ..workbook.build import MAX_VARIANTS, check_variants

    # more variants than any workbook holds: refused before they are validated
    scenario = load_scenario(
        args.scenario, max_variants=None if args.variant is not None else MAX_VARIANTS
    )
    if args.variant is not None:  # --variant "" is an unknown variant, not the base
        scenario = scenario.variant(args.variant)
    check_variants(scenario)  # 1,000 variants: refused before any work
    out = Path(args.output) if args.output else Path(f"{Path(args.scenario).stem}.xlsx")
    if args.recalc:
        from ..io.libreoffice import RecalcError, find_soffice

        try:
            find_soffice()
        except RecalcError as exc:
            from ..core.errors import BillingInputError

            raise BillingInputError(f"--recalc: {exc}") from None
    figures = contract_figures(scenario)  # before writing: a failure must leave `out` as it was
    try:
        build_workbook(scenario, out, recalc=args.recalc)
    except RuntimeError as exc:  # LibreOffice failed or hung: not bad input, but one line
        from ..io.libreoffice import RecalcError

        if not isinstance(exc, RecalcError):
            raise
        print(f"billing-model: error: --recalc: {exc}; {out} was left as it was", file=sys.stderr)
        return 1
    cur = scenario.contract.currency
    variant = "" if args.variant is None else f", variant {args.variant!r}"  # not the base's
    print(f"{out}: workbook of {scenario.name}{variant}")
    if scenario.contract.partner:  # no amounts: "0 USD" would read as a free contract
        print(
            "  partner channel: quantities only; rates and amounts come through the partner. "
            + TAX_NOTE
        )
    else:
        print(
            f"  first-year cost {figures['first_year']:,} {cur}; total contract value "
            f"{figures['total']:,} {cur}. {TAX_NOTE}"
        )
    return 0
