"""The limits table's typed accessors (``core/limits.py``): the engines' typed constants read a
row's bound as the type its kind holds, and a row of another kind is refused at import."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing_model.core.limits import LIMITS, Limit


@pytest.mark.parametrize("row", LIMITS.values(), ids=lambda row: row.key)
def test_every_bound_reads_as_the_type_of_its_kind(row: Limit):
    for field in ("minimum", "maximum"):
        value = getattr(row, field)
        if row.kind == "whole":
            got = row.whole(field)
            assert type(got) is int
        elif row.kind == "date":
            got = row.day(field)
            assert type(got) is dt.date
        elif isinstance(value, Decimal):
            got = row.exact(field)
        else:
            got = row.real(field)
            assert type(got) is float
        assert got == value


@pytest.mark.parametrize(
    ("key", "read", "field"),
    [
        ("periods", "day", "maximum"),  # a count is not a date
        ("order_date", "whole", "minimum"),  # nor a date a count
        ("price", "real", "maximum"),  # money is a Decimal, never a float
        ("calls_per_month", "exact", "maximum"),  # a quantity is a float
        ("avg_minutes", "whole", "maximum"),  # a decimal row, even of a whole value
        ("periods", "whole", "default"),  # no default: None is not a number
    ],
)
def test_a_bound_of_another_kind_is_refused(key, read, field):
    with pytest.raises(TypeError, match=f"{key}.{field} is"):
        getattr(LIMITS[key], read)(field)


def test_the_typed_defaults_are_the_rows():
    assert LIMITS["payment_terms_days"].whole("default") == 30
    assert LIMITS["min_minutes"].whole("default") == 30
    assert LIMITS["audio_mb_per_minute"].real("default") == pytest.approx(0.48)


@pytest.mark.parametrize(("maximum", "expected"), [(None, 240), (60, 60), (1000, 240)])
def test_capped_narrows_a_bound_never_widens_it(maximum, expected):
    assert LIMITS["periods"].capped(maximum) == expected


def test_a_date_cannot_be_capped_by_a_number():
    with pytest.raises(TypeError, match="order_date is a date"):
        LIMITS["order_date"].capped(5)
