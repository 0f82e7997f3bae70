"""The Quote sheet of the workbook as LibreOffice prints it after a term edit (issue 18).

``sales_quote`` as built, its term typed over on the Inputs sheet (1 and 60 months), only the
Quote sheet visible (what "print this sheet" gives), opened, recalculated and printed to PDF by
LibreOffice with the project's profile in one run, read back with ``pdftotext``.

LibreOffice does not evaluate the Quote's print area (a formula ending at ``QuoteLastRow``,
which Excel follows): it prints the sheet's used area, so every appendix line the grid can hold
(never a line cut) and, after the schedule's total, pages that hold only the repeated heading
and the page number (docs/workbooks.md, Printing). These tests pin both: every line of the
engine's schedule printed in order with its total, and nothing but the heading after it.
``billing-model quote`` prints exactly the schedule (tests/test_workbook_quote_pdf.py).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from billing_model.io.libreoffice import convert
from billing_model.service import scenario_from_mapping
from billing_model.workbook import scenario_figures
from billing_model.workbook.quote import QUOTE_COLUMNS, TOTAL_LABEL
from tests import workbooks
from tests.quote_data import amount, printed_lines, quote_mapping
from tests.workbooks import set_cells

QUOTE = workbooks.example("sales_quote")
TERMS = (1, 60)
HEADING = [h for h, *_rest in QUOTE_COLUMNS]


def _print_only(path: Path, sheet: str) -> str:
    """Leave only ``sheet`` to print, as a user printing that sheet: the others hidden and
    without their print areas (LibreOffice prints a hidden sheet's print area), ``sheet``
    active. The workbook's XML is edited in place (the sheets' own parts are left as they are).
    Returns ``sheet``'s print area as the file defines it."""
    with zipfile.ZipFile(path) as z:
        entries = {info.filename: (info, z.read(info)) for info in z.infolist()}
    xml = entries["xl/workbook.xml"][1].decode("utf-8")
    names = re.findall(r'<sheet name="([^"]*)"', xml)
    keep = names.index(sheet)
    xml = re.sub(
        r"<sheet [^>]*>",
        lambda m: (
            m.group(0)
            if f'name="{sheet}"' in m.group(0) or "state=" in m.group(0)
            else m.group(0).replace("<sheet ", '<sheet state="hidden" ')
        ),
        xml,
    )
    xml = re.sub(
        r'<definedName name="_xlnm.Print_Area" localSheetId="(\d+)"[^>]*>[^<]*'
        r"</definedName>",
        lambda m: m.group(0) if int(m.group(1)) == keep else "",
        xml,
    )
    xml = re.sub(r'activeTab="\d+"', f'activeTab="{keep}"', xml)
    if "activeTab=" not in xml:
        xml = xml.replace("<workbookView ", f'<workbookView activeTab="{keep}" ', 1)
    part = path.with_name(path.name + ".part")
    with zipfile.ZipFile(part, "w") as out:
        for filename, (info, data) in entries.items():
            out.writestr(info, xml.encode("utf-8") if filename == "xl/workbook.xml" else data)
    part.replace(path)
    return re.search(
        rf'<definedName name="_xlnm.Print_Area" localSheetId="{keep}"[^>]*>'
        r"([^<]*)</definedName>",
        xml,
    ).group(1)


@pytest.fixture(scope="module")
def printed(workbook_store, soffice, poppler, tmp_path_factory):
    """term -> (scenario, the PDF's pages as ``pdftotext -layout`` reads them)."""
    folder = tmp_path_factory.mktemp("quote-print")
    paths = []
    for term in TERMS:  # the built workbook, its print areas as written
        path = folder / f"quote-term{term}.xlsx"
        shutil.copyfile(workbook_store.built(QUOTE), path)
        assert _print_only(path, "Quote") == "Quote!$A$1:INDEX(Quote!$H:$H,QuoteLastRow)"
        set_cells(path, {"TermMonths": term})
        paths.append(path)
    pdfs = convert(paths, folder / "pdf", to="pdf")
    out = {}
    for term, pdf in zip(TERMS, pdfs, strict=True):
        text = subprocess.run(
            [poppler, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        pages = text.split("\f")
        if not pages[-1].strip():
            pages.pop()
        out[term] = (
            scenario_from_mapping(quote_mapping(term_months=term), name=f"term{term}"),
            pages,
        )
    return out


@pytest.mark.libreoffice
@pytest.mark.parametrize("term", TERMS)
def test_libreoffice_prints_every_line_of_an_edited_term(printed, term):
    scenario, pages = printed[term]
    n = len(pages)
    for i, page in enumerate(pages, start=1):
        assert f"Page {i} of {n}" in page, i
    # every line of the engine's schedule, in its order, each once: dates and amount
    lines = scenario_figures(scenario)["lines"]
    rows = re.findall(
        r"(\d{4}-\d\d-\d\d)\s+(\d{4}-\d\d-\d\d)\s+(\d{4}-\d\d-\d\d)\s+"
        r"(\d{4}-\d\d-\d\d)\s+([\d,]+\.\d\d)\s*$",
        "\n".join(pages),
        re.M,
    )
    assert rows == printed_lines(lines)
    assert len(rows) > (20 if term == 60 else 0)
    # the total once, on the page of the last line; no page before it without a line
    (last,) = [i for i, page in enumerate(pages) if TOTAL_LABEL in page]
    total = re.search(rf"{TOTAL_LABEL}\s+([\d,]+\.\d\d)", pages[last])
    assert total and total.group(1) == amount(scenario_figures(scenario)["total"])
    appendix = next(i for i, page in enumerate(pages) if "Appendix: invoice schedule" in page)
    assert 0 < appendix <= last
    for i in range(appendix, last + 1):
        assert re.search(r"\d{4}-\d\d-\d\d\s+[\d,]+\.\d\d\s*$", pages[i], re.M), i + 1


@pytest.mark.libreoffice
@pytest.mark.parametrize("term", TERMS)
def test_libreoffice_prints_only_the_heading_after_the_total(printed, term):
    """The limit docs/workbooks.md states: the pages LibreOffice adds after the schedule's
    total (the formula print area ignored, the grid's empty rows printed) carry the repeated
    heading and the page number, nothing else (no figure, no error value)."""
    scenario, pages = printed[term]
    (last,) = [i for i, page in enumerate(pages) if TOTAL_LABEL in page]
    n = len(pages)
    heading = [*HEADING[:-1], f"Amount ({scenario.contract.currency})"]
    for i in range(last + 1, n):
        assert pages[i].split() == " ".join([*heading, f"Page {i + 1} of {n}"]).split(), i + 1
