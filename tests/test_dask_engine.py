"""The Dask engine gives the in-memory engine's rows, errors and warnings.

* a literal example worked by hand (users split across parts, a session crossing a period
  boundary, overlapping sessions of one user, an API account, a zero-length session);
* Hypothesis: random sessions written as several Parquet and CSV parts, users split across parts,
  sessions crossing period boundaries; both engines must agree row for row;
* bad input gives the in-memory engine's one-line error (first bad file wins), CLI exit 2;
* at least one run on a ``distributed.LocalCluster`` (in-process workers, quick), through the
  API and through ``billing-model usage --engine dask --scheduler ADDRESS``.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_model import dask_engine
from billing_model.cli import main
from billing_model.core.errors import BillingInputError
from billing_model.core.usage import compute_usage
from billing_model.dask_engine import compute_usage_dask
from billing_model.io.sessions import read_sessions
from billing_model.io.synthetic import generate_sessions, write_sessions
from tests.reference_usage import reference_usage
from tests.strategies import partitioned_sessions

COLUMNS = [
    "org",
    "period_start",
    "period_end",
    "license",
    "named_users",
    "concurrent_users",
    "peak_concurrent",
    "raw_peak",
    "coverage",
]


def numpy_usage(path, **kw):
    """The in-memory engine on the same input (the reference for the Dask engine)."""
    read = {k: kw.pop(k) for k in ("license", "input_timezone", "org") if k in kw}
    return compute_usage(read_sessions(path, **read), **kw)


def both(path, partition_rows=dask_engine.PARTITION_ROWS, **kw):
    """Both engines' rows and warning messages."""
    with warnings.catch_warnings(record=True) as w_np:
        warnings.simplefilter("always")
        expected = numpy_usage(path, **dict(kw))
    with warnings.catch_warnings(record=True) as w_dask:
        warnings.simplefilter("always")
        got = compute_usage_dask(path, progress=False, partition_rows=partition_rows, **kw)
    return (
        expected,
        got,
        sorted(str(w.message) for w in w_np),
        sorted(str(w.message) for w in w_dask),
    )


def write_csv_part(path: Path, rows: list[tuple]) -> None:
    text = "user_id,org,license,client,start,end\n" + "".join(",".join(r) + "\n" for r in rows)
    path.write_text(text)


# --- literal ----------------------------------------------------------------------------------


@pytest.fixture
def literal_parts(tmp_path) -> Path:
    """Worked by hand; order date 2026-01-15 in UTC: period 0 is Jan 15 - Feb 14, period 1
    Feb 15 - Mar 14 (the boundary is 2026-02-15T00:00Z)."""
    write_csv_part(
        tmp_path / "a.csv",
        [
            # ann: 20:00 -> 02:00 across the period boundary
            ("ann", "east", "pc1", "desktop", "2026-02-14T20:00:00Z", "2026-02-15T02:00:00Z"),
            ("cyd", "east", "pc1", "web", "2026-02-14T21:00:00Z", "2026-02-14T21:20:00Z"),
            ("bot", "east", "pc1", "api", "2026-02-14T21:00:00Z", "2026-02-14T23:00:00Z"),
            ("eve", "east", "pc1", "web", "2026-02-14T21:00:00Z", "2026-02-14T21:00:00Z"),
        ],
    )
    pd.DataFrame(
        {
            "user_id": ["ann", "bob", "dan"],
            "org": ["east", "east", "east"],
            "license": ["pc1", "pc1", "communicate"],
            "client": ["web", "mobile", "web"],
            # ann again (inside her other session: counted once), bob for 40 minutes, dan named
            "start": pd.to_datetime(
                ["2026-02-14T21:00Z", "2026-02-14T21:00Z", "2026-02-20T10:00Z"], utc=True
            ),
            "end": pd.to_datetime(
                ["2026-02-14T22:00Z", "2026-02-14T21:40Z", "2026-02-20T11:00Z"], utc=True
            ),
        }
    ).to_parquet(tmp_path / "b.parquet", index=False)
    sub = tmp_path / "west"
    sub.mkdir()
    write_csv_part(
        sub / "c.csv",
        [  # fay: 29 minutes, one short of the 30-minute rule
            ("fay", "west", "pc3", "desktop", "2026-01-20T09:00:00Z", "2026-01-20T09:29:00Z")
        ],
    )
    return tmp_path


def test_literal_worked_example(literal_parts):
    # period 0, east: ann 20:00-24:00 (240 min), bob 21:00-21:40, cyd 21:00-21:20 -> 3 users
    # for 20 minutes, >= 2 for 40 minutes: raw peak 3, billable peak 2 (40 >= 30 minutes),
    # billed: the two present longest (ann, bob), both pc1. eve (zero length) logged in: a
    # named user in no slice (issue #11; needs the event-sweep kernel of issue #10); bot (API)
    # is not billable. west: fay 29 minutes -> raw 1, billable 0.
    # period 1, east: ann 00:00-02:00 -> peak 1; dan is a named Communicate user.
    # coverage: the data runs from Jan 20 09:00 to Feb 20 11:00: 25 d 15 h of period 0's 31 days,
    # 5 d 11 h of period 1's 28 days (partial: one warning; 5.46 days shown rounded down, 5.4)
    p0, p1 = (25 + 15 / 24) / 31, (5 + 11 / 24) / 28
    expected = pd.DataFrame(
        [
            ["east", "2026-01-15", "2026-02-14", "pc1", 4, 2, 2, 3, p0],
            ["west", "2026-01-15", "2026-02-14", "pc3", 1, 0, 0, 1, p0],
            ["east", "2026-02-15", "2026-03-14", "communicate", 1, 0, 1, 1, p1],
            ["east", "2026-02-15", "2026-03-14", "pc1", 1, 1, 1, 1, p1],
        ],
        columns=COLUMNS,
    )
    with pytest.warns(
        UserWarning,
        match=r"less than half of 1 billing period\(s\): 2026-02-15 "
        r"to 2026-03-14 \(5\.4 of 28 days\)",
    ) as caught:
        got = compute_usage_dask(
            literal_parts, order_date="2026-01-15", timezone="UTC", partition_rows=2, progress=False
        )
    assert not [w for w in caught if "zero" in str(w.message)]
    shown = got[COLUMNS].astype({"period_start": str, "period_end": str})
    pd.testing.assert_frame_equal(shown, expected, check_dtype=False)
    assert got["period"].tolist() == [0, 0, 1, 1]
    reference = numpy_usage(literal_parts, order_date="2026-01-15", timezone="UTC")
    pd.testing.assert_frame_equal(got, reference)


def test_literal_default_order_date_is_earliest_session(literal_parts):
    # the earliest positive-length session is fay's, 2026-01-20 09:00Z = 04:00 in New York
    expected, got, w_np, w_dask = both(literal_parts)
    assert got["period_start"].iloc[0] == dt.date(2026, 1, 20)
    pd.testing.assert_frame_equal(got, expected)
    assert w_dask == w_np


# --- Hypothesis: the engines agree on random partitioned inputs -------------------------------


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=partitioned_sessions(),
    peak_rule=st.sampled_from(["cumulative", "contiguous"]),
    min_minutes=st.integers(1, 45),
    partition_rows=st.integers(1, 10),
)
def test_engines_agree_on_partitioned_parts(
    tmp_path_factory, data, peak_rule, min_minutes, partition_rows
):
    frame, part, formats = data
    folder = tmp_path_factory.mktemp("parts")
    for j, fmt in enumerate(formats):
        rows = frame[np.asarray(part) == j]
        if len(rows) or fmt == "parquet":  # an empty CSV part would have no header
            write_sessions(rows, str(folder / f"part{j}.{fmt}"))
    opts = {"order_date": "2026-02-01", "peak_rule": peak_rule, "min_minutes": min_minutes}
    try:
        expected, got, w_np, w_dask = both(folder, partition_rows=partition_rows, **opts)
    except BillingInputError as exc:  # bad input: the same error
        with pytest.raises(BillingInputError) as again:
            numpy_usage(folder, **opts)
        assert str(exc) == str(again.value)
        return
    pd.testing.assert_frame_equal(got, expected)
    assert w_dask == w_np
    # and both give the slow reference's rows (docs/rules.md, written independently)
    ns = frame.assign(
        start=frame["start"].dt.as_unit("ns").astype("int64"),
        end=frame["end"].dt.as_unit("ns").astype("int64"),
    )
    rows = list(
        ns[["user_id", "org", "license", "client", "start", "end"]].itertuples(
            index=False, name=None
        )
    )
    reference = reference_usage(
        rows, "2026-02-01", "America/New_York", peak_rule, min_minutes, hours=True
    )
    assert [
        tuple(str(v) if i in (1, 2) else v for i, v in enumerate(r))
        for r in got[COLUMNS[:8]].itertuples(index=False, name=None)
    ] == [r[:8] for r in reference]
    assert got["billable_hours"].tolist() == [r[9] for r in reference]


def test_engines_agree_on_generated_months(tmp_path):
    # two months of 60 agents on three shifts (night shifts cross the day and period
    # boundaries), parts cut by week so that every agent's sessions are in several parts
    frame = generate_sessions(
        60, "2026-01-25", days=14, seed=3, orgs=("prod", "dev"), org_weights=(0.7, 0.3), upgrades=5
    )
    week = ((frame["start"] - frame["start"].min()).dt.days // 7).to_numpy()
    for w in np.unique(week):
        if w % 2:
            write_sessions(frame[week == w], str(tmp_path / f"week{w}.csv"))
        else:  # Parquet in row groups of 300 rows: the shuffle reads runs of row groups
            frame[week == w].to_parquet(tmp_path / f"week{w}.parquet", row_group_size=300)
    expected, got, w_np, w_dask = both(tmp_path, order_date="2026-02-01", partition_rows=700)
    assert len(got) >= 4  # two periods, two orgs
    pd.testing.assert_frame_equal(got, expected)
    assert w_dask == w_np


def test_defaults_for_missing_columns_reach_every_part(tmp_path):
    # no license or org column, local times without an offset: the options fill them in
    (tmp_path / "a.csv").write_text(
        "user_id,start,end\n"
        "ann,2026-03-29 01:30,2026-03-29 04:00\n"
        "bob,2026-03-28 23:00,2026-03-29 03:00\n"
    )
    (tmp_path / "b.csv").write_text("user_id,start,end\nann,2026-03-29 03:30,2026-03-29 05:00\n")
    opts = {
        "license": "CX 1",
        "org": "acme",
        "input_timezone": "Europe/Berlin",
        "timezone": "Europe/Berlin",
        "order_date": "2026-03-01",
    }
    expected, got, w_np, w_dask = both(tmp_path, partition_rows=1, **opts)
    pd.testing.assert_frame_equal(got, expected)
    # clocks jump 02:00 -> 03:00 in Berlin on 29 March: ann is present 00:30-03:00 UTC, bob
    # 22:00-01:00 UTC; both present 00:30-01:00 UTC (30 minutes): peak 2
    assert got[["org", "license", "named_users", "peak_concurrent"]].values.tolist() == [
        ["acme", "pc1", 2, 2]
    ]


def test_user_details_json_part(tmp_path):
    # the vendor's export beside a CSV part; OFFLINE records are not logged in
    import json

    (tmp_path / "a.json").write_text(
        json.dumps(
            {
                "userDetails": [
                    {
                        "userId": "ann",
                        "primaryPresence": [
                            {
                                "startTime": "2026-01-05T13:00:00Z",
                                "endTime": "2026-01-05T15:00:00Z",
                                "systemPresence": "AVAILABLE",
                            },
                            {
                                "startTime": "2026-01-05T15:00:00Z",
                                "endTime": "2026-01-05T18:00:00Z",
                                "systemPresence": "OFFLINE",
                            },
                        ],
                    }
                ]
            }
        )
    )
    (tmp_path / "b.csv").write_text(
        "user_id,start,end\nann,2026-01-05T14:00Z,2026-01-05T16:00Z\n"
        "bob,2026-01-05T14:30Z,2026-01-05T15:30Z\n"
    )
    expected, got, _, _ = both(tmp_path, partition_rows=1, license="pc3", order_date="2026-01-01")
    pd.testing.assert_frame_equal(got, expected)
    # ann 13:00-16:00, bob 14:30-15:30: two users for 60 minutes
    assert got[["named_users", "peak_concurrent"]].values.tolist() == [[2, 2]]


def test_read_pieces_group_parquet_row_groups(tmp_path):
    frame = generate_sessions(5, "2026-01-01", days=10, seed=2)
    frame.to_parquet(tmp_path / "a.parquet", row_group_size=40)
    write_sessions(frame, str(tmp_path / "b.csv"))
    files = [tmp_path / "a.parquet", tmp_path / "b.csv"]
    scans = [dask_engine.scan_part(f, {}) for f in files]
    sizes = scans[0]["row_groups"]
    assert sum(sizes) == len(frame) and scans[1]["row_groups"] is None
    pieces = dask_engine.read_pieces(files, scans, rows_per_piece=100)
    groups = [g for f, g in pieces if f == files[0]]
    # every row group read once, in order, at most 100 rows a piece (row groups hold 40)
    assert [i for g in groups for i in g] == list(range(len(sizes)))
    assert all(sum(sizes[i] for i in g) <= 100 for g in groups)
    assert pieces[-1] == (files[1], None)
    # the rows of the pieces are the rows of the file
    users = np.unique(frame["user_id"].to_numpy(str)).astype(object)
    read = pd.concat(
        [dask_engine.read_part(p, {}, users, np.array(["prod"], object)) for p in pieces[:-1]]
    )
    starts = frame["start"].astype("datetime64[ns, UTC]").astype("int64").to_numpy()
    np.testing.assert_array_equal(np.sort(read["start"].to_numpy()), np.sort(starts))
    assert sorted(users[read["user"]]) == sorted(frame["user_id"])


# --- errors -----------------------------------------------------------------------------------


def test_first_bad_part_gives_the_in_memory_engines_error(tmp_path):
    write_csv_part(
        tmp_path / "a.csv",
        [("ann", "east", "pc1", "web", "2026-02-14T20:00:00Z", "2026-02-15T02:00:00Z")],
    )
    write_csv_part(
        tmp_path / "b.csv",
        [
            ("bob", "east", "pc1", "web", "2026-02-14T20:00:00Z", "2026-02-15T02:00:00Z"),
            ("cyd", "east", "pc9", "web", "2026-02-14T20:00:00Z", "2026-02-15T02:00:00Z"),
        ],
    )
    write_csv_part(
        tmp_path / "c.csv", [("dan", "east", "pc1", "web", "2026-02-14T20:00:00Z", "yesterday")]
    )
    with pytest.raises(BillingInputError) as reference:
        numpy_usage(tmp_path)
    with pytest.raises(BillingInputError) as got:
        compute_usage_dask(tmp_path, progress=False)
    assert str(got.value) == str(reference.value)
    assert "b.csv: line 3" in str(got.value) and "pc9" in str(got.value)


def test_cli_bad_input_is_one_line_exit_2(tmp_path, capsys):
    write_csv_part(
        tmp_path / "a.csv",
        [("ann", "east", "pc1", "web", "2026-02-14T20:00:00", "2026-02-15T02:00:00Z")],
    )
    assert main(["usage", str(tmp_path), "--engine", "dask"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a.csv: line 2, column 'start'" in err


def test_empty_and_missing_inputs(tmp_path):
    pd.DataFrame(
        {
            "user_id": pd.Series([], dtype=str),
            "start": pd.Series([], dtype="datetime64[ns, UTC]"),
            "end": pd.Series([], dtype="datetime64[ns, UTC]"),
        }
    ).to_parquet(tmp_path / "empty.parquet", index=False)
    with pytest.raises(BillingInputError, match="no sessions found") as got:
        compute_usage_dask(tmp_path, license="pc1", progress=False)
    with pytest.raises(BillingInputError) as reference:
        numpy_usage(tmp_path, license="pc1")
    assert str(got.value) == str(reference.value)
    with pytest.raises(BillingInputError, match="no such file"):
        compute_usage_dask(tmp_path / "nothing-here", progress=False)
    with pytest.raises(BillingInputError, match="partition rows"):
        compute_usage_dask(tmp_path, partition_rows=0, progress=False)
    with pytest.raises(BillingInputError, match="min minutes: 0 is not"):
        compute_usage_dask(tmp_path, min_minutes=0, progress=False)
    with pytest.raises(BillingInputError, match="unknown rule 'longest'"):
        compute_usage_dask(tmp_path, peak_rule="longest", progress=False)


def test_unreachable_scheduler_is_one_line(tmp_path, monkeypatch, literal_parts):
    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(BillingInputError, match=r"--scheduler: cannot reach") as got:
        compute_usage_dask(literal_parts, scheduler="tcp://127.0.0.1:9", progress=False)
    assert "\n" not in str(got.value)


# --- a distributed cluster --------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    import distributed  # the 'scale' extra, installed by make test: fail rather than skip

    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as local:
        yield local


@pytest.fixture(scope="module")
def generated_parts(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("generated")
    frame = generate_sessions(
        40, "2026-01-20", days=20, seed=11, orgs=("prod", "qa"), org_weights=(0.5, 0.5)
    )
    part = np.random.default_rng(1).integers(0, 3, len(frame))  # users split across parts
    for j in range(3):
        write_sessions(frame[part == j], str(folder / f"part{j}.{'csv' if j == 1 else 'parquet'}"))
    return folder


def test_local_cluster_gives_the_same_rows(cluster, generated_parts):
    expected = numpy_usage(generated_parts, order_date="2026-01-20")
    got = compute_usage_dask(
        generated_parts,
        order_date="2026-01-20",
        partition_rows=300,
        scheduler=cluster.scheduler_address,
        progress=False,
    )
    pd.testing.assert_frame_equal(got, expected)


def test_cli_scheduler_option(cluster, generated_parts, capsys):
    args = ["usage", str(generated_parts), "--format", "csv", "--order-date", "2026-01-20"]
    assert main(args) == 0
    expected = capsys.readouterr().out
    assert main(args + ["--engine", "dask", "--scheduler", cluster.scheduler_address]) == 0
    captured = capsys.readouterr()
    assert captured.out == expected and len(expected.splitlines()) >= 3
    assert captured.err == ""  # stderr is not a terminal here: no progress bar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal(cluster, generated_parts, monkeypatch):
    # a terminal on stderr gets bars, locally and from the cluster's progress feed
    monkeypatch.delenv("BILLING_MODEL_PROGRESS", raising=False)
    for scheduler in (None, cluster.scheduler_address):
        fake = _Terminal()
        monkeypatch.setattr(sys, "stderr", fake)
        compute_usage_dask(generated_parts, scheduler=scheduler)
        monkeypatch.undo()
        assert "Checking session files" in fake.getvalue()
        assert "Computing usage" in fake.getvalue()


def test_no_billable_client_warns_in_both_engines(tmp_path):
    # the in-memory engine warned that api logins bill nobody; the Dask engine must say the same
    (tmp_path / "parts").mkdir()
    write_csv_part(
        tmp_path / "parts" / "a.csv",
        [("bot", "prod", "pc2", "api", "2026-01-05T08:00:00Z", "2026-01-05T09:00:00Z")],
    )
    write_csv_part(
        tmp_path / "parts" / "b.csv",
        [("bot", "prod", "pc2", "api", "2026-01-06T08:00:00Z", "2026-01-06T09:00:00Z")],
    )
    expected, got, w_np, w_dask = both(tmp_path / "parts", order_date="2026-01-01")
    pd.testing.assert_frame_equal(got, expected)
    assert w_dask == w_np and any("no billable session" in w for w in w_np)


def test_a_login_at_the_first_instant_of_a_period_opens_it_in_both_engines(tmp_path):
    # the latest instant of the data is a zero-length login at 05:00Z, the first instant of the
    # March period in New York: the in-memory engine counted it there, the Dask engine's window
    # ended before it and dropped the period (found by the Hypothesis comparison)
    from billing_model.core.usage import compute_usage
    from billing_model.dask_engine import compute_usage_dask
    from billing_model.io.sessions import read_sessions

    path = tmp_path / "edge.csv"
    path.write_text(
        "user_id,org,license,client,start,end\n"
        "u0,east,pc2,web,2026-03-01T05:00:00Z,2026-03-01T05:00:00Z\n"
        "u1,east,pc2,web,2026-03-01T04:59:59Z,2026-03-01T04:59:59Z\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        memory = compute_usage(read_sessions(path), order_date="2026-03-01")
        dask = compute_usage_dask(path, order_date="2026-03-01", progress=False)
    assert memory[["period_start", "named_users"]].astype(str).values.tolist() == [
        ["2026-02-01", "1"],
        ["2026-03-01", "1"],
    ]
    pd.testing.assert_frame_equal(dask, memory)


def test_a_login_across_a_period_start_in_many_orgs_counts_in_both_periods(tmp_path):
    # 30 orgs of one agent each, logged in from 31 March 12:00 to 1 April 12:00: adding the
    # partitions' partials cancels the -1 and +1 at 1 April 00:00, and with many orgs (a sparse
    # org x minute table) the events were sorted, not counted: the sorted path ignored the
    # period starts, the one segment was March's and April's peak was 0 (the in-memory engine:
    # 1)
    lines = ["user_id,org,license,client,start,end"]
    for i in range(30):
        for start, end in (
            ("2026-03-01T00:00Z", "2026-03-01T00:10Z"),
            ("2026-03-31T12:00Z", "2026-04-01T12:00Z"),
            ("2026-05-30T00:00Z", "2026-05-30T00:10Z"),
        ):
            lines.append(f"u{i},o{i:02d},pc2,web,{start},{end}")
    (tmp_path / "orgs.csv").write_text("\n".join(lines) + "\n")
    expected, got, _, _ = both(
        tmp_path / "orgs.csv", order_date="2026-03-01", timezone="UTC", partition_rows=10
    )
    april = got[got["period_start"].astype(str) == "2026-04-01"]
    assert april["peak_concurrent"].tolist() == [1] * 30
    assert april["concurrent_users"].tolist() == [1] * 30
    pd.testing.assert_frame_equal(got, expected)
