"""Reading sessions: CSV, Parquet, JSON exports, folders and globs; bad input named precisely."""

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from billing_model.cli import main
from billing_model.core.errors import BillingInputError
from billing_model.core.usage import compute_usage
from billing_model.io.sessions import read_sessions

HEADER = "user_id,org,license,client,start,end\n"


def write(path, text):
    path.write_text(text)
    return path


def test_csv_with_offsets_and_aliases(tmp_path):
    f = write(
        tmp_path / "s.csv",
        HEADER
        + "ann,prod,PureCloud 2,desktop,2026-01-05T08:00:00Z,2026-01-05T09:00:00Z\n"
        + "bob,prod,CX 2,web,2026-01-05T09:00:00+01:00,2026-01-05T10:30:00+01:00\n",
    )
    s = read_sessions(f)
    assert s.user_ids.tolist() == ["ann", "bob"]
    assert s.rank.tolist() == [3, 3]
    assert pd.to_datetime(s.start_ns, utc=True).strftime("%H:%M").tolist() == ["08:00", "08:00"]


def test_offset_less_timestamps_need_input_timezone(tmp_path):
    f = write(tmp_path / "s.csv", "user_id,start,end\nann,2026-01-05 08:00,2026-01-05 09:00\n")
    with pytest.raises(BillingInputError) as err:
        read_sessions(f, license="pc1")
    msg = str(err.value)
    assert "line 2" in msg and "'start'" in msg and "no UTC offset" in msg
    assert "--input-timezone" in msg
    s = read_sessions(f, license="pc1", input_timezone="Europe/Berlin")
    assert pd.Timestamp(int(s.start_ns[0]), tz="UTC").hour == 7


def test_missing_column_names_what_is_required(tmp_path):
    f = write(tmp_path / "s.csv", "user_id,start\nann,2026-01-05T08:00:00Z\n")
    with pytest.raises(BillingInputError, match=r"s.csv: missing column 'end'; required"):
        read_sessions(f, license="pc1")


def test_no_license_column_and_no_option(tmp_path):
    f = write(tmp_path / "s.csv", "user_id,start,end\nann,2026-01-05T08:00Z,2026-01-05T09:00Z\n")
    with pytest.raises(BillingInputError, match="no 'license' column; add one or give license "):
        read_sessions(f)


def test_end_before_start_names_the_line(tmp_path):
    f = write(
        tmp_path / "s.csv",
        HEADER
        + "ann,p,pc1,web,2026-01-05T08:00:00Z,2026-01-05T09:00:00Z\n"
        + "bob,p,pc1,web,2026-01-05T10:00:00Z,2026-01-05T09:00:00Z\n",
    )
    with pytest.raises(
        BillingInputError,
        match=r"s.csv: line 3: end .2026-01-05T09:00:00Z. is "
        r"before start",
    ):
        read_sessions(f)


def test_unknown_license_names_line_and_value(tmp_path):
    f = write(
        tmp_path / "s.csv",
        HEADER
        + "ann,p,pc1,web,2026-01-05T08:00:00Z,2026-01-05T09:00:00Z\n"
        + "bob,p,platinum,web,2026-01-05T08:00:00Z,2026-01-05T09:00:00Z\n",
    )
    with pytest.raises(
        BillingInputError,
        match=r"line 3, column 'license': unknown license "
        r"'platinum'; accepted: collaborate",
    ):
        read_sessions(f)


def test_unparseable_timestamp(tmp_path):
    f = write(
        tmp_path / "s.csv",
        HEADER
        + "ann,p,pc1,web,2026-01-05T08:00:00Z,2026-01-05T09:00:00Z\n"
        + "bob,p,pc1,web,yesterday Z,2026-01-05T09:00:00Z\n",
    )
    with pytest.raises(
        BillingInputError,
        match=r"line 3, column 'start': 'yesterday Z' is not an "
        "ISO 8601",
    ):
        read_sessions(f)


def test_empty_file_and_header_only(tmp_path):
    with pytest.raises(BillingInputError, match="no sessions found"):
        read_sessions(write(tmp_path / "empty.csv", ""))
    with pytest.raises(BillingInputError, match="no sessions found"):
        read_sessions(write(tmp_path / "header.csv", HEADER))


def test_parquet_timezone_aware_and_naive(tmp_path):
    frame = pd.DataFrame(
        {
            "user_id": ["ann"],
            "license": ["pc2"],
            "start": pd.to_datetime(["2026-01-05T08:00Z"]),
            "end": pd.to_datetime(["2026-01-05T09:00Z"]),
        }
    )
    frame.to_parquet(tmp_path / "aware.parquet")
    assert len(read_sessions(tmp_path / "aware.parquet")) == 1
    naive = frame.assign(start=frame.start.dt.tz_localize(None), end=frame.end.dt.tz_localize(None))
    naive.to_parquet(tmp_path / "naive.parquet")
    with pytest.raises(BillingInputError, match="no time zone"):
        read_sessions(tmp_path / "naive.parquet")
    s = read_sessions(tmp_path / "naive.parquet", input_timezone="UTC")
    assert pd.Timestamp(int(s.start_ns[0]), tz="UTC").hour == 8


def test_folder_of_parts_and_glob(tmp_path):
    (tmp_path / "parts").mkdir()
    write(
        tmp_path / "parts" / "a.csv",
        HEADER + "ann,p,pc1,web,2026-01-05T08:00:00Z,2026-01-05T09:00:00Z\n",
    )
    pq.write_table(
        pa.table(
            {
                "user_id": ["ann", "bob"],
                "org": ["p", "p"],
                "license": ["pc2", "pc1"],
                "client": ["web", "api"],
                "start": pd.to_datetime(["2026-01-06T08:00Z"] * 2),
                "end": pd.to_datetime(["2026-01-06T09:00Z"] * 2),
            }
        ),
        tmp_path / "parts" / "b.parquet",
    )
    s = read_sessions(tmp_path / "parts")
    assert len(s) == 3 and s.user_ids.tolist() == ["ann", "bob"]
    out = compute_usage(s, order_date="2026-01-01")
    assert out[["license", "named_users"]].values.tolist() == [["pc2", 1]]  # ann upgraded
    assert len(read_sessions(str(tmp_path / "parts" / "*.csv"))) == 1
    with pytest.raises(BillingInputError, match="no file matches"):
        read_sessions(str(tmp_path / "nothing*.csv"))


def export(records_by_user):
    return {
        "userDetails": [
            {"userId": u, "primaryPresence": recs} for u, recs in records_by_user.items()
        ]
    }


def rec(start, end, presence="AVAILABLE"):
    return {"startTime": start, "endTime": end, "systemPresence": presence}


def test_user_details_json_offline_is_not_logged_in(tmp_path):
    data = export(
        {
            "u1": [
                rec("2026-01-05T08:00:00.000Z", "2026-01-05T09:00:00.000Z"),
                rec("2026-01-05T09:00:00.000Z", "2026-01-05T12:00:00.000Z", "OFFLINE"),
                rec("2026-01-05T12:00:00.000Z", "2026-01-05T12:45:00.000Z", "ON_QUEUE"),
            ],
            "u2": [rec("2026-01-05T08:30:00.000Z", "2026-01-05T09:30:00.000Z", "BREAK")],
        }
    )
    f = tmp_path / "export.json"
    f.write_text(json.dumps(data))
    out = compute_usage(read_sessions(f, license="pc2"), order_date="2026-01-01")
    assert out[["named_users", "peak_concurrent", "raw_peak"]].values.tolist() == [[2, 2, 2]]


def test_user_details_pages_repeating_records_do_not_double_count(tmp_path):
    page1 = export({"u1": [rec("2026-01-05T08:00:00Z", "2026-01-06T00:00:00Z")]})
    # the next day's query returns the record spanning midnight again
    page2 = export(
        {
            "u1": [rec("2026-01-05T08:00:00Z", "2026-01-06T02:00:00Z")],
            "u2": [rec("2026-01-05T23:00:00Z", "2026-01-06T00:00:00Z")],
        }
    )
    f = tmp_path / "pages.json"
    f.write_text(json.dumps([page1, page2]))
    out = compute_usage(read_sessions(f, license="pc1"), order_date="2026-01-01")
    assert out[["named_users", "raw_peak"]].values.tolist() == [[2, 2]]


def test_json_that_is_not_an_export(tmp_path):
    f = tmp_path / "x.json"
    f.write_text(json.dumps({"entities": []}))
    with pytest.raises(BillingInputError, match="not a user-details export"):
        read_sessions(f, license="pc1")
    f.write_text("{not json")
    with pytest.raises(BillingInputError, match="not valid JSON"):
        read_sessions(f, license="pc1")


# --- the CLI ---------------------------------------------------------------------------------


def test_cli_csv_output_on_the_bundled_sample(capsys):
    assert main(["usage", "scenarios/sample_sessions.csv", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "org,period_start,period_end,license,named_users,concurrent_users,"
        "peak_concurrent,raw_peak,coverage,logged_in_hours,billable_hours"
    )
    assert lines[1].startswith("prod,2026-03-01,2026-03-31,communicate,6,0,")


@pytest.mark.parametrize(
    "args, expected",
    [
        (["usage", "missing.csv"], "missing.csv: no such file or directory"),
        (
            ["usage", "scenarios/sample_sessions.csv", "--timezone", "Mars/Base"],
            "unknown time zone",
        ),
        (["usage", "scenarios/sample_sessions.csv", "--order-date", "tomorrow"], "YYYY-MM-DD"),
        (["usage", "scenarios/sample_sessions.csv", "--min-minutes", "0"], "--min-minutes"),
        (["usage", "scenarios/sample_sessions.csv", "--scheduler", "tcp://x:1"], "--engine dask"),
        # each option is named as typed: both zones were reported as 'timezone:', and a blank
        # --license as "line 2, column 'license'" of a file that has no such column
        (
            ["usage", "scenarios/sample_sessions.csv", "--timezone", "Mars/Base"],
            "error: --timezone: unknown time zone 'Mars/Base'",
        ),
        (
            ["usage", "scenarios/sample_sessions.csv", "--input-timezone", "Mars/Base"],
            "error: --input-timezone: unknown time zone 'Mars/Base'",
        ),
        (
            ["usage", "scenarios/sample_sessions.csv", "--license", ""],
            "error: --license: unknown license ''; accepted: collaborate",
        ),
        # a level cannot accrue more minutes than a period has: 10^20 silently billed nobody
        (
            ["usage", "scenarios/sample_sessions.csv", "--min-minutes", "100000000000000000000"],
            "error: --min-minutes: 100000000000000000000 is not accepted; accepted: a whole "
            "number of "
            "minutes from 1 to 44640",
        ),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(args, expected, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_bad_row_is_one_line(tmp_path, capsys):
    f = write(
        tmp_path / "s.csv", HEADER + "ann,p,pc9,web,2026-01-05T08:00:00Z,2026-01-05T09:00:00Z\n"
    )
    assert main(["usage", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("billing-model: error: ") and "line 2" in err and "'pc9'" in err
    assert len(err.splitlines()) == 1


def test_cli_usage_error_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["usage", "scenarios/sample_sessions.csv", "--peak-rule", "longest"])
    assert exc.value.code == 2


def test_end_before_start_in_parquet_shows_iso_timestamps(tmp_path):
    frame = pd.DataFrame(
        {
            "user_id": ["ann"],
            "license": ["pc2"],
            "start": pd.to_datetime(["2026-01-05T09:00Z"]),
            "end": pd.to_datetime(["2026-01-05T08:00Z"]),
        }
    )
    frame.to_parquet(tmp_path / "s.parquet")
    with pytest.raises(
        BillingInputError,
        match=r"s.parquet: row 1: end '2026-01-05T08:00:00"
        r"\+00:00' is before start '2026-01-05T09",
    ):
        read_sessions(tmp_path / "s.parquet")


def test_parquet_text_columns_read_as_dictionaries_keep_names_and_blanks(tmp_path):
    # Parquet text columns come in as dictionary arrays: trimmed values must merge, and blank
    # licenses still take --license (or are refused naming the row)
    frame = pd.DataFrame(
        {
            "user_id": ["ann", " ann", "bob"],
            "license": ["pc2", "pc2", None],
            "start": pd.to_datetime(["2026-01-05T08:00Z"] * 3),
            "end": pd.to_datetime(["2026-01-05T09:00Z"] * 3),
        }
    )
    frame.to_parquet(tmp_path / "s.parquet")
    with pytest.raises(BillingInputError, match=r"s.parquet: row 3, column 'license': is blank"):
        read_sessions(tmp_path / "s.parquet")
    s = read_sessions(tmp_path / "s.parquet", license="pc1")
    assert s.user_ids.tolist() == ["ann", "bob"]
    assert s.rank.tolist() == [3, 3, 2]


# --- odd files a customer sends ---------------------------------------------------------------

ROW = "ann,prod,pc2,desktop,2026-01-05T08:00:00Z,2026-01-05T09:00:00Z\n"


def one_line_error(call) -> str:
    with pytest.raises(BillingInputError) as info:
        call()
    text = str(info.value)
    assert "\n" not in text
    return text


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_separated_csv_are_read(tmp_path, sep):
    # Excel in comma-decimal locales saves ';': it was "missing column 'user_id', 'start', ..."
    f = write(tmp_path / "s.csv", (HEADER + ROW).replace(",", sep))
    assert read_sessions(f).user_ids.tolist() == ["ann"]


def test_windows_line_endings_bom_and_quotes(tmp_path):
    f = tmp_path / "s.csv"
    f.write_bytes(
        b"\xef\xbb\xbf"
        + (HEADER + '"ann","prod","pc2","desktop","2026-01-05T08:00:00Z","2026-01-05T09:00:00Z"\n')
        .replace("\n", "\r\n")
        .encode()
    )
    assert read_sessions(f).user_ids.tolist() == ["ann"]


@pytest.mark.parametrize("rows_before", [0, 3])
def test_csv_that_is_not_utf8_names_the_line(tmp_path, rows_before):
    # latin-1 bytes in the first row were a UnicodeDecodeError traceback; further down, an
    # Arrow message without a line
    f = tmp_path / "s.csv"
    f.write_bytes(
        (HEADER + ROW * rows_before).encode()
        + "jos\xe9,prod,pc2,desktop,2026-01-05T08:00:00Z,2026-01-05T09:00:00Z\n".encode("latin-1")
    )
    text = one_line_error(lambda: read_sessions(f))
    assert text == (
        f"{f}: line {rows_before + 2}, column 4: byte 0xe9 is not UTF-8 text; "
        "accepted: a CSV saved as UTF-8 (Excel: 'CSV UTF-8')"
    )


def test_header_only_files_are_checked_for_their_columns(tmp_path):
    # a folder with a stray 'notes.csv' holding one line was silently skipped
    write(tmp_path / "a.csv", HEADER + ROW)
    write(tmp_path / "notes.csv", "hello")
    text = one_line_error(lambda: read_sessions(tmp_path))
    assert text.startswith(f"{tmp_path / 'notes.csv'}: missing column 'user_id', 'start', 'end'")
    # a header without a final newline was "not a readable CSV file (Empty CSV file ...)"
    with pytest.raises(BillingInputError, match="no sessions found"):
        read_sessions(write(tmp_path / "h.csv", HEADER.strip()))


def test_parquet_with_a_corrupt_page_is_one_line(tmp_path):
    # the footer is intact, a data page is not: the error came while reading, as a traceback
    f = tmp_path / "s.parquet"
    n = 5000
    pq.write_table(
        pa.table(
            {
                "user_id": [f"user{i % 97}" for i in range(n)],
                "start": ["2026-01-05T08:00:00Z"] * n,
                "end": [f"2026-01-05T{9 + i % 10:02d}:00:00Z" for i in range(n)],
                "license": ["pc2"] * n,
            }
        ),
        f,
        compression="snappy",
    )
    data = bytearray(f.read_bytes())
    data[len(data) // 4 : len(data) // 4 + 400] = b"A" * 400
    f.write_bytes(bytes(data))
    assert one_line_error(lambda: read_sessions(f)).startswith(
        f"{f}: not a readable Parquet file ("
    )


def test_empty_parquet_is_checked_for_its_columns(tmp_path):
    f = tmp_path / "s.parquet"
    pq.write_table(pa.table({"name": pa.array([], pa.string())}), f)
    assert "missing column 'user_id'" in one_line_error(lambda: read_sessions(f))


@pytest.mark.parametrize(
    "record, expected",
    [
        # a number was an ArrowTypeError traceback; null was read as the text 'None'
        (
            {"startTime": "2026-01-05T08:00:00Z", "endTime": 1767603600000},
            "userDetails[0].primaryPresence[0].endTime: 1767603600000 is not a timestamp; "
            "accepted: "
            "ISO 8601 text",
        ),
        (
            {"startTime": None, "endTime": "2026-01-05T09:00:00Z"},
            "userDetails[0].primaryPresence[0]: no 'startTime'; every presence record needs one",
        ),
        # an open record and a bad start was an ArrowInvalid traceback
        (
            {"startTime": "yesterday"},
            "userDetails[0].primaryPresence[0], column 'startTime/endTime': 'yesterday'",
        ),
    ],
)
def test_user_details_bad_timestamps_name_the_record(tmp_path, record, expected):
    f = tmp_path / "x.json"
    f.write_text(json.dumps({"userDetails": [{"userId": "u1", "primaryPresence": [record]}]}))
    assert one_line_error(lambda: read_sessions(f, license="pc2")).startswith(f"{f}: {expected}")


def test_user_details_rows_are_named_by_their_place_in_the_export(tmp_path):
    data = export(
        {
            "u1": [
                rec("2026-01-05T08:00:00Z", "2026-01-05T09:00:00Z"),
                rec("2026-01-05T10:00:00Z", "2026-01-05T09:00:00Z"),
            ]
        }
    )
    f = tmp_path / "x.json"
    f.write_text(json.dumps(data))
    assert one_line_error(lambda: read_sessions(f, license="pc2")).startswith(
        f"{f}: userDetails[0].primaryPresence[1]: end '2026-01-05T09:00:00Z' is before start"
    )


@pytest.mark.parametrize(
    "details",
    [
        [],
        [
            {
                "userId": "u1",
                "primaryPresence": [rec("2026-01-05T08:00:00Z", "2026-01-05T09:00:00Z", "OFFLINE")],
            }
        ],
    ],
)
def test_user_details_without_a_login_is_no_sessions(tmp_path, details):
    # an empty export or one only OFFLINE was an IndexError traceback
    f = tmp_path / "x.json"
    f.write_text(json.dumps({"userDetails": details}))
    with pytest.raises(BillingInputError, match="no sessions found"):
        read_sessions(f, license="pc2")


def test_user_details_open_record_with_input_timezone(tmp_path):
    data = export(
        {
            "u1": [
                rec("2026-01-05T08:00:00", "2026-01-05T09:00:00"),
                rec("2026-01-05T08:30:00", None),
            ]
        }
    )
    f = tmp_path / "x.json"
    f.write_text(json.dumps(data))
    s = read_sessions(f, license="pc2", input_timezone="Europe/Berlin")
    # the open record ends at the latest time in the export: 09:00 Berlin = 08:00 UTC
    assert pd.to_datetime(s.end_ns, utc=True).strftime("%H:%M").tolist() == ["08:00", "08:00"]


def test_cli_table_says_the_peaks_are_the_orgs(capsys):
    # a Communicate row showed 'concurrent 0' beside 'billable peak 26' without a word
    assert main(["usage", "scenarios/sample_sessions.csv"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert (
        "billable peak and highest minute are the org's whole PureCloud pool, repeated on "
        "each of its rows" in out
    )
