"""finops-required-labels and finops-container-limits over the Analyzer protocol (stack: dev)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import UNKNOWN, Analyze, labels, mandatory
from finops_core.reading import ConfigError

DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def pod_spec(cpu: Any = "500m", memory: Any = "1Gi", **extra: Any) -> dict[str, Any]:
    limits = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    return {"containers": [{"name": "app", "image": "nginx", "resources": {"limits": limits}}], **extra}


def deployment(meta_labels: dict[str, str] | None = None, template_labels: dict[str, str] | None = None,
               spec: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": "api", "labels": labels() if meta_labels is None else meta_labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "api"}},
            "template": {"metadata": {"labels": {"app": "api", **(labels() if template_labels is None
                                                                  else template_labels)}},
                         "spec": spec or pod_spec()},
        },
    }


def test_labelled_deployment_within_caps_passes(analyze: Analyze) -> None:
    assert analyze(DEPLOYMENT, deployment()) == []


def test_unlabelled_deployment_is_a_mandatory_violation(analyze: Analyze) -> None:
    found = mandatory(analyze(DEPLOYMENT, deployment(meta_labels={}, template_labels={}), name="api"),
                      "finops-required-labels")
    assert len(found) == 2  # the object and its pod template
    assert "kubernetes:apps/v1:Deployment 'api' metadata.labels: required labels: found no project" in found[0].message
    assert "cost-center = one of engineering, research, operations" in found[0].message
    assert "spec.template.metadata.labels" in found[1].message


def test_label_values_are_checked_like_tags(analyze: Analyze) -> None:
    found = mandatory(analyze("kubernetes:core/v1:ConfigMap", {"metadata": {"labels": labels(Service="billing")}}))
    assert len(found) == 1 and "found service='billing'" in found[0].message


def test_cronjob_pod_template_labels(analyze: Analyze) -> None:
    cron = {"metadata": {"labels": labels()}, "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {
        "template": {"metadata": {"labels": {}}, "spec": pod_spec()}}}}}
    found = mandatory(analyze("kubernetes:batch/v1:CronJob", cron))
    assert len(found) == 1 and "spec.jobTemplate.spec.template.metadata.labels" in found[0].message


def test_container_limit_of_32_cpus_in_dev_is_a_violation(analyze: Analyze) -> None:
    found = mandatory(analyze(DEPLOYMENT, deployment(spec=pod_spec(cpu="32")), name="api"))
    assert [d.policy for d in found] == ["finops-container-limits"]
    assert "container app: dev container cpu limit: found limits.cpu=32 (32 CPU); allowed: at most 1" in \
        found[0].message


@pytest.mark.parametrize(("cpu", "memory", "expected"), [
    ("1500m", "1Gi", "limits.cpu=1500m"),
    ("1", "3Gi", "limits.memory=3Gi (3Gi)"),
    ("1", "2.5G", "limits.memory=2.5G"),
    (None, "1Gi", "found no limit (unbounded)"),
    ("lots", "1Gi", "limits.cpu='lots'"),
])
def test_container_caps_parse_quantities(analyze: Analyze, cpu: Any, memory: Any, expected: str) -> None:
    found = mandatory(analyze("kubernetes:core/v1:Pod", {"metadata": {"labels": labels()},
                                                          "spec": pod_spec(cpu=cpu, memory=memory)}))
    assert len(found) == 1 and expected in found[0].message


def test_init_containers_are_capped_too(analyze: Analyze) -> None:
    spec = pod_spec(initContainers=[{"name": "migrate", "resources": {"limits": {"cpu": "4", "memory": "1Gi"}}}])
    found = mandatory(analyze("kubernetes:batch/v1:Job", {"metadata": {"labels": labels()}, "spec": {
        "template": {"metadata": {"labels": labels()}, "spec": spec}}}))
    assert len(found) == 1 and "container migrate" in found[0].message


def test_prod_labelled_workload_in_the_dev_stack_does_not_escape_dev(analyze: Analyze) -> None:
    # Labelling a workload prod in the dev stack would judge it against prod's caps: refused.
    prod = labels(Environment="prod")
    found = mandatory(analyze(DEPLOYMENT, deployment(prod, prod, pod_spec(cpu="8", memory="32Gi"))))
    assert [d.policy for d in found] == ["finops-required-labels"]
    assert "found environment=prod in stack dev; allowed: environment=dev" in found[0].message


def test_unknown_labels_and_limits_are_advisory(analyze: Analyze) -> None:
    found = analyze(DEPLOYMENT, {"metadata": {"labels": UNKNOWN}, "spec": {"template": {
        "metadata": {"labels": labels()}, "spec": {"containers": [{"name": "a", "resources": {
            "limits": {"cpu": UNKNOWN, "memory": "1Gi"}}}]}}}})
    assert mandatory(found) == []
    assert {d.enforcement_level for d in found} == {"advisory"}


def test_a_label_value_kubernetes_refuses_is_a_violation_before_pulumi_up(analyze: Analyze) -> None:
    # rules.yaml's own Owner and Feature patterns end with a letter or digit, as label values must.
    found = analyze("kubernetes:core/v1:Namespace", {"metadata": {"labels": labels(Owner="jdoe.")}})
    assert any(d.policy == "finops-required-labels" and "owner='jdoe.'" in d.message for d in mandatory(found))
    found = analyze("kubernetes:core/v1:Namespace", {"metadata": {"labels": {**labels(), "feature": "sandbox-"}}})
    assert any("feature='sandbox-'" in d.message for d in mandatory(found))


def test_rules_whose_allowed_values_cannot_be_labels_are_refused(tmp_path: Path) -> None:
    from finops_core.rules.loader import DEFAULT_RULES_FILE, load_rules

    rules = tmp_path / "rules.yaml"
    rules.write_text(DEFAULT_RULES_FILE.read_text().replace("allowed: [engineering, research, operations]",
                                                            "allowed: [engineering, R&D, operations]"))
    with pytest.raises(ConfigError, match=r"tags\.CostCenter\.allowed: found 'R&D'; expected a value that can also be "
                                          r"the Kubernetes label 'cost-center'"):
        load_rules(rules)


def test_label_syntax_is_judged_even_where_an_organisations_rules_allow_more(pack: Any) -> None:
    pack.configure({"finops-required-labels": {"tags": {"Owner": {"pattern": "^.+$"}}}})
    try:
        found = pack.analyze("kubernetes:core/v1:Namespace", "ns", {"metadata": {"labels": labels(Owner="jdoe.")}})
    finally:
        pack.configure({})
    [syntax] = [d for d in found if d.mandatory and "label owner syntax" in d.message]
    assert "found owner='jdoe.'" in syntax.message and "starting and ending with a letter or digit" in syntax.message
