"""Benchmark: the compiled columnar evaluator against the row-at-a-time interpreter.

``bench()`` builds a synthetic batch of card authorizations and a realistic rule file (the
one below, 16 rules), checks that both evaluators agree on every row, and returns rows per
second for each. Run it with ``python -m rules.lang.bench [rows]``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping

import numpy as np

from rules.lang.batch import ColumnBatch
from rules.lang.interpreter import interpret
from rules.lang.lists import InMemoryLists
from rules.lang.loader import load_ruleset
from rules.lang.symbols import BOOL, NUMBER, STRING, SymbolType

__all__ = ["BENCH_RULES", "BENCH_SYMBOLS", "bench", "synthetic_rows"]

BENCH_SYMBOLS: Mapping[str, SymbolType] = {
    "amount": NUMBER,
    "amount_avg_30d": NUMBER,
    "card_amount_sum_24h": NUMBER,
    "card_count_1h": NUMBER,
    "card_count_24h": NUMBER,
    "device_count_24h": NUMBER,
    "ip_count_1h": NUMBER,
    "customer_age_days": NUMBER,
    "score": NUMBER,
    "card_country": STRING,
    "ip_country": STRING,
    "avs_result": STRING,
    "cvv_result": STRING,
    "three_ds": STRING,
    "card_bin": STRING,
    "card_fingerprint": STRING,
    "email": STRING,
    "is_prepaid": BOOL,
    "is_new_card": BOOL,
}

BENCH_RULES = """
version = "bench-1"

[[rule]]
id = "blocked_card"
when = "in_list('blocked_cards', card_fingerprint)"
action = "decline"
priority = 1000
reason = "card_blocklisted"
description = "The card fingerprint is on the block list."

[[rule]]
id = "blocked_email"
when = "in_list('blocked_emails', email)"
action = "decline"
priority = 990
reason = "email_blocklisted"
description = "The email address is on the block list."

[[rule]]
id = "very_high_score"
when = "score >= 0.92"
action = "decline"
priority = 900
reason = "model_high_risk"
description = "The model is almost sure this is fraud."

[[rule]]
id = "three_ds_failed_large"
when = "three_ds == 'failed' and amount > 10000"
action = "decline"
priority = 850
reason = "three_ds_failed"
description = "3-D Secure failed on a large amount."

[[rule]]
id = "avs_and_cvv_mismatch"
when = "avs_result in ['no_match', 'unavailable'] and cvv_result == 'N'"
action = "decline"
priority = 800
reason = "avs_cvv_mismatch"
description = "Neither the address nor the CVV matched."

[[rule]]
id = "card_velocity"
when = "card_count_1h >= 5 or card_count_24h > 20"
action = "review"
priority = 700
reason = "card_velocity"
description = "Too many attempts on one card."

[[rule]]
id = "high_score_high_amount"
when = "score >= 0.7 and amount > 50000"
action = "review"
priority = 650
reason = "model_risk_amount"
description = "Risky by the model and a large amount."

[[rule]]
id = "geo_mismatch_large"
when = "card_country != ip_country and amount > 20000 and ip_country not in ['US', 'CA', 'GB']"
action = "challenge"
priority = 600
reason = "geo_mismatch"
description = "Card and IP in different countries on a large amount."

[[rule]]
id = "prepaid_large"
when = "is_prepaid and amount >= 100000"
action = "review"
priority = 550
reason = "prepaid_large"
description = "Large amount on a prepaid card."

[[rule]]
id = "new_card_spike"
when = "is_new_card and amount > max(amount_avg_30d * 3, 50000)"
action = "challenge"
priority = 500
reason = "new_card_spike"
description = "A new card spending far above the customer's usual."

[[rule]]
id = "amount_spike"
when = "not is_null(amount_avg_30d) and amount / amount_avg_30d > 10"
action = "review"
priority = 450
reason = "amount_spike"
description = "Ten times the customer's 30-day average."

[[rule]]
id = "risky_bin"
when = "starts_with(card_bin, '457173') or starts_with(card_bin, '510510')"
action = "challenge"
priority = 400
reason = "risky_bin"
description = "BIN ranges with a recent fraud wave."

[[rule]]
id = "device_farm"
when = "device_count_24h >= 4 and ip_count_1h > 10"
action = "review"
priority = 350
reason = "device_farm"
description = "Many devices and attempts from one IP."

[[rule]]
id = "no_model_large"
when = "is_null(score) and amount > 200000"
action = "review"
priority = 300
reason = "no_model_large"
description = "No model score and a very large amount."

[[rule]]
id = "young_customer_daily_sum"
when = "customer_age_days < 2 and card_amount_sum_24h + amount > 150000"
action = "challenge"
priority = 250
reason = "young_customer_sum"
description = "A brand-new customer spending a lot in a day."

[[rule]]
id = "shadow_round_amounts"
when = "abs(amount - min(card_amount_sum_24h, amount)) < 1 and amount >= 100000"
action = "review"
priority = 100
reason = "round_amount"
description = "Trial: large amounts equal to the day's sum."
shadow = true
"""

_COUNTRIES = ["US", "CA", "GB", "DE", "FR", "BR", "NG", "IN"]
_AVS = ["match", "postal_only", "street_only", "no_match", "unavailable", "not_checked"]
_CVV = ["M", "N", "P", "S", "U", "X"]
_THREE_DS = ["authenticated", "attempted", "failed", "not_enrolled", "not_requested"]
_BINS = ["457173", "510510", "424242", "555555", "378282", "411111", "601100", "353011"]
_BIN_WEIGHTS = [0.02, 0.02, 0.2, 0.2, 0.14, 0.2, 0.11, 0.11]


def synthetic_rows(count: int, seed: int = 0) -> list[dict[str, object]]:
    """``count`` plausible feature rows, about 5% of each value null."""
    rng = np.random.default_rng(seed)

    def maybe(value: object) -> object:
        return None if rng.random() < 0.05 else value

    rows: list[dict[str, object]] = []
    for i in range(count):
        # Amounts in minor units, log-normal around 50.00; the card's usual spend likewise.
        amount = int(min(2_000_000, max(50, rng.lognormal(8.5, 1.2))))
        card_country = str(rng.choice(_COUNTRIES))
        ip_country = card_country if rng.random() < 0.9 else str(rng.choice(_COUNTRIES))
        rows.append(
            {
                "amount": amount,
                "amount_avg_30d": maybe(float(int(rng.lognormal(8.5, 0.8)))),
                "card_amount_sum_24h": maybe(float(int(rng.lognormal(9.0, 1.0)))),
                "card_count_1h": maybe(int(rng.poisson(0.5))),
                "card_count_24h": maybe(int(rng.poisson(3.0))),
                "device_count_24h": maybe(int(rng.poisson(0.8))),
                "ip_count_1h": maybe(int(rng.poisson(2.0))),
                "customer_age_days": maybe(int(rng.integers(0, 2000))),
                "score": None if rng.random() < 0.1 else float(rng.beta(1.2, 8.0)),
                "card_country": maybe(card_country),
                "ip_country": maybe(ip_country),
                "avs_result": maybe(str(rng.choice(_AVS, p=[0.6, 0.1, 0.05, 0.1, 0.1, 0.05]))),
                "cvv_result": maybe(str(rng.choice(_CVV, p=[0.85, 0.05, 0.02, 0.02, 0.02, 0.04]))),
                "three_ds": maybe(str(rng.choice(_THREE_DS, p=[0.5, 0.2, 0.05, 0.1, 0.15]))),
                "card_bin": maybe(str(rng.choice(_BINS, p=_BIN_WEIGHTS))),
                "card_fingerprint": f"fp_{int(rng.integers(0, 5000)):06d}",
                "email": maybe(f"user{i % 700}@example.com"),
                "is_prepaid": maybe(bool(rng.random() < 0.1)),
                "is_new_card": maybe(bool(rng.random() < 0.2)),
            }
        )
    return rows


def _best(repeat: int, timer: Callable[[], float], run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = timer()
        run()
        best = min(best, timer() - start)
    return best


def bench(
    rows: int = 1000,
    *,
    repeat: int = 5,
    seed: int = 0,
    timer: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Rows per second of both evaluators on the same batch (best of ``repeat`` runs).

    Returns a dict with ``rows``, ``rules``, ``interpreted_rows_per_s``,
    ``compiled_rows_per_s`` (evaluation of a ready ``ColumnBatch``),
    ``compiled_incl_batch_build_rows_per_s`` (also building the batch from row dicts) and
    ``speedup`` (compiled / interpreted).
    """
    ruleset = load_ruleset(BENCH_RULES, BENCH_SYMBOLS)
    data = synthetic_rows(rows, seed)
    lists = InMemoryLists(
        {
            "blocked_cards": [f"fp_{i:06d}" for i in range(0, 5000, 97)],
            "blocked_emails": [f"user{i}@example.com" for i in range(0, 700, 31)],
        }
    )
    batch = ColumnBatch.from_rows(data, BENCH_SYMBOLS)
    conditions = [rule.condition for rule in ruleset.rules]

    def interpreted() -> list[list[bool]]:
        return [[interpret(c, row, lists) is True for c in conditions] for row in data]

    def compiled() -> dict[str, object]:
        return dict(ruleset.evaluate(batch, lists))

    def compiled_with_build() -> dict[str, object]:
        return dict(ruleset.evaluate(ColumnBatch.from_rows(data, BENCH_SYMBOLS), lists))

    expected = np.array(interpreted(), dtype=np.bool_).reshape(rows, len(conditions))
    hits = ruleset.evaluate(batch, lists)
    got = np.column_stack([hits[rule.id] for rule in ruleset.rules]).reshape(rows, -1)
    if not np.array_equal(expected, got):  # pragma: no cover - the property tests guard this
        raise RuntimeError("compiled and interpreted evaluators disagree")

    t_interp = _best(repeat, timer, interpreted)
    t_compiled = _best(repeat, timer, compiled)
    t_build = _best(repeat, timer, compiled_with_build)
    return {
        "rows": float(rows),
        "rules": float(len(ruleset)),
        "hit_rate": float(got.any(axis=1).mean()) if rows else 0.0,
        "interpreted_rows_per_s": rows / t_interp,
        "compiled_rows_per_s": rows / t_compiled,
        "compiled_incl_batch_build_rows_per_s": rows / t_build,
        "speedup": t_interp / t_compiled,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    rows = int(args[0]) if args else 1000
    print(json.dumps(bench(rows), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
