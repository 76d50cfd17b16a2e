"""The pull-request comment: summary, violations, cost against budget."""

from __future__ import annotations

from collections import defaultdict

from ..model import PreviewResult
from .common import budget_line, judged, money, without_repeats


def _cell(text: str) -> str:
    # Keep user text from breaking the table or injecting markup.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def render(result: PreviewResult) -> str:
    verdict = ":x: **blocked**" if result.failed else ":white_check_mark: **passes**"
    out = [f"### FinOps preview: `{result.project}` / `{result.stack}` {verdict}", "",
           f"- **Judged:** {_cell(judged(result))}",
           f"- **Estimate:** {budget_line(result)}",
           f"- **Violations:** {len(result.mandatory)} mandatory, {len(result.advisory)} advisory"
           + (f", {len(result.exempted)} exempted by policy exceptions" if result.exempted else ""),
           f"- **Resources:** {len(result.resources)}", ""]
    if result.violations:
        out += ["#### Violations", "", "| level | policy | resource | message |", "|---|---|---|---|"]
        ordered = sorted(result.violations, key=lambda v: (v.level != "mandatory", v.policy))
        for v, said in zip(ordered, without_repeats([v.message for v in ordered]), strict=True):
            # The message starts with the resource the column already names.
            message = said.removeprefix(f"{v.resource}: ")
            out.append(f"| {v.level} | `{v.policy}` | {_cell(v.resource)} | {_cell(message)} |")
        out.append("")
    if result.remediations:
        out += ["#### Remediations", "", "Applied by policies at the `remediate` level before the resources were "
                "judged.", "", "| policy | resource | set |", "|---|---|---|"]
        out += [f"| `{r.policy}` | {_cell(r.resource)} | {_cell(', '.join(r.changed))} |" for r in result.remediations]
        out.append("")
    if result.baseline is not None:
        b = result.baseline
        out += ["#### Cost change", "", f"{money(b.total_before)} → {money(b.total_after)} "
                f"(**{b.delta:+,.2f} USD / month**)" + (f" — refused: {b.exceeded}" if b.exceeded else ""), ""]
        if b.changes:
            out += ["| resource | before | after | change |", "|---|---|---|---|"]
            out += [f"| {_cell(c.type)} `{_cell(c.name)}` | {money(c.before)} | {money(c.after)} | {c.delta:+,.2f} |"
                    for c in b.changes[:25]]
            out.append("")
    if result.notes:
        out += ["<details><summary>Notes</summary>", ""] + [f"- {_cell(note)}" for note in result.notes] + \
            ["", "</details>", ""]
    by_team: dict[str, float] = defaultdict(float)
    for r in result.resources:
        by_team[r.team or "untagged"] += r.monthly_usd or 0.0
    if by_team:
        out += ["<details><summary>Estimate by team</summary>", "", "| team | monthly |", "|---|---|"]
        out += [f"| {_cell(team)} | {money(amount)} |"
                for team, amount in sorted(by_team.items(), key=lambda kv: -kv[1])]
        out += ["", "</details>", ""]
    return "\n".join(out) + "\n"
