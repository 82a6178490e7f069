"""`riskstream bench stream`: decisions per second and end-to-end latency, with references.

In one run on one stack, each variant in its own process(es), on the same simulated
events (fresh topics and Redis namespace per variant):

* **ours**: `riskstream worker` (one process), then two worker processes;
* **naive**: the same path with one task and one Redis round trip per event and
  LightGBM's default predict (bench/naive.py);
* **ceiling**: the no-work loop through the same framework (Faust: take_events →
  producer), and the same loop through bare aiokafka (bench/passthrough.py).

Throughput is measured in steady state: the processes start and join their group, a
warm-up batch goes through, then a burst of events is produced and the rate is the
decisions read per second between the first and the last. Over the burst, the CPU time
of the processes under test, Redis, the broker (when it is the embedded one), the
benchmark's own producer and reader and the whole machine is read (bench/cpu.py): where
the two cores go, per 1,000 events. Latency is event sent →
decision read, at a steady rate below the measured throughput, and it is split by each
decision's own ``decided_at`` and ``latency_ms`` (:func:`latency_parts`). The time per stage
comes from the scoring core's own timers, run in-process on the same events.
"""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from redis.asyncio import Redis

from bench.cpu import CpuMeter, cpu_per_event
from contracts import BoundaryPolicy, EventDecoder, Settings, SystemClock, topic_specs
from pipeline.admin import ensure_topics
from pipeline.processor import BatchProcessor, RawMessage
from riskstream.stack import bootstrap, child_env, stop_process
from scoring.build import build_engine
from simulator import SimulationConfig, Simulator

__all__ = ["StreamBench", "run_stream_bench"]

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class StreamBench:
    events: int
    decisions_per_s: float
    two_workers_per_s: float
    naive_decisions_per_s: float
    ceiling_per_s: float
    bare_aiokafka_per_s: float
    latency_rate_per_s: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    stage_us: dict[str, float] = field(default_factory=dict)
    # the same rate through the no-work loops: the latency floor of framework + broker
    ceiling_p50_ms: float | None = None
    ceiling_p99_ms: float | None = None
    bare_p50_ms: float | None = None
    bare_p99_ms: float | None = None
    # variant -> CPU ms per 1,000 events by component, and the machine's busy cores
    cpu_ms_per_1000: dict[str, dict[str, float]] = field(default_factory=dict)
    # ours at the latency rate, split by each decision's own times (see latency_parts)
    latency_parts_ms: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def ratios(self) -> dict[str, float]:
        return {
            "ours_vs_ceiling": self.decisions_per_s / self.ceiling_per_s,
            "ours_vs_naive": self.decisions_per_s / self.naive_decisions_per_s,
            "two_vs_one_worker": self.two_workers_per_s / self.decisions_per_s,
            "framework_vs_bare_aiokafka": self.ceiling_per_s / self.bare_aiokafka_per_s,
        }

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update({k: round(v, 3) for k, v in self.ratios.items()})
        return data


def _payloads(count: int, seed: int) -> list[tuple[bytes, bytes]]:
    transactions = Simulator(SimulationConfig(seed=seed, days=60)).stream()
    return [
        (t.event.card.fingerprint.encode(), t.event.model_dump_json().encode())
        for t in itertools.islice(transactions, count)
    ]


def _fresh(settings: Settings, label: str) -> Settings:
    unique = uuid.uuid4().hex[:6]
    return settings.replace(
        topic_prefix=f"bench-{label}-{unique}.",
        redis_namespace=f"b{unique}",
        worker_group=f"bench-{label}-{unique}",
        broker_session_timeout_s=6,
    )


class _Processes:
    """Child processes that are stopped (SIGINT, then SIGKILL) on exit."""

    def __init__(self, commands: Sequence[list[str]], settings: Settings, log_dir: Path) -> None:
        self._procs: list[subprocess.Popen[bytes]] = []
        log_dir.mkdir(parents=True, exist_ok=True)
        for index, command in enumerate(commands):
            log = open(log_dir / f"{settings.worker_group}-{index}.log", "wb")  # noqa: SIM115
            self._procs.append(
                subprocess.Popen(  # noqa: S603 - our own modules
                    command, env=child_env(settings), stdout=log, stderr=subprocess.STDOUT
                )
            )
            log.close()

    @property
    def pids(self) -> list[int]:
        return [proc.pid for proc in self._procs]

    def stop(self) -> None:
        for proc in self._procs:
            stop_process(proc)


class _Output:
    """Reads the decisions topic from its start in the background, timing each arrival."""

    def __init__(self, settings: Settings, *, keep_times: bool = False) -> None:
        self._settings = settings
        self.arrivals: list[float] = []
        self.ids: list[str] = []
        # with keep_times (latency runs only: the reader's CPU counts in throughput runs),
        # per decision: (read at, decided at, scoring ms), wall clock; no-op copies have none
        self._keep_times = keep_times
        self.timed: dict[str, tuple[float, float, float]] = {}
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap(settings), enable_auto_commit=False, fetch_max_wait_ms=5
        )
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> _Output:
        await self._consumer.start()
        topic = self._settings.topic("decisions")
        parts = [TopicPartition(topic, p) for p in range(self._settings.decisions_partitions)]
        self._consumer.assign(parts)
        await self._consumer.seek_to_beginning(*parts)
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self._consumer.stop()

    async def _read(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=20, max_records=10_000)
            now, wall = time.monotonic(), time.time()
            for records in batches.values():
                for record in records:
                    self.arrivals.append(now)
                    try:
                        document = orjson.loads(record.value or b"{}")
                        self.ids.append(document["transaction_id"])
                    except (orjson.JSONDecodeError, KeyError, TypeError):
                        self.ids.append("")
                        continue
                    if self._keep_times and "decided_at" in document and "latency_ms" in document:
                        decided = datetime.fromisoformat(document["decided_at"]).timestamp()
                        self.timed[document["transaction_id"]] = (
                            wall,
                            decided,
                            float(document["latency_ms"]),
                        )

    async def until(self, count: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.arrivals) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.arrivals)} of {count} decisions within {timeout_s}s")
            await asyncio.sleep(0.01)


async def _produce(settings: Settings, payloads: Sequence[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap(settings),
        enable_idempotence=False,
        linger_ms=10,
        max_batch_size=512 * 1024,
    )
    await producer.start()
    try:
        topic = settings.topic("transactions")
        for start in range(0, len(payloads), 2000):
            chunk = payloads[start : start + 2000]
            await asyncio.gather(*[await producer.send(topic, v, key=k) for k, v in chunk])
    finally:
        await producer.stop()


async def _throughput(
    settings: Settings,
    label: str,
    commands: Sequence[list[str]],
    payloads: Sequence[tuple[bytes, bytes]],
    log_dir: Path,
    broker_pid: int | None,
    warmup: int = 200,
) -> tuple[float, dict[str, float]]:
    """Decisions per second in steady state, and CPU ms per 1,000 events over the burst."""
    settings = _fresh(settings, label)
    await ensure_topics(bootstrap(settings), topic_specs(settings))
    procs = _Processes(commands, settings, log_dir)
    redis = Redis.from_url(str(settings.redis_url))
    groups = {"worker": procs.pids, **({"broker": [broker_pid]} if broker_pid else {})}
    meter = CpuMeter(redis, groups)
    try:
        async with _Output(settings) as out:
            await _produce(settings, payloads[:warmup])
            await out.until(warmup, timeout_s=180)
            await asyncio.sleep(2 * settings.broker_session_timeout_s)  # let the group settle
            first_index = len(out.arrivals)
            before = await meter.read()
            await _produce(settings, payloads[warmup:])
            await out.until(len(payloads), timeout_s=900)
            after = await meter.read()
            arrivals = out.arrivals[first_index:]
    finally:
        procs.stop()
        await redis.aclose()
    rate = (len(arrivals) - 1) / max(arrivals[-1] - arrivals[0], 1e-9)
    return rate, cpu_per_event(before, after, len(payloads) - warmup)


def latency_parts(
    sent: Mapping[str, float], timed: Mapping[str, tuple[float, float, float]]
) -> dict[str, dict[str, float]]:
    """Split event → decision latency by the decision's own ``decided_at`` and
    ``latency_ms``: waiting before its batch's scoring began (broker, Faust, the batch
    window, the batch ahead, decoding), scoring its batch, and decision → reader
    (produce, acknowledgement, fetch). ``sent``: transaction id → wall-clock send time;
    ``timed``: id → (read at, decided at, scoring ms), wall clock. p50/p90/p99 in ms."""
    rows = []
    for tid, sent_at in sent.items():
        if tid in timed:
            read_at, decided_at, scoring_ms = timed[tid]
            scoring_s = scoring_ms / 1000.0
            rows.append((decided_at - scoring_s - sent_at, scoring_s, read_at - decided_at))
    if not rows:
        return {}
    columns = np.asarray(rows, dtype=np.float64).T * 1000.0
    names = ("before scoring", "scoring its batch", "decision to reader")
    parts: dict[str, dict[str, float]] = {}
    for name, column in zip(names, columns, strict=True):
        p50, p90, p99 = np.percentile(column, [50, 90, 99])
        parts[name] = {"p50": round(float(p50), 1), "p90": round(float(p90), 1),
                       "p99": round(float(p99), 1)}  # fmt: skip
    return parts


async def _latency(
    settings: Settings,
    payloads: Sequence[tuple[bytes, bytes]],
    rate: float,
    seconds: float,
    log_dir: Path,
    command: Sequence[str] = (sys.executable, "-m", "riskstream.cli", "worker"),
) -> tuple[list[float], dict[str, dict[str, float]]]:
    """Event produced → decision read per event, sending at ``rate`` through
    ``command``; and :func:`latency_parts` (empty for the no-op loops)."""
    settings = _fresh(settings, "latency")
    await ensure_topics(bootstrap(settings), topic_specs(settings))
    procs = _Processes([list(command)], settings, log_dir)
    sent: dict[str, float] = {}
    sent_wall: dict[str, float] = {}
    try:
        async with _Output(settings, keep_times=True) as out:
            await _produce(settings, payloads[:200])
            await out.until(200, timeout_s=180)
            producer = AIOKafkaProducer(
                bootstrap_servers=bootstrap(settings), enable_idempotence=False, linger_ms=1
            )
            await producer.start()
            topic = settings.topic("transactions")
            total = min(int(rate * seconds), len(payloads) - 200)
            started = time.monotonic()
            try:
                for index, (key, value) in enumerate(payloads[200 : 200 + total]):
                    due = started + index / rate
                    delay = due - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    tid = orjson.loads(value)["transaction_id"]
                    sent[tid], sent_wall[tid] = time.monotonic(), time.time()
                    await producer.send(topic, value, key=key)
            finally:
                await producer.stop()
            await out.until(200 + total, timeout_s=120)
            latencies = [
                (arrival - sent[tid]) * 1000.0
                for tid, arrival in zip(out.ids, out.arrivals, strict=True)
                if tid in sent
            ]
            return latencies, latency_parts(sent_wall, out.timed)
    finally:
        procs.stop()


async def _stages(settings: Settings, payloads: Sequence[tuple[bytes, bytes]]) -> dict[str, float]:
    settings = _fresh(settings, "stages")
    engine = build_engine(settings, SystemClock())
    loop = asyncio.get_running_loop()

    async def send(topic: str, key: bytes | None, value: bytes) -> Any:
        done = loop.create_future()
        done.set_result(None)
        return done

    processor = BatchProcessor(
        engine=engine,
        decoder=EventDecoder(BoundaryPolicy.from_settings(settings)),
        settings=settings,
        clock=SystemClock(),
        send=send,
    )
    messages = [RawMessage(v, "bench", 0, i) for i, (_, v) in enumerate(payloads)]
    try:
        await processor.process(messages[:500])  # warm caches and scripts
        engine.stages.reset()
        for start in range(500, len(messages), 500):
            await processor.process(messages[start : start + 500])
    finally:
        await engine.aclose()
    return {stage: round(us, 1) for stage, us in engine.stages.per_event_us().items()}


async def run_stream_bench(
    settings: Settings,
    *,
    events: int = 20_000,
    naive_events: int = 1_500,
    latency_seconds: float = 15.0,
    seed: int = 11,
    log_dir: Path,
    broker_pid: int | None = None,
    progress: Progress = lambda _: None,
) -> StreamBench:
    """Run every variant; ``settings`` must point at a running stack and a data dir
    whose model store has a champion. ``broker_pid``: the embedded broker's process,
    whose CPU time is then reported too."""
    payloads = _payloads(events + 200, seed)
    worker = [sys.executable, "-m", "riskstream.cli", "worker"]
    progress("per-stage timings, in-process")
    stages = await _stages(settings, payloads[: min(len(payloads), 10_500)])
    progress(f"ours, one worker process: {events:,} events")
    cpu: dict[str, dict[str, float]] = {}
    ours, cpu["ours"] = await _throughput(settings, "ours", [worker], payloads, log_dir, broker_pid)
    progress(f"ours, two worker processes: {events:,} events")
    two, cpu["ours (2)"] = await _throughput(
        settings, "two", [worker, worker], payloads, log_dir, broker_pid
    )
    progress("ceiling: the same Faust loop doing no work")
    ceiling, cpu["Faust no-op"] = await _throughput(
        settings, "faust", [[sys.executable, "-m", "bench.passthrough", "faust"]], payloads,
        log_dir, broker_pid,
    )  # fmt: skip
    progress("bare aiokafka doing no work")
    bare, cpu["aiokafka no-op"] = await _throughput(
        settings, "bare", [[sys.executable, "-m", "bench.passthrough", "bare"]], payloads,
        log_dir, broker_pid,
    )  # fmt: skip
    progress(f"naive: {naive_events:,} events, a task and a Redis round trip each")
    naive, cpu["naive"] = await _throughput(
        settings,
        "naive",
        [[sys.executable, "-m", "bench.naive"]],
        payloads[: naive_events + 200],
        log_dir,
        broker_pid,
    )
    rate = round(max(50.0, ours * 0.5), -1)
    progress(f"latency at {rate:,.0f} events/s for {latency_seconds:g}s")
    latencies, parts = await _latency(settings, payloads, rate, latency_seconds, log_dir)
    p50, p99, p999 = np.percentile(latencies, [50, 99, 99.9])
    floors: dict[str, tuple[float, float]] = {}
    for name in ("faust", "bare"):
        progress(f"latency floor: the {name} no-work loop at {rate:,.0f} events/s")
        floor, _ = await _latency(
            settings, payloads, rate, latency_seconds, log_dir,
            command=(sys.executable, "-m", "bench.passthrough", name),
        )  # fmt: skip
        f50, f99 = np.percentile(floor, [50, 99])
        floors[name] = (round(float(f50), 2), round(float(f99), 2))
    return StreamBench(
        events=events,
        decisions_per_s=round(ours, 1),
        two_workers_per_s=round(two, 1),
        naive_decisions_per_s=round(naive, 1),
        ceiling_per_s=round(ceiling, 1),
        bare_aiokafka_per_s=round(bare, 1),
        latency_rate_per_s=rate,
        p50_ms=round(float(p50), 2),
        p99_ms=round(float(p99), 2),
        p999_ms=round(float(p999), 2),
        stage_us=stages,
        ceiling_p50_ms=floors["faust"][0],
        ceiling_p99_ms=floors["faust"][1],
        bare_p50_ms=floors["bare"][0],
        bare_p99_ms=floors["bare"][1],
        cpu_ms_per_1000=cpu,
        latency_parts_ms=parts,
    )


def plot_stream_bench(result: StreamBench, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, 2, figsize=(14, 9))
    (left, middle), (right, cores) = axes
    names = ["naive", "ours (1)", "ours (2)", "Faust no-op", "aiokafka no-op"]
    values = [
        result.naive_decisions_per_s,
        result.decisions_per_s,
        result.two_workers_per_s,
        result.ceiling_per_s,
        result.bare_aiokafka_per_s,
    ]
    left.bar(names, values, color=["#999", "#2a6", "#1a4", "#58c", "#36a"])
    left.set_ylabel("events per second")
    left.set_title("Throughput (one run, same events)")
    left.tick_params(axis="x", rotation=20)
    groups = [("ours", result.p50_ms, result.p99_ms, "#2a6")]
    if result.ceiling_p50_ms is not None and result.ceiling_p99_ms is not None:
        groups.append(("Faust no-op", result.ceiling_p50_ms, result.ceiling_p99_ms, "#58c"))
    if result.bare_p50_ms is not None and result.bare_p99_ms is not None:
        groups.append(("aiokafka no-op", result.bare_p50_ms, result.bare_p99_ms, "#36a"))
    width = 0.8 / len(groups)
    for index, (label, p50, p99, color) in enumerate(groups):
        offset = (index - (len(groups) - 1) / 2) * width
        middle.bar([x + offset for x in (0, 1)], [p50, p99], width, label=label, color=color)
    middle.set_xticks([0, 1], ["p50", "p99"])
    middle.legend()
    middle.set_ylabel("ms")
    middle.set_title(f"End-to-end latency at {result.latency_rate_per_s:,.0f}/s")
    if result.latency_parts_ms:
        text = "ours, p50 by part:\n" + "\n".join(
            f"{name}: {part['p50']:,.0f} ms" for name, part in result.latency_parts_ms.items()
        )
        middle.text(0.02, 0.97, text, transform=middle.transAxes, va="top", fontsize=9)
    stages = result.stage_us
    right.bar(list(stages), list(stages.values()), color="#a63")
    right.set_ylabel("µs per event")
    right.set_title("Time per stage (in-process)")
    _plot_cpu(cores, result.cpu_ms_per_1000)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


_CPU_COMPONENTS = (
    ("worker", "processes under test", "#2a6"),
    ("redis", "Redis", "#c33"),
    ("broker", "broker", "#58c"),
    ("bench_client", "bench producer + reader", "#999"),
    ("other", "rest of the machine", "#ddd"),
)


def _plot_cpu(axis: Any, cpu: dict[str, dict[str, float]]) -> None:
    """Stacked CPU ms per 1,000 events by component, one bar per variant."""
    if not cpu:
        axis.text(0.5, 0.5, "CPU not measured", ha="center", va="center")
        axis.set_axis_off()
        return
    totals = {v: sum(cpu[v].get(key, 0.0) for key, _, _ in _CPU_COMPONENTS) for v in cpu}
    scale = 4 * float(np.median(list(totals.values())))
    # a variant many times costlier (the naive path) would flatten the others: named only
    variants = [v for v in cpu if totals[v] <= scale]
    off_scale = [v for v in cpu if totals[v] > scale]
    bottom = [0.0] * len(variants)
    for key, label, color in _CPU_COMPONENTS:
        values = [cpu[v].get(key, 0.0) for v in variants]
        axis.bar(variants, values, bottom=bottom, label=label, color=color)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for index, variant in enumerate(variants):
        busy = cpu[variant].get("cores_busy")
        if busy is not None:
            axis.annotate(f"{busy:.2f} cores", (index, bottom[index]), ha="center", va="bottom")
    axis.set_ylabel("CPU ms per 1,000 events")
    title = "Where the CPU goes (throughput runs)"
    if off_scale:
        title += "\n" + ", ".join(
            f"{v}: {totals[v]:,.0f} ms ({cpu[v].get('cores_busy', 0):.2f} cores), off the scale"
            for v in off_scale
        )
    axis.set_title(title)
    axis.tick_params(axis="x", rotation=20)
    axis.legend(fontsize="small")


def main() -> None:  # pragma: no cover - python -m bench.stream DATA_DIR (a stack via `up`)
    import json

    from contracts import load_settings
    from riskstream.stack import resolve_services

    settings = resolve_services(load_settings(data_dir=Path(sys.argv[1])))
    result = asyncio.run(
        run_stream_bench(settings, log_dir=settings.data_dir / "logs" / "bench", progress=print)
    )
    print(json.dumps(result.as_dict(), indent=2))
    plot_stream_bench(result, settings.data_dir / "bench-stream.png")


if __name__ == "__main__":  # pragma: no cover
    main()
