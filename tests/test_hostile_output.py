"""Hostile text (issue #21): what reaches a table, a CSV, a chart or a cell, and how many
variants a scenario may ask for. Hostile places to write (a full disk, a full or closed stdout):
tests/test_hostile_places.py. Each test failed before its fix."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from billing_model.cli import main
from tests.hostile_data import FORMULA_NAME, SCENARIO, SESSIONS


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "hostile.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def _run(capsys, *argv) -> str:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in err
    return out


# --- 4, 9: user text in tables is printed as typed -------------------------------------------


def test_invoice_tables_print_markup_as_typed(capsys, scenario):
    # `[red]v2` showed as `v2` (two variants looked the same), `Headsets [red]EU[/red] bundle`
    # as `Headsets EU bundle`, and `[/]` raised rich.errors.MarkupError (exit 1)
    out = _run(capsys, "invoices", scenario)
    assert "Headsets [red]EU[/red] bundle" in out
    assert '=HYPERLINK("http://example.com","x") [/]' in out
    variants = [
        line.split("│")[1].strip()
        for line in out.splitlines()
        if line.startswith("│") and "actual-usage" in line
    ]
    assert variants == ["base", "v2", "[red]v2", "[/]", FORMULA_NAME, "Q1!B2 plan"]


@pytest.mark.parametrize("variant", ["[/]", "[red]v2"])
def test_a_variant_named_with_markup_is_shown_as_typed(capsys, scenario, variant):
    out = _run(capsys, "invoices", scenario, "--variant", variant)
    assert f"variant {variant!r}" in out
    out = _run(capsys, "invoices", scenario, "--variant", variant, "--totals")
    assert f"variant {variant!r}" in out


def test_print_table_never_reads_markup_in_titles_headers_cells_or_footers():
    import pandas as pd

    from billing_model.output import print_table

    out = io.StringIO()
    print_table(
        pd.DataFrame({"[b]col[/b]": ["[/]", "[red]x"]}),
        "[bold]t[/]",
        footer="[/] f [i]",
        out=out,
        bold_rows=[1],
        end_sections=[0],
    )
    text = out.getvalue()
    for typed in ("[b]col[/b]", "[/]", "[red]x", "[bold]t[/]", "[/] f [i]"):
        assert typed in text


# --- 5: CSV formula injection ----------------------------------------------------------------


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_invoice_csv_escapes_text_that_a_spreadsheet_would_run(capsys, scenario):
    rows = _rows(_run(capsys, "invoices", scenario, "--format", "csv"))
    descriptions = [r["description"] for r in rows]
    assert '\'=HYPERLINK("http://example.com","x") [/]' in descriptions
    assert "Headsets [red]EU[/red] bundle" in descriptions  # no trigger: as it is
    raw = _rows(_run(capsys, "invoices", scenario, "--format", "csv", "--csv-raw"))
    assert '=HYPERLINK("http://example.com","x") [/]' in [r["description"] for r in raw]


@pytest.fixture(scope="module")
def hostile_sessions(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile_csv") / "sessions.csv"
    path.write_text(
        "user_id,org,start,end,license\n"
        '@SUM(1+1),"=HYPERLINK(""http://x"",""y"")",2026-03-02T09:00:00Z,2026-03-02T17:00:00Z,'
        "pc2\n"
        "+1 555 0100,-prod,2026-03-02T09:00:00Z,2026-03-02T17:00:00Z,pc2\n"
        "-5,plain,2026-03-03T09:00:00Z,2026-03-03T17:00:00Z,pc2\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("extra", [[], ["--by-user"]])
def test_usage_csv_escapes_orgs_and_user_ids(capsys, hostile_sessions, extra):
    rows = _rows(_run(capsys, "usage", hostile_sessions, "--format", "csv", *extra))
    assert {r["org"] for r in rows} == {'\'=HYPERLINK("http://x","y")', "'-prod", "plain"}
    if extra:  # a user id "-5" is a number to a spreadsheet, never a formula: as it is
        assert {r["user_id"] for r in rows} == {"'@SUM(1+1)", "'+1 555 0100", "-5"}
    raw = _rows(_run(capsys, "usage", hostile_sessions, "--format", "csv", "--csv-raw", *extra))
    assert {r["org"] for r in raw} == {'=HYPERLINK("http://x","y")', "-prod", "plain"}


def test_usage_csv_with_hostile_text_still_loads_no_pandas(hostile_sessions):
    # the escape works on NumPy columns (first characters checked in one pass)
    code = (
        "import sys; from billing_model.cli import main; "
        f"code = main(['usage', {str(hostile_sessions)!r}, '--format', 'csv', "
        "'--by-user']); print('PANDAS', 'pandas' in sys.modules, code, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "PANDAS False 0" in done.stderr
    assert "'@SUM(1+1)" in done.stdout


def test_compare_csv_keeps_negative_numbers(capsys):
    rows = _rows(
        _run(
            capsys,
            "compare",
            SESSIONS,
            "--license",
            "pc2",
            "--named-rate",
            "100",
            "--concurrent-rate",
            "400",
            "--format",
            "csv",
        )
    )
    differences = [r["difference"] for r in rows]
    assert any(d.startswith("-") for d in differences)  # a negative amount, not escaped
    assert all(re.fullmatch(r"-?\d+\.\d\d", d) for d in differences)


def test_csv_text_guards_text_never_numbers():
    import numpy as np

    from billing_model.output import _escaped_strings, csv_text

    for text in ("=1+2", "+x", "-x", "@x", "\tx", "\rx", "-", "+"):
        assert csv_text(text) == "'" + text
    for text in ("-12.50", "+3", "-1e5", ".5", "", "plain", "a=b"):
        assert csv_text(text) == text
    values = np.array(["a", "=b", "-2", "=b", "", "@c"])
    assert _escaped_strings(values).tolist() == ["a", "'=b", "-2", "'=b", "", "'@c"]
    assert _escaped_strings(np.array([], dtype=str)).tolist() == []


# --- 3: chart text is literal ----------------------------------------------------------------


@pytest.fixture(scope="module")
def chart_xml(scenario, tmp_path_factory) -> str:
    from billing_model.service import load_scenario
    from billing_model.workbook import build_layout
    from billing_model.workbook.writer import write_book

    book = build_layout(load_scenario(scenario))
    chart = book.sheet("Variants").charts[0]
    # titles come from the code today; the writer must keep any text literal all the same
    chart.title, chart.x_title, chart.y_title = "=Sheet1!A1", "Q1!B2", FORMULA_NAME
    out = tmp_path_factory.mktemp("chart") / "hostile.xlsx"
    write_book(book, out)
    with zipfile.ZipFile(out) as z:
        return "\n".join(
            z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")
        )


def test_chart_series_names_are_literal_text_not_references(chart_xml):
    # the series name was written as <c:f>cmd|' /C calc'!A0</c:f>: a reference (a DDE link)
    names = re.findall(r"<c:tx><c:v>([^<]*)</c:v></c:tx>", chart_xml)
    for typed in ("base", "v2", "[red]v2", "[/]", FORMULA_NAME, "Q1!B2 plan"):
        assert typed.replace("'", "&apos;") in names or typed in names
    formulas = re.findall(r"<c:f>([^<]*)</c:f>", chart_xml)
    assert formulas and all(
        "cmd" not in f and "Q1" not in f and "Sheet1" not in f for f in formulas
    )


def test_chart_and_axis_titles_are_literal_text(chart_xml):
    titles = re.findall(r"<a:t>([^<]*)</a:t>", chart_xml)
    assert "=Sheet1!A1" in titles and "Q1!B2" in titles
    assert any(t in titles for t in (FORMULA_NAME, FORMULA_NAME.replace("'", "&apos;")))


# --- 12: many variants -----------------------------------------------------------------------


def _with_variants(tmp_path, n: int) -> Path:
    path = tmp_path / f"variants_{n}.toml"
    path.write_text(
        SCENARIO.split("[[variant]]")[0]
        + "".join(f'\n[[variant]]\nname = "v{i}"\nprepay_rate = {60 + i % 10}\n' for i in range(n)),
        encoding="utf-8",
    )
    return path


def test_a_thousand_variants_are_refused_before_any_work(tmp_path, capsys, monkeypatch):
    # 1,000 variants took 866 s and 6 GB, for a chart Excel cannot show (255 series at most)
    import billing_model.workbook.build as build

    def no_layout(*args, **kwargs):
        raise AssertionError("the layout was started")

    monkeypatch.setattr(build, "build_layout", no_layout)
    out = tmp_path / "big.xlsx"
    assert main(["build", str(_with_variants(tmp_path, 1000)), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (
        "billing-model: error: variants_1000.toml: 1,000 [[variant]] tables; a "
        "workbook holds at most 50 variants; accepted: fewer variants in one file "
        "(split them over several), or build one with --variant NAME (invoices "
        "compares any number)\n"
    )
    assert not out.exists()


def test_too_many_variants_are_refused_before_they_are_validated(tmp_path, capsys, monkeypatch):
    # 10,000 variants: each was validated as a whole scenario before the count was looked at
    import billing_model.io.scenario as loader

    def no_build(*args, **kwargs):
        raise AssertionError("a scenario was validated")

    path = _with_variants(tmp_path, 51)
    monkeypatch.setattr(loader, "_merge_variant", no_build)
    assert main(["build", str(path), "-o", str(tmp_path / "v.xlsx")]) == 2
    assert "51 [[variant]] tables; a workbook holds at most 50 variants" in (
        capsys.readouterr().err
    )


def test_fifty_variants_are_a_workbook_and_longer_grids_hold_fewer(tmp_path):
    from billing_model.core.errors import BillingInputError
    from billing_model.service import load_scenario
    from billing_model.workbook.build import MAX_VARIANT_PERIODS, MAX_VARIANTS, check_variants
    from billing_model.workbook.context import grid_size

    assert MAX_VARIANTS == 50
    check_variants(load_scenario(_with_variants(tmp_path, 50)))  # accepted
    long = _with_variants(tmp_path, 30)
    long.write_text(
        long.read_text()
        .replace("term_months = 3", "term_months = 200")
        .replace("users = [10, 20, 22, 25, 26]", f"users = {[20] * 201}"),
        encoding="utf-8",
    )
    scenario = load_scenario(long)  # 1 + 200 periods: a grid longer than the default's
    periods = grid_size(scenario)[2]
    assert periods > 108 and 30 * periods > MAX_VARIANT_PERIODS
    with pytest.raises(
        BillingInputError,
        match=rf"at most {MAX_VARIANT_PERIODS // periods} "
        rf"variants of {periods} billing periods",
    ):
        check_variants(scenario)


# --- text too long for a cell: named by its scenario key -------------------------------------


@pytest.mark.parametrize(
    "table, key, size, message",
    [
        (
            "one_time",
            "description",
            32_768,
            "one_time[3].description: 32,768 characters; accepted: at most 32,767 (what one Excel "
            "cell holds)",
        ),
        (
            "hardware",
            "description",
            40_000,
            "hardware[1].description: 40,000 characters; accepted: at most 32,767 (what one Excel "
            "cell holds)",
        ),
        ("variant", "name", 256, "variant[6].name: 256 characters; accepted: at most 255"),
    ],
)
def test_text_too_long_for_a_cell_names_the_scenario_key(
    tmp_path, capsys, table, key, size, message
):
    # was "Inputs!R47C2: text of 32,768 characters; ...": a cell the user never wrote
    extra = {
        "one_time": '\n[[one_time]]\ndescription = "{x}"\namount = 1\n',
        "hardware": '\n[[hardware]]\ndescription = "{x}"\namount = 1\nship_date = 2026-05-01\n',
        "variant": '\n[[variant]]\nname = "{x}"\nprepay_rate = 1\n',
    }[table]
    path = tmp_path / "long.toml"
    path.write_text(SCENARIO + extra.format(x="x" * size), encoding="utf-8")
    for command in (["build", str(path), "-o", str(tmp_path / "l.xlsx")], ["invoices", str(path)]):
        assert main(command) == 2
        assert capsys.readouterr().err == f"billing-model: error: long.toml: {message}\n"


def test_a_description_of_32767_characters_is_a_workbook(tmp_path):
    from billing_model.service import load_scenario
    from billing_model.workbook import build_layout

    path = tmp_path / "full.toml"
    path.write_text(
        SCENARIO.split("[[variant]]")[0]
        + f'\n[[one_time]]\ndescription = "{"x" * 32_767}"\namount = 1\n',
        encoding="utf-8",
    )
    build_layout(load_scenario(path))  # check_book accepts every cell


# --- found attacking again -------------------------------------------------------------------


def test_tables_show_right_to_left_overrides_as_escapes():
    # a variant named "x\u202eevil" printed as "xlive": the override reordered the terminal row
    import pandas as pd

    from billing_model.output import print_table

    out = io.StringIO()
    print_table(pd.DataFrame({"variant": ["x\u202eevil", "a\u2066b\u200f"]}), out=out)
    text = out.getvalue()
    assert "x\\u202eevil" in text and "a\\u2066b\\u200f" in text
    assert "\u202e" not in text and "\u2066" not in text


def test_control_characters_in_chart_names_are_spaces_as_in_cells(tmp_path):
    # a variant named "bell\u0007x" reached the legend as "bell_x0007_x" (the cells had a space)
    from billing_model.service import load_scenario
    from billing_model.workbook import build_layout

    path = tmp_path / "bell.toml"
    path.write_text(
        SCENARIO.split("[[variant]]")[0]
        + '\n[[variant]]\nname = "bell\\u0007x"\nprepay_rate = 1\n',
        encoding="utf-8",
    )
    chart = build_layout(load_scenario(path)).sheet("Variants").charts[0]
    assert [s.title for s in chart.series] == ["base", "bell x"]


def test_an_org_name_too_long_in_session_data_names_the_file_not_a_cell(tmp_path, capsys):
    # was "Usage!R4C4: text of 40,010 characters; ...": a cell the user never wrote
    sessions = tmp_path / "long_org.csv"
    sessions.write_text(
        "user_id,org,start,end,license\n"
        f"u1,{'O' * 300},2026-04-16T09:00:00Z,2026-04-16T17:00:00Z,pc1\n",
        encoding="utf-8",
    )
    path = tmp_path / "long_org.toml"
    path.write_text(
        SCENARIO.split("[usage]")[0] + '[usage]\nsessions = "long_org.csv"\nafter_data = "zero"\n',
        encoding="utf-8",
    )
    assert main(["build", str(path), "-o", str(tmp_path / "o.xlsx")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == (
        "billing-model: error: long_org.toml: usage.sessions: long_org.csv: an org "
        f"name of 300 characters ({'O' * 20!r}...); accepted: at most 255"
    )
