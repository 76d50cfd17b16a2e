"""``finops report`` formats: table, CSV, JSON and one self-contained HTML page."""

from __future__ import annotations

import csv
import html
import io
import json

from .allocation import DIMENSIONS
from .summary import Report

TITLES = {"team": "By team", "service": "By service", "environment": "By environment",
          "cost_center": "By cost center"}


def _money(value: float | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f} %" if value < 0 or value > 0 else "0.0 %"


def table(report: Report) -> str:
    a = report.allocation
    out = [f"Monthly estimate of {len(a.stacks)} stacks: {_money(a.total)}", ""]
    for dimension in DIMENSIONS:
        out.append(TITLES[dimension])
        out += [f"    {key:<24} {_money(value):>12}  {100 * value / a.total if a.total else 0:5.1f} %"
                for key, value in sorted(a.by[dimension].items(), key=lambda kv: -kv[1])]
        out.append("")
    header = "Budgets" + (f" (actuals {report.actuals_period})" if report.actuals_period else "")
    out.append(header)
    out.append(f"    {'environment':<12} {'team':<10} {'budget':>11} {'estimate':>11} {'used':>7} {'actual':>11} "
               f"{'variance':>9}")
    for b in report.budgets:
        used = "-" if b.estimate_percent is None else f"{b.estimate_percent:.0f} %"
        flag = "  <-- over 10 %" if b.flagged else ""
        out.append(f"    {b.environment:<12} {b.team or '(all)':<10} {_money(b.budget):>11} {_money(b.estimate):>11} "
                   f"{used:>7} {_money(b.actual):>11} {_pct(b.variance_percent):>9}{flag}")
    out += [f"Note: {n}" for n in report.notes]
    return "\n".join(out) + "\n"


def as_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["environment", "team", "service", "monthly_usd"])
    for (environment, team, service), value in report.allocation.lines.items():
        writer.writerow([environment, team, service, f"{value:.2f}"])
    return buffer.getvalue()


def as_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2) + "\n"


def _bars(title: str, values: dict[str, float], total: float) -> str:
    items = sorted(values.items(), key=lambda kv: -kv[1])
    width, row = 560, 26
    height = row * len(items) + 10
    top = max((v for _, v in items), default=0) or 1
    parts = [f'<figure><figcaption>{html.escape(title)}</figcaption>'
             f'<svg role="img" aria-label="{html.escape(title, quote=True)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    for index, (key, value) in enumerate(items):
        y = 5 + index * row
        bar = max(1, int(300 * value / top))
        share = 100 * value / total if total else 0
        parts.append(f'<text x="0" y="{y + 16}" class="label">{html.escape(key)}</text>'
                     f'<rect x="160" y="{y + 3}" width="{bar}" height="18" class="bar"/>'
                     f'<text x="{170 + bar}" y="{y + 16}" class="value">${value:,.2f} ({share:.0f} %)</text>')
    parts.append("</svg></figure>")
    return "".join(parts)


def as_html(report: Report) -> str:
    a = report.allocation
    esc = html.escape
    charts = "".join(_bars(TITLES[d], a.by[d], a.total) for d in DIMENSIONS)
    budget_rows = "".join(
        f"<tr class=\"{'flagged' if b.flagged else ''}\"><td>{esc(b.environment)}</td><td>{esc(b.team or '(all)')}</td>"
        f"<td>{_money(b.budget)}</td><td>{_money(b.estimate)}</td>"
        f"<td>{'-' if b.estimate_percent is None else f'{b.estimate_percent:.0f} %'}</td>"
        f"<td>{_money(b.actual)}</td><td>{_pct(b.variance_percent)}</td></tr>" for b in report.budgets)
    lines = "".join(f"<tr><td>{esc(e)}</td><td>{esc(t)}</td><td>{esc(s)}</td><td>{_money(v)}</td></tr>"
                    for (e, t, s), v in a.lines.items())
    stacks = ", ".join(esc(s.stack) for s in a.stacks)
    period = f" Actual spend: {esc(report.actuals_period)}." if report.actuals_period else ""
    notes = "".join(f"<li>{esc(n)}</li>" for n in report.notes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>FinOps cost allocation</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1b1f24; }}
h1 {{ font-size: 1.4rem; }} figure {{ margin: 1rem 0; }} figcaption {{ font-weight: 600; }}
.bar {{ fill: #3b6fd8; }} .label, .value {{ font-size: 12px; fill: #1b1f24; }}
table {{ border-collapse: collapse; margin: 1rem 0; }} td, th {{ border: 1px solid #d0d7de; padding: 4px 8px; }}
th {{ background: #f6f8fa; text-align: left; }} tr.flagged td {{ background: #ffebe9; }}
</style></head>
<body>
<h1>FinOps cost allocation</h1>
<p id="total">Monthly estimate of stacks {stacks}: <strong>{_money(a.total)}</strong>.{period}</p>
{charts}
<h2>Budgets</h2>
<table id="budgets"><thead><tr><th>environment</th><th>team</th><th>budget</th><th>estimate</th><th>used</th>
<th>actual</th><th>variance</th></tr></thead><tbody>{budget_rows}</tbody></table>
<h2>Chargeback</h2>
<table id="chargeback"><thead><tr><th>environment</th><th>team</th><th>service</th><th>monthly</th></tr></thead>
<tbody>{lines}</tbody></table>
<ul id="notes">{notes}</ul>
</body></html>
"""


RENDERERS = {"table": table, "csv": as_csv, "json": as_json, "html": as_html}
