"""What tests/test_silent_answers.py and tests/test_silent_answers_reading.py share: the engines
they run, a scenario file over a few session rows, the Usage sheet's column, and a decorator for
tests whose short data is not what they check."""

from __future__ import annotations

import functools
import warnings

from billing_model.core.errors import BillingWarning

ENGINES = ["numpy", "dask"]


def PARTIAL_DATA(test):  # noqa: N802 - reads as a mark
    """Ignore the partial-period warning of a test's short data where it is not what the test
    checks (test_real_exports and the coverage tests of test_silent_answers assert it). A mark
    cannot: a test module's "always" (its ``pytestmark``) is applied after a test's own marks."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "sessions: the data runs from", BillingWarning)
            return test(*args, **kwargs)

    return run


CONTRACT = (
    '[contract]\norder_date = {order}\nlicense = "pc2"\ncommitted_users = 0\n'
    'prepay_rate = 100\nterm_months = {term}\n[usage]\nsessions = "s.csv"\n'
)


def scenario_file(tmp_path, rows: str, *, order: str, term: int, extra: str = ""):
    (tmp_path / "s.csv").write_text("user_id,start,end,license,client\n" + rows)
    path = tmp_path / "q.toml"
    path.write_text(CONTRACT.format(order=order, term=term) + extra)
    return path


def usage_column(book, header: str) -> list:
    """The values (or the stored results of formulas) under a header of the Usage sheet."""
    sheet = book.sheet("Usage")
    col = next(c for (r, c), cell in sheet.cells.items() if r == 4 and cell.value == header)
    rows = sorted(r for (r, c) in sheet.cells if c == col and r > 4)
    return [
        sheet.cells[(r, col)].result
        if sheet.cells[(r, col)].formula is not None
        else sheet.cells[(r, col)].value
        for r in rows
    ]


#: one session wholly in March
ONE_IN_MARCH = "ann,2026-03-01T14:00:00Z,2026-03-20T22:00:00Z,pc2,desktop\n"
