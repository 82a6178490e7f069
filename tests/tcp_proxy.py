"""A real TCP proxy for fault injection: put it between a client and a server, then cut.

The proxy runs its own asyncio loop in a thread, so blocking tests and other event
loops can use it alike::

    with TcpProxy("127.0.0.1", 5432) as proxy:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/test"
        ...
        proxy.cut()      # every open connection closed, new ones accepted and closed
        proxy.restore()  # forwarding again

While cut, the listener stays bound (so the port cannot be taken by anything else) and
closes each new connection at once: the client sees the server hang up, as when a
database restarts or a load balancer has no backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

__all__ = ["TcpProxy"]

T = TypeVar("T")

_CHUNK = 64 * 1024


class _Link:
    """One proxied connection: the client's side and the target's side."""

    def __init__(self, client: asyncio.StreamWriter, upstream: asyncio.StreamWriter) -> None:
        self.client = client
        self.upstream = upstream

    def close(self) -> None:
        for writer in (self.client, self.upstream):
            if not writer.is_closing():
                writer.close()


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target_host:target_port`` until cut.

    Args:
        target_host: where to forward to.
        target_port: the target's port.
        host: the address to listen on; the port is picked free by the OS.

    Attributes:
        port: the listening port (set by :meth:`start`).
        accepted: connections forwarded so far.
        refused: connections closed at once because the proxy was cut.
    """

    def __init__(self, target_host: str, target_port: int, *, host: str = "127.0.0.1") -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = host
        self.port = 0
        self.accepted = 0
        self.refused = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="tcp-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self._cut = False  # read and written on the proxy's loop only

    # -- control, from any thread --------------------------------------------------

    def start(self) -> TcpProxy:
        """Start the loop thread and listen; returns the proxy."""
        if self._thread.is_alive():
            raise RuntimeError("the proxy is already running")
        self._thread.start()
        self._call(self._listen())
        return self

    def cut(self) -> None:
        """Close every open connection both ways and hang up on new ones."""
        self._call(self._set_cut(True))

    def restore(self) -> None:
        """Forward new connections again."""
        self._call(self._set_cut(False))

    def stop(self) -> None:
        """Close the listener and every connection, then stop the loop thread."""
        if not self._thread.is_alive():
            return
        try:
            self._call(self._shutdown())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the loop ------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()
            if pending:
                self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    def _call(self, coroutine: Coroutine[Any, Any, T], timeout_s: float = 10.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout_s)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _set_cut(self, cut: bool) -> None:
        self._cut = cut
        if cut:
            await self._close_links()

    async def _close_links(self) -> None:
        for link in list(self._links):
            link.close()
        # Each handler closes its writers and returns once both pumps have ended.
        handlers = [task for task in self._handlers if task is not asyncio.current_task()]
        if handlers:
            await asyncio.wait(handlers, timeout=5)

    async def _shutdown(self) -> None:
        self._cut = True
        if self._server is not None:
            self._server.close()
        await self._close_links()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def _refusing(self) -> bool:
        return self._cut

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:  # always, inside asyncio.start_server's callback
            self._handlers.add(task)
        try:
            if self._refusing():
                self.refused += 1
                await _close(writer)
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(
                    self.target_host, self.target_port
                )
            except OSError:
                self.refused += 1
                await _close(writer)
                return
            if self._refusing():  # cut while connecting
                self.refused += 1
                await _close(up_writer)
                await _close(writer)
                return
            self.accepted += 1
            link = _Link(writer, up_writer)
            self._links.add(link)
            try:
                await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))
            finally:
                self._links.discard(link)
                await _close(up_writer)
                await _close(writer)
        finally:
            self._handlers.discard(task)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until either side ends, then close the other side too."""
    try:
        while True:
            data = await reader.read(_CHUNK)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        if not writer.is_closing():
            writer.close()


async def _close(writer: asyncio.StreamWriter) -> None:
    if not writer.is_closing():
        writer.close()
    with contextlib.suppress(ConnectionError, OSError):
        await writer.wait_closed()
