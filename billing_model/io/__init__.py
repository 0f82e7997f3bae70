"""Every boundary: files, TOML, Excel cells, LibreOffice."""
