"""The vendor's voice billing cycle and voice usage report (issue #19 part 4).

Expected values are worked out by hand from docs/rules.md#voice-billing-cycle: cycle k runs from
07:00 UTC on period k's first day to 07:00 UTC on period k+1's; a call's cost is its ``Total
cost``, else ``Usage Rate Per Minute`` x its duration rounded up to 6 seconds, in minutes; each
cycle's costs are added exactly and rounded half up once. The vendor's published examples (34 s
-> 36 s, 45 s at 0.015 -> 0.012) are literal cases. A plain reference (``datetime``, ``Decimal``,
a loop per call) checks the NumPy engine on random calls around the boundaries.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing_model.cli import main
from billing_model.core.errors import BillingInputError, BillingWarning
from billing_model.core.invoices import invoice_schedule
from billing_model.core.voice import (
    VoiceCalls,
    adjusted_seconds,
    voice_cycle_of,
    voice_telephony,
)
from billing_model.io.voice_report import read_voice_report
from billing_model.service import load_scenario, scenario_from_mapping

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "voice" / "voice_contract.toml"
HEADER = (
    "Start time,End Time,Duration (Seconds),Adjusted Duration (seconds),"
    "Usage Rate Per Minute,Total cost,Currency"
)


def ns(text: str) -> int:
    return int(np.datetime64(text, "ns").astype(np.int64))


def report(tmp_path: Path, rows: list[str], header: str = HEADER, name: str = "calls.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def contract(tmp_path: Path, voice: str | None = "calls.csv", **over) -> dict:
    data = {
        "contract": {
            "order_date": "2026-01-15",
            "license": "pc2",
            "committed_users": 10,
            "prepay_rate": 100,
            "term_months": 3,
            **over.pop("contract", {}),
        },
        "usage": {"users": [10, 10, 10], **over.pop("usage", {})},
    }
    if voice is not None:
        data["telephony"] = {"voice_report": voice}
    return {**data, **over}


# --- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "seconds, adjusted",
    [
        (0, 0),
        (1, 6),
        (6, 6),
        (7, 12),
        (12, 12),
        (13, 18),
        (34, 36),
        (55, 60),
        (113, 114),
        (130, 132),
        (11, 12),
        (749, 750),  # the vendor's examples
    ],
)
def test_duration_is_rounded_up_to_six_seconds(seconds, adjusted):
    assert adjusted_seconds([seconds]).tolist() == [adjusted]


def test_the_cycle_turns_at_0700_utc_on_the_period_start_date():
    # order on January 15: period 1 starts on February 15; its cycle at 07:00:00 UTC that day
    starts = [
        ns("2026-01-15T06:59:59"),
        ns("2026-01-15T07:00:00"),
        ns("2026-02-15T06:59:59"),
        ns("2026-02-15T07:00:00"),
        ns("2026-04-15T06:59:59"),
        ns("2026-04-15T07:00:00"),
    ]
    assert voice_cycle_of(starts, "2026-01-15", 3).tolist() == [-1, 0, 0, 1, 2, 3]


def test_anchor_days_clamp_as_the_billing_periods_do():
    # order on January 31: period 1 starts February 28, period 2 March 31
    starts = [ns("2026-02-28T06:59:59"), ns("2026-02-28T07:00:00"), ns("2026-03-31T07:00:00")]
    assert voice_cycle_of(starts, "2026-01-31", 3).tolist() == [0, 1, 2]


def test_cost_from_the_rate_when_the_report_gives_none():
    # the vendor's example: 45 s at 0.015 per minute -> 48 s = 0.8 min -> 0.012; and 1 s at
    # 0.0119 -> 6 s = 0.1 min -> 0.00119; 0.012 + 0.00119 = 0.01319 -> 0.01
    calls = VoiceCalls.from_values(
        ["2026-01-20T10:00:00Z", "2026-01-21T10:00:00Z"], [45, 1], rate=["0.015", "0.0119"]
    )
    assert calls.computed_cost_units().tolist() == [150 * 8, 119 * 1]  # 10**-5 units
    assert voice_telephony(calls, "2026-01-15", 1).charges == (Decimal("0.01"),)


def test_the_written_cost_wins_over_the_rate():
    calls = VoiceCalls.from_values(
        ["2026-01-20T10:00:00Z"], [45], total_cost=["7.00"], rate=["0.015"]
    )
    assert voice_telephony(calls, "2026-01-15", 1).charges == (Decimal("7.00"),)


def test_each_cycle_is_summed_exactly_then_rounded_half_up_once():
    # 0.0025 + 0.0025 = 0.005 -> 0.01 (each call rounded first would bill 0.00 + 0.00);
    # in JPY 0.4 + 0.4 + 0.4 = 1.2 -> 1
    calls = VoiceCalls.from_values(
        ["2026-01-20T10:00:00Z", "2026-01-21T10:00:00Z"], [6, 6], total_cost=["0.0025", "0.0025"]
    )
    assert voice_telephony(calls, "2026-01-15", 1).charges == (Decimal("0.01"),)
    yen = VoiceCalls.from_values(
        ["2026-01-20T10:00:00Z"] * 3, [6] * 3, total_cost=["0.4"] * 3, currency="JPY"
    )
    assert voice_telephony(yen, "2026-01-15", 1).charges == (Decimal("1"),)


def test_calls_outside_the_cycles_are_counted_not_billed():
    calls = VoiceCalls.from_values(
        ["2026-01-15T06:00:00Z", "2026-01-16T00:00:00Z", "2026-02-15T07:00:00Z"],
        [6, 6, 6],
        total_cost=["1", "2", "4"],
    )
    t = voice_telephony(calls, "2026-01-15", 1)
    assert (t.charges, t.calls, t.before, t.after) == ((Decimal("2.00"),), (1,), 1, 1)
    assert t.outside_ns == (ns("2026-01-15T06:00:00"), ns("2026-02-15T07:00:00"))


def reference(rows, order: dt.date, periods: int, currency_places: int = 2) -> list[Decimal]:
    """Plain per-call reference: datetime bounds, Decimal costs, a loop over calls."""

    def first_day(k):
        y, m = divmod(order.month - 1 + k, 12)
        year, month = order.year + y, m + 1
        last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
        return dt.date(year, month, min(order.day, last))

    bounds = [dt.datetime.combine(first_day(k), dt.time(7), dt.UTC) for k in range(periods + 1)]
    sums = [Decimal(0)] * periods
    for start, seconds, cost, rate in rows:
        for k in range(periods):
            if bounds[k] <= start < bounds[k + 1]:
                if cost is None:
                    tenths = (seconds + 5) // 6
                    cost = rate * tenths / 10
                sums[k] += cost
    quantum = Decimal(1).scaleb(-currency_places)
    return [s.quantize(quantum, rounding=ROUND_HALF_UP) for s in sums]


_money = st.decimals(min_value=0, max_value=50, places=4, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(-2, 4),  # a period's first day ...
            st.integers(-3 * 3600, 3 * 3600),  # ... 07:00 UTC plus these seconds
            st.integers(0, 4000),
            st.one_of(st.none(), _money),
            _money,
        ),
        max_size=40,
    ),
    st.sampled_from([dt.date(2026, 1, 31), dt.date(2026, 3, 8), dt.date(2026, 10, 15)]),
)
def test_engine_equals_the_plain_reference(calls, order):
    y, m = order.year, order.month
    rows, starts = [], []
    for k, offset, seconds, cost, rate in calls:
        yy, mm = divmod(m - 1 + k, 12)
        month = dt.date(y + yy, mm + 1, 1)
        last = (
            dt.date(month.year + month.month // 12, month.month % 12 + 1, 1) - dt.timedelta(days=1)
        ).day
        start = dt.datetime.combine(
            month.replace(day=min(order.day, last)), dt.time(7), dt.UTC
        ) + dt.timedelta(seconds=offset)
        rows.append((start, seconds, cost, rate))
        starts.append(start.isoformat())
    got = voice_telephony(
        VoiceCalls.from_values(
            starts, [r[1] for r in rows], total_cost=[r[2] for r in rows], rate=[r[3] for r in rows]
        ),
        order,
        3,
    )
    assert list(got.charges) == reference(rows, order, 3)


# --- the report -------------------------------------------------------------------------------


def test_reads_the_vendors_columns_without_regard_to_case_spaces_or_order(tmp_path):
    path = report(
        tmp_path,
        ["usd,0.0071,2026-01-20T10:00:00Z,34,0.0119,x", "USD,,2026-01-21 10:00:00,45,0.015,y"],
        header="  currency , TOTAL  COST,start TIME,Duration (seconds),"
        "usage rate per minute,SIP Call Id",
    )
    calls = read_voice_report(path, currency="USD")
    # a timestamp without an offset is UTC (the vendor writes UTC)
    assert calls.start_ns.tolist() == [ns("2026-01-20T10:00:00"), ns("2026-01-21T10:00:00")]
    assert calls.has_cost.tolist() == [True, False]
    assert voice_telephony(calls, "2026-01-15", 1).charges == (Decimal("0.02"),)  # 0.0191


def test_a_currency_other_than_the_contracts_is_refused(tmp_path):
    path = report(
        tmp_path,
        [
            "2026-01-20T10:00:00Z,,34,36,0.0119,0.0071,USD",
            "2026-01-20T11:00:00Z,,34,36,0.0119,0.0071,EUR",
        ],
    )
    with pytest.raises(BillingInputError) as err:
        read_voice_report(path, currency="USD")
    assert str(err.value) == (
        f"{path}: line 3, column 'Currency': 'EUR' is not the contract's "
        "currency USD; accepted: calls billed in USD (one currency per "
        "report)"
    )
    with pytest.raises(
        BillingInputError,
        match="^t: telephony.voice_report: .*line 2, column "
        "'Currency': 'USD' is not the contract's "
        "currency EUR",
    ):
        scenario_from_mapping(
            contract(tmp_path, contract={"currency": "EUR"}), base_dir=tmp_path, name="t"
        )


def test_a_missing_column_is_named_with_what_is_required(tmp_path):
    path = report(
        tmp_path,
        ["2026-01-20T10:00:00Z,34,0.0119,USD"],
        header="Start time,Duration (Seconds),Usage Rate Per Minute,Currency",
    )
    with pytest.raises(BillingInputError) as err:
        read_voice_report(path)
    assert str(err.value) == (
        f"{path}: missing column 'Total cost'; required: Start time, Duration (Seconds), Usage "
        "Rate Per Minute, Total cost, Currency; optional: Adjusted Duration (seconds) (found: "
        "'Start time', 'Duration (Seconds)', 'Usage Rate Per Minute', 'Currency')"
    )


def test_an_empty_report_bills_no_telephony_and_says_so(tmp_path):
    report(tmp_path, [])
    with pytest.warns(
        BillingWarning, match="calls.csv holds no calls; telephony is 0 in every period"
    ):
        s = scenario_from_mapping(contract(tmp_path), base_dir=tmp_path, name="t")
    assert s.usage("telephony") == (Decimal(0),) * 3
    assert "Telephony" not in set(invoice_schedule(s)["description"])
    (tmp_path / "calls.csv").write_text("", encoding="utf-8")
    with pytest.raises(
        BillingInputError,
        match="calls.csv: the file is empty; accepted: the vendor's voice usage report",
    ):
        scenario_from_mapping(contract(tmp_path), base_dir=tmp_path, name="t")


@pytest.mark.parametrize(
    "row, message",
    [
        (
            "2026-01-20T10:00:00Z,,3.5,,0.0119,,USD",
            "line 2, column 'Duration (Seconds)': '3.5' is not accepted; accepted: whole seconds "
            ">= 0",
        ),
        (
            "2026-01-20T10:00:00Z,,-3,,0.0119,,USD",
            "line 2, column 'Duration (Seconds)': '-3' is not accepted",
        ),
        (
            "2026-01-20T10:00:00Z,,99999999,,0.0119,,USD",
            "line 2, column 'Duration (Seconds)': '99999999' is not accepted; accepted: at most "
            "2,678,400 seconds (31 days)",
        ),
        (
            '2026-01-20T10:00:00Z,,34,,0.0119,"1,20",USD',
            "line 2, column 'Total cost': '1,20' is not accepted; accepted: a plain decimal >= 0",
        ),
        (
            "2026-01-20T10:00:00Z,,34,,0.0119,$0.0071,USD",
            "line 2, column 'Total cost': '$0.0071' is not accepted",
        ),
        (
            "2026-01-20T10:00:00Z,,34,,1.2E-05,,USD",
            "line 2, column 'Usage Rate Per Minute': '1.2E-05' is not accepted",
        ),
        (
            "2026-01-20T10:00:00Z,,34,,0.0000000001,,USD",
            "column 'Usage Rate Per Minute': '0.0000000001' is not accepted; accepted: a plain "
            "decimal >= 0 with at most 9 digits before and 9 after the point",
        ),
        (
            "2026-01-20T10:00:00Z,,34,,,,USD",
            "line 2, column 'Total cost': is blank; accepted: a cost, or a rate in 'Usage Rate Per "
            "Minute' to compute it from (neither is given)",
        ),
        (
            "2026-01-20T10:00:00Z,,34,30,0.0119,,USD",
            "line 2, column 'Adjusted Duration (seconds)': '30' is not accepted; accepted: the "
            "duration 34 s rounded up to 6 seconds (36)",
        ),
        ("20.01.2026 10:00,,34,,0.0119,,USD", "line 2, column 'Start time'"),
        (
            "2026-01-20T10:00:00Z,,34,,0.0119,,",
            "line 2, column 'Currency': blank is not the contract's currency USD",
        ),
    ],
)
def test_a_bad_row_is_refused_naming_file_line_and_column(tmp_path, row, message):
    path = report(tmp_path, ["2026-01-19T10:00:00Z,,6,6,0.0119,0.0012,USD", row])
    with pytest.raises(BillingInputError) as err:
        read_voice_report(path, currency="USD")
    assert str(err.value).startswith(f"{path}: ")
    assert message.replace("line 2", "line 3") in str(err.value)
    assert "\n" not in str(err.value)


def test_a_byte_order_mark_and_crlf_as_excel_saves_them(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_bytes(
        b"\xef\xbb\xbfStart time,Duration (Seconds),Usage Rate Per Minute,"
        b"Total cost,Currency\r\n2026-01-20T10:00:00Z,34,0.0119,,USD\r\n"
    )
    calls = read_voice_report(path)
    assert (len(calls), calls.currency, calls.duration_s.tolist()) == (1, "USD", [34])


def test_a_folder_is_not_a_report(tmp_path):
    with pytest.raises(
        BillingInputError,
        match="calls.csv: not a regular file; accepted: the vendor's voice usage report",
    ):
        read_voice_report((tmp_path / "calls.csv").mkdir() or tmp_path / "calls.csv")


def test_a_written_adjusted_duration_is_not_checked_where_the_cost_is_given(tmp_path):
    # the vendor's own cost stands; its adjusted duration is not used
    path = report(tmp_path, ["2026-01-20T10:00:00Z,,34,30,0.0119,0.0071,USD"])
    assert read_voice_report(path).has_cost.tolist() == [True]


# --- the scenario -----------------------------------------------------------------------------


def test_a_voice_report_and_typed_telephony_are_refused_together(tmp_path):
    report(tmp_path, ["2026-01-20T10:00:00Z,,34,36,0.0119,0.0071,USD"])
    data = contract(tmp_path, usage={"telephony": [1, 2, 3]})
    with pytest.raises(BillingInputError) as err:
        scenario_from_mapping(data, base_dir=tmp_path, name="t")
    assert str(err.value) == (
        "t: usage.telephony: given together with [telephony] "
        "voice_report; accepted: either telephony charges per period in "
        "[usage] or a voice report"
    )


@pytest.mark.parametrize(
    "table, message",
    [
        ({"voice_report": "nope.csv"}, "t: telephony.voice_report: {dir}/nope.csv: no such file"),
        ({"voice_report": ""}, "t: telephony.voice_report: '' is not accepted"),
        (
            {},
            "t: telephony.voice_report: missing; accepted: the path of the vendor's voice usage "
            "report (CSV)",
        ),
        (
            {"voice_report": "calls.csv", "rate": 1},
            "t: telephony.rate: unknown key; accepted: voice_report",
        ),
    ],
)
def test_the_telephony_table_is_checked(tmp_path, table, message):
    report(tmp_path, [])
    data = contract(tmp_path, voice=None, telephony=table)
    with pytest.raises(BillingInputError) as err:
        scenario_from_mapping(data, base_dir=tmp_path, name="t")
    assert str(err.value).startswith(message.format(dir=tmp_path))


def test_the_report_fills_the_first_orgs_telephony_per_voice_cycle(tmp_path):
    # order 2026-01-15, billing time zone Asia/Tokyo (midnight = 15:00 UTC the day before):
    # the voice cycles still turn at 07:00 UTC. 06:59:59 on Feb 15 -> cycle 0; 07:00 -> 1.
    report(
        tmp_path,
        [
            "2026-01-15T06:59:59Z,,6,6,0.0119,1.00,USD",
            "2026-01-15T07:00:00Z,,6,6,0.0119,2.00,USD",
            "2026-02-15T06:59:59Z,,6,6,0.0119,4.00,USD",
            "2026-02-15T07:00:00Z,,7,,0.0119,,USD",  # 12 s = 0.2 min -> 0.00238
            "2026-03-15T07:00:00Z,,6,6,0.0119,8.005,USD",
            "2026-05-15T07:00:00Z,,6,6,0.0119,16.00,USD",
        ],
    )
    data = contract(
        tmp_path,
        contract={"billing_timezone": "Asia/Tokyo"},
        org=[{"name": "dev", "users": [1, 1, 1], "telephony": [0.5, 0, 0]}],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = scenario_from_mapping(data, base_dir=tmp_path, name="t")
    production, dev = s.orgs
    assert production.telephony == (Decimal("6.00"), Decimal("0.00"), Decimal("8.01"))
    assert dev.telephony == (Decimal("0.5"), Decimal(0), Decimal(0))  # its own list
    assert s.usage("telephony") == (Decimal("6.50"), Decimal("0.00"), Decimal("8.01"))
    # the workbook's series: every cycle up to the periods limit (May 15 07:00 is period 4)
    assert production.given["telephony"][:5] == (
        Decimal("6.00"),
        Decimal("0.00"),
        Decimal("8.01"),
        Decimal("0.00"),
        Decimal("16.00"),
    )
    assert [str(w.message) for w in caught] == [
        "t: telephony.voice_report: calls.csv holds 2 call(s) outside the contract's 3 voice "
        "cycles (2026-01-15 07:00:00 UTC to 2026-04-15 07:00:00 UTC): 1 before, 1 after, their "
        "starts running from 2026-01-15 06:59:59 UTC to 2026-05-15 07:00:00 UTC; they are not "
        "billed"
    ]


def test_a_variant_with_a_longer_term_bills_the_later_cycles(tmp_path):
    report(tmp_path, ["2026-04-15T07:00:00Z,,6,6,0.0119,3.00,USD"])
    data = contract(
        tmp_path, variant=[{"name": "longer", "term_months": 4}], usage={"users": [10, 10, 10, 10]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = scenario_from_mapping(data, base_dir=tmp_path, name="t")
    assert s.usage("telephony")[-1] == Decimal(0)
    assert s.variant("longer").usage("telephony")[-1] == Decimal("3.00")


# --- the example, the command line, the workbook ------------------------------------------------

#: the example's calls by voice cycle (scenarios/voice/calls.csv; the order is March 1, 2026)
#: March: 0.0071 + 0.0119 + 0.0226 + 0.0030 + 0.1875 + 0.0360
#:        + 0.00119 (1 s, no cost: 6 s = 0.1 min x 0.0119)
#:        + 0.0450 (05:30 UTC on April 1: 01:30 in New York, April's billing period, but the
#:          March voice cycle) + 0.0024 (06:59:59 UTC on April 1)            = 0.31669 -> 0.32
#: April: 0.0012 (07:00:00 UTC on April 1) + 0.0262 + 0.1500
#:        + 0.012 (45 s, no cost: 48 s = 0.8 min x 0.0150) + 0.0144 + 0.0131
#:        + 0.0036 (06:59:59 UTC on May 1)                                    = 0.2205 -> 0.22
#: May:   0.0036 (07:00:00 UTC on May 1) + 0.0369 + 0.3000 + 0.0024 + 0.0540
#:        + 0.0083 (06:59:59 UTC on June 1)                                   = 0.4052 -> 0.41
#: not billed: 06:45 UTC on March 1 (before the first cycle), 07:00 UTC on June 1 (after)
EXAMPLE_TELEPHONY = [("2026-04-01", "0.32"), ("2026-05-01", "0.22"), ("2026-06-01", "0.41")]


def test_the_example_through_billing_model_invoices(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["invoices", str(EXAMPLE), "--format", "csv"]) == 0
    out = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out.out)))
    assert [
        (r["invoice_date"], r["amount"]) for r in rows if r["description"] == "Telephony"
    ] == EXAMPLE_TELEPHONY
    assert all(r["currency"] == "USD" for r in rows)


@pytest.mark.filterwarnings("always::billing_model.core.errors.BillingWarning")  # pyproject ignores
def test_the_example_warns_of_the_two_calls_outside_the_contract(capsys):
    assert main(["invoices", str(EXAMPLE)]) == 0
    err = capsys.readouterr().err
    assert "calls.csv holds 2 call(s) outside the contract's 3 voice cycles" in err
    assert "1 before, 1 after" in err


def test_a_currency_mismatch_on_the_command_line_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "calls.csv").write_text(
        (EXAMPLE.parent / "calls.csv").read_text(encoding="utf-8"), encoding="utf-8"
    )
    path = tmp_path / "eur.toml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8").replace('"USD"', '"EUR"'), encoding="utf-8")
    assert main(["invoices", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert err.endswith(
        "line 2, column 'Currency': 'USD' is not the contract's currency EUR; "
        "accepted: calls billed in EUR (one currency per report)"
    )


def test_the_python_api():
    import billing_model as bm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lines = bm.invoice_schedule(bm.load_scenario(EXAMPLE))
    telephony = lines[lines["description"] == "Telephony"]
    assert [
        (d.isoformat(), str(a))
        for d, a in zip(telephony["invoice_date"], telephony["amount"], strict=True)
    ] == EXAMPLE_TELEPHONY
    calls = bm.read_voice_report(EXAMPLE.parent / "calls.csv", currency="USD")
    assert len(calls) == 24 and calls.has_cost.sum() == 22
    assert bm.voice_telephony(calls, "2026-03-01", 3).charges == tuple(
        Decimal(a) for _, a in EXAMPLE_TELEPHONY
    )


def test_the_workbooks_telephony_column_holds_the_sums_as_inputs(tmp_path):
    from billing_model.workbook import build_layout, build_workbook
    from tests.workbook_cells import named
    from tests.xlsx_values import load_values

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scenario = load_scenario(EXAMPLE)
        layout = build_layout(scenario)
        path = build_workbook(scenario, tmp_path / "voice.xlsx")
    wb = load_values(path)  # the stored values (the Telephony inputs are no formulas)
    sheet, ref = next(iter(wb.defined_names["Telephony"].destinations))
    cells = [row[0] for row in wb[sheet][ref.replace("$", "")]]
    # the three cycles, then June's (the call at 07:00 UTC on June 1, past the term: shown on
    # a greyed row, not billed), then no calls
    assert [c.value for c in cells[:5]] == [0.32, 0.22, 0.41, 0.01, 0]
    assert all(c.value == 0 for c in cells[5:])
    placed = layout.sheet(sheet)
    assert {placed.cells[(c.row, c.column)].style for c in cells} == {"input"}
    assert {placed.cells[(c.row, c.column)].formula for c in cells} == {None}
    # the invoice lines bill them: the stored grand total is the command line's
    assert Decimal(repr(named(wb, "InvoiceTotal"))) == Decimal("7245.95")


def test_a_voice_reports_telephony_is_named_once_past_the_term():
    """The report's own warning names its call after the contract's voice cycles; the warning of
    usage past the term does not name that telephony again (Org.telephony_reported). Telephony
    typed past the term is still named."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenario = load_scenario(ROOT / "scenarios" / "voice" / "voice_contract.toml")
    assert [o.telephony_reported for o in scenario.orgs] == [True]
    assert scenario.orgs[0].given["telephony"][scenario.periods :].count(0) < len(
        scenario.orgs[0].given["telephony"][scenario.periods :]
    )  # the report holds a charge past the term
    said = [str(w.message) for w in caught if issubclass(w.category, BillingWarning)]
    assert len(said) == 1 and "telephony.voice_report: calls.csv holds 2 call(s)" in said[0]

    typed = {
        "contract": {
            "order_date": "2026-03-01",
            "license": "pc2",
            "committed_users": 1,
            "prepay_rate": 1,
            "term_months": 1,
        },
        "usage": {"users": [1], "telephony": [1, 2]},
    }
    with pytest.warns(BillingWarning, match=r"usage: usage data for 1 period\(s\) past the 1"):
        typed_scenario = scenario_from_mapping(typed, name="typed")
    assert [o.telephony_reported for o in typed_scenario.orgs] == [False]
