"""The committed demo workbooks and the ``build`` / ``demo`` commands.

``workbooks/`` holds the workbooks ``billing-model demo`` builds from ``scenarios/``; a test
rebuilds them and compares every sheet's cells (values and formulas), the defined names, tables
and charts, so a change to the builder or a scenario without ``billing-model demo`` fails here.
"""

from __future__ import annotations

import openpyxl
import pytest

from billing_model.cli import main
from billing_model.workbook import DEMO_SCENARIOS, SCENARIOS_DIR, WORKBOOKS_DIR
from tests import shared_runs
from tests.xlsx_values import load_values


def _content(path) -> dict:
    """What a workbook says: cells, names, tables, charts, validations (not zip bytes)."""
    wb = openpyxl.load_workbook(path)
    out = {"sheets": wb.sheetnames, "names": {n: d.attr_text for n, d in wb.defined_names.items()}}
    for ws in wb:
        out[ws.title] = {
            "cells": {
                c.coordinate: (c.value, c.number_format)
                for row in ws.iter_rows()
                for c in row
                if c.value is not None
            },
            "tables": dict(ws.tables.items()),
            "charts": len(ws._charts),
            "validations": sorted(str(v.sqref) for v in ws.data_validations.dataValidation),
        }
    return out


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The session's ``billing-model demo --out-dir workbooks`` run (:mod:`tests.shared_runs`:
    the README's command, run once for this module and tests/test_doc_commands.py): its
    out-dir, what it printed and the rows
    :func:`~billing_model.commands.demo.build_demos` returned to it."""
    run = shared_runs.command_run(tmp_path_factory, shared_runs.README_DEMO)
    assert run.code == 0, run.stderr
    return run.out_dir, run.stdout, list(run.rows)


@pytest.fixture(scope="module")
def rebuilt(demo_run):
    _folder, _out, rows = demo_run
    return {row["workbook"].name: row for row in rows}


@pytest.mark.parametrize("stem", [stem for stem, _what in DEMO_SCENARIOS])
def test_committed_workbooks_are_up_to_date(rebuilt, stem):
    committed = WORKBOOKS_DIR / f"{stem}.xlsx"
    assert committed.is_file(), f"{committed} is missing: run `billing-model demo`"
    if committed.read_bytes() == rebuilt[f"{stem}.xlsx"]["workbook"].read_bytes():
        return  # the same bytes say the same cells; the cell by cell comparison (two whole
        # openpyxl loads) is for a stale file, where it names what changed
    fresh = _content(rebuilt[f"{stem}.xlsx"]["workbook"])
    old = _content(committed)
    assert old == fresh, f"{committed} is stale: run `billing-model demo` and commit workbooks/"


@pytest.mark.parametrize("stem", [stem for stem, _what in DEMO_SCENARIOS])
def test_the_same_scenario_gives_the_same_bytes(rebuilt, stem):
    # so `make demo` leaves a clean git tree when nothing changed
    committed = WORKBOOKS_DIR / f"{stem}.xlsx"
    assert rebuilt[f"{stem}.xlsx"]["workbook"].read_bytes() == committed.read_bytes(), (
        f"{committed} differs byte for byte: run `billing-model demo` and commit workbooks/"
    )


def test_demo_figures_come_from_the_engine(rebuilt):
    from billing_model.core.invoices import grand_total, invoice_schedule
    from billing_model.service import load_scenario

    for stem, _what in DEMO_SCENARIOS:
        scenario = load_scenario(SCENARIOS_DIR / f"{stem}.toml")
        row = rebuilt[f"{stem}.xlsx"]
        assert row["total"] == grand_total(invoice_schedule(scenario))
        assert 0 < row["first_year"] <= row["total"]


def test_demo_command_says_where_the_workbooks_are(demo_run):
    folder, out, _rows = demo_run
    for stem, what in DEMO_SCENARIOS:
        assert (folder / f"{stem}.xlsx").is_file()
        assert f"{stem}.xlsx" in out and what in out
    assert "first-year cost" in out and "exclude taxes" in out


# the build commands below are docs/workbooks.md's, run once for the session (tests/shared_runs.py,
# shared with tests/test_doc_commands.py)


def test_build_command(tmp_path_factory):
    run = shared_runs.command_run(tmp_path_factory, shared_runs.DOCS_EUR)
    assert run.code == 0, run.stderr
    assert load_values(run.folder / "eur.xlsx").sheetnames[:3] == ["Summary", "Inputs", "Invoices"]
    assert "eur.xlsx" in run.stdout and "EUR" in run.stdout  # the -o path as given


def test_build_command_variant(tmp_path_factory):
    run = shared_runs.command_run(tmp_path_factory, shared_runs.DOCS_RAMP6)
    assert run.code == 0, run.stderr
    wb = load_values(run.folder / "ramp6.xlsx")  # RampMonths is an input: a value, no formula
    sheet, cell = next(iter(wb.defined_names["RampMonths"].destinations))
    assert wb[sheet][cell.replace("$", "")].value == 6


@pytest.mark.parametrize(
    "argv, message",
    [
        (["build", "missing.toml"], "missing.toml: no such scenario file"),
        (["build", "SCEN", "-o", "out.csv"], "must be an .xlsx file"),
        (["build", "SCEN", "--variant", "nope"], "variant 'nope' is not defined"),
    ],
)
def test_build_errors_are_one_line(tmp_path, capsys, argv, message):
    argv = [
        str(SCENARIOS_DIR / "storage_estimate.toml")
        if a == "SCEN"
        else str(tmp_path / a)
        if a == "out.csv"
        else a
        for a in argv
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_failed_build_keeps_the_old_workbook(tmp_path, monkeypatch):
    target = tmp_path / "keep.xlsx"
    target.write_bytes(b"previous")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("xlsxwriter.workbook.Workbook.close", broken)
    with pytest.raises(RuntimeError):
        main(["build", str(SCENARIOS_DIR / "storage_estimate.toml"), "-o", str(target)])
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.xlsx"]


def test_a_failed_recalc_keeps_the_old_workbook(tmp_path, monkeypatch, capsys):
    from billing_model.io.libreoffice import RecalcError

    target = tmp_path / "keep.xlsx"
    target.write_bytes(b"previous")

    def broken(*args, **kwargs):
        raise RecalcError("LibreOffice failed (exit 1)")

    monkeypatch.setattr("billing_model.io.libreoffice.recalculate", broken)
    assert (
        main(["build", str(SCENARIOS_DIR / "storage_estimate.toml"), "-o", str(target), "--recalc"])
        == 1
    )
    err = capsys.readouterr().err
    assert "LibreOffice failed" in err and "left as it was" in err and err.count("\n") == 1
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.xlsx"]


@pytest.mark.libreoffice
def test_build_recalc_stores_values(tmp_path_factory, soffice):
    # one LibreOffice run for this test and the docs' command
    run = shared_runs.command_run(tmp_path_factory, shared_runs.DOCS_RECALC)
    assert run.code == 0, run.stderr
    out = run.folder / "storage.xlsx"
    wb = load_values(out)
    sheet, cell = next(iter(wb.defined_names["InvoiceTotal"].destinations))
    assert isinstance(wb[sheet][cell.replace("$", "")].value, float)


def test_a_demo_failing_mid_set_leaves_the_previous_set_untouched(tmp_path, capsys, demo_run):
    """All or none: the third scenario is broken, so no workbook of the set is replaced."""
    import shutil

    scenarios, out = tmp_path / "scenarios", tmp_path / "workbooks"
    shutil.copytree(SCENARIOS_DIR, scenarios)
    out.mkdir()
    before = {}
    for stem, _what in DEMO_SCENARIOS:
        (out / f"{stem}.xlsx").write_bytes(shared_runs.previous(stem))
        before[stem] = shared_runs.previous(stem)
    broken = DEMO_SCENARIOS[2][0]
    text = (scenarios / f"{broken}.toml").read_text(encoding="utf-8")
    (scenarios / f"{broken}.toml").write_text(
        text.replace("[contract]", "[contract]\nterm_monthz = 12", 1), encoding="utf-8"
    )
    assert main(["demo", "--scenarios", str(scenarios), "--out-dir", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "term_monthz" in err
    assert {p.name for p in out.iterdir()} == {f"{stem}.xlsx" for stem, _ in DEMO_SCENARIOS}
    for stem, _what in DEMO_SCENARIOS:
        assert (out / f"{stem}.xlsx").read_bytes() == before[stem]
    # and a good run replaces the whole set: the failed run left the folder as it found it
    # (asserted above), the same previous set the session's demo run starts from; that run
    # (four workbooks, shared with the committed-workbooks check) is the good run
    folder, _out, _rows = demo_run
    assert shared_runs.PREVIOUS == {f"{stem}.xlsx": before[stem] for stem, _ in DEMO_SCENARIOS}
    for stem, _what in DEMO_SCENARIOS:
        assert (folder / f"{stem}.xlsx").read_bytes()[:2] == b"PK"
    assert {p.name for p in folder.iterdir()} == {f"{stem}.xlsx" for stem, _ in DEMO_SCENARIOS}
