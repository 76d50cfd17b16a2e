"""``finops report --format html``: one self-contained page a finance team can forward and print.

No script, no external resource (the page's Content-Security-Policy allows neither). The bar
charts are inline SVG sized from their own labels, so no label is cut off; budget bars show the
alert marks (50/75/90 % by default) and the budget itself. Each status has one colour, named in
the legend, and its word is printed beside it too (for black-and-white printers and screen readers).
"""

from __future__ import annotations

import html

from .allocation import FIXED_DIMENSIONS, UNTAGGED, Allocation
from .billing_page import billing_html, executive_html
from .summary import BudgetLine, Report
from .variance import NEAR_BUDGET, OVERSPEND, WITHIN
from .wording import dated, money, share, signed_percent, title, unit_money, visibility

# Average advance of a character of the 12 px chart font, generously rounded up (digits and
# lowercase run 6.2-6.8 px in common sans-serif fonts), so that a label never outgrows its room.
CHAR_PX = 7.6
BAR_PX = 300
ROW_PX = 26
TRACK_PERCENT = 150.0      # a budget bar's full width is 150 % of the budget

STATUS_CLASS = {OVERSPEND: "overspend", NEAR_BUDGET: "near", "unallocated": "unallocated", WITHIN: "within"}
LEGEND = ((OVERSPEND, "actual spend above the budget or the estimate by more than the threshold"),
          (NEAR_BUDGET, "spend (actual, else estimated) or forecast at or above the highest alert mark"),
          ("unallocated", "actual spend without an Environment or Team tag"),
          (WITHIN, "within budget and estimate (underspend included: shown, not flagged)"))

esc = html.escape
LABEL_X = 2


def _text_px(text: str) -> int:
    return int(len(text) * CHAR_PX) + 1


def bar_chart(chart_title: str, values: dict[str, float], total: float) -> str:
    items = sorted(values.items(), key=lambda kv: -kv[1])
    top = max((v for _, v in items), default=0) or 1
    texts = [f"${value:,.2f} ({100 * value / total if total else 0:.0f} %)" for _, value in items]
    # Labels start 2 px in: a glyph such as the j of "jdoe" reaches left of its origin.
    label_px = LABEL_X + max((_text_px(k) for k, _ in items), default=0) + 12
    width = label_px + BAR_PX + 8 + max((_text_px(t) for t in texts), default=0) + 8
    height = ROW_PX * len(items) + 10
    parts = [f'<figure><figcaption>{esc(chart_title)}</figcaption>'
             f'<svg role="img" aria-label="{esc(chart_title, quote=True)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    for index, ((key, value), text) in enumerate(zip(items, texts, strict=True)):
        y = 5 + index * ROW_PX
        bar = max(1, round(BAR_PX * value / top))
        parts.append(f'<text x="{LABEL_X}" y="{y + 16}" class="label">{esc(key)}</text>'
                     f'<rect x="{label_px}" y="{y + 3}" width="{bar}" height="18" class="bar"/>'
                     f'<text x="{label_px + bar + 8}" y="{y + 16}" class="value">{esc(text)}</text>')
    parts.append("</svg></figure>")
    return "".join(parts)


def _charts(a: Allocation) -> str:
    charts = [bar_chart(title(d), a.by[d], a.total) for d in FIXED_DIMENSIONS]
    for dimension in a.extra_dimensions:
        values = a.by[dimension]
        if set(values) - {UNTAGGED}:
            charts.append(bar_chart(title(dimension), values, a.total))
        else:
            charts.append(f'<p class="dimension">{esc(title(dimension))}: no estimated spend carries this tag '
                          f'({money(values.get(UNTAGGED, 0.0))} untagged).</p>')
    return "\n".join(charts)


def budget_bar(line: BudgetLine, marks: tuple[float, ...]) -> str:
    used = line.used_percent
    if used is None:
        return ""
    status = STATUS_CLASS.get(line.status, "within")
    fill = min(used, TRACK_PERCENT) / TRACK_PERCENT * 100
    ticks = "".join(f'<span class="mark" style="left:{m / TRACK_PERCENT * 100:.2f}%" title="{m:g} %"></span>'
                    for m in marks)
    budget = f'<span class="mark budget" style="left:{100 / TRACK_PERCENT * 100:.2f}%" title="budget"></span>'
    forecast = ""
    if line.forecast_percent is not None:
        at = min(line.forecast_percent, TRACK_PERCENT) / TRACK_PERCENT * 100
        forecast = (f'<span class="forecast" style="left:{at:.2f}%" '
                    f'title="forecast {line.forecast_percent:.0f} %"></span>')
    return (f'<div class="track" role="img" aria-label="{used:.0f} % of the budget used">'
            f'<span class="fill {status}" style="width:{fill:.2f}%"></span>{ticks}{budget}{forecast}</div>')


def _budget_rows(report: Report) -> str:
    rows = []
    for b in report.budgets:
        status = STATUS_CLASS.get(b.status, "")
        word = f"{b.status} ({', '.join(b.over)})" if b.over else b.status
        rows.append(
            f'<tr class="{status}"><td>{esc(b.environment)}</td><td>{esc(b.team or "(all)")}</td>'
            f'<td class="num">{money(b.budget)}</td><td class="num">{money(b.estimate)}</td>'
            f'<td class="num">{money(b.actual)}</td><td class="num">{signed_percent(b.variance_percent)}</td>'
            f'<td class="num">{signed_percent(b.estimate_variance_percent)}</td>'
            f'<td class="num">{money(b.forecast)}</td>'
            f'<td class="used">{budget_bar(b, report.alert_marks)}<span class="pct">{share(b.used_percent)}</span>'
            f'</td><td class="status">{esc(word)}</td></tr>')
    return "".join(rows)


def _chargeback(a: Allocation) -> str:
    extra_heads = "".join(f"<th>{esc(d.replace('_', ' '))}</th>" for d in a.extra_dimensions)
    rows = "".join(
        f"<tr><td>{esc(k.environment)}</td><td>{esc(k.team)}</td><td>{esc(k.service)}</td>"
        f"<td>{esc(k.cost_center)}</td>{''.join(f'<td>{esc(x)}</td>' for x in k.extra)}"
        f'<td class="num">{money(v)}</td></tr>' for k, v in a.lines.items())
    return (f'<table id="chargeback"><thead><tr><th>environment</th><th>team</th><th>service</th>'
            f"<th>cost center</th>{extra_heads}<th>monthly estimate</th></tr></thead><tbody>{rows}</tbody></table>")


def _unit_costs(report: Report) -> str:
    if report.unit_metric is None:
        return ""
    name = esc(report.unit_metric.name)
    rows = "".join(
        f'<tr><td>{esc(u.environment)}</td><td>{esc(u.service or "(all)")}</td><td class="num">{u.units:,.0f}</td>'
        f'<td class="num">{money(u.estimate)}</td><td class="num">{unit_money(u.estimate_per_unit)}</td>'
        f'<td class="num">{money(u.actual)}</td><td class="num">{unit_money(u.actual_per_unit)}</td></tr>'
        for u in report.unit_costs)
    return (f'<h2>Unit costs per {name}</h2><table id="unit-costs"><thead><tr><th>environment</th><th>service</th>'
            f"<th>{name}s</th><th>estimate</th><th>per {name}</th><th>actual</th><th>per {name}</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1b1f24; max-width: 1200px; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 1.6rem; }
.dated { color: #424a53; margin-top: 0; }
figure { margin: 1rem 0; } figcaption { font-weight: 600; }
svg { max-width: 100%; height: auto; overflow: visible; }
.bar { fill: #4a6fa5; } .trend { stroke: #4a6fa5; stroke-width: 2; } .point { fill: #4a6fa5; }
.axis { stroke: #8c959f; } .label, .value { font-size: 12px; fill: #1b1f24; font-family: system-ui, sans-serif; }
table { border-collapse: collapse; margin: 1rem 0; } td, th { border: 1px solid #d0d7de; padding: 4px 8px; }
th { background: #f6f8fa; text-align: left; } td.num { text-align: right; white-space: nowrap; }
td.used { white-space: nowrap; } .pct { display: inline-block; min-width: 4.2em; text-align: right; }
.track { display: inline-block; vertical-align: middle; position: relative; width: 180px; height: 14px;
         background: #eef1f4; border: 1px solid #c7ced6; margin-right: 6px; }
.track .fill { position: absolute; left: 0; top: 0; bottom: 0; }
.track .mark { position: absolute; top: -2px; bottom: -2px; width: 1px; background: #57606a; }
.track .mark.budget { width: 2px; background: #1b1f24; }
.track .forecast { position: absolute; top: 2px; bottom: 2px; width: 4px; margin-left: -2px; background: #1b1f24;
                   border-radius: 2px; }
.fill.within, .swatch.within { background: #2e7d32; }
.fill.near, .swatch.near { background: #d98c00; }
.fill.overspend, .swatch.overspend { background: #c62828; }
.fill.unallocated, .swatch.unallocated { background: #757575; }
tr.overspend td { background: #fdecea; } tr.near td { background: #fff5dc; } tr.unallocated td { background: #f0f0f0; }
tr.overspend td.status { color: #a31515; font-weight: 600; } tr.near td.status { color: #7a4f00; font-weight: 600; }
.legend { list-style: none; padding: 0; } .legend li { margin: .2rem 0; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -1px; }
@page { margin: 14mm; }
@media print {
  body { margin: 0; font-size: 9pt; max-width: none; }
  table { font-size: 8pt; } td, th { padding: 2px 3px; } .track { width: 48px; margin-right: 3px; }
  td.used { white-space: normal; } .pct { display: block; min-width: 0; text-align: left; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  figure, tr, .legend, .track { break-inside: avoid; }
  h2 { break-after: avoid; }
  thead { display: table-header-group; }
}
"""


def as_html(report: Report) -> str:
    a = report.allocation
    stacks = ", ".join(esc(s.stack) for s in a.stacks)
    notes = "".join(f"<li>{esc(n)}</li>" for n in report.notes)
    legend = "".join(f'<li><span class="swatch {STATUS_CLASS[s]}"></span><strong>{esc(s)}</strong>: {esc(m)}</li>'
                     for s, m in LEGEND)
    marks = " / ".join(f"{m:g}" for m in report.alert_marks)
    actual = f" Actual spend: <strong>{money(report.actuals.total)}</strong>." if report.actuals else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>FinOps cost allocation {esc(report.report_date)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>{STYLE}</style></head>
<body>
<h1>FinOps cost allocation</h1>
<p class="dated" id="dated">{esc(dated(report))}</p>
{executive_html(report.executive_summary)}
<p id="total">Monthly estimate of stacks {stacks}: <strong>{money(a.total)}</strong>.{actual}</p>
<p id="visibility">{esc(visibility(report))}.</p>
{_charts(a)}
<h2>Budgets</h2>
<ul class="legend" id="legend">{legend}</ul>
<table id="budgets"><thead><tr><th>environment</th><th>team</th><th>budget</th><th>estimate</th><th>actual</th>
<th>vs budget</th><th>vs estimate</th><th>forecast</th><th>budget used (marks {marks} %, budget)</th><th>status</th>
</tr></thead><tbody>{_budget_rows(report)}</tbody></table>
<p>Overspend beyond {report.threshold:g} % is flagged; underspend is shown as a negative variance and not flagged.</p>
<h2>Chargeback</h2>
{_chargeback(a)}
{_unit_costs(report)}
{billing_html(report.billing_sections)}
<ul id="notes">{notes}</ul>
</body></html>
"""
