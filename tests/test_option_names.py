"""A message names the option its reader typed (issue #22): the command line's flag
(``--other-clients``), a scenario table's key (``usage.other_clients``), the Python API's
parameter (``other_clients``). The same bad data read three ways gives three spellings, and
never another's: a scenario user never typed ``--other-clients``."""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path

import pytest

from billing_model.cli import main
from billing_model.core.errors import BillingInputError
from billing_model.io.sessions import read_sessions
from billing_model.service import load_scenario

CORE = Path(__file__).resolve().parents[1] / "billing_model" / "core"

CONTRACT = """[contract]
order_date = 2026-03-01
currency = "USD"
billing_timezone = "UTC"
license = "pc2"
committed_users = 0
prepay_rate = 115.00
term_months = 1
"""

#: each spelling of each option, by who typed it
SPELLINGS = {
    "flag": ("--other-clients", "--other-presence", "--as-of"),
    "usage": ("usage.other_clients", "usage.other_presence"),
    "org": ("org[1].other_clients", "org[1].other_presence"),
}


def _cli_error(capsys, *args: str) -> str:
    assert main(["usage", *args]) == 2
    return capsys.readouterr().err.strip()


def _scenario_error(tmp_path: Path, table: str) -> str:
    (tmp_path / "s.toml").write_text(CONTRACT + table, encoding="utf-8")
    with pytest.raises(BillingInputError) as caught:
        load_scenario(tmp_path / "s.toml")
    return str(caught.value)


def _others(text: str, own: str) -> list[str]:
    """The spellings in ``text`` that belong to another user than ``own``."""
    return [s for who, names in SPELLINGS.items() if who != own for s in names if s in text]


@pytest.fixture
def kiosk(tmp_path: Path) -> Path:
    """A session file with a client in neither list (refused unless other_clients says)."""
    path = tmp_path / "kiosk.csv"
    path.write_text(
        "user_id,start,end,license,client\nann,2026-03-05T08:00Z,2026-03-05T09:00Z,pc2,kiosk\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def lunch(tmp_path: Path) -> Path:
    """A user-details export with a presence outside the vendor's ten, one record still open."""
    path = tmp_path / "lunch.json"
    path.write_text(
        '{"userDetails": [{"userId": "ann", "primaryPresence": ['
        '{"startTime": "2026-03-05T08:00:00Z", "endTime": "2026-03-05T09:00:00Z", '
        '"systemPresence": "LUNCH"}, '
        '{"startTime": "2026-03-05T10:00:00Z", "systemPresence": "AVAILABLE"}]}]}',
        encoding="utf-8",
    )
    return path


def test_an_unknown_client_names_the_flag_the_key_or_the_parameter(capsys, tmp_path, kiosk):
    cli = _cli_error(capsys, str(kiosk))
    assert "or say what the others are with --other-clients billable|not-billable" in cli
    assert _others(cli, "flag") == []

    usage = _scenario_error(tmp_path, f'[usage]\nsessions = "{kiosk.name}"\n')
    assert "usage.other_clients = 'billable' or 'not-billable'" in usage
    assert _others(usage, "usage") == []

    org = _scenario_error(
        tmp_path, f'[usage]\nusers = [1]\n[[org]]\nname = "dev"\nsessions = "{kiosk.name}"\n'
    )
    assert "org[1].other_clients = 'billable' or 'not-billable'" in org
    assert _others(org, "org") == []

    with pytest.raises(BillingInputError, match=r"with other_clients = 'billable' or") as caught:
        read_sessions(kiosk)
    assert _others(str(caught.value), "parameter") == []


def test_an_unknown_presence_names_the_flag_or_the_key(capsys, tmp_path, lunch):
    cli = _cli_error(capsys, str(lunch), "--license", "pc2")
    assert "unknown presence 'LUNCH' (1 record)" in cli
    assert cli.endswith("--other-presence logged-in|offline")
    assert _others(cli, "flag") == []

    usage = _scenario_error(tmp_path, f'[usage]\nsessions = "{lunch.name}"\n')
    assert usage.endswith("usage.other_presence = 'logged-in' or 'offline'")
    assert _others(usage, "usage") == []


def test_an_open_record_offers_as_of_only_where_it_can_be_given(capsys, tmp_path, lunch):
    """The command line has --as-of; a scenario has no such key: its warning offers none."""
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert main(["usage", str(lunch), "--license", "pc2", "--other-presence", "offline"]) == 0
    assert "in the export (give --as-of to say))" in capsys.readouterr().err
    (tmp_path / "s.toml").write_text(
        CONTRACT + f'[usage]\nsessions = "{lunch.name}"\nother_presence = "offline"\n',
        encoding="utf-8",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_scenario(tmp_path / "s.toml")
    opened = [str(w.message) for w in caught if "no endTime" in str(w.message)]
    assert len(opened) == 1
    assert opened[0].endswith("(the latest start or end in the export)")
    assert "as-of" not in opened[0] and "as_of" not in opened[0]


def test_a_session_starting_after_as_of_names_the_flag_or_the_parameter(capsys, kiosk):
    args = [str(kiosk), "--other-clients", "billable", "--as-of", "2026-03-01T00:00Z"]
    cli = _cli_error(capsys, *args)
    assert "is after --as-of 2026-03-01T00:00:00Z" in cli
    with pytest.raises(BillingInputError, match=r"is after as_of 2026-03-01T00:00:00Z"):
        read_sessions(kiosk, other_clients="billable", as_of="2026-03-01T00:00Z")


def test_a_blank_region_cell_offers_the_scenario_key(tmp_path):
    (tmp_path / "r.csv").write_text(
        "user_id,start,end,license,region\nann,2026-03-05T08:00Z,2026-03-05T09:00Z,pc2, \n",
        encoding="utf-8",
    )
    usage = _scenario_error(tmp_path, '[usage]\nsessions = "r.csv"\n')
    assert "column 'region': is blank; accepted: a region on every row (or give usage.region" in (
        usage
    )


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_region_is_refused_once_by_the_reader_naming_the_flag_or_the_key(
    capsys, tmp_path, kiosk, blank
):
    """The scenario checks the key's type and passes the value on; the session reader trims
    it and refuses a blank one, for the command line and the scenario alike."""
    accepted = "is blank; accepted: a name that is not only spaces, e.g. us-east-1"
    cli = _cli_error(capsys, str(kiosk), "--region", blank)
    assert cli == f"billing-model: error: --region: {blank!r} {accepted} (or leave --region out)"
    usage = _scenario_error(tmp_path, f'[usage]\nsessions = "{kiosk.name}"\nregion = "{blank}"\n')
    assert usage == f"s.toml: usage.region: {blank!r} {accepted} (or leave usage.region out)"


#: a command-line flag inside a string: ``--as-of``, not ``a -- b`` nor the ``"--"`` prefix
FLAG = re.compile(r"(?<![\w-])--[a-z]")


def flags_in_strings(source: str) -> list[str]:
    """The string constants of ``source`` (f-string parts included, docstrings not) that name a
    command-line flag."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and FLAG.search(node.value)
    ]


def test_no_core_message_names_a_flag():
    """The core is below every boundary: it names options as its caller spells them."""
    found = {
        p.name: hits
        for p in sorted(CORE.glob("*.py"))
        if (hits := flags_in_strings(p.read_text(encoding="utf-8")))
    }
    assert len(list(CORE.glob("*.py"))) > 20
    assert found == {}


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ('raise E(f"{x}: or pass --as-of to say")', [": or pass --as-of to say"]),
        ('m = "say it with --other-clients billable"', ["say it with --other-clients billable"]),
        ('def f():\n    """Like ``--as-of``."""\n    return "--" + name', []),
        ('m = "a -- b, x--y"', []),
    ],
)
def test_a_flag_in_a_message_is_caught(source, found):
    assert flags_in_strings(source) == found
