"""The Usage sheet: users and usage per period, allowances, the concurrency profile.

Period dates and fair-use allowances are formulas of :mod:`billing_model.formulas.periods` and
:mod:`billing_model.formulas.allowances`; the named and concurrent counts come from the usage
engine when the scenario has session files.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from ..core.contract import Scenario
from ..core.invoices import fair_use_allowances
from ..core.licenses import BY_KEY
from ..core.limits import LIMITS
from ..core.periods import BillingCalendar
from ..core.storage import storage_forecast
from ..core.usage_figures import billed_count, busiest_period
from ..formulas import allowances as fa
from ..formulas import periods as fp
from ..formulas import usage_figures as fu
from .context import (
    DATE,
    FEATURES,
    GB,
    INT,
    Ctx,
    extend,
    given,
    given_total,
    header,
    num,
    title,
)
from .grid import grid_scenario
from .input_cells import quoted
from .layout import Chart, Highlight, Series, Sheet, Table, a1, column_letter, ref


def session_data(scenario: Scenario, periods: int | None = None) -> dict | None:
    """Named and concurrent users per period and license from the scenario's session file(s)
    over ``periods`` (default the scenario's own; the builder passes the workbook's grid: the
    engine's counts for any ramp + term the Inputs accept), the usage rows (``usage``), and a
    concurrency profile of the pool's busiest period
    (:func:`billing_model.core.usage_figures.busiest_period`, for the chart)."""
    sources = [org.sessions for org in scenario.orgs if org.sessions is not None]
    if not sources:
        return None
    from ..core.usage import concurrency_profile

    c = scenario.contract
    source = sources[0]  # read and counted once, by the loader
    usage = source.usage
    n = scenario.periods if periods is None else periods
    usage = usage[(usage["period"] >= 0) & (usage["period"] < n)]
    cal = BillingCalendar(c.order_date, c.billing_timezone)
    series = {}
    for org in scenario.orgs:  # a loop over orgs: each counted from its own file, as the loader
        src = org.sessions
        if src is None:
            continue
        rows = src.usage[(src.usage["period"] >= 0) & (src.usage["period"] < n)]
        names = rows["org"].astype(str)
        if org.name in set(names):  # else the table's `name` renamed the file's only org
            rows = rows[names == org.name]
        # repeat-last repeats the last *measured* period (the data's window covers at least
        # half of it, users or not), as the invoices do (docs/rules.md#after-the-data)
        last_k = src.last_measured(cal, n)
        for lic, sub in rows.groupby("license"):  # a loop over licenses
            for column in ("named_users", "concurrent_users"):
                series[(org.name, str(lic), column)] = src.per_period(sub, n, column, last_k)
    busiest, peak = busiest_period(usage)
    start, end = (int(v) for v in cal.bounds_ns(busiest, busiest + 1))
    profile = concurrency_profile(source.records, start, end, step_minutes=15, pool_only=True)
    return {
        "usage": usage,
        "busiest": busiest,
        "profile": profile,
        "path": source.path,
        "peak": peak,
        "source": source,
        "series": series,
    }


def usage_sheet(ctx: Ctx, sheet: Sheet) -> None:
    s, book, P = ctx.scenario, ctx.book, ctx.periods
    title(
        sheet,
        "Usage per billing period",
        "Billable users per org and license (inputs: edit them to try other volumes), "
        "usage, and the fair-use allowances the formulas compute from them.",
    )
    head = 4
    first = head + 1
    last = head + P
    cols = ["Period k", "Period start", "Period end"]
    sheet.widths.update({1: 9, 2: 12, 3: 12})
    c = s.contract
    starts = BillingCalendar(c.order_date, c.billing_timezone).first_days(np.arange(P + 1))
    for i in range(P):
        r = first + i
        sheet.put(r, 1, i, fmt="0")
        sheet.put(r, 2, "=" + fp.period_start(a1(r, 1)), fmt=DATE, result=starts[i].astype(object))
        sheet.put(
            r, 3, "=" + fp.period_end(a1(r, 1)), fmt=DATE, result=(starts[i + 1] - 1).astype(object)
        )
    book.name("PeriodK", sheet, first, 1, last, 1)
    book.name("PeriodStart", sheet, first, 2, last, 2)
    col = 4
    licenses = [p.license for p in s.products]
    # one column at least per org and license: a scenario that cannot fit is refused before
    # its columns are laid out (16,400 orgs took 15 s to reach the limit)
    a1(first, col - 1 + sum(lic in org.users for org in s.orgs for lic in licenses))
    org_cols: dict[str, list[int]] = {lic: [] for lic in licenses}
    #: each license's input columns (the cells a user types over) and what each holds
    input_cols: dict[str, list[tuple[int, str]]] = {lic: [] for lic in licenses}
    sess = ctx.sessions
    for org in s.orgs:
        for lic in licenses:
            if lic not in org.users:
                continue
            hourly = _product(ctx, lic).hourly  # its column holds billable hours
            label = f"{org.name} {lic} {'hours' if hourly else 'users'}"
            cols.append(label)
            named = conc = None
            if sess is not None and org.sessions is not None and not hourly:
                named = sess["series"].get((org.name, lic, "named_users"))
                conc = sess["series"].get((org.name, lic, "concurrent_users"))
                values = named  # Communicate and Collaborate: always named
            else:
                values = extend(given(org, "users:" + lic), P)
            for i in range(P):
                if named is not None and conc is not None and BY_KEY[lic].concurrent:
                    # the session file gives both counts: the License model input picks one
                    n_col, c_col = col + 1, col + 2
                    sheet.put(
                        first + i,
                        col,
                        "="
                        + fu.billed_count(
                            _model_name(ctx, lic), a1(first + i, n_col), a1(first + i, c_col)
                        ),
                        fmt=INT,
                        result=int(billed_count(_model(ctx, lic), named[i], conc[i])),
                    )
                    sheet.put(first + i, n_col, int(named[i]), style="input", fmt=INT)
                    sheet.put(first + i, c_col, int(conc[i]), style="input", fmt=INT)
                else:
                    sheet.put(first + i, col, int(values[i]), style="input", fmt=INT)
            if named is not None and conc is not None and BY_KEY[lic].concurrent:
                input_cols[lic] += [(col + 1, f"{label} named"), (col + 2, f"{label} concurrent")]
            else:
                input_cols[lic].append((col, label))
            org_cols[lic].append(col)
            sheet.widths[col] = 14
            col += 1
            if named is not None and BY_KEY[lic].concurrent:
                cols += [
                    f"{org.name} {lic} named (sessions)",
                    f"{org.name} {lic} concurrent (sessions)",
                ]
                sheet.widths[col] = sheet.widths[col + 1] = 14
                col += 2
    for j, lic in enumerate(licenses):
        name = "Users_" + lic
        unit = "hours" if _product(ctx, lic).hourly else "users"
        cols.append(f"Billable {lic} {unit} (all orgs)")
        for i in range(P):
            parts = "+".join(a1(first + i, cc) for cc in org_cols[lic]) or "0"
            billable = sum(_number(sheet, first + i, cc) for cc in org_cols[lic])
            sheet.put(first + i, col, f"={parts}", fmt=INT, style="calc", result=billable)
        book.name(name, sheet, first, col, last, col)
        ctx.usage_cols["users:" + lic] = name
        _input_check(ctx, sheet, lic, input_cols[lic], (first, last), last + 2 + j)
        sheet.widths[col] = 14
        col += 1
    series = [("telephony", "Telephony", "Telephony charges", ctx.money)]
    for key, short, label in FEATURES:
        series.append((key, short + "Used", "Used " + label, GB if key == "storage_gb" else INT))
    billed_gb = None  # with a [storage] table the forecast's billed GB (StorageBilled "yes")
    if s.storage is not None:
        # the Storage sheet bills its periods before ramp + term only (0 after): so does this
        billed_gb = storage_forecast(
            s.storage, s.contract.order_date, s.periods, timezone=s.contract.billing_timezone
        )["stored_gb"].tolist()
        billed_gb += [0] * (P - len(billed_gb))
    for key, name, label, fmt in series:
        cols.append(label)
        values = given_total(s, key, P)
        for i in range(P):
            if key == "storage_gb":
                measured = 0 if values is None else num(values[i])
                sheet.put(
                    first + i,
                    col,
                    f'=IF(StorageBilled="yes",INDEX(StorageBilledGB,'
                    f"{a1(first + i, 1)}+1),{measured})",
                    fmt=fmt,
                    result=measured if billed_gb is None else num(billed_gb[i]),
                )
            else:
                sheet.put(
                    first + i, col, 0 if values is None else num(values[i]), style="input", fmt=fmt
                )
        book.name(name, sheet, first, col, last, col)
        ctx.usage_cols[key] = name
        sheet.widths[col] = 14
        col += 1
    for key, short, label in FEATURES:
        cols.append("Allowance " + label)
        allowances = fair_use_allowances(grid_scenario(ctx), key)  # the whole grid
        for i in range(P):
            r = first + i
            terms = []
            for p, names in zip(s.products, ctx.product_names, strict=True):
                users = f"INDEX({ctx.usage_cols['users:' + p.license]},{a1(r, 1)}+1)"
                committed = (
                    "0"  # an hourly line commits nothing
                    if p.hourly
                    else f"IF(OR({a1(r, 1)}<RampMonths,{a1(r, 1)}>=TermEnd),0,{names['committed']})"
                )
                terms.append(
                    fa.fair_use_allowance(users, committed, names["license"], names["model"], key)
                )
            sheet.put(
                r,
                col,
                "=" + "+".join(terms),
                fmt=GB if key == "storage_gb" else INT,
                result=float(allowances[i]),
            )
        book.name("Allowance" + short, sheet, first, col, last, col)
        ctx.usage_cols["allowance:" + key] = "Allowance" + short
        sheet.widths[col] = 14
        col += 1
    header(sheet, head, 1, cols)
    # periods past ramp + term are not billed: greyed (the invoice lines check k < Periods)
    sheet.highlights.append(
        Highlight(f"A{first}:{column_letter(col - 1)}{last}", f"=$A{first}>=Periods", "muted")
    )
    sheet.text(
        3,
        1,
        "Rows past ramp + term (greyed) are not billed. Past the scenario's own "
        "values each series repeats its last value (an assumption: edit the yellow cells).",
        style="intro",
    )
    sheet.freeze = a1(first, 4, absolute=False)
    sheet.tables.append(Table("UsageByPeriod", head, 1, last, col - 1))
    bottom = last
    if sess is not None:
        bottom = _profile(ctx, sheet, last + 3 + len(licenses), col + 1)
    sheet.print_area = f"A1:{column_letter(col - 1)}{max(bottom, last + 1 + len(licenses))}"


#: what a Usage check shows while its cells are accepted (else what is wrong)
ACCEPTED = "accepted"


def usage_check_name(lic: str) -> str:
    """The defined name of the Usage sheet's check of license ``lic``'s input cells."""
    return "UsageCheck_" + lic


def usage_input_checks(ctx: Ctx, w) -> None:
    """Beside each license line on the Inputs sheet (its hourly rate, else its committed users,
    else its license) the Usage sheet's check of that license's input cells: a Usage cell typed
    as text, negative, fractional or past the limit sets InputsOK FALSE and says where, so no
    total stands on it (it billed a credit for negative hours, half an hour, or #VALUE!)."""
    for p, names in zip(ctx.scenario.products, ctx.product_names, strict=True):
        keys = ("hourly", "committed", "license") if p.hourly else ("committed", "license")
        ref = next(ctx.book.names[n] for k in keys if (n := names.get(k)) in ctx.book.names)
        row = int(ref.rsplit("$", 1)[1])
        check = usage_check_name(p.license)
        w.checks.setdefault(row, []).append((f"{check}={quoted(ACCEPTED)}", check))


def _input_check(
    ctx: Ctx, sheet: Sheet, lic: str, cols: list[tuple[int, str]], rows: tuple, at: int
) -> None:
    """The check in row ``at`` (below the table, column D, its label in A) of license
    ``lic``'s input columns over the grid's ``rows``: empty, or the first column not accepted
    and what is accepted (unwrapped: it reads across the empty cells to its right)."""
    hourly = _product(ctx, lic).hourly
    unit = "hours" if hourly else "users"
    status = columns_status(sheet.name, [(col, label, hourly) for col, label in cols], rows)
    sheet.text(at, 1, f"Check: {lic} {unit}", style="intro")
    sheet.put(at, 4, "=" + status, style="label", result=ACCEPTED)
    ctx.book.name(usage_check_name(lic), sheet, at, 4)


def columns_status(where: str, cols: list[tuple[int, str, bool]], rows: tuple) -> str:
    """A formula: empty while every cell of the columns ``cols`` ((column, label, hourly))
    over ``rows`` (first, last) is a whole number of users or hours within the scenario
    file's limits (hours as amounts, users as counts), else the first column not accepted."""
    status = quoted(ACCEPTED)
    for col, label, hourly in reversed(cols):
        unit = "hours" if hourly else "users"
        top = LIMITS["price"].exact("maximum") if hourly else LIMITS["count"].whole("maximum")
        cells = f"{a1(rows[0], col)}:{a1(rows[1], col)}"
        ok = (
            f"AND(SUMPRODUCT(--ISNUMBER({cells}))={rows[1] - rows[0] + 1},MIN({cells})>=0,"
            f"MAX({cells})<={top:.0f},"
            f"SUMPRODUCT(--({cells}<>INT({cells})))=0)"
        )
        message = quoted(  # short: the Inputs' Check column and the Summary show it
            f"{where} sheet, column {column_letter(col)} ({label}): a cell is not accepted; "
            f"accepted: whole {unit} from 0 to {top:,.0f}"
        )
        status = f"IF(IFERROR({ok},FALSE),{status},{message})"
    return status


def _number(sheet: Sheet, row: int, col: int) -> float:
    """A cell's number: its value, or its formula's engine result."""
    cell = sheet.cells[(row, col)]
    return cell.result if cell.formula is not None else cell.value


def _product(ctx: Ctx, lic: str):
    """The license line that bills ``lic``."""
    return next(p for p in ctx.scenario.products if p.license == lic)


def _model(ctx: Ctx, lic: str) -> str:
    """The license model of the line that bills ``lic``, as built."""
    for p in ctx.scenario.products:
        if p.license == lic:
            return p.license_model
    return ctx.scenario.contract.license_model


def _model_name(ctx: Ctx, lic: str) -> str:
    for p, names in zip(ctx.scenario.products, ctx.product_names, strict=True):
        if p.license == lic:
            return names["model"]
    return "LicenseModel"


def _serial(when) -> float:
    """A timestamp as a spreadsheet date serial (days since 1899-12-30)."""
    return (when - dt.datetime(1899, 12, 30)).total_seconds() / 86400


def _profile(ctx: Ctx, sheet: Sheet, row: int, col: int) -> int:
    """The concurrency profile: data from column ``col``, the chart below the table at ``row``.
    Returns the last row the chart covers."""
    sess = ctx.sessions
    assert sess is not None, "the concurrency profile needs the scenario's session file"
    tz = ctx.scenario.contract.billing_timezone
    profile = sess["profile"]
    k = sess["busiest"]
    source = sess["source"]
    reached = "in total" if source.peak_rule == "cumulative" else "in a row"
    sheet.text(
        row,
        1,
        f"Concurrency profile of period {k}, the busiest: PureCloud 1-3 users "
        "logged in (the most in any minute of each 15 minutes) and the billable peak "
        f"({source.peak_rule} rule: reached for {source.min_minutes} minutes {reached}).",
        style="subtitle",
    )
    head = 4
    header(sheet, head, col, [f"Time ({tz})", "Users logged in", "Billable peak"])
    sheet.widths.update({col: 17, col + 1: 10, col + 2: 10})
    first = head + 1
    times = profile["time"].dt.tz_convert(tz).dt.tz_localize(None)
    # the quarter hours as datetimes in one NumPy conversion (to microseconds, as to_pydatetime
    # gives them), the users as a list: a pandas Timestamp and a NumPy scalar per row, 3,000 rows
    # in sales_quote, took ~0.02 s
    stamps = times.to_numpy().astype("datetime64[us]").astype(object)
    for i, (t, users) in enumerate(zip(stamps, profile["users"].tolist(), strict=True)):
        sheet.put(first + i, col, t, fmt="yyyy-mm-dd hh:mm")
        sheet.put(first + i, col + 1, int(users), fmt=INT)
        sheet.put(first + i, col + 2, sess["peak"], fmt=INT)
    last = first + len(profile) - 1
    # a scatter chart on a date axis: one label a week (a line chart's category axis would label
    # each of the ~3,000 quarter hours)
    start, end = (_serial(t) for t in (times.iloc[0], times.iloc[-1])) if len(times) else (0, 1)
    sheet.charts.append(
        Chart(
            "scatter",
            f"Users logged in, period {k}, and the billable peak (sum of the orgs' peaks)",
            a1(row + 1, 1, absolute=False),
            [
                Series(
                    "Users logged in",
                    ref(sheet, first, col + 1, last),
                    ref(sheet, first, col, last),
                    color="5B9BD5",
                ),
                Series(
                    "Billable peak",
                    ref(sheet, first, col + 2, last),
                    ref(sheet, first, col, last),
                    color="C00000",
                    dash=True,
                ),
            ],
            y_title="users",
            width_cm=32,
            height_cm=11,
            x_number_format="d mmm",
            x_major_unit=7,
            x_min=float(int(start)),
            x_max=float(int(end) + 1),
        )
    )
    return row + 24
