"""The registration form: fields of the «Tìm việc» tab a young person fills in, consent, spam checks."""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

import streamlit as st

from dashboard.public import guard
from sheets_schema.config import Config
from sheets_schema.schema import Schema
from sync.registration import (AlreadyRegistered, Registrar, RegistrationForm, RegistrationUnavailable,
                               check_form)

log = logging.getLogger(__name__)

CONSENT_TEXT = (
    "Thông tin bạn đăng ký (họ tên, năm sinh, giới tính, số điện thoại, nơi cư trú, trình độ, nhu cầu) được "
    "chuyển đến Huyện đoàn, Thành đoàn nơi bạn cư trú và Tỉnh đoàn Cà Mau, chỉ để liên hệ, tư vấn, giới thiệu "
    "việc làm, học nghề hoặc xuất khẩu lao động cho bạn trong chương trình «3 Kết nối». Thông tin không được "
    "công bố trên trang này. Bạn có thể đề nghị sửa hoặc xóa thông tin qua Đoàn xã, phường, thị trấn nơi cư trú."
)
HONEYPOT_KEY = "contact_website"
# The honeypot is hidden from people (Streamlit gives each keyed widget the class st-key-<key>),
# so only a program that fills every field gets past it with a value.
_HIDE_HONEYPOT = f"<style>.st-key-{HONEYPOT_KEY} {{display: none;}}</style>"


def _key(name: str) -> str:
    return f"reg_{name}_{st.session_state.get('reg_generation', 0)}"


def _district_units(config: Config) -> list[str]:
    return [u.code for u in config.units if u.communes]


def render(config: Config, schema: Schema, registrar: Registrar, store_path: Path, today: dt.date) -> None:
    st.subheader("Đăng ký tìm việc làm, học nghề")
    st.caption("Dành cho thanh niên từ đủ 16 tuổi. Các ô có dấu * là bắt buộc.")
    tab = schema.tab("job_seekers")
    if "reg_shown_at" not in st.session_state:
        st.session_state["reg_shown_at"] = time.monotonic()
    outcome = st.session_state.pop("reg_outcome", None)
    if outcome:
        kind, text = outcome
        {"success": st.success, "warning": st.warning, "error": st.error}[kind](text)

    full_name = st.text_input("Họ và tên *", key=_key("full_name"), placeholder="ví dụ: Nguyễn Văn An")
    birth_year = st.text_input("Năm sinh *", key=_key("birth_year"), placeholder="ví dụ: 2003", max_chars=4)
    gender = st.radio("Giới tính *", tab.column("gender").choices, index=None, horizontal=True, key=_key("gender"))
    phone = st.text_input("Số điện thoại *", key=_key("phone"), placeholder="ví dụ: 0912 345 678", max_chars=20)
    units = _district_units(config)
    unit = st.selectbox("Huyện, thành phố nơi cư trú *", units, index=None, key=_key("unit"),
                        format_func=lambda code: config.unit(code).area_name or config.unit(code).name,
                        placeholder="Chọn huyện, thành phố")
    communes = [c.name for c in config.unit(unit).communes] if unit else []
    commune = st.selectbox("Xã, phường, thị trấn *", communes, index=None, key=_key(f"commune_{unit}"),
                           placeholder="Chọn xã, phường, thị trấn" if unit else "Chọn huyện, thành phố trước")
    education = st.selectbox("Trình độ chuyên môn *", tab.column("education").choices, index=None,
                             key=_key("education"), placeholder="Chọn trình độ cao nhất")
    need = st.radio("Nhu cầu *", tab.column("need").choices, index=None, key=_key("need"))
    desired_trade = st.text_input("Ngành nghề mong muốn", key=_key("desired_trade"), max_chars=100,
                                  placeholder="ví dụ: may công nghiệp, điện dân dụng")
    returned = st.checkbox("Tôi vừa trở về từ tỉnh, thành phố khác sau dịch Covid-19", key=_key("returned"))
    st.markdown(_HIDE_HONEYPOT, unsafe_allow_html=True)
    honeypot = st.text_input("Trang web (để trống ô này)", key=HONEYPOT_KEY)
    st.info(CONSENT_TEXT, icon=":material/privacy_tip:")
    consent = st.checkbox("Tôi đồng ý cho sử dụng thông tin của tôi theo nội dung trên *", key=_key("consent"))
    if not st.button("Gửi đăng ký", type="primary", key="reg_submit"):
        return

    messages = _submit(config, schema, registrar, store_path, today, honeypot, RegistrationForm(
        full_name=full_name, birth_year=birth_year, gender=gender or "", phone=phone, unit=unit or "",
        commune=commune or "", education=education or "", need=need or "", desired_trade=desired_trade,
        returned_migrant=returned, consent=consent))
    if messages:
        st.error("Chưa gửi được đăng ký:\n\n" + "\n".join(f"- {m}" for m in messages))


def _submit(config: Config, schema: Schema, registrar: Registrar, store_path: Path, today: dt.date,
            honeypot: str, form: RegistrationForm) -> list[str]:
    """Check and register one submission; return the messages to show next to the form."""
    now = time.monotonic()
    allowed, history = guard.session_allows(st.session_state.get("reg_history", []), now)
    st.session_state["reg_history"] = history
    if not allowed:
        return [guard.message("session_limit")]
    address = guard.client_address(st.context.ip_address, dict(st.context.headers))
    if not guard.address_allows(store_path, address):
        log.warning("public registration rejected: address over its limit")
        return [guard.message("ip_limit")]
    spam = guard.spam_reason(honeypot, st.session_state.get("reg_shown_at"), now,
                             [form.full_name, form.desired_trade])
    st.session_state["reg_shown_at"] = now
    if spam:
        log.warning("public registration rejected as spam: %s", spam)
        return [guard.message(spam)]

    checked = check_form(schema, config, form, today)
    if not checked.ok:
        return checked.errors
    try:
        result = registrar.register(checked)
    except AlreadyRegistered:
        st.session_state["reg_outcome"] = ("warning", (
            "Số điện thoại này đã được đăng ký trong chương trình nên không đăng ký thêm lần nữa. Bạn không cần "
            "đăng ký lại; nếu cần sửa thông tin, đề nghị liên hệ Đoàn xã, phường, thị trấn nơi cư trú."))
    except RegistrationUnavailable as exc:
        log.error("public registration not appended for unit %s: %s", exc.unit, exc.reason)
        return ["Hệ thống chưa ghi được đăng ký lúc này; thông tin bạn vừa nhập chưa được lưu. "
                "Đề nghị thử lại sau ít phút."]
    else:
        unit_name = config.unit(result.unit).name
        st.session_state["reg_outcome"] = ("success", (
            f"Đăng ký thành công. Thông tin của bạn đã được chuyển đến {unit_name}; cán bộ Đoàn sẽ liên hệ "
            "với bạn qua số điện thoại đã đăng ký."))
        log.info("public registration appended: unit %s, backend %s, row %s", result.unit, result.backend,
                 result.sheet_row)
    # A new generation of widget keys empties the form for the next person.
    st.session_state["reg_generation"] = st.session_state.get("reg_generation", 0) + 1
    st.rerun()
    return []
