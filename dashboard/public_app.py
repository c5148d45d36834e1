"""Entry point of the public page «Việc làm thanh niên Cà Mau»: ``streamlit run dashboard/public_app.py``.

A separate app from the leaders' dashboard, with no login: it shows open job openings
and takes registrations, and never shows a job seeker's data.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Streamlit puts this file's folder on sys.path; the packages live one level up.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from dashboard.public.page import main  # noqa: E402

main()
