"""The table format's lines for the executive summary and what billing exports add (trend,
forecast, phases, weekly review): the same figures as the JSON, worded as in the rest of the table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .wording import money, signed_percent


def phase_budget_lines(phase: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """Each budget line of a phase (infrastructure, team, tools ..., total) and its runway, worded."""
    for category, line in phase.items():
        if isinstance(line, dict) and "spentUsd" in line:
            yield category, line, "-" if line["runwayMonths"] is None else f"{line['runwayMonths']:g}"


def executive_lines(summary: dict[str, Any] | None) -> list[str]:
    if summary is None:
        return []
    used = f" ({summary['budgetUsedPercent']:.1f} %)" if summary["budgetUsedPercent"] is not None else ""
    forecast = summary["forecast"]
    visibility = summary["visibilityPercent"]
    out = ["Executive summary",
           f"    total ({summary['totalBasis']}): {money(summary['totalUsd'])} against a budget of "
           f"{money(summary['budgetUsd'])}{used}",
           f"    forecast{' for ' + forecast['month'] if forecast['month'] else ''}: {money(forecast['usd'])} "
           f"({forecast['method']})",
           f"    biggest movers ({summary['moversBasis']}):"]
    out += [f"      {m['dimension']} {m['name']}: {money(m['previousUsd'])} -> {money(m['currentUsd'])}"
            for m in summary["biggestMovers"]] or ["      none"]
    out.append("    top optimisation opportunities:")
    out += [f"      {money(o['monthlySavingsUsd'])}/month: {o['what']}" for o in summary["opportunities"]] or \
        ["      none found"]
    shown = "-" if visibility is None else f"{visibility:.1f} %"
    out.append(f"    visibility: {shown} ({summary['visibilityMeaning']})")
    return [*out, ""]


def billing_lines(sections: dict[str, Any]) -> list[str]:
    out: list[str] = []
    trend = sections.get("trend")
    if trend:
        out += ["", "Trend (actual spend by month)"]
        for m in trend:
            accuracy = "" if m["budgetAccuracyPercent"] is None else \
                f"  budget accuracy {m['budgetAccuracyPercent']:.1f} % (estimate {money(m['recordedEstimateUsd'])})"
            envs = ", ".join(f"{e} {money(v)}" for e, v in m["byEnvironment"].items())
            out.append(f"    {m['month']}  {money(m['actualUsd']):>12}  {signed_percent(m['changePercent']):>8}  "
                       f"{envs}{accuracy}")
        forecast = sections.get("forecast")
        if forecast:
            out.append(f"    {forecast['month']}  {money(forecast['actualUsd']):>12}  forecast: {forecast['method']}")
    for name, phase in (sections.get("phases") or {}).items():
        out += ["", f"Phase {name} ({phase['start']} to {phase['end']}, budget {money(phase['budgetUsd'])}, "
                    f"as of {phase['asOf']})"]
        for category, line, runway in phase_budget_lines(phase):
            out.append(f"    {category:<15} allocation {money(line['budgetUsd']):>12}  "
                       f"spent {money(line['spentUsd']):>12}  "
                       f"burn {money(line['burnRateUsdPerMonth'])}/month  runway {runway} months  "
                       f"projected at phase end {money(line['projectedUsd'])}")
        out.append(f"    contingency left {money(phase['contingencyLeftUsd'])}")
    review = sections.get("review")
    if review:
        out += ["", f"Weekly review: {review['current']['start']} to {review['current']['end']} (exclusive) "
                    f"against the 7 days before"]
        for dimension in ("byTeam", "byService"):
            for key, v in review[dimension].items():
                out.append(f"    {dimension[2:].lower():<8} {key:<20} {money(v['previousUsd']):>12} -> "
                           f"{money(v['currentUsd']):>12}  {signed_percent(v['changePercent'])}")
    return out
