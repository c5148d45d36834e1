"""Dashboard first render and one filter change at 300 k rows in headless Chromium.

``measure`` builds a store from a generated province (validated, recorded with
``Store.record_run`` and given its Parquet snapshot with ``sync.snapshot.save_snapshot``,
the two calls a real sync makes), starts ``streamlit run dashboard/app.py`` on a
free loopback port with ``KETNOI_DATA_DIR`` pointing at it, logs in with the demo
province account and times, with ``time.perf_counter`` around Playwright calls:

- cold render: from submitting the login form until the Tổng quan page shows its
  metric cards and Streamlit reports that the script stopped running, in a server
  started for this step. The login page loads the snapshot and imports the chart
  module after it has shown the form (``dashboard.ui._prepare_first_page``), and
  Playwright submits as soon as the form shows, so this includes whatever of that
  work is still running. It also includes the password check (scrypt, well under 0.1 s);
- cold render after the login page finished: the same in a second fresh server, but
  submitted once the login page's script stopped running, as when a person types the
  password (which takes longer than that work);
- warm render: the same page reached again through the sidebar navigation;
- filter change: choosing one unit in the sidebar's Đơn vị box until the page
  states the new scope and the script stopped running, first for a scope not seen
  before (metrics computed) and then for one already computed (metrics cached).

Run alone with ``python -m bench.dashboard_bench [ROWS]``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
APP = REPO_ROOT / "dashboard" / "app.py"
ROWS = {"tiny": 2_000, "quick": 300_000, "full": 300_000}
USERNAME = "tinhdoan"
PASSWORD = "demo-tinhdoan"  # the published demo password in config/accounts.yaml
FILTER_UNIT = "Huyện đoàn Đầm Dơi"
OTHER_UNIT = "Huyện đoàn Năm Căn"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
TIMEOUT_MS = 300_000
TARGET_FIRST_RENDER_SECONDS = 2.0
TARGET_FILTER_SECONDS = 0.3


def build_store(path: Path, rows: int, seed: int) -> dict[str, Any]:
    """Generate, validate and record a province of ``rows`` data rows as one sync run, with its snapshot."""
    from sheets_schema import load_config, load_schema
    from sync.api import validate_workbooks
    from sync.snapshot import save_snapshot
    from sync.store import Store, UnitSnapshot, utc_now

    from bench.generate import generate_province

    schema = load_schema()
    config = load_config()
    started = time.perf_counter()
    results = validate_workbooks(generate_province(config, schema, rows, seed), schema, config)
    snapshots = [UnitSnapshot(unit=result.unit, backend="xlsx", location=f"{result.unit}.xlsx", status="read",
                              rows=result.rows, issues=result.issues) for result in results]
    with Store(path) as store:
        run_id = store.record_run(utc_now(), snapshots)
        recorded = time.perf_counter()
        folder = save_snapshot(store, run_id)
    finished = time.perf_counter()
    if folder is None:
        raise RuntimeError(f"writing the Parquet snapshot of {path} failed; see the log above")
    return {"rows": sum(len(snap.rows) for snap in snapshots),
            "issues": sum(len(snap.issues) for snap in snapshots),
            "store_bytes": path.stat().st_size, "build_seconds": recorded - started,
            "snapshot_seconds": finished - recorded,
            "snapshot_bytes": sum(item.stat().st_size for item in folder.iterdir())}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_streamlit(data_dir: Path, app: Path) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    env = {**os.environ, "KETNOI_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    health = f"http://127.0.0.1:{port}/_stcore/health"
    for _ in range(600):
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"streamlit exited with status {process.returncode}: {output[-2000:]}")
        try:
            with urllib.request.urlopen(health, timeout=2) as response:
                if response.status == 200:
                    return process, f"http://127.0.0.1:{port}"
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    _stop(process)
    raise RuntimeError(f"{health} did not become healthy within 120 s")


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _timed(action: Callable[[], None], wait: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    wait()
    return time.perf_counter() - started


def _overview_ready(page: Any) -> None:
    """Wait until the Tổng quan page shows its metric cards and the script has stopped running."""
    page.locator("h1").filter(has_text="Tổng quan").first.wait_for(timeout=TIMEOUT_MS)
    page.locator('[data-testid="stMetric"]:not([data-stale="true"])').filter(
        has_text="Nguồn lực vận động").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)


def _scope_ready(page: Any, unit_name: str) -> None:
    page.get_by_text(f"Phạm vi: {unit_name}").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)


def _choose_unit(page: Any, unit_name: str) -> Callable[[], None]:
    """Open the Đơn vị box and return the click that picks ``unit_name`` (the timed part)."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Đơn vị").first
    box.click()
    option = page.get_by_role("option", name=unit_name, exact=True)
    option.wait_for(timeout=TIMEOUT_MS)
    return option.click


def _open_page(page: Any, title: str) -> Callable[[], None]:
    link = page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True)
    return link.click


def browse(url: str, only_cold: bool = False, wait_for_login_page: bool = False) -> dict[str, float]:
    """Log in and time the renders in headless Chromium; return seconds per step.

    ``wait_for_login_page`` submits the form only after the login page's script stopped
    running. ``only_cold`` stops after the first render.
    """
    from playwright.sync_api import sync_playwright

    figures: dict[str, float] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1600}, locale="vi-VN")
            page.goto(url)
            page.get_by_label("Tên đăng nhập").fill(USERNAME)
            page.get_by_label("Mật khẩu").fill(PASSWORD)
            if wait_for_login_page:
                page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
            submit = page.get_by_role("button", name="Đăng nhập").click
            figures["cold_render"] = _timed(submit, lambda: _overview_ready(page))
            if only_cold:
                return figures

            page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
            _open_page(page, "Chất lượng dữ liệu")()
            page.locator("h1").filter(has_text="Chất lượng dữ liệu").first.wait_for(timeout=TIMEOUT_MS)
            page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
            figures["warm_render"] = _timed(_open_page(page, "Tổng quan"), lambda: _overview_ready(page))

            figures["filter_first"] = _timed(_choose_unit(page, FILTER_UNIT), lambda: _scope_ready(page, FILTER_UNIT))
            _choose_unit(page, OTHER_UNIT)()
            _scope_ready(page, OTHER_UNIT)
            figures["filter_cached"] = _timed(_choose_unit(page, FILTER_UNIT),
                                              lambda: _scope_ready(page, FILTER_UNIT))
        finally:
            browser.close()
    return figures


def measure(mode: str, seed: int = 2022, rows: int | None = None, app: Path = APP) -> dict[str, Any]:
    """Build the store, start the dashboard and time it; a missing prerequisite gives a status instead."""
    if not APP.exists():
        return {"status": "not available (dashboard/app.py missing)"}
    if not CHROMIUM.exists():
        return {"status": f"not available ({CHROMIUM} missing)"}
    try:
        import playwright  # noqa: F401
    except ImportError:
        return {"status": "not available (playwright not installed)"}

    size = rows or ROWS[mode]
    with tempfile.TemporaryDirectory(prefix="ketnoi-bench-dashboard-") as folder:
        data_dir = Path(folder)
        figures = build_store(data_dir / "var" / "ketnoi.sqlite3", size, seed)
        process, url = _start_streamlit(data_dir, app)
        try:
            figures.update(browse(url))
        finally:
            _stop(process)
        process, url = _start_streamlit(data_dir, app)
        try:
            figures["cold_after_login_page"] = browse(url, only_cold=True, wait_for_login_page=True)["cold_render"]
        finally:
            _stop(process)
    figures["status"] = "ok"
    return figures


def format_lines(figures: dict[str, Any]) -> list[str]:
    """Markdown lines for the report."""
    if figures.get("status") != "ok":
        return [f"- {figures.get('status')}"]

    def verdict(seconds: float, target: float) -> str:
        return "met" if seconds <= target else f"missed by {seconds - target:.2f} s ({seconds / target:.1f}×)"

    first, change = TARGET_FIRST_RENDER_SECONDS, TARGET_FILTER_SECONDS
    return [f"{figures['rows']:,} data rows, {figures['issues']:,} issues in the store "
            f"({figures['store_bytes'] / 1024 ** 2:,.0f} MiB; generating, validating and recording took "
            f"{figures['build_seconds']:.0f} s). Writing the Parquet snapshot, as the sync does after "
            f"recording a run, took {figures['snapshot_seconds']:.1f} s "
            f"({figures['snapshot_bytes'] / 1024 ** 2:,.1f} MiB).", "",
            "| step | seconds | target | |", "|---|---:|---:|---|",
            f"| Tổng quan, cold (fresh server, login submitted as soon as the form shows) | "
            f"{figures['cold_render']:.2f} | {first:.1f} | {verdict(figures['cold_render'], first)} |",
            f"| Tổng quan, cold (fresh server, login submitted after the login page finished) | "
            f"{figures['cold_after_login_page']:.2f} | {first:.1f} | "
            f"{verdict(figures['cold_after_login_page'], first)} |",
            f"| Tổng quan, warm (sidebar navigation) | {figures['warm_render']:.2f} | {first:.1f} | "
            f"{verdict(figures['warm_render'], first)} |",
            f"| filter change, unit not shown before | {figures['filter_first']:.2f} | {change:.1f} | "
            f"{verdict(figures['filter_first'], change)} |",
            f"| filter change, unit shown before | {figures['filter_cached']:.2f} | {change:.1f} | "
            f"{verdict(figures['filter_cached'], change)} |"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the dashboard in headless Chromium.")
    parser.add_argument("rows", type=int, nargs="?", default=ROWS["full"], help="data rows in the store")
    parser.add_argument("--seed", type=int, default=2022, help="generator seed (default %(default)s)")
    parser.add_argument("--app", type=Path, default=APP,
                        help="dashboard entry script to run, e.g. a modified copy (default: dashboard/app.py)")
    args = parser.parse_args(argv)
    figures = measure("full", args.seed, args.rows, args.app.resolve())
    print(json.dumps(figures, indent=2))
    print("\n".join(format_lines(figures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
