"""Model how a Genesys Cloud (PureCloud) subscription is billed.

The public API: read sessions and compute who is billable, load a scenario (a contract) and
list its invoices, forecast storage, build a live Excel workbook.

==========================  ====================================================================
:func:`read_sessions`       session data (CSV, Parquet, the vendor's user-details JSON, a folder
                            of parts) to :class:`~billing_model.core.sessions.Sessions`
:func:`compute_usage`       billable named users and concurrent peaks per org, period, license
:func:`load_scenario`       read and check a scenario TOML file (contract, usage, storage)
:func:`invoice_schedule`    every invoice line of a scenario, ordered by invoice date
:func:`read_voice_report`   the vendor's voice usage report (CSV, one call a line) to
                            :class:`~billing_model.core.voice.VoiceCalls`
:func:`voice_telephony`     the telephony charge of each 07:00 UTC voice cycle of a contract
:class:`StorageSettings`    what drives the storage forecast (calls, minutes, retention, ...)
:func:`storage_forecast`    per billing period: stored GB, allowance, overage and its cost
:func:`build_workbook`      a scenario's live Excel workbook (written to a temporary name,
                            renamed)
:class:`BillingInputError`  what they raise on bad input: one line saying what was wrong, where,
                            and what is accepted
==========================  ====================================================================

Each name is imported on first use (module ``__getattr__``), so ``import billing_model`` loads
neither NumPy nor pandas and the command line starts as fast as before. ``__version__`` is the
installed version (:func:`version`). The Excel functions are :mod:`billing_model.udfs`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from .core.errors import BillingInputError
    from .core.invoices import invoice_schedule
    from .core.storage import StorageSettings, storage_forecast
    from .core.usage import compute_usage
    from .core.voice import voice_telephony
    from .io.sessions import read_sessions
    from .io.voice_report import read_voice_report
    from .service import load_scenario
    from .workbook.build import build_workbook

#: public name -> the module that defines it (one implementation: these are re-exports)
_API = {
    "read_sessions": "billing_model.io.sessions",
    "compute_usage": "billing_model.core.usage",
    "load_scenario": "billing_model.service",
    "invoice_schedule": "billing_model.core.invoices",
    "read_voice_report": "billing_model.io.voice_report",
    "voice_telephony": "billing_model.core.voice",
    "StorageSettings": "billing_model.core.storage",
    "storage_forecast": "billing_model.core.storage",
    "build_workbook": "billing_model.workbook.build",
    "BillingInputError": "billing_model.core.errors",
}

__all__ = [
    "BillingInputError",
    "StorageSettings",
    "__version__",
    "build_workbook",
    "compute_usage",
    "invoice_schedule",
    "load_scenario",
    "read_sessions",
    "read_voice_report",
    "storage_forecast",
    "voice_telephony",
]


def version() -> str:
    """The installed distribution's version (``importlib.metadata``).

    Returns
    -------
    str
        ``"0.1.0"`` for example, or ``"unknown (not installed)"`` when the package runs from a
        folder without being installed.
    """
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version("billing_model")
    except PackageNotFoundError:
        return "unknown (not installed)"


def __getattr__(name: str) -> object:
    if name == "__version__":
        return version()
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value  # the next look-up is a plain attribute
        return value
    raise AttributeError(f"module 'billing_model' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
