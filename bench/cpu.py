"""Where a benchmark's CPU goes: CPU time per process over a measured window.

On a 2-core machine the worker, Redis, the broker and the benchmark's own producer and
reader share the cores, so a throughput figure alone cannot say what limits it. A
:class:`CpuMeter` reads, at the start and the end of a window, the CPU seconds (user +
system) of each named group of processes (``/proc/PID/stat``), of Redis (``INFO cpu``,
so a server on another machine is measured too), of this process (the benchmark client)
and of the whole machine (``/proc/stat``). :func:`cpu_per_event` turns two readings into
CPU milliseconds per 1,000 events for each, plus how many cores the machine was busy on.

Linux only: elsewhere the process and machine figures are absent, not zero.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["CpuMeter", "CpuReading", "cpu_per_event", "machine_busy_s", "process_cpu_s"]

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PROC = Path("/proc")


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of one process so far; None if it is gone or unreadable."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces: split after its closing parenthesis
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of the full line
    return (utime + stime) / _TICK


def machine_busy_s() -> float | None:
    """CPU seconds the machine's cores have spent busy since boot, all cores summed
    (user, nice, system, irq, softirq; not idle, I/O wait or time stolen by the host)."""
    try:
        first = (_PROC / "stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in first[1:8])
    return (user + nice + system + irq + softirq) / _TICK


def _self_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _redis_cpu_s(client: Redis) -> float | None:
    try:
        info = await client.info("cpu")
    except RedisError:
        return None
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


@dataclass(frozen=True, slots=True)
class CpuReading:
    wall_s: float
    seconds: dict[str, float | None]  # component -> CPU seconds so far (None: not measured)
    machine_s: float | None


class CpuMeter:
    """Reads the CPU time of named process groups, Redis, this process and the machine."""

    def __init__(self, redis: Redis, processes: Mapping[str, Sequence[int]]) -> None:
        self._redis = redis
        self._processes = {name: tuple(pids) for name, pids in processes.items()}

    async def read(self) -> CpuReading:
        seconds: dict[str, float | None] = {}
        for name, pids in self._processes.items():
            values = [process_cpu_s(pid) for pid in pids]
            seconds[name] = None if not pids or None in values else sum(v or 0.0 for v in values)
        seconds["redis"] = await _redis_cpu_s(self._redis)
        seconds["bench_client"] = _self_cpu_s()
        return CpuReading(time.monotonic(), seconds, machine_busy_s())


def cpu_per_event(before: CpuReading, after: CpuReading, events: int) -> dict[str, float]:
    """CPU ms per 1,000 events for each component measured at both ends of the window;
    ``other`` is the machine's busy time that none of them account for (the OS, other
    services); ``cores_busy`` the machine's busy cores on average over the window."""
    per_1000 = 1_000_000.0 / max(events, 1)  # seconds per event → ms per 1,000 events
    out: dict[str, float] = {}
    for name, start in before.seconds.items():
        end = after.seconds.get(name)
        if start is not None and end is not None:
            out[name] = round((end - start) * per_1000, 1)
    if before.machine_s is not None and after.machine_s is not None:
        busy = after.machine_s - before.machine_s
        out["other"] = round(max(busy * per_1000 - sum(out.values()), 0.0), 1)
        out["cores_busy"] = round(busy / max(after.wall_s - before.wall_s, 1e-9), 2)
    return out
