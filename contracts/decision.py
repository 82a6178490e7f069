"""The decision: what the engine answers for every transaction."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.sca import ScaExemption

__all__ = [
    "ACTIONS",
    "ACTION_SEVERITY",
    "DECISION_SCHEMA_VERSION",
    "Action",
    "Decision",
    "DecisionMode",
    "FeatureValue",
    "Reason",
    "RuleHit",
]

DECISION_SCHEMA_VERSION: Literal[1] = 1

Action = Literal["approve", "challenge", "review", "decline"]
ACTIONS: tuple[Action, ...] = ("approve", "challenge", "review", "decline")
# Block beats review beats challenge beats approve.
ACTION_SEVERITY: dict[Action, int] = {"approve": 0, "challenge": 1, "review": 2, "decline": 3}

# full: features, rules and model all ran. rules_only: no model is loaded yet.
# degraded: a dependency was down and the fail-open / fail-closed policy decided.
DecisionMode = Literal["full", "rules_only", "degraded"]

FeatureValue = float | int | str | bool | None


class RuleHit(BaseModel):
    """A rule whose condition held for this transaction."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule_id: str
    action: Action
    reason_code: str
    shadow: bool = False  # shadow rules are recorded, never acted on


class Reason(BaseModel):
    """Why the engine decided as it did, in words an analyst can read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    text: str
    source: Literal["rule", "model", "list", "system"]
    feature: str | None = None
    contribution: float | None = None


class Decision(BaseModel):
    """The engine's answer for one transaction, schema version 1."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = DECISION_SCHEMA_VERSION
    transaction_id: str
    merchant_id: str
    customer_id: str | None = None
    amount: int
    currency: str
    card_brand: str
    card_bin: str
    card_last4: str
    card_country: str
    card_fingerprint: str
    # Hashed or opaque identifiers (never personal data in clear): what an analyst
    # blocks from a case, and what the card's history is joined on.
    email_hash: str | None = None
    device_id: str | None = None
    ip_country: str | None = None
    channel: str
    event_time: AwareDatetime
    action: Action
    score: Annotated[float, Field(ge=0.0, le=1.0)] | None
    model_version: str | None
    challenger_score: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    challenger_version: str | None = None
    rule_set_version: str
    rule_hits: tuple[RuleHit, ...] = ()
    reasons: tuple[Reason, ...] = ()
    features: dict[str, FeatureValue] = Field(default_factory=dict)
    mode: DecisionMode = "full"
    # PSD2 SCA advice (a TRA exemption or a 3-D Secure challenge) when the deployment
    # sets RISKSTREAM_SCA_ACQUIRER_COUNTRY; its reason is also among ``reasons``.
    sca: ScaExemption | None = None
    latency_ms: Annotated[float, Field(ge=0.0)]
    decided_at: AwareDatetime
