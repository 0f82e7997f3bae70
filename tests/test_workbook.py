"""Scenario workbooks, proven in a real spreadsheet engine.

Workbooks are built from the example scenarios and from seeded random scenarios, recalculated by
LibreOffice headless (one run for all of them: each start costs seconds), read back with openpyxl
and compared with the Python engines: every invoice line, every invoice total, InvoiceTotal,
FirstYearCost, StorageMaxGB and the per-period storage. Then input cells are changed in the
saved files (commitment, rates, ramp, policy, currency, retention, license model), recalculated
too, and compared with the engines run on the same changes made to the scenario file.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import re
import tomllib
import warnings
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries

from billing_model.core.errors import BillingWarning
from billing_model.core.invoices import fair_use_allowances, invoice_schedule, invoice_totals
from billing_model.core.schema import CONTRACT_FIELDS
from billing_model.core.storage import StorageSettings, storage_daily, storage_forecast
from billing_model.core.storage_figures import grid_daily
from billing_model.service import load_scenario, scenario_from_mapping
from billing_model.workbook import SCENARIOS_DIR, build_layout, build_workbook, scenario_figures
from tests import workbooks
from tests.workbook_cells import as_date as _as_date
from tests.workbook_cells import engine_lines as _engine_lines
from tests.workbook_cells import error_cells
from tests.workbook_cells import money as _money
from tests.workbook_cells import named as _named
from tests.workbook_cells import workbook_lines as _workbook_lines

EXAMPLES = (
    "sales_quote",
    "storage_estimate",
    "finance_ramp_study",
    "eur_contract",
    "basic_contract",
)

#: input edits made in the recalculated workbooks: (case, example, {defined name: value})
EDITS = (
    (
        "finance-commitment",
        "finance_ramp_study",
        {"CommittedUsers": 230, "PrepayRate": 79.99, "OverageRate": 88.125, "RampMonths": 1},
    ),
    (
        "finance-policy",
        "finance_ramp_study",
        {"RampPolicy": "no-software-charges", "RampMonths": 5, "TermMonths": 20},
    ),
    ("eur-jpy", "eur_contract", {"Currency": "JPY", "CommittedUsers": 48, "PrepayRate": 171.5}),
    (
        "eur-rates",
        "eur_contract",
        {
            "PrepayRate": 171.125,
            "CommittedUsers_2": 12,
            "IvrOverageRate": 0.0125,
            "ApiOverageRate": 0.00035,
            "RampPolicy": "actual-usage",
            "PaymentTermsDays": 45,
        },
    ),
    (
        "storage-retention",
        "storage_estimate",
        {
            "RetentionDays": 60,
            "ScreenShare": 0.5,
            "CallsPerMonth": 60000,
            "ScreenRetentionDays": 30,
            "ArchiveAfterDays": 45,
            "CommittedUsers": 35,
        },
    ),
    ("eur-partner", "eur_contract", {"Channel": "partner"}),
    (
        "quote-concurrent",
        "sales_quote",
        {"LicenseModel": "concurrent", "CommittedUsers": 32, "PrepayRate": 160, "OverageRate": 170},
    ),
)

#: defined name -> (TOML table, key) for the edits above: every contract input as the schema
#: names it (core/schema.py), and the others
NAME_KEYS = {
    **{f.name: ("contract", f.key) for f in CONTRACT_FIELDS},
    "CommittedUsers_2": ("product", "committed_users"),
    "RetentionDays": ("storage", "retention_days"),
    "ScreenShare": ("storage", "screen_share"),
    "CallsPerMonth": ("storage", "calls_per_month"),
    "ScreenRetentionDays": ("storage", "screen_retention_days"),
    "ArchiveAfterDays": ("storage", "archive_after_days"),
}

N_RANDOM = 6
TRICKY = ['=HYPERLINK("http://x","click")', "+49 30 123", "-5% promo", "@SUM(A1)"]

#: functions every formula may use: computed alike by Excel 2010+ and LibreOffice 7.4
ALLOWED_FUNCTIONS = {
    "IF",
    "AND",
    "OR",
    "MAX",
    "MIN",
    "SUM",
    "SUMIF",
    "SUMPRODUCT",
    "COUNTIF",
    "COUNTIFS",
    "INDEX",
    "MATCH",
    "IFERROR",
    "ROUND",
    "EDATE",
    "TEXT",
    "INT",
    "N",
    "MOD",
    "ISNUMBER",
    "NA",
    "DATE",
    "SUMIFS",
}


def _random_mapping(seed: int) -> dict:
    """A valid scenario drawn from a seeded generator: month-end anchors, JPY, both policies,
    3-decimal rates, several license lines and orgs, fair use, storage, partner-free."""
    rng = random.Random(seed)
    ramp, term = rng.randint(0, 3), rng.randint(1, 8)
    n = ramp + term
    day = rng.choice([1, 15, 28, 29, 30, 31])
    month = rng.randint(1, 12)
    last = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    order = dt.date(2026, month, min(day, last))
    currency = rng.choice(["USD", "EUR", "JPY", "GBP"])
    rate = round(rng.uniform(20, 200), 3) if currency != "JPY" else rng.randint(2000, 20000)
    committed = rng.randint(5, 60)
    lic = rng.choice(["pc1", "pc2", "pc3"])
    model = rng.choice(["named", "concurrent"])
    users = [max(0, committed + rng.randint(-8, 10)) for _ in range(n)]
    data = {
        "contract": {
            "order_date": order.isoformat(),
            "currency": currency,
            "license": lic,
            "license_model": model,
            "committed_users": committed,
            "prepay_rate": Decimal(repr(rate)),
            "overage_rate": Decimal(repr(round(rate * 1.1, 3)))
            if currency != "JPY"
            else int(rate * 1.1),
            "ramp_months": ramp,
            "ramp_policy": rng.choice(["actual-usage", "no-software-charges"]),
            "term_months": term,
            "payment_terms_days": rng.choice([0, 30, 45]),
            "ivr_overage_rate": Decimal("0.0115"),
            "storage_overage_rate": Decimal("0.25"),
        },
        "usage": {
            "users": {lic: users},
            "telephony": [Decimal(repr(round(rng.uniform(0, 900), 2))) for _ in range(n)],
            "ivr_minutes": [rng.randint(0, 3500) * committed for _ in range(n)],
        },
        "one_time": [{"description": TRICKY[seed % len(TRICKY)], "amount": 1234.565}],
        "hardware": [
            {
                "description": TRICKY[(seed + 1) % len(TRICKY)],
                "quantity": 3,
                "rate": 99.995,
                "ship_date": (order + dt.timedelta(days=rng.randint(0, 40))).isoformat(),
            }
        ],
        "storage": {
            "calls_per_month": rng.randint(1000, 90000),
            "avg_minutes": round(rng.uniform(1, 9), 2),
            "retention_days": rng.choice([7, 30, 45, 90, 400]),
            "screen_share": rng.choice([0, 0.25]),
            "screen_retention_days": 30,
        },
    }
    if currency != "USD":
        data["contract"]["storage_overage_rate"] = Decimal("0.2")
    if rng.random() < 0.5:  # a second license line and a dev org
        data["product"] = [
            {"license": "communicate", "committed_users": 3, "prepay_rate": Decimal("25.50")}
        ]
        data["usage"]["users"]["communicate"] = [rng.randint(0, 6) for _ in range(n)]
        data["org"] = [{"name": "dev", "users": {lic: [rng.randint(0, 3) for _ in range(n)]}}]
    return data


def _raw(stem: str) -> dict:
    with open(SCENARIOS_DIR / f"{stem}.toml", "rb") as fh:
        return tomllib.load(fh, parse_float=Decimal)


def _edited_scenario(stem: str, edits: dict):
    """The engine's scenario with the same changes as the workbook's input cells."""
    data = copy.deepcopy(_raw(stem))
    for name, value in edits.items():
        table, key = NAME_KEYS[name]
        value = Decimal(repr(value)) if isinstance(value, float) else value
        if table == "product":
            data["product"][0][key] = value
        else:
            data.setdefault(table, {})[key] = value
    return scenario_from_mapping(data, base_dir=SCENARIOS_DIR, name=stem)


#: the session's workbooks (tests/workbooks.py): the examples, their edited copies, the random
EXAMPLE_BOOKS = {stem: workbooks.example(stem) for stem in EXAMPLES}
EDITED_BOOKS = {
    case: workbooks.edited(case, EXAMPLE_BOOKS[stem], edits) for case, stem, edits in EDITS
}
RANDOM_BOOKS = {
    f"random{seed}": workbooks.scenario(
        f"workbook-random{seed}",
        lambda seed=seed: scenario_from_mapping(_random_mapping(seed), name=f"random{seed}"),
    )
    for seed in range(N_RANDOM)
}


@pytest.fixture(scope="module")
def books(workbook_store):
    """{case: (scenario the engine computes, recalculated openpyxl workbook with values)}."""
    cases: dict[str, tuple] = {}
    for stem, book in EXAMPLE_BOOKS.items():
        cases[stem] = (workbook_store.scenario(book), workbook_store.book(book))
    for case, stem, edits in EDITS:
        cases[case] = (_edited_scenario(stem, edits), workbook_store.book(EDITED_BOOKS[case]))
    for case, book in RANDOM_BOOKS.items():
        cases[case] = (workbook_store.scenario(book), workbook_store.book(book))
    return cases


CASES = [*EXAMPLES, *(case for case, _s, _e in EDITS), *(f"random{i}" for i in range(N_RANDOM))]


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", CASES)
def test_no_error_cells(books, case):
    _scenario, wb = books[case]
    assert error_cells(wb) == []


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", CASES)
def test_invoice_lines_equal_the_engine(books, case):
    scenario, wb = books[case]
    expected = _engine_lines(scenario)
    assert expected, "a schedule without lines proves nothing"
    assert _workbook_lines(wb) == expected


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", CASES)
def test_totals_equal_the_engine(books, case):
    scenario, wb = books[case]
    figures = scenario_figures(scenario)
    if scenario.contract.partner:  # no amounts at all
        assert _named(wb, "InvoiceTotal") == 0 == figures["total"]
        return
    assert _money(_named(wb, "InvoiceTotal")) == figures["total"]
    assert _money(_named(wb, "FirstYearCost")) == figures["first_year"]
    # per invoice: the Cash flow sheet's non-zero rows are the engine's invoice totals
    ws = wb["Cash flow"]
    rows = list(ws[ws.tables["Invoices"].ref])[1:]
    got = [
        (_as_date(r[0].value), _as_date(r[1].value), _money(r[2].value)) for r in rows if r[2].value
    ]
    totals = invoice_totals(invoice_schedule(scenario))
    want = [(r.invoice_date, r.due_date, r.amount) for r in totals.itertuples() if r.amount]
    assert got == want


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", CASES)
def test_storage_equals_the_engine(books, case):
    scenario, wb = books[case]
    c = scenario.contract
    ws = wb["Storage"]
    rows = list(ws[ws.tables["StorageByPeriod"].ref])[1 : scenario.periods + 1]
    billed = np.array([r[7].value for r in rows], dtype=float)
    overage = np.array([r[9].value for r in rows], dtype=float)
    if scenario.storage is None:
        # what-if inputs start at zero calls; the invoices bill measured storage (if any)
        assert _named(wb, "StorageMaxGB") == 0
        return
    forecast = storage_forecast(
        scenario.storage,
        c.order_date,
        scenario.periods,
        timezone=c.billing_timezone,
        allowance_gb=fair_use_allowances(scenario, "storage_gb"),
    )
    # GB are rounded to 3 decimals on both sides; the sums behind them differ only in the
    # last bits of a double, so a tie at half a MB could round apart: 1e-9 GB tolerance
    np.testing.assert_allclose(billed, forecast["stored_gb"].to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(overage, forecast["overage_gb"].to_numpy(), rtol=0, atol=1e-9)
    assert _named(wb, "StorageMaxGB") == pytest.approx(forecast["stored_gb"].max(), abs=1e-9)


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", CASES)
def test_storage_daily_model_equals_the_engine(books, case):
    """The daily model's columns (Date, Calls, Calls to date, Stored GB) and each period's new
    GB, recalculated, against the engine's daily model over ramp + term (``storage_daily``)
    and its grid of 31 days a period after it (``grid_daily``: no calls, storage ageing out).
    Without a ``[storage]`` table the what-if inputs start at zero calls: all zeros."""
    scenario, wb = books[case]
    c = scenario.contract
    settings = scenario.storage or StorageSettings(
        calls_per_month=0, avg_minutes=0, retention_days=0
    )
    sheet, cells = next(iter(wb.defined_names["DailyCallsToDate"].destinations))
    col, top, _c, bottom = range_boundaries(cells.replace("$", ""))
    ws = wb[sheet]
    assert [ws.cell(top - 1, col + j).value for j in range(-3, 2)] == [
        "Day",
        "Date",
        "Calls",
        "Calls to date",
        "Stored GB",
    ]
    rows = list(ws.iter_rows(top, bottom, col - 3, col + 1, values_only=True))
    day, date, calls, to_date, stored = (np.array(v, dtype=object) for v in zip(*rows, strict=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BillingWarning)  # a retention longer than the term
        daily = storage_daily(settings, c.order_date, scenario.periods, timezone=c.billing_timezone)
        grid = grid_daily(
            settings,
            c.order_date,
            scenario.periods,
            len(rows),
            timezone=c.billing_timezone,
        )
    n = len(daily)
    assert day.tolist() == list(range(len(rows)))
    assert [_as_date(v) for v in date[:n]] == daily["date"].tolist()
    # the sheet's additions are the engine's, in the same order: 1e-9 for LibreOffice's own
    # arithmetic (it rounds a difference of nearly equal values to 0)
    tol = {"rtol": 1e-9, "atol": 1e-9}
    np.testing.assert_allclose(calls[:n].astype(float), daily["calls"], **tol)
    np.testing.assert_allclose(stored[:n].astype(float), daily["stored_gb"], **tol)
    np.testing.assert_allclose(to_date.astype(float), np.cumsum(grid["calls"]), **tol)
    assert not calls[n:].astype(float).any()  # no calls after ramp + term
    np.testing.assert_allclose(
        stored.astype(float), grid["stored_audio"] + grid["stored_screen"], **tol
    )
    forecast = storage_forecast(
        settings, c.order_date, scenario.periods, timezone=c.billing_timezone
    )
    table = list(ws[ws.tables["StorageByPeriod"].ref])[1 : scenario.periods + 1]
    new_gb = np.array([r[6].value for r in table], dtype=float)
    np.testing.assert_allclose(new_gb, forecast["new_gb"].to_numpy(), rtol=0, atol=1e-9)
    if scenario.storage is not None:  # not vacuous
        assert forecast["new_gb"].sum() > 0 and stored.astype(float).max() > 0


@pytest.mark.libreoffice
def test_changed_inputs_change_the_figures(books):
    """The edits above really moved the results (so the comparisons are not vacuous)."""
    for case, stem, _edits in EDITS:
        assert _named(books[case][1], "InvoiceTotal") != _named(books[stem][1], "InvoiceTotal")
    assert _named(books["storage-retention"][1], "StorageMaxGB") != _named(
        books["storage_estimate"][1], "StorageMaxGB"
    )


@pytest.mark.libreoffice
def test_switching_the_license_model_is_the_concurrent_variant(books):
    """With sessions, LicenseModel = concurrent picks the measured peaks: the live model then
    bills what the scenario's concurrent variant bills."""
    quote = load_scenario(SCENARIOS_DIR / "sales_quote.toml")
    assert _workbook_lines(books["quote-concurrent"][1]) == _engine_lines(
        quote.variant("concurrent")
    )


@pytest.mark.libreoffice
def test_text_from_scenarios_stays_text(books):
    seen = set()
    for seed in range(N_RANDOM):
        wb = books[f"random{seed}"][1]
        for name in ("ChargeText_1", "ChargeText_2"):
            value = _named(wb, name)
            assert value in TRICKY
            seen.add(value)
    assert seen == set(TRICKY)


# --- the layout, without a spreadsheet engine ---------------------------------------------------
REQUIRED_NAMES = (
    "OrderDate",
    "Currency",
    "LicenseModel",
    "License",
    "CommittedUsers",
    "PrepayRate",
    "OverageRate",
    "RampMonths",
    "TermMonths",
    "PaymentTermsDays",
    "CallsPerMonth",
    "AvgMinutes",
    "RetentionDays",
    "ScreenShare",
)


@pytest.fixture(scope="module")
def layouts(workbook_store):
    return {stem: workbook_store.layout(book) for stem, book in EXAMPLE_BOOKS.items()}


@pytest.mark.parametrize("stem", EXAMPLES)
def test_inputs_are_named_styled_and_explained(layouts, stem):
    book = layouts[stem]
    inputs = book.sheet("Inputs")
    for name in REQUIRED_NAMES:
        target = book.names[name]
        sheet, cell = target.split("!")
        assert sheet == "Inputs"
        col, row = re.fullmatch(r"\$([A-Z]+)\$(\d+)", cell).groups()
        found = inputs.cells[(int(row), openpyxl.utils.column_index_from_string(col))]
        assert found.style == "input" and found.formula is None, name
        assert found.comment, f"{name} has no note"
    lists = {v.cells: v.options for v in inputs.validations if v.options}
    for name, option in (
        ("Currency", "JPY"),
        ("LicenseModel", "concurrent"),
        ("License", "pc3"),
        ("RampPolicy", "no-software-charges"),
    ):
        cell = book.names[name].split("!")[1].replace("$", "")
        assert option in lists[cell], name


@pytest.mark.parametrize("stem", EXAMPLES)
def test_formulas_use_only_functions_excel_2010_and_libreoffice_share(layouts, stem):
    used = set()
    for sheet in layouts[stem].sheets:
        for formula in sheet.formulas().values():
            # drop string literals, then collect NAME( tokens
            code = re.sub(r'"[^"]*"', '""', formula)
            used |= set(re.findall(r"([A-Z][A-Z0-9.]*)\(", code))
    assert used <= ALLOWED_FUNCTIONS, used - ALLOWED_FUNCTIONS
    assert {"ROUND", "EDATE", "INDEX"} <= used


@pytest.mark.parametrize("stem", EXAMPLES)
def test_invoice_amounts_are_rounded_formulas(layouts, stem):
    lines = layouts[stem].sheet("Invoices")
    amounts = [
        c.formula
        for (r, col), c in lines.cells.items()
        if col == 9 and r > 4 and c.formula and "ROUND(" in c.formula
    ]
    assert amounts and all("MoneyDecimals" in f for f in amounts)


def test_builds_are_reproducible(layouts):
    again = build_layout(load_scenario(SCENARIOS_DIR / "eur_contract.toml"))
    first = layouts["eur_contract"]
    assert again.names == first.names
    for a, b in zip(again.sheets, first.sheets, strict=True):
        assert a.cells == b.cells


def test_a_tricky_description_is_written_as_text(tmp_path):
    data = _random_mapping(0)
    data["one_time"][0]["description"] = "=1+1"
    path = build_workbook(scenario_from_mapping(data, name="t"), tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    sheet, cell = next(iter(wb.defined_names["ChargeText_1"].destinations))
    written = wb[sheet][cell.replace("$", "")]
    assert (written.value, written.data_type) == ("=1+1", "s")


def test_only_xlsx_outputs(tmp_path):
    from billing_model.core.errors import BillingInputError

    scenario = load_scenario(SCENARIOS_DIR / "storage_estimate.toml")
    with pytest.raises(BillingInputError, match="must be an .xlsx file"):
        build_workbook(scenario, tmp_path / "x.csv")


def test_building_sales_quote_reads_its_session_file_once(monkeypatch):
    """The loader reads and counts each session file once (base and variants share it), and the
    workbook's usage sheet and concurrency profile take the loaded sessions instead of reading
    the file again (it read sales_quote's file three times)."""
    import billing_model.io.scenario_sessions as io_scenario
    import billing_model.io.sessions as iotools
    from billing_model.io.sessions import read_sessions

    reads = []

    def counting(path, **kwargs):
        reads.append(Path(path).name)
        return read_sessions(path, **kwargs)

    monkeypatch.setattr(io_scenario, "read_sessions", counting)
    monkeypatch.setattr(iotools, "read_sessions", counting)  # any other reader
    quote = load_scenario(SCENARIOS_DIR / "sales_quote.toml")
    book = build_layout(quote, variants=quote.variants())
    assert reads == ["sample_sessions.csv"]
    assert "Usage" in [sheet.name for sheet in book.sheets]
    # the variants share the file's rows: one read, one count per calendar
    assert all(
        org.sessions.records is quote.orgs[0].sessions.records
        for _, scen in quote.variants()
        for org in scen.orgs
    )


def test_screen_recordings_kept_as_the_audio_build_the_retention_choices():
    # screen recordings without a retention of their own: the retention choices past a year
    # (730 days) refused the scenario ("kept as long as the audio") and no workbook was built;
    # the screen's life stops at the one-year cap, the audio's follows the choice
    data = tomllib.loads((SCENARIOS_DIR / "storage_estimate.toml").read_text(encoding="utf-8"))
    del data["storage"]["screen_retention_days"]
    data["storage"]["retention_days"] = 30
    scenario = scenario_from_mapping(data, base_dir=SCENARIOS_DIR, name="screen-as-audio")
    sheet = build_layout(scenario).sheet("Storage")
    rows = {
        cell.value: r
        for (r, c), cell in sheet.cells.items()
        if c == 1 and isinstance(cell.value, int) and cell.value in (365, 730)
    }
    audio = {days: sheet.cells[(r, 2)].result for days, r in rows.items()}
    screen = {days: sheet.cells[(r, 3)].result for days, r in rows.items()}
    assert audio[730] == pytest.approx(2 * audio[365])
    assert screen[730] == screen[365] > 0
