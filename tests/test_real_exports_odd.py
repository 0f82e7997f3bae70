"""Session data as real exports arrive (issue #11), the odd inputs: text that is data (markup,
CSV unchanged), JSON with a byte-order mark or deep nesting, a bracket in a file name, wrong
years, Ctrl-C, typos of choices, bad --as-of (split from tests/test_real_exports.py, which holds
open records, clients, user ids and partial periods).
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

from billing_model import cli
from billing_model.cli import main
from billing_model.core.errors import BillingInputError, BillingWarning
from billing_model.output import print_table
from billing_model.service import load_scenario
from tests.real_exports_data import (
    DATA,
    ENGINES,
    PARTIAL,
    exit_code,
    usage_csv,
    usage_error,
)

# the warnings are part of what is tested: shown (pyproject ignores them elsewhere)
pytestmark = pytest.mark.filterwarnings("always::billing_model.core.errors.BillingWarning")


# --- 5. text is data ------------------------------------------------------------------------------


def test_table_output_prints_markup_as_text(capsys):
    assert (
        main(
            [
                "usage",
                str(DATA / "markup_orgs.csv"),
                "--license",
                "pc2",
                "--order-date",
                "2026-03-01",
                "--timezone",
                "UTC",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    # two rows showed as 'prod' and '[/]' crashed with a traceback
    for org in ("prod [EU]", "[bold]prod[/bold]", "[/]"):
        assert f"│ {org} " in out


def test_csv_output_keeps_the_text_unchanged(capsys):
    code, rows, err = usage_csv(
        capsys,
        DATA / "markup_orgs.csv",
        "--license",
        "pc2",
        "--order-date",
        "2026-03-01",
        "--timezone",
        "UTC",
    )
    assert code == 0, err
    assert sorted(rows["org"]) == ["[/]", "[bold]prod[/bold]", "prod [EU]"]


def test_print_table_escapes_title_headers_and_footer():
    out = io.StringIO()
    print_table(pd.DataFrame({"[red]x": ["[/]"]}), title="[b]t", footer="[i]f", out=out)
    text = out.getvalue()
    assert "[b]t" in text and "[red]x" in text and "[/]" in text and "[i]f" in text


# --- 6. the other odd inputs ----------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_json_with_a_byte_order_mark_is_read(capsys, engine):
    code, rows, err = usage_csv(
        capsys,
        DATA / "bom_presence.json",
        "--license",
        "pc2",
        "--order-date",
        "2026-03-01",
        engine=engine,
    )
    assert code == 0, err
    assert rows["named_users"].tolist() == [1]


@pytest.mark.parametrize("engine", ENGINES)
def test_deeply_nested_json_is_one_line(capsys, engine):
    err = usage_error(capsys, DATA / "deep_nesting.json", "--license", "pc2", engine=engine)
    assert err.endswith(
        "deep_nesting.json: not a user-details export (JSON nested too deeply); "
        "accepted: the JSON of POST /api/v2/analytics/users/details/query"
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_file_name_with_a_bracket_is_that_file(capsys, engine):
    code, rows, err = usage_csv(
        capsys,
        DATA / "sessions [march].csv",
        "--license",
        "pc2",
        "--order-date",
        "2026-03-01",
        engine=engine,
    )
    assert code == 0, err
    assert rows["named_users"].tolist() == [1]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_wrong_year_names_the_file_and_rows(capsys, engine):
    err = usage_error(capsys, DATA / "wrong_year.csv", "--license", "pc2", engine=engine)
    file = DATA / "wrong_year.csv"
    assert err == (
        f"billing-model: error: sessions run from 2026-03-10 ({file}: line 2, column "
        f"'start') to 2046-03-10 ({file}: line 3, column 'end'): 241 months; accepted: "
        "at most 240 months of data, from 1900-01-01 to 2199-12-31 (check the year)"
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_year_9999_is_out_of_range_not_malformed(capsys, engine):
    err = usage_error(capsys, DATA / "year_9999.csv", "--license", "pc2", engine=engine)
    assert err.endswith(
        "year_9999.csv: line 3, column 'end': '9999-12-31T10:00:00Z' is out of "
        "range; accepted: timestamps between the years 1678 and 2261 (check the "
        "year)"
    )


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "name, expected",
    [
        (
            "userid_zero.json",
            "userid_zero.json: userDetails[0].userId: 0 is not text; accepted: the "
            "user's id as text (a GUID)",
        ),
        (
            "no_primary_presence.json",
            "no_primary_presence.json: userDetails[1] (userId 'bob'): no "
            "'primaryPresence'; accepted: an export whose query asks for "
            "presence",
        ),
    ],
)
def test_json_user_errors(capsys, engine, name, expected):
    assert expected in usage_error(capsys, DATA / name, "--license", "pc2", engine=engine)


def test_ctrl_c_while_the_commands_load_is_one_line(capsys, monkeypatch):
    def interrupted(only=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert main(["usage", "x.csv"]) == 130
    assert capsys.readouterr().err == "billing-model: interrupted\n"


def test_ctrl_c_while_reading_is_one_line(capsys, monkeypatch):
    import billing_model.io.sessions as iotools

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(iotools, "combine", interrupted)
    assert main(["usage", str(DATA / "zero_length.csv"), "--license", "pc2"]) == 130
    assert capsys.readouterr().err == "billing-model: interrupted\n"


@pytest.mark.parametrize(
    "args",
    [
        [
            "storage",
            "--calls-per-month",
            "100",
            "--avg-minutes",
            "5",
            "--start-date",
            "2026-01-01",
            "--months",
            "2",
            "--allowance-gb",
            "10",
            "--retention-days",
            "30",
            "--license-model",
            "concurent",
        ],
        ["usage", str(DATA / "zero_length.csv"), "--peak-rule", "cumulativ"],
        ["usage", str(DATA / "zero_length.csv"), "--engine", "dsak"],
        ["usage", str(DATA / "zero_length.csv"), "--format", "tabel"],
    ],
)
def test_choice_typos_are_refused(capsys, args):
    assert exit_code(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert any(typo in err for typo in ("concurent", "cumulativ", "dsak", "tabel"))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "as_of, expected",
    [
        (
            "2026-03-10T12:00:00Z",
            "open_presence.json: userDetails[0].primaryPresence[0]: open record "
            "starts at '2026-03-10T13:00:00.000Z', after --as-of; accepted: an "
            "--as-of at or after every open record's startTime",
        ),
        (
            "yesterday",
            "error: --as-of: 'yesterday' is not accepted; accepted: an ISO 8601 instant "
            "with an offset, e.g. 2026-03-10T18:00:00Z",
        ),
    ],
)
def test_bad_as_of_is_one_line(capsys, engine, as_of, expected):
    assert expected in usage_error(
        capsys, DATA / "open_presence.json", "--license", "pc2", "--as-of", as_of, engine=engine
    )


def test_sessions_from_columns_unify_ids_and_refuse_null_markers():
    from billing_model.io.sessions import sessions_from_columns

    s = sessions_from_columns(
        [" Bob", "bob ", "ann"], ["2026-03-10T13:00Z"] * 3, ["2026-03-10T14:00Z"] * 3, license="pc2"
    )
    assert s.user_ids.tolist() == ["Bob", "ann"] and s.user.tolist() == [0, 0, 1]
    for marker in ("NaN", "null", "None", "#N/A", "n/a"):
        with pytest.raises(
            BillingInputError,
            match=rf"^sessions: row 2, column 'user_id': "
            rf"'{marker}' is a null marker",
        ):
            sessions_from_columns(
                ["ann", marker], ["2026-03-10T13:00Z"] * 2, ["2026-03-10T14:00Z"] * 2, license="pc2"
            )
    with pytest.raises(
        BillingInputError,
        match=r"^sessions: row 2, column 'user_id': 'nan' is "
        r"a null marker",
    ):  # a float NaN in a list
        sessions_from_columns(
            ["ann", float("nan")],
            ["2026-03-10T13:00Z"] * 2,
            ["2026-03-10T14:00Z"] * 2,
            license="pc2",
        )


def test_workbook_usage_series_repeat_the_last_measured_period():
    # the Usage sheet fed the workbook's invoices from the last period with any data (April's
    # one night-shift user) while the invoices engine billed March's 21
    from billing_model.workbook.usage import session_data

    with pytest.warns(BillingWarning, match=PARTIAL):  # April: 6 hours of the night shift
        data = session_data(load_scenario(DATA / "one_month_quote.toml"))
    named = [v for (org, lic, col), v in data["series"].items() if col == "named_users"]
    assert [list(v) for v in named] == [[21] * 12]
