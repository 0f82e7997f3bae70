"""Regions (docs/rules.md#orgs-and-regions): concurrent usage is computed and billed apart per
region; an org in two regions is refused under the concurrent model only."""

import csv
import io
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_model.cli import main
from billing_model.core.compare import compare_models
from billing_model.core.errors import BillingInputError, BillingWarning
from billing_model.core.usage import COLUMNS, compute_usage
from billing_model.io.sessions import read_sessions, sessions_from_columns
from tests.reference_usage import reference_usage
from tests.strategies import BASE, session_rows
from tests.usage_rows import direct_sessions

HEADER = "user_id,org,region,start,end,license\n"
# prod: two agents in us-east-1 and two in eu-west-1, all four on line 14:00-15:00 UTC; dev: one
ROWS = (
    "ann,prod,us-east-1,2026-01-05T14:00:00Z,2026-01-05T15:00:00Z,pc2\n"
    "bob,prod,us-east-1,2026-01-05T14:00:00Z,2026-01-05T15:00:00Z,pc2\n"
    "cy,prod,eu-west-1,2026-01-05T14:00:00Z,2026-01-05T15:00:00Z,pc2\n"
    "dee,prod,eu-west-1,2026-01-05T14:00:00Z,2026-01-05T16:00:00Z,pc2\n"
    "eve,dev,us-east-1,2026-01-05T14:00:00Z,2026-01-05T15:00:00Z,pc1\n"
)


@pytest.fixture
def regional(tmp_path):
    path = tmp_path / "regional.csv"
    path.write_text(HEADER + ROWS)
    return path


def test_peaks_are_never_pooled_across_regions(regional):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BillingWarning)
        out = compute_usage(read_sessions(str(regional)), order_date="2026-01-01")
    assert list(out.columns[:2]) == ["org", "region"]
    # prod's peak is 2 in each region, never 4; hours per region (dee: 2 h)
    assert out[
        ["org", "region", "named_users", "peak_concurrent", "billable_hours"]
    ].values.tolist() == [
        ["dev", "us-east-1", 1, 1, 1],
        ["prod", "eu-west-1", 2, 2, 3],
        ["prod", "us-east-1", 2, 2, 2],
    ]
    daily = compute_usage(read_sessions(str(regional)), order_date="2026-01-01", daily=True)
    assert daily.astype(str).values.tolist() == [
        ["dev", "us-east-1", "2026-01-05", "1", "60"],
        ["prod", "eu-west-1", "2026-01-05", "2", "60"],
        ["prod", "us-east-1", "2026-01-05", "2", "60"],
    ]


def test_data_without_regions_has_no_region_column():
    s = sessions_from_columns(["ann"], ["2026-01-05T14:00Z"], ["2026-01-05T15:00Z"], license="pc2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BillingWarning)
        assert list(compute_usage(s).columns) == [*COLUMNS, "period"]


@pytest.mark.parametrize("engine", ["numpy", "dask"])
def test_cli_rows_carry_the_region_and_the_engines_agree(regional, capsys, engine):
    for flags in ([], ["--by-user"], ["--daily"]):
        assert (
            main(
                [
                    "usage",
                    str(regional),
                    "--order-date",
                    "2026-01-01",
                    "--format",
                    "csv",
                    "--engine",
                    engine,
                    *flags,
                ]
            )
            == 0
        )
        rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
        assert list(rows[0])[:2] == ["org", "region"]
        assert {(r["org"], r["region"]) for r in rows} == {
            ("dev", "us-east-1"),
            ("prod", "eu-west-1"),
            ("prod", "us-east-1"),
        }


def test_compare_refuses_an_org_in_two_regions_in_one_line(regional, capsys):
    assert (
        main(
            [
                "compare",
                str(regional),
                "--order-date",
                "2026-01-01",
                "--named-rate",
                "100",
                "--concurrent-rate",
                "150",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "org 'prod' has sessions in 2 regions (eu-west-1, us-east-1)" in err
    assert "concurrent" in err


def test_named_billing_of_an_org_in_two_regions_says_nothing(regional, recwarn):
    out = compute_usage(read_sessions(str(regional)), order_date="2026-01-01")
    assert not [w for w in recwarn if "region" in str(w.message)]
    # one region per org: compare prices both models
    one = out[out["region"] == "us-east-1"]
    c = compare_models(one, named_rate=100, concurrent_rate=150)
    assert (c.named_users, c.concurrent_users) == (3, 3)


def test_region_cells_blank_or_missing(tmp_path, capsys):
    blank = tmp_path / "blank.csv"
    blank.write_text(HEADER + "ann,prod,,2026-01-05T14:00:00Z,2026-01-05T15:00:00Z,pc2\n")
    assert main(["usage", str(blank), "--format", "csv"]) == 2
    assert "line 2, column 'region': is blank" in capsys.readouterr().err
    assert main(["usage", str(blank), "--format", "csv", "--region", "us-east-1"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("prod,us-east-1,")
    # parts of a folder: one with the column, one without
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "a.csv").write_text(HEADER + ROWS)
    (tmp_path / "parts" / "b.csv").write_text(
        "user_id,org,start,end,license\nfay,prod,2026-01-05T14:00:00Z,2026-01-05T15:00:00Z,pc2\n"
    )
    for engine in ("numpy", "dask"):
        assert main(["usage", str(tmp_path / "parts"), "--engine", engine]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "b.csv" in err and "no 'region' column" in err
        assert (
            main(
                [
                    "usage",
                    str(tmp_path / "parts"),
                    "--engine",
                    engine,
                    "--region",
                    "eu-west-1",
                    "--format",
                    "csv",
                ]
            )
            == 0
        )
        rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
        assert [r["named_users"] for r in rows if r["org"] == "prod"] == ["3", "2"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=session_rows,
    regions=st.lists(st.sampled_from(["eu", "us"]), min_size=25, max_size=25),
    order_date=st.sampled_from(["2026-03-08", "2026-01-31"]),
)
def test_each_region_is_an_org_of_its_own_for_the_reference(rows, regions, order_date):
    ns = 1_000_000_000
    rows = [(u, o, lic, c, BASE + s * ns, BASE + (s + d) * ns) for u, o, lic, c, s, d in rows]
    region = regions[: len(rows)]
    plain = direct_sessions(rows)
    region_names, region_code = np.unique(region, return_inverse=True)
    s = type(plain)(
        **{
            **plain.__dict__,
            "region": region_code.astype(np.int64),
            "region_names": region_names.astype(object),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BillingWarning)
        got = compute_usage(s, order_date=order_date)
    # the reference knows no regions: an org "o/r" per org and region ("/" sorts before
    # letters, so the rows come in the same order)
    joined = [
        (u, f"{o}/{r}", lic, c, a, b) for (u, o, lic, c, a, b), r in zip(rows, region, strict=True)
    ]
    expected = reference_usage(joined, order_date, "America/New_York", hours=True)
    got_rows = [
        (f"{o}/{r}", str(a), str(b), lic, int(n), int(c), int(p), int(q), int(h))
        for o, r, a, b, lic, n, c, p, q, h in got[
            [
                "org",
                "region",
                "period_start",
                "period_end",
                "license",
                "named_users",
                "concurrent_users",
                "peak_concurrent",
                "raw_peak",
                "billable_hours",
            ]
        ].itertuples(index=False)
    ]
    assert got_rows == [(*row[:8], row[9]) for row in expected]


def test_scenario_with_a_concurrent_product_refuses_an_org_in_two_regions(tmp_path):
    from billing_model.service import load_scenario

    prod = "".join(line + "\n" for line in ROWS.splitlines() if ",prod," in line)
    (tmp_path / "s.csv").write_text(HEADER + prod)
    path = tmp_path / "q.toml"
    path.write_text(
        '[contract]\norder_date = 2026-01-01\nlicense = "pc2"\ncommitted_users = 0\n'
        'prepay_rate = 100\nterm_months = 1\nlicense_model = "concurrent"\n'
        '[usage]\nsessions = "s.csv"\n'
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BillingWarning)
        with pytest.raises(BillingInputError, match=r"org 'prod' has sessions in 2 regions"):
            load_scenario(path)
        path.write_text(path.read_text().replace("concurrent", "named"))
        assert [o.name for o in load_scenario(path).orgs] == ["prod"]


def test_dask_partitions_keep_regions_apart(regional):
    from billing_model.dask_engine import compute_usage_dask

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BillingWarning)
        expected = compute_usage(read_sessions(str(regional)), order_date="2026-01-01")
        for by_user in (False, True):
            got = compute_usage_dask(
                regional, order_date="2026-01-01", partition_rows=1, progress=False, by_user=by_user
            )
            want = (
                expected
                if not by_user
                else compute_usage(
                    read_sessions(str(regional)), order_date="2026-01-01", by_user=True
                )
            )
            pd.testing.assert_frame_equal(got, want)


def _regional_scenario(tmp_path, rows: str, usage_extra: str, model: str = "concurrent"):
    (tmp_path / "s.csv").write_text(HEADER + rows)
    path = tmp_path / "q.toml"
    path.write_text(
        '[contract]\norder_date = 2026-01-01\nlicense = "pc2"\ncommitted_users = 0\n'
        f'prepay_rate = 100\nterm_months = 1\nlicense_model = "{model}"\n'
        f'[usage]\nsessions = "s.csv"\n{usage_extra}'
    )
    return path


def test_a_scenario_names_the_region_of_rows_without_one(tmp_path):
    # the scenario's twin of --region: blank region cells take it, and the org's pools follow
    from billing_model.service import load_scenario

    rows = (
        "ann,prod,,2026-01-05T14:00:00Z,2026-01-05T15:00:00Z,pc2\n"
        "bob,prod,,2026-01-05T14:00:00Z,2026-01-05T15:00:00Z,pc2\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BillingWarning)
        with pytest.raises(BillingInputError, match=r"region"):  # a blank cell, no region key
            load_scenario(_regional_scenario(tmp_path, rows, ""))
        scenario = load_scenario(_regional_scenario(tmp_path, rows, 'region = "us-east-1"\n'))
        assert scenario.orgs[0].users["pc2"] == (2,)
        # one blank row filled with us-east-1 beside an eu-west-1 row: the org is in two regions
        mixed = rows.replace("bob,prod,,", "bob,prod,eu-west-1,")
        with pytest.raises(
            BillingInputError,
            match=r"org 'prod' has sessions in 2 regions "
            r"\(eu-west-1, us-east-1\)",
        ):
            load_scenario(_regional_scenario(tmp_path, mixed, 'region = "us-east-1"\n'))


@pytest.mark.parametrize(
    "value, message",
    [
        # refused by the session reader, as --region "" is (tests/test_option_names.py)
        ('region = ""', r"usage\.region: '' is blank; accepted: a name that is not only spaces"),
        ("region = 3", r"usage\.region: 3 is not accepted"),
    ],
)
def test_a_scenario_region_that_is_not_a_name_is_refused(tmp_path, value, message):
    from billing_model.service import load_scenario

    with pytest.raises(BillingInputError, match=message):
        load_scenario(_regional_scenario(tmp_path, ROWS, value + "\n"))


def test_a_scenario_region_without_sessions_is_refused(tmp_path):
    from billing_model.service import load_scenario

    path = tmp_path / "q.toml"
    path.write_text(
        '[contract]\norder_date = 2026-01-01\nlicense = "pc2"\ncommitted_users = 1\n'
        "prepay_rate = 100\nterm_months = 1\n[usage]\nusers = [1]\n"
        'region = "us-east-1"\n'
    )
    with pytest.raises(BillingInputError, match=r"usage\.region: only applies with sessions"):
        load_scenario(path)
