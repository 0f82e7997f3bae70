"""Reading recalculated workbooks in tests, and editing their inputs: a defined name's value,
dates and money as the engines give them (shared by the workbook tests)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.xlsx_values import Worksheet as ValuesSheet


def named(wb, name: str):
    """The value of the cell a defined name points to (a workbook read with values: openpyxl
    ``data_only`` or :mod:`tests.xlsx_values`)."""
    sheet, cell = next(iter(wb.defined_names[name].destinations))
    return wb[sheet][cell.replace("$", "")].value


def set_named(path, edits: dict) -> None:
    """Write values into the cells that defined names point to, as a user edits inputs: the
    one cell changed in the saved file (:func:`tests.workbooks.set_cells`), no openpyxl load
    and save of the whole workbook."""
    from tests.workbooks import set_cells

    set_cells(path, edits)


def as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def money(value) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


#: what a recalculated cell holds when a formula fails (Excel's error values, LibreOffice's Err:)
ERROR_VALUES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "Err:")


def chart_helper_cells(wb) -> set[tuple[str, str]]:
    """(sheet, cell) of every chart-only helper range (defined names ``Chart...``, a variant's
    ``V1_Chart...``): they hold #N/A past ramp + term on purpose, so that charts skip those
    periods (billing_model/workbook/charts.py)."""
    import re

    from openpyxl.utils import get_column_letter
    from openpyxl.utils.cell import range_boundaries

    cells = set()
    for name, definition in wb.defined_names.items():
        if not re.match(r"(V\d+_)?Chart[A-Z]", name):
            continue
        for sheet, ref in definition.destinations:
            c1, r1, c2, r2 = range_boundaries(ref.replace("$", ""))
            cells.update(
                (sheet, f"{get_column_letter(c)}{r}")
                for r in range(r1, r2 + 1)
                for c in range(c1, c2 + 1)
            )
    return cells


def error_cells(wb) -> list[tuple]:
    """Every cell of a recalculated workbook holding an error value: (sheet, cell, value), but
    for the chart helper ranges (:func:`chart_helper_cells`, #N/A past the term by design).
    On :mod:`tests.xlsx_values`' sheets only the cells the sheet holds are looked at (the rest
    are empty), in the order of ``iter_rows``; other sheets (openpyxl's) cell by cell."""
    helpers = chart_helper_cells(wb)
    found = []
    for ws in wb:
        if isinstance(ws, ValuesSheet):
            cells = ws.texts_starting(ERROR_VALUES)
        else:
            cells = [
                c
                for row in ws.iter_rows()
                for c in row
                if isinstance(c.value, str) and c.value.startswith(ERROR_VALUES)
            ]
        found += [
            (ws.title, c.coordinate, c.value)
            for c in cells
            if (ws.title, c.coordinate) not in helpers
        ]
    return found


def workbook_lines(wb, sheet: str = "Invoices", table: str = "InvoiceLines") -> list[tuple]:
    """The invoice lines of a recalculated invoice grid that bill something, as the engine's
    schedule lists them (partner lines: quantities only, no amount)."""
    ws = wb[sheet]
    out = []
    for row in list(ws[ws.tables[table].ref])[1:]:
        v = [c.value for c in row]
        partner = v[8] in ("", None)  # partner channel: quantities only
        if not v[6] or not (v[8] or partner):  # the engine leaves out zero lines
            continue
        out.append(
            (
                as_date(v[0]),
                as_date(v[1]),
                v[2],
                v[3],
                as_date(v[4]),
                as_date(v[5]),
                round(float(v[6]), 6),
                None if partner else money(v[8]),
                v[9],
            )
        )
    return sorted(out, key=repr)


def engine_lines(scenario) -> list[tuple]:
    """The engine's schedule in the order :func:`workbook_lines` gives."""
    from billing_model.core.invoices import invoice_schedule

    return sorted(
        (
            (
                r.invoice_date,
                r.due_date,
                r.description,
                r.timing,
                r.service_start,
                r.service_end,
                round(r.quantity, 6),
                r.amount,
                r.currency,
            )
            for r in invoice_schedule(scenario).itertuples()
        ),
        key=repr,
    )
