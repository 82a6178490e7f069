"""`riskstream bench http` end to end, briefly: a real server process, a real load process.

Numbers are not asserted (the machines are noisy); that every request was answered,
that the result carries the documented keys and that the chart is written are.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.http import plot_http_bench, run_http_bench
from contracts import Settings

pytestmark = pytest.mark.integration


def test_bench_http_sweeps_rates_and_measures_the_ceiling(
    stack_settings: Settings, model_home: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(model_home, home)
    settings = stack_settings.replace(data_dir=home)
    lines: list[str] = []

    result = run_http_bench(
        settings, rates=(40.0, 20.0), seconds=2.0, log_dir=tmp_path / "logs", progress=lines.append
    )

    assert [run.target_rps for run in result.runs] == [20.0, 40.0, 40.0]
    assert [run.path for run in result.runs] == ["/v1/score", "/v1/score", "/healthz"]
    for run in result.runs:
        assert run.requests > 0
        assert run.errors == 0, run
        assert 0 < run.p50_ms <= run.p99_ms <= run.p999_ms
    assert result.target_rps == 40.0
    assert result.rps > 0 and result.ceiling_rps > 0
    document = json.loads(json.dumps(result.as_dict()))
    assert {"rps", "p50_ms", "p99_ms"} <= set(document)
    assert any("/healthz" in line for line in lines)

    chart = tmp_path / "bench-http.png"
    plot_http_bench(result, chart)
    assert chart.read_bytes().startswith(b"\x89PNG")
