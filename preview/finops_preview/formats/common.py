"""Small pieces several formats share."""

from __future__ import annotations

from ..model import PreviewResult


def money(amount: float | None) -> str:
    return "n/a" if amount is None else f"${amount:,.2f}"


def budget_line(result: PreviewResult) -> str:
    if result.budget_usd is None:
        return f"{money(result.total_usd)} / month (no budget for {result.environment})"
    return (f"{money(result.total_usd)} / month of the {result.environment} budget {money(result.budget_usd)} "
            f"({result.budget_percent:.1f} %)")


def summary_line(result: PreviewResult) -> str:
    return (f"{len(result.resources)} resources, {len(result.mandatory)} mandatory and {len(result.advisory)} "
            f"advisory violations; estimate {budget_line(result)}")
