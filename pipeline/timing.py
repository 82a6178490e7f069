"""Server-side request timing, reported in a ``Server-Timing`` header.

Measured from the moment the application receives the request to the moment it
starts the response: what the server spends, without the network or the client. The
HTTP benchmark reads it; so can any caller or proxy.
"""

from __future__ import annotations

import time
from typing import Any

__all__ = ["ServerTimingMiddleware"]

Scope = dict[str, Any]
Message = dict[str, Any]


class ServerTimingMiddleware:
    """Pure ASGI middleware (no per-request task or body buffering)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed_ms = (time.perf_counter() - started) * 1000.0
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={elapsed_ms:.3f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed_send)
