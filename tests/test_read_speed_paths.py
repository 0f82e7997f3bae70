"""The fast paths of reading Parquet: pieces of row groups decoded and encoded on threads, big
row groups read in batches, int32 codes. Each test makes the pieces tiny (monkeypatched sizes),
so that a file of a few rows takes the paths a file of millions does."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from billing_model.core.errors import BillingInputError
from billing_model.io import sessions as io_sessions
from billing_model.io.sessions import iter_chunks, read_sessions


def stamps(hours):
    return [f"2026-01-05T{h:02d}:00:00" for h in hours]  # UTC


def write_groups(path, users, starts, ends, licenses, group_rows):
    """A Parquet file with row groups of ``group_rows`` rows, text as written by pandas."""
    table = pa.table(
        {
            "user_id": pa.array(users, pa.large_string()),
            "license": pa.array(licenses, pa.large_string()),
            "start": pa.array(starts).cast(pa.timestamp("us", tz="UTC")),
            "end": pa.array(ends).cast(pa.timestamp("us", tz="UTC")),
        }
    )
    pq.write_table(table, path, row_group_size=group_rows)
    return path


def ten_rows(tmp_path, *, bad=(), licenses=None):
    """Ten sessions of users u0..u4 in row groups of 2 rows; ``bad`` rows end before they
    start."""
    start = np.array(stamps(range(10)), dtype="datetime64[ns]")
    end = start + np.timedelta64(30, "m")
    for i in bad:
        end[i] = start[i] - np.timedelta64(5, "m")
    return write_groups(
        tmp_path / "s.parquet",
        [f"u{i % 5}" for i in range(10)],
        start,
        end,
        licenses or ["pc2"] * 10,
        2,
    )


@pytest.fixture
def threads(monkeypatch):
    """Every row group its own piece, read on two threads."""
    monkeypatch.setattr(io_sessions, "PIECE_ROWS", 2)
    monkeypatch.setattr(io_sessions, "WORKERS", 2)


@pytest.mark.parametrize("later", ["b.parquet", "b.csv"])
def test_a_bad_row_comes_before_a_later_unreadable_file(tmp_path, threads, later):
    # a later file's error found while listing pieces (a Parquet footer, a CSV batch: on the
    # calling thread) was raised before the earlier pieces' results were looked at: the folder
    # named b's error, where one file at a time (and the Dask engine) names a's bad row
    ten_rows(tmp_path, bad=[9]).rename(tmp_path / "a.parquet")
    (tmp_path / later).write_text("user_id,start,end\nx,2026-01-05T08:00:00Z\n")
    with pytest.raises(BillingInputError) as info:
        read_sessions(tmp_path)
    assert str(info.value) == (
        f"{tmp_path / 'a.parquet'}: row 10: end '2026-01-05T08:55:00+00:00'"
        " is before start '2026-01-05T09:00:00+00:00'; accepted: end at "
        "or after start"
    )


def test_a_bad_row_in_the_third_row_group_is_named_by_its_file_row(tmp_path, threads):
    # pieces are read on threads; the row number counts from the file's first row
    f = ten_rows(tmp_path, bad=[5])
    with pytest.raises(BillingInputError) as info:
        read_sessions(f)
    assert str(info.value) == (
        f"{f}: row 6: end '2026-01-05T04:55:00+00:00' is before start "
        "'2026-01-05T05:00:00+00:00'; accepted: end at or after start"
    )


def test_the_first_bad_piece_in_file_order_is_reported(tmp_path, threads):
    # five pieces on two threads: the earliest bad row wins whatever finishes first, and a later
    # piece's other error (an unknown license) is not the one raised
    licenses = ["pc2"] * 9 + ["gold"]
    f = ten_rows(tmp_path, bad=[7, 8], licenses=licenses)
    with pytest.raises(BillingInputError, match=r"s\.parquet: row 8: end '2026-01-05T06:55"):
        read_sessions(f)
    f = ten_rows(tmp_path, licenses=licenses)
    with pytest.raises(
        BillingInputError,
        match=r"s\.parquet: row 10, column 'license': "
        r"unknown license 'gold'",
    ):
        read_sessions(f)


def test_pieces_join_row_groups_and_give_the_rows_of_one_read(tmp_path, monkeypatch):
    # groups of 2 rows joined into pieces of up to 4 rows, or each its own piece: same sessions
    f = ten_rows(tmp_path)
    monkeypatch.setattr(io_sessions, "WORKERS", 2)
    results = []
    for piece_rows in (2, 4, 1 << 20):
        monkeypatch.setattr(io_sessions, "PIECE_ROWS", piece_rows)
        s = read_sessions(f)
        results.append((s.user.tolist(), s.start_ns.tolist(), s.user_ids.tolist()))
    assert results[0] == results[1] == results[2]
    assert results[0][0] == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
    assert results[0][2] == ["u0", "u1", "u2", "u3", "u4"]
    monkeypatch.setattr(io_sessions, "PIECE_ROWS", 4)
    f = ten_rows(tmp_path, bad=[9])
    with pytest.raises(BillingInputError, match=r"s\.parquet: row 10: end"):
        read_sessions(f)


def test_big_row_groups_are_read_in_batches_with_their_rows(tmp_path, monkeypatch):
    # row groups of 4 rows, above MAX_GROUP_ROWS: read here in batches of 3 rows, between
    # pieces of small groups; the row numbers still count from the file's first row
    monkeypatch.setattr(io_sessions, "MAX_GROUP_ROWS", 3)
    monkeypatch.setattr(io_sessions, "BATCH_ROWS", 3)
    monkeypatch.setattr(io_sessions, "WORKERS", 2)
    start = np.array(stamps(range(12)), dtype="datetime64[ns]")
    end = start + np.timedelta64(30, "m")
    end[6] = start[6] - np.timedelta64(5, "m")
    f = write_groups(
        tmp_path / "s.parquet", [f"U{i % 3}" for i in range(12)], start, end, ["pc1"] * 12, 4
    )
    with pytest.raises(BillingInputError, match=r"s\.parquet: row 7: end"):
        read_sessions(f)
    end[6] = start[6]
    f = write_groups(
        tmp_path / "s.parquet", [f"U{i % 3}" for i in range(12)], start, end, ["pc1"] * 12, 4
    )
    s = read_sessions(f)
    assert s.user.tolist() == [0, 1, 2] * 4
    assert (s.end_ns - s.start_ns).tolist() == [1_800_000_000_000] * 6 + [0] + [
        1_800_000_000_000
    ] * 5


def test_codes_are_int32_and_ids_named_as_first_seen_across_pieces(tmp_path, threads):
    # the same user in other case and spaces in a later piece is one user, named as first seen
    users = ["bob", "Ann", " ANN ", "bob", "ann", "carl"] + ["bob"] * 4
    start = np.array(stamps(range(10)), dtype="datetime64[ns]")
    f = write_groups(
        tmp_path / "s.parquet", users, start, start + np.timedelta64(1, "h"), ["pc2"] * 10, 2
    )
    s = read_sessions(f)
    assert s.user.dtype == np.int32 and s.org.dtype == np.int32
    assert s.user_ids.tolist() == ["Ann", "bob", "carl"]
    assert s.user.tolist() == [1, 0, 0, 1, 0, 2, 1, 1, 1, 1]
    assert s.org_names.tolist() == ["default"] and s.org.tolist() == [0] * 10


def test_a_corrupt_page_in_a_later_piece_is_one_line(tmp_path, threads):
    # the page is decoded on a reading thread: its error is still the file's one line
    f = tmp_path / "s.parquet"
    n = 6000
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
        row_group_size=2000,
    )
    data = bytearray(f.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 400] = b"A" * 400
    f.write_bytes(bytes(data))
    with pytest.raises(BillingInputError) as info:
        read_sessions(f)
    assert str(info.value).startswith(f"{f}: not a readable Parquet file (")
    assert "\n" not in str(info.value)


def test_iter_chunks_of_later_row_groups_count_rows_from_the_file_start(tmp_path):
    # the Dask engine reads pieces of row groups: messages and NumPy dictionaries as before
    f = ten_rows(tmp_path, bad=[7])
    chunks = iter_chunks(f, row_groups=(2,))
    chunk = next(chunks)
    assert chunk.user_dict.dtype == object
    assert sorted(chunk.user_dict.tolist()) == ["u0", "u4"]
    with pytest.raises(BillingInputError, match=r"s\.parquet: row 8: end"):
        next(iter_chunks(f, row_groups=(3, 4)))


def test_a_folder_of_parquet_parts_is_written_into_one_set_of_columns(tmp_path, threads):
    # every file Parquet: the chunks of both files write into the same whole columns, in order;
    # a CSV part beside them takes the path that copies (same sessions)
    folder = tmp_path / "parts"
    folder.mkdir()
    start = np.array(stamps(range(10)), dtype="datetime64[ns]")
    write_groups(
        folder / "a.parquet",
        [f"u{i % 5}" for i in range(10)],
        start,
        start + np.timedelta64(30, "m"),
        ["pc2"] * 10,
        2,
    )
    write_groups(
        folder / "b.parquet",
        ["zed", "u1", "zed"],
        start[:3],
        start[:3] + np.timedelta64(1, "h"),
        ["pc1", "pc3", "pc1"],
        2,
    )
    s = read_sessions(folder)
    assert s.user_ids.tolist() == ["u0", "u1", "u2", "u3", "u4", "zed"]
    assert s.user.tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 1, 5]
    assert s.rank.tolist() == [3] * 10 + [2, 4, 2]
    assert ((s.end_ns - s.start_ns) // 60_000_000_000).tolist() == [30] * 10 + [60] * 3
    assert s.billable.all()
    (folder / "c.csv").write_text(
        "user_id,start,end,license,client\nu9,2026-01-05T08:00:00Z,2026-01-05T08:10:00Z,pc2,api\n"
    )
    s = read_sessions(folder)
    assert s.user_ids.tolist()[-1] == "zed" and s.user.tolist()[-1] == 5
    assert s.user.tolist()[:13] == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 6, 1, 6]
    assert s.billable.tolist() == [True] * 13 + [False]
    assert s.rank.tolist() == [3] * 10 + [2, 4, 2, 3]


def test_an_id_first_seen_in_lower_case_keeps_that_spelling(tmp_path, threads):
    # the first piece holds only lower-case ids (no row positions are kept for it); a later
    # piece spells one of them in capitals: the earliest spelling still names the user
    users = ["ann", "bob", "BOB", "Cyd", "cyd", "ann"]
    start = np.array(stamps(range(6)), dtype="datetime64[ns]")
    f = write_groups(
        tmp_path / "s.parquet", users, start, start + np.timedelta64(1, "h"), ["pc2"] * 6, 2
    )
    s = read_sessions(f)
    assert s.user_ids.tolist() == ["Cyd", "ann", "bob"]
    assert s.user.tolist() == [1, 2, 2, 0, 0, 1]
