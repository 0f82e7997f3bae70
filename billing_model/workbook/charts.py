"""Chart-only helper ranges: a chart plots ramp + term, not the whole grid (issue 18, item 6).

Charts cannot read a defined name portably: LibreOffice (7.4) draws a series over a dynamic
name (``OFFSET``/``INDEX``) from the values cached in the file and, saving the file again,
replaces the reference by a copy of those values. So a chart reads plain cell ranges, and a
helper column beside the figures repeats each figure where the period is active and holds #N/A
past it (``NA()``); charts skip #N/A points (``writer._blanks_as_gaps`` makes LibreOffice do
so too). A scatter chart over such columns follows every edit of the ramp or term, in Excel and
in LibreOffice: its x axis spans the points that are not #N/A. Every chart is one: a bar chart
keeps a slot per row of its range (empty slots past a shorter term, none for a longer one), so
the cash flow's bars are a scatter series drawn as bars at their due dates
(``layout.Series.bar_width_pt``; docs/workbooks.md, Charts).

Each helper column has a defined name starting with ``Chart`` (``V1_Chart...`` for a variant):
the only cells of a workbook that hold an error on purpose.
"""

from __future__ import annotations

from collections.abc import Callable

from .layout import Book, Sheet, a1

#: every chart helper's defined name starts with this (after a variant's ``V1_`` prefix)
CHART_NAME_PREFIX = "Chart"


def active_only(
    sheet: Sheet,
    book: Book,
    name: str,
    rows: range,
    src_col: int,
    dst_col: int,
    live: Callable[[int], str],
    active: Callable[[int], bool],
    fmt: str | None = None,
) -> str:
    """Column ``dst_col`` over ``rows``: the value of ``src_col`` where the formula ``live(row)``
    holds, else #N/A. ``active(row)`` says whether it holds for the built scenario (the cached
    result). Defines ``name`` (``Chart...``) over the column and returns it."""
    assert name.startswith(CHART_NAME_PREFIX), name
    for r in rows:
        source = sheet.cells.get((r, src_col))
        result = (
            source.result
            if source is not None and source.formula is not None
            else source.value
            if source is not None
            else None
        )
        sheet.put(
            r,
            dst_col,
            f"=IF({live(r)},{a1(r, src_col)},NA())",
            fmt=fmt,
            style="muted",
            result=result if active(r) else "#N/A",
        )
    return book.name(name, sheet, rows.start, dst_col, rows.stop - 1, dst_col)
