"""The benchmark entry point runs, and both evaluators agree on its data."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

from rules.lang import load_ruleset
from rules.lang.bench import BENCH_RULES, BENCH_SYMBOLS, bench, main


def test_bench_reports_rows_per_second() -> None:
    result = bench(rows=200, repeat=1)
    assert result["rows"] == 200 and result["rules"] >= 15
    assert result["interpreted_rows_per_s"] > 0 and result["compiled_rows_per_s"] > 0
    assert 0 < result["hit_rate"] < 1


def test_bench_rules_load_cleanly() -> None:
    assert len(load_ruleset(BENCH_RULES, BENCH_SYMBOLS)) == 16


def test_main_prints_json() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["50"]) == 0
    assert '"compiled_rows_per_s"' in out.getvalue()
