#!/usr/bin/env bash
# Install the Debian packages the tests use: Chromium (browser tests) and
# LibreOffice Calc (round-trip check of provisioned workbooks). Needs root or sudo;
# without them the tests that need these programs are skipped with a reason.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "Not root and no sudo: skipping install of ${missing[*]}; tests that need them will be skipped." >&2
    exit 0
  fi
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
