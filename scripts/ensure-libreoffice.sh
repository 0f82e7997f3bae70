#!/bin/sh
# Install LibreOffice Calc (Debian package libreoffice-calc) when `soffice` is missing.
# The workbook tests recalculate generated workbooks in it; they must run, not skip.
set -e
if command -v soffice >/dev/null 2>&1; then
    exit 0
fi
echo "LibreOffice (soffice) not found: installing libreoffice-calc ..." >&2
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "error: soffice is missing and this user cannot install packages;" \
             "install the Debian package libreoffice-calc" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends libreoffice-calc >/dev/null
command -v soffice >/dev/null 2>&1
