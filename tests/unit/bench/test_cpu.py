"""CPU accounting for the benchmarks: per-process time from /proc and the arithmetic."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.cpu import CpuReading, cpu_per_event, machine_busy_s, process_cpu_s

pytestmark = pytest.mark.skipif(not Path("/proc/stat").exists(), reason="needs Linux /proc")

# Spins until it has used `seconds` of CPU, says so, then sleeps until killed.
_SPIN = """
import sys, time
target = float(sys.argv[1])
while time.process_time() < target:
    pass
print("done", flush=True)
time.sleep(600)
"""


def _child(executable: str, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [executable, "-c", _SPIN, str(seconds)], stdout=subprocess.PIPE, text=True
    )


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for child in started:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()


def test_a_busy_process_shows_its_cpu_time_and_an_idle_one_does_not(
    children: list[subprocess.Popen[str]],
) -> None:
    busy, idle = _child(sys.executable, 0.6), _child(sys.executable, 0.0)
    children += [busy, idle]
    for child in (busy, idle):
        assert child.stdout is not None and child.stdout.readline().strip() == "done"
    busy_s, idle_s = process_cpu_s(busy.pid), process_cpu_s(idle.pid)
    assert busy_s is not None and idle_s is not None
    assert busy_s >= 0.55  # clock ticks are 10 ms: the spin itself is 0.6 s
    assert idle_s < busy_s - 0.3


def test_a_command_name_with_spaces_and_parentheses_is_read(
    tmp_path: Path, children: list[subprocess.Popen[str]]
) -> None:
    odd = tmp_path / "a b) (c"
    odd.symlink_to(sys.executable)
    child = _child(str(odd), 0.3)
    children.append(child)
    assert child.stdout is not None and child.stdout.readline().strip() == "done"
    seconds = process_cpu_s(child.pid)
    assert seconds is not None and seconds >= 0.25


def test_a_process_that_is_gone_reads_as_none() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    child.wait()
    assert process_cpu_s(child.pid) is None
    assert process_cpu_s(os.getpid()) is not None


def test_the_machine_busy_time_only_grows() -> None:
    first = machine_busy_s()
    sum(i * i for i in range(300_000))
    second = machine_busy_s()
    assert first is not None and second is not None and second >= first > 0


def test_per_event_figures_and_the_rest_of_the_machine() -> None:
    before = CpuReading(
        wall_s=100.0,
        seconds={"worker": 1.0, "broker": None, "redis": 2.0, "bench_client": 0.5},
        machine_s=10.0,
    )
    after = CpuReading(
        wall_s=101.0,
        seconds={"worker": 1.5, "broker": None, "redis": 2.2, "bench_client": 0.6},
        machine_s=11.0,
    )
    figures = cpu_per_event(before, after, events=1_000)
    # seconds over 1,000 events = ms per event = (×1,000) ms per 1,000 events
    assert figures == {
        "worker": 500.0, "redis": 200.0, "bench_client": 100.0, "other": 200.0, "cores_busy": 1.0,
    }  # fmt: skip


def test_without_machine_figures_there_is_no_rest_and_no_core_count() -> None:
    before = CpuReading(wall_s=0.0, seconds={"worker": 0.0}, machine_s=None)
    after = CpuReading(wall_s=2.0, seconds={"worker": 1.0}, machine_s=None)
    assert cpu_per_event(before, after, events=2_000) == {"worker": 500.0}
