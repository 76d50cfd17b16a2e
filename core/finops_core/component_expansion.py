"""What a packaged component creates, from its row of ``data/packaged_components.yaml``.

A packaged (multi-language) component such as ``awsx.ec2.Vpc`` registers one remote component;
its own provider creates the children through the engine. Offline there is no such provider, so
the mock engine asks :func:`expand` for the children a row describes (type, name, parent,
inputs) and the outputs the program may read, and registers them itself.

This module is plain data in, plain data out, and imports nothing but the standard library: the
mock engine loads it by path under a program's own virtualenv, where this library is absent.

The row language (see the YAML file's header for a full example):

- ``defaults``: the component's documented defaults, under the program's arguments (maps merge).
- ``let``: names for values the children share (e.g. eks's node group options), in order.
- ``children``: in registration order, each with ``type``, ``name`` (a template), ``key`` (a
  template naming it for ``parent`` and references; defaults to the name), ``parent`` (a key;
  the component when absent), ``for_each`` + ``as`` (repeat over a sequence), ``when`` (a
  condition), ``inputs`` and ``outputs`` (extra plausible outputs, e.g. a load balancer's
  ``dnsName``).
- ``outputs``: the component's outputs by their schema names.

Templates and expressions: a string ``"{a.b}"`` is the value at that path (of ``name``,
``region``, ``args``, ``zones``, the ``let`` names and the loop variables), ``"x-{a.b}"`` a
string with it in place; a map with one ``$`` key is an operation:

- logic and values: ``$if`` ([condition, then, else]), ``$first`` (the first value set),
  ``$eq``, ``$ne``, ``$not``, ``$and``, ``$or``, ``$in``, ``$at`` ([list, index]), ``$lower``,
  ``$len``, ``$concat`` (lists), ``$where`` ([list, key]: the items that set it), ``$join``
  (strings), ``$merge`` (maps), ``$omit`` ([map, keys]), ``$json``, ``$sha1`` (8 hex digits, as
  awsx names things), ``$urnName``;
- sequences for ``for_each``: ``$range`` (items 1..n), ``$items`` (a list's items, numbered),
  ``$zones`` (the availability zones a VPC uses), ``$subnets`` (awsx's subnet layout),
  ``$files`` ([folder, hidden files too]: the files a folder holds, as synced-folder uploads them);
- awsx's ECS rules: ``$containers``, ``$containerDefinitions``, ``$fargateSize``, ``$loadBalancers``;
- references: ``$ref`` (another child: ``{$ref: key, field: id}``; no field: the resource itself)
  and ``$refs`` (the children whose keys match a glob). They are left as markers for the mock
  engine, which alone knows the children's ids.

A child with ``expand: true`` is a component of the table itself: its own children follow it,
their keys prefixed with its key and a slash.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import mimetypes
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REF = "$ref"
REFS = "$refs"
_TEMPLATE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
# Children of these packages are components themselves (eks:index:ServiceRole ...), not custom resources.
_COMPONENT_PACKAGES = ("eks", "awsx")
_SUBNET_ORDER = {"public": 0, "private": 1, "isolated": 2}
# awsx's default CIDR masks per subnet type (awsx/ec2/subnetDistributorLegacy.ts: public /20,
# private /19 in a /16 VPC); only the layout's shape matters for cost.
_DEFAULT_MASK = {"public": 20, "private": 19, "isolated": 24}


class ExpansionError(ValueError):
    """A row of the table that cannot be evaluated (a table bug, said with the row's token)."""


@dataclass
class Child:
    key: str
    type: str
    name: str
    parent: str                      # a key of an earlier child, "" for the component
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    custom: bool = True


@dataclass
class Expansion:
    token: str
    children: list[Child]
    outputs: dict[str, Any]


def expand(table: Mapping[str, Any], token: str, name: str, args: Mapping[str, Any],
           region: str, zones: Sequence[str]) -> Expansion | None:
    """The children and outputs of component ``token`` called ``name``; None for a token the
    table does not know."""
    row = table.get(token)
    if not isinstance(row, Mapping):
        return None
    merged = _merged(row.get("defaults") or {}, _present(args))
    scope: dict[str, Any] = {"name": name, "region": region, "args": merged, "zones": list(zones)}
    children: list[Child] = []
    try:
        for key, expr in (row.get("let") or {}).items():
            scope[key] = _value(expr, scope)
        for spec in row.get("children") or []:
            children += _children(spec, scope, table)
        outputs = {key: _value(expr, scope) for key, expr in (row.get("outputs") or {}).items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise ExpansionError(f"{token}: the expansion table cannot be evaluated: {exc}") from None
    return Expansion(token, children, _drop_none(outputs))


def _present(value: Any) -> Any:
    """Arguments the program left unset arrive as None: they take the defaults."""
    if isinstance(value, Mapping):
        return {k: _present(v) for k, v in value.items() if v is not None}
    return value


def _merged(defaults: Any, given: Any) -> Any:
    if isinstance(defaults, Mapping) and isinstance(given, Mapping):
        return {**defaults, **{k: _merged(defaults.get(k), v) for k, v in given.items()}}
    return defaults if given is None else given


def _children(spec: Mapping[str, Any], scope: dict[str, Any], table: Mapping[str, Any]) -> list[Child]:
    items: list[Any] = [None]
    if "for_each" in spec:
        items = list(_value(spec["for_each"], scope) or [])
    made: list[Child] = []
    for item in items:
        local = {**scope, str(spec.get("as", "item")): item} if item is not None else scope
        if "when" in spec and not _value(spec["when"], local):
            continue
        name = str(_value(spec["name"], local))
        child = Child(
            key=str(_value(spec.get("key", spec["name"]), local)), type=str(spec["type"]), name=name,
            parent=str(_value(spec.get("parent", ""), local) or ""),
            inputs=_drop_none(_value(spec.get("inputs") or {}, local)),
            outputs=_drop_none(_value(spec.get("outputs") or {}, local)),
            custom=str(spec["type"]).split(":")[0] not in _COMPONENT_PACKAGES)
        made.append(child)
        if spec.get("expand"):
            # A component of the table inside this one (FargateService's FargateTaskDefinition):
            # its children under it, their keys prefixed with its key.
            inner = expand(table, child.type, name, child.inputs, scope["region"], scope["zones"])
            for grandchild in inner.children if inner is not None else []:
                grandchild.parent = f"{child.key}/{grandchild.parent}" if grandchild.parent else child.key
                grandchild.key = f"{child.key}/{grandchild.key}"
                made.append(grandchild)
    return made


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _lookup(path: str, scope: Mapping[str, Any]) -> Any:
    node: Any = scope
    for step in path.split("."):
        if isinstance(node, Mapping):
            node = node.get(step)
        elif isinstance(node, list) and step.isdigit():
            node = node[int(step)] if int(step) < len(node) else None
        else:
            return None
    return node


def _value(expr: Any, scope: Mapping[str, Any]) -> Any:
    if isinstance(expr, str):
        whole = _TEMPLATE.fullmatch(expr)
        if whole:
            return _lookup(whole.group(1), scope)
        return _TEMPLATE.sub(lambda m: _text(_lookup(m.group(1), scope)), expr)
    if isinstance(expr, list):
        return [_value(item, scope) for item in expr]
    if isinstance(expr, Mapping):
        operations = [k for k in expr if isinstance(k, str) and k.startswith("$")]
        if operations:
            return _operation(operations[0], expr, scope)
        return {k: _value(v, scope) for k, v in expr.items()}
    return expr


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _operation(op: str, expr: Mapping[str, Any], scope: Mapping[str, Any]) -> Any:
    argument = expr[op]
    if op == REF:
        return {REF: _value(argument, scope), "field": expr.get("field")}
    if op == REFS:
        return {REFS: _value(argument, scope), "field": expr.get("field")}
    if op == "$if":
        condition, then, otherwise = argument
        return _value(then if _value(condition, scope) else otherwise, scope)
    if op == "$at":
        values, index = (_value(a, scope) for a in argument)
        return values[int(index)] if isinstance(values, list) and int(index) < len(values) else None
    if op == "$first":
        return next((v for v in (_value(a, scope) for a in argument) if v is not None), None)
    if op == "$eq":
        left, right = (_value(a, scope) for a in argument)
        return left == right
    if op == "$ne":
        left, right = (_value(a, scope) for a in argument)
        return left != right
    if op == "$not":
        return not _value(argument, scope)
    if op == "$and":
        return all(_value(a, scope) for a in argument)
    if op == "$or":
        return any(_value(a, scope) for a in argument)
    if op == "$in":
        needle, haystack = (_value(a, scope) for a in argument)
        return needle in (haystack or [])
    if op == "$lower":
        return _text(_value(argument, scope)).lower()
    if op == "$len":
        return len(_value(argument, scope) or [])
    if op == "$range":
        count = int(_value(argument, scope) or 0)
        return [{"index": i, "number": i + 1} for i in range(count)]
    if op == "$items":
        values = _value(argument, scope) or []
        return [{**(v if isinstance(v, Mapping) else {"value": v}), "index": i, "number": i + 1}
                for i, v in enumerate(values)]
    if op == "$concat":
        return [v for part in argument for v in (_value(part, scope) or [])]
    if op == "$join":
        return "".join(_text(_value(part, scope)) for part in argument)
    if op == "$urnName":
        # A component passed as an argument (eks's ``cluster``) arrives as its URN.
        return _text(_value(argument, scope)).rsplit("::", 1)[-1]
    if op == "$omit":
        value, keys = (_value(a, scope) for a in argument)
        return {k: v for k, v in (value or {}).items() if k not in keys}
    if op == "$json":
        return json.dumps(_value(argument, scope), separators=(",", ":"), sort_keys=True)
    if op == "$sha1":
        return hashlib.sha1(_text(_value(argument, scope)).encode()).hexdigest()[:8]
    if op == "$where":
        values, key = (_value(a, scope) for a in argument)
        return [v for v in values or [] if isinstance(v, Mapping) and v.get(key)]
    if op == "$files":
        folder, hidden = (_value(a, scope) for a in argument)
        return _files(_text(folder), bool(hidden))
    if op == "$containers":
        return _containers(_value(argument, scope))
    if op == "$containerDefinitions":
        containers, log_group, region = (_value(a, scope) for a in argument)
        return _container_definitions(containers, log_group, region)
    if op == "$fargateSize":
        return _fargate_size(_value(argument, scope))
    if op == "$loadBalancers":
        return [{"containerName": c["name"], "containerPort": m.get("containerPort"),
                 "targetGroupArn": m["targetGroup"]}
                for c in _value(argument, scope) for m in c.get("portMappings") or [] if m.get("targetGroup")]
    if op == "$merge":
        merged: dict[str, Any] = {}
        for part in argument:
            merged.update(_value(part, scope) or {})
        return merged
    if op == "$zones":
        return _zones(_value(argument, scope), scope)
    if op == "$subnets":
        return _subnets(_value(argument, scope), scope)
    raise ValueError(f"unknown operation {op}")


def _zones(args: Mapping[str, Any], scope: Mapping[str, Any]) -> list[dict[str, Any]]:
    names = args.get("availabilityZoneNames")
    if not names:
        names = list(scope["zones"])[: int(args.get("numberOfAvailabilityZones") or 3)]
    return [{"name": zone, "index": i, "number": i + 1} for i, zone in enumerate(names)]


def _subnets(args: Mapping[str, Any], scope: Mapping[str, Any]) -> list[dict[str, Any]]:
    """awsx's layout (awsx/ec2/vpc.ts): per zone, each subnet spec, public before private before
    isolated; the resource name is ``<vpc>-<spec name or type>-<zone number>``."""
    specs = [s for s in (args.get("subnetSpecs") or []) if str(s.get("type", "")).lower() != "unused"]
    specs.sort(key=lambda s: _SUBNET_ORDER.get(str(s.get("type", "")).lower(), 3))
    base = str(args.get("cidrBlock") or "10.0.0.0/16").split("/")[0].split(".")
    layout = []
    for zone in _zones(args, scope):
        for number, spec in enumerate(specs):
            kind = str(spec.get("type", "")).lower()
            mask = int(spec.get("cidrMask") or _DEFAULT_MASK.get(kind, 24))
            layout.append({
                "type": spec.get("type"), "kind": kind, "specName": spec.get("name") or kind,
                "zone": zone["name"], "zoneIndex": zone["index"], "zoneNumber": zone["number"],
                "tags": spec.get("tags") or {},
                "cidrBlock": f"{base[0]}.{base[1]}.{zone['index'] * 64 + number * 16}.0/{mask}"})
    return layout


def _files(folder: str, hidden: bool) -> list[dict[str, Any]]:
    """The files under ``folder`` (relative to the program's directory, where the mock engine runs),
    as synced-folder and aws-apigateway upload them: path relative to the folder, content type."""
    root = Path(folder)
    if not root.is_dir():
        return [{"relativePath": root.name, "fullPath": str(root), "contentType": mimetypes.guess_type(root.name)[0]}
                ] if root.is_file() else []
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        if hidden or not any(part.startswith(".") for part in relative.split("/")):
            found.append({"relativePath": relative, "fullPath": str(path),
                          "contentType": mimetypes.guess_type(path.name)[0]})
    return found


def _containers(args: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """A task definition's containers as a list, each with its name (awsx/ecs/fargateTaskDefinition.ts:
    ``container`` is named ``container`` unless it says; ``containers`` is a map by name)."""
    args = args or {}
    if args.get("container") is not None:
        container = dict(args["container"])
        return [{**container, "name": container.get("name") or "container"}]
    return [{**dict(c), "name": n} for n, c in (args.get("containers") or {}).items()]


def _container_definitions(containers: Sequence[Mapping[str, Any]], log_group: str | None, region: str) -> str:
    """The task definition's ``containerDefinitions`` JSON (awsx/ecs/containers.ts): port mappings
    without their target groups, and logs to the task's log group unless the container says."""
    definitions = []
    for container in containers:
        definition = {k: v for k, v in container.items() if v is not None}
        definition["portMappings"] = [_drop_none({
            "containerPort": m.get("containerPort") or m.get("hostPort"),
            "hostPort": m.get("hostPort") or m.get("containerPort"), "protocol": m.get("protocol")})
            for m in container.get("portMappings") or []]
        if "logConfiguration" not in definition and log_group:
            definition["logConfiguration"] = {"logDriver": "awslogs", "options": {
                "awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": container["name"]}}
        definitions.append(definition)
    return json.dumps(definitions, separators=(",", ":"), sort_keys=True)


# awsx/ecs/fargateMemoryAndCpu.ts: the Fargate sizes (vCPU, GB of memory) by price, cheapest first.
_FARGATE_SIZES = sorted(
    [(0.25, m) for m in (0.5, 1, 2)] + [(0.5, m) for m in range(1, 5)] + [(1, m) for m in range(2, 9)]
    + [(2, m) for m in range(4, 17)] + [(4, m) for m in range(8, 31)] + [(8, m) for m in range(16, 61)]
    + [(16, m) for m in range(32, 121)] + [(32, m) for m in (60, 120, 244)],
    key=lambda size: 0.04048 * size[0] + 0.004445 * size[1])


def _fargate_size(containers: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The cheapest Fargate size that holds the containers' CPU units and memory, as awsx picks it."""
    memory_mb = sum(float(c.get("memoryReservation") or c.get("memory") or 0) for c in containers)
    vcpu = sum(float(c.get("cpu") or 0) for c in containers) / 1024
    for cpu, memory_gb in _FARGATE_SIZES:
        if cpu >= vcpu and memory_gb >= memory_mb / 1024:
            return {"cpu": f"{cpu * 1024:g}", "memory": f"{memory_gb * 1024:g}"}
    raise ValueError(f"no Fargate size holds {vcpu:g} vCPU and {memory_mb:g} MB")


def matching(keys: Sequence[str], pattern: str) -> list[str]:
    """The keys a ``$refs`` glob names, in registration order."""
    return [key for key in keys if fnmatch.fnmatchcase(key, pattern)]
