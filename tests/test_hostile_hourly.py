"""Today's changes attacked as a hostile user would (hourly lines in the workbook and the UDFs,
the Storage sheet's daily model, storage settings, session option names): each test here was
a defect first, failing, then fixed; docs/workbooks.md and docs/storage.md say what a user may
give. Workbooks come from the session's shared store (``tests/workbooks.py``).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from billing_model import udfs as udf
from billing_model.core.errors import BillingInputError
from billing_model.core.storage import storage_forecast
from billing_model.service import load_scenario, scenario_from_mapping
from billing_model.workbook import SCENARIOS_DIR, build_layout
from tests import workbooks
from tests.workbook_cells import named

ROOT = Path(__file__).resolve().parent.parent

#: one value per period of the contract (12, no ramp, no month to month): the storage command
#: and the loader accept it; the workbook's grid holds more periods than the contract
CALLS = [45_000 + 1_000 * k for k in range(12)]


def _calls_list_scenario():
    data = tomllib.loads((SCENARIOS_DIR / "storage_estimate.toml").read_text())
    data["storage"]["calls_per_month"] = CALLS
    return scenario_from_mapping(data)


CALLS_LIST = workbooks.scenario("hostile-calls-list", _calls_list_scenario)


def test_calls_per_month_list_builds_a_workbook():
    """A known bug: ``calls_per_month`` as one value per contract period was refused by the
    build ('12 values for 108 periods'), the grid's periods, though the loader accepts it."""
    book = build_layout(_calls_list_scenario())
    assert "Storage" in [s.name for s in book.sheets]


@pytest.mark.libreoffice
def test_calls_per_month_list_recalculates_to_the_engine(workbook_store):
    """Each contract period's calls and new GB, recalculated, are the engine's for the list."""
    scenario = workbook_store.scenario(CALLS_LIST)
    wb = workbook_store.book(CALLS_LIST)
    c = scenario.contract
    forecast = storage_forecast(
        scenario.storage, c.order_date, scenario.periods, timezone=c.billing_timezone
    )
    ws = wb["Storage"]
    table = list(ws[ws.tables["StorageByPeriod"].ref])[1 : scenario.periods + 1]
    calls = [r[4].value for r in table]
    new_gb = np.array([r[6].value for r in table], dtype=float)
    assert calls == CALLS
    np.testing.assert_allclose(new_gb, forecast["new_gb"].to_numpy(), rtol=0, atol=1e-9)


# --- BM_INVOICE_SCHEDULE called as Excel calls it ----------------------------------------------
def _schedule(hours, *, committed=None, prepay=None, model="hourly", rate=1.1):
    """BM_INVOICE_SCHEDULE by position (None: a blank cell), two term periods, no ramp."""
    optional = [None] * 6 + [model, None, None, rate]  # overage_rate .. hourly_rate
    return udf.BM_INVOICE_SCHEDULE(
        dt.datetime(2026, 1, 1), committed, prepay, 0.0, 2.0, hours, *optional
    )


@pytest.mark.parametrize("model", ["hourley", True, "named hourly"])
def test_udf_license_model_typo_is_named_not_committed_users(model):
    """A typo in license_model with the hourly line's blank committed users and prepay said
    'committed_users: is blank', sending the user to the wrong cell: the model is read first."""
    text = _schedule([[10.0], [1.0]], model=model)
    assert isinstance(text, str)
    assert text.startswith("license_model: ") and "named, concurrent, hourly" in text


@pytest.mark.parametrize(
    ("given", "name"),
    [({"rate": [[1.0, 2.0]]}, "hourly_rate"), ({"model": [["hourly", "named"]]}, "license_model")],
)
def test_udf_range_for_one_cell_names_the_argument(given, name):
    """A 2-D range where one cell is expected said 'expected one cell, got a range of 2 cells'
    without saying which argument."""
    text = _schedule([[10.0], [1.0]], **given)
    assert isinstance(text, str)
    assert text.startswith(f"{name}: ") and "one cell" in text


# --- scenario files ---------------------------------------------------------------------------
def _hourly_toml(tmp_path, old: str, new: str):
    """scenarios/hourly_contract.toml with one piece of text replaced (it must be there)."""
    text = (SCENARIOS_DIR / "hourly_contract.toml").read_text()
    assert old in text
    path = tmp_path / "edited.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def _cli(*args):
    """The CLI in a child process: its exit code, stdout, stderr (Python warnings shown)."""
    done = subprocess.run(
        [sys.executable, "-m", "billing_model", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def test_hourly_line_without_hours_or_sessions_is_refused(tmp_path):
    """An hourly line that no org gives hours (nor sessions) for billed nothing, silently: the
    line vanished from every invoice while the contract names its rate."""
    text = (SCENARIOS_DIR / "hourly_contract.toml").read_text()
    start = text.index("hours.pc2 = [")
    end = text.index("]", start) + 1
    path = tmp_path / "no-hours.toml"
    path.write_text(text[:start] + text[end:])
    code, out, err = _cli("invoices", path)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert "usage.hours.pc2" in lines[0] and "hourly" in lines[0] and "accepted:" in lines[0]


# --- the hourly workbook edited in LibreOffice -------------------------------------------------
HOURLY = workbooks.example("hourly_contract")
#: the Usage sheet's input cells typed over: D holds the pc2 hours, E the Communicate users
#: (row 7 is period 2); each went through with InputsOK TRUE: -5,000 hours billed a credit,
#: 4,402.5 hours billed 0.5 h (the engine bills whole hours), '4402' as text left the IVR
#: allowance out (+1,050.00), 'abc' and 1e308 showed #VALUE! / #NUM! without a reason
USAGE_EDITS = {
    "negative-hours": ({"Usage!D7": -5000}, "hours"),
    "fractional-hours": ({"Usage!D7": 4402.5}, "hours"),
    "text-hours": ({"Usage!D7": "abc"}, "hours"),
    "number-as-text-hours": ({"Usage!D7": "4402"}, "hours"),
    "huge-hours": ({"Usage!D7": 1e308}, "hours"),
    "negative-users": ({"Usage!E7": -3}, "users"),
}
USAGE_CASES = {
    key: workbooks.edited(f"hostile-usage-{key}", HOURLY, edits)
    for key, (edits, _unit) in USAGE_EDITS.items()
}


@pytest.mark.libreoffice
@pytest.mark.parametrize("key", sorted(USAGE_EDITS))
def test_usage_input_not_accepted_leaves_no_total(workbook_store, key):
    """A Usage cell typed as text, negative, fractional or absurd: InputsOK FALSE, the first
    problem names the sheet, the column and what is accepted, and no total stands."""
    wb = workbook_store.book(USAGE_CASES[key])
    unit = USAGE_EDITS[key][1]
    assert named(wb, "InputsOK") is False
    problem = named(wb, "InputsProblem")
    assert problem.startswith("Usage sheet, ") and f" {unit} " in problem, problem
    assert "accepted: " in problem
    total = named(wb, "InvoiceTotal")
    assert isinstance(total, str) and total.startswith("#"), total


@pytest.mark.libreoffice
def test_usage_inputs_as_built_are_accepted(workbook_store):
    """The check is no blanket refusal: the example as built passes it."""
    wb = workbook_store.book(HOURLY)
    assert named(wb, "InputsOK") is True
    assert named(wb, "UsageCheck_pc2") == "accepted"
    assert named(wb, "UsageCheck_communicate") == "accepted"


# --- storage settings from a scenario file ------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("retention_days = 1.5", "storage.retention_days: 1.5 is not accepted"),
        ("retention_days = nan", "storage.retention_days: NaN is not a finite number"),
        ("screen_share = 1.5", "storage.screen_share: 1.5 is outside 0..1"),
    ],
)
def test_storage_refusal_shows_the_value_as_typed(tmp_path, line, shown):
    """The file's numbers are read as exact decimals: a refusal showed 'Decimal('1.5')' (Python,
    not what the user typed) for retention days, a share, NaN."""
    text = (SCENARIOS_DIR / "storage_estimate.toml").read_text()
    key = line.split(" = ")[0]
    start = text.index(f"\n{key} = ") + 1
    end = text.index("\n", start)
    path = tmp_path / "storage.toml"
    path.write_text(text[:start] + line + text[end:])
    with pytest.raises(BillingInputError) as info:
        load_scenario(path)
    assert shown in str(info.value) and "Decimal(" not in str(info.value)


def test_hourly_month_to_month_rate_missing_names_the_hour(tmp_path):
    """A variant switching the line to hourly with months after the term and no
    month_to_month_rate was told to give a 'price per user per month': an hourly line's
    month-to-month rate is per billable hour (docs/invoices.md)."""
    path = _hourly_toml(tmp_path, "month_to_month_rate = 1.25 ", "# no month_to_month_rate ")
    with pytest.raises(BillingInputError) as info:
        load_scenario(path)
    text = str(info.value)
    assert "contract.month_to_month_rate: missing" in text and "per billable hour" in text
    assert "per user" not in text


@pytest.mark.parametrize("model", ["hourly", "named"])
def test_udf_bad_period_value_names_the_row_as_excel_counts(model):
    """'users[1]: -1' named the second row of the column by Python's index: the other refusals
    of the same column say 'row 2' (and telephony's too)."""
    given = {"committed": 1.0, "prepay": 10.0, "rate": None} if model == "named" else {}
    text = _schedule([[1.0], [-1.0]], model=model, **given)
    assert isinstance(text, str) and text.startswith("users: row 2: -1"), text
    assert "is not accepted; accepted: " in text


def test_udf_storage_calls_list_of_the_wrong_length_names_the_argument():
    """BM_STORAGE_FORECAST with 2 calls for 3 months named the scenario key
    'storage.calls_per_month', not the function's argument."""
    text = udf.BM_STORAGE_FORECAST([[100.0], [200.0]], 3.0, 30.0, dt.datetime(2026, 1, 1), 3.0)
    assert isinstance(text, str)
    assert text.startswith("calls_per_month: 2 values for 3 periods"), text


# --- a variant switching the line to hourly: its own hours typed over --------------------------
def _second_line():
    from tests.test_workbook_hourly import SECOND_LINE

    return scenario_from_mapping(SECOND_LINE, name="hourly-second-line")


SECOND = workbooks.scenario("hourly-second-line", _second_line)
#: the variant 'hourly' bills the pc2 line hourly: its hours per period are inputs of the
#: Variant inputs sheet (column D from row 35, period 0); -3,100 there billed a credit
V1_HOURS = "'Variant inputs'!D37"
V1_NEGATIVE = workbooks.edited("hostile-v1-negative-hours", SECOND, {V1_HOURS: -3100})


def test_the_variant_hours_cell_is_an_hours_input():
    """The edited cell is what the case says (no silent drift of the layout)."""
    sheet = build_layout(_second_line()).sheet("Variant inputs")
    assert sheet.cells[(34, 4)].value == "hourly: pc2 hours"
    assert sheet.cells[(37, 4)].style == "input" and sheet.cells[(37, 4)].value == 3100


@pytest.mark.libreoffice
def test_variant_hours_not_accepted_leave_no_variant_total(workbook_store):
    wb = workbook_store.book(V1_NEGATIVE)
    assert named(wb, "InputsOK") is True  # the base is untouched
    assert named(wb, "V1_InputsOK") is False
    problem = named(wb, "V1_UsageCheck")
    assert problem.startswith("Variant inputs sheet, column D (hourly: pc2 hours)"), problem
    assert "accepted: whole hours" in problem
    total = named(wb, "V1_InvoiceTotal")
    assert isinstance(total, str) and total.startswith("#"), total
