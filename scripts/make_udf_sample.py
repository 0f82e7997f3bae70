"""Build workbooks/udf_sample.xlsx: a sheet that calls every BM_ Excel function on sample data.

Run ``python scripts/make_udf_sample.py`` (deterministic: the same data gives the same bytes).
The workbook holds:

* ``Sessions``: three days of org ``prod`` interactive logins from scenarios/sample_sessions.csv
  (start and end in UTC, as the vendor exports them), with the names ``Users``, ``Starts``,
  ``Ends`` and ``Licenses`` over its columns;
* ``Functions``: one formula per single-value function, and beside it the value Python gives
  for the same cells when the sheet was built (``Expected``), so a user can check the add-in;
* ``Periods``, ``Profile`` (with a chart), ``Invoices``, ``Storage``: one spilling function
  each, its inputs as named cells, and the expected table to its right.

Spilling formulas are written as array formulas over the expected size (what Excel 2010+
computes); in Excel 365 they can be re-entered as ordinary formulas to spill. The BM_ functions
exist only once the xlwings add-in has imported them (docs/excel-functions.md); until then Excel
shows #NAME?. LibreOffice cannot run them.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.formula import ArrayFormula

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from billing_model.io.atomic import atomic_path  # noqa: E402
from udfs import billing_udfs as udf  # noqa: E402

SAMPLE = ROOT / "scenarios" / "sample_sessions.csv"
TARGET = ROOT / "workbooks" / "udf_sample.xlsx"
LAST_START = "2026-03-04T00:00:00Z"  # three days of sessions: about 400 rows
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"
STAMP = b"2026-03-01T00:00:00Z"  # document dates, fixed
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=13)
INPUT = PatternFill("solid", fgColor="FFF2CC")
EXPECTED = Font(italic=True, color="555555")


def sessions() -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE)
    frame = frame[(frame["org"] == "prod") & (frame["client"] != "api")]
    frame = frame[frame["start"] < LAST_START]
    frame = frame.sort_values(["start", "user_id"], kind="stable")
    for col in ("start", "end"):
        frame[col] = pd.to_datetime(frame[col], utc=True).dt.tz_localize(None)
    return frame[["user_id", "start", "end", "license"]].reset_index(drop=True)


def name(book: Workbook, label: str, sheet: str, ref: str) -> None:
    book.defined_names[label] = DefinedName(label, attr_text=f"'{sheet}'!{ref}")


def put_table(ws, top: int, left: int, rows: list[list], formats: dict[int, str]) -> None:
    """Values of ``rows`` from (top, left), header bold, column formats by position."""
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            cell = ws.cell(top + i, left + j, value)
            if i == 0:
                cell.font = BOLD
            else:
                cell.font = EXPECTED
                if j in formats:
                    cell.number_format = formats[j]


def array_formula(ws, top: int, left: int, formula: str, rows: list[list],
                  formats: dict[int, str]) -> None:
    """An array formula over the size of ``rows`` (the expected result), columns formatted."""
    bottom, right = top + len(rows) - 1, left + len(rows[0]) - 1
    ref = f"{get_column_letter(left)}{top}:{get_column_letter(right)}{bottom}"
    ws.cell(top, left).value = ArrayFormula(ref, formula)
    for i in range(1, len(rows)):
        for j, fmt in formats.items():
            ws.cell(top + i, left + j).number_format = fmt


def inputs(book: Workbook, ws, first_row: int, values: list[tuple[str, str, object, str]]):
    """Named input cells: (name, label, value, number format) in columns A:B."""
    for i, (label_name, label, value, fmt) in enumerate(values):
        row = first_row + i
        ws.cell(row, 1, label).font = BOLD
        cell = ws.cell(row, 2, value)
        cell.fill = INPUT
        if fmt:
            cell.number_format = fmt
        name(book, label_name, ws.title, f"$B${row}")


def spill_sheet(book: Workbook, title: str, heading: str, formula: str, result: list[list],
                formats: dict[int, str], values: list[tuple[str, str, object, str]]):
    ws = book.create_sheet(title)
    ws["A1"] = heading
    ws["A1"].font = TITLE
    inputs(book, ws, 3, values)
    top = 4 + len(values)
    ws.cell(top, 1, "Formula:").font = BOLD
    ws.cell(top, 2, formula[1:])  # as text
    ws.cell(top + 1, 1, "Result (spills):").font = BOLD
    expected_left = len(result[0]) + 3
    ws.cell(top + 1, expected_left, "Expected (Python, when the sheet was built):").font = BOLD
    array_formula(ws, top + 2, 1, formula, result, formats)
    put_table(ws, top + 2, expected_left, result, formats)
    for col in range(1, 2 * len(result[0]) + 4):
        ws.column_dimensions[get_column_letter(col)].width = 16
    return ws, top + 2


def build() -> Workbook:
    data = sessions()
    n = len(data)
    users = data["user_id"].tolist()
    starts = [t.to_pydatetime() for t in data["start"]]
    ends = [t.to_pydatetime() for t in data["end"]]
    licenses = data["license"].tolist()

    book = Workbook()
    ws = book.active
    ws.title = "Sessions"
    ws.append(["user_id", "start (UTC)", "end (UTC)", "license"])
    for cell in ws[1]:
        cell.font = BOLD
    for row in zip(users, starts, ends, licenses, strict=True):
        ws.append(list(row))
    for row in ws.iter_rows(min_row=2, min_col=2, max_col=3):
        for cell in row:
            cell.number_format = DATETIME
    for col, width in zip("ABCD", (14, 18, 18, 12), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    for label, col in (("Users", "A"), ("Starts", "B"), ("Ends", "C"), ("Licenses", "D")):
        name(book, label, "Sessions", f"${col}$2:${col}${n + 1}")

    # --- single values -------------------------------------------------------------------
    fn = book.create_sheet("Functions")
    fn.append(["What", "Result", "Formula", "Expected", "Notes"])
    for cell in fn[1]:
        cell.font = BOLD
    ny_day = dt.datetime(2026, 3, 2)
    singles = [
        ("Concurrent peak, whole span", "=BM_CONCURRENT_PEAK(Users,Starts,Ends,Licenses)",
         udf.BM_CONCURRENT_PEAK(users, starts, ends, licenses),
         "cumulative 30-minute rule (the vendor's method); communicate users are not in the pool"),
        ("Concurrent peak, contiguous rule",
         '=BM_CONCURRENT_PEAK(Users,Starts,Ends,Licenses,,,"contiguous")',
         udf.BM_CONCURRENT_PEAK(users, starts, ends, licenses, None, None, "contiguous"),
         "the FAQ read literally: 30 minutes in a row"),
        ("Concurrent peak, 2 March in New York",
         '=BM_CONCURRENT_PEAK(Users,Starts,Ends,Licenses,DATE(2026,3,2),DATE(2026,3,2),,,'
         '"America/New_York")',
         udf.BM_CONCURRENT_PEAK(users, starts, ends, licenses, ny_day, ny_day, None, None,
                                "America/New_York"),
         "a date as period_end is the last day included; the bounds are New York midnights"),
        ("Named users, whole span", "=BM_NAMED_USERS(Users,Starts,Ends,Licenses)",
         udf.BM_NAMED_USERS(users, starts, ends, licenses), "everyone who logged in"),
        ("Named users, 2 March in New York",
         '=BM_NAMED_USERS(Users,Starts,Ends,Licenses,DATE(2026,3,2),DATE(2026,3,2),'
         '"America/New_York")',
         udf.BM_NAMED_USERS(users, starts, ends, licenses, ny_day, ny_day, "America/New_York"),
         ""),
        ("Fair use: storage of 20 pc2 named users", '=BM_FAIR_USE("pc2","named","storage_gb",20)',
         udf.BM_FAIR_USE("pc2", "named", "storage_gb", 20.0), "GB; docs/rules.md#storage-overage"),
        ("Round 55 x 171.115 EUR", '=BM_ROUND_CURRENCY(55*171.115,"EUR")',
         udf.BM_ROUND_CURRENCY(55 * 171.115, "EUR"), "half up to the cent"),
        ("Round 1234.5 JPY", '=BM_ROUND_CURRENCY(1234.5,"JPY")',
         udf.BM_ROUND_CURRENCY(1234.5, "JPY"), "yen have no minor unit"),
        ("An input error", '=BM_ROUND_CURRENCY(1,"XYZ")', udf.BM_ROUND_CURRENCY(1.0, "XYZ"),
         "bad input shows a short text in the cell"),
    ]
    for label, formula, expected, note in singles:
        fn.append([label, formula, formula[1:], expected, note])
        fn.cell(fn.max_row, 4).font = EXPECTED
    for col, width in zip("ABCDE", (38, 12, 70, 12, 70), strict=True):
        fn.column_dimensions[col].width = width
    fn.cell(fn.max_row + 2, 1, "The BM_ functions need the xlwings add-in and "
            "UDF Modules = billing_udfs: see docs/excel-functions.md. #NAME? means they are "
            "not imported yet.").alignment = Alignment(wrap_text=False)

    # --- spilling functions ----------------------------------------------------------------
    periods = udf.BM_BILLING_PERIODS(dt.datetime(2026, 1, 31), 13.0, None)
    spill_sheet(book, "Periods", "BM_BILLING_PERIODS: an order on 31 January (clamped days)",
                "=BM_BILLING_PERIODS(OrderDate,PeriodCount)", periods, {0: DATE, 1: DATE},
                [("OrderDate", "Order date", dt.datetime(2026, 1, 31), DATE),
                 ("PeriodCount", "Periods", 13, "")])

    profile = udf.BM_CONCURRENCY_PROFILE(users, starts, ends, ny_day, ny_day, 15.0,
                                         "America/New_York")
    ws, top = spill_sheet(
        book, "Profile", "BM_CONCURRENCY_PROFILE: users logged in on 2 March (New York time)",
        "=BM_CONCURRENCY_PROFILE(Users,Starts,Ends,ProfileDay,ProfileDay,StepMinutes,"
        "ProfileZone)", profile, {0: DATETIME},
        [("ProfileDay", "Day", ny_day, DATE), ("StepMinutes", "Step (minutes)", 15, ""),
         ("ProfileZone", "Time zone", "America/New_York", "")])
    chart = LineChart()
    chart.title = "Users logged in (formula result)"
    chart.y_axis.title = "users"
    chart.add_data(Reference(ws, min_col=2, min_row=top, max_row=top + len(profile) - 1),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=top + 1,
                                   max_row=top + len(profile) - 1))
    chart.width, chart.height = 24, 9
    ws.add_chart(chart, "H3")

    invoice_users = [40.0, 52.0, 61.0, 58.0, 66.0, 71.0]
    invoices = udf.BM_INVOICE_SCHEDULE(dt.datetime(2026, 3, 1), 60.0, 115.0, 2.0, 4.0,
                                       invoice_users, 130.0, "USD", None, None, None, "pc3",
                                       "concurrent")
    ws = book.create_sheet("Invoices")
    ws["A1"] = ("BM_INVOICE_SCHEDULE: 2 ramp months, 4 term months, 60 committed PureCloud 3 "
                "concurrent users")
    ws["A1"].font = TITLE
    inputs(book, ws, 3, [
        ("InvOrderDate", "Order date", dt.datetime(2026, 3, 1), DATE),
        ("Committed", "Committed users", 60, ""), ("PrepayRate", "Prepay rate", 115, "0.00"),
        ("RampMonths", "Ramp months", 2, ""), ("TermMonths", "Term months", 4, ""),
        ("OverageRate", "Overage rate", 130, "0.00"), ("Currency", "Currency", "USD", ""),
        ("License", "License", "pc3", ""), ("LicenseModel", "License model", "concurrent", ""),
    ])
    ws["D3"] = "Users per period"
    ws["D3"].font = BOLD
    for i, value in enumerate(invoice_users):
        ws.cell(4 + i, 4, value).fill = INPUT
    name(book, "PeriodUsers", "Invoices", f"$D$4:$D${3 + len(invoice_users)}")
    top = 14
    formula = ("=BM_INVOICE_SCHEDULE(InvOrderDate,Committed,PrepayRate,RampMonths,TermMonths,"
               "PeriodUsers,OverageRate,Currency,,,,License,LicenseModel)")
    ws.cell(top, 1, "Formula:").font = BOLD
    ws.cell(top, 2, formula[1:])  # as text
    formats = {0: DATE, 1: DATE, 4: DATE, 5: DATE, 7: "0.00", 8: "#,##0.00"}
    array_formula(ws, top + 2, 1, formula, invoices, formats)
    ws.cell(top + 3 + len(invoices), 1, "Expected (Python, when the sheet was built):").font = \
        BOLD
    put_table(ws, top + 4 + len(invoices), 1, invoices, formats)
    for col, width in zip("ABCDEFGHIJ", (14, 14, 52, 10, 14, 14, 10, 10, 12, 9), strict=True):
        ws.column_dimensions[col].width = width

    storage = udf.BM_STORAGE_FORECAST(30_000.0, 5.0, 90.0, dt.datetime(2026, 1, 1), 6.0,
                                      None, 0.1, None, 30.0, 500.0, 0.25, "USD")
    spill_sheet(book, "Storage", "BM_STORAGE_FORECAST: 30,000 calls a month, kept 90 days",
                "=BM_STORAGE_FORECAST(Calls,AvgMinutes,RetentionDays,StorageStart,Months,,"
                "ScreenShare,,ScreenDays,AllowanceGB,GbRate,StorageCurrency)", storage,
                {0: DATE, 1: DATE, 6: "#,##0.00"},
                [("Calls", "Calls per month", 30_000, "#,##0"),
                 ("AvgMinutes", "Average minutes", 5, ""),
                 ("RetentionDays", "Retention days", 90, ""),
                 ("StorageStart", "Start date", dt.datetime(2026, 1, 1), DATE),
                 ("Months", "Months", 6, ""), ("ScreenShare", "Screen share", 0.1, "0%"),
                 ("ScreenDays", "Screen retention days", 30, ""),
                 ("AllowanceGB", "Allowance GB (20 pc2 named)", 500, ""),
                 ("GbRate", "Overage rate per GB", 0.25, "0.00"),
                 ("StorageCurrency", "Currency", "USD", "")])
    book.active = 1
    book.properties.created = dt.datetime(2026, 3, 1)  # fixed: the same data, the same file
    return book


def save(book: Workbook, target: Path) -> None:
    """Save with fixed zip entry dates, so that the same data gives the same bytes."""
    buffer = io.BytesIO()
    book.save(buffer)
    with atomic_path(target) as tmp:
        with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(tmp, "w") as dst:
            for info in src.infolist():
                fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 3, 1, 0, 0, 0))
                fixed.compress_type = zipfile.ZIP_DEFLATED
                data = src.read(info.filename)
                if info.filename == "docProps/core.xml":  # openpyxl stamps the save time
                    data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + STAMP, data)
                dst.writestr(fixed, data)


def main() -> None:
    save(build(), TARGET)
    print(f"{TARGET.relative_to(ROOT)} written")


if __name__ == "__main__":
    main()
