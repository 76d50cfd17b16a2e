"""The engine's side of resource transforms, for the mock engine.

Pulumi's transforms (``pulumi.runtime.register_resource_transform`` and ``ResourceOptions.transforms``)
run in the engine, not in the SDK: the program registers a callback on its callback server, the
engine calls it back with a ``TransformRequest`` for every registration (a packaged component's
children included) and registers what it answers. Pulumi's plain mocks record the callbacks and
never call them. :class:`TransformCallbacks` calls them as the engine does: the resource's own
transforms, then its ancestors' (a transform in a component's options reaches its children), then
the stack's, each over the wire format on the program's own callback servicer.

Like the mock engine, this module imports nothing of this library (it runs under a program's own
virtualenv, loaded by path).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, cast


class TransformCallbacks:
    """The transform callbacks registered so far, by the stack and per resource URN."""

    def __init__(self) -> None:
        self._stack: list[Any] = []
        self._by_urn: dict[str, list[Any]] = {}
        self._parents: dict[str, str] = {}
        self._lock = threading.Lock()
        # The program's event loop, where its callbacks run (set when the program starts; the
        # SDK's servicer also names it from pulumi 3.16x on).
        self.loop: asyncio.AbstractEventLoop | None = None

    def register_stack(self, callback: Any) -> None:
        with self._lock:
            self._stack.append(callback)

    def remember(self, urn: str, parent: str, callbacks: Sequence[Any]) -> None:
        """A registered resource's own transforms, which also reach the children it parents."""
        with self._lock:
            self._parents[urn] = parent
            if callbacks:
                self._by_urn[urn] = list(callbacks)

    def _chain(self, own: Sequence[Any], parent: str) -> list[Any]:
        with self._lock:
            chain = list(own)
            seen: set[str] = set()
            while parent and parent not in seen:
                seen.add(parent)
                chain += self._by_urn.get(parent, [])
                parent = self._parents.get(parent, "")
            return chain + self._stack

    def apply(self, type_: str, name: str, custom: bool, parent: str, properties: Any,
              own: Sequence[Any] = (), provider: str = "") -> Any:
        """The properties (a protobuf Struct) after every transform that applies, in the engine's order."""
        from pulumi.runtime.proto import resource_pb2

        for callback in self._chain(own, parent):
            request = resource_pb2.TransformRequest(
                type=type_, name=name, custom=custom, parent=parent, properties=properties,
                options=resource_pb2.TransformResourceOptions(provider=provider))
            response = _invoke(callback.token, request.SerializeToString(), self.loop)
            if response is not None:
                properties = response.properties
        return properties


def _invoke(token: str, request: bytes, loop: asyncio.AbstractEventLoop | None) -> Any:
    """Call a callback on the servicer that registered it, on that servicer's event loop (the
    program's, free while it waits for this registration on a worker thread)."""
    from pulumi.runtime._callbacks import _CallbackServicer

    for servicer in list(_CallbackServicer._servicers):
        callback = servicer._callbacks.get(token)
        if callback is not None:
            call = cast(Coroutine[Any, Any, Any], callback(request))
            target = getattr(servicer, "_loop", None) or loop
            assert target is not None, "the program's event loop is not known"
            return asyncio.run_coroutine_threadsafe(call, target).result()
    return None
