"""A kind added as one row of the table (OpenSearch) works end to end in an ordinary program:
refused in dev, allowed and priced in prod."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import PACK_DIR, run_cli
from finops_core.kinds import kinds_table

PROGRAM = '''\
import pulumi_aws as aws

tags = {"Project": "ai-agent-security-platform", "Team": "backend", "Service": "ssa", "Owner": "jdoe",
        "CostCenter": "engineering", "Phase": "mvp"}
aws.opensearch.Domain("logs", engine_version="OpenSearch_2.13",
                      cluster_config={"instance_type": "r6g.4xlarge.search", "instance_count": 2},
                      ebs_options={"ebs_enabled": True, "volume_size": 100, "volume_type": "gp3"},
                      tags=tags)
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search")
    (root / "Pulumi.yaml").write_text("name: search\nruntime: python\n")
    for stack in ("dev", "prod"):
        (root / f"Pulumi.{stack}.yaml").write_text(
            "config:\n  aws:region: us-east-1\n  finops:coveredByBudget: platform-budget\n"
            f"  aws:defaultTags:\n    tags:\n      Environment: {stack}\n")
    (root / "__main__.py").write_text(PROGRAM)
    return root


def _preview(project: Path, stack: str) -> tuple[int, dict[str, object]]:
    completed = run_cli("preview", "-s", stack, "-C", str(project), "--policy-pack", str(PACK_DIR), "--json")
    return completed.returncode, json.loads(completed.stdout)


def test_an_opensearch_domain_is_refused_in_dev_and_priced_in_prod(project: Path) -> None:
    code, dev = _preview(project, "dev")
    mandatory = [v for v in dev["violations"] if v["enforcementLevel"] == "mandatory"]  # type: ignore[index,union-attr]
    assert code == 1 and [v["policy"] for v in mandatory] == ["finops-search-size"]
    assert "clusterConfig.instanceType=r6g.4xlarge.search (16 vCPU, 128 GiB" in mandatory[0]["message"]
    code, prod = _preview(project, "prod")
    assert code == 0, prod["violations"]
    [domain] = [r for r in prod["resources"] if r["type"] == "aws:opensearch/domain:Domain"]  # type: ignore[index,union-attr]
    assert domain["monthlyUsd"] > 1000  # two r6g.4xlarge.search data nodes and their volumes, a month


EVERY_KIND = Path(__file__).parent / "fixtures" / "every_kind"
# Beside the table's kinds, the program writes two Kubernetes objects that other policies judge.
KUBERNETES = {"kubernetes:core/v1:Pod": {"finops-container-limits"},
              "kubernetes:apps/v1:Deployment": {"finops-required-labels"}}


def test_every_kind_is_judged_in_an_ordinary_program() -> None:
    """The program registers the first oversizedInDev example of every row; each is refused by its policy."""
    code, report = _preview(EVERY_KIND, "dev")
    assert code == 1
    found: dict[str, set[str]] = {}
    for v in report["violations"]:  # type: ignore[union-attr]
        if v["enforcementLevel"] == "mandatory" and v["resource"] != "stack":
            found.setdefault(v["resource"].split(" '")[0], set()).add(v["policy"])
    expected = {t: {kind.examples.oversized_in_dev[0].policy}
                for t, kind in kinds_table().items() if kind.examples.oversized_in_dev}
    assert found == {**expected, **KUBERNETES}
