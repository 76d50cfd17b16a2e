"""The FinOps guardrails policy pack, as the Pulumi CLI runs it from this repository.

    pulumi preview --policy-pack policy_pack [--policy-pack-config policy-config.json]

It is the pack the library installs (``finops pack``): that pack's ``__main__`` builds it, so
the two can never differ.
"""

import runpy

from finops_policies.location import installed_pack_dir

runpy.run_path(str(installed_pack_dir() / "__main__.py"), run_name="__main__")
