"""Live Excel workbooks built from scenarios.

:func:`build_layout` describes the workbook as plain data, :func:`write_book` writes it with
XlsxWriter (each formula with its engine-computed value), :func:`build_workbook` does both.
:data:`DEMO_SCENARIOS` are the examples ``billing-model demo`` builds into ``workbooks/``
(from :data:`SCENARIOS_DIR`: the repository's ``scenarios/``, or the examples an installed
package ships).
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from .build import build_layout, build_workbook, money_format, scenario_figures
from .layout import Book, Cell, Chart, Sheet
from .writer import write_book

#: the demo scenarios (file stem in ``scenarios/``) and what each workbook shows
DEMO_SCENARIOS: tuple[tuple[str, str], ...] = (
    ("sales_quote", "named vs concurrent on sample sessions, 1-month ramp, quote"),
    ("storage_estimate", "storage against the allowance: retention, screen recording"),
    ("finance_ramp_study", "ramp lengths and policies side by side"),
    ("eur_contract", "EUR, anchor day 31, two license lines, dev org, fair-use overage"),
)

#: the repository's folder (the package's parent), in a checkout
REPO = Path(__file__).resolve().parents[2]
#: the example scenarios shipped inside an installed package (a wheel maps the repository's
#: ``scenarios/`` to ``billing_model/scenarios/``: setup.py); absent from a checkout
SHIPPED = importlib.resources.files("billing_model") / "scenarios"
#: where ``billing-model demo`` reads the examples and writes their workbooks by default: the
#: shipped examples into ``./workbooks`` when installed, else the repository's two folders
if isinstance(SHIPPED, Path) and SHIPPED.is_dir():
    SCENARIOS_DIR, WORKBOOKS_DIR = SHIPPED, Path("workbooks")
else:
    SCENARIOS_DIR, WORKBOOKS_DIR = REPO / "scenarios", REPO / "workbooks"

__all__ = [
    "Book",
    "Cell",
    "Chart",
    "Sheet",
    "DEMO_SCENARIOS",
    "SCENARIOS_DIR",
    "WORKBOOKS_DIR",
    "build_layout",
    "build_workbook",
    "money_format",
    "scenario_figures",
    "write_book",
]
