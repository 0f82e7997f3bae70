"""Read, then run: the thin layer between the boundaries (:mod:`billing_model.io`) and the
engines (:mod:`billing_model.core`): scenario files (:func:`load_scenario`, whose session files
the usage engine counts and whose voice reports the voice engine prices), and the callers that
start from plain values or cells, the Excel functions (:mod:`billing_model.udfs`) and the tests
and docs that use their pure form.

``io`` only reads and writes (values to a checked scenario, cells to sessions and a window);
the engines run here, so a reader never computes a figure (``tests/test_layers.py`` holds io to
that).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .core.concurrency import DEFAULT_MIN_MINUTES, DEFAULT_PEAK_RULE, check_peak_rule, touched_span
from .core.contract import Scenario
from .core.invoices import invoice_schedule
from .core.usage import compute_usage, finalize_usage, partial_usage, to_frame
from .core.voice import voice_telephony
from .io import scenario as scenario_io
from .io.cell_sessions import window_sessions
from .io.cells import Cell
from .io.scenario_checks import Engines
from .io.scenario_values import scenario_from_values

#: the engines a scenario's data is counted and priced with (the loader reads it)
ENGINES = Engines(usage=compute_usage, telephony=voice_telephony)


def load_scenario(path: str | Path, *, max_variants: int | None = None) -> Scenario:
    """Read and validate a scenario TOML file, its session files counted by the usage engine
    and its voice report priced by the voice engine: :func:`billing_model.io.scenario.load_scenario`
    (which reads and checks; its parameters, errors and result) with :data:`ENGINES`.

    Examples
    --------
    >>> from billing_model.workbook import SCENARIOS_DIR
    >>> s = load_scenario(SCENARIOS_DIR / "sales_quote.toml")
    >>> [(org.name, org.users["pc2"][0]) for org in s.orgs], s.orgs[0].sessions.path.name
    ([('prod', 48), ('training', 8)], 'sample_sessions.csv')
    """
    return scenario_io.load_scenario(path, max_variants=max_variants, engines=ENGINES)


def scenario_from_mapping(data: Mapping[str, Any], **kwargs: Any) -> Scenario:
    """:func:`billing_model.io.scenario.scenario_from_mapping` (same arguments) with the
    engines of :data:`ENGINES`: a ``sessions`` file or a ``voice_report`` counted and priced."""
    return scenario_io.scenario_from_mapping(data, **kwargs, engines=ENGINES)


def schedule_from_values(*args, **kwargs) -> pd.DataFrame:
    """The invoice schedule of a single-license contract from plain values: the pure-function
    form of :func:`~billing_model.core.invoices.invoice_schedule` for the Excel functions, with
    the arguments (and the checks) of :func:`billing_model.io.scenario_values.scenario_from_values`.

    Examples
    --------
    171.115 EUR per user, 55 users above the commitment: the line is 9411.33 EUR.

    >>> s = schedule_from_values("2026-01-15", 0, 171.115, 0, 1, [55], currency="EUR")
    >>> s["amount"].tolist()
    [Decimal('9411.33')]
    """
    return invoice_schedule(scenario_from_values(*args, **kwargs))


#: the arguments and defaults are scenario_from_values' own (one place to change them)
schedule_from_values.__signature__ = inspect.signature(  # type: ignore[attr-defined]  # inspect reads it
    scenario_from_values
).replace(return_annotation=pd.DataFrame)


def window_usage(
    user_ids: Cell,
    starts: Cell,
    ends: Cell,
    licenses: Cell,
    period_start: Cell,
    period_end: Cell,
    timezone: Cell,
    *,
    rule: str = DEFAULT_PEAK_RULE,
    min_minutes: int = DEFAULT_MIN_MINUTES,
) -> pd.DataFrame | None:
    """The usage engine's rows for one window of sessions given as cells (None when there are
    no sessions, or none in the window)."""
    read = window_sessions(user_ids, starts, ends, licenses, period_start, period_end, timezone)
    if read is None:
        return None
    sessions, window = read
    check_peak_rule(rule, where="rule")
    first, last = touched_span(sessions.start_ns, sessions.end_ns)
    if not np.any((last >= window.bounds[0]) & (first < window.bounds[-1])):
        return None  # no session in the period (partial_usage needs at least one)
    return to_frame(
        finalize_usage(
            partial_usage(sessions, window), window, peak_rule=rule, min_minutes=min_minutes
        )
    )
