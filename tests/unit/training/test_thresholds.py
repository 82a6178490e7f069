"""Score bands that minimise expected cost within the review capacity, written as rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features import default_registry
from rules import check_ruleset, default_policy_path, symbol_table
from scoring import policy_symbols
from training.errors import ThresholdError
from training.thresholds import CostModel, choose_bands, evaluate_bands, write_score_bands


def _scored(n: int = 20_000, seed: int = 3) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    scores = rng.beta(0.3, 12, n)
    fraud = (rng.uniform(size=n) < scores).astype(np.int8)  # calibrated by construction
    return {
        "scores": scores,
        "fraud": fraud,
        "amount": rng.lognormal(8, 1, n),
        "times": pd.Series(pd.date_range("2026-01-01", periods=n, freq="60s", tz="UTC")),
        "liability_shift": rng.uniform(size=n) < 0.1,
    }


def test_chosen_bands_beat_the_starter_bands_within_capacity() -> None:
    data = _scored()
    costs = CostModel()
    days = 20_000 / 1440
    for capacity in (0.0, 5.0, 50.0):
        bands = choose_bands(**data, costs=costs, capacity_per_day=capacity)  # type: ignore[arg-type]
        assert bands.challenge <= bands.review <= bands.decline
        assert bands.reviews_per_day <= capacity + 1e-9
        starter = evaluate_bands(**data, thresholds=(0.2, 0.5, 0.85), costs=costs)  # type: ignore[arg-type]
        if starter.reviews_per_day <= capacity:
            assert bands.cost <= starter.cost + 1e-6
        approve_all = evaluate_bands(**data, thresholds=(2, 2, 2), costs=costs)  # type: ignore[arg-type]
        assert bands.cost <= approve_all.cost
        assert bands.cost_per_day == pytest.approx(bands.cost / days, rel=0.01)
    none = choose_bands(**data, costs=costs, capacity_per_day=0)  # type: ignore[arg-type]
    assert none.share["review"] == 0.0
    # Expensive reviews and cheap chargebacks: nothing worth reviewing.
    cheap = CostModel(chargeback_fee=0, review_cost=1_000_000)
    assert choose_bands(**data, costs=cheap, capacity_per_day=100).share["review"] == 0.0  # type: ignore[arg-type]


def test_costs_validate_and_load(tmp_path: Path) -> None:
    with pytest.raises(ThresholdError, match="share"):
        CostModel(review_catch_rate=1.5)
    path = tmp_path / "costs.toml"
    path.write_text("chargeback_fee = 2500\nreview_cost = 400\n")
    assert CostModel.from_file(path).chargeback_fee == 2500
    path.write_text("chargeback = 1\n")
    with pytest.raises(ThresholdError, match="unknown cost"):
        CostModel.from_file(path)


def test_bands_are_written_into_a_copy_of_the_rule_file(tmp_path: Path) -> None:
    data = _scored()
    bands = choose_bands(**data, costs=CostModel(), capacity_per_day=20)  # type: ignore[arg-type]
    out = write_score_bands(default_policy_path(), bands, tmp_path / "policy.toml")
    text = out.read_text()
    assert f"score >= {bands.decline:.4f}" in text and f"score >= {bands.review:.4f}" in text
    assert f"score >= {bands.challenge:.4f} and not liability_shift" in text
    import tomllib

    version = tomllib.loads(default_policy_path().read_text())["version"]
    assert tomllib.loads(text)["version"] == f"{version}+bands"
    symbols = symbol_table(policy_symbols(default_registry()))
    assert check_ruleset(out, symbols) == []
    assert default_policy_path().read_text() != text  # the source is untouched
    broken = tmp_path / "no-bands.toml"
    broken.write_text(default_policy_path().read_text().replace("score_review", "other_rule"))
    with pytest.raises(ThresholdError, match="score_review"):
        write_score_bands(broken, bands, tmp_path / "x.toml")
