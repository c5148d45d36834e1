#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine, then run the whole suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k sync -x`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/setup.sh
bash scripts/system-packages.sh
mkdir -p test-artifacts

set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests" >&2
  exit 1
fi
exit "$status"
