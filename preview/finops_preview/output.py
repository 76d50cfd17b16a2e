"""Writing a command's report: to stdout, or to a file replaced atomically."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from finops_core.reading import ConfigError


def write_output(text: str, path: Path | None) -> None:
    """Write ``text`` to ``path`` (temporary file + rename, so a failed write leaves no half file)
    or to stdout. A path that cannot be written is bad input (ConfigError), not a crash."""
    if path is None:
        sys.stdout.write(text)
        return
    if path.is_dir():
        raise ConfigError("--output", None, str(path), "a file path, not a directory")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ConfigError("--output", None, str(path), f"a file in an existing directory ({directory} does not exist)")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigError("--output", None, str(path), f"a writable file ({exc.strerror or exc})") from None
