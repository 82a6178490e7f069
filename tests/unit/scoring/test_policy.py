"""Decision semantics: allow overrides, decline > review > challenge, shadow never acts."""

from __future__ import annotations

import numpy as np
import pytest

from rules import Policy, load_ruleset, symbol_table
from rules.lang import InMemoryLists

SYMBOLS = {"amount": "number", "score": "number", "card_fingerprint": "string"}

RULES = """
version = "t1"

[[rule]]
id = "allow_vip"
when = "in_list('allowed_cards', card_fingerprint)"
action = "approve"
priority = 100
reason = "allowlisted"
description = "VIP"

[[rule]]
id = "big"
when = "amount >= 1000"
action = "review"
priority = 50
reason = "big_amount"
description = "big"

[[rule]]
id = "huge"
when = "amount >= 5000"
action = "decline"
priority = 40
reason = "huge_amount"
description = "huge"

[[rule]]
id = "risky"
when = "score >= 0.5"
action = "challenge"
priority = 30
reason = "score"
description = "risky"

[[rule]]
id = "experiment"
when = "amount >= 10"
action = "decline"
priority = 20
reason = "experiment"
description = "shadow"
shadow = true
"""


@pytest.fixture
def policy() -> Policy:
    return Policy(load_ruleset(RULES, symbol_table(SYMBOLS)), SYMBOLS)


def _decide(policy: Policy, amount: list[float], score: list[float], cards: list[str]):
    columns = {
        "amount": np.array(amount),
        "score": np.array(score),
        "card_fingerprint": np.array(cards, dtype=object),
    }
    batch = policy.batch(columns, len(amount))
    return policy.decide(batch, InMemoryLists({"allowed_cards": {"fpVIP"}}))


def test_outcomes(policy: Policy) -> None:
    outcomes = _decide(
        policy,
        amount=[5, 20, 2000, 6000, 6000, 20],
        score=[0.1, 0.9, 0.9, np.nan, 0.0, np.nan],
        cards=["fpA", "fpB", "fpC", "fpD", "fpVIP", "fpE"],
    )
    actions = [o.action for o in outcomes]
    assert actions == ["approve", "challenge", "review", "decline", "approve", "approve"]
    # shadow hits are recorded but never decide
    assert [h.rule_id for h in outcomes[5].hits] == ["experiment"]
    assert outcomes[5].deciding is None
    assert outcomes[3].deciding is not None and outcomes[3].deciding.rule_id == "huge"
    assert outcomes[4].deciding is not None and outcomes[4].deciding.rule_id == "allow_vip"
    # a null score (no model) never fires a score band
    assert "risky" not in {h.rule_id for h in outcomes[3].hits}


def test_batch_converts_only_the_symbols_the_rules_read() -> None:
    symbols = {**SYMBOLS, "unused_feature": "number", "unused_text": "string"}
    policy = Policy(load_ruleset(RULES, symbol_table(symbols)), symbols)
    columns = {
        "amount": np.array([2000.0]),
        "score": np.array([0.1]),
        "card_fingerprint": np.array(["fpA"], dtype=object),
        "unused_feature": np.array([1.0]),
        "unused_text": np.array(["x"], dtype=object),
    }
    batch = policy.batch(columns, 1)
    assert set(batch.columns) == {"amount", "score", "card_fingerprint"}
    outcome = policy.decide(batch, InMemoryLists({"allowed_cards": set()}))[0]
    assert outcome.action == "review"
