"""Validation of session tables (:func:`billing_model.io.tables.normalize_table`): odd tables are
one-line errors naming the source, row and column, never a traceback."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from billing_model.core.errors import BillingInputError
from billing_model.io.combine import combine
from billing_model.io.sessions import sessions_from_columns
from billing_model.io.tables import normalize_table


def normalize(table: pa.Table, **kwargs) -> dict:
    return normalize_table(
        table,
        where=lambda i: f"t.csv: line {i + 2}",
        source="t.csv",
        default_license="pc2",
        **kwargs,
    )


def message(table: pa.Table, **kwargs) -> str:
    with pytest.raises(BillingInputError) as info:
        normalize(table, **kwargs)
    text = str(info.value)
    assert "\n" not in text
    return text


START, END = "2026-01-05T08:00:00Z", "2026-01-05T09:00:00Z"


@pytest.mark.parametrize(
    "names, expected",
    [
        (
            ["user_id", "start", "end", "start"],
            "t.csv: column 'start' appears twice; accepted: each column once",
        ),
        (
            ["user_id", "start", "end", " Start "],
            "t.csv: column ' Start ' appears twice (also as 'start'",
        ),
    ],
)
def test_a_column_twice_is_an_error_not_a_silent_choice(names, expected):
    # exact duplicates were a KeyError traceback; 'start' and 'Start' silently used the last
    table = pa.Table.from_arrays(
        [pa.array(["ann"]), pa.array([START]), pa.array([END]), pa.array([START])], names=names
    )
    assert message(table).startswith(expected)


def test_a_column_of_lists_is_not_text():
    # a Parquet list column was an ArrowNotImplementedError traceback
    table = pa.table({"user_id": pa.array([["ann"]]), "start": [START], "end": [END]})
    text = message(table)
    assert text.startswith("t.csv: line 2, column 'user_id': values of type list<")
    assert text.endswith("> are not text; accepted: text or whole numbers")


def test_timestamps_beyond_nanosecond_range_name_the_row():
    # year 3000 in a millisecond Parquet column was an ArrowInvalid traceback
    far = dt.datetime(3000, 1, 1, tzinfo=dt.UTC)
    ok = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    table = pa.table(
        {
            "user_id": ["ann", "bob"],
            "start": pa.array([ok, ok], pa.timestamp("ms", tz="UTC")),
            "end": pa.array([ok, far], pa.timestamp("ms", tz="UTC")),
        }
    )
    text = message(table)
    assert text.startswith(
        "t.csv: line 3, column 'end': 32503680000000 ms since 1970 is out "
        "of range; accepted: timestamps between"
    )


def test_a_table_without_rows_is_an_empty_chunk():
    # an empty text column was an IndexError in parse_instants (a JSON export with no presence)
    table = pa.table(
        {
            "user_id": pa.array([], pa.string()),
            "start": pa.array([], pa.string()),
            "end": pa.array([], pa.string()),
        }
    )
    chunk = normalize(table)
    assert len(chunk.start) == 0
    with pytest.raises(BillingInputError, match="no sessions found"):
        combine([chunk], source="t.csv")


def test_from_columns_with_no_rows():
    with pytest.raises(BillingInputError, match="no sessions found"):
        sessions_from_columns([], [], [], license="pc2")


@pytest.mark.parametrize("value", ["yesterday", "03/08/2026 10:00", "2026-03-08"])
def test_text_that_is_no_timestamp_is_not_blamed_on_a_missing_offset(value):
    # 'yesterday' was reported as "has no UTC offset ... or say --input-timezone"
    table = pa.table({"user_id": ["ann", "bob"], "start": [START, value], "end": [END, END]})
    assert message(table) == (
        f"t.csv: line 3, column 'start': {value!r} is not an ISO 8601 timestamp; accepted: e.g. "
        "2026-01-05T08:00:00Z or 2026-01-05T09:00:00+01:00"
    )


def test_a_local_timestamp_still_asks_for_the_zone():
    table = pa.table({"user_id": ["ann"], "start": ["2026-01-05 08:00"], "end": [END]})
    assert "has no UTC offset" in message(table) and "--input-timezone" in message(table)


def test_a_session_of_decades_is_a_typo_not_gigabytes_of_minutes():
    # end 2200 for start 1990 took 2.3 GB and 7 s to count every minute between
    table = pa.table(
        {
            "user_id": ["ann", "bob"],
            "start": [START, "1990-03-01T10:00Z"],
            "end": [END, "2200-03-01T12:00Z"],
        }
    )
    assert message(table) == (
        "t.csv: line 3: end '2200-03-01T12:00Z' is more than 366 days "
        "after start '1990-03-01T10:00Z'; accepted: sessions of up to 366 "
        "days (check the year)"
    )
    # a year is still a session (a user never logged out)
    year = pa.table(
        {"user_id": ["ann"], "start": ["2026-01-01T00:00Z"], "end": ["2027-01-01T00:00Z"]}
    )
    assert len(normalize(year).start) == 1


def test_no_billable_client_warns_instead_of_an_empty_table():
    from billing_model.core.errors import BillingWarning

    s = pa.table({"user_id": ["bot"], "start": [START], "end": [END], "client": ["api"]})
    with pytest.warns(
        BillingWarning,
        match="no billable session: every login is from a client other than desktop, mobile, web",
    ):
        combine([normalize(s)], source="t.csv")


def test_utc_written_as_a_word_is_utc():
    # SQL and BI tools export '2026-01-05 08:00:00 UTC': it was refused as 'has no UTC offset'
    table = pa.table(
        {
            "user_id": ["ann", "bob"],
            "start": ["2026-01-05 08:00:00 UTC", START],
            "end": ["2026-01-05 09:00:00 GMT", END],
        }
    )
    chunk = normalize(table)
    assert chunk.start.tolist() == [chunk.start[1]] * 2
    assert chunk.end.tolist() == [chunk.end[1]] * 2
