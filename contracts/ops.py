"""Operational alerts on the ``alerts.ops`` topic, such as an automatic rollback."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = ["RolloutAlert", "RolloutComponent"]

RolloutComponent = Literal["model", "rules"]


class RolloutAlert(BaseModel):
    """The rollout guard saw a new model or rule set move the decision mix too far.

    ``alert_type`` says what it did about it: ``rollout_rolled_back`` (the previous
    version serves again) or ``rollout_rollback_failed`` (a person must act).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    alert_type: Literal["rollout_rolled_back", "rollout_rollback_failed"]
    alert_id: str = Field(min_length=1, max_length=64)
    component: RolloutComponent
    bad_version: str
    restored_version: str | None
    reasons: tuple[str, ...]  # e.g. "decline share 100.0 % vs 3.1 % before (bound 10 points)"
    observed: dict[str, float]  # the window's numbers: shares, counts, latency
    baseline: dict[str, float]
    window_s: float
    change_seen_at: AwareDatetime
    detected_at: AwareDatetime
