"""The stack a pack judges: the one the engine names in ``ConfigureStack``.

The engine starts a policy pack with the stack in its environment (``PULUMI_STACK``,
``PULUMI_PROJECT``, ``PULUMI_ORGANIZATION``, ``PULUMI_DRY_RUN``, ``PULUMI_CONFIG``), and then,
first thing, sends the same facts in ``ConfigureStack`` (the CLI's ``NewPolicyAnalyzer``: stack,
project, organization, dry run, the stack's config as "namespace:key" -> value, its secret keys and
tags). pulumi-policy reads the environment, and so do this pack's policies (the stack name decides
the environment of an untagged resource; the stack config holds the shared-budget setting). Taking
the request's values into the environment changes nothing under the engine, where both agree, and
makes the request the one source: a pack told about another stack judges that stack, as a pack
started for it would.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from typing import Any

# What the engine sets for the pack process; pulumi-policy's _configure_runtime_settings reads all
# but the secret keys (policy.py, pulumi_policy 1.21).
VARIABLES = ("PULUMI_STACK", "PULUMI_PROJECT", "PULUMI_ORGANIZATION", "PULUMI_DRY_RUN", "PULUMI_CONFIG",
             "PULUMI_CONFIG_SECRET_KEYS")


def adopt(request: Any) -> None:
    """Make ``request`` (an ``AnalyzerStackConfigureRequest``) the stack this process judges. A
    request that names no stack (an engine configuring no stack) leaves the environment alone."""
    if not request.stack:
        return
    os.environ.update({
        "PULUMI_STACK": request.stack,
        "PULUMI_PROJECT": request.project,
        "PULUMI_DRY_RUN": "true" if request.dry_run else "false",
        "PULUMI_CONFIG": json.dumps(dict(request.config), sort_keys=True),
    })
    # Said only where the request says them (a backend without organizations sends none).
    if request.organization:
        os.environ["PULUMI_ORGANIZATION"] = request.organization
    if request.config_secret_keys:
        os.environ["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(request.config_secret_keys))
    _forget_runtime_config()


def _forget_runtime_config() -> None:
    """pulumi-policy copies the stack config into Pulumi's runtime key by key and never removes a
    key: the previous stack's keys go, and the next request copies the current ones."""
    with contextlib.suppress(ImportError, AttributeError, LookupError):
        from pulumi.runtime import config

        config.CONFIG.get().clear()


@contextlib.contextmanager
def kept() -> Iterator[None]:
    """The stack variables as they are now, restored on leaving (for the servicer's self-check,
    whose sample requests must not become the stack the engine configured)."""
    saved = {name: os.environ.get(name) for name in VARIABLES}
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
