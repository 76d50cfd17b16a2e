"""One budgets directory, usage file, price book and waivers file per preview.

Each can be given on the command line (``--budgets-dir``, ``--usage-file``, ``--price-book``,
``--waivers``) or in the policy pack config, with the keys a ``pulumi preview
--policy-pack-config`` user sets (``budgetsDir``, ``usageFile``, ``priceBook`` of the cost
policies, ``file`` of ``finops-waivers``; relative paths are relative to the pack directory, where
the engine runs the pack). Whichever gave it, the preview's summary and every policy read the same
file, so the total and the budget the summary shows are the ones the policies judge. Two
different answers (two policies, or the config and the command line) and a named path that does
not exist are bad input.
"""

from __future__ import annotations

import stat
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finops_core.reading import ConfigError, probe, resolved

# The policies that price the stack and read budgets/<environment>.yaml.
COST_POLICIES = ("finops-cost-vs-budget", "finops-cost-vs-budget-warning", "finops-spending-limits",
                 "finops-spending-limits-warning")
WAIVERS_POLICY = "finops-waivers"  # its ``file`` config names the waivers file for the whole pack
NETWORK_POLICY = "finops-network-limits"  # its ``usageFile``: the egress the usage file gives


@dataclass(frozen=True)
class _Input:
    key: str                   # the policy config key
    policies: tuple[str, ...]  # the policies that take it
    option: str                # the command-line option
    directory: bool            # a directory (else a file)


BUDGETS = _Input("budgetsDir", COST_POLICIES, "--budgets-dir", True)
USAGE = _Input("usageFile", (*COST_POLICIES, NETWORK_POLICY), "--usage-file", False)
PRICE_BOOK = _Input("priceBook", COST_POLICIES, "--price-book", False)
WAIVERS = _Input("file", (WAIVERS_POLICY,), "--waivers", False)


def one_path(spec: _Input, option: Path | None, policy_config: MutableMapping[str, Any],
             config_file: Path | None, pack_dir: Path) -> Path | None:
    """The one path of ``spec`` for this run (absolute), or None when neither the option nor the
    config gives it. The config's entries are rewritten to that absolute path, so the pack reads
    what the summary reads. Raises ConfigError for two different paths or a missing one."""
    where = str(config_file or "policy pack config")
    chosen: tuple[str, Path] | None = None
    if option is not None:  # checked where it is read, as before the config could give it
        chosen = (spec.option, resolved(Path(option), spec.option))
    for name in spec.policies:
        entry = policy_config.get(name)
        if not isinstance(entry, Mapping) or entry.get(spec.key) is None:
            continue
        given = Path(str(entry[spec.key]))
        path = resolved(given if given.is_absolute() else pack_dir / given, where, f"{name}.{spec.key}")
        key = f"{name}.{spec.key}"
        _exists(spec, path, where, key)
        if chosen is not None and chosen[1] != path:
            raise ConfigError(where, key, str(given), f"the same path as {chosen[0]} ({chosen[1]}), or only one of "
                              "them: one per preview, so the summary and every policy agree")
        chosen = chosen or (key, path)
        policy_config[name] = {**entry, spec.key: str(path)}
    return chosen[1] if chosen is not None else None


def _exists(spec: _Input, path: Path, where: str, key: str | None) -> None:
    expected = "an existing directory" if spec.directory else "an existing file"
    found = probe(path, where, key, str(path), expected)  # a name too long ...: one located line too
    if found is None or (stat.S_ISDIR(found.st_mode) != spec.directory) or \
            (not spec.directory and not stat.S_ISREG(found.st_mode)):
        raise ConfigError(where, key, str(path), expected)


def policy_defaults(budgets_dir: Path, waivers_file: Path, usage_file: Path | None, price_book: Path | None,
                    policies: Sequence[str] = COST_POLICIES) -> dict[str, dict[str, Any]]:
    """The run's files as policy config, below the user's own (which :func:`one_path` made agree)."""
    cost: dict[str, Any] = {BUDGETS.key: str(budgets_dir)}
    if usage_file is not None:
        cost[USAGE.key] = str(usage_file)
    if price_book is not None:
        cost[PRICE_BOOK.key] = str(price_book)
    defaults: dict[str, dict[str, Any]] = {name: dict(cost) for name in policies}
    defaults[WAIVERS_POLICY] = {WAIVERS.key: str(waivers_file)}
    if usage_file is not None:
        defaults[NETWORK_POLICY] = {USAGE.key: str(usage_file)}
    return defaults
