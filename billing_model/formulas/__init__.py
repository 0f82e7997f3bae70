"""Excel twins of the engines' rules: formula text over the workbook's defined names.

Each module mirrors the engine of the same name (``formulas/money.py`` is the twin of
``billing_model/core/money.py``) and each function names the engine function it computes. They are
pure: expressions (defined names, cell addresses or formula text) in, formula text out, without
the leading ``=`` so they nest; sheet code (:mod:`billing_model.workbook`) only places cells and
calls them. ``tests/test_formulas.py`` recalculates every twin in LibreOffice against its engine
on one grid of cases that includes every row of the currency, license and fair-use tables.

Defined names the twins read (written by :mod:`billing_model.workbook.sources` from the engines'
tables): ``CurrencyCodes``/``CurrencyDecimals``, ``LicenseKeys``/``LicenseLabels``,
``FairUseKey``/``FairUseStorageGB``/``FairUseIvrMinutes``/``FairUseApiRequests``. Inputs they
default to: ``OrderDate``, ``Currency``, ``MoneyDecimals``, ``RampMonths``, ``Periods``,
``RampPolicy``, ``PaymentTermsDays``, ``Channel``.
"""
