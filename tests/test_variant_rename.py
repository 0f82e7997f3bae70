"""A variant's formulas read the variant's names: ``variant_inputs.rename`` prefixes a name
where it is a whole token outside text, and nowhere else.

Issue #17 tried one regular expression of the names instead of the token callback (flat, then
per formula's names): on finance_ramp_study's 63,000 formulas it took 0.6-1.0 s against the
callback's 0.37 s, so the callback stays; these cases hold any rewrite to the same result."""

from __future__ import annotations

from billing_model.workbook.variant_inputs import rename

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
    ("=IFERROR(RateCap,Rate.x)+RateCapital", "=IFERROR(V1_RateCap,Rate.x)+RateCapital"),  # whole
]


def test_rename_prefixes_whole_name_tokens_outside_text():
    for formula, expected in CASES:
        assert rename(formula, NAMES, "V1_") == expected, formula
    assert rename("=Rate+1", set(), "V1_") == "=Rate+1"
    assert rename("=Rate+1", {"Rate", "no name"}, "V\\2_") == "=V\\2_Rate+1"


def test_prefixed_names_shares_renamed_formulas_between_variants():
    """prefixed_names keeps each formula's renaming for the next variant (a shared dict): each
    variant's sheet reads its own names, as rename gives them one by one."""
    from billing_model.workbook.layout import Book
    from billing_model.workbook.variant_inputs import prefixed_names

    book = Book(sheets=[])
    base = book.add_sheet("Inputs")
    for name in ("Rate", "Channel", "V1_Rate", "V1_Channel", "V2_Rate", "V2_Channel"):
        book.name(name, base, 1, 1)
    formulas = [f for f, _expected in CASES] + ["=Rate*$B$4", "=Rate*$B$4", '="x"&Channel']
    renamed: dict = {}
    for prefix in ("V1_", "V2_"):
        sheet = book.add_sheet(prefix + "grid")
        with prefixed_names(book, sheet, prefix, renamed):
            for row, formula in enumerate(formulas, start=1):
                sheet.put(row, 1, formula)
            book.name("Total", sheet, 1, 1)  # defined by the builder: read as the variant's
        sheet.put(len(formulas) + 1, 1, "=Total")  # after the block: not renamed
        names = {"Rate", "Channel", "Total"}
        for row, formula in enumerate(formulas, start=1):
            assert sheet.value(row, 1) == rename(formula, names, prefix), (prefix, formula)
        assert prefix + "Total" in book.names
    assert len(renamed) == 1  # one set of names, one table of formulas for both variants
