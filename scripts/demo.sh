#!/usr/bin/env bash
# Run the product on the embedded default (a folder of .xlsx workbooks, no account,
# no network): create the demo workbooks, run one sync, start the dashboard.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/setup.sh
PORT="${KETNOI_PORT:-8501}"

.venv/bin/python -m sheets_schema provision --demo
.venv/bin/python -m sync run
echo
echo "Bảng điều khiển: http://localhost:${PORT}  (dừng bằng Ctrl+C)"
echo "Dashboard: http://localhost:${PORT}  (stop with Ctrl+C)"
exec .venv/bin/python -m streamlit run dashboard/app.py --server.address localhost --server.port "$PORT" \
  --server.headless true --browser.gatherUsageStats false
