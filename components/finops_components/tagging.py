"""Tags and labels on everything a program creates, including raw pulumi_aws resources.

``enforce()`` registers a stack transformation: every taggable AWS resource and every
Kubernetes object created after the call gets the mandatory tags / labels, and explicit
values on a resource win. A stack transformation (rather than ``register_resource_transform``)
is used because it is also applied under Pulumi's mocks, where the tests prove it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from finops_core.pod_specs import POD_TEMPLATES, kind_of, python_name
from finops_core.resource_types import aws_tag_shape, is_labelled_kubernetes_type

from .environment import Environment, environment_from_config


def _template_paths(kind: str) -> tuple[tuple[str, ...], ...]:
    """The pod template path of a kind in both spellings: programs pass dicts with Python or API names."""
    path = POD_TEMPLATES.get(kind)
    if path is None:
        return ()
    python = tuple(python_name(step) for step in path)
    return (path,) if python == path else (python, path)


_active: Environment | None = None
# The root stack resource the transformation was registered on: a new stack (a new mocks
# session in tests, say) needs its own registration.
_registered_on: object = None


def _merge(defaults: Mapping[str, str], explicit: Any) -> Any:
    """Defaults under explicit values; works for plain maps and for Outputs of maps."""
    if explicit is None:
        return dict(defaults)
    if isinstance(explicit, Mapping):
        return {**defaults, **explicit}
    return pulumi.Output.from_input(explicit).apply(lambda value: {**defaults, **(value or {})})


def _merge_tag_blocks(defaults: Mapping[str, str], explicit: Any) -> Any:
    def merged(value: Any) -> list[Any]:
        blocks: list[Any] = list(value or [])
        present = {_get(b, "key") for b in blocks}
        return blocks + [{"key": k, "value": v, "propagate_at_launch": True}
                         for k, v in defaults.items() if k not in present]

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
    root = pulumi.runtime.get_root_resource()
    if _registered_on is not root:
        def transformation(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
            current = _active
            if current is None:
                return None
            props = apply_defaults(args.type_, dict(args.props), current)
            return None if props is None else pulumi.ResourceTransformationResult(props, args.opts)

        pulumi.runtime.register_stack_transformation(transformation)
        _registered_on = root
    _active = env
    return env


def current_environment() -> Environment:
    """The environment set by :func:`enforce`, or the one the stack config describes."""
    return _active if _active is not None else environment_from_config()
