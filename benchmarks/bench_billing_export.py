#!/usr/bin/env python3
"""A large organisation's month of FOCUS billing rows, allocated three ways, each timed in a fresh
process with its peak resident memory:

1. ``finops actuals --actuals month.parquet`` end to end (DuckDB in-process: the allocation
   query of finops_preview.report.billing_sql, GROUPING SETS per tag, daily sums back);
2. the same query alone, through ``read_export`` (no CLI, no snapshot);
3. plain Python over the same rows (``csv`` + ``json`` per row into dicts), the way a script
   without an engine would: on the same rows written as FOCUS CSV (Tags a JSON object).

    .venv/bin/python benchmarks/bench_billing_export.py --rows 5000000
    .venv/bin/python benchmarks/bench_billing_export.py --rows 5000000 --python-rows 1000000

The export is generated with DuckDB (31 days of November 2026, 7 allocation tags under
``user:`` keys, 1 row in 20 untagged, ~40,000 resources) into a temporary folder, once per run.
The totals of every path are compared to the cent. The goal: 5,000,000 rows in at most 30 s
and 2 GiB on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

GENERATE = """
COPY (
  SELECT
    '123456789012' AS BillingAccountId, 'USD' AS BillingCurrency,
    TIMESTAMP '2026-11-01' + INTERVAL (i % 30) DAY AS ChargePeriodStart,
    TIMESTAMP '2026-11-01' + INTERVAL (i % 30 + 1) DAY AS ChargePeriodEnd,
    TIMESTAMP '2026-11-01' AS BillingPeriodStart, TIMESTAMP '2026-12-01' AS BillingPeriodEnd,
    'Usage' AS ChargeCategory,
    ['AmazonEC2', 'AmazonRDS', 'AmazonS3', 'AWSLambda', 'AmazonEKS'][1 + i % 5] AS ServiceName,
    'arn:aws:ec2:us-east-1:123456789012:instance/i-' || (i % 40000)::VARCHAR AS ResourceId,
    'us-east-1' AS RegionId,
    'SKU' || (i % 997)::VARCHAR AS SkuId,
    round(((i * 7919) % 1000) / 100.0 + 0.01, 6)::DOUBLE AS ListCost,
    round(((i * 7919) % 1000) / 100.0 + 0.01, 6)::DOUBLE AS BilledCost,
    round(((i * 7919) % 1000) / 110.0 + 0.01, 6)::DOUBLE AS EffectiveCost,
    CASE WHEN i % 20 = 0 THEN MAP {} ELSE MAP {
      'user:Environment': ['dev', 'staging', 'prod'][1 + i % 3],
      'user:Team': ['backend', 'frontend', 'devops', 'security'][1 + (i // 3) % 4],
      'user:Service': ['ssa', 'policy-engine', 'audit', 'ui'][1 + (i // 7) % 4],
      'user:CostCenter': ['engineering', 'research', 'operations'][1 + (i // 11) % 3],
      'user:Phase': ['mvp', 'enterprise', 'expansion'][1 + (i // 13) % 3],
      'user:Owner': 'user' || ((i // 17) % 50)::VARCHAR,
      'user:Feature': 'feature-' || ((i // 19) % 30)::VARCHAR,
      'aws:createdBy': 'IAMUser:ABC'} END AS Tags
  FROM range({rows}) t(i)
) TO '{target}' (FORMAT parquet, ROW_GROUP_SIZE 122880)
"""

WRITE = """
import sys, duckdb
rows, parquet, csv = sys.argv[1:]
connection = duckdb.connect()
connection.execute("SET enable_progress_bar = false")
connection.execute(GENERATE.replace("{rows}", rows).replace("{target}", parquet))
connection.execute(f"COPY (SELECT ChargePeriodStart, EffectiveCost, BilledCost, to_json(Tags)::VARCHAR AS Tags "
                   f"FROM read_parquet('{parquet}')) TO '{csv}' (HEADER)")
print(duckdb.__version__)
""".replace("GENERATE", repr(GENERATE))

DUCKDB_QUERY = """
import sys
from finops_preview.report.focus_export import read_export
sums = read_export(sys.argv[1], "effective", "2026-11-01", "2026-12-01")
print(f"{sums.actuals('2026-11-01', '2026-12-01').total:.2f}")
"""

PLAIN_PYTHON = """
import csv, json, sys
from collections import defaultdict
limit = int(sys.argv[2])
by_team = defaultdict(lambda: defaultdict(float))
with open(sys.argv[1], newline="") as handle:
    for n, row in enumerate(csv.DictReader(handle)):
        if n >= limit:
            break
        if not "2026-11-01" <= row["ChargePeriodStart"][:10] < "2026-12-01":
            continue
        tags = json.loads(row["Tags"] or "{}")
        env = tags.get("Environment") or tags.get("user:Environment") or "(untagged)"
        team = tags.get("Team") or tags.get("user:Team") or "(untagged)"
        by_team[env][team] += float(row["EffectiveCost"])
print(f"{round(sum(round(v, 2) for teams in by_team.values() for v in teams.values()), 2):.2f}")
"""


def measure(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str, float]:
    """Wall seconds, peak RSS in MiB (of that process alone, from wait4), stdout and CPU seconds
    (user + system: what a busy shared machine does not inflate) of one fresh process."""
    with tempfile.TemporaryFile(mode="w+") as out, tempfile.TemporaryFile(mode="w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, env={**os.environ, **(env or {})}, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode:
            raise SystemExit(f"{argv[:3]} failed: {err.read().strip()[-400:]}")
        return wall, usage.ru_maxrss / 1024, out.read().strip(), usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--python-rows", type=int, default=0, help="rows plain Python reads (default: all)")
    parser.add_argument("--keep", type=Path, help="write the export here and keep it (reused when there)")
    args = parser.parse_args()
    python = sys.executable
    finops = str(Path(python).with_name("finops"))
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        parquet, csv = folder / "focus-2026-11.parquet", folder / "focus-2026-11.csv"
        # Generated in a child: Linux carries a process's peak RSS across fork and exec, so this
        # process stays small for the measured children's figures to be their own.
        if parquet.exists() and csv.exists() and args.keep:
            generated, version = 0.0, "(export kept from an earlier run)"
        else:
            generated, _, version, _ = measure([python, "-c", WRITE, str(args.rows), str(parquet), str(csv)])
        print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, DuckDB {version}, "
              f"load average {os.getloadavg()[0]:.1f}")
        print(f"generated {args.rows:,} rows in {generated:.1f} s: Parquet {parquet.stat().st_size / 2**20:.0f} MiB, "
              f"CSV {csv.stat().st_size / 2**20:.0f} MiB")
        rows = args.python_rows or args.rows
        results = [
            ("finops actuals --actuals month.parquet (CLI, DuckDB)",
             measure([finops, "actuals", "--actuals", str(parquet), "--month", "2026-11", "-o", str(folder / "s.json")],
                     {"FINOPS_TODAY": "2026-12-01"})),
            ("allocation query alone (read_export, DuckDB)", measure([python, "-c", DUCKDB_QUERY, str(parquet)])),
            (f"plain Python, csv + json per row ({rows:,} rows)",
             measure([python, "-c", PLAIN_PYTHON, str(csv), str(rows)])),
        ]
        snapshot = json.loads((folder / "s.json").read_text())
        cli_total = sum(e["monthToDateUsd"] for e in snapshot["environments"].values())
        wall, rss, _, cpu = results[0][1]
        results[0] = (results[0][0], (wall, rss, f"{cli_total:.2f}", cpu))
        for name, (wall, rss, out, cpu) in results:
            print(f"{name:<56} {wall:7.1f} s wall {cpu:7.1f} s CPU {rss:6.0f} MiB peak RSS  total ${out}")


if __name__ == "__main__":
    main()
