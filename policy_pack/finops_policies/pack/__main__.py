"""The FinOps guardrails policy pack, installed with the library.

    pulumi preview --policy-pack "$(finops pack)"

The same pack as the repository's ``policy_pack/``; the policies come from the installed
``finops_policies`` package, so this directory holds nothing else.
"""

from finops_policies import PACK_NAME, all_policies
from finops_policies.servicer_check import install
from pulumi_policy import EnforcementLevel, PolicyPack

install()  # decode each request once for all policies (falls back to the SDK's servicer if it changed)

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=all_policies(),
    description="FinOps guardrails: cost-allocation tags and labels, per-environment sizing caps, budget alerts.",
)
