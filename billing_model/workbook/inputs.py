"""The Inputs sheet: every scenario value as a named, validated input cell.

Each number's data validation is formatted from its row of
:data:`billing_model.core.limits.LIMITS`, the table the engines check against, so Excel accepts
what the CLI accepts (a grid limit of this workbook can only narrow it: ``RampMonths`` and
``TermMonths`` stop at the grid's ramp and term, :func:`~billing_model.workbook.context.grid_size`,
so every accepted value fits the grids). Calculated inputs (``MoneyDecimals``,
``AudioGBPerCall``, ...) are formulas of :mod:`billing_model.formulas`. The contract's inputs
follow its schema (:data:`~billing_model.core.schema.CONTRACT_FIELDS`), the storage forecast's its
declared settings (:data:`~billing_model.core.storage_settings.STORAGE_FIELDS`); one input's cell,
validation and check are written by :class:`~billing_model.workbook.input_cells.InputWriter`.

A value forced past the validation (typed with validation off, pasted, set by a formula) makes
``InputsOK`` false and ``Periods`` the error ``#N/A``, so every total built on them is an error
too, never a silently wrong figure.
"""

from __future__ import annotations

from ..core.licenses import BY_KEY, LICENSE_KEYS
from ..core.limits import LIMITS
from ..core.money import minor_units
from ..core.schema import CONTRACT_FIELDS
from ..core.storage_settings import STORAGE_FIELDS
from ..formulas import money as fm
from ..formulas import storage as fs
from .context import DATE, INT, NUM, PCT, Ctx, header, title
from .input_cells import InputWriter, models_of, one_of, quoted
from .layout import Sheet, Validation, a1
from .storage import storage_rate_input, workbook_settings
from .usage import usage_input_checks


def _contract_inputs(ctx: Ctx, w: InputWriter) -> None:
    """One input per contract field, in the schema's order: its defined name, label, unit,
    note, and its validation and check from its choices or range (core/schema.py)."""
    c = ctx.scenario.contract
    grid = {
        "ramp_months": ctx.ramp_max,
        "term_months": ctx.term_max,  # the grids' limits
        "months_after_term": ctx.after_max,
    }
    formats = {"date": DATE, "whole": INT, "number": ctx.rate}
    for f in CONTRACT_FIELDS:
        value = getattr(c, f.key)
        note = f.note.format(
            ramp_max=ctx.ramp_max,
            term_max=ctx.term_max,
            after_max=ctx.after_max,
            periods=ctx.periods,
        )
        blank = f.key in ("storage_overage_rate", "month_to_month_rate")
        if f.key == "storage_overage_rate":  # as invoices prices it: the published USD rate,
            value, note = storage_rate_input(c)  # or empty and flagged
        elif value is None and blank:  # no rate: empty, flagged once months need it
            value = ""
        elif value is None:
            value = 0  # a rate the scenario leaves out
        if f.key == "license_model" and ctx.sessions:
            note += " With sessions, switching it picks the other user count on the Usage sheet."
        w.add(
            f.name,
            f.label,
            value,
            fmt=formats.get(f.kind),
            unit=f.unit,
            note=note,
            options=(models_of(ctx.scenario.products[0]) if f.key == "license_model" else f.choices)
            or None,
            limit=f.limit,
            maximum=grid.get(f.key),
            text=f.kind == "zone",
            blank=blank,
        )


def inputs_sheet(ctx: Ctx, sheet: Sheet) -> None:
    s, c = ctx.scenario, ctx.scenario.contract
    cur = c.currency
    title(
        sheet,
        "Inputs",
        "Yellow cells are inputs: change them and every sheet recalculates. Defined names "
        "(Formulas > Name Manager) make the formulas readable.",
    )
    sheet.widths.update({1: 34, 2: 22, 3: 22, 4: 70})
    w = InputWriter(ctx, sheet, 3)
    header(sheet, w.row, 1, ["Input", "Value", "Unit", "Note (and source)"])
    w.row += 1
    w.section("Contract")
    _contract_inputs(ctx, w)
    w.add(
        "MoneyDecimals",
        "Money decimals",
        "=" + fm.minor_units("Currency"),
        fmt="0",
        unit="calculated",
        result=minor_units(cur),
        note="Decimals each line is rounded to, "
        "half up: the currency's row of the currency table (Sources sheet).",
        calc=True,
    )
    w.add(
        "GridPeriods",
        "Grid periods",
        ctx.periods,
        fmt=INT,
        unit="periods (fixed)",
        text=False,
        calc=True,
        note=f"Periods the usage, storage and invoice grids hold: "
        f"a ramp of up to {ctx.ramp_max}, a term of up to {ctx.term_max} and up to "
        f"{ctx.after_max} months to month after it.",
    )
    periods_row = w.row
    w.row += 4  # TermEnd, Periods, InputsOK and InputsProblem are written last: they check every
    # input above and below

    w.section("License lines")
    for i, p in enumerate(s.products):
        n = "" if i == 0 else f"_{i + 1}"
        if i == 0:
            ctx.product_names.append(
                {
                    "license": "License",
                    "model": "LicenseModel",
                    "committed": "CommittedUsers",
                    "prepay": "PrepayRate",
                    "overage": "OverageRate",
                    "month_to_month": "MonthToMonthRate",
                    "hourly": "HourlyRate",
                    "label": BY_KEY[p.license].label,
                }
            )
            continue
        names = {
            "license": "License" + n,
            "model": "LicenseModel" + n,
            "committed": "CommittedUsers" + n,
            "prepay": "PrepayRate" + n,
            "overage": "OverageRate" + n,
            "month_to_month": "MonthToMonthRate" + n,
            "hourly": "HourlyRate" + n,
            "label": BY_KEY[p.license].label,
        }
        w.add(
            names["license"],
            f"License line {i + 1}: license",
            p.license,
            options=LICENSE_KEYS,
            note="A further license line of the contract.",
        )
        w.add(
            names["model"],
            f"License line {i + 1}: model",
            p.license_model,
            options=models_of(p),
            note="Communicate and Collaborate are always named.",
        )
        if p.hourly:  # billable hours x the hourly rate, in arrears: no commitment, no prepay
            _hourly_inputs(ctx, w, p, names, i)
            ctx.product_names.append(names)
            continue
        w.add(
            names["committed"],
            f"License line {i + 1}: committed users",
            p.committed_users,
            fmt=INT,
            limit="count",
            unit="users",
            note="Prepay quantity of this line.",
        )
        w.add(
            names["prepay"],
            f"License line {i + 1}: prepay rate",
            p.prepay_rate or 0,
            fmt=ctx.rate,
            limit="price",
            unit="per user-month",
            note="Rate per committed user per month.",
        )
        w.add(
            names["overage"],
            f"License line {i + 1}: overage rate",
            p.overage_rate or 0,
            fmt=ctx.rate,
            limit="price",
            unit="per user-month",
            note="Rate per user above the commitment.",
        )
        _month_to_month_input(w, ctx, names, i, p, "user", "per user-month")
        ctx.product_names.append(names)
    if len(s.products) == 1:
        sheet.text(
            w.row,
            1,
            "The contract's license line is above (License, CommittedUsers, "
            "PrepayRate, OverageRate, MonthToMonthRate).",
            style="intro",
        )
        w.row += 1

    _storage_inputs(ctx, w)

    w.section("One-time charges and hardware")
    if not s.one_time and not s.hardware:
        sheet.text(w.row, 1, "None in this scenario.", style="intro")
        w.row += 1
    for charge in (*s.one_time, *s.hardware):
        hw = charge.ship_date is not None
        kind = "Hardware" if hw else "One-time"
        k = len(ctx.charge_names) + 1
        names = {
            "description": f"ChargeText_{k}",
            "quantity": f"ChargeQty_{k}",
            "rate": f"ChargeRate_{k}",
            "date": f"ChargeDate_{k}",
        }
        w.add(
            names["description"],
            f"{kind} {k}: description",
            charge.description,
            text=True,
            note="Invoice line text.",
        )
        w.add(
            names["quantity"],
            f"{kind} {k}: quantity",
            charge.quantity,
            fmt=NUM,
            limit="price",
            note="Quantity.",
        )
        w.add(
            names["rate"],
            f"{kind} {k}: rate",
            charge.rate,
            fmt=ctx.rate,
            limit="price",
            unit=cur,
            note="Price per unit.",
        )
        if hw:
            row = w.row
            w.add(
                names["date"],
                f"{kind} {k}: ship date",
                charge.ship_date,
                fmt=DATE,
                unit="date",
                note="Hardware is invoiced when it ships (billing FAQ): from "
                "the order date to the last billed day.",
            )
            _ship_date_rule(w, row, f"{kind} {k}: ship date")
        else:
            w.add(
                names["date"],
                f"{kind} {k}: invoice date",
                "=OrderDate",
                fmt=DATE,
                unit="calculated",
                calc=True,
                result=c.order_date,
                note="Enablement packages are invoiced right after the order (billing FAQ).",
            )
        ctx.charge_names.append(names)
    _month_to_month_rule(
        w,
        int(ctx.book.names["MonthToMonthRate"].rsplit("$", 1)[1]),
        "MonthToMonthRate",
        "Month-to-month rate",
    )
    rate_row = int(ctx.book.names["StorageOverageRate"].rsplit("$", 1)[1])
    w.rule(
        rate_row,
        'OR(StorageOverageRate<>"",Currency="USD",Channel="partner",StorageBilled<>"yes")',
        "Storage overage rate",
        '"the contract\'s rate per GB in "&Currency&" while the storage forecast is billed '
        '(the published 0.25 per GB is a USD figure)"',
    )
    if s.quote is not None:
        _quote_inputs(ctx, w)
    usage_input_checks(ctx, w)  # the Usage sheet's input cells, checked there
    _checks(ctx, w, periods_row)


#: the ``[quote]`` inputs: (defined name, label, the Quote attribute, note)
QUOTE_INPUTS = (
    ("QuoteCustomer", "Customer", "customer", "The customer's name: the quote's 'Prepared for'."),
    ("QuoteTitle", "Quote title", "title", "The quote's heading."),
    ("QuoteSeller", "Seller", "seller", "The seller's company, at the top of the quote."),
    ("QuoteContact", "Seller contact", "contact", "Who the customer asks about the quote."),
    ("QuoteEmail", "Contact e-mail", "email", "The contact's e-mail address."),
    ("QuotePhone", "Contact phone", "phone", "The contact's phone number."),
    ("QuoteNumber", "Quote number", "number", "The quote's reference."),
)


def _quote_inputs(ctx: Ctx, w: InputWriter) -> None:
    """The ``[quote]`` table as inputs: the Quote sheet reads each from here, once."""
    q = ctx.scenario.quote
    assert q is not None, "quote inputs need the scenario's [quote] table"
    w.section("Quote (the Quote sheet)")
    for name, label, attr, note in QUOTE_INPUTS:
        w.add(name, label, getattr(q, attr), text=True, unit="text", note=note)
    w.add(
        "QuoteIssued",
        "Issue date",
        q.issued or "",
        fmt=DATE,
        unit="date (blank = none)",
        limit="order_date",
        blank=True,
        note="The day the quote is issued, on or before 'Valid until'.",
    )
    w.add(
        "QuoteValidUntil",
        "Valid until",
        q.valid_until,
        fmt=DATE,
        unit="date",
        limit="order_date",
        note="The last day the offer holds.",
    )
    w.rule(
        int(ctx.book.names["QuoteValidUntil"].rsplit("$", 1)[1]),
        'OR(QuoteIssued="",QuoteValidUntil>=QuoteIssued)',
        "Valid until",
        '"a date on or after the issue date"',
        kind="date",
    )


def _hourly_inputs(ctx: Ctx, w: InputWriter, p, names: dict[str, str], i: int) -> None:
    """A further hourly line's rates (docs/rules.md#hourly-licensing); its committed users,
    prepay and overage rates are fixed at 0 (an hourly line has none)."""
    for key in ("committed", "prepay", "overage"):
        names[key] = "0"
    w.add(
        names["hourly"],
        f"License line {i + 1}: hourly rate",
        p.hourly_rate or 0,
        fmt=ctx.rate,
        limit="price",
        unit="per billable hour",
        note="Rate per billable hour (logged-in hours per period, rounded up), in arrears.",
    )
    _month_to_month_input(w, ctx, names, i, p, "billable hour", "per billable hour")


def _month_to_month_input(w, ctx, names: dict, i: int, p, per: str, unit: str) -> None:
    """A license line's month-to-month rate input (blank: no month-to-month months billed) and
    its check; ``per``/``unit`` say what it prices (a user-month or a billable hour)."""
    mrow = w.row
    label = f"License line {i + 1}: month-to-month rate"
    w.add(
        names["month_to_month"],
        label,
        "" if p.month_to_month_rate is None else p.month_to_month_rate,
        fmt=ctx.rate,
        limit="price",
        unit=unit,
        blank=True,
        note=(
            f"Rate per {per} after the term (docs/rules.md#month-to-month)."
            if per != "user"
            else "Rate per user per month after the term (docs/rules.md#month-to-month)."
        ),
    )
    _month_to_month_rule(w, mrow, names["month_to_month"], label)


def _month_to_month_rule(w: InputWriter, row: int, name: str, label: str) -> None:
    """The loader's rule: a direct contract with months after the term needs the rate."""
    w.rule(
        row,
        f'OR({name}<>"",N(MonthsAfterTerm)=0,Channel="partner")',
        label,
        '"the rate per user per month after the term while Months after term is "&MonthsAfterTerm',
    )


def _ship_date_rule(w: InputWriter, row: int, label: str) -> None:
    """A hardware ship date: from the order date to the last billed day (the
    loader's rule), as a data validation and a check."""
    cell = a1(row, 2)
    last = "EDATE(OrderDate,RampMonths+TermMonths+MonthsAfterTerm)-1"
    w.sheet.validations.append(
        Validation(
            a1(row, 2, absolute=False),
            kind="date",
            minimum="OrderDate",
            maximum=last,
            prompt="From the order date to the last billed day.",
            error="Accepted: a date from the order date to the last billed day.",
        )
    )
    w.rule(
        row,
        f"IF(ISNUMBER({cell}),AND({cell}>=OrderDate,{cell}<={last}),FALSE)",
        label,
        f'"a date from "&TEXT(OrderDate,"yyyy-mm-dd")&" (the order date) to "&'
        f'TEXT({last},"yyyy-mm-dd")&" (the last billed day)"',
        kind="date",
    )


def _model_rules(ctx: Ctx, w: InputWriter) -> None:
    """The concurrent model is for PureCloud 1-3 only (the loader's rule), on each model row."""
    concurrent = tuple(key for key in LICENSE_KEYS if BY_KEY[key].concurrent)
    for names in ctx.product_names:
        row = int(ctx.book.names[names["model"]].rsplit("$", 1)[1])
        w.rule(
            row,
            f'OR({names["model"]}<>"concurrent",{one_of(names["license"], concurrent)})',
            str(w.sheet.value(row, 1)),
            f'"named (concurrent is for {", ".join(concurrent)} only)"',
        )


def _checks(ctx: Ctx, w: InputWriter, row: int) -> None:
    """Beside each checked input its status (column E: empty, or what is wrong and what is
    accepted); ``InputsOK`` (no status set, ramp + term within the grids), ``InputsProblem``
    (the first status set, top to bottom) and ``Periods`` (ramp + term): a value forced past
    validation makes ``Periods`` ``#N/A``, and with it every invoice line and total."""
    _model_rules(ctx, w)
    end = w.row
    sheet = w.sheet
    sheet.text(3, 5, "Check", style="header")
    sheet.widths[5] = 46
    sheet.hidden_columns.add(6)  # the first problem from each checked row down
    rows = sorted(w.checks)
    for i, r in enumerate(rows):
        status = '""'
        fallback = quoted(f"{sheet.value(r, 1)}: not accepted")  # the value is an error
        for check, message in reversed(w.checks[r]):
            status = f"IF(IFERROR({check},FALSE),{status},IFERROR({message},{fallback}))"
        sheet.put(r, 5, "=" + status, style="bad", result="")
        below = a1(rows[i + 1], 6) if i + 1 < len(rows) else '""'
        sheet.put(r, 6, f'=IF({a1(r, 5)}="",{below},{a1(r, 5)})', result="")
    first = a1(rows[0], 6)
    w.row = row
    c = ctx.scenario.contract
    w.add(
        "TermEnd",
        "Ramp + term",
        "=IF(InputsOK,RampMonths+TermMonths,NA())",
        fmt=INT,
        unit="calculated",
        calc=True,
        result=c.term_end,
        note="The first period after the term: from it on, periods are billed month to month "
        "(Months after term).",
    )
    w.add(
        "Periods",
        "Billed periods",
        "=IF(InputsOK,RampMonths+TermMonths+MonthsAfterTerm,NA())",
        fmt=INT,
        unit="calculated",
        calc=True,
        result=c.periods,
        note="Ramp + term + months after the term; #N/A when an input is not accepted (see "
        "InputsOK).",
    )
    w.add(
        "InputsOK",
        "Inputs accepted",
        f'=AND({first}="",IFERROR(RampMonths+TermMonths+MonthsAfterTerm<=GridPeriods,FALSE))',
        unit="check",
        calc=True,
        result=True,
        note="TRUE while every input is accepted (its Check cell, "
        "column E, is empty) and ramp + term + months after it fit the grids; FALSE: every "
        "figure built on the inputs shows #N/A, and InputsProblem below names the first input "
        "not accepted.",
    )
    problem_row = w.row
    w.add(
        "InputsProblem",
        "First input not accepted",
        f'=IF(InputsOK,"none",IF({first}="","ramp + term + months after it are longer '
        f'than the grids",{first}))',
        unit="check",
        calc=True,
        result="none",
        note="What is wrong with the first input not accepted, and what is accepted.",
    )
    sheet.cells[(problem_row, 2)].style = "bad"  # wrapped in red: the whole message shows
    sheet.heights[problem_row] = 58.0
    ctx.book.names["GridOK"] = ctx.book.names["InputsOK"]  # the Summary's former check
    w.row = end
    sheet.print_area = f"A1:E{end}"  # not the hidden helper column F


#: the input cell's number format of each kind of storage setting (a field's ``decimals``
#: overrides it)
_STORAGE_FORMATS = {"calls": INT, "number": NUM, "share": PCT, "days": INT}
_PER_PERIOD_CALLS = (
    "Recorded-call volume per period. The scenario gives one value per period: "
    "edit them in the Storage sheet's 'calls' column (this is the first)."
)


def _storage_inputs(ctx: Ctx, w: InputWriter) -> None:
    """The storage settings, one input each as declared (:data:`~billing_model.core.
    storage_settings.STORAGE_FIELDS`: name, label, unit, note, range), the figures calculated
    from them, the screen-retention rule and whether the forecast is billed."""
    st = ctx.scenario.storage
    settings = workbook_settings(ctx)
    w.section(
        "Storage forecast"
        + ("" if st is not None else " (what-if: the scenario has no [storage] table)")
    )
    rows = {}
    for f in STORAGE_FIELDS:  # the declared settings, in order (core/storage_settings.py)
        if not f.name:
            continue  # the overage rate: the contract's StorageOverageRate
        value = (0 if f.required else f.default) if st is None else getattr(st, f.key)
        note = f.help
        if isinstance(value, tuple):  # calls per period: the first here, all on the Storage sheet
            value, note = value[0], _PER_PERIOD_CALLS
        rows[f.key] = w.row
        w.add(
            f.name,
            f.label,
            "" if value is None else value,
            fmt=_STORAGE_FORMATS[f.kind] if f.decimals is None else f"0.{'0' * f.decimals}",
            unit=f.unit,
            limit=f.limit,
            blank=f.blank,
            note=note,
        )
    w.add(
        "AudioGBPerCall",
        "Audio GB per call",
        "=" + fs.gb_per_call("RecordedShare", "AvgMinutes", "AudioMBPerMinute"),
        fmt="0.000000",
        unit="calculated",
        note="recorded share x minutes x MB/minute / 1000 (GB = 1000 MB).",
        calc=True,
        result=settings.audio_gb_per_call,
    )
    w.add(
        "ScreenGBPerCall",
        "Screen GB per call",
        "=" + fs.gb_per_call("ScreenShare", "AvgMinutes", "ScreenMBPerMinute"),
        fmt="0.000000",
        unit="calculated",
        note="screen share x minutes x MB/minute / 1000.",
        calc=True,
        result=settings.screen_gb_per_call,
    )
    w.add(
        "AudioLifeDays",
        "Audio counted for",
        "=" + fs.audio_life_days(),
        fmt=INT,
        unit="days",
        note="Retention, or until archived.",
        calc=True,
        result=settings.audio_life_days,
    )
    w.add(
        "ScreenLifeDays",
        "Screen counted for",
        "=" + fs.screen_life_days(),
        fmt=INT,
        unit="days",
        note="Screen retention (or audio's), or until archived.",
        calc=True,
        result=settings.screen_life_days,
    )
    # the loader's rule: blank keeps screen recordings as long as the audio, at most a year
    cap = LIMITS["screen_retention_days"].whole("maximum")
    w.rule(
        rows["screen_retention_days"],
        f'OR(ScreenRetentionDays<>"",N(ScreenShare)=0,N(RetentionDays)<={cap})',
        "Screen retention",
        f'"{cap} days or fewer: blank keeps screen recordings as long as '
        f'the audio ("&RetentionDays&" days), more than the vendor\'s one-year cap"',
    )
    w.add(
        "StorageBilled",
        "Storage forecast billed",
        "yes" if st is not None else "no",
        options=("yes", "no"),
        note="yes: the forecast's billed storage is the storage usage the invoices bill; no: "
        "the measured storage_gb of the Usage sheet (if any) is billed.",
    )
