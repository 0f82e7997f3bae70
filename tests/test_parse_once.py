"""Parse at the boundary (issue #22): a command turns the order date and the billing time zone
into typed values once (a ``datetime.date``, a :class:`~billing_model.core.periods.Zone`), and
the engines take them as they are.

Counted with a profile hook on the parsers' code: a zone is parsed when
``periods._lookup_zone`` looks its name up; a date is checked when ``periods.to_date`` or
``validate.date`` reads it. Before this change one ``usage`` run looked its zone up 6 times and
checked its order date 8 times (the calendar and every anchor date again); one ``invoices`` run
of basic_contract.toml (a base and two variants) looked its zone up 4 times and checked the
order date 8 times.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import billing_model.core.schema  # noqa: F401  (its default zone is parsed on import, not here)
from billing_model.cli import main
from billing_model.core import periods, validate
from billing_model.workbook import SCENARIOS_DIR

PARSERS = {
    periods._lookup_zone.__code__: "zone",
    periods.to_date.__code__: "date",
    validate.date.__code__: "date",
}


@contextmanager
def counting(zone: str, order_date: dt.date) -> Iterator[Counter]:
    """How often the code run inside parses ``zone`` and checks ``order_date`` (text or a
    date)."""
    counts: Counter = Counter()

    def hook(frame, event, _arg):
        what = PARSERS.get(frame.f_code) if event == "call" else None
        if what == "zone" and str(frame.f_locals["name"]).strip() == zone:
            counts["zone"] += 1
        elif what == "date" and frame.f_locals["value"] in (order_date, order_date.isoformat()):
            counts["order_date"] += 1

    sys.setprofile(hook)
    try:
        yield counts
    finally:
        sys.setprofile(None)


def test_text_is_parsed_each_time_a_parsed_value_never():
    """The count sees every parse: text given to the engines is parsed where it arrives, each
    time; a Zone and a date are used as they are."""
    with counting("UTC", dt.date(2026, 3, 1)) as counts:
        periods.BillingCalendar("2026-03-01", "UTC").starts_ns([0, 1])
        periods.get_timezone(" UTC")
    assert counts == Counter(zone=2, order_date=1)
    zone = periods.parse_zone("UTC")
    with counting("UTC", dt.date(2026, 3, 1)) as counts:
        periods.BillingCalendar(dt.date(2026, 3, 1), zone).starts_ns([0, 1])
    assert counts == Counter()


def test_one_usage_run_parses_its_zone_and_order_date_once(capsys):
    with counting("Europe/Berlin", dt.date(2026, 3, 1)) as counts:
        assert (
            main(
                [
                    "usage",
                    str(SCENARIOS_DIR / "sample_sessions.csv"),
                    "--order-date",
                    "2026-03-01",
                    "--timezone",
                    "Europe/Berlin",
                    "--format",
                    "csv",
                ]
            )
            == 0
        )
    assert counts == Counter(zone=1, order_date=1)
    assert capsys.readouterr().out.count("\n") > 1  # it did count the sessions


def test_one_invoices_run_parses_its_zone_and_order_date_once(capsys):
    """basic_contract.toml has two variants: they reuse the base's parsed order date and
    zone, and the invoice engine takes both as parsed."""
    with counting("America/New_York", dt.date(2026, 1, 15)) as counts:
        assert (
            main(["invoices", str(SCENARIOS_DIR / "basic_contract.toml"), "--format", "csv"]) == 0
        )
    assert counts == Counter(zone=1, order_date=1)
    assert "2026-01-15" in capsys.readouterr().out
