"""Production login (st.login, OpenID Connect) against oidc-provider-mock on loopback, in headless Chromium.

The provider accepts any client id and secret; the test sets each user's claims with
``PUT /users/<sub>`` and logs in through its form (subject, then Authorize). The
browser opens exactly the host written in redirect_uri (127.0.0.1), because cookies
for localhost and 127.0.0.1 are different and a mismatch fails without a message.
"""

from __future__ import annotations

import json
import secrets
import shutil
import threading
import urllib.request
from pathlib import Path

import pytest
import werkzeug.serving
from playwright.sync_api import expect

from dashboard.auth import hash_password
from tests.e2e.conftest import REPO_ROOT, StreamlitServer, free_port

pytestmark = pytest.mark.browser
oidc_provider_mock = pytest.importorskip("oidc_provider_mock")


@pytest.fixture
def provider():
    """oidc-provider-mock's WSGI app served on a free 127.0.0.1 port in a thread."""
    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


def set_claims(provider_url: str, sub: str, claims: dict) -> None:
    request = urllib.request.Request(f"{provider_url}/users/{sub}", data=json.dumps(claims).encode(),
                                     method="PUT", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 204)


@pytest.fixture
def oidc_dashboard(tmp_path, provider, dashboard_data):
    """A dashboard in oidc mode, with secrets.toml pointing st.login at the local provider."""
    config_dir = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", config_dir)
    programme = config_dir / "programme.yaml"
    programme.write_text(programme.read_text(encoding="utf-8").replace("mode: local", "mode: oidc"),
                         encoding="utf-8")
    digest = hash_password("unused")
    (config_dir / "accounts.yaml").write_text(
        "accounts:\n"
        f"  - {{username: tinhdoan, role: province, email: lanhdao@tinhdoan.example, password_hash: '{digest}'}}\n"
        "  - {username: damdoi, display_name: Huyện đoàn Đầm Dơi, role: unit, unit: DAMDOI, email: canbo@damdoi.example}\n", encoding="utf-8")
    port = free_port()
    workdir = tmp_path / "run"
    (workdir / ".streamlit").mkdir(parents=True)
    (workdir / ".streamlit" / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(16)}"\n'
        'client_id = "ketnoi-dashboard-test"\n'
        f'client_secret = "{secrets.token_hex(8)}"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n', encoding="utf-8")
    server = StreamlitServer(dashboard_data, cwd=workdir, port=port, extra_env={"KETNOI_CONFIG": str(config_dir)})
    yield server
    server.stop()


def loopback_only(context) -> None:
    """Abort every request that leaves loopback (the provider's pages link a CDN stylesheet)."""
    def route(route_request) -> None:
        host = route_request.request.url.split("/")[2].split(":")[0]
        if host in ("127.0.0.1", "localhost"):
            route_request.continue_()
        else:
            route_request.abort()

    context.route("**/*", route)


def log_in_with_provider(page, dashboard_url: str, sub: str) -> None:
    page.goto(dashboard_url)
    page.get_by_role("button", name="Đăng nhập").click()
    page.locator('input[name="sub"]').fill(sub)
    page.get_by_role("button", name="Authorize").click()


def test_oidc_login_maps_email_to_unit_role(browser, provider, oidc_dashboard, artifacts):
    set_claims(provider, "canbo-damdoi", {"email": "canbo@damdoi.example", "name": "Cán bộ Đầm Dơi"})
    context = browser.new_context(viewport={"width": 1400, "height": 1400})
    loopback_only(context)
    page = context.new_page()
    try:
        log_in_with_provider(page, oidc_dashboard.url, "canbo-damdoi")
        expect(page.locator('[data-testid="stSidebarNav"]')).to_be_visible(timeout=60_000)
        expect(page.locator('[data-testid="stSidebar"]')).to_contain_text("Huyện đoàn Đầm Dơi · Đơn vị")
        expect(page.locator("h1").filter(has_text="Tổng quan")).to_be_visible()
        page.screenshot(path=artifacts / "40-oidc-dang-nhap-thanh-cong.png")
        page.get_by_role("button", name="Đăng xuất").click()
        # Streamlit also ends the session at the provider, and the mock shows a confirmation form.
        page.get_by_role("button", name="End session").click()
        expect(page.get_by_role("button", name="Đăng nhập")).to_be_visible(timeout=60_000)
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    finally:
        context.close()


def test_oidc_login_rejects_unknown_email(browser, provider, oidc_dashboard, artifacts):
    set_claims(provider, "nguoi-la", {"email": "nguoi.la@example.com"})
    context = browser.new_context()
    loopback_only(context)
    page = context.new_page()
    try:
        log_in_with_provider(page, oidc_dashboard.url, "nguoi-la")
        expect(page.get_by_text("chưa được cấp quyền")).to_be_visible(timeout=60_000)
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
        assert page.locator('[data-testid="stMetric"]').count() == 0
        page.screenshot(path=artifacts / "41-oidc-chua-cap-quyen.png")
    finally:
        context.close()
