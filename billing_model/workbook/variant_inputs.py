"""Live variants: one input column and one usage block per variant, under its own names.

Each ``[[variant]]`` of a scenario gets a column on the **Variant inputs** sheet holding every
input the invoice grid reads, under the variant's prefix (``V1_RampMonths``, ``V1_PrepayRate``,
...). A value the variant overrides is a yellow input cell; every other one is a formula linking
to the base input (``=PrepayRate``), so editing the base moves the variants that do not override
it, and typing a value over a link makes it an override. Below, per period, the variant's users,
telephony and fair-use usage (linked to the base Usage sheet where the base grid holds the period
and the variant does not override it) and its fair-use allowances (formulas of
:mod:`billing_model.formulas.allowances` over the variant's own license, commitment and ramp).

The variant's invoice grid and cash flow are the base builders of :mod:`.invoices`, run on a
context whose names carry the prefix; :func:`prefixed_names` renames the names they define and
the fixed input names they read (``RampMonths``, ``Channel``, ...) to the variant's. Results
(``result=``) come from the engines run on the variant scenario.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

from ..core.contract import Scenario
from ..core.invoices import fair_use_allowances, storage_usage
from ..core.licenses import BY_KEY
from ..core.limits import LIMITS
from ..core.money import minor_units
from ..core.schema import CONTRACT_FIELDS, FIELDS
from ..formulas import allowances as fa
from ..formulas import money as fm
from .context import (
    DATE,
    FEATURES,
    GB,
    INT,
    NUM,
    Ctx,
    header,
    money_format,
    num,
    rate_format,
    title,
)
from .grid import grid_scenario
from .input_cells import WORKBOOK_MODELS, in_range, models_of, one_of, quoted, validation
from .layout import Book, Sheet, Validation, a1, quote_sheet
from .storage import storage_rate_input
from .usage import ACCEPTED, columns_status

#: the Usage sheet's row of period 0 (its header is row 4)
USAGE_FIRST_ROW = 5

# A name token outside string literals: not a function (``(``), sheet (``!``) or cell part.
# Possessive (``*+``): a token is taken whole or not at all. A shorter match would end before a
# word character, which the look-ahead refuses anyway, so backtracking into it (letter by letter
# on every function name and cell reference) only cost time: 0.17 -> 0.11 s over the 33,000
# formulas of finance_ramp_study's variants, same answers (tests/test_variant_rename.py)
_TOKEN = re.compile(r"(?<![\w.$!'])([A-Za-z_][\w.]*+)(?![\w.(!'])")


@dataclass
class Variant:
    """One variant in the workbook: its name, scenario, name prefix and build context."""

    name: str
    scenario: Scenario
    prefix: str
    ctx: Ctx
    column: int  # its column on the Variant inputs sheet


def rename(formula: str, names: set[str], prefix: str) -> str:
    """``formula`` with every defined name in ``names`` prefixed (text in quotes untouched).

    >>> rename('=IF(RampPolicy="RampMonths",RampMonths,EDATE(OrderDate,2))',
    ...        {"RampMonths", "OrderDate", "RampPolicy"}, "V1_")
    '=IF(V1_RampPolicy="RampMonths",V1_RampMonths,EDATE(V1_OrderDate,2))'
    """
    parts = formula.split('"')
    for i in range(0, len(parts), 2):
        parts[i] = _TOKEN.sub(lambda m: prefix + m[1] if m[1] in names else m[1], parts[i])
    return '"'.join(parts)


#: a formula's answers from :func:`rename` with this in place of the prefix: one answer serves
#: every variant (no formula holds the character: it is a control character a cell cannot hold)
_ANY_PREFIX = "\0"


@contextmanager
def prefixed_names(
    book: Book, sheet: Sheet, prefix: str, renamed: dict | None = None
) -> Iterator[None]:
    """Run a base sheet builder on ``sheet`` as a variant's: the names it defines are stored
    under ``prefix`` (the base's stay as they were), and its formulas read the variant's names
    (every name ``N`` for which ``prefix + N`` is defined) and its own prefixed names.

    ``renamed``: the formulas renamed so far, for the next variant sheets of the same book
    (a dict that this fills; each variant's grid repeats the others' formulas)."""
    before = dict(book.names)
    yield
    defined = {n for n, target in book.names.items() if before.get(n) != target}
    for n in defined:
        book.names[prefix + n] = book.names.pop(n)
        if n in before:
            book.names[n] = before[n]
    names = {n[len(prefix) :] for n in book.names if n.startswith(prefix)}
    # each formula renamed once, for every variant with the same names: a variant's grid repeats
    # its own formulas ("=Currency", a period's dates and rates on each of its lines) and the
    # other variants' (the same builder on the same grid); rename's answer with _ANY_PREFIX
    # holds any prefix (it only puts the prefix before tokens it finds whatever the prefix is).
    # finance_ramp_study: 33,000 formulas of 4 variants, 7,700 renames; 0.17 s -> ~0.05 s
    known: dict[str, str] = ({} if renamed is None else renamed).setdefault(frozenset(names), {})
    for cell in sheet.cells.values():
        formula = cell.formula
        if formula is not None:
            new = known.get(formula)
            if new is None:
                if _ANY_PREFIX in formula:  # never, as said; renamed for this variant only
                    cell.formula = rename(formula, names, prefix)
                    continue
                new = known[formula] = rename(formula, names, _ANY_PREFIX)
            cell.formula = new.replace(_ANY_PREFIX, prefix)
    for table in sheet.tables:
        table.name = prefix + table.name


#: the contract inputs a variant can override, one per field the formulas read (core/schema.py):
#: (name, label, Contract field, choices or LIMITS key, format key)
CONTRACT_INPUTS = tuple(
    (
        f.name,
        f.bare_label or f.label,
        f.key,
        (WORKBOOK_MODELS if f.key == "license_model" else f.choices) or f.limit,
        {"date": "date", "whole": "int", "number": "rate"}.get(f.kind),
    )
    for f in CONTRACT_FIELDS
    if f.in_formulas
)


def _contract_inputs(hourly: bool) -> tuple:
    """:data:`CONTRACT_INPUTS`, and the main line's hourly rate when the base or a variant
    bills it hourly (only then: the variants of other workbooks gain no cell)."""
    if not hourly:
        return CONTRACT_INPUTS
    f = FIELDS["hourly_rate"]
    return (*CONTRACT_INPUTS, (f.name, f.label, f.key, f.limit, "rate"))


def _contract_value(scenario: Scenario, field: str):
    if field == "storage_overage_rate":  # as the Inputs sheet holds it (0.25 USD/GB default)
        value = storage_rate_input(scenario.contract)[0]
        return value if value == "" else num(value)
    value = getattr(scenario.contract, field)
    if field == "month_to_month_rate" and value is None:  # as the Inputs sheet: empty
        return ""
    if field.endswith("_rate") and value is None:
        return 0  # as the Inputs sheet shows a rate the scenario leaves out
    return num(value)


def capacity(ctx: Ctx, variants: list) -> int:
    """Periods each variant's grid holds: the base grid's, or more for a longer variant."""
    return max(ctx.periods, *(scen.periods for _n, scen in variants))


def variant_inputs_sheet(ctx: Ctx, sheet: Sheet, variants: list) -> list[Variant]:
    """Place every variant's input column and usage block; return their build contexts.

    ``variants`` is ``scenario.variants()`` (the base first, as the live model, not repeated).
    """
    base, book = ctx.scenario, ctx.book
    cap = capacity(ctx, variants)
    title(
        sheet,
        "Variant inputs",
        "One column per variant. Yellow cells are the variant's overrides; the other cells "
        "link to the base input on the Inputs sheet (edit the base and the variants that do "
        "not override it follow; type a value over a link to override it). Names: V1_... "
        "for the first variant, V2_... for the second, ...",
    )
    sheet.widths[1] = 34
    out: list[Variant] = []
    for j, (name, scen) in enumerate(variants[1:], start=1):
        prefix = f"V{j}_"
        vctx = Ctx(
            scenario=scen,
            book=book,
            money=money_format(scen.contract.currency),
            rate=rate_format(scen.contract.currency),
            periods=cap,
            sessions=ctx.sessions,
            figures=ctx.figures,
        )
        out.append(Variant(name, scen, prefix, vctx, 1 + j))
        sheet.widths[1 + j] = 22
    head = 4
    header(sheet, head, 1, ["Input", *(v.name for v in out)])
    row = head
    #: per variant prefix: what each of its contract inputs must hold (as the base's Checks)
    checks: dict[str, list[str]] = {v.prefix: [] for v in out}

    def put(
        label: str, base_name: str, values: list, base_value, *, fmt=None, check=None, text=False
    ) -> None:
        """One input row: per variant its override (differs from the base) or a link."""
        nonlocal row
        row += 1
        sheet.text(row, 1, label, style="label")
        for j, (v, value) in enumerate(zip(out, values, strict=True)):
            each = check[j] if isinstance(check, list) else check  # per variant
            cell = a1(row, v.column, absolute=False)
            if value == base_value:  # a link to an empty input computes 0
                sheet.put(
                    row,
                    v.column,
                    "=" + base_name,
                    fmt=fmt,
                    style="calc",
                    result=0 if value == "" else value,
                )
            elif text:
                sheet.text(row, v.column, value, style="input")
            else:
                sheet.put(row, v.column, value, fmt=fmt, style="input")
            absolute = a1(row, v.column)
            if isinstance(each, tuple):
                checks[v.prefix].append(one_of(absolute, each))
            elif each is not None:
                checks[v.prefix].append(
                    in_range(
                        absolute,
                        LIMITS[each],
                        {"ramp_months": cap - 1, "term_months": cap}.get(each),
                        blank=base_name in ("StorageOverageRate", "MonthToMonthRate"),
                    )
                )
            if isinstance(each, tuple):
                sheet.validations.append(
                    Validation(cell, options=each, error="Pick a value from the list.")
                )
            elif each is not None:
                maximum = {"ramp_months": cap - 1, "term_months": cap}.get(each)
                sheet.validations.append(validation(cell, LIMITS[each], label, maximum))
            book.name(v.prefix + base_name, sheet, row, v.column)

    formats = {"date": DATE, "int": INT, None: None}
    hourly = any(scen.products[0].hourly for _n, scen in variants)
    for base_name, label, field, check, fmt in _contract_inputs(hourly):
        if field == "license_model":  # an hourly line stays hourly (input_cells.models_of)
            check = [models_of(v.scenario.products[0]) for v in out]
        put(
            label,
            base_name,
            [_contract_value(v.scenario, field) for v in out],
            _contract_value(base, field),
            check=check,
            text=field == "license_model" or isinstance(check, tuple),
            fmt=ctx.rate if fmt == "rate" else formats[fmt],
        )
    calc: list[tuple[str, str, list[Any], str, str | None]] = [
        (
            "MoneyDecimals",
            "Money decimals (calculated)",
            [minor_units(v.scenario.contract.currency) for v in out],
            fm.minor_units("{p}Currency"),
            "0",
        ),
        # an input not accepted (the base's, or this variant's): its figures are #N/A
        (
            "InputsOK",
            "Inputs accepted (calculated)",
            [True] * len(out),
            "AND(InputsOK,{checks},IFERROR({p}RampMonths+{p}TermMonths+{p}MonthsAfterTerm<="
            + str(cap)
            + ",FALSE))",
            None,
        ),
        (
            "TermEnd",
            "Ramp + term (calculated)",
            [v.scenario.contract.term_end for v in out],
            "IF({p}InputsOK,{p}RampMonths+{p}TermMonths,NA())",
            INT,
        ),
        (
            "Periods",
            "Billed periods (calculated)",
            [v.scenario.periods for v in out],
            "IF({p}InputsOK,{p}RampMonths+{p}TermMonths+{p}MonthsAfterTerm,NA())",
            INT,
        ),
    ]
    for v in out:  # its users and hours per period (_usage_block): typed over, checked
        checks[v.prefix].append(f"{v.prefix}UsageCheck={quoted(ACCEPTED)}")
    for base_name, label, values, formula, fmt in calc:
        row += 1
        sheet.text(row, 1, label, style="label")
        for v, value in zip(out, values, strict=True):
            text = formula.format(
                p=v.prefix, checks=",".join(f"IFERROR({c},FALSE)" for c in checks[v.prefix])
            )
            sheet.put(row, v.column, "=" + text, fmt=fmt, style="calc", result=value)
            book.name(v.prefix + base_name, sheet, row, v.column)
    # further license lines and the one-time charges: variants cannot override them (they are
    # tables of their own in the scenario file), so they link to the base
    for i, names in enumerate(ctx.product_names[1:], start=1):
        rows = (
            ("license", "license"),
            ("model", "model"),
            *(
                (("hourly", "hourly rate"),)
                if base.products[i].hourly  # its committed, prepay and overage are 0
                else (
                    ("committed", "committed users"),
                    ("prepay", "prepay rate"),
                    ("overage", "overage rate"),
                )
            ),
            ("month_to_month", "month-to-month rate"),
        )
        for key, label in rows:
            field = {
                "license": "license",
                "model": "license_model",
                "committed": "committed_users",
                "prepay": "prepay_rate",
                "overage": "overage_rate",
                "hourly": "hourly_rate",
                "month_to_month": "month_to_month_rate",
            }[key]

            def shown(product, field=field):
                value = getattr(product, field)
                return "" if value is None and field == "month_to_month_rate" else num(value or 0)

            values = [shown(v.scenario.products[i]) for v in out]
            put(
                f"License line {i + 1}: {label}",
                names[key],
                values,
                shown(base.products[i]),
                fmt=ctx.rate
                if key in ("prepay", "overage", "hourly", "month_to_month")
                else INT
                if key == "committed"
                else None,
                text=key in ("license", "model"),
            )
    charges = (*base.one_time, *base.hardware)
    for names, charge in zip(ctx.charge_names, charges, strict=True):
        k = names["quantity"].rsplit("_", 1)[1]
        put(
            f"Charge {k}: quantity",
            names["quantity"],
            [num(charge.quantity)] * len(out),
            num(charge.quantity),
            fmt=NUM,
        )
        put(
            f"Charge {k}: rate",
            names["rate"],
            [num(charge.rate)] * len(out),
            num(charge.rate),
            fmt=ctx.rate,
        )
        if charge.ship_date is not None:  # hardware: invoiced when it ships
            put(
                f"Charge {k}: ship date",
                names["date"],
                [charge.ship_date] * len(out),
                charge.ship_date,
                fmt=DATE,
            )
        else:  # one-time: invoiced on the variant's own order date
            row += 1
            sheet.text(row, 1, f"Charge {k}: invoice date (calculated)", style="label")
            for v in out:
                sheet.put(
                    row,
                    v.column,
                    f"={v.prefix}OrderDate",
                    fmt=DATE,
                    style="calc",
                    result=v.scenario.contract.order_date,
                )
                book.name(v.prefix + names["date"], sheet, row, v.column)
        put(
            f"Charge {k}: description",
            names["description"],
            [charge.description] * len(out),
            charge.description,
        )
    for v in out:
        v.ctx.product_names = [  # an hourly line's fixed 0s stay 0
            {k: (x if k == "label" or x == "0" else v.prefix + x) for k, x in n.items()}
            for n in ctx.product_names
        ]
        v.ctx.charge_names = [
            {k: (v.prefix + x if isinstance(x, str) else x) for k, x in n.items()}
            for n in ctx.charge_names
        ]
    _usage_block(ctx, sheet, out, row + 3, cap, variants)
    sheet.freeze = a1(head + 1, 2, absolute=False)
    return out


def _grid_series(v: Variant, key: str) -> list:
    """One value per period of the variant's grid (``users:pc1``, ``telephony``, a fair-use
    key): the engine's usage of the variant scenario stretched over the grid as the base's Usage
    sheet stretches the base (:func:`.grid.grid_scenario`: past its own values the last one
    repeats); the variant's invoice grid reads the same values (:class:`.grid.GridValues`)."""
    grid, cap = grid_scenario(v.ctx), v.ctx.periods
    if key.startswith("users:"):
        return [int(x) for x in grid.users(key[6:])]
    series = grid.usage(key)
    values = [0] * cap if series is None else [num(x) for x in series]
    if key == "storage_gb":  # billed storage over the variant's own periods (its forecast)
        billed = storage_usage(v.scenario)
        if billed is not None:
            values[: v.scenario.periods] = [num(x) for x in billed[: v.scenario.periods]]
    return values


def _linked_values(book: Book, name: str) -> list[Any]:
    """The values (or formula results) of the cells of the defined name ``name``."""
    sheet_name, cells = book.names[name].rsplit("!", 1)
    sheet = book.sheet(sheet_name.strip("'"))
    min_col, min_row, _max_col, max_row = range_boundaries(cells.replace("$", ""))
    assert min_col is not None and min_row is not None and max_row is not None, cells
    out = []
    for r in range(min_row, max_row + 1):
        cell = sheet.cells[(r, min_col)]
        out.append(cell.result if cell.formula is not None else cell.value)
    return out


def _usage_block(
    ctx: Ctx, sheet: Sheet, out: list[Variant], head: int, cap: int, variants: list
) -> None:
    """Per period and variant: users, telephony, usage (linked to the base Usage sheet where
    it holds the period and the variant does not override it) and the fair-use allowances."""
    base, book = ctx.scenario, ctx.book
    first, last = head + 2, head + 1 + cap
    sheet.text(
        head,
        1,
        "Usage per period, by variant (linked to the Usage sheet unless the "
        "variant overrides it; periods past the base grid are the variant's values)",
        style="subtitle",
    )
    sheet.text(head + 1, 1, "Period k", style="header")
    for i in range(cap):
        sheet.put(first + i, 1, i, fmt="0")
    col = max(v.column for v in out) + 2
    licenses = list(dict.fromkeys(p.license for p in base.products))
    series = [("users:" + lic, "Users_" + lic, f"{lic} users", INT) for lic in licenses]
    hourly_lines = {p.license for _n, scen in variants for p in scen.products if p.hourly}
    series += [("telephony", "Telephony", "telephony", ctx.money)]
    series += [
        (key, short + "Used", "used " + label, GB if key == "storage_gb" else INT)
        for key, short, label in FEATURES
    ]
    checked: dict[str, list[tuple[int, str, bool]]] = {v.prefix: [] for v in out}
    for v in out:
        for key, base_name, label, fmt in series:
            mine = _grid_series(v, key)
            based = _linked_values(book, base_name)  # the Usage sheet's column, as built
            if key[6:] in hourly_lines and any(
                p.hourly and p.license == key[6:] for p in v.scenario.products
            ):
                label = label.replace(" users", " hours")
            sheet.text(head + 1, col, f"{v.name}: {label}", style="header")
            switch = _session_switch(ctx, v, key)
            for i in range(cap):
                if switch is not None and i < ctx.periods and mine[i] == switch[1][i]:
                    sheet.put(
                        first + i,
                        col,
                        switch[0].format(row=USAGE_FIRST_ROW + i),
                        fmt=fmt,
                        style="calc",
                        result=mine[i],
                    )
                elif i < len(based) and mine[i] == based[i]:
                    sheet.put(
                        first + i,
                        col,
                        f"=INDEX({base_name},{a1(first + i, 1)}+1)",
                        fmt=fmt,
                        style="calc",
                        result=based[i],
                    )
                else:
                    sheet.put(first + i, col, mine[i], fmt=fmt, style="input")
            book.name(v.prefix + base_name, sheet, first, col, last, col)
            if key.startswith("users:"):
                checked[v.prefix].append((col, f"{v.name}: {label}", label.endswith(" hours")))
            v.ctx.usage_cols[key] = v.prefix + base_name
            sheet.widths[col] = 16
            col += 1
        for key, short, label in FEATURES:
            sheet.text(head + 1, col, f"{v.name}: allowance {label}", style="header")
            engine = fair_use_allowances(grid_scenario(v.ctx), key)  # the whole grid
            for i in range(cap):
                r = first + i
                terms = []
                for p, names in zip(v.scenario.products, v.ctx.product_names, strict=True):
                    users = f"INDEX({v.ctx.usage_cols['users:' + p.license]},{a1(r, 1)}+1)"
                    committed = (
                        f"IF(OR({a1(r, 1)}<{v.prefix}RampMonths,"
                        f"{a1(r, 1)}>={v.prefix}TermEnd),0,{names['committed']})"
                    )
                    terms.append(
                        fa.fair_use_allowance(
                            users, committed, names["license"], names["model"], key
                        )
                    )
                result = float(engine[i])
                sheet.put(
                    r,
                    col,
                    "=" + "+".join(terms),
                    fmt=GB if key == "storage_gb" else INT,
                    result=num(result),
                )
            book.name(f"{v.prefix}Allowance{short}", sheet, first, col, last, col)
            v.ctx.usage_cols["allowance:" + key] = f"{v.prefix}Allowance{short}"
            sheet.widths[col] = 16
            col += 1
        col += 1
    for j, v in enumerate(out):  # below the block: each variant's check (its InputsOK)
        at = last + 2 + j
        sheet.text(at, 1, f"Check: {v.name} users and hours", style="intro")
        status = columns_status(sheet.name, checked[v.prefix], (first, last))
        sheet.put(at, 3, "=" + status, style="label", result=ACCEPTED)
        book.name(v.prefix + "UsageCheck", sheet, at, 3)


def _session_switch(ctx: Ctx, v: Variant, key: str) -> tuple[str, list] | None:
    """For the users of a PureCloud 1-3 license counted from sessions: the formula picking each
    org's named or concurrent count on the Usage sheet by the variant's license model (as the
    base's users column does by ``LicenseModel``; ``{row}``: the Usage row, filled per period),
    and the counts it gives for the variant's model as built. ``None`` for other series."""
    if not key.startswith("users:") or ctx.sessions is None or not BY_KEY[key[6:]].concurrent:
        return None
    lic, usage = key[6:], ctx.book.sheet("Usage")
    model = next(
        n["model"]
        for p, n in zip(v.scenario.products, v.ctx.product_names, strict=True)
        if p.license == lic
    )
    concurrent = (
        v.scenario.products[[p.license for p in v.scenario.products].index(lic)].license_model
        == "concurrent"
    )
    heads = {cell.value: c for (r, c), cell in usage.cells.items() if r == 4}
    parts, counts = [], [0] * ctx.periods
    for org in ctx.scenario.orgs:
        if lic not in org.users:
            continue
        named = heads.get(f"{org.name} {lic} named (sessions)")
        series = ctx.sessions["series"].get(
            (org.name, lic, "concurrent_users" if concurrent else "named_users")
        )
        if named is None or series is None:
            return None  # an org without session counts: no switch to mirror
        cells = [
            f"{quote_sheet('Usage')}!{get_column_letter(c)}{{row}}" for c in (named + 1, named)
        ]  # concurrent, named
        parts.append(f'IF({model}="concurrent",{cells[0]},{cells[1]})')
        counts = [a + int(b) for a, b in zip(counts, series, strict=False)]
    if not parts:
        return None
    return "=" + "+".join(parts), counts
