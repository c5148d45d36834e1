"""Command line: `python -m sheets_schema provision [--demo] [--unit CODE ...] [--config DIR] [--force-demo]`."""

from __future__ import annotations

import argparse
import logging
import sys

from sheets_schema import ConfigError, load_config, load_schema
from sheets_schema.demo import fill_unit_demo, has_staff_data, missing_job_session_months
from sheets_schema.provision import ProvisionError, provision_all

log = logging.getLogger("sheets_schema")


def cmd_provision(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"Không đọc được cấu hình ({exc}). Đề nghị kiểm tra thư mục cấu hình (--config hoặc biến "
              "KETNOI_CONFIG) và các tệp programme.yaml, units.csv, communes.csv trong đó.", file=sys.stderr)
        return 2
    schema = load_schema()
    wanted = args.unit or None
    if wanted:
        unknown = [code for code in wanted if not config.has_unit(code)]
        if unknown:
            print(f"Không có đơn vị mã {', '.join(unknown)} trong cấu hình. Các mã hợp lệ: "
                  f"{', '.join(u.code for u in config.units)}.", file=sys.stderr)
            return 2
        for code in wanted:
            if config.unit(code).backend != "xlsx":
                print(f"Đơn vị {code} dùng Google Sheets; lệnh này chỉ tạo tệp Excel (.xlsx), bỏ qua đơn vị này.")

    print(f"Thư mục bảng tính: {config.workbooks_dir}")
    reports = provision_all(config, schema, wanted)
    failed = False
    missing_months = missing_job_session_months(config, args.seed)
    for report in reports:
        print(report.summary_vi())
        if report.error:
            failed = True
            continue
        if not (args.demo or args.force_demo):
            continue
        unit = config.unit(report.unit)
        try:
            has_data = not report.created and has_staff_data(report.path, schema)
            if has_data and not args.force_demo:
                print(f"  Không nhập dữ liệu mẫu vào tệp {report.path.name} vì tệp đã có số liệu "
                      "(dùng --force-demo để thay toàn bộ số liệu bằng dữ liệu mẫu).")
                continue
            demo = fill_unit_demo(report.path, unit, config, schema, seed=args.seed,
                                  error_rate=args.error_rate, replace=args.force_demo,
                                  missing_months=missing_months.get(unit.code))
        except ProvisionError as exc:
            print(f"  Không nhập được dữ liệu mẫu vào tệp {report.path.name}: {exc.message_vi}")
            failed = True
            continue
        print(f"  Đã nhập dữ liệu mẫu: {demo.rows} dòng, trong đó {sum(demo.mistakes.values())} chỗ nhập sai "
              "thường gặp để minh họa việc kiểm tra.")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sheets_schema",
                                     description="Tạo hoặc cập nhật bảng tính Excel của các đơn vị theo mẫu thống nhất.")
    parser.add_argument("-v", "--verbose", action="store_true", help="ghi nhật ký chi tiết ra stderr")
    sub = parser.add_subparsers(dest="command", required=True)
    provision = sub.add_parser("provision", help="tạo mới hoặc cập nhật tệp .xlsx của từng đơn vị")
    provision.add_argument("--config", help="thư mục cấu hình (mặc định: config/ hoặc biến KETNOI_CONFIG)")
    provision.add_argument("--unit", action="extend", nargs="+", metavar="CODE",
                           help="chỉ xử lý các đơn vị có mã này (có thể ghi nhiều mã)")
    provision.add_argument("--demo", action="store_true",
                           help="nhập dữ liệu mẫu vào các tệp vừa tạo hoặc chưa có số liệu")
    provision.add_argument("--force-demo", action="store_true",
                           help="thay toàn bộ số liệu của các tệp bằng dữ liệu mẫu, kể cả tệp đã có số liệu")
    provision.add_argument("--seed", type=int, default=2022, help="hạt giống ngẫu nhiên của dữ liệu mẫu (mặc định 2022)")
    provision.add_argument("--error-rate", type=float, default=0.05,
                           help="tỷ lệ dòng mẫu có chỗ nhập sai, từ 0 đến 1 (mặc định 0,05)")
    provision.set_defaults(func=cmd_provision)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
