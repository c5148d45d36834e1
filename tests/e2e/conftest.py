"""Fixtures for browser tests: a real `streamlit run` on a free loopback port and Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from tests.e2e.dataset import build_store

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO_ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, attempts: int = 300) -> None:
    """Poll a health URL until it returns 200, and fail with the server's output if it exits first."""
    for _ in range(attempts):
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"server exited with status {process.returncode} before it was healthy:\n{output}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy after {attempts} attempts")


class StreamlitServer:
    """A `streamlit run dashboard/app.py` subprocess on 127.0.0.1 (or another loopback host name)."""

    def __init__(self, data_dir: Path, host: str = "127.0.0.1", cwd: Path | None = None,
                 extra_env: dict[str, str] | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.host = host
        env = {**os.environ, "KETNOI_DATA_DIR": str(data_dir), **(extra_env or {})}
        command = [sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "dashboard" / "app.py"),
                   "--server.port", str(self.port), "--server.address", "127.0.0.1",
                   "--server.headless", "true", "--browser.gatherUsageStats", "false",
                   "--server.fileWatcherType", "none"]
        self.process = subprocess.Popen(command, cwd=cwd or REPO_ROOT, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        try:
            wait_until_healthy(f"http://127.0.0.1:{self.port}/_stcore/health", self.process)
        except Exception:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def dashboard_data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dashboard-e2e")
    (folder / "var").mkdir()
    build_store(folder / "var" / "ketnoi.sqlite3")
    return folder


@pytest.fixture(scope="session")
def dashboard_server(dashboard_data, chromium_path) -> Iterator[StreamlitServer]:
    server = StreamlitServer(dashboard_data)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
