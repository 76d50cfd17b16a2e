"""What a preview found: resources with their owner and cost, violations, totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .analyzer import Diagnostic


@dataclass(frozen=True)
class PolicyRef:
    pack: str
    name: str
    stack: bool          # a stack policy judges the whole stack, not each resource
    description: str = ""
    level: str = ""      # as configured for this run: mandatory, advisory, remediate or disabled


# ResourceRow.unpriced of a packaged component (awsx, eks ...) the offline engine could not expand:
# its children, and their cost, are not in the preview.
NOT_EXPANDED = "not-expanded"


@dataclass
class ResourceRow:
    type: str
    name: str
    urn: str
    environment: str
    team: str
    service: str
    cost_center: str
    monthly_usd: float | None       # None: not priced (see basis)
    basis: str
    inputs: dict[str, Any]          # secrets already masked
    usage_priced: bool = False
    source_file: str = ""           # the program file that declared it (relative to the project), "" unknown
    source_line: int = 0            # its line there, 0 unknown
    unpriced: str = ""              # why monthly_usd is None: unknown-type, missing-price, unknown-value, bad-value
    usage_usd: float = 0.0          # the part of monthly_usd that comes from usage amounts
    usage_pending: int = 0          # usage-priced cost lines the usage file gives no amount for
    list_usd: float | None = None   # before the price book's discount
    discount: str = ""              # the price book's discount applied, e.g. "Compute Savings Plan 28 %"
    # Regions whose prices stood in for the resource's own (none recorded there), e.g. ("us-east-1",).
    fallback_regions: tuple[str, ...] = ()
    # The resource policies that judged it (None: not known); the others answered not-applicable.
    policies: tuple[str, ...] | None = None
    # The allocation tags it ends up with (finops_core.effective_tags.allocation_tags: provider
    # defaultTags, tagsAll, tags; Kubernetes labels under their tag keys). Secret values are left out.
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Violation:
    policy: str
    pack: str
    level: str                      # mandatory | advisory | exempted (a policy exception covers it)
    message: str
    urn: str                        # "" for the stack
    resource: str                   # "type 'name'" or "stack"
    source_file: str = ""           # where the resource is declared (as ResourceRow), "" for the stack
    source_line: int = 0
    exception: str = ""             # exempted: the reason of the policy exception that covers it

    @classmethod
    def of(cls, diagnostic: Diagnostic, urn: str, resource: str) -> Violation:
        # The SDK prefixes the policy description; keep our own message line for reports.
        lines = diagnostic.message.split("\n", 1)
        message = lines[1] if len(lines) == 2 else lines[0]
        return cls(diagnostic.policy, diagnostic.pack, diagnostic.enforcement_level, message,
                   diagnostic.urn or urn, resource)

    def sort_key(self) -> tuple[bool, str, str, str, str]:
        """Stable report order: resources by URN, then the stack; per resource by policy."""
        return (not self.urn, self.urn, self.pack, self.policy, self.message)


@dataclass
class RemediationRow:
    """A policy at the remediate level rewrote a resource's inputs before it was analyzed."""

    policy: str
    pack: str
    urn: str
    resource: str                   # "type 'name'"
    changed: list[str]              # property paths it set, changed or removed, e.g. tags.Project

    @classmethod
    def of(cls, policy: str, pack: str, urn: str, resource: str, before: Any, after: Any) -> RemediationRow:
        return cls(policy, pack, urn, resource, changed_paths(before, after))


# An asset or archive as the engine encodes it (a Lambda's ``code``): the engine adds the content's
# ``hash``, which the policy SDK does not send back, so a remediated resource read from a plan
# would otherwise report a change of ``code.hash`` that no policy made.
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_ASSET_SIGS = {"c44067f5952c0a294b673a41bacd8c17", "0def7320c3a5731c473e5ecbe6d01bc7"}


def changed_paths(before: Any, after: Any, prefix: str = "") -> list[str]:
    """Where two property trees differ, as dotted paths into maps (values are not shown: they
    may be secret)."""
    if isinstance(before, dict) and isinstance(after, dict):
        paths: list[str] = []
        engine_only = {"hash"} if before.get(_SIG_KEY) in _ASSET_SIGS or after.get(_SIG_KEY) in _ASSET_SIGS else set()
        for key in sorted((set(before) | set(after)) - engine_only):
            if before.get(key) != after.get(key) or (key in before) != (key in after):
                paths += changed_paths(before.get(key), after.get(key), f"{prefix}.{key}" if prefix else key)
        return paths
    return [prefix] if before != after else []


@dataclass
class CostChange:
    urn: str
    name: str
    type: str
    before: float
    after: float

    @property
    def delta(self) -> float:
        return round(self.after - self.before, 2)


@dataclass
class BaselineDiff:
    source: str
    total_before: float
    total_after: float
    changes: list[CostChange]
    limit_usd: float | None
    limit_percent: float | None
    exceeded: str | None            # why the increase is refused, or None
    warning: str | None = None      # the baseline is of another stack

    @property
    def delta(self) -> float:
        return round(self.total_after - self.total_before, 2)


@dataclass
class PreviewResult:
    project: str
    stack: str
    environment: str
    region: str
    price_dates: dict[str, str]
    resources: list[ResourceRow]
    violations: list[Violation]
    policies: list[PolicyRef]       # every policy that ran
    budget_usd: float | None
    budget_source: str | None
    baseline: BaselineDiff | None = None
    notes: list[str] = field(default_factory=list)
    remediations: list[RemediationRow] = field(default_factory=list)
    # What was judged: "program" (run under Pulumi's mocks), "plan" (`pulumi preview --json`) or
    # "state" (`pulumi stack export`); origin_file names the plan or state file.
    origin: str = "program"
    origin_file: str = ""
    project_dir: str = ""           # the Pulumi project's directory (source files are relative to it)

    @property
    def total_usd(self) -> float:
        return round(sum(r.monthly_usd or 0.0 for r in self.resources), 2)

    @property
    def unpriced(self) -> list[ResourceRow]:
        """Rows that have a cost but no figure (unknown type, missing price, unknown value)."""
        return [r for r in self.resources if r.monthly_usd is None and r.unpriced and r.unpriced != NOT_EXPANDED]

    @property
    def not_expanded(self) -> list[ResourceRow]:
        """Packaged components whose children the offline preview could not create (nor price)."""
        return [r for r in self.resources if r.unpriced == NOT_EXPANDED]

    @property
    def usage_usd(self) -> float:
        return round(sum(r.usage_usd for r in self.resources), 2)

    @property
    def usage_pending(self) -> list[ResourceRow]:
        """Rows whose usage-priced lines have no amount: the total leaves that part out."""
        return [r for r in self.resources if r.usage_pending]

    @property
    def list_total_usd(self) -> float:
        return round(sum((r.list_usd if r.list_usd is not None else r.monthly_usd) or 0.0 for r in self.resources), 2)

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.level not in ("mandatory", "exempted")]

    @property
    def exempted(self) -> list[Violation]:
        """Violations a policy exception covers: reported, never failing the preview."""
        return [v for v in self.violations if v.level == "exempted"]

    @property
    def budget_percent(self) -> float | None:
        if not self.budget_usd:
            return None
        return round(100 * self.total_usd / self.budget_usd, 1)

    @property
    def failed(self) -> bool:
        return bool(self.mandatory) or (self.baseline is not None and self.baseline.exceeded is not None)
