"""Hostile inputs to ``billing-model usage`` and friends: each gave a traceback or a wrong
number before its fix; each must stay one line and exit 2 (or the right number)."""

from __future__ import annotations

import pytest

from billing_model.cli import main

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
