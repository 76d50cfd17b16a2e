"""Where the policy pack that ships inside the installed library lives.

``pulumi preview --policy-pack DIR`` needs a directory with ``PulumiPolicy.yaml``; the library
carries one (``finops_policies/pack``), so a team that ``pip install``-ed it needs no copy of
this repository: ``pulumi preview --policy-pack "$(finops pack)"``.
"""

from __future__ import annotations

from pathlib import Path

PACK_DIRECTORY = "pack"


def installed_pack_dir() -> Path:
    """The absolute directory of the installed policy pack (it holds ``PulumiPolicy.yaml``)."""
    return Path(__file__).resolve().parent / PACK_DIRECTORY


__all__ = ["installed_pack_dir"]
