"""Billing exports on this machine (FOCUS 1.0–1.2 CSV or Parquet, CUR 2.0 Parquet), read by
DuckDB in-process: the allocation query of :mod:`.billing_sql` runs inside DuckDB, which hands
back daily sums only.

``--actuals`` takes one file, a folder (every ``*.parquet``, ``*.csv`` or ``*.csv.gz`` below
it, as AWS Data Exports lay out their partitions) or a glob (``exports/2026-*/*.parquet``).
"""

from __future__ import annotations

import dataclasses
import glob as globbing
from pathlib import Path
from typing import Any

from finops_core.reading import ConfigError

from .billing_sql import COST_COLUMNS, DIMENSION_TAGS, BillingQuery, Engine, TagForm
from .billing_sums import BillingSums, DaySum

PARQUET = (".parquet",)
CSV = (".csv", ".csv.gz")
EXPECTED = ("a FOCUS 1.0-1.2 export (ChargePeriodStart, EffectiveCost, BilledCost, Tags) or CUR 2.0 Parquet "
            "(line_item_usage_start_date, line_item_unblended_cost, resource_tags_user_*), as CSV or Parquet")
# A large month stays inside 2 GiB: DuckDB spills beyond this instead of growing.
MEMORY_LIMIT = "1500MB"


def looks_like_export(value: str) -> bool:
    """A billing export rather than saved Cost Explorer responses (JSON)."""
    path = Path(value)
    if path.is_dir() or any(ch in value for ch in "*?["):
        return True
    return value.lower().endswith(PARQUET + CSV)


def _files(value: str) -> tuple[list[str], str]:
    path = Path(value)
    if path.is_dir():
        found = sorted(str(p) for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(PARQUET + CSV))
    elif any(ch in value for ch in "*?["):
        found = sorted(globbing.glob(value, recursive=True))
    elif path.is_file():
        found = [str(path)]
    else:
        raise ConfigError(value, None, "<no such file, folder or glob match>", EXPECTED)
    parquet = [f for f in found if f.lower().endswith(PARQUET)]
    csv = [f for f in found if f.lower().endswith(CSV)]
    if not parquet and not csv:
        raise ConfigError(value, None, "<no .parquet, .csv or .csv.gz file>", EXPECTED)
    if parquet and csv:
        raise ConfigError(value, None, f"<{len(parquet)} Parquet and {len(csv)} CSV files mixed>",
                          "one format per export: point --actuals at the Parquet or the CSV files")
    return (parquet, "parquet") if parquet else (csv, "csv")


def _relation(files: list[str], kind: str) -> str:
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    if kind == "parquet":
        return f"read_parquet([{listed}], union_by_name = true)"
    return f"read_csv([{listed}], header = true, union_by_name = true)"


def query_for(columns: dict[str, str], source: str, engine: Engine, cost: str, start: str, end: str,
              where: str) -> BillingQuery:
    """The query for a table whose columns (lower-case name -> type) are known."""
    if "tags" in columns or "chargeperiodstart" in columns:
        missing = [c for c in ("ChargePeriodStart", COST_COLUMNS[cost]) if c.lower() not in columns]
        if missing:
            raise ConfigError(where, None, f"<no {' or '.join(missing)} column>", EXPECTED)
        form = TagForm.MAP if columns.get("tags", "").upper().startswith("MAP") else TagForm.JSON
        if "tags" not in columns:
            raise ConfigError(where, None, "<no Tags column>", EXPECTED)
        return BillingQuery(source, form, engine, cost, start, end)
    if "line_item_usage_start_date" in columns and "line_item_unblended_cost" in columns:
        tag_columns = frozenset(c for c in columns if c.startswith("resource_tags"))
        return BillingQuery(source, TagForm.CUR_COLUMNS, engine, cost, start, end, tag_columns)
    raise ConfigError(where, None, f"<columns {', '.join(sorted(columns)[:8])} ...>", EXPECTED)


def sums_of(rows: list[tuple[Any, ...]], source: str, query: BillingQuery) -> BillingSums:
    sums = BillingSums(source, query.cost, [DaySum(str(d), str(e), str(k), str(v), float(u or 0.0))
                                            for d, e, k, v, u in rows if k in DIMENSION_TAGS])
    if query.tag_form is TagForm.CUR_COLUMNS:
        sums.notes.append(f"{source}: CUR 2.0 read at line_item_unblended_cost (no amortised column there)")
    return sums


def read_export(value: str, cost: str = "effective", start: str = "", end: str = "") -> BillingSums:
    """Daily sums of the export's cost over the days [start, end) (all days when empty)."""
    try:
        import duckdb
    except ImportError:
        raise ConfigError("--actuals", None, "<duckdb not installed>", "pip install duckdb") from None
    files, kind = _files(value)
    relation = _relation(files, kind)
    connection = duckdb.connect(config={"memory_limit": MEMORY_LIMIT})
    try:
        # UTC: a FOCUS timestamp with an offset becomes its UTC day; no progress bar on the user's terminal.
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute("SET enable_progress_bar = false")
        described = connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        columns = {str(name).lower(): str(kind_) for name, kind_, *_ in described}
        query = query_for(columns, relation, Engine.DUCKDB, cost, start, end, value)
        subscript = connection.execute("SELECT typeof(MAP {'k': 'v'}['k'])").fetchone()
        query = dataclasses.replace(query, value_subscript=bool(subscript and subscript[0] == "VARCHAR"))
        rows = connection.execute(query.sql()).fetchall()
    except duckdb.Error as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        raise ConfigError(value, None, f"<{type(exc).__name__}: {first}>", EXPECTED) from None
    finally:
        connection.close()
    return sums_of(rows, value, query)
