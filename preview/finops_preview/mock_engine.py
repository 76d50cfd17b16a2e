"""Run a Pulumi program under Pulumi's own mocks and record every resource it registers.

Mocks stand in for the engine and the providers: each resource gets a plausible id and the
outputs programs commonly read (arn, name, endpoint ...); every invoke is answered with a
value of the shape of the SDK's own result type (so ``aws.route53.get_zone(...).zone_id`` is
a string, ``get_subnets().ids[0]`` exists); resource references pass through as the engine
passes them; and each resource's source position (which the SDK sends with the registration)
is recorded.

Run in a child process: the Pulumi runtime keeps global state, and a program may do anything
at import time. The child reads its request as JSON on stdin and writes its result on a file
descriptor of its own (``result_fd``), never on stdout: the program's own ``print()`` goes to
stdout, which the runner shows to the user. The result is JSON lines: one ``{"resource": ...}``
per registration as it happens (so the runner can have each judged while the program still
runs, as the engine does), then one ``{"end": true}`` or ``{"end": true, "error": ...}``.
This module imports nothing of this library, so it also runs under a program's own virtualenv
(``runtime.options.virtualenv``), loaded by path.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import runpy
import sys
import textwrap
import traceback
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ACCOUNT_ID = "123456789012"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
_SIG = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_PLACEHOLDER_DEPTH = 6


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
    source_file: str = ""       # the program file that declared it, relative to the project directory
    source_line: int = 0        # 0: unknown
    packaged: str = ""          # a packaged component's children: "expanded" or "not expanded" offline


# Per resource type, outputs a real provider returns that programs commonly read, beyond the
# inputs, name, arn and id every resource gets. In the strings, {name} is the resource's name,
# {physical} its physical name and {region} the provider's region.
PLAUSIBLE_OUTPUTS: Mapping[str, Mapping[str, Any]] = {
    "aws:eks/cluster:Cluster": {"endpoint": "https://{name}.eks.{region}.amazonaws.com",
                                "certificateAuthority": {"data": "bW9jaw=="}},
    "aws:rds/instance:Instance": {"endpoint": "{name}.mock.{region}.rds.amazonaws.com:5432",
                                  "identifier": "{physical}"},
    "aws:elasticache/replicationGroup:ReplicationGroup": {"primaryEndpointAddress": "{name}.mock.cache.amazonaws.com"},
    "aws:eks/nodeGroup:NodeGroup": {"nodeGroupName": "{name}-mock"},
    "aws:s3/bucket:Bucket": {"bucket": "{name}-mock"},
    # ARNs in the format IAM documents name them (policies that scope to them are linted).
    "aws:cloudwatch/logGroup:LogGroup": {"arn": "arn:aws:logs:{region}:{account}:log-group:{physical}"},
    "aws:lambda/function:Function": {"arn": "arn:aws:lambda:{region}:{account}:function:{physical}"},
    "aws:iam/policy:Policy": {"arn": "arn:aws:iam::{account}:policy/{physical}"},
    "aws:kms/key:Key": {"arn": "arn:aws:kms:{region}:{account}:key/{name}-mock-key-id", "keyId": "{name}-mock-key-id"},
    "aws:iam/role:Role": {"arn": "arn:aws:iam::{account}:role/{physical}"},
    "aws:organizations/policy:Policy": {"id": "p-mock0001",
                                        "arn": "arn:aws:organizations::{account}:policy/o-mock/"
                                               "service_control_policy/p-mock0001"},
    "aws:ec2/instance:Instance": {"publicIp": "203.0.113.10",
                                  "publicDns": "ec2-203-0-113-10.{region}.compute.amazonaws.com",
                                  "privateIp": "10.0.0.10"},
}


def _filled(template: Any, values: Mapping[str, str]) -> Any:
    if isinstance(template, str):
        return template.format_map(values)
    if isinstance(template, Mapping):
        return {key: _filled(item, values) for key, item in template.items()}
    return template


def plausible_outputs(resource_type: str, name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    """Outputs a real provider would return that programs commonly read."""
    service = resource_type.split(":")[1].split("/")[0] if ":" in resource_type else "x"
    outputs: dict[str, Any] = dict(inputs)
    physical = str(inputs.get("name") or f"{name}-mock")
    outputs.setdefault("name", physical)
    values = {"name": name, "physical": physical, "region": region, "account": ACCOUNT_ID}
    for key, template in PLAUSIBLE_OUTPUTS.get(resource_type, {}).items():
        outputs.setdefault(key, _filled(template, values))
    outputs.setdefault("arn", f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{name}")
    outputs.setdefault("id", f"{name}-id")
    if resource_type.startswith("kubernetes:"):
        metadata = dict(outputs.get("metadata") or {})
        metadata.setdefault("name", name)
        outputs["metadata"] = metadata
    return outputs


def known_invoke(token: str, region: str) -> dict[str, Any]:
    """Answers for the invokes whose values matter to programs (account, region, zones)."""
    answers: dict[str, dict[str, Any]] = {
        "aws:index/getCallerIdentity:getCallerIdentity": {
            "accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/preview", "userId": "AIDAMOCK",
            "id": ACCOUNT_ID},
        "aws:index/getRegion:getRegion": {"name": region, "region": region, "id": region},
        "aws:index/getPartition:getPartition": {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"},
        "aws:ec2/getVpc:getVpc": {"id": "vpc-mock", "cidrBlock": "10.0.0.0/16"},
        "aws:ec2/getSubnets:getSubnets": {"ids": ["subnet-mock-a", "subnet-mock-b"], "id": "subnets"},
        "aws:ec2/getSubnetIds:getSubnetIds": {"ids": ["subnet-mock-a", "subnet-mock-b"], "id": "subnets"},
        "aws:ec2/getInstances:getInstances": {"ids": [], "privateIps": [], "publicIps": [], "id": "instances"},
        "aws:index/getAvailabilityZones:getAvailabilityZones": {
            "names": [f"{region}a", f"{region}b", f"{region}c"], "zoneIds": ["use1-az1", "use1-az2", "use1-az3"],
            "id": region},
        "aws:ec2/getAmi:getAmi": {"id": "ami-0123456789abcdef0", "imageId": "ami-0123456789abcdef0",
                                  "architecture": "x86_64"},
    }
    return answers.get(token, {})


def plausible_invoke(token: str, args: Mapping[str, Any], region: str, result_type: type | None = None
                     ) -> dict[str, Any]:
    """Every field of the SDK's result type, with a placeholder of its type, and known answers on top."""
    answer = placeholder_of_type(result_type, token_name(token)) if result_type is not None else {}
    if not isinstance(answer, dict):
        answer = {}
    answer.update(known_invoke(token, region))
    return answer


def token_name(token: str) -> str:
    return token.rsplit(":", 1)[-1] or "invoke"


def placeholder_of_type(typ: Any, name: str, depth: int = 0) -> Any:
    """A value of type ``typ`` (an SDK output type, a builtin, a list or map of them)."""
    if depth > _PLACEHOLDER_DEPTH:
        return None
    origin = typing.get_origin(typ)
    if origin is typing.Union:
        options = [t for t in typing.get_args(typ) if t is not type(None)]
        return placeholder_of_type(options[0], name, depth + 1) if options else None
    if origin in (list, Sequence, tuple, set, frozenset) or typ in (list, tuple):
        args = typing.get_args(typ)
        item = placeholder_of_type(args[0], name, depth + 1) if args else f"{name}-mock"
        return [] if item is None else [item]
    if origin in (dict, Mapping) or typ is dict:
        return {}
    if typ is str:
        return _string_placeholder(name)
    if typ is bool:
        return False
    if typ in (int, float):
        return 0
    fields = _output_type_fields(typ)
    if fields is not None:
        return {key: placeholder_of_type(sub, key, depth + 1) for key, sub in fields.items()}
    return None


def _string_placeholder(name: str) -> str:
    kebab = re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
    if kebab == "arn" or kebab.endswith("-arn"):
        return f"arn:aws:mock:us-east-1:{ACCOUNT_ID}:{kebab}"
    if kebab == "json" or kebab.endswith(("-json", "policy", "document")):
        return "{}"  # programs parse these (aws.iam.get_policy_document(...).json)
    return f"{kebab}-mock"


def _output_type_fields(typ: Any) -> dict[str, Any] | None:
    try:
        from pulumi import _types
    except ImportError:  # pragma: no cover - pulumi is always there in a program's environment
        return None
    if not isinstance(typ, type) or not _types.is_output_type(typ):
        return None
    try:
        return dict(_types.output_type_types(typ))
    except Exception:  # an SDK type whose hints cannot be resolved: no fields rather than a crash
        return {}


_RESULT_TYPES: dict[str, type] = {}


def _remember_result_types() -> None:
    """Record, per invoke token, the result type the SDK asks for (the generated ``get_*``
    functions pass ``typ=Get...Result``), so the mock can answer with its shape."""
    import importlib

    invoke_module: Any = importlib.import_module("pulumi.runtime.invoke")
    original = invoke_module._invoke
    if getattr(original, "_finops_wrapped", False):
        return

    def remembering(tok: str, props: Any, opts: Any, typ: type | None, *args: Any, **kwargs: Any) -> Any:
        if typ is not None:
            _RESULT_TYPES[tok] = typ
        return original(tok, props, opts, typ, *args, **kwargs)

    remembering._finops_wrapped = True  # type: ignore[attr-defined]
    invoke_module._invoke = remembering


def from_wire(value: Any) -> Any:
    """A protobuf Value/Struct as the mocks see it: secrets stay wrapped (the SDK's envelope),
    a resource reference becomes what an engine without references sends: the id of a custom
    resource, the URN of a component (no resource is re-created on the monitor's thread)."""
    if hasattr(value, "fields"):  # a Struct (the properties themselves)
        return {key: from_wire(item) for key, item in value.fields.items()}
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        fields = {key: from_wire(item) for key, item in value.struct_value.fields.items()}
        if fields.get(_SIG) == _RESOURCE_SIG:
            return fields.get("id") or fields.get("urn", "")
        return fields
    if kind == "list_value":
        return [from_wire(item) for item in value.list_value.values]
    if kind in (None, "null_value"):
        return None
    return getattr(value, kind)


def source_of(request: Any, project_dir: str) -> tuple[str, int]:
    """The program line that declared a resource: the innermost frame of the SDK's stack trace
    that lies in the project directory (a component's children point at the component's
    caller), else the SDK's own source position."""
    root = Path(project_dir).resolve()
    frames = [frame.pc for frame in getattr(getattr(request, "stackTrace", None), "frames", [])]
    position = getattr(request, "sourcePosition", None)
    candidates = [*frames, position] if position is not None else frames
    for pc in candidates:
        uri = getattr(pc, "uri", "")
        if not uri.startswith("file://"):
            continue
        try:
            path = Path(_uri_path(uri)).resolve()
            relative = path.relative_to(root)
        except (ValueError, OSError):
            continue
        if "site-packages" in relative.parts or relative.parts[:1] in ((".venv",), ("venv",)):
            continue
        return relative.as_posix(), int(pc.line)
    return "", 0


def _sibling(module: str) -> Any:
    """A module beside this file (this file may itself be loaded by path, under a program's own
    virtualenv, where this library's packages cannot be imported)."""
    return load_file(f"_finops_{module}", Path(__file__).with_name(f"{module}.py"))


def load_file(name: str, path: str | Path) -> Any:
    """The Python module at ``path``, loaded once under ``name``."""
    import importlib.util

    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(path))
        assert spec is not None and spec.loader is not None
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[name] = loaded
        spec.loader.exec_module(loaded)
    return sys.modules[name]


def _uri_path(uri: str) -> str:
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(uri).path)


class MockSession:
    """Pulumi's mocks installed for one stack, recording every resource registered."""

    def __init__(self, project: str, stack: str, config: Mapping[str, str] | None = None,
                 secret_keys: Sequence[str] = (), preview: bool = True, project_dir: str = ".",
                 on_record: Callable[[RecordedResource], None] | None = None,
                 packaged: Mapping[str, Any] | None = None) -> None:
        import pulumi
        from pulumi.runtime import mocks as pulumi_mocks
        from pulumi.runtime import rpc
        from pulumi.runtime.proto import resource_pb2
        from pulumi.runtime.sync_await import _sync_await

        _remember_result_types()
        config = dict(config or {})
        region = config.get("aws:region", "us-east-1")
        recorded: list[RecordedResource] = []
        self.resources = recorded
        transforms = _sibling("engine_callbacks").TransformCallbacks()
        self._transforms = transforms
        expander_module = _sibling("packaged_children")
        expander = None if not packaged else expander_module.PackagedComponents(
            packaged["table"], load_file("_finops_component_expansion", packaged["expander"]), region,
            [f"{region}{zone}" for zone in "abcdef"])

        class Mocks(pulumi.runtime.Mocks):
            def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
                if not args.custom:
                    return None, {}
                return f"{args.name}-id", plausible_outputs(args.typ, args.name, args.inputs, region)

            def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
                return plausible_invoke(args.token, args.args, region, _RESULT_TYPES.get(args.token)), []

        class RecordingMonitor(pulumi_mocks.MockMonitor):
            def RegisterResource(self, request: Any) -> Any:
                urn = self.make_urn(request.parent, request.type, request.name)
                if request.type == "pulumi:pulumi:Stack":
                    return resource_pb2.RegisterResourceResponse(urn=urn)
                source = source_of(request, project_dir)
                # A packaged component: its provider would create the children now.
                known = request.remote and expander is not None and expander.knows(request.type)
                packaged = "" if not request.remote else "expanded" if known else "not expanded"
                resource_id, state = self._register(
                    urn, request.type, request.name, request.parent, bool(request.custom), request.object,
                    request.transforms, request.provider, list(request.dependencies), source, request.importId,
                    packaged)
                if known:
                    state = self._expand(urn, request.type, request.name, source)
                obj_proto = _sync_await(rpc.serialize_properties(state, {}))
                return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id or "", object=obj_proto)

            def _register(self, urn: str, type_: str, name: str, parent: str, custom: bool, properties: Any,
                          own_transforms: Any, provider: str, dependencies: list[str], source: tuple[str, int],
                          import_id: str = "", packaged: str = "") -> tuple[str, dict[str, Any]]:
                # The engine runs transforms (Pulumi's plain mocks skip them), then registers.
                transforms.remember(urn, parent, own_transforms)
                inputs = from_wire(transforms.apply(type_, name, custom, parent, properties, own_transforms, provider))
                resource_id, state = self.mocks.new_resource(pulumi.runtime.MockResourceArgs(
                    typ=type_, name=name, inputs=inputs, provider=provider, resource_id=import_id, custom=custom))
                state = state or {}
                self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, resource_id or "", state)
                resource = RecordedResource(
                    type=type_, name=name, urn=urn, id=resource_id or "", custom=custom, inputs=_plain(inputs),
                    parent=parent, provider=provider, dependencies=dependencies, outputs=_plain(state),
                    source_file=source[0], source_line=source[1], packaged=packaged)
                recorded.append(resource)
                if on_record is not None:
                    on_record(resource)
                return resource_id or "", state

            def _expand(self, urn: str, type_: str, name: str, source: tuple[str, int]) -> dict[str, Any]:
                """Register a packaged component's children; its outputs."""
                component = next(r for r in reversed(recorded) if r.urn == urn)
                assert expander is not None
                outputs: dict[str, Any] = expander.register(
                    type_, name, urn, component.inputs,
                    lambda t, n, parent, custom, inputs, extra: self._child(t, n, parent, custom, inputs, extra,
                                                                           source)) or {}
                return outputs

            def _child(self, type_: str, name: str, parent: str, custom: bool, inputs: dict[str, Any],
                       extra: dict[str, Any], source: tuple[str, int]) -> Any:
                from google.protobuf import struct_pb2

                urn = self.make_urn(parent, type_, name)
                properties = struct_pb2.Struct()
                properties.update(inputs)
                resource_id, state = self._register(urn, type_, name, parent, custom, properties, [], "", [], source)
                state.update({k: v for k, v in extra.items() if k not in state})
                return expander_module.Registered(urn, resource_id, state, custom)

            def RegisterStackTransform(self, request: Any) -> Any:
                from google.protobuf import empty_pb2

                transforms.register_stack(request)
                return empty_pb2.Empty()

        mocks = Mocks()
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview,
                                 monitor=RecordingMonitor(mocks), logger=_program_log())
        pulumi.runtime.set_all_config(config, list(secret_keys))

    def run(self, program: Callable[[], object]) -> list[RecordedResource]:
        """Run ``program`` and wait for every registration, as the language host does."""
        from pulumi.runtime.settings import SETTINGS
        from pulumi.runtime.stack import run_pulumi_func
        from pulumi.runtime.sync_await import _sync_await

        def body() -> None:
            program()

        self._transforms.loop = asyncio.get_event_loop()  # where _sync_await runs the program

        try:
            _sync_await(run_pulumi_func(body))
        finally:
            SETTINGS.outputs.clear()
        return self.resources


def run(project_dir: str, main: str, project: str, stack: str, config: Mapping[str, str],
        secret_keys: list[str], on_record: Callable[[RecordedResource], None] | None = None,
        packaged: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Run the program file; returns {} or {"error": ..., "traceback": ...}. Each resource goes
    to ``on_record`` as it is registered."""
    session = MockSession(project, stack, config, secret_keys, project_dir=project_dir, on_record=on_record,
                          packaged=packaged)
    os.chdir(project_dir)
    sys.path.insert(0, project_dir)
    try:
        session.run(lambda: runpy.run_path(main, run_name="__main__"))
    except SystemExit as exc:
        return {"error": f"the program called sys.exit({exc.code!r})"}
    except KeyboardInterrupt as exc:  # raised by the program itself (a Ctrl-C of ours stops the runner)
        return {"error": _describe(exc, project_dir)}
    except Exception as exc:
        return {"error": _describe(exc, project_dir), "traceback": traceback.format_exc()}
    return {}


class ResultChannel:
    """JSON lines on the runner's own file descriptor; registrations arrive from worker threads."""

    def __init__(self, fd: int) -> None:
        import threading

        self._stream = os.fdopen(fd, "w", encoding="utf-8")
        self._lock = threading.Lock()

    def send(self, message: Mapping[str, Any]) -> None:
        line = json.dumps(message, default=str)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def resource(self, resource: RecordedResource) -> None:
        self.send({"resource": asdict(resource)})

    def close(self) -> None:
        with self._lock:
            self._stream.close()


class _WrappedLog(logging.Formatter):
    """A program's ``pulumi.log`` messages as the Pulumi CLI shows them: the severity first
    (``warning: ...``), and wrapped at 120 columns like the rest of the output (a component's
    warning can run to 400 characters)."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = "" if record.levelno == logging.INFO else f"{record.levelname.lower()}: "
        lines = (prefix + record.getMessage()).splitlines() or [""]
        return "\n".join(wrapped for line in lines for wrapped in textwrap.wrap(
            line, 120, subsequent_indent="    ", break_long_words=False, break_on_hyphens=False) or [""])


def _program_log() -> logging.Logger:
    logger = logging.getLogger("finops.program")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_WrappedLog())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    return logger


def _describe(exc: BaseException, project_dir: str) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    root = str(Path(project_dir).resolve())
    user = [f for f in frames if f.filename.startswith(root) and "site-packages" not in f.filename]
    location = f"{os.path.relpath(user[-1].filename, root)}:{user[-1].lineno}" if user else ""
    text = " ".join(str(exc).split())
    # A message that already starts at the line (the components' errors do) is not told it twice.
    where = f" ({location})" if location and not text.startswith(location) else ""
    return f"{type(exc).__name__}{': ' if text else ''}{text[:500]}{where}"  # room for a path and the allowed values


def _plain(value: Any) -> Any:
    """JSON-ready copy of properties (a secret keeps a marker per value, unknowns the sentinel)."""
    if isinstance(value, Mapping):
        if value.get(_SIG) == _SECRET_SIG:
            return {"__secret": _plain(value.get("value"))}
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if type(value).__name__ == "Unknown":
        return UNKNOWN
    return str(value)


def main() -> None:
    # A failing program leaves pending registrations; asyncio's "Future exception was never
    # retrieved" for each would bury the one line that says what failed.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    request = json.loads(sys.stdin.read())
    channel = ResultChannel(int(request.pop("result_fd")))
    try:
        import pulumi  # noqa: F401
    except ImportError:
        result: dict[str, Any] = {"error": f"the program's Python ({sys.executable}) has no pulumi package: "
                                           "install the program's requirements into its virtualenv"}
    else:
        try:
            result = run(**request, on_record=channel.resource)
        except Exception as exc:  # the mock engine itself failed: one line, as for the program
            result = {"error": f"the offline engine could not run it: {_describe(exc, request['project_dir'])}",
                      "traceback": traceback.format_exc()}
    channel.send({"end": True, **result})
    channel.close()
    sys.stdout.flush()
    sys.stderr.flush()
    # End here: the event loops the mocks open on worker threads would otherwise complain, at
    # interpreter shutdown, on the user's terminal.
    os._exit(0)


if __name__ in ("__main__", "finops_mock_engine"):
    main()
