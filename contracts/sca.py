"""Strong customer authentication advice as a decision carries it (PSD2 TRA exemption)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["ScaExemption", "ScaOutcome"]

# out_of_scope: SCA does not apply (acquirer or issuer outside the EEA, not a customer-
# initiated remote payment); not_applicable: declined; challenge: authenticate with
# 3-D Secure; tra_exemption: the transaction-risk-analysis exemption may be requested.
ScaOutcome = Literal["out_of_scope", "not_applicable", "challenge", "tra_exemption"]


class ScaExemption(BaseModel):
    """What to do about SCA for this payment, and the reason code behind it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    outcome: ScaOutcome
    exemption: Literal["tra"] | None = None
    reason_code: str
    reference_bps: float | None = None  # the amount band's reference fraud rate
    measured_bps: float | None = None  # the 90-day fraud rate it was compared with
