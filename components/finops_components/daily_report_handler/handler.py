"""Daily cost report to team leads: yesterday's and month-to-date spend per team, by service.

Runs in AWS Lambda, started each morning by EventBridge Scheduler. It asks Cost Explorer
(GetCostAndUsage, grouped by the Team and Service cost-allocation tags) for yesterday and for
the month of yesterday up to today, and publishes one message per team to that team's SNS topic.
Spend without a Team tag is named in every message, so nobody can miss it.

Environment:

- ``TEAM_TOPICS``: JSON object, team -> SNS topic ARN (the teams that get a report);
- ``REPORT_ENVIRONMENT`` (optional): only spend tagged ``Environment=<value>``;
- ``REPORT_TITLE`` (optional): the first words of every subject, default "Daily cost report";
- ``UTILIZATION`` (optional): JSON ``{"target": 70, "idlePercent": 2, "days": 14}`` (rules.yaml
  ``utilization``): with it, each message adds the team's utilization KPI (average CPU of its
  EC2 and RDS instances, found by their tags, from CloudWatch's hourly averages) and its top
  three right-size or idle findings with their monthly savings, priced from ``sizes.json``
  beside this file (instance types and on-demand prices of the region, written at deployment;
  ``SIZES_FILE`` names another).

Imports only the standard library, boto3 and ``utilization_math`` (finops_core's, shipped beside
this file): these files are the whole deployment package.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:   # in the repository and its tests
    from finops_core.utilization_math import average_and_p95, smaller_types
except ImportError:   # in the Lambda package, where it ships beside this file
    from utilization_math import average_and_p95, smaller_types  # type: ignore[no-redef]

UNTAGGED = "(untagged)"
METRIC = "UnblendedCost"
SUBJECT_LIMIT = 100   # SNS Publish: Subject of at most 100 characters


def _tag(key: str) -> tuple[str, str]:
    name, _, value = key.partition("$")
    return name, value or UNTAGGED


def spend_by_team(pages: list[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """team -> service -> USD from GetCostAndUsage responses grouped by TAG Team and TAG Service."""
    spend: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for page in pages:
        for period in page.get("ResultsByTime", []):
            for group in period.get("Groups", []):
                tags = dict(_tag(k) for k in group.get("Keys", []))
                amount = float(group.get("Metrics", {}).get(METRIC, {}).get("Amount", 0))
                spend[tags.get("Team", UNTAGGED)][tags.get("Service", UNTAGGED)] += amount
    return {team: dict(services) for team, services in spend.items()}


def query(client: Any, start: dt.date, end: dt.date, granularity: str,
          environment: str | None) -> dict[str, dict[str, float]]:
    request: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()}, "Granularity": granularity,
        "Metrics": [METRIC], "GroupBy": [{"Type": "TAG", "Key": "Team"}, {"Type": "TAG", "Key": "Service"}]}
    if environment:
        request["Filter"] = {"Tags": {"Key": "Environment", "Values": [environment], "MatchOptions": ["EQUALS"]}}
    pages = []
    while True:
        page = client.get_cost_and_usage(**request)
        pages.append(page)
        if not page.get("NextPageToken"):
            return spend_by_team(pages)
        request["NextPageToken"] = page["NextPageToken"]


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def message(team: str, day: dt.date, month_start: dt.date, yesterday: Mapping[str, Mapping[str, float]],
            month: Mapping[str, Mapping[str, float]], title: str,
            utilization: Mapping[str, TeamUtilization] | None = None) -> tuple[str, str]:
    """The subject and body of one team's report."""
    mine_day, mine_month = yesterday.get(team, {}), month.get(team, {})
    total_day, total_month = sum(mine_day.values()), sum(mine_month.values())
    subject = f"{title}: {team} {_usd(total_day)} on {day.isoformat()}, {_usd(total_month)} this month"
    lines = [f"Cost report for team {team}, {day.isoformat()} (AWS Cost Explorer, unblended cost, USD).", "",
             f"Yesterday ({day.isoformat()}): {_usd(total_day)}",
             f"Month to date ({month_start.isoformat()} to {day.isoformat()}): {_usd(total_month)}", "",
             f"{'service':<20} {'yesterday':>12} {'month to date':>15}"]
    for service in sorted(set(mine_day) | set(mine_month), key=lambda s: -mine_month.get(s, 0.0)):
        lines.append(f"{service:<20} {_usd(mine_day.get(service, 0.0)):>12} {_usd(mine_month.get(service, 0.0)):>15}")
    untagged_day = sum(yesterday.get(UNTAGGED, {}).values())
    untagged_month = sum(month.get(UNTAGGED, {}).values())
    if untagged_day or untagged_month:
        lines += ["", f"Spend without a Team tag (no team is charged for it): {_usd(untagged_day)} yesterday, "
                      f"{_usd(untagged_month)} this month. Tag your resources so it can be allocated."]
    if utilization is not None:
        lines += utilization_lines(team, utilization)
    return subject[:SUBJECT_LIMIT], "\n".join(lines) + "\n"


SIZES_FILE = Path(__file__).resolve().parent / "sizes.json"
HOURS_PER_MONTH = 730


@dataclass
class Finding:
    name: str
    type: str
    average: float
    p95: float
    action: str               # downsize | stop | none
    to: str | None = None
    saving: float = 0.0


@dataclass
class TeamUtilization:
    target: float
    days: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def average(self) -> float | None:
        return round(sum(f.average for f in self.findings) / len(self.findings), 1) if self.findings else None


def _tagged(tagging: Any, environment: str | None) -> list[tuple[str, dict[str, str]]]:
    request: dict[str, Any] = {"ResourceTypeFilters": ["ec2:instance", "rds:db"]}
    if environment:
        request["TagFilters"] = [{"Key": "Environment", "Values": [environment]}]
    found = []
    while True:
        page = tagging.get_resources(**request)
        for mapping in page.get("ResourceTagMappingList", []):
            found.append((mapping["ResourceARN"], {t["Key"]: t["Value"] for t in mapping.get("Tags", [])}))
        if not page.get("PaginationToken"):
            return found
        request["PaginationToken"] = page["PaginationToken"]


def _instances(ec2: Any, rds: Any, tagged: list[tuple[str, dict[str, str]]]) -> list[dict[str, Any]]:
    """id, kind, type, price key, team and name of each running EC2 and RDS instance found."""
    found = []
    ids = {arn.rsplit("/", 1)[-1]: tags for arn, tags in tagged if ":instance/" in arn}
    if ids:
        for reservation in ec2.describe_instances(InstanceIds=sorted(ids))["Reservations"]:
            for instance in reservation["Instances"]:
                if instance.get("State", {}).get("Name") == "running":
                    tags = ids[instance["InstanceId"]]
                    found.append({"id": instance["InstanceId"], "kind": "ec2", "type": instance["InstanceType"],
                                  "team": tags.get("Team", UNTAGGED), "name": tags.get("Name", instance["InstanceId"])})
    for arn, tags in tagged:
        if ":db:" in arn:
            ident = arn.rsplit(":", 1)[-1]
            for db in rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"]:
                found.append({"id": ident, "kind": "rds", "type": db["DBInstanceClass"], "engine": db["Engine"],
                              "team": tags.get("Team", UNTAGGED), "name": ident})
    return found


def _cpu(cloudwatch: Any, instances: list[dict[str, Any]], start: dt.datetime, end: dt.datetime) -> None:
    queries = [{"Id": f"q{n}", "ReturnData": True, "MetricStat": {"Metric": {
        "Namespace": "AWS/EC2" if i["kind"] == "ec2" else "AWS/RDS", "MetricName": "CPUUtilization",
        "Dimensions": [{"Name": "InstanceId" if i["kind"] == "ec2" else "DBInstanceIdentifier", "Value": i["id"]}]},
        "Period": 3600, "Stat": "Average"}} for n, i in enumerate(instances)]
    for first in range(0, len(queries), 500):
        request: dict[str, Any] = {"MetricDataQueries": queries[first:first + 500], "StartTime": start,
                                   "EndTime": end}
        while True:
            page = cloudwatch.get_metric_data(**request)
            for result in page.get("MetricDataResults", []):
                instances[int(result["Id"][1:])].setdefault("hourly", []).extend(result.get("Values", []))
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]


def _hourly_usd(instance: Mapping[str, Any], type_name: str, sizes: Mapping[str, Any]) -> float | None:
    price = sizes["ec2"].get(type_name) if instance["kind"] == "ec2" else \
        sizes["rds"].get(f"{instance['engine']}/{type_name}")
    return float(price) if price is not None else None


def judge(instance: Mapping[str, Any], sizes: Mapping[str, Any], target: float, idle: float) -> Finding | None:
    """The finding of one instance: stop when idle, downsize within its family, else none."""
    stats = average_and_p95(instance.get("hourly", []))
    if stats is None:
        return None
    average, p95 = stats
    prefix = "db." if instance["kind"] == "rds" else ""
    type_name = instance["type"]
    now = _hourly_usd(instance, type_name, sizes)
    finding = Finding(instance["name"], type_name, average, p95, "none")
    if average < idle:
        finding.action, finding.saving = "stop", round((now or 0.0) * HOURS_PER_MONTH, 2)
        return finding
    known = sizes["types"].get(type_name.removeprefix(prefix))
    if known is None or now is None:
        return finding
    family, vcpus, arch = known
    candidates = [(name, v) for name, (f, v, a) in sizes["types"].items() if f == family and a == arch]
    for name in smaller_types(p95, vcpus, candidates, target):
        then = _hourly_usd(instance, prefix + name, sizes)
        if then is not None and then < now:
            finding.action, finding.to = "downsize", prefix + name
            finding.saving = round((now - then) * HOURS_PER_MONTH, 2)
            break
    return finding


def utilization_by_team(settings: Mapping[str, Any], environment: str | None, now: dt.datetime,
                        clients: Mapping[str, Any]) -> dict[str, TeamUtilization]:
    """team -> its KPI and findings, from the Tagging API, EC2, RDS and CloudWatch."""
    sizes_file = Path(os.environ.get("SIZES_FILE") or SIZES_FILE)
    if not sizes_file.is_file():
        return {}
    sizes = json.loads(sizes_file.read_text())
    days = int(settings.get("days", 14))
    target, idle = float(settings.get("target", 70)), float(settings.get("idlePercent", 2))
    end = now.replace(minute=0, second=0, microsecond=0)
    instances = _instances(clients["ec2"], clients["rds"], _tagged(clients["resourcegroupstaggingapi"], environment))
    _cpu(clients["cloudwatch"], instances, end - dt.timedelta(days=days), end)
    teams: dict[str, TeamUtilization] = {}
    for instance in instances:
        finding = judge(instance, sizes, target, idle)
        if finding is not None:
            teams.setdefault(instance["team"], TeamUtilization(target, days)).findings.append(finding)
    return teams


def utilization_lines(team: str, utilization: Mapping[str, TeamUtilization]) -> list[str]:
    mine = utilization.get(team)
    if mine is None or mine.average is None:
        return ["", "Utilization: no measured EC2 or RDS instances of this team."]
    verdict = "at or above" if mine.average >= mine.target else "below"
    lines = ["", f"Utilization (CPU, hourly averages over {mine.days} days): average {mine.average:g} % of "
                 f"{len(mine.findings)} instance(s), {verdict} the {mine.target:g} % target."]
    top = sorted((f for f in mine.findings if f.saving > 0), key=lambda f: -f.saving)[:3]
    if top:
        lines.append("Top findings:")
    for f in top:
        what = f"downsize to {f.to}" if f.action == "downsize" else "stop it (idle)"
        lines.append(f"- {f.name} ({f.type}, average {f.average:g} %, p95 {f.p95:g} %): {what}, "
                     f"saving {_usd(f.saving)}/month")
    return lines


def handler(event: Mapping[str, Any] | None = None, context: Any = None, *, today: dt.date | None = None,
            ce: Any = None, sns: Any = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Publish one message per team of ``TEAM_TOPICS``; returns team -> SNS message id."""
    import boto3  # the Lambda runtime provides it

    topics: dict[str, str] = json.loads(os.environ["TEAM_TOPICS"])
    environment = os.environ.get("REPORT_ENVIRONMENT") or None
    title = os.environ.get("REPORT_TITLE") or "Daily cost report"
    today = today or dt.datetime.now(dt.timezone.utc).date()
    day = today - dt.timedelta(days=1)
    month_start = day.replace(day=1)          # on the 1st: the whole of last month
    ce = ce or boto3.client("ce")
    sns = sns or boto3.client("sns")
    yesterday = query(ce, day, today, "DAILY", environment)
    month = query(ce, month_start, today, "MONTHLY", environment)
    utilization = None
    if os.environ.get("UTILIZATION"):
        clients = {name: boto3.client(name) for name in ("resourcegroupstaggingapi", "ec2", "rds", "cloudwatch")}
        utilization = utilization_by_team(json.loads(os.environ["UTILIZATION"]), environment,
                                          now or dt.datetime.now(dt.timezone.utc), clients)
    published = {}
    for team, topic in sorted(topics.items()):
        subject, body = message(team, day, month_start, yesterday, month, title, utilization)
        response = sns.publish(TopicArn=topic, Subject=subject, Message=body)
        published[team] = response["MessageId"]
    return {"date": day.isoformat(), "published": published}
