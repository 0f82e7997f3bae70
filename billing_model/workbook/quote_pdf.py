"""The quote as a document to send: the scenario's workbook made print-ready (only the Quote
sheet, its print area the scenario's lines) and printed to PDF by LibreOffice, for
``billing-model quote``. The sheet itself is laid out in :mod:`.quote`."""

from __future__ import annotations

from pathlib import Path


def static_print_area(book) -> str:
    """The Quote's print area as built (``A1:H<last row>``), for a renderer that does not
    evaluate a formula print area (LibreOffice): the engine's value of ``QuoteLastRow``."""
    sheet_name, cell = book.names["QuoteLastRow"].split("!")
    helper = book.sheet(sheet_name.strip("'"))
    last = helper.cells[(4, 26)].result
    return f"A1:H{last}"


def quote_book(scenario):
    """The workbook layout of ``scenario`` ready to print its quote: only the Quote sheet
    visible (LibreOffice prints visible sheets and print areas only), its print area the lines
    of this scenario (LibreOffice does not evaluate a formula print area)."""
    from ..core.errors import BillingInputError
    from .build import build_layout

    if scenario.quote is None:
        where = scenario.source or scenario.name
        raise BillingInputError(
            f"{where}: no [quote] table; accepted: a scenario with a "
            "[quote] table (customer, valid_until, ...; docs/invoices.md)"
        )
    book = build_layout(scenario)
    book.active = [sheet.name for sheet in book.sheets].index("Quote")
    for sheet in book.sheets:
        if sheet.name != "Quote":
            sheet.hidden, sheet.print_area = True, None
    book.sheet("Quote").print_area = static_print_area(book)
    return book


def write_quote_pdfs(items) -> list[Path]:
    """Each ``(scenario, target)`` of ``items``: the Quote sheet as a PDF at ``target``.

    The workbooks are built print-ready (:func:`quote_book`), then opened, recalculated and
    printed by LibreOffice (:mod:`billing_model.io.libreoffice`, the project's recalculating
    profile) in one run; each PDF is written to a temporary name and renamed, and only once
    LibreOffice has produced all of them.

    Raises :class:`~billing_model.core.errors.BillingInputError` for a target that is not a
    ``.pdf`` or a scenario without a ``[quote]`` table, and
    :class:`~billing_model.io.libreoffice.RecalcError` when LibreOffice is missing or fails.
    """
    import shutil
    import tempfile

    from ..core.errors import BillingInputError
    from ..io.atomic import atomic_path
    from ..io.libreoffice import convert
    from .writer import write_book

    items = [(scenario, Path(target)) for scenario, target in items]
    for _scenario, target in items:
        if target.suffix.lower() != ".pdf":
            raise BillingInputError(f"{target}: the output must be a .pdf file")
    books = [quote_book(scenario) for scenario, _target in items]
    with tempfile.TemporaryDirectory(prefix="billing-model-quote-") as tmp:
        sources = [
            write_book(book, Path(tmp) / f"quote-{i:03d}.xlsx") for i, book in enumerate(books)
        ]
        pdfs = convert(sources, Path(tmp) / "out", to="pdf")
        for pdf, (_scenario, target) in zip(pdfs, items, strict=True):
            with atomic_path(target) as part:
                shutil.copyfile(pdf, part)
    return [target for _scenario, target in items]


def write_quote_pdf(scenario, target) -> Path:
    """The Quote sheet of ``scenario`` as a PDF at ``target`` (see :func:`write_quote_pdfs`)."""
    return write_quote_pdfs([(scenario, target)])[0]
