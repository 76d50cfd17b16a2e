"""Network traffic limits (rules.yaml ``network``), judged at preview by finops-network-limits:
NAT gateways per stack, CloudFront price classes, and monthly egress from the usage file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PACK_DIR, mandatory, run_cli, tags
from finops_core.reading import ConfigError, YamlDoc, load_yaml
from finops_core.rules.loader import DEFAULT_RULES_FILE, parse_rules
from finops_preview.analyzer import PolicyPackProcess, StackResource

pytestmark = pytest.mark.usefixtures("program_replay")  # program runs replayed per program key (conftest)

POLICY = "finops-network-limits"
NAT = "aws:ec2/natGateway:NatGateway"
CDN = "aws:cloudfront/distribution:Distribution"


def _resource(resource_type: str, name: str, props: dict[str, Any], stack: str = "dev") -> StackResource:
    return StackResource(resource_type, name, f"urn:pulumi:{stack}::p::{resource_type}::{name}",
                         {**props, "tags": tags(Environment=stack)})


@pytest.fixture
def usage_file(tmp_path: Path) -> Path:
    path = tmp_path / "usage.yaml"
    path.write_text("resources:\n  egress-nat:\n    monthlyDataProcessedGb: 5000\n")
    return path


@pytest.fixture(scope="module")
def prod_pack() -> Iterator[PolicyPackProcess]:
    with PolicyPackProcess(PACK_DIR, stack="prod", project="ai-agent-security-platform") as process:
        process.handshake()
        yield process


def test_a_second_nat_gateway_is_refused_in_dev(pack: PolicyPackProcess) -> None:
    pack.configure({})
    gateways = [_resource(NAT, f"nat-{zone}", {"subnetId": f"subnet-{zone}"}) for zone in ("a", "b")]
    [finding] = mandatory(pack.analyze_stack(gateways), POLICY)
    assert ("stack: dev NAT gateways: found 2 NAT gateways (nat-a, nat-b); allowed: at most 1 in dev. "
            "Fix: share one NAT gateway") in finding.message
    assert mandatory(pack.analyze_stack(gateways[:1]), POLICY) == []


def test_cloudfront_price_class_all_is_refused_in_dev(pack: PolicyPackProcess) -> None:
    pack.configure({})
    everywhere = _resource(CDN, "cdn", {"priceClass": "PriceClass_All", "enabled": True})
    [finding] = mandatory(pack.analyze_stack([everywhere]), POLICY)
    assert finding.urn.endswith("::cdn")
    assert ("CloudFront price class in dev: found PriceClass_All; allowed: PriceClass_100. "
            'Fix: set priceClass="PriceClass_100"') in finding.message
    # The provider's default is PriceClass_All too.
    [default] = mandatory(pack.analyze_stack([_resource(CDN, "cdn", {"enabled": True})]), POLICY)
    assert "found no priceClass (AWS's default PriceClass_All)" in default.message
    assert mandatory(pack.analyze_stack([_resource(CDN, "cdn", {"priceClass": "PriceClass_100"})]), POLICY) == []


def test_egress_from_the_usage_file_is_refused_in_dev_and_accepted_in_prod(
        pack: PolicyPackProcess, prod_pack: PolicyPackProcess, usage_file: Path) -> None:
    config = {POLICY: {"usageFile": str(usage_file)}}
    pack.configure(config)
    try:
        [finding] = mandatory(pack.analyze_stack([_resource(NAT, "egress-nat", {})]), POLICY)
    finally:
        pack.configure({})
    assert ("stack: dev monthly egress: found 5,000 GB a month of data transfer out and NAT processing in "
            f"{usage_file} (egress-nat 5,000 GB); allowed: at most 100 GB a month in dev.") in finding.message
    prod_pack.configure(config)
    assert mandatory(prod_pack.analyze_stack([_resource(NAT, "egress-nat", {}, "prod")]), POLICY) == []
    # The limit comes from rules.yaml and policy config can move it, the Pulumi way.
    pack.configure({POLICY: {"usageFile": str(usage_file), "environments": {"dev": {"maxMonthlyEgressGb": 6000}}}})
    try:
        assert mandatory(pack.analyze_stack([_resource(NAT, "egress-nat", {})]), POLICY) == []
    finally:
        pack.configure({})


def test_finops_preview_passes_its_usage_file_to_the_egress_limit(tmp_path: Path, usage_file: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi_aws as aws\n"
        f"aws.ec2.NatGateway('egress-nat', subnet_id='subnet-1', tags={tags()!r})\n")
    completed = run_cli("preview", "-s", "dev", "-C", str(tmp_path), "--policy-pack", str(PACK_DIR),
                        "--usage-file", str(usage_file))
    assert completed.returncode == 1, completed.stderr
    assert "dev monthly egress: found 5,000 GB a month" in completed.stdout
    without = run_cli("preview", "-s", "dev", "-C", str(tmp_path), "--policy-pack", str(PACK_DIR))
    assert "monthly egress" not in without.stdout


def test_the_network_section_is_optional_with_documented_defaults() -> None:
    raw = dict(load_yaml(DEFAULT_RULES_FILE).data)
    environments = {name: {k: v for k, v in env.items() if k != "network"} for name, env in raw["environments"].items()}
    environments["qa"] = environments["dev"]
    rules = parse_rules(YamlDoc("old-rules.yaml", {**raw, "environments": environments}))
    dev, staging, prod, qa = (rules.environments[n].network for n in ("dev", "staging", "prod", "qa"))
    assert (dev.max_nat_gateways, dev.cloud_front_price_classes, dev.max_monthly_egress_gb) == (
        1, ("PriceClass_100",), 100)
    assert (staging.max_nat_gateways, staging.max_monthly_egress_gb) == (3, 2000)
    assert (prod.max_nat_gateways, prod.cloud_front_price_classes, prod.max_monthly_egress_gb) == (0, (), 0)
    assert qa.max_nat_gateways == 0   # an environment the defaults do not name has no limit
    bad = {**environments, "dev": {**environments["dev"], "network": {"cloudFrontPriceClasses": ["PriceClass_50"]}}}
    with pytest.raises(ConfigError, match=r"cloudFrontPriceClasses: found .*PriceClass_50.*; expected a list of "
                                          r"PriceClass_100, PriceClass_200, PriceClass_All"):
        parse_rules(YamlDoc("bad.yaml", {**raw, "environments": bad}))


def test_a_nat_gateways_elastic_ip_is_not_idle(pack: PolicyPackProcess) -> None:
    pack.configure({})
    address = _resource("aws:ec2/eip:Eip", "nat-ip", {"id": "eipalloc-1", "domain": "vpc"})
    gateway = _resource(NAT, "nat", {"allocationId": "eipalloc-1", "subnetId": "subnet-1"})
    idle = "finops-advice-idle-eip"
    assert [d for d in pack.analyze_stack([address, gateway]) if d.policy == idle] == []
    assert len([d for d in pack.analyze_stack([address]) if d.policy == idle]) == 1
