"""`riskstream bench http`: POST /v1/score at a fixed rate from a separate process.

`riskstream serve` runs as its own process (review and monitoring workers off, so only
scoring is measured); the load generator (bench/http_load.py) is another process
sending requests open-loop at the target rate over keep-alive connections.
Server-side latency is the server's own ``Server-Timing`` (request received → response
started); client latency includes the loopback network and the client.
"""

from __future__ import annotations

import getpass
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson

import db
from access import UserDirectory
from contracts import Settings, topic_specs
from pipeline.admin import ensure_topics
from riskstream.stack import bootstrap, child_env, run_sync, stop_process

__all__ = ["HttpBench", "run_http_bench"]

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class HttpBench:
    target_rps: float
    rps: float
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    p999_ms: float
    client_p50_ms: float
    client_p99_ms: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"the server at {url} was not ready within {timeout_s}s")


def _load(url: str, token: str, rate: float, seconds: float, seed: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    try:
        subprocess.run(  # noqa: S603 - our own module
            [sys.executable, "-m", "bench.http_load", url, token, str(rate), str(seconds), str(out),
             str(seed)],
            check=True,
        )  # fmt: skip
        result: dict[str, Any] = orjson.loads(out.read_bytes())
        return result
    finally:
        out.unlink(missing_ok=True)


def run_http_bench(
    settings: Settings,
    *,
    rate: float = 1000.0,
    seconds: float = 20.0,
    log_dir: Path,
    progress: Progress = lambda _: None,
) -> HttpBench:
    """``settings``: a running stack and a data dir whose model store has a champion."""
    unique = uuid.uuid4().hex[:6]
    settings = settings.replace(topic_prefix=f"bench-http-{unique}.", redis_namespace=f"h{unique}")
    run_sync(ensure_topics(bootstrap(settings), topic_specs(settings)))
    db.upgrade(settings.resolved_database_url)
    directory = UserDirectory.from_settings(settings)
    name = f"bench-{unique}"
    directory.create_user(name, "service", actor=f"cli:{getpass.getuser()}")
    token = directory.create_token(name).token
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"serve-{unique}.log", "wb") as log:
        server = subprocess.Popen(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "riskstream.cli", "serve", "--port", str(port),
             "--no-review-workers"],
            env=child_env(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_ready(url)
        progress("warm-up: 200 requests/s for 3 s")
        _load(url, token, 200.0, 3.0, seed=7)
        progress(f"{rate:,.0f} requests/s for {seconds:g} s from a separate process")
        result = _load(url, token, rate, seconds, seed=13)
    finally:
        stop_process(server)
    ok = result["statuses"].get("200", 0)
    server_ms = np.asarray(result["server_ms"]) if result["server_ms"] else np.asarray([np.nan])
    client_ms = np.asarray(result["client_ms"]) if result["client_ms"] else np.asarray([np.nan])
    p50, p99, p999 = np.percentile(server_ms, [50, 99, 99.9])
    c50, c99 = np.percentile(client_ms, [50, 99])
    return HttpBench(
        target_rps=rate,
        rps=round(ok / result["elapsed_s"], 1),
        requests=int(result["requests"]),
        errors=int(result["requests"]) - ok,
        p50_ms=round(float(p50), 3),
        p99_ms=round(float(p99), 3),
        p999_ms=round(float(p999), 3),
        client_p50_ms=round(float(c50), 3),
        client_p99_ms=round(float(c99), 3),
    )
