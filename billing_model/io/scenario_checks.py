"""The scenario loader's checks shared by its modules: :class:`Checker` (typed values out of
TOML tables, one-line errors naming the file and the key), :func:`tables`, the checks of
names shown to people (:func:`bidi_problem`, :data:`MAX_NAME_TEXT`), and :class:`Engines`, the
figures the loader asks of the engines that its caller (:mod:`billing_model.service`) runs.

Below :mod:`billing_model.io.scenario` and its helpers (:mod:`.scenario_contract`,
:mod:`.scenario_sessions`, :mod:`.scenario_values`), which all import it: none of them imports
another that imports it back.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn

from ..core import validate
from ..core.errors import BillingInputError, BillingWarning
from ..core.limits import LIMITS


@dataclass(frozen=True)
class Engines:
    """The engines a scenario's figures come from, given by the caller (issue #22: io reads and
    writes, the engines run in :mod:`billing_model.service`, which passes
    ``Engines(compute_usage, voice_telephony)``).

    ``usage(sessions, order_date=, timezone=, peak_rule=, min_minutes=)``: the usage engine's
    rows of a session file read by the loader (``[usage] sessions``);
    ``telephony(calls, order_date, periods)``: the charges per voice cycle of a voice report
    it read (``[telephony] voice_report``). A scenario of typed figures needs neither.
    """

    usage: Callable[..., Any]
    telephony: Callable[..., Any]


def need_engines(engines: Engines | None, key: str) -> Engines:
    """``engines``, or the refusal of a loader called without them for a scenario whose ``key``
    names data to compute figures from (a caller's mistake: the loader reads, it counts
    nothing itself)."""
    if engines is None:
        raise TypeError(
            f"{key}: figures from data need the engines; load the scenario with "
            "billing_model.service.load_scenario (or pass engines=)"
        )
    return engines


#: longest variant or org name: a heading too (a workbook shows it in titles, column headers
#: and chart legends, quoted, beside other text)
MAX_NAME_TEXT = 255
#: values of a per-period series kept (the engine's periods limit: the widest workbook grid)
MAX_GIVEN = LIMITS["periods"].whole("maximum")
#: bidirectional embeddings, overrides and isolates: invisible, they reorder the text shown
#: after them (a seller "Evil \u202egnp.exe" prints as "Evil exe.png" on the customer's quote);
#: right-to-left names need none of them (the marks U+200E/U+200F stay accepted)
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def bidi_problem(value: str) -> str | None:
    """Why ``value`` is refused as a name shown to people (None: accepted)."""
    bad = _BIDI.search(value)
    if bad is None:
        return None
    return (
        f"contains the bidirectional control U+{ord(bad.group()):04X} at position "
        f"{bad.start() + 1} (it reorders the text shown after it); accepted: text without "
        "U+202A-U+202E and U+2066-U+2069 (right-to-left text needs none)"
    )


class Checker:
    """Reads typed values out of TOML tables with one-line errors naming file and key."""

    def __init__(self, label: str):
        self.label = label

    def fail(self, where: str, message: str) -> NoReturn:
        raise BillingInputError(f"{self.label}: {where}: {message}")

    def table(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(where, f"expected a table, got {validate.shown(value)}")
        return value

    def known(self, table: Mapping[str, Any], keys: tuple[str, ...], where: str) -> None:
        for key in table:
            if key not in keys:
                self.fail(
                    f"{where}.{key}" if where else key, f"unknown key; accepted: {', '.join(keys)}"
                )

    def required(self, table: Mapping[str, Any], key: str, where: str, what: str) -> Any:
        if key not in table:
            self.fail(f"{where}.{key}", f"missing; accepted: {what}")
        return table[key]

    def choice(self, value: Any, where: str, accepted: tuple[str, ...]) -> str:
        return validate.choice(value, f"{self.label}: {where}", accepted)

    def whole(
        self,
        value: Any,
        where: str,
        key: str = "count",
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int:
        return validate.whole(
            value, f"{self.label}: {where}", key, minimum=minimum, maximum=maximum
        )

    def money(self, value: Any, where: str) -> Decimal:
        return validate.number(value, f"{self.label}: {where}")

    def date(self, value: Any, where: str) -> dt.date:
        return validate.date(value, f"{self.label}: {where}")

    def series(self, value: Any, where: str, periods: int, *, whole: bool) -> tuple:
        """One value per period (whole counts or exact decimals): every value given, at least
        ``periods`` of them, checked up to the engine's periods limit (the engines bill the
        first ``periods``; a workbook keeps the rest for a longer ramp or term)."""
        if not isinstance(value, list | tuple):
            self.fail(
                where, f"expected a list with one value per period, got {validate.shown(value)}"
            )
        if len(value) < periods:
            self.fail(
                where,
                f"{len(value)} values, but the contract bills {periods} periods "
                "(ramp_months + term_months + months_after_term); accepted: one value per "
                "period",
            )
        check = self.whole if whole else self.money
        return tuple(
            check(v, f"{where}[{i}]")  # a loop over periods
            for i, v in enumerate(value[:MAX_GIVEN])
        )


def warn_past_term(
    label: str, where: str, what: str, late: list[int], contract: Any, billed: int
) -> None:
    """One warning naming the periods ``late`` (sorted) that ``where`` gives usage for while no
    contract of the file bills them (``billed``: the longest billed periods): that usage is not
    invoiced, never silently (docs/rules.md#month-to-month)."""
    if not late:
        return
    from ..core.periods import anchor_dates

    runs: list[list[int]] = []
    for k in late:  # a loop over periods, to name them in runs
        if runs and k == runs[-1][-1] + 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    starts = anchor_dates(contract.order_date, [r[0] for r in runs]).astype(object)
    ends = (anchor_dates(contract.order_date, [r[-1] + 1 for r in runs]) - 1).astype(object)
    listed = ", ".join(
        (f"period {r[0]}" if len(r) == 1 else f"periods {r[0]}-{r[-1]}") + f" ({a} to {b})"
        for r, a, b in zip(runs, starts, ends, strict=True)
    )
    warnings.warn(
        f"{label}: {where}: {what} for {len(late)} period(s) past the {billed} "
        f"billed periods, not billed: {listed}; set contract.months_after_term (0-24) "
        "to bill them month to month",
        BillingWarning,
        stacklevel=4,
    )


def tables(data: Mapping[str, Any], key: str, label: str) -> list[Mapping[str, Any]]:
    value = data.get(key, [])
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(t, Mapping) for t in value):
        raise BillingInputError(
            f"{label}: {key}: expected tables [[{key}]], got {validate.shown(value)}"
        )
    return value


__all__ = ["MAX_GIVEN", "MAX_NAME_TEXT", "Checker", "bidi_problem", "tables"]
