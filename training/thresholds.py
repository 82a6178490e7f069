"""Score bands that minimise expected cost within a daily review capacity.

The policy's model bands are three thresholds on the calibrated score: below
``challenge`` approve, then challenge (3-D Secure), review, and from ``decline`` up
decline. Each action costs money per transaction of amount *A* (base-currency minor
units) depending on whether it was fraud (:class:`CostModel`):

==========  ===========================================  =======================================
action      fraud                                        genuine
==========  ===========================================  =======================================
approve     A + chargeback fee                           0
challenge   (1 - challenge_fraud_stop) × (A + fee)        abandonment × margin × A
review      review cost + (1 - catch rate) × (A + fee)    review cost + false declines × margin × A
decline     0                                            margin × A (the lost sale's profit)
==========  ===========================================  =======================================

Transactions already authenticated by 3-D Secure (liability shift) are never
challenged (the starter policy's challenge band says ``not liability_shift``): in
that band they are approved. The search is exact over every pair of cut points on
a grid of at most ``max_candidates`` score values (prefix sums, O(grid²)), on a
labelled, scored slice the model never trained or was calibrated on; the average
number of reviews per day must stay within ``capacity_per_day``. Other rules fire
independently of the bands and are not modelled here.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from training.errors import ThresholdError

__all__ = ["Bands", "CostModel", "choose_bands", "evaluate_bands", "write_score_bands"]

NEVER = 1.01  # a threshold no calibrated score reaches: the band is empty


@dataclass(frozen=True, slots=True)
class CostModel:
    """What each outcome costs; money in minor units of the base currency."""

    chargeback_fee: int = 1500
    review_cost: int = 300
    margin: float = 0.3  # profit lost per unit of a genuine sale that does not happen
    challenge_abandonment: float = 0.05  # genuine customers who give up at 3-D Secure
    challenge_fraud_stop: float = 0.95  # fraud stopped or liability-shifted by 3-D Secure
    review_catch_rate: float = 0.9
    review_false_decline: float = 0.02

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ThresholdError(f"costs.{f.name} must be a number >= 0")
            if f.type == "float" and f.name != "margin" and value > 1:
                raise ThresholdError(f"costs.{f.name} is a share: between 0 and 1")
        if not isinstance(self.chargeback_fee, int) or not isinstance(self.review_cost, int):
            raise ThresholdError("costs.chargeback_fee and review_cost are integer minor units")

    @classmethod
    def from_file(cls, path: Path) -> CostModel:
        """A TOML or JSON file with any of the fields (the rest keep their defaults)."""
        try:
            text = path.read_text()
            raw = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        except (OSError, ValueError) as exc:
            raise ThresholdError(f"cannot read costs from {path}: {exc}") from None
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ThresholdError(f"{path}: unknown cost(s) {unknown}; known: {sorted(known)}")
        return cls(**raw)

    def per_action(
        self, fraud: npt.NDArray[np.bool_], amount: npt.NDArray[np.float64]
    ) -> dict[str, npt.NDArray[np.float64]]:
        loss = amount + self.chargeback_fee
        good = ~fraud
        return {
            "approve": np.where(fraud, loss, 0.0),
            "challenge": np.where(
                fraud,
                (1 - self.challenge_fraud_stop) * loss,
                self.challenge_abandonment * self.margin * amount,
            ),
            "review": self.review_cost
            + np.where(
                fraud,
                (1 - self.review_catch_rate) * loss,
                self.review_false_decline * self.margin * amount,
            ),
            "decline": np.where(good, self.margin * amount, 0.0),
        }


@dataclass(frozen=True, slots=True)
class Bands:
    challenge: float
    review: float
    decline: float
    cost: float  # total over the evaluated slice, minor units
    cost_per_day: float
    reviews_per_day: float
    share: dict[str, float]  # share of transactions per action

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _days(times: pd.Series) -> float:
    stamps = pd.to_datetime(times, utc=True)
    return max((stamps.max() - stamps.min()).total_seconds() / 86400.0, 1.0)


def _costs(
    scores: npt.NDArray[np.float64],
    fraud: npt.NDArray[np.int8],
    amount: npt.NDArray[np.float64],
    liability_shift: npt.NDArray[np.bool_] | None,
    costs: CostModel,
) -> dict[str, npt.NDArray[np.float64]]:
    per = costs.per_action(fraud.astype(bool), np.nan_to_num(amount.astype(np.float64)))
    if liability_shift is not None:
        per["challenge"] = np.where(liability_shift, per["approve"], per["challenge"])
    return per


def evaluate_bands(
    scores: npt.NDArray[np.float64],
    fraud: npt.NDArray[np.int8],
    amount: npt.NDArray[np.float64],
    times: pd.Series,
    thresholds: tuple[float, float, float],
    costs: CostModel,
    *,
    liability_shift: npt.NDArray[np.bool_] | None = None,
) -> Bands:
    """The cost of given (challenge, review, decline) thresholds on a labelled slice."""
    challenge, review, decline = thresholds
    per = _costs(scores, fraud, amount, liability_shift, costs)
    action = np.select(
        [scores >= decline, scores >= review, scores >= challenge],
        ["decline", "review", "challenge"],
        default="approve",
    )
    total = float(sum(per[a][action == a].sum() for a in per))
    days = _days(times)
    n = max(len(scores), 1)
    return Bands(
        challenge,
        review,
        decline,
        total,
        total / days,
        float((action == "review").sum()) / days,
        {a: float((action == a).sum()) / n for a in per},
    )


def choose_bands(
    scores: npt.NDArray[np.float64],
    fraud: npt.NDArray[np.int8],
    amount: npt.NDArray[np.float64],
    times: pd.Series,
    costs: CostModel,
    *,
    capacity_per_day: float,
    liability_shift: npt.NDArray[np.bool_] | None = None,
    max_candidates: int = 400,
) -> Bands:
    """The cheapest (challenge <= review <= decline) thresholds within the review capacity."""
    if len(scores) == 0:
        raise ThresholdError("no scored transactions to choose bands on")
    if capacity_per_day < 0:
        raise ThresholdError("the review capacity cannot be negative")
    per = _costs(scores, fraud, amount, liability_shift, costs)
    order = np.argsort(scores, kind="stable")
    ordered = scores[order]
    prefix = {a: np.concatenate([[0.0], np.cumsum(c[order])]) for a, c in per.items()}
    candidates = np.unique(np.round(scores, 4))
    if len(candidates) > max_candidates:
        candidates = np.unique(np.quantile(candidates, np.linspace(0, 1, max_candidates)))
        candidates = np.unique(np.round(candidates, 4))
    grid = np.concatenate([candidates, [NEVER]])
    cuts = np.searchsorted(ordered, grid, side="left")  # rows below each threshold
    n = len(scores)
    days = _days(times)
    # Approve below c, challenge in [c, r): the best c for each r is a prefix minimum.
    approve_minus_challenge = prefix["approve"][cuts] - prefix["challenge"][cuts]
    best_c = np.minimum.accumulate(approve_minus_challenge)
    best_c_index = np.array(
        [int(np.argmin(approve_minus_challenge[: i + 1])) for i in range(len(grid))]
    )
    # Cost of (r, d): best_c[r] + P_ch[r] - P_rev[r] + P_rev[d] - P_dec[d] + P_dec[n].
    left = best_c + prefix["challenge"][cuts] - prefix["review"][cuts]
    right = prefix["review"][cuts] - prefix["decline"][cuts] + prefix["decline"][n]
    total = left[:, None] + right[None, :]
    reviews = (cuts[None, :] - cuts[:, None]) / days
    feasible = (np.arange(len(grid))[:, None] <= np.arange(len(grid))[None, :]) & (
        reviews <= capacity_per_day + 1e-9
    )
    total = np.where(feasible, total, np.inf)
    r, d = np.unravel_index(int(np.argmin(total)), total.shape)
    c = best_c_index[r]
    chosen = (float(grid[c]), float(grid[r]), float(grid[d]))
    return evaluate_bands(
        scores, fraud, amount, times, chosen, costs, liability_shift=liability_shift
    )


_RULE_IDS = {"challenge": "score_challenge", "review": "score_review", "decline": "score_decline"}
_WORDS = {
    "challenge": "ask for 3-D Secure",
    "review": "hold for an analyst",
    "decline": "decline",
}
_SCORE_TERM = re.compile(r"score\s*>=\s*[0-9]*\.?[0-9]+")


def _percent(value: float) -> str:
    return "never (band disabled)" if value > 1 else f"{value * 100:g} % or more"


def write_score_bands(
    source: Path, bands: Bands, out: Path, *, version_suffix: str = "bands"
) -> Path:
    """Copy the rule file ``source`` to ``out`` with the three score-band thresholds replaced.

    Only the ``score >= …`` term of the rules ``score_challenge``, ``score_review`` and
    ``score_decline`` and their descriptions change (other conditions such as ``not
    liability_shift`` stay); the version gets ``+<version_suffix>``.
    """
    lines = source.read_text().splitlines(keepends=True)
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line.strip() == "[[rule]]":
            blocks.append([])
        blocks[-1].append(line)
    seen: set[str] = set()
    for block in blocks[1:]:
        text = "".join(block)
        found = re.search(r'^id\s*=\s*"([^"]+)"', text, flags=re.MULTILINE)
        band = next((b for b, rid in _RULE_IDS.items() if found and found.group(1) == rid), None)
        if band is None:
            continue
        value = float(getattr(bands, band))
        for index, line in enumerate(block):
            if line.lstrip().startswith("when"):
                if not _SCORE_TERM.search(line):
                    raise ThresholdError(
                        f"{source}: rule {_RULE_IDS[band]} has no 'score >= …' term to set"
                    )
                block[index] = _SCORE_TERM.sub(f"score >= {value:.4f}", line, count=1)
            elif line.lstrip().startswith("description"):
                block[index] = (
                    f"description = \"The model's fraud probability is {_percent(value)}: "
                    f'{_WORDS[band]} (cost-optimised band)."\n'
                )
        seen.add(band)
    missing = sorted(set(_RULE_IDS) - seen)
    if missing:
        raise ThresholdError(
            f"{source} has no rule(s) {[_RULE_IDS[m] for m in missing]}; start from "
            "rules/packs/default.toml"
        )
    head = "".join(blocks[0])
    head = re.sub(
        r'^(version\s*=\s*")([^"]*)(")',
        lambda m: f"{m.group(1)}{m.group(2).split('+')[0]}+{version_suffix}{m.group(3)}",
        head,
        count=1,
        flags=re.MULTILINE,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(head + "".join("".join(b) for b in blocks[1:]))
    return out
