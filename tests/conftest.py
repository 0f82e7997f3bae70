"""Shared fixtures: LibreOffice headless for the workbook tests.

The workbook tests recalculate generated workbooks in LibreOffice (``soffice``). They must run in
CI, never skip: when LibreOffice is missing the fixture fails with how to install it.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def soffice() -> str:
    """Path of ``soffice``; fails (does not skip) when LibreOffice is not installed."""
    from billing_model.io.libreoffice import RecalcError, find_soffice

    try:
        return find_soffice()
    except RecalcError as exc:
        pytest.fail(f"{exc} -- the workbook tests need it (make test installs it)", pytrace=False)
