"""Shared fixtures: the policy pack running as the engine runs it, and well-formed tags."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from finops_preview.analyzer import Diagnostic, PolicyPackProcess, ProviderRef

ROOT = Path(__file__).resolve().parents[1]
PACK_DIR = ROOT / "policy_pack"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

VALID_TAGS = {
    "Project": "ai-agent-security-platform",
    "Environment": "dev",
    "Team": "backend",
    "Service": "ssa",
    "Owner": "jdoe",
    "CostCenter": "engineering",
    "Phase": "mvp",
}


def tags(**changes: str | None) -> dict[str, str]:
    """Valid tags with some values changed (None removes the tag)."""
    result = dict(VALID_TAGS)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def labels(**changes: str | None) -> dict[str, str]:
    names = {"Project": "project", "Environment": "environment", "Team": "team", "Service": "service",
             "Owner": "owner", "CostCenter": "cost-center", "Phase": "phase"}
    return {names[k]: v for k, v in tags(**changes).items()}


@pytest.fixture(scope="session")
def pack() -> Iterator[PolicyPackProcess]:
    """The policy pack, started once as the CLI starts it, for a stack named dev."""
    with PolicyPackProcess(PACK_DIR, stack="dev", project="ai-agent-security-platform") as process:
        process.handshake()
        yield process


Analyze = Callable[..., list[Diagnostic]]


@pytest.fixture
def analyze(pack: PolicyPackProcess) -> Iterator[Analyze]:
    """Analyze one resource with the default policy config (restored after each test)."""
    pack.configure({})

    def run(resource_type: str, props: dict[str, Any], name: str = "subject",
            provider: ProviderRef | None = None, with_advice: bool = False) -> list[Diagnostic]:
        # Advice (advisory, e.g. "t3 has a Graviton twin") has tests of its own; the guardrail
        # tests look at everything else.
        found = pack.analyze(resource_type, name, props, provider=provider)
        return [d for d in found if with_advice or not d.policy.startswith("finops-advice-")]

    yield run
    pack.configure({})


def mandatory(diagnostics: list[Diagnostic], policy: str | None = None) -> list[Diagnostic]:
    return [d for d in diagnostics if d.mandatory and (policy is None or d.policy == policy)]


PROJECT = "ai-agent-security-platform"
BASE_CONFIG = {"aws:region": "eu-west-1", f"{PROJECT}:owner": "jdoe"}


@pytest.fixture
def mock_stack() -> Callable[..., Any]:
    """Run a small program in-process under Pulumi's mocks for a stack; returns its resources."""
    from finops_preview.mock_engine import MockSession

    def run(program: Callable[[], object], stack: str = "dev", **config: str) -> list[Any]:
        values = {**BASE_CONFIG, **{f"{PROJECT}:{k}": v for k, v in config.items()}}
        session = MockSession(PROJECT, stack, values)
        return session.run(program)

    return run
