"""Run a Pulumi program under Pulumi's own mocks and record every resource it registers.

Mocks stand in for the engine and the providers: each resource gets a plausible id and the
outputs programs commonly read (arn, name, endpoint ...), invokes get plausible answers, and
the default providers the engine would create are recorded with their stack-config inputs.

Run in a child process (``python -m finops_preview.mock_engine``): the Pulumi runtime keeps
global state, and a program may do anything at import time.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

ACCOUNT_ID = "123456789012"


@dataclass
class RecordedResource:
    type: str
    name: str
    urn: str
    id: str
    custom: bool
    inputs: dict[str, Any]
    parent: str = ""
    provider: str = ""          # provider reference "urn::id", "" for the default provider
    dependencies: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)


def plausible_outputs(resource_type: str, name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    """Outputs a real provider would return that programs commonly read."""
    service = resource_type.split(":")[1].split("/")[0] if ":" in resource_type else "x"
    outputs: dict[str, Any] = dict(inputs)
    physical = str(inputs.get("name") or f"{name}-mock")
    outputs.setdefault("name", physical)
    outputs.setdefault("arn", f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{name}")
    outputs.setdefault("id", f"{name}-id")
    if resource_type == "aws:eks/cluster:Cluster":
        outputs.setdefault("endpoint", f"https://{name}.eks.{region}.amazonaws.com")
        outputs.setdefault("certificateAuthority", {"data": "bW9jaw=="})
    if resource_type == "aws:rds/instance:Instance":
        outputs.setdefault("endpoint", f"{name}.mock.{region}.rds.amazonaws.com:5432")
        outputs.setdefault("identifier", physical)
    if resource_type == "aws:elasticache/replicationGroup:ReplicationGroup":
        outputs.setdefault("primaryEndpointAddress", f"{name}.mock.cache.amazonaws.com")
    if resource_type == "aws:eks/nodeGroup:NodeGroup":
        outputs.setdefault("nodeGroupName", f"{name}-mock")
    if resource_type == "aws:s3/bucket:Bucket":
        outputs.setdefault("bucket", f"{name}-mock")
    if resource_type.startswith("kubernetes:"):
        metadata = dict(outputs.get("metadata") or {})
        metadata.setdefault("name", name)
        outputs["metadata"] = metadata
    return outputs


def plausible_invoke(token: str, args: Mapping[str, Any], region: str) -> dict[str, Any]:
    answers: dict[str, dict[str, Any]] = {
        "aws:index/getCallerIdentity:getCallerIdentity": {
            "accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/preview", "userId": "AIDAMOCK",
            "id": ACCOUNT_ID},
        "aws:index/getRegion:getRegion": {"name": region, "region": region, "id": region},
        "aws:index/getPartition:getPartition": {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"},
        "aws:ec2/getVpc:getVpc": {"id": "vpc-mock", "cidrBlock": "10.0.0.0/16"},
        "aws:ec2/getSubnets:getSubnets": {"ids": ["subnet-mock-a", "subnet-mock-b"], "id": "subnets"},
        "aws:ec2/getInstances:getInstances": {"ids": [], "privateIps": [], "publicIps": [], "id": "instances"},
        "aws:index/getAvailabilityZones:getAvailabilityZones": {
            "names": [f"{region}a", f"{region}b", f"{region}c"], "id": region},
    }
    return answers.get(token, {})


class MockSession:
    """Pulumi's mocks installed for one stack, recording every resource registered."""

    def __init__(self, project: str, stack: str, config: Mapping[str, str] | None = None,
                 secret_keys: Sequence[str] = (), preview: bool = True) -> None:
        import pulumi
        from pulumi.runtime import mocks as pulumi_mocks
        from pulumi.runtime import rpc

        config = dict(config or {})
        region = config.get("aws:region", "us-east-1")
        recorded: list[RecordedResource] = []
        self.resources = recorded

        class Mocks(pulumi.runtime.Mocks):
            def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
                if not args.custom:
                    return None, {}
                return f"{args.name}-id", plausible_outputs(args.typ, args.name, args.inputs, region)

            def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
                return plausible_invoke(args.token, args.args, region), []

        class RecordingMonitor(pulumi_mocks.MockMonitor):
            def RegisterResource(self, request: Any) -> Any:
                response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
                if request.type != "pulumi:pulumi:Stack":
                    inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
                    registration = self.resources.get(response.urn)
                    recorded.append(RecordedResource(
                        type=request.type, name=request.name, urn=response.urn, id=response.id,
                        custom=bool(request.custom), inputs=_plain(inputs), parent=request.parent,
                        provider=request.provider, dependencies=list(request.dependencies),
                        outputs=_plain(registration.state) if registration is not None else {},
                    ))
                return response

        mocks = Mocks()
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview,
                                 monitor=RecordingMonitor(mocks))
        pulumi.runtime.set_all_config(config, list(secret_keys))

    def run(self, program: Callable[[], object]) -> list[RecordedResource]:
        """Run ``program`` and wait for every registration, as the language host does."""
        from pulumi.runtime.settings import SETTINGS
        from pulumi.runtime.stack import run_pulumi_func
        from pulumi.runtime.sync_await import _sync_await

        def body() -> None:
            program()

        try:
            _sync_await(run_pulumi_func(body))
        finally:
            SETTINGS.outputs.clear()
        return self.resources


def run(project_dir: str, main: str, project: str, stack: str, config: Mapping[str, str],
        secret_keys: list[str]) -> dict[str, Any]:
    """Run the program file; returns {"resources": [...]} or {"error": ..., "traceback": ...}."""
    session = MockSession(project, stack, config, secret_keys)
    os.chdir(project_dir)
    sys.path.insert(0, project_dir)
    try:
        session.run(lambda: runpy.run_path(main, run_name="__main__"))
    except Exception as exc:
        return {"error": _describe(exc), "traceback": traceback.format_exc(),
                "resources": [asdict(r) for r in session.resources]}
    return {"resources": [asdict(r) for r in session.resources]}


def _describe(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    user = [f for f in frames if "site-packages" not in f.filename and "finops_preview" not in f.filename]
    where = f" ({os.path.basename(user[-1].filename)}:{user[-1].lineno})" if user else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _plain(value: Any) -> Any:
    """JSON-ready copy of deserialized properties (secrets keep a marker, unknowns a sentinel)."""
    from pulumi.runtime import rpc

    if isinstance(value, Mapping):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return {"__secret": _plain(value.get("value"))}
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if type(value).__name__ == "Unknown":
        return rpc.UNKNOWN
    return str(value)


def main() -> None:
    request = json.loads(sys.stdin.read())
    result = run(**request)
    sys.stdout.write(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
