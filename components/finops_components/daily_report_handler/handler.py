"""Daily cost report to team leads: yesterday's and month-to-date spend per team, by service.

Runs in AWS Lambda, started each morning by EventBridge Scheduler. It asks Cost Explorer
(GetCostAndUsage, grouped by the Team and Service cost-allocation tags) for yesterday and for
the month of yesterday up to today, and publishes one message per team to that team's SNS topic.
Spend without a Team tag is named in every message, so nobody can miss it.

Environment:

- ``TEAM_TOPICS``: JSON object, team -> SNS topic ARN (the teams that get a report);
- ``REPORT_ENVIRONMENT`` (optional): only spend tagged ``Environment=<value>``;
- ``REPORT_TITLE`` (optional): the first words of every subject, default "Daily cost report".

Imports only the standard library and boto3: this file is the whole deployment package.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

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
            month: Mapping[str, Mapping[str, float]], title: str) -> tuple[str, str]:
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
    return subject[:SUBJECT_LIMIT], "\n".join(lines) + "\n"


def handler(event: Mapping[str, Any] | None = None, context: Any = None, *, today: dt.date | None = None,
            ce: Any = None, sns: Any = None) -> dict[str, Any]:
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
    published = {}
    for team, topic in sorted(topics.items()):
        subject, body = message(team, day, month_start, yesterday, month, title)
        response = sns.publish(TopicArn=topic, Subject=subject, Message=body)
        published[team] = response["MessageId"]
    return {"date": day.isoformat(), "published": published}
