"""Enumeration fraud: card testing and BIN attacks.

Both are bursts of cheap attempts at one merchant within minutes. Card testing checks a
list of stolen cards (many BINs) from one IP or a few, often one device; a BIN attack
guesses cards inside one BIN from a botnet (many IPs, fresh devices). Zero-amount
``card_check`` attempts and failing CVV/AVS are common. Population cards caught in a
burst and found valid (CVV match) are cashed out days later.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import Final

from contracts.events import AvsResult, CardAttributes, CvvResult, ThreeDSResult
from simulator.config import PatternName
from simulator.draft import Draft
from simulator.fraud.base import MINUTE_MS, Episode, FraudContext, Outcome
from simulator.ids import new_id
from simulator.sampling import Choice

__all__ = ["BinAttack", "CardTesting"]

_DAY_MS: Final = 86_400_000

_CVV_TEST = Choice(
    (
        (CvvResult.NO_MATCH, 0.45),
        (CvvResult.MATCH, 0.3),
        (CvvResult.ISSUER_UNREGISTERED, 0.05),
        (CvvResult.NOT_PROCESSED, 0.05),
        (CvvResult.NOT_PROVIDED, 0.15),
    )
)
_AVS_TEST = Choice(
    (
        (AvsResult.NO_MATCH, 0.4),
        (AvsResult.UNAVAILABLE, 0.3),
        (AvsResult.POSTAL_ONLY, 0.1),
        (AvsResult.MATCH, 0.2),
    )
)
_THREE_DS_TEST = Choice(
    (
        (ThreeDSResult.NOT_REQUESTED, 0.9),
        (ThreeDSResult.NOT_ENROLLED, 0.05),
        (ThreeDSResult.FAILED, 0.05),
    )
)
_TRIES = Choice(((1, 0.75), (2, 0.2), (3, 0.05)))

_TESTING_CATEGORIES: Final = ("digital_goods", "charity", "gaming", "subscriptions")
_BIN_ATTACK_CATEGORIES: Final = ("digital_goods", "gaming", "marketplace", "charity", "gift_cards")


def _cash_out_later(
    ctx: FraudContext, rng: Random, draft: Draft, card_index: int | None, chance: float
) -> Episode | None:
    """A valid population card found by a tester is spent 1-10 days later."""
    if card_index is None or draft.cvv is not CvvResult.MATCH or rng.random() >= chance:
        return None
    start = draft.ts_ms + rng.randrange(_DAY_MS, 10 * _DAY_MS)
    return Episode("stolen_card", ctx.episode_id("stolen_card"), start, card=card_index)


def _fill_attempt(
    ctx: FraudContext,
    rng: Random,
    draft: Draft,
    *,
    zero: bool,
    billing_share: float,
    origin_code: str,
) -> None:
    if zero:
        draft.kind = "card_check"
        draft.amount = 0
    if rng.random() < billing_share:
        draft.billing_country = draft.card.country if rng.random() < 0.6 else origin_code
        draft.billing_postal_hash = ctx.new_postal(rng)
        draft.avs = _AVS_TEST.draw(rng)
    draft.cvv = _CVV_TEST.draw(rng)
    draft.three_ds = _THREE_DS_TEST.draw(rng)


@dataclass(frozen=True, slots=True)
class CardTesting:
    """Many cards, one merchant, one IP (or a few), minutes."""

    ctx: FraudContext
    name: PatternName = "card_testing"
    mean_transactions: float = 28.5 * 1.3
    population_share: float = 0.15  # of tested cards that are ours (the rest: dumps)

    def materialize(self, episode: Episode, rng: Random) -> Outcome:
        ctx = self.ctx
        outcome = Outcome()
        merchant = ctx.pick_merchant(rng, _TESTING_CATEGORIES)
        origin = ctx.origin(rng)
        ips = [ctx.ip(rng, origin, 0.8) for _ in range(1 if rng.random() < 0.6 else 3)]
        device = ctx.new_device(rng) if rng.random() < 0.7 else None
        customer_id = new_id(rng, "cus_", 14) if rng.random() < 0.2 else None
        email = ctx.new_email(rng) if rng.random() < 0.5 else None
        zero = rng.random() < 0.5
        n_cards = rng.randint(12, 45)
        step = rng.uniform(2, 20) * MINUTE_MS / (n_cards * 1.3)
        ts = episode.start_ms
        cards = ctx.population.cards
        for _ in range(n_cards):
            card_index: int | None = None
            attributes: CardAttributes
            if rng.random() < self.population_share:
                card_index = rng.randrange(len(cards))
                attributes = cards[card_index].attributes
            else:
                attributes = ctx.external_card(rng)
            payment_method = new_id(rng, "pm_", 24)
            for _ in range(_TRIES.draw(rng)):
                ts += 200 + int(rng.expovariate(1 / step))
                amount = ctx.tiny_amount(rng, merchant)
                draft = ctx.draft(
                    rng, episode, ts, merchant, attributes, payment_method, amount=amount
                )
                _fill_attempt(
                    ctx, rng, draft, zero=zero, billing_share=0.8, origin_code=origin.code
                )
                draft.customer_id = customer_id
                draft.email_hash = email or ctx.new_email(rng)
                draft.ip = rng.choice(ips)
                draft.ip_country = origin.code
                draft.device_id = device or ctx.new_device(rng)
                draft.label = ctx.labels.fraud(rng, draft, testing=True)
                outcome.drafts.append(draft)
                follow_up = _cash_out_later(ctx, rng, draft, card_index, 0.7)
                if follow_up is not None:
                    outcome.follow_ups.append(follow_up)
                    card_index = None  # one cash-out per card is enough
        return outcome


@dataclass(frozen=True, slots=True)
class BinAttack:
    """Many guessed cards of one BIN, one merchant, a botnet of IPs, minutes."""

    ctx: FraudContext
    name: PatternName = "bin_attack"
    mean_transactions: float = 47.5

    def materialize(self, episode: Episode, rng: Random) -> Outcome:
        ctx = self.ctx
        outcome = Outcome()
        bins = ctx.population.bins
        # Debit and prepaid ranges are the favourite targets.
        row = rng.choices(bins, weights=[1 if b.funding.value == "credit" else 2 for b in bins])[0]
        merchant = ctx.pick_merchant(rng, _BIN_ATTACK_CATEGORIES)
        origins = [ctx.origin(rng) for _ in range(rng.randint(2, 6))]
        ips = []
        for _ in range(rng.randint(3, 20)):
            country = rng.choice(origins)
            ips.append((ctx.ip(rng, country, 0.3), country.code))
        zero = rng.random() < 0.4
        n = rng.randint(25, 70)
        step = rng.uniform(3, 30) * MINUTE_MS / n
        # Population cards in this range that the guessing happens to hit.
        ours = [i for i in ctx.population.cards_by_bin.get(row.bin, ()) if rng.random() < 0.5][:3]
        slots = {rng.randrange(n): i for i in ours}
        cards = ctx.population.cards
        ts = episode.start_ms
        for position in range(n):
            card_index = slots.get(position)
            attributes = (
                cards[card_index].attributes
                if card_index is not None
                else ctx.external_card(rng, row)
            )
            ts += 100 + int(rng.expovariate(1 / step))
            draft = ctx.draft(
                rng,
                episode,
                ts,
                merchant,
                attributes,
                new_id(rng, "pm_", 24),
                amount=ctx.tiny_amount(rng, merchant),
            )
            ip, ip_country = rng.choice(ips)
            _fill_attempt(ctx, rng, draft, zero=zero, billing_share=0.5, origin_code=ip_country)
            draft.ip = ip
            draft.ip_country = ip_country
            draft.device_id = ctx.new_device(rng) if rng.random() < 0.8 else None
            draft.email_hash = ctx.new_email(rng) if rng.random() < 0.6 else None
            draft.label = ctx.labels.fraud(rng, draft, testing=True)
            outcome.drafts.append(draft)
            follow_up = _cash_out_later(ctx, rng, draft, card_index, 0.5)
            if follow_up is not None:
                outcome.follow_ups.append(follow_up)
        return outcome
