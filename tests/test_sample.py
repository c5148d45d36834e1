"""The visible sample workbook scores every check through the command line."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT, SHARED


def test_sample_scores_all_checks(sample_path, tmp_path):
    out = tmp_path / "out.json"
    with open(out, "w", encoding="utf-8") as fh:
        run = subprocess.run([sys.executable, "-m", "sync", "validate", str(sample_path), "--json"],
                             cwd=REPO_ROOT, stdout=fh, stderr=subprocess.PIPE, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    score = subprocess.run([sys.executable, str(SHARED / "samples" / "score.py"),
                            str(SHARED / "samples" / "expected.json"), str(out)],
                           capture_output=True, text=True, timeout=120)
    print(score.stdout)
    assert score.stdout.strip().splitlines()[-1] == "58 passed, 0 failed"
