"""How the report words its figures, the same in every format: money, percentages, dates, status."""

from __future__ import annotations

from .summary import BudgetLine, Report

TITLES = {"team": "By team", "service": "By service", "environment": "By environment",
          "cost_center": "By cost center", "owner": "By owner"}


def title(dimension: str) -> str:
    return TITLES.get(dimension, f"By {dimension.replace('_', ' ')}")


def money(value: float | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


def signed_percent(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f} %" if value else "0.0 %"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} %"


def share(value: float | None) -> str:
    """A share of a budget, to the tenth: 89.7 % must not read as the 90 % mark."""
    return "-" if value is None else f"{value:.1f} %"


def dated(report: Report) -> str:
    period = report.actuals_period or "none"
    return f"Report date {report.report_date}; prices of {report.prices_date}; actual spend: {period}"


def flag(line: BudgetLine) -> str:
    """The word beside a line in the table: its status, exactly as the README's status table and
    the CSV and JSON word it (what an overspend exceeds: the two variance columns beside it)."""
    return line.status


def visibility(report: Report) -> str:
    a = report.allocation
    text = f"Financial visibility: {percent(a.visibility_percent)} of estimated spend carries every mandatory tag"
    if report.actuals is not None:
        text += f"; {percent(report.actual_visibility_percent)} of actual spend carries Environment and Team"
    return text


def unit_money(value: float | None) -> str:
    return "-" if value is None else f"${value:,.4f}"
