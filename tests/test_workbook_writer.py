"""The layout -> xlsx writer and the LibreOffice recalculation harness.

Checked in a real spreadsheet engine: a workbook is written, recalculated by LibreOffice headless
and read back with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal

import openpyxl
import pytest

from billing_model.core.errors import BillingInputError
from billing_model.core.money import line_amount
from billing_model.io.libreoffice import RecalcError, convert, sheet_values
from billing_model.workbook.layout import Book, a1, ref
from billing_model.workbook.writer import write_book
from tests import workbooks
from tests.stand_in import stand_in_soffice
from tests.xlsx_values import load_values

# (quantity, rate) pairs whose exact product sits on or next to a half-cent: Excel-style ROUND on
# binary doubles must give what exact decimal rounding gives (the engine's line_amount)
ROUNDING_CASES = [
    (55, 171.115),
    (1, 0.005),
    (3, 0.335),
    (7, 1.105),
    (1, 1.005),
    (1, 2.675),
    (1, 1.115),
    (10.02, 0.25),
    (123.458, 0.25),
    (58, 130.0),
    (1, 1200.505),
    (100, 0.125),
    (33, 1.015),
    (1, 1234.5),
    (0.1 + 0.2, 1),
    (2.5, 1),
    (12.345, 1),
]
TRICKY_TEXT = ["=1+1", "+49 30 1234", "-5 users", "@SUM(A1)", '=HYPERLINK("x")', "plain"]


def _rounding_book() -> tuple[Book, int]:
    """Month ends, the rounding cases and tricky text: the book and the first text row."""
    book = Book(sheets=[])
    sheet = book.add_sheet("Data")
    sheet.put(1, 1, dt.date(2026, 1, 31))
    book.name("OrderDate", sheet, 1, 1)
    sheet.put(1, 2, "=EDATE(OrderDate,1)", fmt="yyyy-mm-dd")
    sheet.put(1, 3, "=EDATE(OrderDate,2)", fmt="yyyy-mm-dd")
    for i, (qty, rate) in enumerate(ROUNDING_CASES, start=3):
        sheet.put(i, 1, qty)
        sheet.put(i, 2, rate)
        sheet.put(i, 3, f"=ROUND({a1(i, 1)}*{a1(i, 2)},2)")
        sheet.put(i, 4, f"=ROUND({a1(i, 1)}*{a1(i, 2)},0)")
    start = 3 + len(ROUNDING_CASES) + 1
    for i, text in enumerate(TRICKY_TEXT, start=start):
        sheet.text(i, 1, text)
    return book, start


#: one of the session's workbooks (tests/workbooks.py)
ROUNDING = workbooks.custom("writer-rounding", lambda path: write_book(_rounding_book()[0], path))


@pytest.fixture(scope="module")
def recalculated(workbook_store):
    return workbook_store.book(ROUNDING)["Data"], _rounding_book()[1]


@pytest.mark.libreoffice
def test_excel_round_matches_exact_decimal_rounding(recalculated):
    ws, _ = recalculated
    for i, (qty, rate) in enumerate(ROUNDING_CASES, start=3):
        assert Decimal(repr(ws.cell(i, 3).value)) == line_amount(qty, rate, "EUR"), (qty, rate)
        assert Decimal(repr(ws.cell(i, 4).value)) == line_amount(qty, rate, "JPY"), (qty, rate)


@pytest.mark.libreoffice
def test_edate_clamps_month_end_from_the_original_anchor(recalculated):
    ws, _ = recalculated
    assert ws["B1"].value.date() == dt.date(2026, 2, 28)
    assert ws["C1"].value.date() == dt.date(2026, 3, 31)


@pytest.mark.libreoffice
def test_text_is_never_a_formula(recalculated, tmp_path):
    ws, start = recalculated
    assert [ws.cell(i, 1).value for i in range(start, start + len(TRICKY_TEXT))] == TRICKY_TEXT


def test_text_cells_are_written_as_strings(tmp_path):
    book = Book(sheets=[])
    sheet = book.add_sheet("S")
    for i, text in enumerate(TRICKY_TEXT, start=1):
        sheet.text(i, 1, text)
    write_book(book, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["S"]
    for i, text in enumerate(TRICKY_TEXT, start=1):
        assert ws.cell(i, 1).value == text
        assert ws.cell(i, 1).data_type == "s"


def test_a_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "keep.xlsx"
    target.write_bytes(b"old")
    book = Book(sheets=[])
    book.add_sheet("S").put(1, 1, object())  # openpyxl cannot store an arbitrary object
    with pytest.raises(ValueError):
        write_book(book, target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.xlsx"]


def test_the_collector_is_paused_while_building_and_on_again_after(tmp_path, monkeypatch):
    """build_layout and write_book hold the cyclic collector off while they run (issue #17),
    turn it on again after, also after a failure, and leave it off when it was off."""
    import gc

    from billing_model.service import scenario_from_mapping
    from billing_model.workbook import build, writer

    seen = []
    for module, name in ((writer, "_write_sheet"), (build, "check_book")):
        original = getattr(module, name)
        monkeypatch.setattr(
            module, name, lambda *a, _f=original: seen.append(gc.isenabled()) or _f(*a)
        )
    scenario = scenario_from_mapping(
        {
            "contract": {
                "order_date": "2026-01-15",
                "license": "pc2",
                "committed_users": 10,
                "prepay_rate": 110,
                "term_months": 12,
            },
            "usage": {"users": [10] * 12},
        },
        name="gc",
    )
    assert gc.isenabled()
    layout = build.build_layout(scenario)
    write_book(layout, tmp_path / "a.xlsx")
    assert seen and not any(seen)
    assert gc.isenabled()
    bad = Book(sheets=[])
    bad.add_sheet("S").put(1, 1, object())
    with pytest.raises(ValueError):
        write_book(bad, tmp_path / "b.xlsx")
    assert gc.isenabled()
    gc.disable()
    try:
        write_book(layout, tmp_path / "c.xlsx")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_ref_quotes_sheet_names_with_spaces():
    assert ref("Ramp study", 2, 3, 9) == "'Ramp study'!$C$2:$C$9"
    assert ref("Inputs", 4, 2) == "Inputs!$B$4"


def test_a1_names_cells_and_refuses_one_past_the_grid_each_time():
    """a1 keeps its answers: the same cell twice is the same text, and a cell past Excel's
    grid is refused on every call (a refusal is never kept as an answer)."""
    assert [a1(4, 2), a1(4, 2, absolute=False), a1(4, 2)] == ["$B$4", "B4", "$B$4"]
    assert a1(1_048_576, 16_384) == "$XFD$1048576"
    assert a1(7, 28, absolute=False) == "AB7"
    for _ in range(2):
        with pytest.raises(BillingInputError, match=r"cell \(row 1,048,577, column 1\)"):
            a1(1_048_577, 1)
        with pytest.raises(BillingInputError, match=r"column 16,385\), past Excel's limits"):
            a1(1, 16_385, absolute=False)


def test_a1_answers_each_argument_type_apart_and_column_letter_refuses_past_the_grid():
    """The kept answers are keyed by type: 1 and True (or 1.0) are equal keys, and
    ``a1(True, True)`` once kept "$A$True" as the answer to ``a1(1, 1)`` for the whole
    process; a column past XFD was a letter (XFE), never refused."""
    from billing_model.workbook.layout import column_letter

    a1.cache_clear()
    column_letter.cache_clear()
    a1(True, True)
    a1(2.0, 3)
    assert [a1(1, 1), a1(2, 3), a1(2, 3, absolute=False)] == ["$A$1", "$C$2", "C2"]
    assert column_letter(16_384) == "XFD"
    for _ in range(2):
        for col in (0, 16_385):
            with pytest.raises(BillingInputError, match=rf"column {col:,}, past Excel's limit"):
                column_letter(col)


def test_the_collector_is_on_again_after_an_interrupt_even_right_after_pausing(monkeypatch):
    """Ctrl-C while a workbook is laid out, and one arriving between turning the collector off
    and the clean-up taking hold, both leave it on again."""
    import gc

    from billing_model.service import load_scenario
    from billing_model.workbook import build, layout

    def interrupted(*_a):
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "check_amounts", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build.build_layout(load_scenario("scenarios/basic_contract.toml"))
    assert gc.isenabled()
    disable = gc.disable

    def disable_then_interrupt():
        disable()
        raise KeyboardInterrupt

    monkeypatch.setattr(layout.gc, "disable", disable_then_interrupt)
    try:
        with pytest.raises(KeyboardInterrupt), layout.collector_paused():
            pass
        assert gc.isenabled()
    finally:
        monkeypatch.undo()
        gc.enable()


def test_a_scenario_file_name_with_an_undecodable_byte_builds_with_a_replacement_character(
    tmp_path, capsys
):
    """Python reads a file name's byte that is not UTF-8 as a lone surrogate; the workbook shows
    the scenario's file name, and XlsxWriter could not encode it: a traceback, no workbook.
    Now the character is U+FFFD, and nothing a file cannot hold is written."""
    import os
    import re
    import shutil

    from billing_model.cli import main

    scenario = tmp_path / os.fsdecode(b"bad\xffname.toml")
    shutil.copyfile("scenarios/basic_contract.toml", scenario)
    out = tmp_path / "out.xlsx"
    assert main(["build", str(scenario), "-o", str(out)]) == 0, capsys.readouterr().err
    wb = openpyxl.load_workbook(out, read_only=True)
    texts = [
        v
        for ws in wb.worksheets
        for row in ws.iter_rows(values_only=True)
        for v in row
        if isinstance(v, str)
    ]
    assert any("bad\ufffdname" in t for t in texts)
    assert not any(re.search(r"[\ud800-\udfff]", t) for t in texts)
    assert (
        wb.properties.title is None
        or "\ufffd" in wb.properties.title
        or "bad" not in (wb.properties.title)
    )


def test_missing_soffice_is_a_clear_error(tmp_path):
    """In a process of its own that sees no soffice anywhere: hiding it in this one (the
    environment, ``Path.is_file``) would hide it from the session's workbook batch too, which
    runs LibreOffice in a thread beside the tests."""
    import subprocess
    import sys

    code = (
        "import pathlib; pathlib.Path.is_file = lambda self: False\n"
        "from billing_model.io.libreoffice import RecalcError, find_soffice\n"
        "try:\n    find_soffice()\nexcept RecalcError as exc:\n    print(exc)\n"
    )
    env = {**os.environ, "BILLING_MODEL_SOFFICE": "", "PATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert re.match(r"LibreOffice \(soffice\) was not found; install", done.stdout), done


def test_convert_refuses_writing_over_its_input(tmp_path):
    from billing_model.core.errors import BillingInputError

    (tmp_path / "a.xlsx").write_bytes(b"")
    with pytest.raises(BillingInputError, match="must differ"):
        convert([tmp_path / "a.xlsx"], tmp_path)


def test_sheet_values_refuses_a_missing_workbook_and_unpaired_folders(tmp_path):
    from billing_model.core.errors import BillingInputError

    with pytest.raises(BillingInputError, match="no such workbook"):
        sheet_values([tmp_path / "none.xlsx"], [tmp_path / "out"])
    with pytest.raises(ValueError, match="one output folder per input"):
        sheet_values([tmp_path / "none.xlsx"], [])


@pytest.mark.libreoffice
def test_sheet_values_says_which_workbook_libreoffice_left_without_values(monkeypatch, tmp_path):
    """A LibreOffice run that writes nothing (a stand-in that exits 1) names the input."""
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\necho cannot open >&2\nexit 1\n", encoding="utf-8")
    fake.chmod(0o755)
    stand_in_soffice(monkeypatch, fake)  # this thread's: the session's batch runs beside it
    book = tmp_path / "a.xlsx"
    openpyxl.Workbook().save(book)  # a workbook: an empty file is refused before the run
    with pytest.raises(RecalcError, match=r"exit 1\) converting to csv; missing .*a\.xlsx"):
        sheet_values([book], [tmp_path / "out"])
    assert not (tmp_path / "out").exists()


@pytest.mark.libreoffice
def test_libreoffice_skips_its_graphics_self_tests_in_the_projects_profile(tmp_path):
    """LibreOffice ran its graphics self-tests (4096-pixel bitmaps, about 0.9 s of CPU) at
    every start, headless never recording the version they were run for; the profile says they
    were, and LibreOffice then writes no GraphicsRenderTests.log into it. In a process of its
    own, with a fresh profile (the session's batch may be using this process's)."""
    import subprocess
    import sys

    book = tmp_path / "a.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "=ROUND(55*171.115,2)"
    wb.save(book)
    code = (
        "import sys; from billing_model.io import libreoffice as lo\n"
        "lo.sheet_values([sys.argv[1]], [sys.argv[2]])\n"
        "print(*sorted(p.name for p in (lo._profile_dir() / 'user').iterdir()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(book), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=True,
    )
    profile = done.stdout.split()
    assert "registrymodifications.xcu" in profile and "extensions" in profile, done  # it ran
    assert "GraphicsRenderTests.log" not in profile, done
    assert (tmp_path / "out" / "Sheet.csv").read_text(encoding="utf-8") == "9411.33\n"


def test_libreoffice_keeps_its_temporary_files_in_its_own_profile(monkeypatch, tmp_path):
    # an interrupted build --recalc left LibreOffice's /tmp/lu*.tmp behind; its temporary
    # folder is now inside the per-process profile, which is removed at exit
    import subprocess

    from billing_model.io import libreoffice

    seen = {}

    def fake_popen(cmd, **kwargs):  # the runner starts LibreOffice with Popen
        seen.update(kwargs["env"])
        raise subprocess.TimeoutExpired(cmd, 1)

    monkeypatch.setattr(libreoffice.subprocess, "Popen", fake_popen)
    monkeypatch.setattr(libreoffice, "find_soffice", lambda: "soffice")  # installed or not
    book = tmp_path / "a.xlsx"
    book.write_bytes(b"")
    try:
        libreoffice.recalculate(book)
    except Exception:  # the fake run times out: what matters is the environment it was given
        pass
    assert seen["TMPDIR"].startswith(str(libreoffice._profile_dir()))


# formulas XlsxWriter rewrites (newer functions) or leaves alone, digits and all; the \S of its
# SINGLE pattern matches any non-blank before "INGLE(" (kept as it does)
PREPARED = [
    "=ROUND(G5*H5,2)",
    "=ROUND(G6*H6,2)",
    "=SORT(A1:A5)",
    "=SORT(A2:A6)",
    "=SUM(A1:A5)",
    "=XLOOKUP(1,A1:A9,B1:B9)",
    "=_xlfn.SORT(A1:A5)",
    # sheet names in other scripts (their UTF-8 bytes are never digits), digits of other
    # scripts (left as they are), a lone surrogate (a file name decoded with surrogateescape)
    "='Zählung 3'!B7+SORT('Ωμέγα'!A1:A5)",
    "='Zählung 4'!B8+SORT('Ωμέγα'!A2:A6)",
    "=SUM('٣ 日本'!C3:C9)+SORT(D٣:D9)",
    "='bad\udcff 1'!A1",
    "=1SORT(A1)",
    "=2XINGLE(A1)",
    "=X0INGLE(A1)",
    '=IF(A1=1,"SORT(",SORT(A1:A3))',
    "=FILTER(A1:A3,B1)",
    "=LOG10(A1)",
    "=T.DIST.2T(A1,2)",
    "{=SUM(A1:A3*B1:B3)}",
    "=A1",
    "=A9",
]


def test_formulas_are_prepared_as_xlsxwriter_prepares_them():
    from xlsxwriter.worksheet import Worksheet

    from billing_model.workbook.sheet_xml import Worksheet as Ours

    ours = Ours()
    for formula in PREPARED * 2:  # the second round from the cache of shapes
        assert ours._prepare_formula(formula) == Worksheet()._prepare_formula(formula), formula
        assert ours._prepare_formula(formula, True) == Worksheet()._prepare_formula(
            formula, True
        ), formula


def test_a_formula_shape_is_prepared_once(tmp_path, monkeypatch):
    """A column of one formula shape costs XlsxWriter's regular expressions once, for every
    sheet and every workbook written in the process."""
    from xlsxwriter.worksheet import Worksheet

    from billing_model.workbook import sheet_xml

    calls = []
    original = Worksheet._prepare_formula

    def counting(self, formula, expand_future_functions=False):
        calls.append(formula)
        return original(self, formula, expand_future_functions)

    monkeypatch.setattr(Worksheet, "_prepare_formula", counting)
    monkeypatch.setattr(sheet_xml.Worksheet, "_plain_shapes", {})  # none from other tests
    book = Book(sheets=[])
    for name in ("S", "T"):
        sheet = book.add_sheet(name)
        for row in range(1, 201):
            sheet.put(row, 1, row)
            sheet.put(row, 2, f"=ROUND({a1(row, 1, absolute=False)}*2,2)")
    write_book(book, tmp_path / "s.xlsx")
    assert len(calls) == 3  # rows 1-9, 10-99, 100-200: one shape each, for both sheets
    write_book(book, tmp_path / "again.xlsx")
    assert len(calls) == 3
    ws = openpyxl.load_workbook(tmp_path / "s.xlsx")["S"]
    assert [ws.cell(r, 2).value for r in (1, 57, 200)] == [
        "=ROUND(A1*2,2)",
        "=ROUND(A57*2,2)",
        "=ROUND(A200*2,2)",
    ]


def test_an_input_edit_changes_the_cells_in_the_saved_file(tmp_path):
    """tests/workbooks.set_cells (the workbook tests' input edits): cells named by defined
    names, on a quoted sheet name, written or left out by the writer, keep the rest."""
    from tests.workbooks import set_cells

    book = Book(sheets=[])
    sheet = book.add_sheet("Ramp study")
    sheet.put(1, 1, 1)
    sheet.put(1, 4, 4)
    sheet.put(5, 2, "kept", style="input")
    for name, (row, col) in {
        "First": (1, 1),
        "Second": (1, 2),
        "Text": (3, 3),
        "Far": (9, 26),
        "Styled": (5, 2),
    }.items():
        book.name(name, sheet, row, col)
    path = write_book(book, tmp_path / "e.xlsx")
    set_cells(path, {"First": "=1+1", "Second": 2.5, "Text": "a<&>b", "Far": True, "Styled": -5})
    ws = openpyxl.load_workbook(path)["Ramp study"]
    assert [ws[c].value for c in ("A1", "B1", "D1", "C3", "Z9", "B5")] == [
        "=1+1",
        2.5,
        4,
        "a<&>b",
        True,
        -5,
    ]
    assert ws["B5"].fill.fgColor.rgb.endswith("FFF2CC")  # the input's style kept


def test_an_input_edit_takes_a_date_and_a_sheet_cell(tmp_path):
    """set_cells: a date is stored as Excel's serial number (as openpyxl writes it), and a key
    ``Sheet!A1`` that is no defined name edits that cell (a value typed over on a sheet)."""
    import datetime as dt

    from openpyxl.utils.datetime import to_excel

    from tests.workbooks import set_cells

    book = Book(sheets=[])
    sheet = book.add_sheet("Usage")
    sheet.put(5, 5, 1)
    book.name("When", sheet, 2, 2)
    path = write_book(book, tmp_path / "d.xlsx")
    set_cells(path, {"When": dt.datetime(2026, 3, 15), "Usage!E5": 70, "Usage!F5": 40.5})
    ws = load_values(path)["Usage"]  # values, no formulas
    assert ws["B2"].value == to_excel(dt.datetime(2026, 3, 15)) == 46096
    assert (ws["E5"].value, ws["F5"].value) == (70, 40.5)
    set_cells(path, {"When": dt.date(2027, 6, 1)})
    assert load_values(path)["Usage"]["B2"].value == to_excel(dt.datetime(2027, 6, 1))
