"""`riskstream bench rules`: both evaluators on real simulated features, in one run."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bench.rules import run_rules_bench
from features import default_registry
from riskstream.cli import main
from rules import Policy, default_policy_path, load_ruleset, symbol_table
from scoring import policy_symbols


def test_bench_measures_both_evaluators_on_the_starter_pack() -> None:
    symbols = policy_symbols(default_registry())
    policy = Policy(load_ruleset(default_policy_path(), symbol_table(symbols)), symbols)
    result = run_rules_bench(policy, default_registry(), rows=300, repeat=1)
    assert result.rows == 300 and result.rules == len(policy.ruleset)
    assert 0 < result.hit_rate < 1  # list rules hit the sampled list members
    assert result.compiled_rule_evals_per_s > 0 and result.interpreted_rule_evals_per_s > 0
    assert result.ratio == result.interpreted_s / result.compiled_s


def test_bench_command_prints_the_ratio_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(
        main,
        ["bench", "rules", "--rows", "200", "--repeat", "1", "--json", str(out)],
        env={"RISKSTREAM_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.exit_code == 0, result.output
    assert "compiled columnar" in result.output and "ratio" in result.output
    document = json.loads(out.read_text())
    assert document["rows"] == 200 and document["ratio"] > 0
