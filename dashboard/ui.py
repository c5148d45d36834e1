"""Streamlit glue shared by the pages: configuration, cached data, login, filters, tables.

Page scripts call these helpers and the metric functions; they compute nothing themselves.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import streamlit as st

from dashboard import auth
from dashboard.data import Snapshot, filter_months, latest_run_id, load_snapshot, programme_months
from dashboard.formatting import (format_date, format_datetime, format_month, format_money, format_number,
                                  format_percent, format_short_month, mask_id, mask_id_numbers_in_text)
from dashboard.metrics import Scope, tab_index
from sheets_schema import Config, load_config, load_schema

SESSION_USER = "auth_user"
STRAND_PARAM_VALUES = ("school", "jobs", "housing", "outreach", "resources")


# ------------------------------------------------------------------ configuration and data


@st.cache_resource
def config() -> Config:
    return load_config()


@st.cache_resource(max_entries=2, show_spinner=False)
def _snapshot(store_path: str, run_id: int) -> Snapshot:
    """Load the snapshot once per sync run; every session and page shares the same object.

    Callers must never mutate it (its frames, dicts or attributes): filter, ``assign`` or
    copy instead. ``st.cache_resource`` returns the object itself, unlike ``st.cache_data``,
    which unpickles a copy on every access (about 0.1–0.2 s at 300,000 rows).
    """
    # run_id is only the cache key: a new sync run loads a new snapshot without a restart.
    return load_snapshot(store_path)


def snapshot() -> Snapshot:
    """Return the snapshot of the latest sync run (cached per run id)."""
    path = str(config().store_path)
    run_id = latest_run_id(path)
    # st.spinner appears only after 0.5 s, so a cached snapshot shows no spinner.
    with st.spinner("Đang tải số liệu…"):
        return _snapshot(path, run_id)


def _prepare_first_page() -> None:
    """Load the snapshot, index its tabs and import the chart module while the login form is on screen.

    The login script run calls this after the form has been sent, so the user types
    while it runs and the first page after login finds both ready. Nothing reaches the
    browser: the snapshot stays in the server's cache until a logged-in page reads it.
    """
    importlib.import_module("dashboard.charts")
    path = str(config().store_path)
    data = _snapshot(path, latest_run_id(path))
    # The metric functions' row indexes live as long as the snapshot. Building them took 0.06 s
    # at 300,000 rows (bench.dashboard_bench store, 2 CPUs), so the first page need not wait for it.
    for frame in data.tabs.values():
        tab_index(frame)


@st.cache_data(max_entries=512, show_spinner=False)
def _metric(qualified_name: str, store_path: str, run_id: int, units: tuple[str, ...] | None,
            months: tuple[str, ...] | None, extra: tuple[Any, ...]) -> Any:
    module_name, function_name = qualified_name.rsplit(".", 1)
    function: Callable[..., Any] = getattr(importlib.import_module(f"dashboard.{module_name}"), function_name)
    data = _snapshot(store_path, run_id)
    parameters = list(inspect.signature(function).parameters)
    leading = (data, config()) if parameters[1:2] == ["config"] else (data,)
    return function(*leading, *extra, scope=Scope(units=units, months=months))


def metric(qualified_name: str, scope: Scope, *extra: Any) -> Any:
    """Compute ``module.function(snapshot, config, *extra, scope=scope)``, cached per sync run and arguments."""
    path = str(config().store_path)
    return _metric(qualified_name, path, latest_run_id(path), scope.units, scope.months, tuple(extra))


def unit_names() -> dict[str, str]:
    return {unit.code: unit.name for unit in config().units}


# ------------------------------------------------------------------ login


@st.cache_data(show_spinner=False)
def _accounts(path: str, modified: float) -> dict[str, auth.Account]:
    # modified (the file's mtime) is only the cache key, so an edited accounts file is reread.
    return auth.load_accounts(Path(path), config())


def accounts() -> dict[str, auth.Account]:
    settings = auth.auth_settings(config())
    path = settings.accounts_file
    return _accounts(str(path), path.stat().st_mtime if path.exists() else 0.0)


def _login_title() -> None:
    st.title(config().name)
    st.caption(f"Bảng theo dõi tiến độ của {config().owner}")


def _local_login(known: dict[str, auth.Account]) -> None:
    _login_title()
    with st.form("login", clear_on_submit=False):
        st.subheader("Đăng nhập")
        username = st.text_input("Tên đăng nhập")
        password = st.text_input("Mật khẩu", type="password")
        submitted = st.form_submit_button("Đăng nhập", type="primary")
    if submitted:
        account = auth.authenticate(known, username, password)
        if account is None:
            st.error("Tên đăng nhập hoặc mật khẩu không đúng. Đề nghị nhập lại.")
        else:
            st.session_state[SESSION_USER] = account.username
            st.rerun()
    _prepare_first_page()


def _oidc_login(settings: auth.AuthSettings, known: dict[str, auth.Account]) -> auth.Account | None:
    if not st.user.is_logged_in:
        _login_title()
        st.subheader("Đăng nhập")
        st.write("Đề nghị đăng nhập bằng tài khoản được Tỉnh đoàn cấp.")
        if st.button("Đăng nhập", type="primary"):
            if settings.provider:
                st.login(settings.provider)
            else:
                st.login()
        _prepare_first_page()
        return None
    email = st.user.get("email")
    account = auth.account_for_email(known, str(email) if email else None)
    if account is None:
        _login_title()
        st.error(f"Tài khoản {email or '(không có địa chỉ thư điện tử)'} chưa được cấp quyền xem bảng theo dõi. "
                 "Đề nghị liên hệ Văn phòng Tỉnh đoàn.")
        if st.button("Đăng xuất"):
            st.logout()
    return account


def current_account() -> auth.Account | None:
    """Return the logged-in account, or render the login form and return None."""
    settings = auth.auth_settings(config())
    known = accounts()
    if settings.mode == "oidc":
        return _oidc_login(settings, known)
    username = st.session_state.get(SESSION_USER)
    if username and username in known:
        return known[username]
    _local_login(known)
    return None


def logout() -> None:
    if auth.auth_settings(config()).mode == "oidc":
        st.logout()
    else:
        st.session_state.pop(SESSION_USER, None)
        st.rerun()


# ------------------------------------------------------------------ filters in the URL


@dataclass(frozen=True)
class Filters:
    unit: str | None
    months: tuple[str, ...] | None
    strand: str | None

    @property
    def scope(self) -> Scope:
        return Scope(units=(self.unit,) if self.unit else None, months=self.months)


def _query_value(name: str) -> str | None:
    value = st.query_params.get(name)
    return str(value) if value else None


def sidebar_filters(account: auth.Account) -> Filters:
    """Render the unit, month and strand filters and mirror them in the URL query parameters.

    On a new session (a shared link, a reconnect) the widgets start from the URL, so the
    same view appears.
    """
    cfg = config()
    names = unit_names()
    months = programme_months(cfg)
    unit_options = [""] + [u.code for u in cfg.units]
    if "filter_unit" not in st.session_state:
        wanted = _query_value("unit")
        st.session_state["filter_unit"] = wanted if wanted in unit_options else (
            account.unit if account.role == "unit" else "")
    first, last = _query_value("from"), _query_value("to")
    first = first if first in months else months[0]
    last = last if last in months and last >= first else months[-1]
    if "filter_strand" not in st.session_state:
        wanted = _query_value("strand")
        st.session_state["filter_strand"] = wanted if wanted in STRAND_PARAM_VALUES else ""

    with st.sidebar:
        st.subheader("Bộ lọc")
        unit = st.selectbox("Đơn vị", unit_options, key="filter_unit",
                            format_func=lambda code: names.get(code, "Toàn tỉnh"))
        # A range slider needs its initial value as a pair; the URL supplies it on a new session.
        first, last = st.select_slider("Tháng", options=months, value=(first, last), key="filter_months",
                                       format_func=format_short_month)
        strand = st.selectbox("Nội dung", ["", *STRAND_PARAM_VALUES], key="filter_strand",
                              format_func=lambda key: cfg.strands.get(key, "Tất cả nội dung"))

    params = {"unit": unit, "from": first if first != months[0] else "", "to": last if last != months[-1] else "",
              "strand": strand}
    for name, value in params.items():
        if value and st.query_params.get(name) != value:
            st.query_params[name] = value
        elif not value and name in st.query_params:
            del st.query_params[name]
    chosen = tuple(m for m in months if first <= m <= last)
    return Filters(unit=unit or None, months=None if len(chosen) == len(months) else chosen, strand=strand or None)


def filters() -> Filters:
    return st.session_state["filters"]


def account() -> auth.Account:
    return st.session_state["account"]


# ------------------------------------------------------------------ page furniture


def page_header(title: str) -> None:
    """Render the page title, the time of the data, the active filters and failing workbooks."""
    cfg = config()
    data = snapshot()
    st.title(title)
    if not data.run:
        st.warning("Chưa có số liệu: hệ thống chưa đồng bộ lần nào. Đề nghị chạy đồng bộ (python -m sync run).")
    else:
        st.caption(f"Cập nhật lúc {format_datetime(data.updated_at, cfg.timezone)} · lần đồng bộ số {data.run_id}")
    chosen = filters()
    names = unit_names()
    parts = [names.get(chosen.unit, "Toàn tỉnh") if chosen.unit else "Toàn tỉnh"]
    if chosen.months:
        parts.append(f"từ {format_month(chosen.months[0])} đến {format_month(chosen.months[-1])}")
    st.caption("Phạm vi: " + ", ".join(parts) + ". Tổng số chỉ tính các dòng hợp lệ.")
    failing = metric("quality.failing_units", Scope())
    for item in failing.itertuples():
        if chosen.unit and item.unit != chosen.unit:
            continue
        when = format_datetime(item.last_good_read_at, cfg.timezone) if item.last_good_read_at else "chưa có"
        st.warning(f"Không đọc được bảng tính của {names.get(item.unit, item.unit)} từ "
                   f"{format_datetime(item.last_error_at, cfg.timezone)}. Số liệu hiển thị là của lần đọc được "
                   f"gần nhất lúc {when}.")


def excluded_caption(count: int) -> None:
    if count:
        st.caption(f"Chưa tính {format_number(count)} dòng có lỗi; các dòng này được tính khi đơn vị sửa xong.")


def monthly_chart(scope: Scope, tab: str, axis_title: str, title: str = "", value_column: str | None = None) -> None:
    """Draw the per-unit monthly chart of a tab (row counts, or the sum of ``value_column``), if it has data."""
    from dashboard import charts  # imported here: the login page must not wait for Altair

    extra = (tab,) if value_column is None else (tab, value_column)
    monthly = metric("metrics.monthly_counts", scope, *extra)
    if monthly.empty:
        return
    if title:
        st.subheader(title)
    st.altair_chart(charts.monthly(monthly.assign(unit_name=monthly["unit"].map(unit_names())), axis_title),
                    width="stretch")


FORMATTERS: dict[str, Callable[[Any], str]] = {
    "number": format_number, "decimal": lambda v: format_number(v, 1), "money": format_money, "percent": format_percent, "date": format_date,
    "month": format_month, "text": lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v),
    "unit": lambda code: unit_names().get(code, code), "datetime": lambda v: format_datetime(v, config().timezone),
}


def table(frame: pd.DataFrame, columns: dict[str, tuple[str, str]], height: int | None = None) -> None:
    """Show ``frame`` with Vietnamese headers; ``columns`` maps key -> (header, format name)."""
    shown = pd.DataFrame({header: frame[key].map(FORMATTERS[kind]) if key in frame else ""
                          for key, (header, kind) in columns.items()})
    st.dataframe(shown, hide_index=True, width="stretch", height=height or "auto")


def personal_list(tab_key: str, title: str, unit: str | None = None) -> None:
    """Show a tab's rows (with names, phones, IDs) only for units the account may see, IDs masked.

    ``unit`` overrides the unit filter (the unit page shows its own unit's lists).
    """
    viewer = account()
    chosen = filters()
    wanted = unit or chosen.unit
    allowed = viewer.personal_units
    units = (wanted,) if wanted else allowed
    if allowed is not None and wanted and wanted not in allowed:
        st.info(f"{title}: tài khoản đơn vị chỉ xem được danh sách của đơn vị mình; số liệu của đơn vị khác "
                "chỉ hiển thị dạng tổng hợp.")
        return
    data = snapshot()
    frame = data.tab(tab_key)
    if units is not None:
        frame = frame[frame["unit"].isin(units)]
    frame = filter_months(frame, tab_key, chosen.months)
    tab = load_schema().tab(tab_key)
    shown = pd.DataFrame({"Đơn vị": frame["unit"].map(unit_names()), "Dòng": frame["row"].astype(str),
                          "Tình trạng": frame["has_error"].map({True: "Có lỗi, chưa tính", False: "Hợp lệ"})})
    for column in tab.columns:
        if column.key == "explanation":
            continue
        values = frame[column.key]
        if column.type == "national_id":
            shown[column.header] = values.map(mask_id)
        elif column.type in ("date",):
            shown[column.header] = values.map(format_date)
        elif column.type == "month":
            shown[column.header] = values.map(format_month)
        elif column.type == "money_vnd":
            shown[column.header] = values.map(format_money)
        elif column.type == "integer":
            shown[column.header] = values.map(format_number)
        elif column.type == "yes_no":
            shown[column.header] = values.map(lambda v: "Có" if v is True else ("Không" if v is False else ""))
        else:
            shown[column.header] = values.map(FORMATTERS["text"])
    with st.expander(f"{title} ({format_number(len(shown))} dòng)"):
        if allowed is not None and not wanted:
            st.caption("Tài khoản đơn vị chỉ xem được danh sách của đơn vị mình.")
        st.dataframe(shown, hide_index=True, width="stretch")


def issue_list(frame: pd.DataFrame) -> None:
    """Show issue messages; ID numbers and phones in messages are masked."""
    schema = load_schema()
    titles = {tab.key: tab.title for tab in schema.tabs}
    shown = pd.DataFrame({
        "Đơn vị": frame["unit"].map(unit_names()),
        "Trang tính": frame["tab"].map(lambda key: titles.get(key, "") if key else ""),
        "Dòng": frame["row"].map(lambda v: "" if pd.isna(v) else str(int(v))),
        "Mức độ": frame["severity"].map({"error": "Lỗi", "warning": "Cảnh báo"}),
        "Đã giải trình": frame["explained"].map({True: "Có", False: ""}),
        "Nội dung": frame["message"].map(mask_id_numbers_in_text),
        "Phát hiện lúc": frame["first_seen_at"].map(lambda v: format_datetime(v, config().timezone)),
    })
    st.dataframe(shown, hide_index=True, width="stretch")


def progress_card(label: str, result_text: str, percent: float | None, help_text: str = "") -> None:
    st.metric(label, result_text, help=help_text or None)
    if percent is not None:
        st.progress(min(max(percent, 0.0), 100.0) / 100.0, text=f"Tỷ lệ hoàn thành {format_percent(percent)}")

