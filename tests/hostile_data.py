"""The hostile contract of tests/test_hostile_output.py and tests/test_hostile_places.py: user
text a table, a CSV, a chart or a terminal could misread (markup, formulas, sheet references)."""

from __future__ import annotations

from billing_model.workbook import SCENARIOS_DIR

SESSIONS = SCENARIOS_DIR / "sample_sessions.csv"
FORMULA_NAME = "=cmd|' /C calc'!A0"

SCENARIO = """\
[contract]
order_date = 2026-04-15
currency = "USD"
license_model = "named"
license = "pc1"
committed_users = 20
prepay_rate = 75.00
overage_rate = 82.50
ramp_months = 1
ramp_policy = "actual-usage"
term_months = 3
payment_terms_days = 30

[usage]
users = [10, 20, 22, 25, 26]

[[one_time]]
description = "Headsets [red]EU[/red] bundle"
amount = 300

[[one_time]]
description = "=HYPERLINK(\\"http://example.com\\",\\"x\\") [/]"
amount = 200

[[variant]]
name = "v2"
ramp_months = 0

[[variant]]
name = "[red]v2"
ramp_months = 2

[[variant]]
name = "[/]"
prepay_rate = 70

[[variant]]
name = "=cmd|' /C calc'!A0"
prepay_rate = 71

[[variant]]
name = "Q1!B2 plan"
prepay_rate = 72
"""
