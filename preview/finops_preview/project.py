"""Read a Pulumi project and its stack config the way the CLI does, with one-line errors."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finops_core.reading import ConfigError, YamlDoc, load_yaml, require_mapping

# Pulumi's own rules (ValidateProjectName in its templates package, ValidateStackName in its
# backends): letters, digits, hyphens, underscores and periods, at most 100 characters. A name
# outside them would corrupt URNs (``::`` is their separator).
NAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,100}")
NAME_RULE = "letters, digits, hyphens, underscores and periods only, at most 100 characters"


@dataclass(frozen=True)
class Project:
    directory: Path
    name: str
    main: Path
    stack_config_dir: Path
    # Project-level config from Pulumi.yaml: key ("proj:key" or "aws:region") -> default value.
    config_defaults: Mapping[str, Any] = field(default_factory=dict)
    # Pulumi.yaml runtime.options (virtualenv, toolchain ...): how the program's Python is found.
    runtime_options: Mapping[str, Any] = field(default_factory=dict)

    def stack_file(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in self.stack_config_dir.glob("Pulumi.*.yaml"))


@dataclass(frozen=True)
class StackConfig:
    values: dict[str, str]          # "namespace:key" -> string, as PULUMI_CONFIG carries it
    secret_keys: frozenset[str]


def check_stack_name(stack: str) -> None:
    """A stack name as Pulumi accepts it (``org/project/stack`` is not a stack file name here)."""
    if not NAME_PATTERN.fullmatch(stack):
        raise ConfigError("--stack", None, stack, f"a stack name: {NAME_RULE}")


def _qualify(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _openable(doc: YamlDoc, key: str, value: object, path: Path) -> Path:
    """``path`` (from ``key`` of Pulumi.yaml) if the system can look it up, missing or not; a name too
    long or otherwise impossible is a ConfigError here, not an OSError from a later ``exists()``."""
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        pass
    except OSError as exc:
        raise doc.error((key,), value, f"a path the system can open ({exc.strerror or type(exc).__name__})") \
            from None
    return path


def load_project(directory: str | Path) -> Project:
    directory = Path(directory).resolve()
    path = directory / "Pulumi.yaml"
    if not path.exists():
        raise ConfigError(path, None, "<no such file>", "a Pulumi project directory (with Pulumi.yaml)")
    doc = load_yaml(path)
    top = require_mapping(doc, doc.data, ())
    name = top.get("name")
    if not isinstance(name, str) or not name:
        raise doc.error(("name",), "<missing>" if name is None else name, "the project name")
    if not NAME_PATTERN.fullmatch(name):
        raise doc.error(("name",), name, f"a project name Pulumi accepts: {NAME_RULE}")
    runtime = top.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, Mapping) else runtime
    if runtime_name != "python":
        raise doc.error(("runtime",), runtime_name, "python (this tool runs Python programs)")
    options = runtime.get("options") if isinstance(runtime, Mapping) else None
    if options is not None and not isinstance(options, Mapping):
        raise doc.error(("runtime", "options"), options, "a map (virtualenv, toolchain ...)")
    virtualenv = (options or {}).get("virtualenv")
    if virtualenv is not None and (not isinstance(virtualenv, str) or not virtualenv):
        raise doc.error(("runtime", "options", "virtualenv"), virtualenv, "a directory name such as venv")
    main = _openable(doc, "main", top.get("main"), directory / str(top.get("main") or "."))
    if main.is_dir():
        main = main / "__main__.py"
    if not main.exists():
        raise doc.error(("main",), str(main), "an existing program (__main__.py)")
    config_dir = _openable(doc, "stackConfigDir", top.get("stackConfigDir"),
                           directory / str(top.get("stackConfigDir") or "."))
    defaults: dict[str, Any] = {}
    for key, decl in require_mapping(doc, top.get("config") or {}, ("config",)).items():
        if isinstance(decl, Mapping):
            if "default" in decl:
                defaults[_qualify(str(key), name)] = decl["default"]
        else:
            defaults[_qualify(str(key), name)] = decl
    return Project(directory, name, main, config_dir, defaults, dict(options or {}))


def _as_config_string(value: Any) -> str:
    # PULUMI_CONFIG carries strings; structured values are JSON, as the CLI sends them.
    if isinstance(value, str):
        return value
    return json.dumps(value)


def load_stack_config(project: Project, stack: str) -> StackConfig:
    check_stack_name(stack)
    path = project.stack_file(stack)
    if not path.exists():
        known = ", ".join(project.stacks()) or "none"
        raise ConfigError(path, None, f"<no stack named {stack!r}>", f"one of the project's stacks: {known}")
    doc = load_yaml(path)
    top = require_mapping(doc, doc.data if doc.data is not None else {}, ())
    values = {key: _as_config_string(value) for key, value in project.config_defaults.items()}
    secret_keys: set[str] = set()
    for key, value in require_mapping(doc, top.get("config") or {}, ("config",)).items():
        qualified = _qualify(str(key), project.name)
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            # Ciphertext cannot be decrypted without the stack's secrets provider: the program sees
            # a placeholder, and every report masks the key.
            values[qualified] = "[secret]"
            secret_keys.add(qualified)
        else:
            values[qualified] = _as_config_string(value)
    return StackConfig(values, frozenset(secret_keys))
