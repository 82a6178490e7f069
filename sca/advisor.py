"""SCA advice for a whole scored batch, as the scoring core would ask for it.

::

    advisor = ScaAdvisor.from_settings(settings)           # once, at the edge
    advice = advisor.advise_batch(events, actions)         # per batch, after the policy
    # decision["sca"] = advice[i].record(); a TRA exemption also becomes a reason

Amounts are converted to EUR for the whole batch at once; the measured rates are
re-read from the monitoring workers' file at most every ``poll_interval_s``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from contracts import Settings, TransactionEvent
from features.money import RatesTable
from sca.advice import ScaAdvice, advise
from sca.rates import RatesFile, rates_path

__all__ = ["ScaAdvisor"]


class ScaAdvisor:
    """Advice per payment from the measured rates (``RatesFile``) and the deployment."""

    def __init__(
        self, rates: RatesFile, *, acquirer_country: str | None, eur: RatesTable | None = None
    ) -> None:
        self.rates = rates
        self.acquirer_country = acquirer_country
        self.eur = eur or RatesTable.from_mapping(base="EUR")

    @classmethod
    def from_settings(cls, settings: Settings, *, poll_interval_s: float = 30.0) -> ScaAdvisor:
        return cls(
            RatesFile(rates_path(settings.data_dir), poll_interval_s=poll_interval_s),
            acquirer_country=settings.sca_acquirer_country,
        )

    def advise_batch(
        self, events: Sequence[TransactionEvent], actions: Sequence[str]
    ) -> list[ScaAdvice]:
        """One advice per event, given the action the policy decided for it."""
        rates = self.rates.get()
        amounts = self.eur.to_base(
            np.array([float(e.amount) for e in events]),
            np.array([e.currency for e in events], dtype=object),
        )
        return [
            advise(
                channel=event.channel.value,
                card_country=event.card.country,
                amount=event.amount,
                currency=event.currency,
                action=action,
                merchant_id=event.merchant_id,
                rates=rates,
                acquirer_country=self.acquirer_country,
                eur=self.eur,
                amount_eur=None if eur_amount != eur_amount else int(eur_amount),
            )
            for event, action, eur_amount in zip(events, actions, amounts.tolist(), strict=True)
        ]
