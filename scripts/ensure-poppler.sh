#!/bin/sh
# Install poppler-utils (pdftotext, pdftoppm) when `pdftotext` is missing.
# The quote tests read the PDFs `billing-model quote` writes with pdftotext; they must run, not skip.
set -e
if command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1; then
    exit 0
fi
echo "poppler-utils (pdftotext, pdftoppm) not found: installing poppler-utils ..." >&2
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "error: pdftotext is missing and this user cannot install packages;" \
             "install the Debian package poppler-utils" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends poppler-utils >/dev/null
command -v pdftotext >/dev/null 2>&1
