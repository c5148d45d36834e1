"""Benchmark normalise + validate, full syncs, pandera and the dashboard.

    python -m bench --quick     10 k and 100 k rows, small syncs (under a minute)
    python -m bench             10 k, 100 k and 1 M rows, larger syncs
    python -m bench --tiny      2 000 rows, for the test suite

Every province is generated from ``--seed``. Each throughput size runs in its own
subprocess, so its peak resident memory is its own. The table goes to stdout and, in
quick and full mode (or with ``--results``), to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sheets_schema import load_config, load_schema

from bench import dashboard_bench, sync_bench
from bench.generate import DEFAULT_SEED

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_PATH = Path(__file__).resolve().with_name("RESULTS.md")
TARGET_ROWS_PER_SECOND = 200_000

MODES: dict[str, dict[str, Any]] = {
    "tiny": {"sizes": [2_000], "pandera_size": 2_000, "sync_rows_per_unit": 30},
    "quick": {"sizes": [10_000, 100_000], "pandera_size": 100_000, "sync_rows_per_unit": 100},
    "full": {"sizes": [10_000, 100_000, 1_000_000], "pandera_size": 100_000, "sync_rows_per_unit": 1_000},
}


def machine() -> dict[str, str]:
    cpu = "unknown"
    memory = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 ** 2:.1f} GiB"
                break
    except OSError:
        pass
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "ram": memory, "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}", "load_average_at_start": load}


def run_throughput(size: int, seed: int, with_pandera: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.throughput", str(size), str(seed)]
    if with_pandera:
        command.append("--pandera")
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"size": size, "status": f"failed: {done.stderr.strip().splitlines()[-1:]}"}
    figures: dict[str, Any] = json.loads(done.stdout)
    figures["status"] = "ok"
    return figures


def _mib(value: float) -> str:
    return f"{value / 1024 ** 2:,.0f} MiB"


def _rate(value: float) -> str:
    return f"{value:,.0f}"


def format_report(mode: str, command: str, seed: int, info: dict[str, str], throughput: list[dict[str, Any]],
                  xlsx: dict[str, Any], google: dict[str, Any], dashboard: dict[str, Any]) -> str:
    lines = [f"# Benchmark results ({mode} mode)", "",
             f"Command: `{command}` (seed {seed}), run {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}.", "",
             "## Machine", "",
             f"- nproc: {info['nproc']}", f"- CPU: {info['cpu']}", f"- RAM: {info['ram']}",
             f"- Python: {info['python']} on {info['system']}",
             f"- Load average when the run started: {info['load_average_at_start']} "
             "(other processes share the CPUs, so wall time can exceed CPU time)", "",
             "## 1. Normalise + validate, all 12 tabs", "",
             f"Target: at least {TARGET_ROWS_PER_SECOND:,} rows/s; 1 M rows within 2 GiB peak. "
             "Peak is the subprocess's maximum resident set size, generated input included.", "",
             "| rows | issues | wall s | rows/s (wall) | CPU s | rows/s (CPU) | RSS before | peak RSS |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for item in throughput:
        if item.get("status") != "ok":
            lines.append(f"| {item['size']:,} | {item.get('status')} | | | | | | |")
            continue
        lines.append(f"| {item['rows']:,} | {item['issues']:,} | {item['wall_seconds']:.2f} | "
                     f"{_rate(item['rows_per_second'])} | {item['cpu_seconds']:.2f} | "
                     f"{_rate(item['rows_per_cpu_second'])} | {_mib(item['rss_before_bytes'])} | "
                     f"{_mib(item['peak_rss_bytes'])} |")
    lines += ["", "## 2. Full sync", "", "### .xlsx backend", ""]
    lines += _sync_lines(xlsx, with_requests=False)
    lines += ["", "### Google Sheets backend on the local stand-in", "",
              "Naive: one metadata read and one `get_all_records` per tab for every workbook on every run, "
              "and one `update_cell` per flagged row (computed from the same data, not run).", ""]
    lines += _sync_lines(google, with_requests=True)
    lines += ["", "## 3. pandera on the same clean rows", ""]
    lines += _pandera_lines(throughput)
    lines += ["", f"## 4. Dashboard at {dashboard_bench.ROWS[mode]:,} rows (headless Chromium)", "",
              "Targets: first render within 2 s, a filter change within 0.3 s. Seconds are wall time in "
              "Playwright, from the click until the page shows the expected element and Streamlit reports "
              "the script idle.", ""]
    lines += dashboard_bench.format_lines(dashboard)
    return "\n".join(lines) + "\n"


def _sync_lines(figures: dict[str, Any], with_requests: bool) -> list[str]:
    if figures.get("status") != "ok":
        return [f"- {figures.get('status')}"]
    lines = [f"{figures['units']} workbooks, {figures['rows']:,} data rows.", ""]
    if with_requests:
        lines += ["| run | wall s | read | unchanged | written | Sheets reads | Sheets writes | Drive | "
                  "requests | naive | naive ÷ ours |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for run in figures["runs"]:
            lines.append(f"| {run['label']} | {run['seconds']:.2f} | {run['read']} | {run['unchanged']} | "
                         f"{run['written']} | {run['sheets_read']} | {run['sheets_write']} | {run['drive']} | "
                         f"{run['requests']} | {run['naive_requests']:,} | {run['ratio']:.0f}× |")
    else:
        lines += ["| run | wall s | read | unchanged | written |", "|---|---:|---:|---:|---:|"]
        for run in figures["runs"]:
            lines.append(f"| {run['label']} | {run['seconds']:.2f} | {run['read']} | {run['unchanged']} | "
                         f"{run['written']} |")
    return lines


def _pandera_lines(throughput: list[dict[str, Any]]) -> list[str]:
    measured = [item for item in throughput if item.get("status") == "ok" and "pandera" in item]
    if not measured:
        return ["- not measured"]
    item = measured[-1]
    figures = item["pandera"]
    if figures.get("status") != "ok":
        return [f"- pandera: {figures.get('status')}"]
    ours = item["rows_per_cpu_second"]
    theirs = figures["rows_per_cpu_second"]
    return [f"- pandera {figures['version']}: {figures['rows']:,} clean rows of the {item['rows']:,}-row province, "
            f"checks {figures['check_seconds']:.2f} s wall, {figures['check_cpu_seconds']:.2f} s CPU "
            f"({_rate(theirs)} rows per CPU second); building the DataFrames took "
            f"{figures['convert_seconds']:.2f} s more.",
            f"- Ours on the raw rows (parse, normalise and every rule): {_rate(ours)} rows per CPU second, "
            f"{ours / theirs:.2f}× pandera's rate on plain checks of already-typed data.",
            f"- Failure cases pandera found on the clean rows: {figures['failure_cases']} (expected 0)."]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Benchmark the sync and the dashboard.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="10 k and 100 k rows, small syncs")
    group.add_argument("--tiny", action="store_true", help="2 000 rows and tiny syncs (for tests)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed (default %(default)s)")
    parser.add_argument("--results", type=Path, default=None,
                        help="Markdown file to write (default bench/RESULTS.md, none in tiny mode)")
    parser.add_argument("--skip-dashboard", action="store_true", help="do not start the dashboard")
    args = parser.parse_args(argv)

    mode = "full"
    if args.tiny:
        mode = "tiny"
    elif args.quick:
        mode = "quick"
    settings = MODES[mode]
    command = "python -m bench" + ("" if mode == "full" else f" --{mode}")
    info = machine()
    started = time.perf_counter()

    throughput = [run_throughput(size, args.seed, with_pandera=size == settings["pandera_size"])
                  for size in settings["sizes"]]
    schema = load_schema()
    config = load_config()
    xlsx = sync_bench.xlsx_sync(config, schema, settings["sync_rows_per_unit"], args.seed)
    google = sync_bench.google_sync(config, schema, settings["sync_rows_per_unit"], args.seed)
    dashboard = ({"status": "skipped (--skip-dashboard)"} if args.skip_dashboard
                 else dashboard_bench.measure(mode, args.seed))

    report = format_report(mode, command, args.seed, info, throughput, xlsx, google, dashboard)
    report += f"\nWhole benchmark: {time.perf_counter() - started:.0f} s.\n"
    print(report)
    results = args.results
    if results is None and mode != "tiny":
        results = RESULTS_PATH
    if results is not None:
        results.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
