"""Reading sessions: CSV, Parquet, JSON exports, folders and globs; bad input named precisely."""

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from billing_model.cli import main
from billing_model.errors import BillingInputError
from billing_model.iotools import read_sessions
from billing_model.usage import compute_usage

HEADER = "user_id,org,license,client,start,end\n"


def write(path, text):
    path.write_text(text)
    return path


def test_csv_with_offsets_and_aliases(tmp_path):
    f = write(tmp_path / "s.csv", HEADER
              + "ann,prod,PureCloud 2,desktop,2026-01-05T08:00:00Z,2026-01-05T09:00:00Z\n"
              + "bob,prod,CX 2,web,2026-01-05T09:00:00+01:00,2026-01-05T10:30:00+01:00\n")
    s = read_sessions(f)
    assert s.user_ids.tolist() == ["ann", "bob"]
    assert s.rank.tolist() == [3, 3]
    assert (pd.to_datetime(s.start_ns, utc=True).strftime("%H:%M").tolist() == ["08:00", "08:00"])


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
    with pytest.raises(BillingInputError, match="no 'license' column; add one or pass --license"):
        read_sessions(f)


def test_end_before_start_names_the_line(tmp_path):
    f = write(tmp_path / "s.csv", HEADER
              + "ann,p,pc1,web,2026-01-05T08:00:00Z,2026-01-05T09:00:00Z\n"
              + "bob,p,pc1,web,2026-01-05T10:00:00Z,2026-01-05T09:00:00Z\n")
    with pytest.raises(BillingInputError, match=r"s.csv: line 3: end .2026-01-05T09:00:00Z. is "
                                                r"before start"):
        read_sessions(f)


def test_unknown_license_names_line_and_value(tmp_path):
    f = write(tmp_path / "s.csv", HEADER
              + "ann,p,pc1,web,2026-01-05T08:00:00Z,2026-01-05T09:00:00Z\n"
              + "bob,p,platinum,web,2026-01-05T08:00:00Z,2026-01-05T09:00:00Z\n")
    with pytest.raises(BillingInputError, match=r"line 3, column 'license': unknown license "
                                                r"'platinum'; accepted: collaborate"):
        read_sessions(f)


def test_unparseable_timestamp(tmp_path):
    f = write(tmp_path / "s.csv", HEADER
              + "ann,p,pc1,web,2026-01-05T08:00:00Z,2026-01-05T09:00:00Z\n"
              + "bob,p,pc1,web,yesterday Z,2026-01-05T09:00:00Z\n")
    with pytest.raises(BillingInputError, match=r"line 3, column 'start': 'yesterday Z' is not an "
                                                "ISO 8601"):
        read_sessions(f)


def test_empty_file_and_header_only(tmp_path):
    with pytest.raises(BillingInputError, match="no sessions found"):
        read_sessions(write(tmp_path / "empty.csv", ""))
    with pytest.raises(BillingInputError, match="no sessions found"):
        read_sessions(write(tmp_path / "header.csv", HEADER))


def test_parquet_timezone_aware_and_naive(tmp_path):
    frame = pd.DataFrame({"user_id": ["ann"], "license": ["pc2"],
                          "start": pd.to_datetime(["2026-01-05T08:00Z"]),
                          "end": pd.to_datetime(["2026-01-05T09:00Z"])})
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
    write(tmp_path / "parts" / "a.csv", HEADER
          + "ann,p,pc1,web,2026-01-05T08:00:00Z,2026-01-05T09:00:00Z\n")
    pq.write_table(pa.table({"user_id": ["ann", "bob"], "org": ["p", "p"],
                             "license": ["pc2", "pc1"], "client": ["web", "api"],
                             "start": pd.to_datetime(["2026-01-06T08:00Z"] * 2),
                             "end": pd.to_datetime(["2026-01-06T09:00Z"] * 2)}),
                   tmp_path / "parts" / "b.parquet")
    s = read_sessions(tmp_path / "parts")
    assert len(s) == 3 and s.user_ids.tolist() == ["ann", "bob"]
    out = compute_usage(s, order_date="2026-01-01")
    assert out[["license", "named_users"]].values.tolist() == [["pc2", 1]]  # ann upgraded
    assert len(read_sessions(str(tmp_path / "parts" / "*.csv"))) == 1
    with pytest.raises(BillingInputError, match="no file matches"):
        read_sessions(str(tmp_path / "nothing*.csv"))


def export(records_by_user):
    return {"userDetails": [{"userId": u, "primaryPresence": recs}
                            for u, recs in records_by_user.items()]}


def rec(start, end, presence="AVAILABLE"):
    return {"startTime": start, "endTime": end, "systemPresence": presence}


def test_user_details_json_offline_is_not_logged_in(tmp_path):
    data = export({"u1": [rec("2026-01-05T08:00:00.000Z", "2026-01-05T09:00:00.000Z"),
                          rec("2026-01-05T09:00:00.000Z", "2026-01-05T12:00:00.000Z", "OFFLINE"),
                          rec("2026-01-05T12:00:00.000Z", "2026-01-05T12:45:00.000Z", "ON_QUEUE")],
                   "u2": [rec("2026-01-05T08:30:00.000Z", "2026-01-05T09:30:00.000Z", "BREAK")]})
    f = tmp_path / "export.json"
    f.write_text(json.dumps(data))
    out = compute_usage(read_sessions(f, license="pc2"), order_date="2026-01-01")
    assert out[["named_users", "peak_concurrent", "raw_peak"]].values.tolist() == [[2, 2, 2]]


def test_user_details_pages_repeating_records_do_not_double_count(tmp_path):
    page1 = export({"u1": [rec("2026-01-05T08:00:00Z", "2026-01-06T00:00:00Z")]})
    # the next day's query returns the record spanning midnight again
    page2 = export({"u1": [rec("2026-01-05T08:00:00Z", "2026-01-06T02:00:00Z")],
                    "u2": [rec("2026-01-05T23:00:00Z", "2026-01-06T00:00:00Z")]})
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
    assert lines[0] == ("org,period_start,period_end,license,named_users,concurrent_users,"
                        "peak_concurrent,raw_peak")
    assert lines[1].startswith("prod,2026-03-01,2026-03-31,communicate,6,0,")


@pytest.mark.parametrize("args, expected", [
    (["usage", "missing.csv"], "missing.csv: no such file or directory"),
    (["usage", "scenarios/sample_sessions.csv", "--timezone", "Mars/Base"], "unknown time zone"),
    (["usage", "scenarios/sample_sessions.csv", "--order-date", "tomorrow"], "YYYY-MM-DD"),
    (["usage", "scenarios/sample_sessions.csv", "--min-minutes", "0"], "--min-minutes"),
    (["usage", "scenarios/sample_sessions.csv", "--scheduler", "tcp://x:1"], "--engine dask"),
])
def test_cli_bad_input_is_one_line_and_exit_2(args, expected, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_bad_row_is_one_line(tmp_path, capsys):
    f = write(tmp_path / "s.csv", HEADER + "ann,p,pc9,web,2026-01-05T08:00:00Z,"
                                           "2026-01-05T09:00:00Z\n")
    assert main(["usage", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("billing-model: error: ") and "line 2" in err and "'pc9'" in err
    assert len(err.splitlines()) == 1


def test_cli_usage_error_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["usage", "scenarios/sample_sessions.csv", "--peak-rule", "longest"])
    assert exc.value.code == 2


def test_end_before_start_in_parquet_shows_iso_timestamps(tmp_path):
    frame = pd.DataFrame({"user_id": ["ann"], "license": ["pc2"],
                          "start": pd.to_datetime(["2026-01-05T09:00Z"]),
                          "end": pd.to_datetime(["2026-01-05T08:00Z"])})
    frame.to_parquet(tmp_path / "s.parquet")
    with pytest.raises(BillingInputError, match=r"s.parquet: row 1: end '2026-01-05T08:00:00"
                                                r"\+00:00' is before start '2026-01-05T09"):
        read_sessions(tmp_path / "s.parquet")


def test_parquet_text_columns_read_as_dictionaries_keep_names_and_blanks(tmp_path):
    # Parquet text columns come in as dictionary arrays: trimmed values must merge, and blank
    # licenses still take --license (or are refused naming the row)
    frame = pd.DataFrame({"user_id": ["ann", " ann", "bob"], "license": ["pc2", "pc2", None],
                          "start": pd.to_datetime(["2026-01-05T08:00Z"] * 3),
                          "end": pd.to_datetime(["2026-01-05T09:00Z"] * 3)})
    frame.to_parquet(tmp_path / "s.parquet")
    with pytest.raises(BillingInputError, match=r"s.parquet: row 3, column 'license': is blank"):
        read_sessions(tmp_path / "s.parquet")
    s = read_sessions(tmp_path / "s.parquet", license="pc1")
    assert s.user_ids.tolist() == ["ann", "bob"]
    assert s.rank.tolist() == [3, 3, 2]
