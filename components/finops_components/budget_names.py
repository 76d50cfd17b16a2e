"""Names of the budgets and anomaly monitors: unique per project, stack and team (AWS budget
names are unique per account), fitted to AWS's length limit."""

from __future__ import annotations

import hashlib

import pulumi

from .aws_budget_limits import MAX_BUDGET_NAME
from .environment import Environment


def fitted_name(name: str, limit: int = MAX_BUDGET_NAME) -> str:
    """``name`` within AWS's length limit: a longer one keeps its start and a digest of the whole,
    so it stays unique and the same on every run."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[:limit - len(digest) - 1]}-{digest}"


def stack_budget_name(env: Environment) -> str:
    """The name of the stack's budget and anomaly monitor, unique per project, stack and team
    (AWS budget names are unique per account): ``<project>-<stack>-<team>``."""
    return f"{pulumi.get_project()}-{pulumi.get_stack()}-{env.tags.get('Team', 'platform')}"
