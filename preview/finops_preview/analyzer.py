"""Drive a CrossGuard policy pack exactly as the Pulumi engine does, over gRPC.

The real CLI (v3.259) starts ``python -u -m pulumi.policy <engine> <pack-dir>`` in the pack
directory with PULUMI_PROJECT/STACK/ORGANIZATION/DRY_RUN/CONFIG set, reads the port the pack
prints, then calls ConfigureStack (the same stack, config and tags), GetPluginInfo,
GetAnalyzerInfo and Configure, then per resource Remediate (whose new properties replace the
inputs) and Analyze, and AnalyzeStack once. :class:`PolicyPackProcess` does the same, so tests
and ``finops preview`` exercise the pack through its public protocol.
"""

from __future__ import annotations

import difflib
import json
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from finops_core.reading import load_json, probe, resolved
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from .child_environment import child_environment
from .child_lifetime import DIE_WITH_PARENT, child_env, child_options, kill_group

LEVELS = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY,
          "remediate": analyzer_pb2.REMEDIATE, "disabled": analyzer_pb2.DISABLED}
LEVEL_NAMES = {value: name for name, value in LEVELS.items()}
_START_TIMEOUT_S = 60.0
_PACK_BOOTSTRAP = DIE_WITH_PARENT + ("import runpy; "
                                     "runpy.run_module('pulumi.policy', run_name='__main__', alter_sys=True)")


class PolicyPackError(Exception):
    """The pack could not be started or configured (bad directory, bad config, crash).

    ``keys``: where in the policy pack config file the problem is (policy name, then keys), so
    the caller can name the file's line."""

    def __init__(self, message: str, keys: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.keys = keys


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    pack: str
    message: str
    enforcement_level: str
    urn: str = ""

    @property
    def mandatory(self) -> bool:
        return self.enforcement_level == "mandatory"


@dataclass(frozen=True)
class Remediation:
    """A policy at the ``remediate`` level rewrote a resource's inputs (properties), or could not
    run and says why (diagnostic, which the engine shows as an advisory violation)."""

    policy: str
    pack: str
    properties: dict[str, Any] | None
    diagnostic: str = ""


@dataclass
class ProviderRef:
    type: str
    name: str
    urn: str
    inputs: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class StackResource:
    type: str
    name: str
    urn: str
    properties: Mapping[str, Any]
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    provider: ProviderRef | None = None


def to_struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(_jsonable(values))
    return struct


def _jsonable(value: Any) -> Any:
    # Structs hold JSON only; tuples and other sequences become lists, keys strings.
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _diagnostics(response: analyzer_pb2.AnalyzeResponse) -> list[Diagnostic]:
    return [Diagnostic(d.policyName, d.policyPackName, d.message, LEVEL_NAMES.get(d.enforcementLevel, "advisory"),
                       d.urn) for d in response.diagnostics]


def _provider_message(provider: ProviderRef | None) -> analyzer_pb2.AnalyzerProviderResource | None:
    if provider is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(type=provider.type, name=provider.name, urn=provider.urn,
                                                 properties=to_struct(provider.inputs))


def read_policy_config(path: str | Path) -> dict[str, Any]:
    """A ``--policy-pack-config`` file: policy name -> level string or {enforcementLevel, ...}
    (plus ``exceptions``, see :mod:`finops_preview.policy_exceptions`). Read strictly: NaN,
    Infinity, duplicate keys and absurd depth are refused with one line (ConfigError)."""
    if probe(Path(path), "--policy-pack-config", None, str(path), "a policy pack config file") is None:
        raise PolicyPackError(f"{path}: no such policy pack config file")
    doc = load_json(path)
    if not isinstance(doc.data, dict):
        raise PolicyPackError(f"{path}: found {type(doc.data).__name__}; expected a JSON object of policy names")
    return doc.data


def policy_pack_dir(path: str | Path) -> Path:
    """``--policy-pack DIR`` as an absolute path, if it holds a PulumiPolicy.yaml; an unusable path
    is a ConfigError naming the option, a directory without one a PolicyPackError."""
    directory = resolved(Path(path), "--policy-pack")
    found = probe(directory / "PulumiPolicy.yaml", "--policy-pack", None, str(path), "a policy pack directory")
    if found is None or not stat.S_ISREG(found.st_mode):
        raise PolicyPackError(f"{directory}: not a policy pack (no PulumiPolicy.yaml)")
    return directory


class PolicyPackProcess:
    """A running policy pack and a gRPC client for it. Use as a context manager."""

    def __init__(self, pack_dir: str | Path, *, stack: str, project: str, organization: str = "organization",
                 dry_run: bool = True, config: Mapping[str, str] | None = None,
                 python: str | None = None, env: Mapping[str, str] | None = None) -> None:
        self.pack_dir = Path(pack_dir)
        self.stack, self.project, self.organization, self.dry_run = stack, project, organization, dry_run
        self.config = dict(config or {})
        self.python = python or sys.executable
        self.extra_env = dict(env or {})
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self.stub: analyzer_pb2_grpc.AnalyzerStub
        self.info: analyzer_pb2.AnalyzerInfo
        self.remediates = False  # set by configure(): whether any policy is at the remediate level
        self.levels: dict[str, str] = {}  # set by configure(): each policy's enforcement level
        # Per URN, the policies that answered "not applicable" (they judge other resource types).
        self.not_applicable: dict[str, list[str]] = {}
        self._stderr: list[bytes] = []

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> PolicyPackProcess:
        self.pack_dir = policy_pack_dir(self.pack_dir)
        # What the engine sets, on the allow-list of child_environment: no credentials.
        env = child_environment({
            "PULUMI_PROJECT": self.project, "PULUMI_STACK": self.stack,
            "PULUMI_ORGANIZATION": self.organization, "PULUMI_DRY_RUN": "true" if self.dry_run else "false",
            "PULUMI_CONFIG": json.dumps(self.config), **self.extra_env})
        self._process = subprocess.Popen(
            # `python -u -m pulumi.policy ADDRESS DIR`, as the language host runs it, after asking
            # to die with finops (child_lifetime).
            [self.python, "-u", "-c", _PACK_BOOTSTRAP, "127.0.0.1:0", str(self.pack_dir)],
            cwd=self.pack_dir, env=child_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, **child_options(),
        )
        port = self._read_port()
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}",
                                              options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)])
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        try:
            grpc.channel_ready_future(self._channel).result(timeout=_START_TIMEOUT_S)
        except grpc.FutureTimeoutError:
            self.close()
            raise PolicyPackError(f"{self.pack_dir}: policy pack did not accept connections") from None
        return self

    def _read_port(self) -> int:
        assert self._process is not None and self._process.stdout is not None
        result: list[bytes] = []
        reader = threading.Thread(target=lambda: result.append(self._process.stdout.readline()),  # type: ignore[union-attr]
                                  daemon=True)
        reader.start()
        reader.join(_START_TIMEOUT_S)
        line = result[0].strip() if result else b""
        if not line.isdigit():
            kill_group(self._process)
            _, stderr = self._process.communicate(timeout=10)
            detail = stderr.decode(errors="replace").strip().splitlines()
            tail = detail[-1] if detail else "no output"
            raise PolicyPackError(f"{self.pack_dir}: policy pack failed to start: {tail}")
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        return int(line)

    def _drain_stderr(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        for chunk in self._process.stderr:
            self._stderr.append(chunk)

    @property
    def stderr(self) -> str:
        return b"".join(self._stderr).decode(errors="replace")

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._process is not None:
            kill_group(self._process)
            for stream in (self._process.stdout, self._process.stderr):
                if stream is not None:
                    stream.close()
            self._process = None

    def __enter__(self) -> PolicyPackProcess:
        return self.start() if self._process is None else self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- the engine's handshake ----------------------------------------------------------------
    def handshake(self, policy_config: Mapping[str, Any] | None = None,
                  stack_tags: Mapping[str, str] | None = None,
                  defaults: Mapping[str, Mapping[str, Any]] | None = None) -> analyzer_pb2.AnalyzerInfo:
        """ConfigureStack, GetPluginInfo, GetAnalyzerInfo and Configure (merged config), in the
        engine's order: the stack first, as the CLI configures a pack as soon as it has started it.

        ``defaults`` are properties for policies the pack has, below the user's config.
        """
        try:
            self.stub.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=self.stack, project=self.project, organization=self.organization, dry_run=self.dry_run,
                config=self.config, tags=dict(stack_tags or {}),
            ))
        except grpc.RpcError as exc:
            # A pack built on an SDK older than ConfigureStack: the engine goes on without it (the
            # stack is in the pack's environment), and so does this.
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
        self.stub.GetPluginInfo(empty_pb2.Empty())
        self.info = self.stub.GetAnalyzerInfo(empty_pb2.Empty())
        self.configure(policy_config, defaults)
        return self.info

    def configure(self, policy_config: Mapping[str, Any] | None = None,
                  defaults: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        """Send Configure with, per policy: schema defaults < pack initialConfig < the user's file."""
        merged = merge_policy_config(self.info, policy_config or {}, defaults)
        self.not_applicable = {}  # answers of this configuration only
        # The SDKs remediate only with policies at the remediate level: without one, Remediate
        # answers nothing and the call can be spared.
        self.remediates = any(level == "remediate" for level, _ in merged.values())
        self.levels = {name: level for name, (level, _) in merged.items()}
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, (level, properties) in merged.items():
            request.policyConfig[name].CopyFrom(
                analyzer_pb2.PolicyConfig(enforcementLevel=LEVELS[level], properties=to_struct(properties)))
        self.stub.Configure(request)

    # -- analysis -------------------------------------------------------------------------------
    def analyze(self, resource_type: str, name: str, properties: Mapping[str, Any], *, urn: str | None = None,
                provider: ProviderRef | None = None, parent: str = "") -> list[Diagnostic]:
        return self.analyze_later(resource_type, name, properties, urn=urn, provider=provider, parent=parent)()

    def analyze_later(self, resource_type: str, name: str, properties: Mapping[str, Any], *,
                      urn: str | None = None, provider: ProviderRef | None = None, parent: str = ""
                      ) -> Callable[[], list[Diagnostic]]:
        """Send Analyze without waiting for the answer (the engine, too, has many in flight);
        calling the result waits for it."""
        request = self._request(resource_type, name, properties, urn, provider, parent)
        future = self.stub.Analyze.future(request)

        def answer() -> list[Diagnostic]:
            response = future.result()
            self.not_applicable[request.urn] = [n.policy_name for n in response.not_applicable]
            return _diagnostics(response)

        return answer

    def _request(self, resource_type: str, name: str, properties: Mapping[str, Any], urn: str | None,
                 provider: ProviderRef | None, parent: str) -> analyzer_pb2.AnalyzeRequest:
        request = analyzer_pb2.AnalyzeRequest(
            type=resource_type, name=name, properties=to_struct(properties),
            urn=urn or f"urn:pulumi:{self.stack}::{self.project}::{resource_type}::{name}",
            options=analyzer_pb2.AnalyzerResourceOptions(parent=parent),
        )
        provider_message = _provider_message(provider)
        if provider_message is not None:
            request.provider.CopyFrom(provider_message)
        return request

    def remediate(self, resource_type: str, name: str, properties: Mapping[str, Any], *, urn: str | None = None,
                  provider: ProviderRef | None = None, parent: str = "") -> list[Remediation]:
        """Remediate as the engine calls it before Analyze, in the order the policies ran."""
        response = self.stub.Remediate(self._request(resource_type, name, properties, urn, provider, parent))
        return [Remediation(r.policyName, r.policyPackName,
                            json_format.MessageToDict(r.properties) if r.HasField("properties") else None,
                            r.diagnostic) for r in response.remediations]

    def analyze_stack(self, resources: Iterable[StackResource]) -> list[Diagnostic]:
        return self.analyze_stack_later(resources)()

    def analyze_stack_later(self, resources: Iterable[StackResource]) -> Callable[[], list[Diagnostic]]:
        """Send AnalyzeStack without waiting; calling the result waits for the answer."""
        request = analyzer_pb2.AnalyzeStackRequest()
        for resource in resources:
            message = analyzer_pb2.AnalyzerResource(
                type=resource.type, name=resource.name, urn=resource.urn, properties=to_struct(resource.properties),
                parent=resource.parent, dependencies=resource.dependencies,
                options=analyzer_pb2.AnalyzerResourceOptions(parent=resource.parent),
            )
            provider_message = _provider_message(resource.provider)
            if provider_message is not None:
                message.provider.CopyFrom(provider_message)
            request.resources.append(message)
        future = self.stub.AnalyzeStack.future(request)
        return lambda: _diagnostics(future.result())


def merge_policy_config(info: analyzer_pb2.AnalyzerInfo, user: Mapping[str, Any],
                        defaults: Mapping[str, Mapping[str, Any]] | None = None
                        ) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each policy's (enforcement level, properties) as the engine computes them."""
    initial = {name: json_format.MessageToDict(cfg.properties) for name, cfg in info.initialConfig.items()}
    known = {policy.name for policy in info.policies}
    unknown = sorted(set(user) - known - {"all"})
    if unknown:
        raise PolicyPackError(f"policy pack config names unknown policy {unknown[0]!r}; "
                              f"expected one of: all, {', '.join(sorted(known))}{_did_you_mean(unknown[0], known)}",
                              (unknown[0],))
    merged: dict[str, tuple[str, dict[str, Any]]] = {}
    for policy in info.policies:
        # initialConfig's level has no presence on the wire (0 is also "advisory"), so only its
        # properties are layered here; the policy's own level stands unless the user's file says.
        level = LEVEL_NAMES[policy.enforcementLevel]
        schema = json_format.MessageToDict(policy.configSchema.properties)
        properties = {k: v["default"] for k, v in schema.items() if isinstance(v, dict) and "default" in v}
        properties.update(initial.get(policy.name, {}))
        properties.update((defaults or {}).get(policy.name, {}))
        for entry in (user.get("all"), user.get(policy.name)):
            if isinstance(entry, str):
                level = _level(entry, policy.name)
            elif isinstance(entry, Mapping):
                entry = dict(entry)
                if "enforcementLevel" in entry:
                    level = _level(entry.pop("enforcementLevel"), policy.name)
                properties.update(entry)
            elif entry is not None:
                raise PolicyPackError(f"policy pack config for {policy.name}: found {entry!r}; expected an "
                                      "enforcement level or an object", (policy.name,))
        unknown_props = sorted(set(properties) - set(schema))
        if unknown_props:
            raise PolicyPackError(f"policy pack config for {policy.name}: unknown property {unknown_props[0]!r}; "
                                  f"expected one of: {', '.join(sorted(schema)) or 'none'}"
                                  f"{_did_you_mean(unknown_props[0], schema)}", (policy.name, unknown_props[0]))
        _validate(policy.name, properties, schema)
        merged[policy.name] = (level, properties)
    return merged


def _validate(policy: str, properties: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
    """Check values against the policy's config schema, as `pulumi policy validate-config` does."""
    import jsonschema

    validator = jsonschema.Draft7Validator({"type": "object", "properties": dict(schema)})
    error = next(iter(sorted(validator.iter_errors(dict(properties)), key=lambda e: [str(p) for p in e.path])),
                 None)
    if error is None:
        return
    keys = tuple(error.path)
    if error.validator == "additionalProperties" and error.validator_value is False \
            and isinstance(error.instance, Mapping):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(str(k) for k in error.instance if k not in allowed)
        if extra:
            where = ".".join(str(p) for p in (*keys, extra[0]))
            raise PolicyPackError(f"policy pack config for {policy}: {where}: unknown property {extra[0]!r}; "
                                  f"expected one of: {', '.join(sorted(allowed)) or 'none'}"
                                  f"{_did_you_mean(extra[0], allowed)}", (policy, *keys, extra[0]))
    where = ".".join(str(p) for p in keys) or "(top)"
    raise PolicyPackError(f"policy pack config for {policy}: {where}: found {error.instance!r}; "
                          f"expected {_expected(error.validator, error.validator_value)}", (policy, *keys))


_JSON_TYPES = {"integer": "a whole number", "number": "a number", "string": "a string", "boolean": "true or false",
               "object": "an object", "array": "a list", "null": "null"}


def _expected(validator: str, value: Any) -> str:
    """A JSON-schema keyword said as a user reads it."""
    if validator == "type":
        names = value if isinstance(value, list) else [value]
        return " or ".join(f"type {name!r} ({_JSON_TYPES.get(name, name)})" for name in names)
    if validator == "enum":
        return "one of: " + ", ".join(repr(v) for v in value)
    words = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than",
             "exclusiveMaximum": "less than", "minItems": "at least this many items:",
             "maxItems": "at most this many items:", "minLength": "at least this many characters:",
             "pattern": "text matching"}
    return f"{words[validator]} {value!r}" if validator in words else f"{validator} {value!r}"


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _level(value: object, policy: str) -> str:
    if value not in LEVELS:
        raise PolicyPackError(f"policy pack config for {policy}: enforcementLevel {value!r}; "
                              f"expected one of {', '.join(LEVELS)}")
    return str(value)
