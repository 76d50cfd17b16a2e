#!/usr/bin/env python3
"""Write the README's counts and table of resource kinds from the table itself
(``core/finops_core/data/kinds``), so that no figure about the kinds is kept by hand.

A count is found by the words around it (``PHRASES``: "**62 AWS resource types** get an estimate
fixed by configuration"); the table sits between ``<!-- kinds:table -->`` and ``<!-- /kinds:table -->``.

    python scripts/generate_kinds_docs.py           # rewrite README.md (make test runs it first)
    python scripts/generate_kinds_docs.py --check   # exit 1 where README.md differs from the table
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from finops_core.kinds import PricedExample, ResourceKind, kinds_table

README = Path(__file__).resolve().parents[1] / "README.md"
MARKED = re.compile(r"(<!-- kinds:([a-z-]+) -->)(.*?)(<!-- /kinds:\2 -->)", re.S)
# Each count of the README, by the words around it: (the words, with the number as the one group; its part).
PHRASES: tuple[tuple[str, str], ...] = (
    (r"\*\*(\d+) AWS resource types\*\* get an estimate fixed by configuration", "fixed"),
    (r"A further (\d+) types are usage-priced", "usage"),
    (r"one file per service group, (\d+) types\)", "all"),
    (r"(\d+) figures of Infracost's golden test files", "same-file"),
    (r"(\d+) figures for \d+ types \(`independent`", "independent"),
    (r"\d+ figures for (\d+) types \(`independent`", "independent-types"),
    (r"The other (\d+) types priced from", "single-sourced"),
)


def _fixed(table: Mapping[str, ResourceKind]) -> list[str]:
    return [t for t, k in table.items() if any(e.origin == "price-list" for e in k.examples.priced)]


def _with(table: Mapping[str, ResourceKind], origin: str) -> list[PricedExample]:
    return [e for k in table.values() for e in k.examples.priced if e.origin == origin]


def _types_with(table: Mapping[str, ResourceKind], origin: str) -> list[str]:
    return [t for t, k in table.items() if any(e.origin == origin for e in k.examples.priced)]


def _checked(kind: ResourceKind) -> str:
    origins = [e.origin for e in kind.examples.priced]
    independent = origins.count("independent")
    same = origins.count("same-file")
    parts = [f"{independent} independent" if independent else "",
             f"{same} Infracost golden (same file as the prices)" if same else ""]
    found = ", ".join(p for p in parts if p)
    return found if independent else (found + "; " if found else "") + "**single-sourced**"


def _table(table: Mapping[str, ResourceKind]) -> str:
    rows = ["| Type | Caps judged | Exact figure of its example | Its prices checked against |",
            "|---|---|---|---|"]
    for resource_type, kind in sorted(table.items()):
        exact = [e for e in kind.examples.priced if e.origin == "price-list"]
        if not kind.sizes and not kind.examples.priced and not kind.examples.unpriced:
            continue
        caps = ", ".join(sorted(kind.sections)) or "-"
        figure = f"${exact[0].monthly_usd:,.2f}" if exact else (
            f"not priced: {kind.examples.unpriced}" if kind.examples.unpriced else "usage-priced")
        checked = _checked(kind) if exact else "-"
        rows.append(f"| `{resource_type}` | {caps} | {figure} | {checked} |")
    return "\n\n" + "\n".join(rows) + "\n\n"


def parts(table: Mapping[str, ResourceKind]) -> dict[str, Callable[[], str]]:
    fixed = _fixed(table)
    independent = set(_types_with(table, "independent"))
    return {
        "all": lambda: str(len(table)),
        "fixed": lambda: str(len(fixed)),
        "usage": lambda: str(sum(1 for k in table.values() if k.price.get("model") == "usage")),
        "same-file": lambda: str(len(_with(table, "same-file"))),
        "independent": lambda: str(len(_with(table, "independent"))),
        "independent-types": lambda: str(len(independent)),
        "single-sourced": lambda: str(len([t for t in fixed if t not in independent])),
        "table": lambda: _table(table),
    }


def render(text: str, table: Mapping[str, ResourceKind]) -> str:
    made = parts(table)

    def fill(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in made:
            raise SystemExit(f"{README}: <!-- kinds:{name} --> is not a generated part; expected one of "
                             + ", ".join(made))
        return match.group(1) + made[name]() + match.group(4)

    text = MARKED.sub(fill, text)
    for words, name in PHRASES:
        found = re.search(words.replace(" ", r"\s+"), text)   # wherever the README wraps its lines
        if found is None:
            raise SystemExit(f"{README}: no sentence matching {words!r} to write the {name} count into")
        text = text[:found.start(1)] + made[name]() + text[found.end(1):]
    return text


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    wanted = render(text, kinds_table())
    if "--check" in argv:
        if wanted != text:
            print(f"{README}: the kinds' counts or table differ from core/finops_core/data/kinds; "
                  "run python scripts/generate_kinds_docs.py", file=sys.stderr)
            return 1
        return 0
    if wanted != text:
        README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
