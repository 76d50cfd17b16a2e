"""Secrets are tracked by structure: a value marked secret, of any type, never reaches a report
(whole, truncated, in repr form or as a number), and masking one value never blanks another."""

from __future__ import annotations

import textwrap

import pytest
from conftest import PACK_DIR
from finops_preview.formats import RENDERERS, render
from finops_preview.model import PreviewResult
from finops_preview.preview import PreviewOptions, run_preview

pytestmark = pytest.mark.usefixtures("program_replay")  # program runs replayed per program key (conftest)

LONG_SECRET = "team\\with\\backslashes-" + "k" * 70          # longer than any quote, and with backslashes
SECRET_NUMBER = 7777
PROGRAM = f'''
    import pulumi, pulumi_aws as aws
    import finops_components as finops

    finops.enforce(service="ssa", team="devops")
    aws.s3.Bucket("owned", tags={{"Owner": pulumi.Output.secret("jdoe")}})
    aws.ec2.Instance("web", ami="ami-0123456789abcdef0", instance_type="t3.micro",
                     tags={{"Team": pulumi.Output.secret({LONG_SECRET!r})}})
    aws.ebs.Volume("data", availability_zone="us-east-1a", type="gp3", size=pulumi.Output.secret({SECRET_NUMBER}))
'''


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> PreviewResult:
    directory = tmp_path_factory.mktemp("secrets")
    (directory / "Pulumi.yaml").write_text("name: ai-agent-security-platform\nruntime: python\n")
    (directory / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  ai-agent-security-platform:owner: jdoe\n")
    (directory / "__main__.py").write_text(textwrap.dedent(PROGRAM))
    return run_preview(PreviewOptions(cwd=directory, stack="dev", policy_packs=[PACK_DIR]))


def test_the_violations_about_secret_values_are_still_reported(result: PreviewResult) -> None:
    policies = {(v.policy, v.resource) for v in result.mandatory}
    assert ("finops-ebs-volume-size", "aws:ebs/volume:Volume 'data'") in policies
    assert ("finops-required-tags", "aws:ec2/instance:Instance 'web'") in policies


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_no_form_of_a_secret_reaches_any_format(result: PreviewResult, fmt: str) -> None:
    text = render(result, fmt)
    for leaked in (LONG_SECRET, LONG_SECRET[:20], repr(LONG_SECRET)[1:21], LONG_SECRET.replace("\\", "\\\\")[:20],
                   "kkkkkkkkkk"):
        assert leaked not in text, (fmt, leaked)
    assert str(SECRET_NUMBER) not in text


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_a_secret_never_blanks_other_values(result: PreviewResult, fmt: str) -> None:
    text = render(result, fmt)
    assert "[secret]ops" not in text
    assert "devops" in text  # the team of the resources, next to a secret Owner


def test_one_secret_tag_keeps_the_others_readable(result: PreviewResult) -> None:
    owned = next(r for r in result.resources if r.name == "owned")
    assert owned.inputs["tags"]["Owner"] == "[secret]"
    assert owned.inputs["tags"]["Team"] == "devops" and owned.team == "devops"
    data = next(r for r in result.resources if r.name == "data")
    assert data.inputs["size"] == "[secret]"
