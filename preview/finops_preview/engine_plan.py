"""The engine's own plan, from ``pulumi preview --json``: judged and priced offline.

``{"config": {...}, "steps": [{op, urn, provider, oldState, newState, ...}], "changeSummary":
{...}}`` (see ../shared/reference/pulumi-engine-samples/README.md). What the stack will be
after the update is every step's ``newState`` except deletions; what it is now is every step's
``oldState``. The policies see ``newState.inputs`` (the inputs the real provider checked,
unknowns written as the engine's sentinel), as the engine's Analyze does.

Without ``--show-sames`` the plan leaves out unchanged resources (``changeSummary.same``
counts them): their cost is then missing from both sides, so the delta stays right while the
total is short; the preview says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from finops_core.reading import ConfigError, load_json

from .engine_state import document_run
from .engine_values import recorded
from .mock_engine import RecordedResource
from .runner import ProgramRun

PLAN_SHAPE = "the JSON of `pulumi preview --json` ({\"steps\": [...], \"changeSummary\": {...}})"
# Steps after which the resource is part of the stack; the others remove it (or only read it).
KEEPS = frozenset({"same", "create", "update", "replace", "create-replacement", "import", "import-replacement",
                   "refresh"})
REMOVES = frozenset({"delete", "delete-replaced", "discard", "discard-replaced", "remove-pending-replace"})
READS = frozenset({"read", "read-replacement", "read-discard"})
KNOWN_OPS = KEEPS | REMOVES | READS


@dataclass
class Plan:
    source: Path
    after: list[RecordedResource]           # the stack after the update, in the plan's order
    before: list[RecordedResource]          # the resources the plan changes or removes, as they are now
    ops: dict[str, str]                     # URN -> the step's op (the last one for a replacement)
    config: dict[str, str]
    change_summary: dict[str, int] = field(default_factory=dict)

    @property
    def omitted_sames(self) -> int:
        """Unchanged resources the plan counts but does not list (it was made without --show-sames)."""
        listed = sum(1 for op in self.ops.values() if op == "same")
        stack_same = 1 if any(r.type == "pulumi:pulumi:Stack" for r in self.after) else 0
        counted = self.change_summary.get("same", 0)
        return max(0, counted - max(listed, stack_same))


def read_plan(path: str | Path) -> Plan:
    """Read a ``pulumi preview --json`` file; a ConfigError (one line, file and key) otherwise."""
    path = Path(path)
    doc = load_json(path)
    data = doc.data
    if isinstance(data, Mapping) and "deployment" in data:
        raise ConfigError(path, None, "<a `pulumi stack export`>", f"{PLAN_SHAPE}; use --from-state")
    if not isinstance(data, Mapping) or ("steps" not in data and "changeSummary" not in data):
        raise ConfigError(path, "steps", "<missing>", PLAN_SHAPE)
    if not isinstance(data.get("steps") or [], list):
        raise ConfigError(path, "steps", "<not a list>", PLAN_SHAPE)
    after: dict[str, RecordedResource] = {}
    before: dict[str, RecordedResource] = {}
    ops: dict[str, str] = {}
    for index, step in enumerate(data.get("steps") or []):
        where = f"steps[{index}]"
        if not isinstance(step, Mapping):
            raise ConfigError(path, where, step, "a step object")
        op = step.get("op")
        if not isinstance(op, str) or op not in KNOWN_OPS:
            raise ConfigError(path, f"{where}.op", op,
                              f"one of the engine's step kinds: {', '.join(sorted(KNOWN_OPS))}")
        old, new = step.get("oldState"), step.get("newState")
        for name, state in (("oldState", old), ("newState", new)):
            if state is not None and not isinstance(state, Mapping):
                raise ConfigError(path, f"{where}.{name}", state, "a resource state object")
        urn = step.get("urn")
        if isinstance(old, Mapping):
            resource = recorded({**old, "urn": old.get("urn", urn)}, path, f"{where}.oldState")
            before.setdefault(resource.urn, resource)
        if op in KEEPS and isinstance(new, Mapping):
            resource = recorded({**new, "urn": new.get("urn", urn)}, path, f"{where}.newState")
            after[resource.urn] = resource
        if op in REMOVES and isinstance(urn, str) and op != "delete-replaced":
            after.pop(urn, None)
        if isinstance(urn, str):
            ops[urn] = op if op not in ("create-replacement", "delete-replaced") or urn not in ops else ops[urn]
    config = data.get("config") or {}
    if not isinstance(config, Mapping):
        raise ConfigError(path, "config", "<not an object>", "the stack config (key -> string)")
    summary = data.get("changeSummary") or {}
    counts = {str(k): int(v) for k, v in summary.items() if isinstance(v, int)} if isinstance(summary, Mapping) else {}
    return Plan(path, list(after.values()), list(before.values()), ops,
                {str(k): v if isinstance(v, str) else str(v) for k, v in config.items()}, counts)


def plan_run(plan: Plan, cwd: str | Path = ".", stack: str | None = None) -> ProgramRun:
    """The stack after the update as a :class:`ProgramRun` (the providers of the plan's own
    steps included; default providers, which the plan has no step for, come from its config)."""
    run = document_run(plan.source, plan.after + plan.before, plan.config, cwd, stack)
    run.resources = list(plan.after)
    return run


def before_run(plan: Plan, run: ProgramRun) -> ProgramRun:
    """The same stack as it is now (the plan's old states), for the cost before the update."""
    return ProgramRun(run.project, run.stack, run.config, plan.before)
