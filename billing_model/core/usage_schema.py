"""The session options of a scenario's ``[usage]`` and ``[[org]]`` tables, declared once (issue
#22) with the contract's :class:`~billing_model.core.schema.Field`: the keys that say how a
``sessions`` file is read and counted. The readers:

- the TOML loader (:mod:`billing_model.io.scenario`, :mod:`billing_model.io.scenario_sessions`):
  the keys a table accepts, which apply only with ``sessions``, parsing (:meth:`Field.parse`)
  and defaults;
- the messages of the session reader (:func:`scenario_keys`: a scenario user is offered the
  keys declared here, never a flag);
- the table of session options in ``docs/invoices.md`` (``tests/test_schema.py`` checks it is
  :func:`docs_table`'s output).

Examples
--------
>>> FIELDS["peak_rule"].default, FIELDS["peak_rule"].accepted()
('cumulative', 'cumulative, contiguous')
>>> scenario_keys("org[2]").setting("other_clients", FIELDS["other_clients"].choices)
"org[2].other_clients = 'billable' or 'not-billable'"
"""

from __future__ import annotations

from .concurrency import DEFAULT_MIN_MINUTES, DEFAULT_PEAK_RULE, PEAK_RULES
from .contract import AFTER_DATA
from .schema import Field
from .sessions import OTHER_CLIENTS, OTHER_PRESENCE, OptionNames

#: the session options, in the docs' order
SESSION_FIELDS: tuple[Field, ...] = (
    Field(
        "input_timezone",
        "zone",
        "Input time zone",
        "",
        "IANA zone of timestamps written without an offset (refused otherwise)",
        "",
        "docs/usage.md#input",
    ),
    Field(
        "peak_rule",
        "choice",
        "Peak rule",
        "",
        "`cumulative` (the vendor's: `min_minutes` in total) or `contiguous` (that many "
        "consecutive minutes)",
        "",
        "docs/rules.md#concurrency",
        default=DEFAULT_PEAK_RULE,
        choices=PEAK_RULES,
    ),
    Field(
        "min_minutes",
        "whole",
        "Minutes of a peak",
        "minutes",
        "minutes a concurrent peak must hold to be billable",
        "",
        "docs/rules.md#concurrency",
        default=DEFAULT_MIN_MINUTES,
        limit="min_minutes",
    ),
    Field(
        "after_data",
        "choice",
        "After the data",
        "",
        "what periods after the data hold: `zero` users or `repeat-last` (the last *measured* "
        "billed period, one the data covers at least half of, carries on into every later "
        "period, a partial one included: a quote from one measured month; a measured period in "
        "which nobody logged in is 0 users and stays 0; refused when no billed period is "
        "measured, e.g. data wholly before or after them). Without it such periods count 0 "
        "users and a warning names them ([rules](rules.md#after-the-data))",
        "",
        "docs/rules.md#after-the-data",
        choices=AFTER_DATA,
    ),
    Field(
        "other_clients",
        "choice",
        "Other clients",
        "",
        "what client values outside the documented lists are; default refused (see "
        "[usage](usage.md))",
        "",
        "docs/rules.md#not-billable",
        choices=OTHER_CLIENTS,
    ),
    Field(
        "other_presence",
        "choice",
        "Other presence",
        "",
        "what a JSON export's `systemPresence` outside the ten documented values is; default "
        "refused",
        "",
        "docs/rules.md#session-data",
        choices=OTHER_PRESENCE,
    ),
    Field(
        "region",
        "text",
        "Region",
        "",
        "the region of rows without a `region` column or cell (the command line's region "
        "option): concurrent peaks are never pooled across regions, and an org in two regions "
        "under the concurrent model is refused ([rules](rules.md#orgs-and-regions))",
        "",
        "docs/rules.md#orgs-and-regions",
        missing="a region's name as text (e.g. 'us-east-1')",
    ),
)
#: key -> :class:`~billing_model.core.schema.Field`
FIELDS: dict[str, Field] = {f.key: f for f in SESSION_FIELDS}
#: the session option keys, which apply only with ``sessions``
SESSION_KEYS: tuple[str, ...] = tuple(FIELDS)


def scenario_keys(table: str) -> OptionNames:
    """How messages name the options of the scenario table ``table`` (``"usage"``,
    ``"org[2]"``): its keys, and only those declared here (a scenario has no ``as_of``)."""
    return OptionNames("key", table, frozenset(SESSION_KEYS))


def docs_table() -> str:
    """The Markdown table of session options in ``docs/invoices.md`` (a test keeps the docs
    equal to it)."""
    rows = ["| key | accepted | default | meaning |", "|---|---|---|---|"]
    for f in SESSION_FIELDS:
        accepted = "/".join(f"`{c}`" for c in f.choices) if f.kind == "choice" else f.accepted()
        default = "" if f.default is None else f"`{f.default}`"
        rows.append(f"| `{f.key}` | {accepted} | {default or ' '} | {f.help} |")
    return "\n".join(rows)


__all__ = ["FIELDS", "SESSION_FIELDS", "SESSION_KEYS", "docs_table", "scenario_keys"]
