"""Where a value came from, for messages: the line of the caller's code, or the stack config file.

A value passed in code is reported at the first frame outside this package (the team's
``__main__.py:12``); a value from stack config at the file Pulumi reads it from, which is
``<stackConfigDir>/Pulumi.<stack>.yaml`` (``stackConfigDir`` from ``Pulumi.yaml``, default
the project directory), with the key's line where the file has it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from finops_core.reading import ConfigError, YamlDoc, load_yaml

_PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")


def _shown(path: Path) -> str:
    """``path`` relative to the working directory where it lies below it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def code_location() -> str:
    """``file:line`` of the innermost caller outside finops_components (the team's code)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith("<") and Path(filename).resolve().parent != _PACKAGE_DIR:
            return f"{_shown(Path(filename))}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return "<your code>"


def project_dir(start: Path | None = None) -> Path:
    """The Pulumi project directory: the nearest directory holding Pulumi.yaml, from the working
    directory up (the engine runs the program there), else the working directory."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if any((directory / name).is_file() for name in PROJECT_FILES):
            return directory
    return here


def _project_file(project: Path) -> Path | None:
    return next((project / name for name in PROJECT_FILES if (project / name).is_file()), None)


def _read(path: Path) -> YamlDoc | None:
    try:
        return load_yaml(path)
    except ConfigError:
        return None  # the engine reports a broken file itself


def _stack_config_dir(project: Path, project_doc: YamlDoc | None) -> Path:
    data = project_doc.data if project_doc is not None else None
    configured = data.get("stackConfigDir") if isinstance(data, dict) else None
    return project / configured if isinstance(configured, str) and configured else project


def _config_line(doc: YamlDoc | None, keys: tuple[str, ...]) -> tuple[bool, int | None]:
    """Whether ``doc``'s ``config`` block sets one of ``keys``, and that key's line."""
    config = doc.data.get("config") if doc is not None and isinstance(doc.data, dict) else None
    if doc is None or not isinstance(config, dict):
        return False, None
    for key in keys:
        value = config.get(key)
        # Pulumi.yaml declares keys as {type, description, default}: only a default is a value.
        if key in config and not (isinstance(value, dict) and "default" not in value and "value" not in value):
            return True, doc.line(("config", key))
    return False, None


@dataclass(frozen=True)
class ConfigSource:
    """Where a stack config value is: the file to name in a message, and the key's line there."""

    file: str
    line: int | None = None


def config_source(project: str, stack: str, key: str | None) -> ConfigSource:
    """Where the value of config ``key`` (project namespace) of ``stack`` is set.

    The stack config file (``<stackConfigDir>/Pulumi.<stack>.yaml``) when it sets the key, else
    ``Pulumi.yaml`` when its ``config`` block gives a default, else the stack config file,
    where the key belongs.
    """
    directory = project_dir()
    project_path = _project_file(directory)
    project_doc = _read(project_path) if project_path is not None else None
    stack_path = _stack_config_dir(directory, project_doc) / f"Pulumi.{stack}.yaml"
    if key is None:
        return ConfigSource(_shown(stack_path))
    keys = (f"{project}:{key}", key)
    found, line = _config_line(_read(stack_path) if stack_path.is_file() else None, keys)
    if found:
        return ConfigSource(_shown(stack_path), line)
    found, line = _config_line(project_doc, keys)
    if found and project_path is not None:
        return ConfigSource(_shown(project_path), line)
    return ConfigSource(_shown(stack_path))


def waivers_file() -> Path:
    """The waivers the pack applies: ``$FINOPS_WAIVERS_FILE``, else the project's ``waivers.yaml``."""
    configured = os.environ.get("FINOPS_WAIVERS_FILE")
    return Path(configured) if configured else project_dir() / "waivers.yaml"
