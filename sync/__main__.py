"""Command line: `python -m sync validate FILE ... [--json]` and `python -m sync run`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from pathlib import Path

from sheets_schema import Config, ConfigError, load_config, load_schema

log = logging.getLogger("sync")


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _print_summary(output, schema) -> None:  # type: ignore[no-untyped-def]
    tab_titles = {t.key: t.title for t in schema.tabs}
    units = sorted({r.unit for r in output.results} | {f.unit for f in output.failures})
    for unit in units:
        unit_issues = [i for i in output.issues if i.unit == unit]
        unit_rows = [r for r in output.rows if r.unit == unit]
        errors = sum(1 for i in unit_issues if i.severity == "error")
        warnings = len(unit_issues) - errors
        print(f"Đơn vị {unit}: đọc {len(unit_rows)} dòng, {errors} lỗi, {warnings} cảnh báo.")
        by_tab = Counter((i.tab, i.severity) for i in unit_issues)
        for tab_key in [t.key for t in schema.tabs] + [None]:
            e, w = by_tab.get((tab_key, "error"), 0), by_tab.get((tab_key, "warning"), 0)
            if e or w:
                title = tab_titles.get(tab_key, "Toàn bộ tệp") if tab_key else "Toàn bộ tệp"
                print(f"  Trang «{title}»: {e} lỗi, {w} cảnh báo")
        tab_order = {t.key: index for index, t in enumerate(schema.tabs)}
        for issue in sorted(unit_issues, key=lambda i: (i.severity != "error", tab_order.get(i.tab or "", -1),
                                                        i.row or 0)):
            label = "Lỗi" if issue.severity == "error" else "Cảnh báo"
            print(f"  - [{label}] {issue.message}")
        print()


def _load_config(args: argparse.Namespace) -> Config | None:
    """Load the configuration named on the command line; print the Vietnamese reason and
    return None when it is missing or invalid."""
    try:
        return load_config(args.config)
    except ConfigError as exc:
        print(f"Không đọc được cấu hình ({exc}). Đề nghị kiểm tra thư mục cấu hình (--config hoặc biến "
              "KETNOI_CONFIG) và các tệp programme.yaml, units.csv, communes.csv trong đó.", file=sys.stderr)
        return None


def cmd_validate(args: argparse.Namespace) -> int:
    from sync.api import validate_files

    schema = load_schema()
    config = _load_config(args)
    if config is None:
        return 2
    paths = [Path(p) for p in args.files]
    output = validate_files(paths, schema, config)
    if args.json:
        json.dump(output.to_json(), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        _print_summary(output, schema)
    if output.failures:
        for failure in output.failures:
            print(f"Không đọc được tệp của đơn vị {failure.unit}: {failure.reason}.", file=sys.stderr)
        return 2
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from sync.runner import run_sync

    config = _load_config(args)
    if config is None:
        return 2
    summary = run_sync(config, load_schema(), units=args.unit or None, write_back=not args.no_write)
    print(summary.text())
    return 0


def cmd_provision_google(args: argparse.Namespace) -> int:
    from sheets_schema.provision_google import provision_google
    from sync.backends.google import GoogleSheetsBackend
    from sync.errors import KetnoiError

    config = _load_config(args)
    if config is None:
        return 2
    schema = load_schema()
    try:
        backend = GoogleSheetsBackend.from_config(config)
    except KetnoiError as exc:
        log.error("cannot authorise the Google service account: %s", exc)
        print("Không xác thực được tài khoản dịch vụ Google; đề nghị kiểm tra tệp khóa (xem mục Google Sheets "
              "trong README).", file=sys.stderr)
        return 2
    status = 0
    for code in args.unit:
        if not config.has_unit(code):
            print(f"Không có đơn vị {code} trong tệp cấu hình units.csv.", file=sys.stderr)
            status = 2
            continue
        unit = config.unit(code)
        try:
            report = provision_google(backend, unit, schema, config)
        except KetnoiError as exc:
            print(f"Đơn vị {code}: không tạo hoặc cập nhật được bảng tính ({getattr(exc, 'reason', exc)}).",
                  file=sys.stderr)
            status = 1
            continue
        action = "Đã tạo" if report.created else "Đã cập nhật"
        print(f"{action} bảng tính của đơn vị {code}: {report.spreadsheet_id}")
        if report.created:
            print(f"  Ghi mã này vào cột location và «google» vào cột backend của đơn vị {code} trong units.csv.")
        for title in report.added_tabs:
            print(f"  Thêm trang tính «{title}».")
        for column in report.added_columns:
            print(f"  Thêm cột {column}.")
        for email in report.shared_with:
            print(f"  Chia sẻ quyền chỉnh sửa cho {email}.")
    return status


def main(argv: list[str] | None = None) -> int:
    # The common options are accepted before or after the sub-command.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS,
                        help="thư mục cấu hình (mặc định: config/ hoặc biến KETNOI_CONFIG)")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="ghi nhật ký chi tiết ra stderr")
    parser = argparse.ArgumentParser(prog="python -m sync", parents=[common],
                                     description="Kiểm tra và đồng bộ bảng tính của các đơn vị.")
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", parents=[common], help="kiểm tra một hoặc nhiều tệp .xlsx")
    validate.add_argument("files", nargs="+", help="tệp .xlsx; tên tệp (không có đuôi) là mã đơn vị")
    validate.add_argument("--json", action="store_true", help="in kết quả dạng JSON {issues, rows}")
    validate.set_defaults(func=cmd_validate)
    run = sub.add_parser("run", parents=[common], help="đồng bộ mọi đơn vị trong cấu hình")
    run.add_argument("--unit", action="append", help="chỉ đồng bộ đơn vị này (có thể lặp lại)")
    run.add_argument("--no-write", action="store_true", help="không ghi kết quả kiểm tra vào bảng tính")
    run.set_defaults(func=cmd_run)
    provision = sub.add_parser("provision-google", parents=[common], help="tạo mới hoặc cập nhật bảng tính Google của đơn vị")
    provision.add_argument("unit", nargs="+", help="mã đơn vị; đơn vị chưa có mã bảng tính thì tạo bảng tính mới")
    provision.set_defaults(func=cmd_provision_google)
    args = parser.parse_args(argv)
    args.config = getattr(args, "config", None)
    args.verbose = getattr(args, "verbose", False)
    _configure_logging(args.verbose)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
