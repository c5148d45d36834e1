"""The benchmark runs end to end at a tiny size and prints its table (no timings are checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_bench_tiny_prints_table(tmp_path):
    results = tmp_path / "RESULTS.md"
    done = subprocess.run([sys.executable, "-m", "bench", "--tiny", "--skip-dashboard", "--results", str(results)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "## 1. Normalise + validate, all 12 tabs" in done.stdout
    assert "| 2,000 |" in done.stdout
    assert "### .xlsx backend" in done.stdout
    assert "| first run |" in done.stdout
    assert "## 3. pandera on the same clean rows" in done.stdout
    assert results.read_text(encoding="utf-8") in done.stdout
