"""Scenario -> workbook layout: the live Excel model of a contract.

:func:`build_layout` turns a :class:`~billing_model.core.contract.Scenario` into a plain
:class:`~billing_model.workbook.layout.Book`; :func:`build_workbook` writes it (and optionally
recalculates it in LibreOffice so viewers that do not calculate show numbers).

One module per sheet places its cells: **Summary** (:mod:`.summary`: first-year cost, total
contract value, named vs concurrent, storage), **Inputs** (:mod:`.inputs`: every scenario value
as a named input cell, validated from :data:`billing_model.core.limits.LIMITS`), **Invoices** and
**Cash flow** (:mod:`.invoices`: a fixed grid of invoice lines, one row per possible charge and
period, whose quantities, rates and amounts are formulas; lines that do not apply compute 0 and
are greyed), **Usage** (:mod:`.usage`: users and usage per period, allowances, the concurrency
profile when sessions are given), **Quote** (:mod:`.quote`, right after Summary when the
scenario has a ``[quote]`` table: the document a customer receives, price summary, terms,
acceptance and the invoice schedule as an appendix, print-ready),
**Storage** (:mod:`.storage`: the daily storage model as
formulas), **Variants** (:mod:`.variants`: the scenario's variants side by side, computed by the
Python engine) and **Sources** (:mod:`.sources`: the rule tables the formulas look up, rules,
assumptions). The formulas themselves come from :mod:`billing_model.formulas`, the Excel twins
of the engines.

The formulas use only functions Excel 2010+ and LibreOffice 7.4 both compute: arithmetic, IF,
AND, MAX, MIN, SUM, SUMIF(S), SUMPRODUCT, INDEX, MATCH, IFERROR, ROUND, EDATE, DATE.
"""

from __future__ import annotations

import os
from pathlib import Path

from openpyxl.utils.cell import coordinate_from_string

from ..core.contract import Scenario
from ..core.errors import BillingInputError
from ..core.invoices import contract_figures as scenario_figures
from .context import BASIS, Ctx, Figures, grid_size, money_format, rate_format
from .excel_limits import check_book
from .inputs import inputs_sheet
from .invoices import cash_flow_sheet, invoices_sheet
from .layout import Book, collector_paused
from .quote import ROWS_SHEET, quote_sheet
from .sources import sources_sheet
from .storage import storage_sheet
from .summary import summary_sheet
from .usage import session_data, usage_sheet
from .variants import variants_sheet
from .writer import write_book

#: the most variants a workbook holds side by side, at the grid's usual 108 billing periods (24
#: ramp + 60 term + 24 month to month); a longer grid holds fewer (variants x periods at most
#: :data:`MAX_VARIANT_PERIODS`). Each variant is its own live model (inputs, invoice grid, cash
#: flow: about 9,000 formulas at 108 periods), so the limit bounds the build's memory and time
#: (about 0.5 GB and 20 s at the 84-period grid before month to month; the grid's 108 rows scale
#: both by about 108/84), far below Excel's 255 series in the comparison chart.
MAX_VARIANTS = 50
MAX_VARIANT_PERIODS = MAX_VARIANTS * 108


def check_variants(scenario: Scenario) -> None:
    """Refuse, before any work, a scenario with more variants than a workbook holds.

    >>> from billing_model.service import scenario_from_mapping
    >>> s = scenario_from_mapping({"contract": {"order_date": "2026-01-15", "license": "pc2",
    ...     "committed_users": 1, "prepay_rate": 1, "term_months": 12},
    ...     "usage": {"users": [1] * 12},
    ...     "variant": [{"name": f"v{i}", "prepay_rate": i} for i in range(60)]}, name="big")
    >>> check_variants(s)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    billing_model.core.errors.BillingInputError: big: 60 [[variant]] tables; a workbook ...
    """
    variants = scenario.variants()[1:]
    if not variants:
        return
    periods = max(grid_size(scenario)[2], *(v.periods for _n, v in variants))
    if len(variants) * periods > MAX_VARIANT_PERIODS:
        label = scenario.source.name if scenario.source is not None else scenario.name
        raise BillingInputError(
            f"{label}: {len(variants):,} [[variant]] tables; a workbook holds at most "
            f"{MAX_VARIANT_PERIODS // periods:,} variants of {periods} billing periods (variants"
            f" x periods at most {MAX_VARIANT_PERIODS:,}; here {len(variants):,} x {periods} = "
            f"{len(variants) * periods:,}); accepted: fewer variants in one file (split them "
            "over several), or build one with --variant NAME (invoices compares any number)"
        )


#: largest contract value a workbook is built for, in minor units (cents; yen): a spreadsheet
#: computes in binary floating point, 15 significant digits, so a sum of a hundred lines
#: near 10^15 cents is no longer exact to the cent (the engines are exact at any size)
MAX_WORKBOOK_MINOR_UNITS = 10**13


def check_amounts(
    scenario: Scenario, variants: list | None = None, figures=scenario_figures
) -> None:
    """Refuse, before any work, a scenario (or a variant) whose contract value a spreadsheet
    cannot add up to the cent: the workbook and the quote would show other figures than
    ``billing-model invoices``.

    >>> from billing_model.service import scenario_from_mapping
    >>> s = scenario_from_mapping({"contract": {"order_date": "2026-01-15", "license": "pc2",
    ...     "committed_users": 1_000_000_000, "prepay_rate": 999_999, "term_months": 12},
    ...     "usage": {"users": [1] * 12}}, name="big")
    >>> check_amounts(s)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    billing_model.core.errors.BillingInputError: big: the contract value 11,999,988,000,000,0...
    """
    from ..core.money import minor_units

    if variants is None:
        variants = scenario.variants()
    label = scenario.source.name if scenario.source is not None else scenario.name
    for name, each in variants or [("base", scenario)]:
        currency = each.contract.currency
        decimals = minor_units(currency)
        total = figures(each)["total"]
        if abs(total) * 10**decimals < MAX_WORKBOOK_MINOR_UNITS:
            continue
        limit = MAX_WORKBOOK_MINOR_UNITS // 10**decimals
        which = "" if name == "base" else f" (variant {name!r})"
        raise BillingInputError(
            f"{label}: the contract value {total:,.{decimals}f} {currency}{which} is too large "
            "for a workbook to add up to the cent (a spreadsheet counts 15 significant digits);"
            f" accepted: a contract value below {limit:,} {currency} (check the committed users"
            " and rates for a typo); billing-model invoices computes any size exactly"
        )


@collector_paused()
def build_layout(scenario: Scenario, *, variants: list | None = None) -> Book:
    """The workbook for ``scenario`` as plain data (see :mod:`billing_model.workbook.layout`).

    Parameters
    ----------
    scenario : the contract and its usage (:func:`billing_model.io.scenario.load_scenario`).
    variants : ``[(name, Scenario), ...]`` to compare on a Variants sheet; default
        ``scenario.variants()`` when it has more than the base.

    Examples
    --------
    >>> from billing_model.service import scenario_from_mapping
    >>> s = scenario_from_mapping({"contract": {"order_date": "2026-01-15", "license": "pc2",
    ...     "committed_users": 100, "prepay_rate": 110, "term_months": 12},
    ...     "usage": {"users": [100] * 12}}, name="quote")
    >>> book = build_layout(s)
    >>> [sheet.name for sheet in book.sheets]
    ['Summary', 'Inputs', 'Invoices', 'Cash flow', 'Usage', 'Storage', 'Sources']
    >>> book.names["CommittedUsers"]
    'Inputs!$B$11'
    """
    if variants is None:
        check_variants(scenario)
    figures = Figures()  # each scenario's figures computed once (also read by the sheets)
    check_amounts(scenario, variants, figures)
    currency = scenario.contract.currency
    quote = scenario.quote
    book = Book(
        sheets=[],
        title=quote.title if quote else f"Billing model: {scenario.name}",
        subject="Genesys Cloud (PureCloud) subscription billing",
        created=BASIS,
    )
    ramp_max, term_max, grid = grid_size(scenario)
    ctx = Ctx(
        scenario=scenario,
        book=book,
        money=money_format(currency),
        rate=rate_format(currency),
        periods=grid,
        ramp_max=ramp_max,
        term_max=term_max,
        after_max=grid - ramp_max - term_max,
        figures=figures,
    )
    ctx.sessions = session_data(scenario, grid)
    summary = book.add_sheet("Summary", tab_color="1F4E79")
    quote_page = book.add_sheet("Quote", tab_color="C00000") if quote else None
    inputs_sheet(ctx, book.add_sheet("Inputs", tab_color="FFC000"))
    invoices = book.add_sheet("Invoices", tab_color="70AD47")
    cash = book.add_sheet("Cash flow", tab_color="70AD47", landscape=False)
    usage = book.add_sheet("Usage", tab_color="5B9BD5")
    storage = book.add_sheet("Storage", tab_color="A5A5A5")
    sources = sources_sheet(ctx)  # its allowance table's names are used by the usage formulas
    usage_sheet(ctx, usage)
    storage_sheet(ctx, storage)
    invoices_sheet(ctx, invoices)
    cash_flow_sheet(ctx, cash)
    if quote_page is not None:
        quote_sheet(ctx, quote_page, invoices, book.add_sheet(ROWS_SHEET, hidden=True))
    if variants is None:
        variants = scenario.variants() if len(scenario.variants()) > 1 else []
    if variants:
        variants_sheet(ctx, book.add_sheet("Variants", tab_color="7030A0"), variants)
    book.sheets.append(sources)
    summary_sheet(ctx, summary, bool(variants))
    keep_charts_whole(book)
    return check_book(book)


def keep_charts_whole(book: Book) -> None:
    """A page break before each chart placed below a sheet's content (anchored in column A), so
    no chart is cut by a page break (each chart is shorter than a page)."""
    for sheet in book.sheets:
        for chart in sheet.charts:
            col, row = coordinate_from_string(chart.anchor)
            if col == "A" and row > 1:
                sheet.row_breaks.append(row)


def build_workbook(scenario: Scenario, target: str | os.PathLike, *, recalc: bool = False) -> Path:
    """Build the workbook of ``scenario`` into ``target`` (written to a temp name, renamed).

    Parameters
    ----------
    scenario : Scenario
        From :func:`billing_model.io.scenario.load_scenario`.
    target : str or path-like
        The ``.xlsx`` file to write; an existing file is replaced only once the new one is
        complete.
    recalc : bool, default False
        Also recalculate it in LibreOffice headless, so the file carries computed values for
        viewers that do not calculate (Excel recalculates on open either way; every formula
        also stores its engine-computed value).

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    BillingInputError
        ``target`` is not an ``.xlsx`` file, or cannot be written.
    """
    target = Path(target)
    if target.suffix.lower() != ".xlsx":
        raise BillingInputError(f"{target}: the output must be an .xlsx file")
    layout = build_layout(scenario)
    if not recalc:
        write_book(layout, target)
        return target
    from ..io.atomic import atomic_path
    from ..io.libreoffice import recalculate

    with atomic_path(target) as tmp:  # the user's file stays until LibreOffice has succeeded
        write_book(layout, tmp)
        recalculate(tmp)
    return target


__all__ = ["build_layout", "build_workbook", "money_format", "scenario_figures"]
