"""Every boundary: session files and Arrow tables, scenario files, Excel cells for the UDFs,
files written atomically, LibreOffice.

I/O turns files, TOML and Excel cells into typed, validated values once and hands them to
:mod:`billing_model.core`; it never imports the workbook, the commands or the CLI.
"""
