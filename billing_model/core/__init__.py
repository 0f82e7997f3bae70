"""The pure core: rules as data, defined once, imported by the engines, the workbook and the I/O.

:mod:`billing_model.core.limits` holds every numeric input's limits and default with its reason.
Nothing here imports another part of the package, so any module may import it.
"""
