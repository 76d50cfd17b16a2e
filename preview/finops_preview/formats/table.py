"""The terminal report, shaped like ``pulumi preview``: plan, violations by policy, summary.

It fits in :data:`WIDTH` columns: types are shown as Pulumi's CLI shows them
(``aws:ec2:Instance``), over-long names are shortened in the middle, and messages wrap.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict

from ..model import NOT_EXPANDED, PreviewResult, Violation
from .common import judged, money, summary_line, without_repeats

WIDTH = 120
INDENT = "    "
_ELLIPSIS = "..."
_GAP = "  "


def display_type(resource_type: str) -> str:
    """``aws:ec2/instance:Instance`` -> ``aws:ec2:Instance``, as the Pulumi CLI displays types."""
    parts = resource_type.split(":")
    if len(parts) == 3 and "/" in parts[1]:
        module, _, member = parts[1].partition("/")
        # Only the file part that repeats the type's name goes (not a version: kubernetes:apps/v1:Deployment).
        if member == parts[2][:1].lower() + parts[2][1:]:
            return f"{parts[0]}:{module}:{parts[2]}"
    return resource_type


def shorten(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, cut in the middle (both ends say the most)."""
    if len(text) <= width:
        return text
    keep = max(width - len(_ELLIPSIS), 2)
    head = (keep + 1) // 2
    return text[:head] + _ELLIPSIS + text[len(text) - (keep - head):]


def _columns(rows: list[list[str]], width: int, flexible: tuple[int, ...]) -> list[str]:
    """Rows as aligned columns within ``width``; the ``flexible`` columns give way, widest first."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    overflow = sum(widths) + len(_GAP) * (len(widths) - 1) - width
    while overflow > 0:
        widest = max(flexible, key=lambda i: widths[i])
        if widths[widest] <= 12:
            break
        cut = min(overflow, widths[widest] - 12)
        widths[widest] -= cut
        overflow -= cut
    return [_GAP.join(shorten(cell, w).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows]


_KEEP = "\u00a0"  # a space the wrapping must not break at: "35.8 %" stays on one line


def wrap_line(line: str, width: int = WIDTH) -> list[str]:
    """``line`` in lines of at most ``width``, continued with its indent and two spaces more."""
    if len(line) <= width:
        return [line]
    indent = line[:len(line) - len(line.lstrip())]
    kept = line.strip().replace(" %", _KEEP + "%")
    return [part.replace(_KEEP, " ") for part in textwrap.wrap(
        kept, width=width, initial_indent=indent, subsequent_indent=indent + "  ", break_long_words=True,
        break_on_hyphens=False)]


# What a MONTHLY cell other than an amount means, said under the table when one appears.
NOT_EXPANDED_CELL = "children not expanded offline"
_LEGEND = (("usage", "usage = priced by usage, amounts from --usage-file"),
           ("+usage", "+usage = plus usage-priced lines without amounts (not in the total)"),
           ("-", "- = no cost of its own"), ("n/a", "n/a = could not be priced (the JSON report's basis says why)"),
           ("*", "* = priced with another region's prices (see the notes)"))


def render(result: PreviewResult) -> str:
    out = [f"Previewing {result.project} stack {result.stack} (environment {result.environment}, "
           f"region {result.region}): {judged(result)}", ""]
    # With a price book, the list price beside each discounted figure (as the README promises).
    discounted = any(r.list_usd is not None for r in result.resources)
    rows = [["TYPE", "NAME", "ENV", "TEAM", "SERVICE", "MONTHLY", *(["LIST"] if discounted else [])]]
    marks: set[str] = set()
    for r in sorted(result.resources, key=lambda r: (r.type, r.name, r.urn)):
        cost = "usage" if r.usage_priced and not r.monthly_usd else money(r.monthly_usd) if r.monthly_usd is not None \
            else "-" if r.basis == "no cost of its own" else NOT_EXPANDED_CELL if r.unpriced == NOT_EXPANDED else "n/a"
        marks.add(cost if cost in ("usage", "-", "n/a") else "")
        if r.monthly_usd is not None and r.fallback_regions:
            cost += "*"  # another region's prices: the notes say which
            marks.add("*")
        if r.usage_pending and cost != "usage":  # so every resource the summary counts as "usage of N" is marked
            cost += "+usage"
            marks.add("+usage")
        rows.append([display_type(r.type), r.name, r.environment, r.team or "-", r.service or "-", cost,
                     *([money(r.list_usd) if r.list_usd is not None else ""] if discounted else [])])
    out += [INDENT + line for line in _columns(rows, WIDTH - len(INDENT), flexible=(0, 1, 4))]
    legend = [text for mark, text in _LEGEND if mark in marks]
    if legend:
        out.append(INDENT + "MONTHLY: " + "; ".join(legend))
    if discounted:
        out.append(INDENT + "LIST: the list price of a row the price book discounts (MONTHLY is after the discount)")
    out.append("")
    if result.violations:
        out.append("Policy Violations:")
        grouped: dict[tuple[str, str, str], list[Violation]] = defaultdict(list)
        for v in result.violations:
            grouped[(v.pack, v.policy, v.level)].append(v)
        for (pack, policy, level), items in sorted(grouped.items(), key=lambda kv: (kv[0][2] != "mandatory", kv[0])):
            out.append(f"    [{level}]  {pack}  {policy}  ({len(items)})")
            out += [f"        {message}" for message in without_repeats([v.message for v in items])]
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
    return "\n".join(wrapped for line in out for wrapped in wrap_line(line)) + "\n"
