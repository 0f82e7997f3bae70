"""Charts plot the contract (ramp + term), not the 84-period grid (issue 18, item 6).

A 13-period and a 60-period contract (basic_contract with its variants): the chart XML reads the
chart-only helper columns (``Chart...`` names, billing_model/workbook/charts.py), caches exactly
the scenario's active points, and tells LibreOffice to skip #N/A points (``dispBlanksAs``);
after a term edit recalculated in LibreOffice the helper cells hold the figures over the new
ramp + term and #N/A past it (what a scatter chart's x axis, and a bar chart's bars, follow).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import tomllib
import zipfile

import openpyxl
import pytest

from billing_model.io.libreoffice import recalculate_many
from billing_model.io.scenario import scenario_from_mapping
from billing_model.workbook import SCENARIOS_DIR, build_workbook
from billing_model.workbook.context import edate, extend
from tests.workbook_cells import as_date, chart_helper_cells, error_cells, named, set_named

SERIES = ("users", "telephony", "ivr_minutes", "storage_gb")


def _scenario(ramp: int, term: int):
    """basic_contract (hardware, variants, storage usage) at ``ramp`` + ``term`` periods."""
    data = tomllib.loads((SCENARIOS_DIR / "basic_contract.toml").read_text())
    data = copy.deepcopy(data)
    data["contract"].update(ramp_months=ramp, term_months=term)
    for table in (data["usage"], *data.get("org", [])):
        for key in SERIES:
            if isinstance(table.get(key), list):
                table[key] = extend(table[key], ramp + term)
    return scenario_from_mapping(data, base_dir=SCENARIOS_DIR, name=f"charts{ramp + term}")


CASES = {13: (1, 12), 60: (3, 57)}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """{periods: (scenario, workbook path)}, each built once."""
    folder = tmp_path_factory.mktemp("charts")
    out = {}
    for periods, (ramp, term) in CASES.items():
        scenario = _scenario(ramp, term)
        assert scenario.periods == periods
        out[periods] = (scenario, build_workbook(scenario, folder / f"charts{periods}.xlsx"))
    return out


def _charts(path) -> list[tuple[str, str]]:
    """(chart title, its chart XML) of every chart of a built workbook."""
    with zipfile.ZipFile(path) as z:
        xmls = [z.read(n).decode() for n in z.namelist() if re.match(r"xl/charts/chart\d+", n)]
    return [(re.search(r"<a:t>([^<]*)</a:t>", x).group(1), x) for x in xmls]


def _chart(path, title: str, sheet: str) -> str:
    """The XML of the chart ``title`` over ``sheet``'s cells."""
    quoted = f"'{sheet}'" if " " in sheet else sheet
    (xml,) = [x for t, x in _charts(path) if t == title and f"<c:f>{quoted}!" in x]
    return xml


def _refs(xml: str, tag: str) -> list[str]:
    """The ranges of the series' ``c:val``/``c:yVal`` (values) or ``c:cat``/``c:xVal``."""
    return re.findall(rf"<c:{tag}><c:(?:num|str)Ref><c:f>([^<]*)</c:f>", xml)


def _points(xml: str, tag: str) -> list[int]:
    """Per series, how many points the cache of its ``tag`` range holds (#N/A left out)."""
    blocks = re.findall(rf"<c:{tag}>(.*?)</c:{tag}>", xml, flags=re.S)
    return [len(re.findall(r"<c:pt idx=", b)) for b in blocks]


def _name(path, name: str) -> str:
    wb = openpyxl.load_workbook(path)
    sheet, cells = next(iter(wb.defined_names[name].destinations))
    return f"{sheet if ' ' not in sheet else repr(sheet)}!{cells}"


@pytest.mark.parametrize("periods", CASES)
def test_every_chart_skips_na_points(built, periods):
    """Without ``dispBlanksAs gap`` in the file LibreOffice draws #N/A as 0: the lines fell to
    the axis after the term."""
    scenario, path = built[periods]
    charts = _charts(path)
    # Storage, Cash flow, Variants, and each variant's cash flow
    assert len(charts) == 3 + len(scenario.variants()) - 1
    for title, xml in charts:
        assert '<c:dispBlanksAs val="gap"/>' in xml, title


@pytest.mark.parametrize("periods", CASES)
def test_storage_chart_plots_ramp_plus_term(built, periods):
    scenario, path = built[periods]
    xml = _chart(path, "Billed storage against the allowance", "Storage")
    assert "<c:scatterChart>" in xml  # its x axis spans the points that are not #N/A
    assert set(_refs(xml, "xVal")) == {_name(path, "ChartStorageStart")}
    assert _refs(xml, "yVal") == [_name(path, f"ChartStorage{k}")
                                  for k in ("Billed", "Allowance", "Overage")]
    # the helper columns span the grid (a longer term edited in is drawn), the cache holds
    # the scenario's periods: dates as numbers (a text cache would make the x axis 1, 2, ...)
    assert "<c:xVal><c:numRef>" in xml and "strCache" not in xml
    assert _points(xml, "xVal") == [periods] * 3
    assert _points(xml, "yVal") == [periods] * 3


@pytest.mark.parametrize("periods", CASES)
def test_cash_flow_chart_ends_at_the_last_invoice(built, periods):
    """A bar chart keeps a slot per row: its range ends at the scenario's last invoice (the
    arrears invoice at period ramp + term), not at the grid's."""
    scenario, path = built[periods]
    xml = _chart(path, "Cash due by due date", "Cash flow")
    end = edate(scenario.contract.order_date, periods)
    hardware = sum(1 for h in scenario.hardware if h.ship_date <= end)
    bars = periods + 1 + hardware
    helper = _name(path, "ChartCashDue")  # the whole grid's rows
    first = int(re.search(r"\$(\d+):", helper).group(1))
    column = re.search(r"!\$([A-Z]+)\$", helper).group(1)
    assert _refs(xml, "val") == [f"'Cash flow'!${column}${first}:${column}${first + bars - 1}"]
    assert _refs(xml, "cat") == [f"'Cash flow'!$E${first}:$E${first + bars - 1}"]
    assert _points(xml, "val") == [bars]


@pytest.mark.parametrize("periods", CASES)
def test_variants_chart_plots_to_the_longest_variants_last_invoice(built, periods):
    scenario, path = built[periods]
    xml = _chart(path, "Invoiced to date by variant", "Variants")
    variants = scenario.variants()
    assert "<c:scatterChart>" in xml
    assert set(_refs(xml, "xVal")) == {_name(path, "ChartVariantsMonth")}
    assert _refs(xml, "yVal") == [_name(path, f"ChartVariantsToDate{j + 1}")
                                  for j in range(len(variants))]
    longest = max(v.periods for _n, v in variants)
    assert _points(xml, "xVal") == [longest + 1] * len(variants)


# --- after a term edit, recalculated in LibreOffice ---------------------------------------

EDITS = {13: 40, 60: 10}  # TermMonths typed into each workbook: 1 + 40 and 3 + 10 periods


@pytest.fixture(scope="module")
def edited(built, tmp_path_factory, soffice):
    """{periods: recalculated workbook with TermMonths edited}, in one LibreOffice run."""
    folder = tmp_path_factory.mktemp("charts-edited")
    paths = []
    for periods, term in EDITS.items():
        path = folder / f"edited{periods}.xlsx"
        path.write_bytes(built[periods][1].read_bytes())
        set_named(path, {"TermMonths": term})
        paths.append(path)
    recalculate_many(paths)
    return {p: openpyxl.load_workbook(path, data_only=True)
            for p, path in zip(EDITS, paths, strict=True)}


def _column(wb, name: str) -> list:
    sheet, cells = next(iter(wb.defined_names[name].destinations))
    return [row[0].value for row in wb[sheet][cells.replace("$", "")]]


@pytest.mark.libreoffice
@pytest.mark.parametrize("periods", EDITS)
def test_storage_chart_cells_follow_an_edited_term(edited, built, periods):
    wb = edited[periods]
    now = named(wb, "Periods")
    assert now == CASES[periods][0] + EDITS[periods]
    for key, source in (("Billed", "StorageBilledGB"), ("Overage", "StorageOverageGB")):
        chart, figures = _column(wb, f"ChartStorage{key}"), _column(wb, source)
        assert chart[:now] == figures[:now] and all(isinstance(v, (int, float))
                                                    for v in chart[:now])
        assert chart[now:] == ["#N/A"] * (len(chart) - now), key
    starts = _column(wb, "ChartStorageStart")
    assert all(isinstance(v, dt.datetime) for v in starts[:now])
    assert starts[now:] == ["#N/A"] * (len(starts) - now)


@pytest.mark.libreoffice
@pytest.mark.parametrize("periods", EDITS)
def test_cash_flow_chart_cells_follow_an_edited_term(edited, built, periods):
    wb = edited[periods]
    scenario = built[periods][0]
    end = edate(scenario.contract.order_date, named(wb, "Periods"))
    chart, totals = _column(wb, "ChartCashDue"), _column(wb, "InvoiceTotals")
    dates = [as_date(d) for d in _column(wb, "InvoiceDates")]
    assert [c for c, d in zip(chart, dates, strict=True) if d > end] == \
        ["#N/A"] * sum(d > end for d in dates)
    assert [c for c, d in zip(chart, dates, strict=True) if d <= end] == \
        [t for t, d in zip(totals, dates, strict=True) if d <= end]


@pytest.mark.libreoffice
@pytest.mark.parametrize("periods", EDITS)
def test_variants_chart_cells_follow_an_edited_term(edited, built, periods):
    wb = edited[periods]
    prefixes = [""] + [f"V{j}_" for j in range(1, len(built[periods][0].variants()))]
    longest = max(named(wb, f"{p}Periods") for p in prefixes)
    months = _column(wb, "ChartVariantsMonth")
    assert all(isinstance(v, dt.datetime) for v in months[:longest + 1])
    assert months[longest + 1:] == ["#N/A"] * (len(months) - longest - 1)
    for j in range(len(prefixes)):
        to_date = _column(wb, f"ChartVariantsToDate{j + 1}")
        assert all(isinstance(v, (int, float)) for v in to_date[:longest + 1])
        assert to_date[longest + 1:] == ["#N/A"] * (len(to_date) - longest - 1)


@pytest.mark.libreoffice
@pytest.mark.parametrize("periods", EDITS)
def test_only_the_chart_helpers_hold_errors(edited, periods):
    """The no-error-cell tests leave out the ``Chart...`` ranges, and nothing else."""
    wb = edited[periods]
    helpers = chart_helper_cells(wb)
    assert {sheet for sheet, _c in helpers} == {"Storage", "Cash flow", "Variants",
                                                "V1 cash flow", "V2 cash flow"}
    assert error_cells(wb) == []
