"""The stream benchmark's result: the documented JSON keys, the ratios and the chart."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.stream import StreamBench, latency_parts, plot_stream_bench


def _result(**overrides: object) -> StreamBench:
    values: dict[str, object] = {
        "events": 20_000, "decisions_per_s": 1_800.0, "two_workers_per_s": 2_000.0,
        "naive_decisions_per_s": 540.0, "ceiling_per_s": 9_000.0, "bare_aiokafka_per_s": 18_000.0,
        "latency_rate_per_s": 900.0, "p50_ms": 150.0, "p99_ms": 270.0, "p999_ms": 300.0,
        "stage_us": {"decode": 30.0, "features": 200.0},
        "ceiling_p50_ms": 58.0, "ceiling_p99_ms": 104.0, "bare_p50_ms": 23.0, "bare_p99_ms": 160.0,
        "cpu_ms_per_1000": {
            "ours": {"worker": 420.0, "redis": 300.0, "broker": 250.0, "bench_client": 90.0,
                     "other": 40.0, "cores_busy": 1.9},
            "Faust no-op": {"worker": 120.0, "redis": 1.0, "bench_client": 80.0, "other": 10.0},
        },
    }  # fmt: skip
    values.update(overrides)
    return StreamBench(**values)  # type: ignore[arg-type]


def test_the_json_has_the_documented_keys_and_ratios() -> None:
    document = _result().as_dict()
    assert {
        "decisions_per_s", "naive_decisions_per_s", "ceiling_per_s", "bare_aiokafka_per_s",
        "p50_ms", "p99_ms", "p999_ms", "ceiling_p50_ms", "bare_p50_ms",
    } <= set(document)  # fmt: skip
    assert document["ours_vs_ceiling"] == pytest.approx(0.2)
    assert document["ours_vs_naive"] == pytest.approx(3.333, abs=1e-3)
    assert document["two_vs_one_worker"] == pytest.approx(1.111, abs=1e-3)
    assert document["framework_vs_bare_aiokafka"] == pytest.approx(0.5)


def test_the_json_carries_the_cpu_breakdown_per_variant() -> None:
    document = _result().as_dict()
    assert document["cpu_ms_per_1000"]["ours"]["cores_busy"] == 1.9
    assert set(document["cpu_ms_per_1000"]) == {"ours", "Faust no-op"}


@pytest.mark.parametrize("measured", [True, False])
def test_the_chart_is_written_with_or_without_latency_floors_and_cpu(
    tmp_path: Path, measured: bool
) -> None:
    result = _result() if measured else _result(ceiling_p50_ms=None, ceiling_p99_ms=None,
                                                bare_p50_ms=None, bare_p99_ms=None,
                                                cpu_ms_per_1000={})  # fmt: skip
    chart = tmp_path / "stream.png"
    plot_stream_bench(result, chart)
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_latency_is_split_by_each_decisions_own_times() -> None:
    # sent at t; scoring of its batch began 80 ms later and took 50 ms; read 20 ms after
    sent = {f"t{i}": 1_000.0 + i for i in range(10)}
    timed = {tid: (at + 0.150, at + 0.130, 50.0) for tid, at in sent.items()}
    sent["never-read"] = 2_000.0
    timed["warm-up"] = (5.0, 4.0, 1.0)  # decided but not among the timed sends
    parts = latency_parts(sent, timed)
    assert list(parts) == ["before scoring", "scoring its batch", "decision to reader"]
    assert parts["before scoring"]["p50"] == pytest.approx(80.0)
    assert parts["scoring its batch"]["p99"] == pytest.approx(50.0)
    assert parts["decision to reader"]["p90"] == pytest.approx(20.0)
    assert latency_parts(sent, {}) == {}  # the no-op loops' copies carry no times


def test_the_chart_shows_the_latency_parts_when_measured(tmp_path: Path) -> None:
    parts = {"before scoring": {"p50": 85.0, "p90": 140.0, "p99": 190.0}}
    result = _result(latency_parts_ms=parts)
    assert result.as_dict()["latency_parts_ms"]["before scoring"]["p50"] == 85.0
    plot_stream_bench(result, tmp_path / "chart.png")
    assert (tmp_path / "chart.png").stat().st_size > 10_000
