"""Read a Pulumi project and its stack config the way the CLI does, with one-line errors."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finops_core.reading import ConfigError, YamlDoc, load_yaml, path_value, probe, require_mapping, resolved

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


def load_project(directory: str | Path) -> Project:
    directory = resolved(Path(directory), "--cwd")
    path = directory / "Pulumi.yaml"
    if probe(path, "--cwd", None, str(directory), "a Pulumi project directory (with Pulumi.yaml)") is None:
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
    main = _main_program(doc, top.get("main"), directory)
    config_dir = _stack_config_dir(doc, top.get("stackConfigDir"), directory)
    defaults: dict[str, Any] = {}
    for key, decl in require_mapping(doc, top.get("config") or {}, ("config",)).items():
        if isinstance(decl, Mapping):
            if "default" in decl:
                defaults[_qualify(str(key), name)] = decl["default"]
        else:
            defaults[_qualify(str(key), name)] = decl
    return Project(directory, name, main, config_dir, defaults, dict(options or {}))


def _located(doc: YamlDoc, key: str, value: object, path: Path, expected: str) -> os.stat_result | None:
    """``probe`` of a path that Pulumi.yaml's ``key`` names: its OS errors name Pulumi.yaml and the key."""
    return probe(path, doc.source, key, value, expected, doc.line((key,)))


def _main_program(doc: YamlDoc, value: object, directory: Path) -> Path:
    expected = "an existing program (__main__.py, or a directory holding one)"
    main = path_value(doc, ("main",), value, directory, expected) if value not in (None, "") else directory
    info = _located(doc, "main", value, main, expected)
    if info is not None and stat.S_ISDIR(info.st_mode):
        main = main / "__main__.py"
        info = _located(doc, "main", value, main, expected)
    if info is None or not stat.S_ISREG(info.st_mode):
        raise doc.error(("main",), str(main), expected)
    return main


def _stack_config_dir(doc: YamlDoc, value: object, directory: Path) -> Path:
    """Pulumi.yaml's ``stackConfigDir`` (the project directory when absent); a directory that is
    not there yet is the missing stack file's message later, with the stacks that exist."""
    expected = "a directory of stack config files (Pulumi.<stack>.yaml)"
    if value in (None, ""):
        return directory
    config_dir = path_value(doc, ("stackConfigDir",), value, directory, expected)
    info = _located(doc, "stackConfigDir", value, config_dir, expected)
    if info is not None and not stat.S_ISDIR(info.st_mode):
        raise doc.error(("stackConfigDir",), value, f"{expected} (it is a file)")
    return config_dir


def _as_config_string(value: Any) -> str:
    # PULUMI_CONFIG carries strings; structured values are JSON, as the CLI sends them.
    if isinstance(value, str):
        return value
    return json.dumps(value)


def load_stack_config(project: Project, stack: str) -> StackConfig:
    check_stack_name(stack)
    path = project.stack_file(stack)
    if probe(path, path, None, "<unusable path>", "a stack config file") is None:
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
