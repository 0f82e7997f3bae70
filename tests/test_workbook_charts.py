"""Charts plot the contract (ramp + term), not the 84-period grid (issue 18, item 6).

A 13-period and a 60-period contract (basic_contract with its variants): the chart XML reads the
chart-only helper columns (``Chart...`` names, billing_model/workbook/charts.py), caches exactly
the scenario's active points, and tells LibreOffice to skip #N/A points (``dispBlanksAs``);
after a term edit recalculated in LibreOffice the helper cells hold the figures over the new
ramp + term and #N/A past it (what a scatter chart's x axis follows), and the charts of the
recalculated file still read the helper columns whole.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
import tomllib
import zipfile

import pytest
from openpyxl.utils.cell import range_boundaries

from billing_model.core.invoices import due_date
from billing_model.service import scenario_from_mapping
from billing_model.workbook import SCENARIOS_DIR
from billing_model.workbook.context import edate, extend
from tests import workbooks
from tests.workbook_cells import as_date, chart_helper_cells, error_cells, named
from tests.xlsx_values import load_values

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
EDITS = {13: 40, 60: 10}  # TermMonths typed into each workbook: 1 + 40 and 3 + 10 periods

#: the session's workbooks (tests/workbooks.py): each contract as built, and a copy with the
#: term edited on the Inputs sheet (recalculated in the worker's one LibreOffice run)
BOOKS = {
    periods: workbooks.scenario(
        f"charts{periods}",
        functools.partial(_scenario, *rt),
        key=f"basic_contract at ramp {rt[0]}, term {rt[1]}",
    )
    for periods, rt in CASES.items()
}
EDITED = {
    periods: workbooks.edited(f"charts{periods}-term{term}", BOOKS[periods], {"TermMonths": term})
    for periods, term in EDITS.items()
}
workbooks.needs_file(*EDITED.values())  # the charts of the file LibreOffice saves


@pytest.fixture(scope="module")
def built(workbook_store):
    """{periods: (scenario, built workbook path)}."""
    out = {}
    for periods, case in BOOKS.items():
        scenario = workbook_store.scenario(case)
        assert scenario.periods == periods
        out[periods] = (scenario, workbook_store.built(case))
    return out


def _charts(path) -> list[tuple[str, str]]:
    """(chart title, its chart XML) of every chart of a built workbook."""
    with zipfile.ZipFile(path) as z:
        # LibreOffice writes a sheet name's quotes as &apos; in the files it saves
        xmls = [
            z.read(n).decode().replace("&apos;", "'")
            for n in z.namelist()
            if re.match(r"xl/charts/chart\d+", n)
        ]
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


def _rows(reference: str) -> tuple[int, int]:
    """The first and last row of a ``Sheet!$A$1:$A$9`` range."""
    _c1, r1, _c2, r2 = range_boundaries(reference.rpartition("!")[2].replace("$", ""))
    return r1, r2


@functools.cache
def _names(path) -> dict:
    """The file's defined names, read once per file (a whole openpyxl load of an 80,000-cell
    workbook for each name was most of this module's time)."""
    wb = load_values(path)  # its defined names, as openpyxl reads them; no sheet is parsed
    return {name: next(iter(d.destinations)) for name, d in wb.defined_names.items()}


def _name(path, name: str) -> str:
    sheet, cells = _names(path)[name]
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
    assert _refs(xml, "yVal") == [
        _name(path, f"ChartStorage{k}") for k in ("Billed", "Allowance", "Overage")
    ]
    # the helper columns span the grid (a longer term edited in is drawn), the cache holds
    # the scenario's periods: dates as numbers (a text cache would make the x axis 1, 2, ...)
    assert "<c:xVal><c:numRef>" in xml and "strCache" not in xml
    assert _points(xml, "xVal") == [periods] * 3
    assert _points(xml, "yVal") == [periods] * 3


@pytest.mark.parametrize("periods", CASES)
def test_cash_flow_chart_plots_ramp_plus_term(built, periods):
    """Each invoice total a bar at its due date (a scatter series with 100 % minus error bars)
    over the whole table, so that an edited longer term is drawn too; the cache holds the
    invoices up to the arrears invoice of period ramp + term (hardware included)."""
    scenario, path = built[periods]
    xml = _chart(path, "Cash due by due date", "Cash flow")
    assert "<c:scatterChart>" in xml and "<c:barChart>" not in xml
    assert _refs(xml, "xVal") == [_name(path, "ChartCashDueDate")]
    assert _refs(xml, "yVal") == [_name(path, "ChartCashDue")]
    for helper in ("ChartCashDueDate", "ChartCashDue"):  # the helpers span the table's rows
        assert _rows(_name(path, helper)) == _rows(_name(path, "InvoiceDates")), helper
    assert "<c:xVal><c:numRef>" in xml and "strCache" not in xml
    end = edate(scenario.contract.order_date, periods)
    hardware = sum(1 for h in scenario.hardware if h.ship_date <= end)
    assert _points(xml, "xVal") == _points(xml, "yVal") == [periods + 1 + hardware]
    bars = re.search(r"<c:errBars>(.*?)</c:errBars>", xml, flags=re.S).group(1)
    for part in (
        '<c:errDir val="y"/>',
        '<c:errBarType val="minus"/>',
        '<c:errValType val="percentage"/>',
        '<c:val val="100"/>',
        "<c:noEndCap",
    ):
        assert part in bars, part


@pytest.mark.parametrize("periods", CASES)
def test_variants_chart_plots_to_the_longest_variants_last_invoice(built, periods):
    scenario, path = built[periods]
    xml = _chart(path, "Invoiced to date by variant", "Variants")
    variants = scenario.variants()
    assert "<c:scatterChart>" in xml
    assert set(_refs(xml, "xVal")) == {_name(path, "ChartVariantsMonth")}
    assert _refs(xml, "yVal") == [
        _name(path, f"ChartVariantsToDate{j + 1}") for j in range(len(variants))
    ]
    longest = max(v.periods for _n, v in variants)
    assert _points(xml, "xVal") == [longest + 1] * len(variants)


# --- after a term edit, recalculated in LibreOffice ---------------------------------------


@pytest.fixture(scope="module")
def edited(workbook_store):
    """{periods: recalculated workbook with TermMonths edited} from the session's store."""
    return {periods: workbook_store.book(case) for periods, case in EDITED.items()}


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
        assert chart[:now] == figures[:now] and all(
            isinstance(v, (int, float)) for v in chart[:now]
        )
        assert chart[now:] == ["#N/A"] * (len(chart) - now), key
    starts = _column(wb, "ChartStorageStart")
    assert all(isinstance(v, dt.datetime) for v in starts[:now])
    assert starts[now:] == ["#N/A"] * (len(starts) - now)


def _range_values(wb, reference: str) -> list:
    """The values of the cells of ``'Sheet'!$A$1:$A$9`` (one column)."""
    sheet, _bang, cells = reference.rpartition("!")
    c1, r1, _c2, r2 = range_boundaries(cells.replace("$", ""))
    ws = wb[sheet.strip("'")]
    return [ws.cell(r, c1).value for r in range(r1, r2 + 1)]


@pytest.mark.libreoffice
@pytest.mark.parametrize("periods", EDITS)
def test_cash_flow_chart_follows_an_edited_term(edited, built, workbook_store, periods):
    """The chart of the recalculated file reads the helper columns, and they hold each due
    date and total through the new term's last invoice and #N/A after: 1 + 12 -> 1 + 40
    periods draws 28 more bars, 3 + 57 -> 3 + 10 periods 47 fewer."""
    wb = edited[periods]
    scenario = built[periods][0]
    now = named(wb, "Periods")
    assert now == CASES[periods][0] + EDITS[periods]
    xml = _chart(workbook_store.recalculated(EDITED[periods]), "Cash due by due date", "Cash flow")
    (x_ref,), (y_ref,) = _refs(xml, "xVal"), _refs(xml, "yVal")
    xs, ys = _range_values(wb, x_ref), _range_values(wb, y_ref)
    dates = [as_date(d) for d in _column(wb, "InvoiceDates")]
    assert len(xs) == len(ys) == len(dates)  # the whole table, not the built term's rows
    end = edate(scenario.contract.order_date, now)
    live = [d <= end for d in dates]
    hardware = sum(1 for h in scenario.hardware if h.ship_date <= end)
    assert sum(live) == now + 1 + hardware
    assert [x for x, keep in zip(xs, live, strict=True) if not keep] == ["#N/A"] * (
        len(live) - sum(live)
    )
    assert [y for y, keep in zip(ys, live, strict=True) if not keep] == ["#N/A"] * (
        len(live) - sum(live)
    )
    terms = scenario.contract.payment_terms_days
    assert [as_date(x) for x, keep in zip(xs, live, strict=True) if keep] == [
        due_date(d, terms) for d, keep in zip(dates, live, strict=True) if keep
    ]
    totals = _column(wb, "InvoiceTotals")
    assert [y for y, keep in zip(ys, live, strict=True) if keep] == [
        t for t, keep in zip(totals, live, strict=True) if keep
    ]


@pytest.mark.libreoffice
@pytest.mark.parametrize("periods", EDITS)
def test_variants_chart_cells_follow_an_edited_term(edited, built, periods):
    wb = edited[periods]
    prefixes = [""] + [f"V{j}_" for j in range(1, len(built[periods][0].variants()))]
    longest = max(named(wb, f"{p}Periods") for p in prefixes)
    months = _column(wb, "ChartVariantsMonth")
    assert all(isinstance(v, dt.datetime) for v in months[: longest + 1])
    assert months[longest + 1 :] == ["#N/A"] * (len(months) - longest - 1)
    for j in range(len(prefixes)):
        to_date = _column(wb, f"ChartVariantsToDate{j + 1}")
        assert all(isinstance(v, (int, float)) for v in to_date[: longest + 1])
        assert to_date[longest + 1 :] == ["#N/A"] * (len(to_date) - longest - 1)


@pytest.mark.libreoffice
@pytest.mark.parametrize("periods", EDITS)
def test_only_the_chart_helpers_hold_errors(edited, periods):
    """The no-error-cell tests leave out the ``Chart...`` ranges, and nothing else."""
    wb = edited[periods]
    helpers = chart_helper_cells(wb)
    assert {sheet for sheet, _c in helpers} == {
        "Storage",
        "Cash flow",
        "Variants",
        "V1 cash flow",
        "V2 cash flow",
    }
    assert error_cells(wb) == []
