"""Billing exports too large for one machine: the same allocation query on Amazon Athena.

``--actuals athena://<database>.<table>?workgroup=<name>&output=s3://<bucket>/<prefix>``
runs through boto3 with the user's credentials (``AWS_ENDPOINT_URL`` honoured). The table is
the AWS Data Exports FOCUS table (``Tags`` a map); ``tags=json`` says Tags is a JSON string,
``format=cur`` that it is a CUR 2.0 table (its ``resource_tags`` map).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

from finops_core.reading import ConfigError

from .billing_sql import BillingQuery, Engine, TagForm
from .billing_sums import BillingSums
from .focus_export import sums_of

SCHEME = "athena://"
EXPECTED = "athena://<database>.<table>?workgroup=<name>&output=s3://<bucket>/<prefix>"
_NAME = re.compile(r"^[A-Za-z0-9_]+$")
POLL_SECONDS = 0.5
TIMEOUT_SECONDS = 900.0


@dataclass(frozen=True)
class AthenaTable:
    database: str
    table: str
    workgroup: str
    output: str
    tag_form: TagForm

    @property
    def source(self) -> str:
        return f'"{self.database}"."{self.table}"'

    @property
    def where(self) -> str:
        return f"{SCHEME}{self.database}.{self.table}"


def parse_athena(value: str) -> AthenaTable:
    url = urlparse(value)
    database, _, table = (url.netloc or "").partition(".")
    if url.scheme != "athena" or not _NAME.match(database) or not _NAME.match(table):
        raise ConfigError("--actuals", None, value, EXPECTED)
    options = {k: v[-1] for k, v in parse_qs(url.query).items()}
    unknown = sorted(set(options) - {"workgroup", "output", "tags", "format"})
    if unknown:
        raise ConfigError("--actuals", unknown[0], value, EXPECTED + " (options workgroup, output, tags, format)")
    output = options.get("output", "")
    if output and not output.startswith("s3://"):
        raise ConfigError("--actuals", "output", output, "an S3 location such as s3://athena-results/finops/")
    form = (TagForm.CUR_COLUMNS if options.get("format") == "cur"
            else TagForm.JSON if options.get("tags") == "json" else TagForm.MAP)
    return AthenaTable(database, table, options.get("workgroup", "primary"), output, form)


def _cell(cell: dict[str, Any]) -> str | None:
    return cell.get("VarCharValue")


def run_query(client: Any, table: AthenaTable, sql: str) -> list[list[str | None]]:
    """Start the query, wait for it, and page through its results (the header row dropped)."""
    request: dict[str, Any] = {"QueryString": sql, "QueryExecutionContext": {"Database": table.database},
                               "WorkGroup": table.workgroup}
    if table.output:
        request["ResultConfiguration"] = {"OutputLocation": table.output}
    execution = client.start_query_execution(**request)["QueryExecutionId"]
    waited = 0.0
    while True:
        status = client.get_query_execution(QueryExecutionId=execution)["QueryExecution"]["Status"]
        state = status.get("State")
        if state == "SUCCEEDED":
            break
        if state in ("FAILED", "CANCELLED"):
            raise ConfigError(table.where, None, f"<query {state}: {status.get('StateChangeReason', '')}>",
                              "a table Athena can query with the allocation SQL (see README)")
        if waited > TIMEOUT_SECONDS:
            raise ConfigError(table.where, None, f"<query still {state} after {TIMEOUT_SECONDS:g} s>",
                              "a query that finishes")
        time.sleep(POLL_SECONDS)
        waited += POLL_SECONDS
    rows: list[list[str | None]] = []
    token: str | None = None
    first = True
    while True:
        page = client.get_query_results(QueryExecutionId=execution, **({"NextToken": token} if token else {}))
        for index, row in enumerate(page["ResultSet"]["Rows"]):
            if first and index == 0:
                continue    # Athena's first row of the first page holds the column names
            rows.append([_cell(c) for c in row.get("Data", [])])
        first = False
        token = page.get("NextToken")
        if not token:
            return rows


def read_athena(value: str, cost: str = "effective", start: str = "", end: str = "",
                client: Any = None) -> BillingSums:
    table = parse_athena(value)
    query = BillingQuery(table.source, table.tag_form, Engine.ATHENA, cost, start, end,
                         frozenset({"resource_tags"}) if table.tag_form is TagForm.CUR_COLUMNS else frozenset())
    if client is None:
        try:
            import boto3
        except ImportError:
            raise ConfigError("--actuals", None, "<boto3 not installed>",
                              "pip install 'finops-guardrails[actuals]'") from None
        client = boto3.client("athena")
    try:
        rows = run_query(client, table, query.sql())
    except ConfigError:
        raise
    except Exception as exc:  # boto3/botocore raise many kinds; each is one line for the user
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise ConfigError(table.where, None, f"<{type(exc).__name__}: {first}>",
                          "a reachable Athena with credentials (AWS_PROFILE, AWS_ENDPOINT_URL ...)") from None
    try:
        parsed = [(r[0], r[1], r[2], r[3], float(r[4] or 0.0)) for r in rows if len(r) >= 5]
    except ValueError:
        raise ConfigError(table.where, None, "<a result row whose usd is not a number>",
                          "rows of day, environment, dimension, value, usd") from None
    return sums_of(parsed, table.where, query)
