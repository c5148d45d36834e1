#!/usr/bin/env bash
# Create .venv and install the pinned Python packages (skipped when requirements.txt
# is unchanged since the last install). Sourced by demo.sh and test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON_BIN="${PYTHON:-}"
if [ -z "$PYTHON_BIN" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then PYTHON_BIN="$candidate"; break; fi
  done
fi
if [ -z "$PYTHON_BIN" ]; then
  echo "Python 3.11 is required but was not found on PATH." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "Creating virtual environment in .venv with $PYTHON_BIN"
  "$PYTHON_BIN" -m venv .venv
fi

wanted="$(sha256sum requirements.txt | cut -d' ' -f1)"
installed="$(cat .venv/.requirements.sha256 2>/dev/null || true)"
if [ "$wanted" != "$installed" ]; then
  echo "Installing Python packages from requirements.txt"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
  echo "$wanted" > .venv/.requirements.sha256
fi
