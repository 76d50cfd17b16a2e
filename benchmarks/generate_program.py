#!/usr/bin/env python3
"""Write a Pulumi project whose program creates N resources of mixed, realistic types.

    python benchmarks/generate_program.py 1000 /tmp/bench-1000

Every tenth resource of each kind breaks a rule (oversized or untagged), so the pack has work
to report.
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

PROGRAM = '''\
"""Generated: {count} resources for benchmarking finops preview."""
import pulumi_aws as aws
import pulumi_kubernetes as k8s

TAGS = {{"Project": "ai-agent-security-platform", "Environment": "dev", "Team": "backend", "Service": "ssa",
        "Owner": "bench", "CostCenter": "engineering", "Phase": "mvp"}}
LIMITS = {{"limits": {{"cpu": "500m", "memory": "512Mi"}}}}
LABELS = {{"project": "ai-agent-security-platform", "environment": "dev", "team": "backend", "service": "ssa",
          "owner": "bench", "cost-center": "engineering", "phase": "mvp"}}
KINDS = 6

for i in range({count}):
    bad = (i // KINDS) % 10 == 9
    tags = {{}} if bad else TAGS
    kind = i % KINDS
    if kind == 0:
        aws.ec2.Instance(f"vm-{{i}}", instance_type="m5.4xlarge" if bad else "t3.small", ami="ami-0123456789abcdef0",
                         root_block_device={{"volume_size": 20, "volume_type": "gp3"}}, tags=tags)
    elif kind == 1:
        aws.ebs.Volume(f"vol-{{i}}", availability_zone="eu-west-1a", size=500 if bad else 50, type="gp3", tags=tags)
    elif kind == 2:
        aws.s3.Bucket(f"bucket-{{i}}", tags=tags)
    elif kind == 3:
        aws.cloudwatch.LogGroup(f"logs-{{i}}", retention_in_days=90 if bad else 7, tags=tags)
    elif kind == 4:
        aws.rds.Instance(f"db-{{i}}", engine="postgres", instance_class="db.r5.2xlarge" if bad else "db.t4g.micro",
                         allocated_storage=20, username="app", manage_master_user_password=True, tags=tags)
    else:
        k8s.apps.v1.Deployment(f"app-{{i}}", metadata={{"labels": {{}} if bad else LABELS}}, spec={{
            "selector": {{"match_labels": {{"app": f"app-{{i}}"}}}},
            "template": {{"metadata": {{"labels": {{"app": f"app-{{i}}", **LABELS}}}},
                         "spec": {{"containers": [{{"name": "app", "image": "nginx:1.27", "resources": LIMITS}}]}}}}}})
'''


def write_project(count: int, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(textwrap.dedent("""\
        name: bench
        runtime: python
        config:
          aws:region: eu-west-1
    """))
    (directory / "Pulumi.dev.yaml").write_text("config: {}\n")
    (directory / "__main__.py").write_text(PROGRAM.format(count=count))
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("count", type=int)
    parser.add_argument("directory", type=Path)
    args = parser.parse_args()
    print(write_project(args.count, args.directory))


if __name__ == "__main__":
    main()
