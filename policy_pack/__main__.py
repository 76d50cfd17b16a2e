"""The FinOps guardrails policy pack, as the Pulumi CLI runs it.

    pulumi preview --policy-pack policy_pack [--policy-pack-config policy-config.json]
"""

from finops_policies import PACK_NAME, all_policies
from finops_policies.servicer import install
from pulumi_policy import EnforcementLevel, PolicyPack

install()  # decode each request once for all policies (falls back to the SDK's servicer if it changed)

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=all_policies(),
    description="FinOps guardrails: cost-allocation tags and labels, per-environment sizing caps, budget alerts.",
)
