"""Hostile inputs to ``billing-model usage`` and friends: each gave a traceback or a wrong
number before its fix; each must stay one line and exit 2 (or the right number)."""

from __future__ import annotations

from pathlib import Path

import pytest

from billing_model.cli import main

DATA = Path(__file__).parent / "data"
ENGINES = ["numpy", "dask"]


def usage_error(capsys, *args) -> str:
    """The one line a bad input gives (exit 2, no traceback)."""
    code = main(["usage", *map(str, args)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


@pytest.mark.parametrize("engine", ENGINES)
def test_json_with_a_5000_digit_number_is_one_line(capsys, tmp_path, engine):
    # json.load raised ValueError (Python's 4300-digit limit): a traceback, exit 1
    file = tmp_path / "big.json"
    file.write_text('{"userDetails": [{"userId": "a", "primaryPresence": [{"startTime": '
                    '"2026-03-01T08:00:00Z", "endTime": "2026-03-01T09:00:00Z", "n": '
                    + "1" * 5000 + "}]}]}")
    err = usage_error(capsys, file, "--license", "pc2", "--engine", engine)
    assert err == (f"billing-model: error: {file}: not a user-details export (a number of "
                   "more than 4300 digits); accepted: the JSON of POST "
                   "/api/v2/analytics/users/details/query")


@pytest.mark.parametrize("value", ["2300-01-01T00:00:00Z", "1600-01-01T00:00:00Z"])
def test_as_of_in_a_year_out_of_range_says_so(capsys, value):
    # it said "not accepted; accepted: an ISO 8601 instant with an offset", which it is
    err = usage_error(capsys, DATA / "zero_length.csv", "--license", "pc2", "--as-of", value)
    assert err == (f"billing-model: error: --as-of: {value!r} is out of range; accepted: an "
                   "instant between the years 1678 and 2261 (check the year)")


def test_table_shows_control_characters_in_values_as_escapes(capsys, tmp_path):
    # an org name with a newline split its row in two; an ESC sequence reached the terminal
    file = tmp_path / "orgs.csv"
    file.write_text('user_id,start,end,org\n'
                    'a,2026-03-01T08:00:00Z,2026-03-01T09:00:00Z,"line\nbreak"\n'
                    'b,2026-03-01T08:00:00Z,2026-03-01T09:00:00Z,"tab\there\x1b[31m"\n')
    code = main(["usage", str(file), "--license", "pc2", "--timezone", "UTC"])
    out = capsys.readouterr().out
    assert code == 0
    assert "\x1b" not in out and "\t" not in out
    assert "│ line\\nbreak " in out
    assert "│ tab\\there\\x1b[31m " in out
