"""Measure normalise + validate over all 12 tabs for one province size, in this process.

Run as ``python -m bench.throughput SIZE SEED`` by ``python -m bench``, once per size,
so that the peak resident memory (``ru_maxrss``) belongs to that size alone. Prints
one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from typing import Any

from sheets_schema import load_config, load_schema
from sync.api import validate_workbooks

from bench.generate import generate_province
from bench import pandera_check


def _rss_bytes() -> int:
    """Current resident set size, from /proc (Linux)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * resource.getpagesize()


def measure(size: int, seed: int, with_pandera: bool) -> dict[str, Any]:
    schema = load_schema()
    config = load_config()
    started = time.perf_counter()
    workbooks = generate_province(config, schema, size, seed)
    generated = time.perf_counter() - started
    rss_before = _rss_bytes()

    wall_started = time.perf_counter()
    cpu_started = time.process_time()
    results = validate_workbooks(workbooks, schema, config)
    cpu = time.process_time() - cpu_started
    wall = time.perf_counter() - wall_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux

    rows = [row for result in results for row in result.rows]
    figures: dict[str, Any] = {
        "size": size,
        "rows": len(rows),
        "issues": sum(len(result.issues) for result in results),
        "rows_with_errors": sum(1 for row in rows if row.has_error),
        "generate_seconds": generated,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "rows_per_second": len(rows) / wall,
        "rows_per_cpu_second": len(rows) / cpu,
        "rss_before_bytes": rss_before,
        "peak_rss_bytes": peak,
    }
    if with_pandera:
        figures["pandera"] = pandera_check.measure(schema, config, rows)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("size", type=int, help="data rows over all units and tabs")
    parser.add_argument("seed", type=int, help="generator seed")
    parser.add_argument("--pandera", action="store_true", help="also time pandera on the clean rows")
    args = parser.parse_args(argv)
    json.dump(measure(args.size, args.seed, args.pandera), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
