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
    exempted = f" ({len(result.exempted)} more exempted by policy exceptions)" if result.exempted else ""
    return (f"{len(result.resources)} resources, {len(result.mandatory)} mandatory and {len(result.advisory)} "
            f"advisory violations{exempted}; estimate {budget_line(result)}")


def judged(result: PreviewResult) -> str:
    """What the preview judged: the program under mocks, the engine's plan, or the deployed state."""
    if result.origin == "plan":
        return f"the engine's plan {result.origin_file}".rstrip()
    if result.origin == "state":
        return f"the deployed state {result.origin_file}".rstrip()
    return "the program, offline under Pulumi's mocks"
