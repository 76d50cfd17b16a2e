"""``finops report`` formats: table, CSV and JSON here; the HTML page in :mod:`.page`."""

from __future__ import annotations

import csv
import io
import json

from ..formats.table import wrap_line
from .billing_text import billing_lines, executive_lines
from .page import as_html
from .summary import Report
from .wording import dated, flag, money, share, signed_percent, title, unit_money, visibility


def table(report: Report) -> str:
    a = report.allocation
    out = [*executive_lines(report.executive_summary),
           f"Monthly estimate of {len(a.stacks)} stacks: {money(a.total)}", dated(report), visibility(report), ""]
    for dimension in a.dimensions:
        out.append(title(dimension))
        key_w = max([24, *(len(k) for k in a.by[dimension])])
        out += [f"    {key:<{key_w}} {money(value):>12}  {100 * value / a.total if a.total else 0:5.1f} %"
                for key, value in sorted(a.by[dimension].items(), key=lambda kv: -kv[1])]
        out.append("")
    out.append("Budgets" + (f" (actuals {report.actuals_period})" if report.actuals_period else ""))
    # Sized to fit WIDTH with names of up to 10 characters ("(untagged)"); longer ones wrap rather
    # than run off the terminal.
    env_w = max([3, *(len(b.environment) for b in report.budgets)])
    team_w = max([5, *(len(b.team) for b in report.budgets)])
    money_w = max([9, *(len(money(v)) for b in report.budgets for v in (b.budget, b.estimate, b.actual, b.forecast))])
    out.append(f"    {'env':<{env_w}} {'team':<{team_w}} {'budget':>{money_w}} {'estimate':>{money_w}} {'used':>7} "
               f"{'actual':>{money_w}} {'vs budget':>9} {'vs estim.':>9} {'forecast':>{money_w}} status")
    for b in report.budgets:
        out.append(f"    {b.environment:<{env_w}} {b.team or '(all)':<{team_w}} {money(b.budget):>{money_w}} "
                   f"{money(b.estimate):>{money_w}} {share(b.used_percent):>7} {money(b.actual):>{money_w}} "
                   f"{signed_percent(b.variance_percent):>9} {signed_percent(b.estimate_variance_percent):>9} "
                   f"{money(b.forecast):>{money_w}} {flag(b)}".rstrip())
    out.append(f"    (used: actual spend, else the estimate, as a share of the budget; flagged: overspend beyond "
               f"{report.threshold:g} %; underspend is shown, not flagged)")
    if report.unit_metric is not None:
        out += ["", f"Unit costs per {report.unit_metric.name}"]
        out.append(f"    {'environment':<12} {'service':<16} {'units':>10} {'estimate':>11} {'per unit':>10} "
                   f"{'actual':>11} {'per unit':>10}")
        for u in report.unit_costs:
            out.append(f"    {u.environment:<12} {u.service or '(all)':<16} {u.units:>10,.0f} {money(u.estimate):>11} "
                       f"{unit_money(u.estimate_per_unit):>10} {money(u.actual):>11} "
                       f"{unit_money(u.actual_per_unit):>10}")
    out += billing_lines(report.billing_sections)
    out += [f"Note: {n}" for n in report.notes]
    return "\n".join(wrapped for line in out for wrapped in wrap_line(line)) + "\n"


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def as_csv(report: Report) -> str:
    """Chargeback lines (every estimated dollar once), each with its team's and environment's budget
    figures; actual spend no estimate covers (untagged) as lines of its own with monthly_usd 0."""
    a = report.allocation
    budgets = {(b.environment, b.team): b for b in report.budgets}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["environment", "team", "service", "cost_center", *a.extra_dimensions, "monthly_usd",
                     "team_budget_usd", "team_actual_usd", "team_variance_vs_budget_percent",
                     "team_variance_vs_estimate_percent", "team_status",
                     "environment_budget_usd", "environment_actual_usd", "environment_forecast_usd",
                     "environment_variance_vs_budget_percent", "environment_status",
                     "report_date", "prices_date", "actuals_period"])
    dates = [report.report_date, report.prices_date, report.actuals_period or ""]

    def context(environment: str, team: str) -> list[str]:
        t, e = budgets.get((environment, team)), budgets.get((environment, ""))
        return [_fmt(t.budget) if t else "", _fmt(t.actual) if t else "",
                _fmt(t.variance_percent) if t else "", _fmt(t.estimate_variance_percent) if t else "",
                t.status if t else "",
                _fmt(e.budget) if e else "", _fmt(e.actual) if e else "", _fmt(e.forecast) if e else "",
                _fmt(e.variance_percent) if e else "", e.status if e else ""]

    covered = set()
    for key, value in a.lines.items():
        covered.add((key.environment, key.team))
        writer.writerow([key.environment, key.team, key.service, key.cost_center, *key.extra, f"{value:.2f}",
                         *context(key.environment, key.team), *dates])
    untagged = [""] * len(a.extra_dimensions)
    for b in report.budgets:
        if b.actual and b.team and (b.environment, b.team) not in covered:   # spent, never estimated
            writer.writerow([b.environment, b.team, "", "", *untagged, "0.00", *context(b.environment, b.team),
                             *dates])
        elif b.actual and not b.team and b.environment not in {s.environment for s in a.stacks}:
            writer.writerow([b.environment, "(untagged)", "", "", *untagged, "0.00",
                             "", _fmt(b.actual), "", "", b.status, "", _fmt(b.actual), "", "", b.status, *dates])
    return buffer.getvalue()


def as_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2) + "\n"


RENDERERS = {"table": table, "csv": as_csv, "json": as_json, "html": as_html}
