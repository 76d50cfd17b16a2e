"""Every use of pulumi_policy's private parts, in one place.

The pack's servicer (:mod:`.servicer`) subclasses the SDK's ``_PolicyAnalyzerServicer`` and
reuses its helpers, because the SDK offers no public hook to judge a request once for all
policies. What it relies on, as of pulumi-policy 1.21 (``pulumi_policy/policy.py``):

- the class ``_PolicyAnalyzerServicer`` itself, which ``PolicyPack`` instantiates by that
  module-global name (:func:`serve_with` replaces it there);
- its single-underscore helpers in :data:`HELPERS` (enforcement levels, config, report
  closures, resource options and providers, runtime settings);
- its name-mangled instance attributes in :data:`MANGLED` (``__policies``, ``__stack_tags``,
  ``__policy_pack_name``, ``__policy_pack_version``), read through :func:`private`;
- ``_NotApplicableError``, which ``args.not_applicable()`` raises.

When a release renames or removes any of them, :func:`compatible` is False (or the servicer's
self-check answers differently from the SDK's) and the pack serves with the SDK's own servicer:
slower, same results. A renamed mangled attribute shows up as an AttributeError in that
self-check, which then keeps the SDK's servicer too. ``policy_pack/requirements.txt`` pins the
minor version this was checked against.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import policy as sdk

HELPERS = ("_get_enforcement_level", "_create_report_violation", "_get_resource_options", "_get_provider_resource",
           "_get_policy_config", "_configure_runtime_settings", "_map_enforcement_level")
MANGLED = ("policies", "stack_tags", "policy_pack_name", "policy_pack_version")
_SERVICER_NAME = "_PolicyAnalyzerServicer"

SDK_SERVICER: Any = getattr(sdk, _SERVICER_NAME, None)
NotApplicableError: Any = getattr(sdk, "_NotApplicableError", None)


def compatible() -> bool:
    """The SDK still has every private part the pack's servicer uses."""
    return SDK_SERVICER is not None and NotApplicableError is not None and \
        all(hasattr(SDK_SERVICER, name) for name in HELPERS)


def private(servicer: Any, name: str) -> Any:
    """The SDK servicer's name-mangled attribute ``__<name>`` (one of :data:`MANGLED`)."""
    return getattr(servicer, f"{_SERVICER_NAME}__{name}")


def serve_with(servicer_class: Any) -> None:
    """Make ``PolicyPack`` serve with ``servicer_class``: it looks the servicer up by the SDK's name."""
    setattr(sdk, _SERVICER_NAME, servicer_class)


def serving() -> Any:
    """The servicer class ``PolicyPack`` will serve with."""
    return getattr(sdk, _SERVICER_NAME, None)
