"""What the programs and policy packs that ``finops`` runs may see of its environment.

The offline preview needs no cloud credentials, so the user program and the policy pack get none:
they run with an allow-list of variables (:data:`ALLOWED`, :data:`ALLOWED_PREFIXES`), never with
``AWS_*`` or ``PULUMI_*`` credentials and tokens (``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``,
``PULUMI_ACCESS_TOKEN``, ``PULUMI_CONFIG_PASSPHRASE`` ...). The AWS SDK is also kept from finding
credentials elsewhere (``~/.aws`` files, the instance metadata service), and the program's own
``boto3`` calls fail with a message naming the call (:mod:`offline_aws_guard`, run in the child).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

# Variables a Python program needs to start and behave as in the user's shell.
ALLOWED = frozenset({
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP",
    "PYTHONPATH", "PYTHONHOME", "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONDONTWRITEBYTECODE", "PYTHONWARNINGS",
    "PYTHONHASHSEED", "VIRTUAL_ENV", "NO_COLOR", "SYSTEMROOT", "COMSPEC", "PATHEXT", "WINDIR",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
})
# finops' own settings (rules, waivers, budgets, price book files) and the locale.
ALLOWED_PREFIXES = ("FINOPS_", "LC_")
# Where the AWS SDK would look for credentials besides the environment: nowhere.
NO_AWS_CREDENTIALS = {"AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_CONFIG_FILE": os.devnull,
                      "AWS_EC2_METADATA_DISABLED": "true"}
GUARD_FILE = Path(__file__).resolve().parent / "offline_aws_guard.py"


def child_environment(extra: Mapping[str, str] | None = None, source: Mapping[str, str] | None = None
                      ) -> dict[str, str]:
    """The allowed part of ``source`` (default: this process's environment), without AWS
    credentials, plus ``extra`` (what the engine itself would set: PULUMI_PROJECT ...)."""
    environ = os.environ if source is None else source
    kept = {k: v for k, v in environ.items() if k in ALLOWED or k.startswith(ALLOWED_PREFIXES)}
    return {**kept, **NO_AWS_CREDENTIALS, **(extra or {})}


__all__ = ["ALLOWED", "ALLOWED_PREFIXES", "GUARD_FILE", "child_environment"]
