"""Writing a command's report: to stdout, or to a file replaced atomically.

A report file is written to a temporary file beside it and renamed over it, so a failed write
(full disk, no permission) leaves the old file or none, never half a report. A target that is
not a regular file (``/dev/null``, ``/dev/stdout``, a pipe) cannot be renamed over: it is
written directly. Any write error is bad input (ConfigError, exit 2), never exit 1, which CI
reads as a mandatory violation.

A path that is a symbolic link is refused (a link planted where a report goes must not make the
command overwrite another file), unless ``--output`` names it and it points into a directory the
user owns, or to a device or pipe (``/dev/stdout``). ``--report FORMAT=FILE`` never follows one.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

from finops_core.reading import ConfigError, os_problem, probe

OPTION = "--output"


def _problem(path: Path, exc: OSError | RuntimeError) -> ConfigError:
    return ConfigError(OPTION, None, str(path), f"a writable file ({os_problem(exc)})")


def _encoded(text: str) -> bytes:
    # A report never fails on a character that UTF-8 cannot carry (a lone surrogate in a name).
    return text.encode("utf-8", errors="backslashreplace")


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _write_in_place(path: Path, data: bytes) -> None:
    try:
        with open(path, "wb") as stream:
            stream.write(data)
    except OSError as exc:
        raise _problem(path, exc) from None


def _replace(path: Path, data: bytes, directory: Path, mode: int) -> None:
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise _problem(path, exc) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), mode)  # mkstemp makes 0600; a report is as readable as any file
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise _problem(path, exc) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _followed(link: Path, option: str) -> Path:
    """Where a symbolic link given as ``option`` may be written: its target, when the option is
    --output and the target is a device or pipe or lies in a directory the user owns."""
    if option != OPTION:
        raise ConfigError(option, None, str(link), "a path that is not a symbolic link (only --output may name "
                          "one, pointing into a directory you own)")
    target = link.resolve()
    try:
        if not stat.S_ISREG(target.stat().st_mode):
            return target   # a device or pipe (/dev/stdout): written in place, nothing replaced
    except OSError:
        pass                # not there yet (a dangling link): judged by its directory
    try:
        owner = target.parent.stat().st_uid
    except OSError:
        owner = None
    if owner is None or (hasattr(os, "getuid") and owner != os.getuid()):
        raise ConfigError(OPTION, None, str(link), f"a link into a directory you own (it points to {target}, in a "
                          "directory " + ("that does not exist" if owner is None else f"owned by uid {owner}") + ")")
    return target


def _target(path: Path, option: str = OPTION) -> tuple[Path, os.stat_result | None, Path]:
    """The file to write (a link's target), its stat (None: not there yet) and its directory; a
    directory, or a file in a directory that does not exist, is a ConfigError."""
    path = Path(path)
    try:
        if path.is_symlink():
            path = _followed(path, option)  # replace the file the link points to, not the link
    except (OSError, RuntimeError) as exc:  # a loop of links, a name too long
        raise _problem(path, exc) from None
    info = probe(path, OPTION, None, str(path), "a writable file")
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise ConfigError(OPTION, None, str(path), "a file path, not a directory")
    directory = path.parent if str(path.parent) else Path(".")
    found = probe(directory, OPTION, None, str(path), "a file in an existing directory") if info is None else None
    if info is None and (found is None or not stat.S_ISDIR(found.st_mode)):
        raise ConfigError(OPTION, None, str(path), f"a file in an existing directory ({directory} does not exist)")
    return path, info, directory


def check_output_target(path: Path | None, option: str = OPTION) -> None:
    """Refuse, before any work, an --output that can never be written (a full disk shows only
    when writing)."""
    if path is not None:
        _target(path, option)


def write_output(text: str, path: Path | None, option: str = OPTION) -> None:
    """Write ``text`` to ``path`` (temporary file + rename, so a failed write leaves no half file)
    or to stdout. A path that cannot be written is bad input (ConfigError), not a crash."""
    if path is None:
        try:
            sys.stdout.write(text)
        except UnicodeEncodeError:
            encoding = sys.stdout.encoding or "utf-8"
            sys.stdout.write(text.encode(encoding, errors="backslashreplace").decode(encoding))
        return
    path, info, directory = _target(path, option)
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_in_place(path, _encoded(text))  # a device or pipe: nothing to rename over
        return
    mode = stat.S_IMODE(info.st_mode) if info is not None else _default_mode()
    _replace(path, _encoded(text), directory, mode)
