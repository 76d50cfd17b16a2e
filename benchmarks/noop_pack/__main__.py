"""The baseline for bench_pack_overhead.py: one resource policy that does nothing."""

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)


def nothing(args: ResourceValidationArgs, report: ReportViolation) -> None:
    return None


PolicyPack(name="noop", enforcement_level=EnforcementLevel.MANDATORY,
           policies=[ResourceValidationPolicy(name="noop", description="Does nothing.", validate=nothing)])
