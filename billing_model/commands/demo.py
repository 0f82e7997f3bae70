"""``billing-model demo``: build every example scenario into ``workbooks/`` (the main job)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> argparse.ArgumentParser:
    # the defaults (..workbook's folders) are read by run(): importing the workbook builder
    # (pandas, xlsxwriter) is not part of `billing-model --help` (issue #17)
    parser = sub.add_parser(
        "demo",
        help="build every example scenario's workbook into workbooks/",
        description="Build the example scenarios (a sales quote, a storage estimate, a finance "
        "ramp study, a EUR contract) into live Excel workbooks and say where they "
        "are and what each shows.",
    )
    parser.add_argument(
        "--scenarios",
        metavar="DIR",
        default=None,
        help="folder of the example scenarios (default: the repository's "
        "scenarios/, or those installed with the package)",
    )
    parser.add_argument(
        "--out-dir",
        metavar="DIR",
        default=None,
        help="folder for the workbooks (default: the repository's workbooks/; "
        "workbooks/ in the current folder when the package is installed)",
    )
    parser.add_argument(
        "--recalc", action="store_true", help="also recalculate them in LibreOffice headless"
    )
    return parser


def build_demos(
    scenarios_dir: str | Path, out_dir: str | Path, *, recalc: bool = False
) -> list[dict]:
    """Build every demo scenario; return one row per workbook (file, what, figures).

    All or none: every workbook is built (and recalculated) in a temporary folder inside
    ``out_dir`` first, then each is renamed into place; a failure on any of them leaves the
    previous set untouched.
    """
    import os
    import shutil
    import tempfile

    from ..core.errors import BillingInputError
    from ..core.invoices import contract_figures
    from ..io.atomic import WriteError
    from ..service import load_scenario
    from ..workbook import DEMO_SCENARIOS, build_workbook

    # every scenario read first: a missing or broken one must not leave a new empty out_dir
    scenarios = [
        (stem, what, load_scenario(Path(scenarios_dir) / f"{stem}.toml"))
        for stem, what in DEMO_SCENARIOS
    ]  # a loop over four example files
    out_dir = Path(out_dir)
    for stem, _what, _scenario in scenarios:  # checked before any work: all or none
        if (out_dir / f"{stem}.xlsx").is_dir():
            raise BillingInputError(
                f"--out-dir {out_dir}: {stem}.xlsx is a folder; accepted: "
                "a folder where the workbooks can be written (the "
                "workbooks there were left as they were)"
            )
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".demo-", dir=out_dir))  # same file system
    except OSError as exc:
        raise BillingInputError(
            f"--out-dir {out_dir}: cannot be written "
            f"({(exc.strerror or type(exc).__name__).lower()}); accepted: "
            "a folder you can write to"
        ) from None
    done = False
    try:
        rows = []
        for stem, what, scenario in scenarios:
            try:
                built = build_workbook(scenario, staging / f"{stem}.xlsx")
            except WriteError as exc:  # name the user's folder, not the staging one
                raise BillingInputError(
                    f"--out-dir {out_dir}: {stem}.xlsx cannot be written ({exc.reason}); the "
                    "workbooks there were left as they were; accepted: a folder you can write "
                    "to, with room for the workbooks"
                ) from None
            figures = contract_figures(scenario)
            rows.append(
                {
                    "workbook": out_dir / built.name,
                    "built": built,
                    "what": what,
                    "currency": scenario.contract.currency,
                    "first_year": figures["first_year"],
                    "total": figures["total"],
                    "variants": len(scenario.variants()) - 1,
                }
            )
        if recalc:
            from ..io.libreoffice import recalculate_many

            recalculate_many([row["built"] for row in rows])
        for row in rows:  # every workbook is ready: now replace the set
            try:
                os.replace(row.pop("built"), row["workbook"])
            except OSError as exc:  # name the user's file, not the staging one
                raise BillingInputError(
                    f"--out-dir {out_dir}: {row['workbook'].name} cannot be written "
                    f"({(exc.strerror or type(exc).__name__).lower()}); accepted: a folder "
                    "where the workbooks can be written"
                ) from None
        done = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not done and not any(out_dir.iterdir()):
            out_dir.rmdir()  # the folder this run made, empty: the user had nothing there
    return rows


def run(args) -> int:
    from ..core.errors import BillingInputError
    from ..core.money import TAX_NOTE
    from ..workbook import SCENARIOS_DIR, WORKBOOKS_DIR

    if args.scenarios is None:
        args.scenarios = str(SCENARIOS_DIR)
    if args.out_dir is None:
        args.out_dir = str(WORKBOOKS_DIR)
    for option, folder in (("--scenarios", args.scenarios), ("--out-dir", args.out_dir)):
        if Path(folder).exists() and not Path(folder).is_dir():
            raise BillingInputError(f"{option}: {folder} is a file; accepted: a folder")
    rows = build_demos(args.scenarios, args.out_dir, recalc=args.recalc)
    folder = _short(Path(args.out_dir), Path.cwd())
    print(f"Built {len(rows)} live workbooks in {folder}/ (open them in Excel or LibreOffice):")
    width = max(len(r["workbook"].name) for r in rows)
    for r in rows:
        print(f"  {r['workbook'].name:<{width}}  {r['what']}")
        print(
            f"  {'':<{width}}  first-year cost {r['first_year']:,} {r['currency']}, "
            f"contract value {r['total']:,} {r['currency']}"
            + (
                f", base and {r['variants']} {'variant' if r['variants'] == 1 else 'variants'}"
                " side by side"
                if r["variants"]
                else ""
            )
        )
    print(
        "Edit the yellow cells on a workbook's Inputs sheet: every invoice line recalculates. "
        "First-year cost = invoiced in the 12 months from the order date. " + TAX_NOTE
    )
    return 0


def _short(path: Path, cwd: Path) -> str:
    try:
        return str(path.resolve().relative_to(cwd.resolve()))
    except ValueError:
        return str(path)
