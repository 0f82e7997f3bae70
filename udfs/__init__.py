"""The folder xlwings' ``PYTHONPATH`` names: ``billing_udfs`` imports :mod:`billing_model.udfs`."""
