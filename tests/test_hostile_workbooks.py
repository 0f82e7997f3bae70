"""Hostile input to `billing-model build` / `demo`, the scenario loader and the UDFs.

Each test is a repro of a problem found by a hostile QA pass: it failed before its fix.
"""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal

import pytest

from billing_model.service import scenario_from_mapping
from billing_model.workbook import SCENARIOS_DIR, build_layout, write_book
from tests import shared_runs


def _quote_mapping(**quote) -> dict:
    with open(SCENARIOS_DIR / "sales_quote.toml", "rb") as f:
        data = tomllib.load(f, parse_float=Decimal)
    data["usage"]["sessions"] = str(SCENARIOS_DIR / "sample_sessions.csv")
    data["quote"].update(quote)
    return data


def test_quote_customer_starting_with_equals_is_text_not_a_formula():
    # customer = '=HYPERLINK("http://x","y")' was written to Quote!C4 as a live formula
    customer = '=HYPERLINK("http://example.com","click")'
    # (now the input QuoteCustomer, which the Quote sheet reads)
    book = build_layout(scenario_from_mapping(_quote_mapping(customer=customer)))
    cell_ref = book.names["QuoteCustomer"].split("!")[1].replace("$", "")
    col, row = cell_ref[0], int(cell_ref[1:])
    cell = book.sheet("Inputs").cells[(row, ord(col) - 64)]
    assert cell.formula is None and cell.text
    assert cell.value == customer
    assert book.sheet("Quote").value(7, 1) == "=QuoteCustomer"


def test_refused_numbers_are_shown_as_typed_not_as_python_decimals():
    # BM_INVOICE_SCHEDULE(..., prepay_rate=-5, ...) returned
    # "prepay_rate: Decimal('-5') is not accepted; ...": Python, not what the user typed
    from udfs.billing_udfs import BM_INVOICE_SCHEDULE, BM_STORAGE_FORECAST

    out = BM_INVOICE_SCHEDULE(46082.0, 10, -5, 1, 12, [[5]] * 13)
    assert out == (
        "prepay_rate: -5 is not accepted; accepted: a number from 0 to 1,000,000,000,000"
    )
    out = BM_STORAGE_FORECAST(1000, 5, 90, 46082.0, 12, None, None, None, None, 500, 1e20)
    assert out.startswith("overage_rate: 1E+20 is too large; ")
    assert "Decimal" not in out


def test_build_with_an_empty_output_name_is_refused_not_written_to_the_default(
    tmp_path, monkeypatch, capsys
):
    # `billing-model build sales_quote.toml -o ""` wrote sales_quote.xlsx in the working folder
    from billing_model.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["build", str(SCENARIOS_DIR / "sales_quote.toml"), "-o", ""]) == 2
    assert capsys.readouterr().err == (
        "billing-model: error: -o/--output: '' is not accepted; accepted: a workbook file name "
        "ending in .xlsx\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_build_of_a_partner_contract_does_not_claim_it_costs_zero(tmp_path, capsys):
    # a partner-channel scenario printed "first-year cost 0 USD; total contract value 0 USD"
    from billing_model.cli import main

    # a small partner contract with hardware: the summary line is the same for any size, and
    # sales_quote made partner was 2.4 s of CPU to build
    scenario = tmp_path / "partner.toml"
    scenario.write_text(
        '[contract]\norder_date = 2026-01-15\nlicense = "pc2"\nchannel = "partner"\n'
        "committed_users = 10\nterm_months = 2\n[usage]\nusers = [10, 12]\n"
        '[[hardware]]\ndescription = "Desk phones"\nquantity = 40\nship_date = 2026-01-20\n',
        encoding="utf-8",
    )
    assert main(["build", str(scenario), "-o", str(tmp_path / "p.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "0 USD" not in out
    assert "  partner channel: quantities only; rates and amounts come through the partner." in out


def test_demo_with_a_missing_scenario_leaves_no_new_empty_out_dir(tmp_path, capsys):
    # `billing-model demo --scenarios /nowhere --out-dir new` failed but created new/
    from billing_model.cli import main

    out = tmp_path / "new" / "workbooks"
    assert main(["demo", "--scenarios", str(tmp_path / "nowhere"), "--out-dir", str(out)]) == 2
    assert "sales_quote.toml: no such scenario file" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_a_timezone_too_long_for_a_file_name_is_refused_in_one_line():
    # BM_CONCURRENCY_PROFILE(..., timezone=1e308) gave "unexpected error ... OSError: File name
    # too long: '.../tzdata/zoneinfo/1000...'"; billing_timezone = "xxx...x" in a scenario made
    # the CLI blame tzdata's path
    from billing_model.core.errors import BillingInputError
    from billing_model.core.periods import get_timezone

    with pytest.raises(
        BillingInputError,
        match=r"^contract.billing_timezone: unknown time zone "
        r"'x{70,}\.\.\.' \(300 characters\); accepted: an IANA name",
    ):
        get_timezone("x" * 300, where="contract.billing_timezone")


def test_concurrency_profile_with_a_huge_step_gives_one_row_or_says_what_is_accepted():
    # step_minutes=1e308 gave "unexpected error in BM_CONCURRENCY_PROFILE: ValueError: Maximum
    # allowed dimension exceeded"; a step past the window is one row (the window's peak), and a
    # step of more digits than Excel keeps (15) is refused in words, as every whole number is
    from udfs.billing_udfs import BM_CONCURRENCY_PROFILE

    ids, starts = [["u1"], ["u2"]], [[46082.4], [46082.42]]
    ends = [[46082.45], [46082.7]]
    past = BM_CONCURRENCY_PROFILE(ids, starts, ends, None, None, 10**6, None)
    assert len(past) == 2 and past[1][1] == 2
    assert BM_CONCURRENCY_PROFILE(ids, starts, ends, None, None, 1e308, None) == (
        "step_minutes: 1e+308 is not accepted; accepted: a whole number >= 1 of at most 15 "
        "digits (as Excel keeps them)"
    )


def test_build_of_a_variant_says_which_variant_it_built(tmp_path_factory):
    # `build sales_quote.toml --variant concurrent` printed "workbook of sales_quote", as for
    # the base, with the variant's (different) figures under it; docs/workbooks.md's build of a
    # variant, run once for the session (tests/shared_runs.py, the doc test runs it too)
    run = shared_runs.command_run(tmp_path_factory, shared_runs.DOCS_RAMP6)
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines()[0] == (
        "ramp6.xlsx: workbook of finance_ramp_study, variant '6-month ramp'"
    )


def test_noncharacters_fffe_ffff_in_a_quote_give_a_file_whose_xml_parses(tmp_path):
    # customer = "a\ufffe\uffff" was written as it is (into a formula's cached text): not an XML
    # character, so the file did not open (openpyxl: "not well-formed (invalid token)")
    book = build_layout(scenario_from_mapping(_quote_mapping(customer="a\ufffe\uffffb")))
    path = write_book(book, tmp_path / "q.xlsx")
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                ET.fromstring(z.read(name))  # raises on a character XML cannot hold


def test_text_past_excels_limit_in_utf16_is_refused_not_cut_silently():
    # a hardware description of 32,767 emoji (65,534 characters as Excel counts them) was
    # accepted and written cut to 16,383 emoji by XlsxWriter, exit 0: data lost without a word
    from billing_model.core.errors import BillingInputError
    from billing_model.workbook.excel_limits import check_book
    from billing_model.workbook.layout import Book

    data = _quote_mapping()
    data["hardware"][0]["description"] = "\U0001f600" * 16_384
    with pytest.raises(BillingInputError, match=r"description: 32,768 characters; accepted"):
        scenario_from_mapping(data)
    data["hardware"][0]["description"] = "\U0001f600" * 16_383 + "a"  # 32,767: fits
    scenario_from_mapping(data)
    book = Book(sheets=[])
    book.add_sheet("Data").text(2, 1, "\U0001f600" * 16_384)
    with pytest.raises(BillingInputError, match=r"^Data!R2C1: text of 32,768 characters;"):
        check_book(book)
