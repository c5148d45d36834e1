"""Gợi ý kết nối việc làm: openings ranked for each seeker still looking, for staff only."""

from dashboard import ui
from dashboard.pages_matching import render

ui.page_header("Gợi ý kết nối việc làm")
render(ui.account(), config=ui.config(), show_header=False)
