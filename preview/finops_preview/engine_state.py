"""The deployed state of a stack, from ``pulumi stack export``: judged and priced offline.

``{"version": 3, "deployment": {"manifest": {...}, "secrets_providers": {...},
"resources": [{urn, custom, id, type, inputs, outputs, parent, provider, dependencies,
sourcePosition, ...}]}}`` (see ../shared/reference/pulumi-engine-samples/README.md). The
policies see each resource's inputs (Analyze) and outputs (AnalyzeStack), as ``pulumi policy
analyze`` does for existing state; providers are resources of the export, so the policies see
a resource's real provider inputs (region, defaultTags).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from finops_core.reading import ConfigError, load_json, resolved

from .engine_values import recorded, split_urn
from .mock_engine import RecordedResource
from .project import Project, StackConfig
from .runner import ProgramRun

EXPORT_SHAPE = "the JSON of `pulumi stack export` ({\"version\": 3, \"deployment\": {\"resources\": [...]}})"


def read_state(path: str | Path) -> list[RecordedResource]:
    """Every resource of a ``pulumi stack export`` file, as the offline runner records them.

    Contract (for ``finops report --state STACK=FILE`` and ``finops preview --from-state``):

    - returns the resources in the file's order: the stack resource (``pulumi:pulumi:Stack``),
      providers (``pulumi:providers:<pkg>``, whose ``inputs`` hold ``region``/``defaultTags``),
      components (``custom=False``) and custom resources; the caller picks what it prices
      (``ProgramRun.custom_resources()`` leaves out the stack, components and providers);
    - ``inputs``/``outputs`` as in :mod:`finops_preview.engine_values`: secrets are the marker
      ``{"__secret": value}`` (``"[secret]"`` for a ciphertext), resource references their id,
      engine keys starting with ``__`` dropped, unknowns the engine's sentinel string;
    - ``source_file``/``source_line`` from the resource's ``sourcePosition`` where the export
      has one;
    - raises :class:`finops_core.reading.ConfigError` (one line naming the file and the key)
      for a file that is not such an export; never any other exception for bad input.

    To price it: ``build_rows(state_run(path), environment, usage, deployed=True)`` from
    :mod:`finops_preview.preview` (``deployed``: priced on what the provider reported, the
    outputs, over the inputs).
    """
    path = Path(path)
    doc = load_json(path)
    data = doc.data
    deployment = data.get("deployment") if isinstance(data, Mapping) else None
    if not isinstance(deployment, Mapping):
        if isinstance(data, Mapping) and "steps" in data:
            raise ConfigError(path, None, "<a `pulumi preview --json` plan>", f"{EXPORT_SHAPE}; use --from-plan")
        raise ConfigError(path, "deployment", "<missing>", EXPORT_SHAPE)
    version = data.get("version")
    if version not in (1, 2, 3):
        raise ConfigError(path, "version", version, "1, 2 or 3 (a checkpoint version the Pulumi CLI writes)")
    entries = deployment.get("resources") or []
    if not isinstance(entries, list):
        raise ConfigError(path, "deployment.resources", "<not a list>", "a list of resources")
    resources = []
    for index, entry in enumerate(entries):
        where = f"deployment.resources[{index}]"
        if not isinstance(entry, Mapping):
            raise ConfigError(path, where, entry, "a resource object")
        if entry.get("delete") is True:  # pending deletion of a replaced resource: not part of the stack
            continue
        resources.append(recorded(entry, path, where))
    return resources


def state_run(path: str | Path, cwd: str | Path = ".", stack: str | None = None) -> ProgramRun:
    """The export as a :class:`ProgramRun`, so that everything after the program (policies,
    estimate, report) reads it as it reads a program run under mocks."""
    path = Path(path)
    resources = read_state(path)
    return document_run(path, resources, {}, cwd, stack)


def document_run(path: Path, resources: list[RecordedResource], config: Mapping[str, str], cwd: str | Path,
                 stack: str | None) -> ProgramRun:
    """A run for the resources of an engine document: stack and project from its URNs."""
    names = set()
    for resource in resources:
        stack_name, project_name, _, _ = split_urn(resource.urn)
        names.add((stack_name, project_name))
    if len(names) > 1:
        found = ", ".join(f"{p}/{s}" for s, p in sorted(names))
        raise ConfigError(path, "urn", f"<resources of several stacks: {found}>", "the resources of one stack")
    stack_name, project_name = next(iter(names)) if names else (stack or "stack", "project")
    if stack is not None and names and stack != stack_name:
        raise ConfigError(path, "urn", f"<resources of stack {stack_name!r}>", f"resources of stack {stack!r} (-s)")
    directory = resolved(Path(cwd), "--cwd")
    project = Project(directory, project_name, path.resolve(), directory)
    values: dict[str, Any] = dict(config)
    return ProgramRun(project, stack_name, StackConfig({k: str(v) for k, v in values.items()}, frozenset()),
                      resources)
