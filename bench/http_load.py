"""Open-loop HTTP load generator (its own process): a fixed request rate, whatever the
server does, recording each response's status, client latency and Server-Timing.

``python -m bench.http_load URL TOKEN RATE SECONDS OUT.json [SEED]``
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from pathlib import Path

import httpx
import orjson

from simulator import SimulationConfig, Simulator

__all__ = ["run_load"]


def _server_ms(response: httpx.Response) -> float | None:
    header = response.headers.get("server-timing", "")
    for part in header.split(","):
        name, _, rest = part.strip().partition(";")
        if name == "app" and rest.startswith("dur="):
            return float(rest[4:])
    return None


async def run_load(
    url: str, token: str, rate: float, seconds: float, seed: int
) -> dict[str, object]:
    total = int(rate * seconds)
    events = [
        t.event.model_dump_json().encode()
        for t in itertools.islice(Simulator(SimulationConfig(seed=seed, days=90)).stream(), total)
    ]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    statuses: list[int] = []
    server: list[float] = []
    client: list[float] = []
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=10) as http:

        async def one(body: bytes) -> None:
            started = time.perf_counter()
            try:
                response = await http.post("/v1/score", content=body)
            except httpx.HTTPError:
                statuses.append(0)
                return
            client.append((time.perf_counter() - started) * 1000.0)
            statuses.append(response.status_code)
            measured = _server_ms(response)
            if measured is not None:
                server.append(measured)

        tasks = []
        begin = time.perf_counter()
        for index, body in enumerate(events):
            delay = begin + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(body)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - begin
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
    result = asyncio.run(run_load(url, token, float(rate), float(seconds), seed))
    Path(out).write_bytes(orjson.dumps(result))


if __name__ == "__main__":  # pragma: no cover
    main()
