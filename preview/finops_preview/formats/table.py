"""The terminal report, shaped like ``pulumi preview``: plan, violations by policy, summary."""

from __future__ import annotations

from collections import defaultdict

from ..model import PreviewResult, Violation
from .common import money, summary_line


def _columns(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


def render(result: PreviewResult) -> str:
    out = [f"Previewing {result.project} stack {result.stack} (environment {result.environment}, "
           f"region {result.region}) offline, under Pulumi's mocks", ""]
    rows = [["TYPE", "NAME", "ENV", "TEAM", "SERVICE", "MONTHLY"]]
    for r in sorted(result.resources, key=lambda r: (r.type, r.name)):
        cost = "usage" if r.usage_priced and not r.monthly_usd else money(r.monthly_usd) if r.monthly_usd is not None \
            else ("-" if r.basis == "no cost of its own" else "n/a")
        rows.append([r.type, r.name, r.environment, r.team or "-", r.service or "-", cost])
    out += ["    " + line for line in _columns(rows)]
    out.append("")
    if result.violations:
        out.append("Policy Violations:")
        grouped: dict[tuple[str, str, str], list[Violation]] = defaultdict(list)
        for v in result.violations:
            grouped[(v.pack, v.policy, v.level)].append(v)
        for (pack, policy, level), items in sorted(grouped.items(), key=lambda kv: (kv[0][2] != "mandatory", kv[0])):
            out.append(f"    [{level}]  {pack}  {policy}  ({len(items)})")
            out += [f"        {v.message}" for v in items]
        out.append("")
    if result.remediations:
        out.append("Policy Remediations (applied before the policies judged the resource):")
        out += [f"    [remediate]  {r.pack}  {r.policy}  {r.resource}: set {', '.join(r.changed) or 'nothing'}"
                for r in result.remediations]
        out.append("")
    if result.baseline is not None:
        b = result.baseline
        out.append(f"Cost change against {b.source}: {money(b.total_before)} -> {money(b.total_after)} "
                   f"({b.delta:+,.2f} USD / month)")
        out += [f"    {c.delta:+10,.2f}  {c.type} '{c.name}'" for c in b.changes[:20]]
        if b.exceeded:
            out.append(f"    refused: {b.exceeded}")
        out.append("")
    dates = ", ".join(f"{region} {date}" for region, date in sorted(result.price_dates.items()))
    out += [f"Prices: on-demand list prices ({dates}); compute for 730 h a month."]
    out += [f"Note: {note}" for note in result.notes]
    out += ["", "Summary:", f"    {summary_line(result)}"]
    return "\n".join(out) + "\n"
