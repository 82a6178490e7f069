"""Merchant-centred fraud: points of compromise and merchants under attack.

* ``point_of_compromise``: a skimmer (in store) or an e-skimming script (online) sits at
  a popular merchant for a while; cards used there in that window are harvested and
  about 60 % are cashed out elsewhere days to weeks later, a third of those in person
  abroad with a cloned card. The merchant's own transactions stay legitimate: the
  signal is in the later chargebacks of cards that share it.
* ``merchant_fraud``: for one to three days a small merchant takes a wave of
  fraudulent orders from one ring (few IPs and devices, many stolen cards, high amounts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random
from typing import Final

from contracts.events import AvsResult, CvvResult
from simulator.catalog import CategoryName
from simulator.config import PatternName
from simulator.draft import Draft
from simulator.fraud.base import Episode, FraudContext, Outcome
from simulator.fraud.cashout import StolenCard
from simulator.ids import new_id
from simulator.population import Merchant
from simulator.sampling import Choice, clipped_lognormal

__all__ = ["MerchantFraud", "PointOfCompromise"]

_DAY_MS: Final = 86_400_000
_HARVEST_MEAN: Final = 8.0  # cards harvested per compromise
_CASH_OUT_SHARE: Final = 0.6  # of harvested cards later spent
_COUNTERFEIT_SHARE: Final = 0.3
_BACKLOG_DAYS: Final = 45  # the longest harvest window plus the longest delay

_SKIMMED: Final[tuple[CategoryName, ...]] = ("groceries", "restaurants", "fuel")
_E_SKIMMED: Final[tuple[CategoryName, ...]] = ("fashion", "marketplace", "electronics")
_ATTACKED: Final[tuple[CategoryName, ...]] = (
    "electronics",
    "digital_goods",
    "gaming",
    "gift_cards",
    "marketplace",
)
_AVS_RING = Choice(
    ((AvsResult.MATCH, 0.4), (AvsResult.NO_MATCH, 0.3), (AvsResult.UNAVAILABLE, 0.3))
)
_CVV_RING = Choice(
    ((CvvResult.MATCH, 0.6), (CvvResult.NO_MATCH, 0.15), (CvvResult.NOT_PROVIDED, 0.25))
)


@dataclass(slots=True)
class _Harvest:
    merchant_id: str
    episode_id: str
    start_ms: int
    until_ms: int
    remaining: int
    taken: set[int] = field(default_factory=set)


@dataclass(slots=True)
class PointOfCompromise:
    """Harvests cards at a merchant, then spends them elsewhere. Stateful per run."""

    ctx: FraudContext
    name: PatternName = "point_of_compromise"
    _harvests: list[_Harvest] = field(default_factory=list)

    @property
    def mean_transactions(self) -> float:
        per_card = (1 - _COUNTERFEIT_SHARE) * 4.8 + _COUNTERFEIT_SHARE * 2.5
        return _HARVEST_MEAN * _CASH_OUT_SHARE * per_card

    @property
    def _cash_out(self) -> StolenCard:
        return StolenCard(self.ctx, name=self.name, counterfeit_share=_COUNTERFEIT_SHARE)

    def materialize(self, episode: Episode, rng: Random) -> Outcome:
        if episode.card is not None:  # a harvested card being spent
            return self._cash_out.materialize(episode, rng)
        merchant = self._target(rng)
        if merchant is not None:
            window = rng.randint(3, 14) * _DAY_MS
            self._harvests.append(
                _Harvest(
                    merchant.merchant_id,
                    episode.episode_id,
                    episode.start_ms,
                    episode.start_ms + window,
                    rng.randint(4, 12),
                )
            )
        return Outcome()

    def backlog(self, start_ms: int, interval_days: float, rng: Random) -> list[Episode]:
        """Cash-outs still to come from compromises before the simulation started.

        Without them the first weeks would see no point-of-compromise fraud at all;
        with them the run starts in a steady state. Cards are drawn from the regular
        customers of each earlier compromised merchant.
        """
        follow_ups: list[Episode] = []
        interval = interval_days * _DAY_MS
        cards_of = self.ctx.population.customers
        slot = 1
        while (slot - 1) * interval < _BACKLOG_DAYS * _DAY_MS:
            compromised_at = start_ms - round((slot - rng.uniform(0.05, 0.95)) * interval)
            slot += 1
            merchant = self._target(rng)
            if merchant is None:
                continue
            regulars = [
                card
                for customer in cards_of
                if merchant.index in customer.favorites
                for card in customer.cards
            ]
            window = rng.randint(3, 14) * _DAY_MS
            for card_index in rng.sample(regulars, min(len(regulars), rng.randint(4, 12))):
                if rng.random() >= _CASH_OUT_SHARE:
                    continue
                visit = compromised_at + rng.randrange(window)
                begins = visit + self._delay_ms(rng)
                if begins >= start_ms:
                    episode_id = self.ctx.episode_id(self.name)
                    follow_ups.append(Episode(self.name, episode_id, begins, card=card_index))
        return follow_ups

    @staticmethod
    def _delay_ms(rng: Random) -> int:
        """Dumps are sold and used within days to a few weeks."""
        return round(clipped_lognormal(rng, 6.0, 0.6, 1.0, 30.0) * _DAY_MS)

    def _target(self, rng: Random) -> Merchant | None:
        """A popular merchant: a skimmer in store or a script on the checkout page."""
        categories = _SKIMMED if rng.random() < 0.5 else _E_SKIMMED
        pools = [p for c in categories if (p := self.ctx.population.by_category[c])]
        if not pools:
            return None
        return self.ctx.merchant(rng.choice(pools).pick(rng))

    def observe(self, drafts: list[Draft], rng: Random, day_end_ms: int) -> list[Episode]:
        """Harvest cards from a day's legitimate drafts; schedule their cash-outs."""
        follow_ups: list[Episode] = []
        if not self._harvests:
            return follow_ups
        active = {h.merchant_id: h for h in self._harvests}
        seen = sorted(
            (d for d in drafts if d.merchant_id in active and d.pattern is None),
            key=lambda d: (d.ts_ms, d.transaction_id),
        )
        for draft in seen:
            harvest = active[draft.merchant_id]
            card_index = self.ctx.card_by_fingerprint.get(draft.card.fingerprint)
            if (
                card_index is None
                or harvest.remaining <= 0
                or not harvest.start_ms <= draft.ts_ms < harvest.until_ms
                or card_index in harvest.taken
            ):
                continue
            harvest.taken.add(card_index)
            harvest.remaining -= 1
            if rng.random() < _CASH_OUT_SHARE:
                begins = draft.ts_ms + self._delay_ms(rng)
                episode_id = self.ctx.episode_id(self.name)
                follow_ups.append(Episode(self.name, episode_id, begins, card=card_index))
        self._harvests = [h for h in self._harvests if h.remaining > 0 and h.until_ms > day_end_ms]
        return follow_ups


@dataclass(frozen=True, slots=True)
class MerchantFraud:
    """A wave of fraudulent orders at one small merchant over one to three days."""

    ctx: FraudContext
    name: PatternName = "merchant_fraud"
    mean_transactions: float = 25.0

    def materialize(self, episode: Episode, rng: Random) -> Outcome:
        ctx = self.ctx
        merchant = ctx.pick_merchant(rng, _ATTACKED)
        origins = [ctx.origin(rng) for _ in range(rng.randint(1, 2))]
        ring = [
            (ctx.ip(rng, country, 0.5), country.code)
            for country in (rng.choice(origins) for _ in range(rng.randint(2, 5)))
        ]
        devices = [ctx.new_device(rng) for _ in range(rng.randint(2, 4))]
        drops = [
            (rng.choice((origins[0].code, "US")), ctx.new_postal(rng))
            for _ in range(rng.randint(1, 2))
        ]
        period = rng.uniform(1.0, 3.0) * _DAY_MS
        n = rng.randint(15, 35)
        times = sorted(episode.start_ms + round(rng.random() * period) for _ in range(n))
        cards = ctx.population.cards
        drafts: list[Draft] = []
        for ts in times:
            if rng.random() < 0.2:
                attributes = cards[rng.randrange(len(cards))].attributes
            else:
                attributes = ctx.external_card(rng)
            draft = ctx.draft(
                rng, episode, ts, merchant, attributes, new_id(rng, "pm_", 24),
                amount=merchant.draw_amount(rng, scale=rng.uniform(2.0, 5.0)),
            )  # fmt: skip
            draft.ip, draft.ip_country = rng.choice(ring)
            draft.device_id = rng.choice(devices)
            draft.email_hash = ctx.new_email(rng)
            draft.billing_country = attributes.country
            draft.billing_postal_hash = ctx.new_postal(rng)
            draft.avs = _AVS_RING.draw(rng)
            draft.cvv = _CVV_RING.draw(rng)
            draft.three_ds = ctx.three_ds(rng, attributes, merchant)
            if merchant.category.physical:
                draft.shipping_country, draft.shipping_postal_hash = rng.choice(drops)
            draft.label = ctx.labels.fraud(rng, draft)
            drafts.append(draft)
        return Outcome(drafts)
