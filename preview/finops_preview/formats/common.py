"""Small pieces several formats share."""

from __future__ import annotations

from ..model import PreviewResult


def money(amount: float | None) -> str:
    return "n/a" if amount is None else f"${amount:,.2f}"


def budget_line(result: PreviewResult) -> str:
    if result.budget_usd is None:
        return f"{money(result.total_usd)} / month (no budget for {result.environment}){_left_out(result)}"
    return (f"{money(result.total_usd)} / month of the {result.environment} budget {money(result.budget_usd)} "
            f"({result.budget_percent:.1f} %){_left_out(result)}")


_ALLOWED, _FIX = "; allowed: ", ". Fix: "


def without_repeats(messages: list[str]) -> list[str]:
    """Messages of one policy for reading one after another: allowed values and a fix that an
    earlier message gave (``...; allowed: <values>. Fix: ...``, the shape of every finding; several
    tags' values are ``Key = values; Key = values``) are said "as above", not listed again."""
    seen_allowed: set[str] = set()
    seen_fixes: set[str] = set()
    out = []
    for message in messages:
        head, sep, rest = message.partition(_ALLOWED)
        allowed, has_fix, fix = rest.partition(_FIX)
        if not sep or not has_fix:
            out.append(message)
            continue
        items = allowed.split("; ")
        new = [item for item in items if item not in seen_allowed]
        said = "as above" if not new else allowed if len(new) == len(items) else "; ".join(new) + "; others as above"
        out.append(f"{head}{_ALLOWED}{said}{_FIX}{'as above.' if fix in seen_fixes else fix}")
        seen_allowed.update(items)
        seen_fixes.add(fix)
    return out


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``1 resource``, ``2 resources``: the messages read as sentences."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def _left_out(result: PreviewResult) -> str:
    """What the total leaves out or discounts, so it is never silently low."""
    parts = []
    if result.list_total_usd != result.total_usd:
        parts.append(f"list price {money(result.list_total_usd)} before discounts")
    if result.usage_usd:
        parts.append(f"{money(result.usage_usd)} from usage amounts")
    if result.usage_pending:
        parts.append(f"usage of {count(len(result.usage_pending), 'resource')} not included")
    if result.unpriced:
        parts.append(f"{count(len(result.unpriced), 'resource')} not priced")
    if result.not_expanded:
        parts.append(f"the children of {count(len(result.not_expanded), 'packaged component')} not expanded offline")
    return f"; {', '.join(parts)}" if parts else ""


def summary_line(result: PreviewResult) -> str:
    exempted = f" ({len(result.exempted)} more exempted by policy exceptions)" if result.exempted else ""
    return (f"{count(len(result.resources), 'resource')}, {len(result.mandatory)} mandatory and "
            f"{count(len(result.advisory), 'advisory violation')}{exempted}; estimate {budget_line(result)}")


def judged(result: PreviewResult) -> str:
    """What the preview judged: the program under mocks, the engine's plan, or the deployed state."""
    if result.origin == "plan":
        return f"the engine's plan {result.origin_file}".rstrip()
    if result.origin == "state":
        return f"the deployed state {result.origin_file}".rstrip()
    return "the program, offline under Pulumi's mocks"
