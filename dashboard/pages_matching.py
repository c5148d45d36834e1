"""Staff page «Gợi ý kết nối việc làm»: openings for each seeker, seekers for each opening.

Mount it behind the dashboard's login and call ``render(account)``. A unit account
sees only its own unit's seekers (names and phones are personal data); openings of
every unit are shown, as on the public page. The tables export as .xlsx for the
monthly job session.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import matching
from sheets_schema.config import Config, load_config
from sheets_schema.schema import Schema, load_schema
from sync.registration import current_date
from sync.store import Store


def _seeker_units(account: Any) -> tuple[str, ...] | None:
    """Units whose seekers the account may see (None: every unit). Reads ``personal_units``
    when the account has it, else the role and unit."""
    if hasattr(account, "personal_units"):
        return account.personal_units
    return None if getattr(account, "role", None) == "province" else (getattr(account, "unit", None) or "",)


def render(account: Any, config: Config | None = None, schema: Schema | None = None,
           store_path: Path | str | None = None, today: dt.date | None = None, limit: int = 5,
           show_header: bool = True) -> None:
    """Draw the matching page for ``account`` (an object with ``role`` and ``unit``)."""
    config = config or load_config()
    schema = schema or load_schema()
    today = today or current_date(config.timezone)
    path = Path(store_path or config.store_path)
    if show_header:
        st.header("Gợi ý kết nối việc làm")
    st.caption(f"Tính theo số liệu đồng bộ gần nhất, ngày {today.strftime('%d/%m/%Y')}. Chỉ gợi ý tin tuyển dụng "
               "còn hạn, không có lỗi, đúng nhu cầu (việc làm, học nghề, xuất khẩu lao động) và đáp ứng "
               "trình độ tối thiểu; ưu tiên cùng địa bàn, địa bàn giáp ranh và ngành nghề gần với mong muốn.")
    if not path.exists():
        st.info("Chưa có số liệu đồng bộ. Đề nghị chạy đồng bộ trước khi xem gợi ý.")
        return
    with Store(path) as store:
        openings = matching.open_openings(store.rows(tab="job_openings"), today)
        seekers = matching.active_seekers(store.rows(tab="job_seekers"), _seeker_units(account))
    ctx = matching.context_from_config(config, schema)
    by_seeker, by_opening = matching.match_all(seekers, openings, ctx, limit)
    seeker_lines = matching.seeker_table(by_seeker, seekers, ctx)
    opening_lines = matching.opening_table(by_opening, openings, ctx)

    first, second = st.columns(2)
    first.metric("Thanh niên đang tìm việc", len(seekers))
    second.metric("Tin tuyển dụng còn hạn", len(openings))
    by_seeker_tab, by_opening_tab = st.tabs(["Theo thanh niên", "Theo tin tuyển dụng"])
    with by_seeker_tab:
        if not seekers:
            st.info("Không có thanh niên nào đang ở tình trạng «Đang tìm».")
        else:
            st.dataframe(pd.DataFrame(seeker_lines, columns=list(matching.SEEKER_TABLE_HEADERS)),
                         hide_index=True, width="stretch")
    with by_opening_tab:
        if not openings:
            st.info("Không có tin tuyển dụng nào còn hạn.")
        else:
            st.dataframe(pd.DataFrame(opening_lines, columns=list(matching.OPENING_TABLE_HEADERS)),
                         hide_index=True, width="stretch")
    st.download_button("Tải bảng gợi ý (.xlsx)", data=matching.export_xlsx(seeker_lines, opening_lines),
                       file_name=f"goi-y-ket-noi-viec-lam-{today.isoformat()}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/download:")
