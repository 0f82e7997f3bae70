"""The xlwings UDF module ``billing_udfs``: the Excel functions of :mod:`billing_model.udfs`.

The classic xlwings add-in imports the module named in ``UDF Modules`` from its ``PYTHONPATH``:
``billing_udfs`` from this folder. The functions themselves live in the package (installed with
it, so no top-level ``udfs`` package goes into site-packages); this file only brings them here,
where xlwings looks for them and the VBA wrapper calls them (docs/excel-functions.md).
"""

# every BM_ function and EXCEL_FUNCTIONS: billing_model.udfs.__all__ lists them
from billing_model.udfs import *  # noqa: F403
