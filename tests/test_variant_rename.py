"""A variant's formulas read the variant's names: ``variant_inputs.rename`` against a slow
reference (each token of the formula looked up by a Python callback, as ``rename`` was written
before one regular expression of the names replaced it, issue #17)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from billing_model.workbook.variant_inputs import rename

_TOKEN = re.compile(r"(?<![\w.$!'])([A-Za-z_][\w.]*)(?![\w.(!'])")


def slow_rename(formula: str, names: set[str], prefix: str) -> str:
    """Every token outside quotes that is a name, prefixed."""
    parts = formula.split('"')
    for i in range(0, len(parts), 2):
        parts[i] = _TOKEN.sub(lambda m: prefix + m[1] if m[1] in names else m[1], parts[i])
    return '"'.join(parts)


NAMES = {"Rate", "RateCap", "Ramp.Months", "_Term", "A1x", "Channel"}
CASES = [
    # (formula, expected)
    ("=Rate*2", "=V1_Rate*2"),
    ("=RateCap+Rate", "=V1_RateCap+V1_Rate"),
    ('=IF(Channel="Rate",Rate,"")', '=IF(V1_Channel="Rate",V1_Rate,"")'),
    ("=Rate(1)+RATE(2)", "=Rate(1)+RATE(2)"),  # a function, not a name
    ("=Rate!A1+'Rate'!B2", "=Rate!A1+'Rate'!B2"),  # sheets
    ("=$Rate+Rate2+xRate+Rate.x+x.Rate", "=$Rate+Rate2+xRate+Rate.x+x.Rate"),  # parts of tokens
    ("=Ramp.Months+_Term+A1x", "=V1_Ramp.Months+V1__Term+V1_A1x"),
    ('="a""Rate"""&Rate', '="a""Rate"""&V1_Rate'),  # doubled quotes inside text
    ("=SUM(Rate:RateCap)", "=SUM(V1_Rate:V1_RateCap)"),
]


def test_rename_prefixes_whole_name_tokens_outside_text():
    for formula, expected in CASES:
        assert rename(formula, NAMES, "V1_") == expected, formula
        assert slow_rename(formula, NAMES, "V1_") == expected, formula
    assert rename("=Rate+1", set(), "V1_") == "=Rate+1"
    assert rename("=Rate+1", {"Rate", "no name"}, "V\\2_") == "=V\\2_Rate+1"


_PIECES = st.sampled_from(
    sorted(NAMES)
    + ["Rate(", "Rate!", "'", '"', "$", ".", "_", "x", "2", "+", ",", "(", ")", ":", " ", "é"]
)


@given(st.lists(_PIECES, max_size=14).map("".join))
def test_rename_equals_the_slow_reference(body):
    formula = "=" + body
    assert rename(formula, NAMES, "V1_") == slow_rename(formula, NAMES, "V1_")
