"""The HTML parts of what billing exports add: the executive summary, a line chart of monthly
actual spend per environment (inline SVG, no script), the phases and the weekly review."""

from __future__ import annotations

import html
from typing import Any

from .billing_text import phase_budget_lines
from .wording import money, signed_percent

esc = html.escape
CHART_W, CHART_H, PAD_L, PAD_B, PAD_T, PAD_R = 460, 160, 80, 28, 14, 70
CHAR_PX = 7.6       # as the bar charts of page.py: a generous average advance of the 12 px font


def executive_html(summary: dict[str, Any] | None) -> str:
    if summary is None:
        return ""
    forecast = summary["forecast"]
    movers = "".join(f"<li>{esc(m['dimension'])} {esc(m['name'])}: {money(m['previousUsd'])} → "
                     f"{money(m['currentUsd'])} ({'+' if m['changeUsd'] >= 0 else '-'}"
                     f"{money(abs(m['changeUsd']))})</li>" for m in summary["biggestMovers"])
    ideas = "".join(f"<li>{esc(o['what'])}: saves {money(o['monthlySavingsUsd'])}/month</li>"
                    for o in summary["opportunities"])
    used = f" ({summary['budgetUsedPercent']:.1f} % of it)" if summary["budgetUsedPercent"] is not None else ""
    visibility = summary["visibilityPercent"]
    return (f'<section id="executive-summary"><h2>Executive summary</h2><ul>'
            f"<li>Total ({esc(summary['totalBasis'])}): <strong>{money(summary['totalUsd'])}</strong> against a "
            f"budget of {money(summary['budgetUsd'])}{used}</li>"
            f"<li>Forecast{' for ' + esc(forecast['month']) if forecast['month'] else ''}: "
            f"{money(forecast['usd'])} ({esc(forecast['method'])})</li>"
            f"<li>Biggest movers ({esc(summary['moversBasis'])}):<ul>{movers or '<li>none</li>'}</ul></li>"
            f"<li>Top optimisation opportunities:<ul>{ideas or '<li>none found</li>'}</ul></li>"
            f"<li>Visibility: {'-' if visibility is None else f'{visibility:.1f} %'} "
            f"({esc(summary['visibilityMeaning'])})</li></ul></section>")


def line_chart(environment: str, points: list[tuple[str, float]]) -> str:
    """Monthly actual spend of one environment: a polyline over the months, each point labelled."""
    top = max((v for _, v in points), default=0.0) or 1.0
    pad_l = max(PAD_L, int(len(money(top)) * CHAR_PX) + 10)     # the axis label never runs into the line
    inner_w, inner_h = CHART_W - pad_l - PAD_R, CHART_H - PAD_T - PAD_B
    step = inner_w / max(1, len(points) - 1)
    xy = [(pad_l + i * step, PAD_T + inner_h * (1 - v / top)) for i, (_, v) in enumerate(points)]
    label = f"monthly actual spend of {environment}"
    parts = [f'<figure><figcaption>{esc(environment)}</figcaption><svg role="img" aria-label="{esc(label)}" '
             f'width="{CHART_W}" height="{CHART_H}" viewBox="0 0 {CHART_W} {CHART_H}" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="{pad_l}" y1="{PAD_T + inner_h}" x2="{pad_l + inner_w}" y2="{PAD_T + inner_h}" class="axis"/>',
             f'<text x="0" y="{PAD_T + 4}" class="label">{esc(money(top))}</text>',
             f'<text x="0" y="{PAD_T + inner_h + 4}" class="label">{esc(money(0.0))}</text>',
             f'<polyline fill="none" class="trend" points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in xy)}"/>']
    for (month, value), (x, y) in zip(points, xy, strict=True):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" class="point"><title>{esc(month)}: '
                     f'{esc(money(value))}</title></circle>'
                     f'<text x="{x:.1f}" y="{CHART_H - 8}" text-anchor="middle" class="label">{esc(month)}</text>')
    parts.append("</svg></figure>")
    return "".join(parts)


def trend_html(trend: list[dict[str, Any]] | None, forecast: dict[str, Any] | None) -> str:
    if not trend:
        return ""
    environments = sorted({e for m in trend for e in m["byEnvironment"]}, key=lambda e: (e.startswith("("), e))
    charts = "".join(line_chart(e, [(m["month"], m["byEnvironment"].get(e, 0.0)) for m in trend])
                     for e in environments)
    rows = "".join(f'<tr><td>{esc(m["month"])}</td><td class="num">{money(m["actualUsd"])}</td>'
                   f'<td class="num">{signed_percent(m["changePercent"])}</td>'
                   f'<td class="num">{money(m["recordedEstimateUsd"])}</td>'
                   f'<td class="num">{"-" if m["budgetAccuracyPercent"] is None else m["budgetAccuracyPercent"]}'
                   f'</td></tr>' for m in trend)
    note = (f"<p>Forecast for {esc(forecast['month'])}: {money(forecast['actualUsd'])} ({esc(forecast['method'])})."
            f"</p>" if forecast else "")
    return (f'<h2>Trend</h2><table id="trend"><thead><tr><th>month</th><th>actual</th><th>change</th>'
            f"<th>recorded estimate</th><th>budget accuracy (|estimate - actual| / actual, %)</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>{note}{charts}")


def phases_html(phases: dict[str, Any] | None) -> str:
    if not phases:
        return ""
    rows = []
    for name, phase in phases.items():
        for category, line, runway in phase_budget_lines(phase):
            rows.append(f"<tr><td>{esc(name)}</td><td>{esc(category)}</td>"
                        f'<td class="num">{money(line["budgetUsd"])}</td>'
                        f'<td class="num">{money(line["spentUsd"])}</td>'
                        f'<td class="num">{money(line["burnRateUsdPerMonth"])}</td><td class="num">{runway}</td>'
                        f'<td class="num">{money(line["projectedUsd"])}</td></tr>')
        rows.append(f'<tr><td>{esc(name)}</td><td>contingency left</td><td></td>'
                    f'<td class="num">{money(phase["contingencyLeftUsd"])}</td><td></td><td></td><td></td></tr>')
    return ('<h2>Phases</h2><table id="phases"><thead><tr><th>phase</th><th>line</th><th>allocation</th>'
            "<th>spent to date</th><th>burn rate / month</th><th>runway (months)</th><th>projected at phase end</th>"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def review_html(review: dict[str, Any] | None) -> str:
    if not review:
        return ""
    rows = "".join(f'<tr><td>{esc(dimension[2:].lower())}</td><td>{esc(key)}</td>'
                   f'<td class="num">{money(v["previousUsd"])}</td><td class="num">{money(v["currentUsd"])}</td>'
                   f'<td class="num">{signed_percent(v["changePercent"])}</td></tr>'
                   for dimension in ("byTeam", "byService") for key, v in review[dimension].items())
    current, previous = review["current"], review["previous"]
    return (f'<h2>Weekly review: {esc(current["start"])} to {esc(current["end"])} (exclusive) against '
            f'{esc(previous["start"])} to {esc(previous["end"])}</h2><table id="review"><thead><tr><th>by</th>'
            f"<th>name</th><th>previous week</th><th>this week</th><th>change</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def billing_html(summary_sections: dict[str, Any]) -> str:
    return "\n".join(part for part in (trend_html(summary_sections.get("trend"), summary_sections.get("forecast")),
                                       phases_html(summary_sections.get("phases")),
                                       review_html(summary_sections.get("review"))) if part)
