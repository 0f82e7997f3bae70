"""The quote as a customer receives it: the PDF of ``billing-model quote`` (LibreOffice prints
the Quote sheet; pdftotext reads it back), its figures against the engine and the command's
one-line refusals."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from decimal import Decimal

import pytest

from billing_model.cli import main
from billing_model.service import load_scenario, scenario_from_mapping
from billing_model.workbook import SCENARIOS_DIR, scenario_figures
from billing_model.workbook.quote import TOTAL_LABEL
from billing_model.workbook.quote_pdf import write_quote_pdfs
from tests.quote_data import amount, printed_lines, quote_mapping

#: the PDF cases: name -> contract changes of sales_quote (term 12 is the file as it is)
PDF_CASES = {
    "term1": {"ramp_months": 0, "term_months": 1},
    "term12": {},
    "term60": {"term_months": 60},
    "ramp24": {"ramp_months": 24, "term_months": 36},
}


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory, soffice, poppler):
    """The quote of each case as a PDF (one LibreOffice run), with its text and page count."""
    folder = tmp_path_factory.mktemp("quote-pdf")
    scenarios = {
        name: scenario_from_mapping(quote_mapping(**changes), name=name)
        for name, changes in PDF_CASES.items()
    }
    targets = write_quote_pdfs([(s, folder / f"{name}.pdf") for name, s in scenarios.items()])
    out = {}
    for (name, scenario), pdf in zip(scenarios.items(), targets, strict=True):
        layout = subprocess.run(
            [poppler, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        raw = subprocess.run(
            [poppler, str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        out[name] = (scenario, pdf, layout, raw)
    return out


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", list(PDF_CASES))
def test_quote_pdf(pdfs, case):
    scenario, pdf, layout, raw = pdfs[case]
    q = scenario.quote
    flat = " ".join(raw.split())
    for text in (
        q.customer,
        q.seller,
        q.contact,
        q.email,
        q.phone,
        q.number,
        q.title,
        "Taxes excluded",
        "Acceptance",
        "Signature",
    ):
        assert text in flat, text
    for label, value in (
        ("Quote number", q.number),
        ("Issue date", q.issued.isoformat()),
        ("Valid until", q.valid_until.isoformat()),
        ("Currency", "USD"),
        ("Payment terms", "Net 30 days"),
    ):
        assert re.search(rf"{label}\s+{re.escape(value)}", layout), label
    figures = scenario_figures(scenario)
    lines = figures["lines"]
    # each product line, with its label whole (a cut label would not be found)
    products = {
        "PureCloud 2 / CX 2 named users",
        "Communicate named users",
        "Enablement package: contact center quick start",
        "USB headsets",
    }
    if scenario.contract.ramp_months:
        products.add(
            "PureCloud 2 / CX 2 named users, ramp "
            f"({scenario.contract.ramp_months} months, actual users)"
            if scenario.contract.ramp_months > 1
            else "PureCloud 2 / CX 2 named users, ramp (1 month, actual users)"
        )
    if any(d.endswith("above the commitment") for d in lines["description"]):
        products.add("PureCloud 2 / CX 2 named users above the commitment (estimate)")
    if any(d == "Telephony" for d in lines["description"]):
        products.add("Telephony (estimate)")
    for label in products:
        assert label in flat, label
    # the totals, as `billing-model invoices` computes them
    year = re.search(
        r"First-year total \(invoices dated in the first 12\s+months\)\s+"
        r"([\d,]+\.\d\d)",
        layout,
    ) or re.search(r"First-year total[^\n]*?([\d,]+\.\d\d)\s*$", layout, re.M)
    assert year and year.group(1) == amount(figures["first_year"]), layout[:3000]
    contract = re.search(r"Contract value[^\n]*?([\d,]+\.\d\d)\s*$", layout, re.M)
    assert contract and contract.group(1) == amount(figures["total"])
    total = re.search(rf"{TOTAL_LABEL}\s+([\d,]+\.\d\d)", layout)
    assert total and total.group(1) == amount(figures["total"])
    # every appendix line, in the schedule's order: dates and amount
    rows = re.findall(
        r"(\d{4}-\d\d-\d\d)\s+(\d{4}-\d\d-\d\d)\s+(\d{4}-\d\d-\d\d)\s+"
        r"(\d{4}-\d\d-\d\d)\s+([\d,]+\.\d\d)\s*$",
        layout,
        re.M,
    )
    want = printed_lines(lines)
    assert rows == want
    for description in set(lines["description"]):
        assert description in flat, description
    # pages: numbered "Page i of n", none blank, the total on the last
    pages = layout.split("\f")
    pages = [p for p in pages if p.strip()] if not pages[-1].strip() else pages
    n = len(pages)
    assert n >= 2 and f"Page {n} of {n}" in pages[-1] and TOTAL_LABEL in pages[-1]
    for i, page in enumerate(pages, start=1):
        assert f"Page {i} of {n}" in page
        assert len(page.replace(f"Page {i} of {n}", "").split()) > 10  # no blank page
    assert "Description" in pages[-1]  # the heading row repeated on the appendix's pages
    for bad in ("ramp 1 months", "(billing FAQ)", "#N/A", "#VALUE", "#REF", "Err:"):
        assert bad not in flat, bad


@pytest.mark.libreoffice
def test_quote_pdf_totals_are_those_of_the_invoices_command(pdfs, capsys):
    """The term-12 case is sales_quote.toml as it is: its PDF's first-year total, contract
    value and appendix total are what `billing-model invoices` bills."""
    _scenario, _pdf, layout, _raw = pdfs["term12"]
    assert main(["invoices", str(SCENARIOS_DIR / "sales_quote.toml"), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    amounts = [(r["invoice_date"], Decimal(r["amount"])) for r in rows if r["amount"]]
    total = sum((a for _d, a in amounts), Decimal(0))
    first_year = sum((a for d, a in amounts if d < "2027-03-01"), Decimal(0))
    assert re.search(rf"Contract value[^\n]*?{re.escape(amount(total))}\s*$", layout, re.M)
    assert re.search(rf"{TOTAL_LABEL}\s+{re.escape(amount(total))}", layout)
    assert re.search(rf"First-year total[^\n]*?{re.escape(amount(first_year))}", layout)


def test_quote_command_refuses_bad_input_in_one_line(tmp_path, capsys):
    out = tmp_path / "q.pdf"
    cases = [
        (
            ["quote", str(SCENARIOS_DIR / "eur_contract.toml"), "-o", str(out)],
            "no [quote] table; accepted: a scenario with a [quote] table",
        ),
        (
            ["quote", str(SCENARIOS_DIR / "sales_quote.toml"), "-o", str(tmp_path / "q.xlsx")],
            "-o/--output: ",
        ),
        (
            ["quote", str(SCENARIOS_DIR / "sales_quote.toml"), "-o", str(out), "--variant", "x"],
            "variant 'x' is not defined; accepted: base, concurrent",
        ),
        (["quote", str(tmp_path / "missing.toml"), "-o", str(out)], "no such scenario file"),
    ]
    for argv, message in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert not out.exists()


@pytest.mark.libreoffice
def test_quote_command_writes_the_variant(tmp_path, capsys, soffice, poppler):
    """`billing-model quote --variant concurrent`: the PDF, atomically over an older file."""
    out = tmp_path / "quote.pdf"
    out.write_bytes(b"old")
    path = SCENARIOS_DIR / "sales_quote.toml"
    assert main(["quote", str(path), "-o", str(out), "--variant", "concurrent"]) == 0
    printed = capsys.readouterr().out
    assert out.read_bytes().startswith(b"%PDF") and "Example Retail Ltd" in printed
    text = " ".join(
        subprocess.run(
            [poppler, str(out), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    variant = load_scenario(path).variant("concurrent")
    figures = scenario_figures(variant)
    assert "PureCloud 2 / CX 2 concurrent users" in text
    assert amount(figures["total"]) in text and amount(figures["first_year"]) in text
    assert [p.name for p in tmp_path.iterdir()] == ["quote.pdf"]  # no temporary file left
