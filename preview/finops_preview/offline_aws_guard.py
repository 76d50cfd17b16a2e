"""Run first in the child that runs a program for ``finops preview`` (by path: the program's own
Python need not have finops installed; standard library only).

A program under the offline preview has no cloud credentials. When it calls AWS through boto3
(``boto3.client("s3").list_buckets()``), botocore would fail later with "Unable to locate
credentials", naming no call; this guard makes every botocore API call fail at once with a
message naming the service and operation, and what to do instead. botocore is patched when (and
only if) the program imports it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType
from typing import Any

TARGET = "botocore.client"


class OfflineAwsCallError(RuntimeError):
    """A program called AWS during the offline preview."""


def _refuse(client: Any, operation_name: str, api_params: Any) -> Any:
    service = client.meta.service_model.service_name
    raise OfflineAwsCallError(
        f"the program called AWS ({service} {operation_name}, through boto3) during the offline preview, which runs "
        "without cloud credentials. Read the value from stack config or a Pulumi invoke (the preview answers "
        "those), or skip the call when pulumi.runtime.is_dry_run() is true")


class _Loader(importlib.abc.Loader):
    def __init__(self, inner: importlib.abc.Loader) -> None:
        self.inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.inner.exec_module(module)
        module.BaseClient._make_api_call = _refuse


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != TARGET:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            sys.meta_path.insert(0, self)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader)
        return spec


def install() -> None:
    module = sys.modules.get(TARGET)
    if module is not None:
        module.BaseClient._make_api_call = _refuse
    else:
        sys.meta_path.insert(0, _Finder())
