#!/bin/sh
# Install a Debian package when one of the commands it brings is missing:
#   sh scripts/ensure-package.sh PACKAGE COMMAND [COMMAND ...]
# `make test` installs LibreOffice Calc (the workbook tests recalculate in it) and poppler-utils
# (the quote tests read the PDFs with pdftotext) this way: those tests must run, not skip.
set -e
package=$1
shift
missing=""
for command in "$@"; do
    command -v "$command" >/dev/null 2>&1 || missing="$missing $command"
done
[ -n "$missing" ] || exit 0
echo "$package (${missing# }) not found: installing $package ..." >&2
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "error:$missing missing and this user cannot install packages;" \
             "install the Debian package $package" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "$package" >/dev/null
for command in "$@"; do
    command -v "$command" >/dev/null 2>&1
done
