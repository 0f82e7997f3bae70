"""One input of the Inputs sheet: its cell, its data validation and its check.

:class:`InputWriter` places an input (label, value, unit, note, defined name) and, from its
choices or its row of :data:`billing_model.core.limits.LIMITS`, the data validation Excel applies
while typing and the check formula a value forced past it fails (the status beside the input,
which :mod:`billing_model.workbook.inputs` gathers into ``InputsOK``). The formula helpers
(:func:`in_range`, :func:`one_of`, :func:`validation`) serve the Variant inputs sheet too.
"""

from __future__ import annotations

import datetime as dt

from ..core.limits import LIMITS, Bound, Limit
from ..core.schema import LICENSE_MODELS
from .context import Ctx, num
from .layout import Sheet, Validation, a1, ref

#: the license models a named or concurrent line can switch to in the workbook; an hourly line
#: stays hourly (its grid rows bill hours, not users: :func:`models_of`)
WORKBOOK_MODELS: tuple[str, ...] = tuple(m for m in LICENSE_MODELS if m != "hourly")


def models_of(product) -> tuple[str, ...]:
    """The choices of a license line's model input: an hourly line's grid rows and usage
    column hold hours, so it keeps ``hourly``; the others switch between named and
    concurrent."""
    return ("hourly",) if product.hourly else WORKBOOK_MODELS


def in_range(cell: str, limit: Limit, maximum: float | None = None, *, blank: bool = False) -> str:
    """A formula true when ``cell`` holds a value ``limit`` accepts (``maximum`` narrows it;
    ``blank``: an empty cell is accepted too), the check a forced value fails. Text in the cell
    makes it FALSE, never an error (IF tests ISNUMBER first)."""
    top = limit.capped(maximum)
    test = f"{cell}>={_bound(limit.minimum)},{cell}<={_bound(top)}"
    test += f",INT({cell})={cell}" if limit.kind in ("whole", "date") else ""
    test = f"IF(ISNUMBER({cell}),AND({test}),FALSE)"
    return f'OR({cell}="",{test})' if blank else test


def one_of(cell: str, options: tuple[str, ...]) -> str:
    """A formula true when ``cell`` is one of ``options`` (as the formulas' MATCH finds it)."""
    return f"ISNUMBER(MATCH({cell},{{{','.join(quoted(o) for o in options)}}},0))"


def quoted(text: str) -> str:
    return '"' + str(text).replace('"', '""') + '"'


def shown(cell: str, kind: str | None = None) -> str:
    """A formula showing the value of ``cell`` in a message: a date as yyyy-mm-dd, text in
    quotes, ``empty``."""
    number = f'TEXT({cell},"yyyy-mm-dd")' if kind == "date" else f'""&{cell}'
    return f'IF(ISNUMBER({cell}),{number},IF({cell}="","empty","\'"&{cell}&"\'"))'


def _bound(value: Bound) -> float | str:
    """A validation bound: dates as ``DATE(y,m,d)`` (no serial-number epoch to get wrong)."""
    if isinstance(value, dt.date):
        return f"DATE({value.year},{value.month},{value.day})"
    return float(value)


def validation(cell: str, limit: Limit, prompt: str, maximum: float | None = None) -> Validation:
    """The data validation of one input from its limit (``maximum`` narrows it)."""
    top = limit.capped(maximum)
    shown = (
        limit
        if maximum is None
        else Limit(
            limit.key, limit.kind, limit.minimum, top, limit.default, limit.unit, limit.source
        )
    )
    return Validation(
        cell,
        kind=limit.kind,
        minimum=_bound(limit.minimum),
        maximum=_bound(top),
        prompt=prompt,
        error=f"Accepted: {shown.accepted()}.",
    )


class InputWriter:
    def __init__(self, ctx: Ctx, sheet: Sheet, row: int):
        self.ctx, self.sheet, self.row = ctx, sheet, row
        #: row -> [(check formula, message formula)]: what each input's status cell tests
        self.checks: dict[int, list[tuple[str, str]]] = {}

    def section(self, title: str) -> None:
        self.row += 1
        self.sheet.text(self.row, 1, title, style="subtitle")
        self.row += 1

    def rule(
        self, row: int, check: str, label: str, accepted: str, *, kind: str | None = None
    ) -> None:
        """A check of the input in ``row``: ``check`` is a formula true when it is accepted;
        the status beside it says ``label: <value> is not accepted; accepted: <accepted>``
        (``accepted``: a formula giving text)."""
        cell = a1(row, 2)
        message = (
            f'{quoted(label + ": ")}&{shown(cell, kind)}&" is not accepted; accepted: "&{accepted}'
        )
        self.checks.setdefault(row, []).append((check, message))

    def add(
        self,
        name: str | None,
        label: str,
        value,
        *,
        fmt: str | None = None,
        unit: str = "",
        note: str = "",
        options: tuple[str, ...] | None = None,
        limit: str | None = None,
        maximum: float | None = None,
        text: bool = False,
        calc: bool = False,
        blank: bool = False,
        result=None,
    ) -> str:
        """``result``: a calculated input's value as the engines compute it."""
        sheet, row = self.sheet, self.row
        sheet.text(row, 1, label, style="label")
        if calc:
            sheet.put(row, 2, value, style="calc", fmt=fmt, result=result)
        elif text or isinstance(value, str) and not str(value).startswith("="):
            sheet.text(row, 2, value, style="input", comment=note or None)
        else:
            sheet.put(row, 2, num(value), style="input", fmt=fmt, comment=note or None)
        sheet.text(row, 3, unit, style="intro")
        sheet.text(row, 4, note, style="note")
        cell = a1(row, 2, absolute=False)
        if options:
            sheet.validations.append(
                Validation(cell, options=options, prompt=note, error="Pick a value from the list.")
            )
            self.rule(
                row, one_of(a1(row, 2), options), label, quoted("one of " + ", ".join(options))
            )
        elif limit:
            sheet.validations.append(validation(cell, LIMITS[limit], note, maximum))
            top = LIMITS[limit].capped(maximum)
            accepted = Limit(
                limit, LIMITS[limit].kind, LIMITS[limit].minimum, top, None, "", ""
            ).accepted() + (" or empty" if blank else "")
            self.rule(
                row,
                in_range(a1(row, 2), LIMITS[limit], maximum, blank=blank),
                label,
                quoted(accepted),
                kind=LIMITS[limit].kind,
            )
        self.row += 1
        if name:
            self.ctx.book.name(name, sheet, row, 2)
        return name or ref(sheet, row, 2)
