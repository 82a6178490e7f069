"""Open-loop HTTP load generator (its own process): a fixed request rate, whatever the
server does, recording each response's status, client latency and Server-Timing.

``python -m bench.http_load URL TOKEN RATE SECONDS OUT.json [SEED] [PATH]``

Requests are pre-encoded HTTP/1.1 bytes sent over ``CONNECTIONS`` keep-alive
connections with asyncio streams: a general-purpose client (httpx) costs about a
millisecond of CPU per request and would be the bottleneck on a 2-core machine. Each
request has a scheduled send time (``index / rate``); client latency is measured from
that time, so a request that waited for a free connection counts its wait
(no coordinated omission). ``PATH`` ``/healthz`` (GET) measures the server with no work.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import orjson

from simulator import SimulationConfig, Simulator

__all__ = ["run_load"]

CONNECTIONS = 32
GRACE_S = 30.0  # after the last scheduled send, how long answers may take


def _requests(host: str, token: str, path: str, bodies: list[bytes]) -> list[bytes]:
    if path != "/v1/score":
        head = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        return [head] * len(bodies)
    return [
        (
            f"POST /v1/score HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body
        for body in bodies
    ]


async def _response(reader: asyncio.StreamReader) -> tuple[int, float | None]:
    """Status and Server-Timing ``app;dur=`` of one response (its body is read and dropped)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, server_ms = 0, None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "server-timing":
            for part in value.split(","):
                metric, _, rest = part.strip().partition(";")
                if metric == "app" and rest.startswith("dur="):
                    server_ms = float(rest[4:])
    if length:
        await reader.readexactly(length)
    return status, server_ms


async def run_load(
    url: str, token: str, rate: float, seconds: float, seed: int, path: str = "/v1/score"
) -> dict[str, object]:
    total = int(rate * seconds)
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    bodies = [
        t.event.model_dump_json().encode()
        for t in itertools.islice(Simulator(SimulationConfig(seed=seed, days=90)).stream(), total)
    ]
    requests = _requests(f"{host}:{port}", token, path, bodies)
    statuses: list[int] = []
    server: list[float] = []
    client: list[float] = []
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while (item := await queue.get()) is not None:
                scheduled, request = item
                try:
                    writer.write(request)
                    status, measured = await _response(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    statuses.append(0)
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                client.append((time.perf_counter() - scheduled) * 1000.0)
                statuses.append(status)
                if measured is not None:
                    server.append(measured)
        finally:
            writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(CONNECTIONS)]
    begin = time.perf_counter()
    for index, request in enumerate(requests):
        scheduled = begin + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((scheduled, request))
    for _ in workers:
        queue.put_nowait(None)
    _, pending = await asyncio.wait(workers, timeout=GRACE_S)
    for task in pending:
        task.cancel()
    elapsed = time.perf_counter() - begin
    answered = len(statuses)
    statuses.extend([0] * (total - answered))  # never answered within the grace period
    return {
        "requests": total,
        "elapsed_s": elapsed,
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "server_ms": server,
        "client_ms": client,
    }


def main() -> None:  # pragma: no cover - run by the benchmark as a child process
    url, token, rate, seconds, out = sys.argv[1:6]
    seed = int(sys.argv[6]) if len(sys.argv) > 6 else 13
    path = sys.argv[7] if len(sys.argv) > 7 else "/v1/score"
    result = asyncio.run(run_load(url, token, float(rate), float(seconds), seed, path))
    Path(out).write_bytes(orjson.dumps(result))


if __name__ == "__main__":  # pragma: no cover
    main()
