"""Excel functions (xlwings UDFs); the module is :mod:`udfs.billing_udfs` (``billing_udfs``)."""
