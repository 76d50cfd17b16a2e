"""The one SQL query that allocates a billing export, for DuckDB (in-process) and Amazon Athena.

Both engines run the same statement; only the way a tag is read out of the ``Tags`` column
differs (a map, as AWS Data Exports write FOCUS Parquet, or a JSON object, as FOCUS CSV
carries it), and CUR 2.0 keeps tags in ``resource_tags_user_<key>`` columns. The query sums
the cost column per day and environment under GROUPING SETS, one set per allocation tag, so
what comes back is a few thousand sums, never the rows themselves.

FOCUS column names (FOCUS 1.0–1.2): ``ChargePeriodStart``, ``EffectiveCost`` (amortised,
the default) or ``BilledCost`` (``--cost billed``), ``Tags``. A tag key is accepted as
written (``Environment``) or with the ``user:`` prefix of user-defined tags (``user:Environment``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

UNTAGGED = "(untagged)"
ENVIRONMENT_TAG = "Environment"
# The allocation dimensions, in the order the query returns them: report name -> tag key.
DIMENSION_TAGS: dict[str, str] = {"team": "Team", "service": "Service", "cost_center": "CostCenter",
                                  "phase": "Phase", "owner": "Owner", "feature": "Feature"}
COST_COLUMNS = {"effective": "EffectiveCost", "billed": "BilledCost"}
# CUR 2.0 has no single amortised column: both read the unblended cost (the report says so).
CUR_COST_COLUMN = "line_item_unblended_cost"
USER_PREFIX = "user:"


class TagForm(Enum):
    MAP = "map"                 # Tags MAP(VARCHAR, VARCHAR): FOCUS Parquet from AWS Data Exports
    JSON = "json"               # Tags as a JSON object in a string: FOCUS CSV
    CUR_COLUMNS = "cur"         # CUR 2.0: resource_tags_user_<key> columns, or a resource_tags map


class Engine(Enum):
    DUCKDB = "duckdb"
    ATHENA = "athena"           # Trino SQL


_SAFE_KEY = re.compile(r"^[A-Za-z0-9_:.\-/ ]{1,128}$")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _key(key: str) -> str:
    """A tag key as the query may name it (tag keys come from the rules, never from the export)."""
    if not _SAFE_KEY.match(key):
        raise ValueError(f"tag key {key!r} has characters the billing query does not accept")
    return key


@dataclass(frozen=True)
class BillingQuery:
    """One allocation query: its source (a DuckDB table function or an Athena table), how its
    tags are stored, which cost it sums and the days [start, end) it covers."""

    source: str
    tag_form: TagForm
    engine: Engine
    cost: str = "effective"
    start: str = ""             # YYYY-MM-DD, inclusive
    end: str = ""               # YYYY-MM-DD, exclusive
    cur_tag_columns: frozenset[str] = frozenset()   # lower-case column names, CUR 2.0 only
    # DuckDB: ``map['key']`` gives the value (newer versions; half the cost of element_at(...)[1]).
    value_subscript: bool = False

    def _one_tag(self, key: str) -> str:
        key = _key(key)
        if self.tag_form is TagForm.MAP:
            return self._map_value("Tags", key)
        if self.engine is Engine.DUCKDB:
            return f"json_extract_string(Tags, {_literal(chr(36) + '.' + chr(34) + key + chr(34))})"
        return f"json_extract_scalar(Tags, {_literal(chr(36) + '[' + chr(34) + key + chr(34) + ']')})"

    def _map_value(self, column: str, key: str) -> str:
        if self.engine is Engine.ATHENA:
            return f"element_at({column}, {_literal(key)})"     # Trino: the value, NULL when missing
        if self.value_subscript:
            return f"{column}[{_literal(key)}]"
        return f"element_at({column}, {_literal(key)})[1]"      # DuckDB before 1.2: a list, empty when missing

    def tag(self, key: str) -> str:
        """The tag's value, '(untagged)' where the row lacks it or it is empty."""
        if self.tag_form is TagForm.CUR_COLUMNS:
            column = f"resource_tags_user_{_key(key).lower()}"
            forms = [column] if column in self.cur_tag_columns else []
            if "resource_tags" in self.cur_tag_columns:
                forms.append(self._map_value("resource_tags", "user_" + key.lower()))
        else:
            forms = [self._one_tag(key), self._one_tag(USER_PREFIX + key)]
        if not forms:
            return f"'{UNTAGGED}'"
        values = ", ".join(f"NULLIF(CAST({f} AS VARCHAR), '')" for f in forms)
        return f"COALESCE({values}, '{UNTAGGED}')"

    @property
    def cost_column(self) -> str:
        return CUR_COST_COLUMN if self.tag_form is TagForm.CUR_COLUMNS else COST_COLUMNS[self.cost]

    @property
    def start_column(self) -> str:
        return "line_item_usage_start_date" if self.tag_form is TagForm.CUR_COLUMNS else "ChargePeriodStart"

    def sql(self) -> str:
        """Daily sums per environment and each allocation dimension (``dimension``, ``value``)."""
        day = f"substr(CAST({self.start_column} AS VARCHAR), 1, 10)"
        dims = ",\n         ".join(f"{self.tag(tag)} AS {name}" for name, tag in DIMENSION_TAGS.items())
        which = " ".join(f"WHEN GROUPING({name}) = 0 THEN '{name}'" for name in DIMENSION_TAGS)
        value = ", ".join(DIMENSION_TAGS)
        sets = ", ".join(f"(day, environment, {name})" for name in DIMENSION_TAGS)
        where = []
        if self.start:
            where.append(f"{day} >= '{self.start}'")
        if self.end:
            where.append(f"{day} < '{self.end}'")
        condition = f"\n  WHERE {' AND '.join(where)}" if where else ""
        return (f"WITH charges AS (\n"
                f"  SELECT {day} AS day,\n"
                f"         {self.tag(ENVIRONMENT_TAG)} AS environment,\n"
                f"         {dims},\n"
                f"         CAST({self.cost_column} AS DOUBLE) AS cost\n"
                f"  FROM {self.source}{condition}\n"
                f")\n"
                f"SELECT day, environment, CASE {which} END AS dimension,\n"
                f"       COALESCE({value}) AS value, SUM(cost) AS usd\n"
                f"FROM charges\n"
                f"GROUP BY GROUPING SETS ({sets})\n"
                f"ORDER BY day, environment, dimension, value")
