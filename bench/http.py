"""`riskstream bench http`: POST /v1/score at a fixed rate from a separate process.

`riskstream serve` runs as its own process (review and monitoring workers off, so only
scoring is measured); the load generator (bench/http_load.py) is another process
sending requests open-loop at the target rate over keep-alive connections.
Server-side latency is the server's own ``Server-Timing`` (request received → response
started); client latency includes the loopback network and the client.
"""

from __future__ import annotations

import getpass
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
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
from riskstream.stack import bootstrap, child_env, free_port, run_sync, stop_process

__all__ = ["HttpBench", "HttpRun", "plot_http_bench", "run_http_bench"]

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class HttpRun:
    """One load level: what was asked, what was answered and how fast."""

    path: str
    target_rps: float
    rps: float
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    p999_ms: float
    client_p50_ms: float
    client_p99_ms: float


@dataclass(frozen=True, slots=True)
class HttpBench:
    """``/v1/score`` at each rate, and ``/healthz`` (no work: the server's ceiling)."""

    target_rps: float  # the headline rate (the highest asked)
    rps: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    client_p50_ms: float
    client_p99_ms: float
    errors: int
    ceiling_rps: float  # /healthz at the headline rate
    ceiling_p50_ms: float
    ceiling_p99_ms: float
    runs: tuple[HttpRun, ...]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def _load(
    url: str, token: str, rate: float, seconds: float, seed: int, path: str = "/v1/score"
) -> HttpRun:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    try:
        subprocess.run(  # noqa: S603 - our own module
            [sys.executable, "-m", "bench.http_load", url, token, str(rate), str(seconds), str(out),
             str(seed), path],
            check=True,
        )  # fmt: skip
        result: dict[str, Any] = orjson.loads(out.read_bytes())
    finally:
        out.unlink(missing_ok=True)
    ok = result["statuses"].get("200", 0)
    server_ms = np.asarray(result["server_ms"] or [np.nan])
    client_ms = np.asarray(result["client_ms"] or [np.nan])
    p50, p99, p999 = np.percentile(server_ms, [50, 99, 99.9])
    c50, c99 = np.percentile(client_ms, [50, 99])
    return HttpRun(
        path=path,
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


def run_http_bench(
    settings: Settings,
    *,
    rates: Sequence[float] = (100.0, 250.0, 500.0, 1000.0),
    seconds: float = 20.0,
    log_dir: Path,
    progress: Progress = lambda _: None,
) -> HttpBench:
    """``settings``: a running stack and a data dir whose model store has a champion.

    One server process; each rate in turn from a fresh load-generator process (new
    transactions each time), then ``/healthz`` at the highest rate.
    """
    unique = uuid.uuid4().hex[:6]
    settings = settings.replace(topic_prefix=f"bench-http-{unique}.", redis_namespace=f"h{unique}")
    run_sync(ensure_topics(bootstrap(settings), topic_specs(settings)))
    db.upgrade(settings.resolved_database_url)
    directory = UserDirectory.from_settings(settings)
    name = f"bench-{unique}"
    directory.create_user(name, "service", actor=f"cli:{getpass.getuser()}")
    token = directory.create_token(name).token
    port = free_port()
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
    runs: list[HttpRun] = []
    try:
        _wait_ready(url)
        progress("warm-up: 100 requests/s for 3 s")
        _load(url, token, 100.0, 3.0, seed=7)
        for index, rate in enumerate(sorted(rates)):
            progress(f"POST /v1/score at {rate:,.0f} requests/s for {seconds:g} s")
            runs.append(_load(url, token, rate, seconds, seed=13 + index))
            progress(_line(runs[-1]))
        top = max(rates)
        progress(f"ceiling: GET /healthz at {top:,.0f} requests/s for {seconds:g} s")
        ceiling = _load(url, token, top, seconds, seed=5, path="/healthz")
        progress(_line(ceiling))
    finally:
        stop_process(server)
    headline = runs[-1]
    return HttpBench(
        target_rps=headline.target_rps,
        rps=headline.rps,
        p50_ms=headline.p50_ms,
        p99_ms=headline.p99_ms,
        p999_ms=headline.p999_ms,
        client_p50_ms=headline.client_p50_ms,
        client_p99_ms=headline.client_p99_ms,
        errors=headline.errors,
        ceiling_rps=ceiling.rps,
        ceiling_p50_ms=ceiling.p50_ms,
        ceiling_p99_ms=ceiling.p99_ms,
        runs=(*runs, ceiling),
    )


def _line(run: HttpRun) -> str:
    return (
        f"{run.path}: {run.rps:,.0f}/s answered of {run.target_rps:,.0f}/s asked, "
        f"server p50 {run.p50_ms:.2f} ms p99 {run.p99_ms:.2f} ms, client p50 "
        f"{run.client_p50_ms:.1f} ms p99 {run.client_p99_ms:.1f} ms, {run.errors} errors"
    )


def plot_http_bench(result: HttpBench, path: Path) -> None:
    """Answered rate and latency against the asked rate (log scale), with the ceiling."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scored = [run for run in result.runs if run.path == "/v1/score"]
    asked = [run.target_rps for run in scored]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.plot(asked, [run.rps for run in scored], "o-", label="/v1/score answered")
    left.plot(asked, asked, ":", color="grey", label="asked")
    left.axhline(result.ceiling_rps, color="black", linestyle="--", label="/healthz (no work)")
    left.set(xlabel="asked (requests/s)", ylabel="answered with 200 (requests/s)")
    left.legend()
    for key, label in (("p50_ms", "server p50"), ("p99_ms", "server p99"),
                       ("client_p99_ms", "client p99 (incl. queueing)")):  # fmt: skip
        right.plot(asked, [getattr(run, key) for run in scored], "o-", label=label)
    right.axhline(1.0, color="green", linestyle=":", label="target p50 1 ms")
    right.axhline(10.0, color="red", linestyle=":", label="target p99 10 ms")
    right.set(xlabel="asked (requests/s)", ylabel="ms", yscale="log")
    right.legend(fontsize=8)
    figure.suptitle("riskstream serve: POST /v1/score, open-loop load from another process")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
