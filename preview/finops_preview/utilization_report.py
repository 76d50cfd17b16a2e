"""`finops utilization`: per-resource findings, the KPI by team, service and environment, and
the formats (table readable at 120 columns, JSON, CSV, HTML in the cost report's style)."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from finops_core.rightsizing import Measured, Pricer, Recommendation, Stats, recommend, stats_of
from finops_core.rules import Rules

from .report.page import STYLE
from .utilization_sources import ENVIRONMENT_TAG, Deployed

UNATTRIBUTED = "(unattributed)"
IDLE_ACTIONS = ("stop", "delete")
# AWS's short names of the resource types, for the table and the JSON's "kind".
KINDS = {"aws:ec2/instance:Instance": "ec2-instance", "aws:rds/instance:Instance": "rds-instance",
         "aws:elasticache/cluster:Cluster": "elasticache-cluster", "aws:ebs/volume:Volume": "ebs-volume",
         "aws:ec2/eip:Eip": "elastic-ip", "aws:ec2/natGateway:NatGateway": "nat-gateway",
         "aws:lb/loadBalancer:LoadBalancer": "load-balancer", "aws:elb/loadBalancer:LoadBalancer": "classic-elb",
         "aws:ecs/service:Service": "ecs-service",
         "aws:opensearch/domain:Domain": "opensearch-domain"}


@dataclass(frozen=True)
class Finding:
    deployed: Deployed
    team: str
    service: str
    environment: str
    cpu: Stats | None
    memory: Stats | None
    requests: float | None
    bytes_per_day: float | None
    idle_volume_percent: float | None
    monthly_usd: float | None
    recommendation: Recommendation

    @property
    def type(self) -> str:
        size = self.deployed.inputs.get(self.deployed.size_key) if self.deployed.size_key else None
        return str(size) if size else KINDS.get(self.deployed.resource_type, self.deployed.resource_type)

    @property
    def idle(self) -> bool:
        return self.recommendation.action in IDLE_ACTIONS

    def as_json(self) -> dict[str, Any]:
        d = self.deployed
        row: dict[str, Any] = {
            "id": d.id, "type": self.type, "kind": KINDS.get(d.resource_type, d.resource_type),
            "resourceType": d.resource_type, "name": d.name, "team": self.team, "service": self.service,
            "environment": self.environment,
            "cpu": {"average": self.cpu.average, "p95": self.cpu.p95, "hours": self.cpu.hours} if self.cpu else None,
            "monthlyUsd": self.monthly_usd, "recommendation": self.recommendation.as_json()}
        if self.memory:
            row["memory"] = {"average": self.memory.average, "p95": self.memory.p95}
        if self.requests is not None:
            row["requests"] = self.requests
        if self.bytes_per_day is not None:
            row["bytesPerDay"] = round(self.bytes_per_day)
        if self.idle_volume_percent is not None:
            row["idleTimePercent"] = self.idle_volume_percent
        return row


def _attribution(tags: Mapping[str, str], rules: Rules) -> tuple[str, str, str]:
    service = tags.get("Service") or UNATTRIBUTED
    team = tags.get("Team") or rules.service_owners.get(service) or UNATTRIBUTED
    return team, service, tags.get(ENVIRONMENT_TAG) or UNATTRIBUTED


def analyse(resources: Iterable[Deployed], rules: Rules, price: Pricer, days: int) -> list[Finding]:
    findings = []
    for d in resources:
        cpu = stats_of(d.hourly.get("cpu", []))
        memory = stats_of(d.hourly.get("memory", []))
        requests = sum(d.hourly["requests"]) if "requests" in d.hourly else None
        bytes_per_day = sum(d.hourly["bytes"]) / days if "bytes" in d.hourly else None
        idle_seconds = d.hourly.get("idle")
        # VolumeIdleTime is seconds idle per period: share of the hours measured.
        idle_percent = round(100 * sum(idle_seconds) / (3600 * len(idle_seconds)), 1) if idle_seconds else None
        measured = Measured(d.resource_type, d.inputs, d.size_key, cpu, requests, bytes_per_day, d.unused)
        recommendation, monthly = recommend(measured, rules.utilization, price)
        team, service, environment = _attribution(d.tags, rules)
        findings.append(Finding(d, team, service, environment, cpu, memory, requests, bytes_per_day, idle_percent,
                                monthly, recommendation))
    return sorted(findings, key=lambda f: (-f.recommendation.monthly_saving_usd, f.deployed.name))


def _group(findings: list[Finding], key: str, target: float) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        groups[getattr(f, key)].append(f)
    result = {}
    for name, members in sorted(groups.items()):
        measured = [f.cpu.average for f in members if f.cpu is not None]
        average = round(sum(measured) / len(measured), 1) if measured else None
        spend = round(sum(f.monthly_usd or 0.0 for f in members), 2)
        idle = round(sum(f.monthly_usd or 0.0 for f in members if f.idle), 2)
        result[name] = {"averagePercent": average, "target": target,
                        "meetsTarget": None if average is None else average >= target,
                        "resources": len(members), "measured": len(measured), "monthlyUsd": spend,
                        "idleMonthlyUsd": idle, "idleSharePercent": round(100 * idle / spend, 1) if spend else 0.0,
                        "potentialSavingUsd": round(sum(f.recommendation.monthly_saving_usd for f in members), 2)}
    return result


def kpi(findings: list[Finding], rules: Rules) -> dict[str, Any]:
    target = rules.utilization.target_percent
    measured = [f.cpu.average for f in findings if f.cpu is not None]
    spend = round(sum(f.monthly_usd or 0.0 for f in findings), 2)
    idle = round(sum(f.monthly_usd or 0.0 for f in findings if f.idle), 2)
    average = round(sum(measured) / len(measured), 1) if measured else None
    return {"target": target, "idlePercent": rules.utilization.idle_percent,
            "averagePercent": average, "meetsTarget": None if average is None else average >= target,
            "monthlyUsd": spend, "idleMonthlyUsd": idle,
            "idleSharePercent": round(100 * idle / spend, 1) if spend else 0.0,
            "potentialSavingUsd": round(sum(f.recommendation.monthly_saving_usd for f in findings), 2),
            "byTeam": _group(findings, "team", target), "byService": _group(findings, "service", target),
            "byEnvironment": _group(findings, "environment", target)}


@dataclass(frozen=True)
class UtilizationReport:
    environment: str
    source: str
    start: dt.datetime
    end: dt.datetime
    days: int
    findings: list[Finding]
    kpi: dict[str, Any]
    notes: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"environment": self.environment, "source": self.source,
                "period": {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days,
                           "granularity": "hourly"},
                "utilization": self.kpi, "resources": [f.as_json() for f in self.findings], "notes": self.notes}


def as_json(report: UtilizationReport) -> str:
    return json.dumps(report.as_json(), indent=2) + "\n"


def _percent(stats: Stats | None) -> str:
    return f"{stats.average:.0f}/{stats.p95:.0f}" if stats else "-"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


# (header, width) of the table's columns; with single spaces between them 120 columns in all.
_COLUMNS = (("RESOURCE", 22), ("TYPE", 13), ("TEAM", 10), ("SERVICE", 13), ("CPU AVG/P95", 11),
            ("ACTION", 8), ("TO", 12), ("SAVING/MO", 10), ("MONTHLY", 10))


def as_table(report: UtilizationReport) -> str:
    k = report.kpi
    lines = [f"Utilization of {report.environment}: {report.days} days of hourly averages, "
             f"{report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} UTC",
             f"  from {report.source}",
             f"KPI: average CPU {_kpi(k)} against the {k['target']:g} % target",
             f"  idle spend ${k['idleMonthlyUsd']:,.2f} of ${k['monthlyUsd']:,.2f} a month "
             f"({k['idleSharePercent']:g} %); potential saving ${k['potentialSavingUsd']:,.2f} a month", ""]
    lines.append(" ".join(h.ljust(w) for h, w in _COLUMNS).rstrip())
    for f in report.findings:
        r = f.recommendation
        cells = (f.deployed.name, f.type, f.team, f.service, _percent(f.cpu), r.action, r.to or "-",
                 f"${r.monthly_saving_usd:,.2f}" if r.monthly_saving_usd else "-",
                 f"${f.monthly_usd:,.2f}" if f.monthly_usd is not None else "not priced")
        lines.append(" ".join(_cut(c, w).ljust(w) for c, (_, w) in zip(cells, _COLUMNS, strict=True)).rstrip())
        lines.append(_cut(f"    {f.deployed.id}: {r.reason}", 120))
    for title, key in (("team", "byTeam"), ("service", "byService"), ("environment", "byEnvironment")):
        lines += ["", f"By {title}:"]
        for name, g in k[key].items():
            lines.append(_cut(f"  {_cut(name, 16):<16} CPU {_kpi(g):<20} {g['resources']:>3} resources "
                              f"${g['monthlyUsd']:>10,.2f}/mo  idle {g['idleSharePercent']:>5g} %  "
                              f"saving ${g['potentialSavingUsd']:,.2f}/mo", 120))
    lines += [_cut(f"Note: {n}", 120) for n in report.notes]
    return "\n".join(lines) + "\n"


def _kpi(group: Mapping[str, Any]) -> str:
    average = group.get("averagePercent")
    if average is None:
        return "n/a"
    return f"{average:g} %" + (" (below target)" if not group.get("meetsTarget") else "")


CSV_FIELDS = ("id", "name", "kind", "type", "team", "service", "environment", "cpuAverage", "cpuP95",
              "monthlyUsd", "action", "to", "monthlySavingUsd", "reason")


def as_csv(report: UtilizationReport) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for f in report.findings:
        row = f.as_json()
        rec = row["recommendation"]
        writer.writerow({**{k: row[k] for k in ("id", "name", "kind", "type", "team", "service", "environment",
                                                "monthlyUsd")},
                         "cpuAverage": f.cpu.average if f.cpu else "", "cpuP95": f.cpu.p95 if f.cpu else "",
                         "action": rec["action"], "to": rec["to"] or "", "monthlySavingUsd": rec["monthlySavingUsd"],
                         "reason": rec["reason"]})
    return out.getvalue()


esc = html.escape


def as_html(report: UtilizationReport) -> str:
    k = report.kpi
    rows = "".join(
        f'<tr class="{"near" if f.idle else ""}"><td>{esc(f.deployed.name)}<br><small>{esc(f.deployed.id)}</small></td>'
        f"<td>{esc(f.type)}</td><td>{esc(f.team)}</td><td>{esc(f.service)}</td>"
        f'<td class="num">{esc(_percent(f.cpu))}</td><td class="status">{esc(f.recommendation.action)}</td>'
        f"<td>{esc(f.recommendation.to or '')}</td>"
        f'<td class="num">${f.recommendation.monthly_saving_usd:,.2f}</td>'
        f'<td class="num">{"$" + format(f.monthly_usd, ",.2f") if f.monthly_usd is not None else "not priced"}</td>'
        f"<td>{esc(f.recommendation.reason)}</td></tr>" for f in report.findings)
    teams = "".join(
        f'<tr class="{"" if g["meetsTarget"] else "near"}"><td>{esc(name)}</td><td class="num">'
        f'{esc(_kpi(g))}</td><td class="num">{g["resources"]}</td><td class="num">${g["monthlyUsd"]:,.2f}</td>'
        f'<td class="num">{g["idleSharePercent"]:g} %</td><td class="num">${g["potentialSavingUsd"]:,.2f}</td></tr>'
        for name, g in k["byTeam"].items())
    notes = "".join(f"<li>{esc(n)}</li>" for n in report.notes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>FinOps utilization {esc(report.environment)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>{STYLE}</style></head>
<body>
<h1>FinOps utilization: {esc(report.environment)}</h1>
<p class="dated" id="dated">{report.days} days of hourly averages, {report.start:%Y-%m-%d %H:%M} to
{report.end:%Y-%m-%d %H:%M} UTC, from {esc(report.source)}</p>
<p id="kpi">Average CPU <strong>{esc(_kpi(k))}</strong> against the {k["target"]:g} % target. Idle spend
<strong>${k["idleMonthlyUsd"]:,.2f}</strong> of ${k["monthlyUsd"]:,.2f} a month ({k["idleSharePercent"]:g} %).
Potential saving <strong>${k["potentialSavingUsd"]:,.2f}</strong> a month.</p>
<h2>By team</h2>
<table id="teams"><thead><tr><th>team</th><th>average CPU</th><th>resources</th><th>monthly</th><th>idle share</th>
<th>potential saving</th></tr></thead><tbody>{teams}</tbody></table>
<h2>Resources</h2>
<table id="resources"><thead><tr><th>resource</th><th>type</th><th>team</th><th>service</th><th>CPU avg/p95 %</th>
<th>action</th><th>to</th><th>saving/month</th><th>monthly</th><th>reason</th></tr></thead><tbody>{rows}</tbody></table>
<ul id="notes">{notes}</ul>
</body></html>
"""


FORMATS = {"table": as_table, "json": as_json, "csv": as_csv, "html": as_html}
