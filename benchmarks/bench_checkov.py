#!/usr/bin/env python3
"""Against Checkov: the same resources as a Terraform plan (Checkov) and a Pulumi program (ours).

    /path/to/checkov-venv/bin/pip install checkov       # Checkov lives in its own virtualenv
    .venv/bin/python benchmarks/bench_checkov.py --checkov /path/to/checkov-venv/bin/checkov --count 1000

Both describe generate_program.py's mix (EC2, EBS, S3, CloudWatch Logs, RDS, Kubernetes
Deployments; every tenth resource oversized or untagged/unlabelled for the dev environment).
Prints the wall time of each tool and which of the planted bad resources each one flags.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from generate_program import write_project

ROOT = Path(__file__).resolve().parents[1]
TAGS = {"Project": "ai-agent-security-platform", "Environment": "dev", "Team": "backend", "Service": "ssa",
        "Owner": "bench", "CostCenter": "engineering", "Phase": "mvp"}
LABELS = {"project": "ai-agent-security-platform", "environment": "dev", "team": "backend", "service": "ssa",
          "owner": "bench", "cost-center": "engineering", "phase": "mvp"}
# What each bad resource breaks, by kind (the same as generate_program.py's program).
BAD = {0: "untagged + oversized EC2 instance (m5.4xlarge in dev)", 1: "untagged + oversized EBS volume (500 GiB)",
       2: "untagged S3 bucket", 3: "untagged + log retention 90 days (dev: 14)",
       4: "untagged + oversized RDS class (db.r5.2xlarge)", 5: "unlabelled Kubernetes Deployment"}
NAMES = {0: ("aws_instance", "vm"), 1: ("aws_ebs_volume", "vol"), 2: ("aws_s3_bucket", "bucket"),
         3: ("aws_cloudwatch_log_group", "logs"), 4: ("aws_db_instance", "db"), 5: ("kubernetes_deployment", "app")}


def terraform_values(kind: int, index: int, bad: bool) -> dict[str, Any]:
    tags = {} if bad else TAGS
    if kind == 0:
        return {"ami": "ami-0123456789abcdef0", "instance_type": "m5.4xlarge" if bad else "t3.small", "tags": tags,
                "root_block_device": [{"volume_size": 20, "volume_type": "gp3"}]}
    if kind == 1:
        return {"availability_zone": "eu-west-1a", "size": 500 if bad else 50, "type": "gp3", "tags": tags}
    if kind == 2:
        return {"bucket": f"bucket-{index}", "tags": tags}
    if kind == 3:
        return {"name": f"logs-{index}", "retention_in_days": 90 if bad else 7, "tags": tags}
    if kind == 4:
        return {"engine": "postgres", "instance_class": "db.r5.2xlarge" if bad else "db.t4g.micro",
                "allocated_storage": 20, "username": "app", "manage_master_user_password": True, "tags": tags}
    return {"metadata": [{"name": f"app-{index}", "labels": {} if bad else LABELS}], "spec": [{
        "selector": [{"match_labels": {"app": f"app-{index}"}}],
        "template": [{"metadata": [{"labels": {"app": f"app-{index}", **LABELS}}], "spec": [{"container": [{
            "name": "app", "image": "nginx:1.27",
            "resources": [{"limits": {"cpu": "500m", "memory": "512Mi"}}]}]}]}]}]}


def terraform_plan(count: int) -> dict[str, Any]:
    resources, changes = [], []
    for index in range(count):
        kind, bad = index % 6, (index // 6) % 10 == 9
        resource_type, prefix = NAMES[kind]
        values = terraform_values(kind, index, bad)
        address = f"{resource_type}.{prefix}_{index}"
        provider = "registry.terraform.io/hashicorp/" + ("kubernetes" if kind == 5 else "aws")
        resources.append({"address": address, "mode": "managed", "type": resource_type, "name": f"{prefix}_{index}",
                          "provider_name": provider, "schema_version": 0, "values": values})
        changes.append({"address": address, "mode": "managed", "type": resource_type, "name": f"{prefix}_{index}",
                        "provider_name": provider, "change": {"actions": ["create"], "before": None, "after": values}})
    return {"format_version": "1.2", "terraform_version": "1.9.8",
            "planned_values": {"root_module": {"resources": resources}}, "resource_changes": changes,
            "configuration": {"root_module": {}}}


def run_checkov(checkov: str, plan: Path) -> tuple[float, dict[int, set[str]]]:
    start = time.perf_counter()
    completed = subprocess.run([checkov, "-f", str(plan), "--framework", "terraform_plan", "-o", "json", "--quiet",
                                "--compact"], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    report = json.loads(completed.stdout)
    reports = report if isinstance(report, list) else [report]
    flagged: dict[int, set[str]] = defaultdict(set)
    for item in reports:
        for failed in item.get("results", {}).get("failed_checks", []):
            match = re.search(r"_(\d+)$", failed.get("resource", ""))
            if match:
                flagged[int(match.group(1))].add(f"{failed['check_id']} {failed.get('check_name', '')}")
    return elapsed, flagged


def run_ours(count: int, directory: Path) -> tuple[float, dict[int, set[str]]]:
    project = write_project(count, directory)
    start = time.perf_counter()
    completed = subprocess.run([sys.executable, "-m", "finops_preview", "preview", "-s", "dev", "-C", str(project),
                                "--policy-pack", str(ROOT / "policy_pack"), "--json"], capture_output=True, text=True,
                               check=False, cwd=ROOT)
    elapsed = time.perf_counter() - start
    flagged: dict[int, set[str]] = defaultdict(set)
    for violation in json.loads(completed.stdout)["violations"]:
        match = re.search(r"-(\d+)$", violation["urn"])
        if match and violation["enforcementLevel"] == "mandatory":
            flagged[int(match.group(1))].add(violation["policy"])
    return elapsed, flagged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkov", required=True, help="the checkov executable")
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    version = subprocess.run([args.checkov, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / "plan.json"
        plan.write_text(json.dumps(terraform_plan(args.count)))
        checkov_s, checkov_found = run_checkov(args.checkov, plan)
        ours_s, ours_found = run_ours(args.count, Path(tmp) / "pulumi")
    print(f"{args.count} resources: checkov {version} {checkov_s:.2f} s; finops preview {ours_s:.2f} s; "
          f"time ratio (checkov / finops) {checkov_s / ours_s:.2f}")
    print()
    print("| planted problem | resources | finops preview flags them | Checkov fails a check on them | "
          "Checkov checks that failed there (ids) |")
    print("|---|---|---|---|---|")
    for kind, problem in BAD.items():
        bad = [i for i in range(args.count) if i % 6 == kind and (i // 6) % 10 == 9]
        ours = sum(1 for i in bad if ours_found.get(i))
        theirs = sum(1 for i in bad if checkov_found.get(i))
        ids = sorted({c.split()[0] for i in bad for c in checkov_found.get(i, set())})
        print(f"| {problem} | {len(bad)} | {ours} | {theirs} | {', '.join(ids) or 'none'} |")
    good = [i for i in range(args.count) if (i // 6) % 10 != 9]
    ids = sorted({c.split()[0] for i in good for c in checkov_found.get(i, set())})
    print(f"| nothing planted | {len(good)} | {sum(1 for i in good if ours_found.get(i))} | "
          f"{sum(1 for i in good if checkov_found.get(i))} | {', '.join(ids)} |")


if __name__ == "__main__":
    main()
