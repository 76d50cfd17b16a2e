"""Tags and labels on everything a program creates, including raw pulumi_aws resources.

``enforce()`` registers a resource transform (``pulumi.runtime.register_resource_transform``):
every taggable AWS resource and every Kubernetes object created after the call gets the
mandatory tags / labels, and explicit values on a resource win. The engine runs transforms,
so they also reach the children that packaged components (awsx, eks ...) create in their own
provider, which a stack *transformation* never sees. The engine hands a transform the
properties by their schema names (``tags``, ``propagateAtLaunch``); the offline mock engine
calls transforms as the engine does (Pulumi's plain mocks skip them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from finops_core.pod_specs import POD_TEMPLATES, kind_of, python_name
from finops_core.resource_types import aws_tag_shape, is_labelled_kubernetes_type
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret
from pulumi.runtime.settings import get_monitor

from .environment import Environment, environment_from_config


def _template_paths(kind: str) -> tuple[tuple[str, ...], ...]:
    """The pod template path of a kind in both spellings: programs pass dicts with Python or API names."""
    path = POD_TEMPLATES.get(kind)
    if path is None:
        return ()
    python = tuple(python_name(step) for step in path)
    return (path,) if python == path else (python, path)


_active: Environment | None = None
# The resource monitor (the engine's end) the transform was registered with: a new one (a new
# mocks session in tests, say) needs its own registration. Not the root stack resource: the SDK
# keeps that object from one mocks session to the next.
_registered_on: object = None


def _merge(defaults: Mapping[str, str], explicit: Any) -> Any:
    """Defaults under explicit values; works for plain maps and for Outputs of maps."""
    if explicit is None:
        return dict(defaults)
    if is_rpc_secret(explicit):
        # The SDK hands a transform a map with one secret value as a wholly secret map: keep each
        # explicit value secret, and the defaults readable beside them.
        return {**defaults, **{k: pulumi.Output.secret(v) for k, v in (unwrap_rpc_secret(explicit) or {}).items()}}
    if isinstance(explicit, Mapping):
        return {**defaults, **explicit}
    return pulumi.Output.from_input(explicit).apply(lambda value: {**defaults, **(value or {})})


def _merge_tag_blocks(defaults: Mapping[str, str], explicit: Any) -> Any:
    def merged(value: Any) -> list[Any]:
        blocks: list[Any] = list(value or [])
        present = {_get(b, "key") for b in blocks}
        return blocks + [{"key": k, "value": v, "propagateAtLaunch": True}
                         for k, v in defaults.items() if k not in present]

    if is_rpc_secret(explicit):
        return pulumi.Output.secret(merged(unwrap_rpc_secret(explicit)))
    if explicit is None or isinstance(explicit, (list, tuple)):
        return merged(explicit)
    return pulumi.Output.from_input(explicit).apply(merged)


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _set(obj: Any, name: str, value: Any) -> None:
    if isinstance(obj, dict):
        obj[name] = value
    else:
        setattr(obj, name, value)


def _label_metadata(metadata: Any, labels: Mapping[str, str]) -> Any:
    if metadata is None:
        return {"labels": dict(labels)}
    if isinstance(metadata, Mapping):
        metadata = dict(metadata)
    elif isinstance(metadata, pulumi.Output):
        return metadata.apply(lambda m: _label_metadata(m, labels))
    _set(metadata, "labels", _merge(labels, _get(metadata, "labels")))
    return metadata


def _label_pod_template(props: dict[str, Any], path: tuple[str, ...], labels: Mapping[str, str]) -> None:
    # Walk to the template, copying dicts on the way so the caller's objects stay untouched.
    node: Any = props
    for step in path[:-1]:
        child = _get(node, step)
        if child is None or isinstance(child, pulumi.Output):
            return
        if isinstance(child, Mapping):
            child = dict(child)
            _set(node, step, child)
        node = child
    template = _get(node, path[-1])
    if template is None or isinstance(template, pulumi.Output):
        return
    if isinstance(template, Mapping):
        template = dict(template)
        _set(node, path[-1], template)
    _set(template, "metadata", _label_metadata(_get(template, "metadata"), labels))


def apply_defaults(resource_type: str, props: dict[str, Any], env: Environment) -> dict[str, Any] | None:
    """``props`` with the environment's tags/labels filled in, or None if not taggable."""
    shape = aws_tag_shape(resource_type)
    if shape == "map":
        return {**props, "tags": _merge(env.tags, props.get("tags"))}
    if shape == "list":
        return {**props, "tags": _merge_tag_blocks(env.tags, props.get("tags"))}
    if resource_type.startswith("kubernetes:") and is_labelled_kubernetes_type(resource_type):
        labels = env.labels
        result = {**props, "metadata": _label_metadata(props.get("metadata"), labels)}
        for path in _template_paths(kind_of(resource_type)):
            _label_pod_template(result, path, labels)
        return result
    return None


def enforce(service: str | None = None, team: str | None = None, feature: str | None = None) -> Environment:
    """Tag and label everything created from here on in this program; returns the environment.

    Call once at the top of ``__main__.py``. Values come from stack config (see
    :func:`environment_from_config`: ``owner`` is required; ``team``, ``service``,
    ``costCenter``, ``phase`` and the optional ``feature`` have defaults); ``service``,
    ``team`` and ``feature`` passed here are the program's defaults. Every AWS resource that
    takes tags and every Kubernetes object (and pod template) created afterwards gets them,
    raw ``pulumi_aws``/``pulumi_kubernetes`` resources included; explicit tags win.

    Example::

        env = finops.enforce(service="ui", team="frontend", feature="agent-sandbox")
        aws.s3.Bucket("assets")   # tagged Project, Environment, Team=frontend, Service=ui, ...

    Raises ConfigError for a value outside the rules, naming the line of code or the stack
    config file (and line) it came from.
    """
    global _active, _registered_on
    env = environment_from_config(service=service, team=team, feature=feature)
    monitor = get_monitor()
    if _registered_on is not monitor:
        def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
            current = _active
            if current is None:
                return None
            props = apply_defaults(args.type_, dict(args.props), current)
            return None if props is None else pulumi.ResourceTransformResult(props, args.opts)

        pulumi.runtime.register_resource_transform(transform)
        _registered_on = monitor
    _active = env
    return env


def current_environment() -> Environment:
    """The environment set by :func:`enforce`, or the one the stack config describes."""
    return _active if _active is not None else environment_from_config()
