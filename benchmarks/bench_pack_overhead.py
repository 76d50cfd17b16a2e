#!/usr/bin/env python3
"""Pack overhead: the same resources over the Analyzer protocol to our pack and to a no-op pack.

    .venv/bin/python benchmarks/bench_pack_overhead.py --resources 5000 --repeat 3

Both packs run as the engine runs them (``python -m pulumi.policy`` in the pack directory) and
get the same Analyze requests, each with its provider; the time is that of all Analyze calls
(client and pack). After a warm-up, each round sends every resource to both packs, switching
between them every 250 requests; ``overhead N.NNx`` is the median of the per-round ratios.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "preview"))

from finops_preview.analyzer import PolicyPackProcess, ProviderRef  # noqa: E402

TAGS = {"Project": "ai-agent-security-platform", "Environment": "dev", "Team": "backend", "Service": "ssa",
        "Owner": "bench", "CostCenter": "engineering", "Phase": "mvp"}
LABELS = {"project": "ai-agent-security-platform", "environment": "dev", "team": "backend", "service": "ssa",
          "owner": "bench", "cost-center": "engineering", "phase": "mvp"}


def resources(count: int) -> list[tuple[str, dict[str, Any]]]:
    """Mixed, realistic inputs; every tenth breaks a rule so the pack also writes messages."""
    out: list[tuple[str, dict[str, Any]]] = []
    for i in range(count):
        bad = i % 10 == 9
        tags = {} if bad else TAGS
        kind = i % 8
        if kind == 0:
            out.append(("aws:ec2/instance:Instance", {"ami": "ami-0123456789abcdef0", "instanceType": "m5.4xlarge"
                        if bad else "t4g.small", "rootBlockDevice": {"volumeSize": 20, "volumeType": "gp3"},
                        "subnetId": "subnet-1", "vpcSecurityGroupIds": ["sg-1"], "tags": tags}))
        elif kind == 1:
            out.append(("aws:s3/bucket:Bucket", {"bucket": f"bucket-{i}", "forceDestroy": False, "tags": tags}))
        elif kind == 2:
            out.append(("aws:rds/instance:Instance", {"engine": "postgres", "engineVersion": "16",
                        "instanceClass": "db.r5.2xlarge" if bad else "db.t4g.micro", "allocatedStorage": 20,
                        "storageType": "gp3", "multiAz": False, "username": "app", "tags": tags}))
        elif kind == 3:
            out.append(("aws:cloudwatch/logGroup:LogGroup", {"name": f"/app/{i}", "retentionInDays": 90 if bad else 7,
                                                             "tags": tags}))
        elif kind == 4:
            out.append(("aws:ebs/volume:Volume", {"availabilityZone": "eu-west-1a", "size": 500 if bad else 50,
                                                  "type": "gp3", "tags": tags}))
        elif kind == 5:
            out.append(("aws:iam/role:Role", {"assumeRolePolicy": '{"Version": "2012-10-17", "Statement": []}',
                                              "tags": tags}))
        elif kind == 6:
            out.append(("aws:eks/nodeGroup:NodeGroup", {"clusterName": "c", "nodeRoleArn": "arn:aws:iam::1:role/n",
                        "subnetIds": ["subnet-1"], "instanceTypes": ["t4g.medium"], "diskSize": 20,
                        "scalingConfig": {"minSize": 1, "desiredSize": 1, "maxSize": 5 if bad else 3}, "tags": tags}))
        else:
            labels = {} if bad else LABELS
            out.append(("kubernetes:apps/v1:Deployment", {"metadata": {"name": f"app-{i}", "labels": labels}, "spec": {
                "replicas": 2, "selector": {"matchLabels": {"app": f"app-{i}"}},
                "template": {"metadata": {"labels": {"app": f"app-{i}", **LABELS}}, "spec": {"containers": [{
                    "name": "app", "image": "nginx:1.27", "ports": [{"containerPort": 80}],
                    "resources": {"limits": {"cpu": "500m", "memory": "512Mi"},
                                  "requests": {"cpu": "100m", "memory": "128Mi"}}}]}}}}))
    return out


CHUNK = 250  # requests sent to one pack before switching to the other


def _send(pack: PolicyPackProcess, batch: list[tuple[str, dict[str, Any]]], provider: ProviderRef,
          offset: int) -> tuple[float, int]:
    start = time.perf_counter()
    diagnostics = 0
    for index, (resource_type, props) in enumerate(batch, offset):
        diagnostics += len(pack.analyze(resource_type, f"r{index}", props, provider=provider))
    return time.perf_counter() - start, diagnostics


def _round(noop: PolicyPackProcess, ours: PolicyPackProcess, batch: list[tuple[str, dict[str, Any]]],
           provider: ProviderRef) -> tuple[float, float, int]:
    """All of ``batch`` to both packs, switching between them every CHUNK requests (and which goes
    first), so that a change in the machine's speed during the round hits both alike."""
    noop_time = our_time = 0.0
    found = 0
    for number, offset in enumerate(range(0, len(batch), CHUNK)):
        chunk = batch[offset:offset + CHUNK]
        order = (noop, ours) if number % 2 == 0 else (ours, noop)
        for pack in order:
            elapsed, diagnostics = _send(pack, chunk, provider, offset)
            if pack is noop:
                noop_time += elapsed
            else:
                our_time += elapsed
                found += diagnostics
    return noop_time, our_time, found


def compare(batch: list[tuple[str, dict[str, Any]]], repeat: int) -> tuple[list[float], list[float], int]:
    provider = ProviderRef("pulumi:providers:aws", "default", "urn:pulumi:dev::bench::pulumi:providers:aws::default",
                           {"region": "eu-west-1"})
    with PolicyPackProcess(ROOT / "benchmarks" / "noop_pack", stack="dev", project="bench") as noop, \
            PolicyPackProcess(ROOT / "policy_pack", stack="dev", project="bench") as ours:
        for pack in (noop, ours):
            pack.handshake()
        _round(noop, ours, batch[:500], provider)  # warm-up: imports, caches, connections
        noop_times, our_times, found = [], [], 0
        for _ in range(repeat):
            noop_time, our_time, found = _round(noop, ours, batch, provider)
            noop_times.append(noop_time)
            our_times.append(our_time)
    return noop_times, our_times, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    batch = resources(args.resources)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    noop_times, our_times, found = compare(batch, args.repeat)
    noop, ours = statistics.median(noop_times), statistics.median(our_times)
    each = len(batch) / 1000
    ratios = sorted(o / n for o, n in zip(our_times, noop_times, strict=True))
    print(f"no-op pack (1 policy):   {noop:7.2f} s for {len(batch)} Analyze calls ({noop / each:.2f} ms each)")
    print(f"finops-guardrails pack:  {ours:7.2f} s for {len(batch)} Analyze calls ({ours / each:.2f} ms each), "
          f"{found} diagnostics")
    print(f"per-round ratios: {', '.join(f'{r:.2f}' for r in ratios)}")
    print(f"overhead {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
