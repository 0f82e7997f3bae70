"""Errors and warnings the user sees.

Every problem with the user's input is a :class:`BillingInputError` whose message is one line:
what was wrong, where (file, row, column, key, value) and what is accepted. The CLI prints it
and exits 2; the UDFs return it as the cell's text.
"""

from __future__ import annotations


class BillingInputError(ValueError):
    """Bad input: the message is one line saying what, where, and what is accepted."""


class BillingWarning(UserWarning):
    """Something the user should know that does not stop the computation."""
