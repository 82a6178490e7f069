"""Cash-out fraud: stolen cards, account takeover, AVS/CVV mismatch attempts.

A fraudster with card data (or a customer's account) buys resellable goods — electronics,
gift cards, fashion — at merchants the cardholder never used, from a new device and
usually a new IP, often abroad, for more than the cardholder usually spends, shipping
to a drop address. The legitimate cardholder keeps shopping meanwhile. Signals overlap
with legitimate noise on purpose: many fraudsters proxy through the card's own
country, know the billing address (AVS match) and the CVV.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import Final

from contracts.events import AvsResult, CardAttributes, Channel, CvvResult
from simulator.catalog import COUNTRIES, CategoryName, Country
from simulator.config import PatternName
from simulator.draft import Draft
from simulator.fraud.base import MINUTE_MS, Episode, FraudContext, Outcome
from simulator.ids import new_id
from simulator.labels import LabelMaker
from simulator.population import Merchant
from simulator.records import LabelReason
from simulator.sampling import Choice, clipped_lognormal

__all__ = ["AccountTakeover", "AvsCvvMismatch", "Fraudster", "StolenCard"]

_HOUR_MS: Final = 3_600_000

_AVS_KNOWN_BILLING = Choice(
    ((AvsResult.MATCH, 0.85), (AvsResult.POSTAL_ONLY, 0.08), (AvsResult.UNAVAILABLE, 0.07))
)
_AVS_KNOWN_NO_SUPPORT = Choice(
    ((AvsResult.UNAVAILABLE, 0.55), (AvsResult.MATCH, 0.4), (AvsResult.NO_MATCH, 0.05))
)
_AVS_GUESSED = Choice(
    (
        (AvsResult.NO_MATCH, 0.55),
        (AvsResult.STREET_ONLY, 0.15),
        (AvsResult.POSTAL_ONLY, 0.1),
        (AvsResult.UNAVAILABLE, 0.2),
    )
)
_CVV_STOLEN = Choice(
    ((CvvResult.MATCH, 0.7), (CvvResult.NO_MATCH, 0.1), (CvvResult.NOT_PROVIDED, 0.2))
)
_CVV_STORED = Choice(((CvvResult.NOT_PROVIDED, 0.7), (CvvResult.MATCH, 0.3)))
_CVV_MISSING = Choice(
    (
        (CvvResult.NO_MATCH, 0.6),
        (CvvResult.NOT_PROVIDED, 0.25),
        (CvvResult.ISSUER_UNREGISTERED, 0.15),
    )
)
_ATO_CATEGORIES: Final[tuple[CategoryName, ...]] = (
    "electronics",
    "gift_cards",
    "fashion",
    "marketplace",
)
_COUNTERFEIT_CATEGORIES: Final = frozenset({"electronics", "gift_cards", "fashion", "fuel"})


@dataclass(slots=True)
class Fraudster:
    """Who is behind an episode: where they connect from and where goods go."""

    origin: Country
    ips: tuple[str, ...]
    device: str
    email: str
    customer_id: str | None
    billing_country: str
    billing_postal: str
    drop_country: str
    drop_postal: str

    @classmethod
    def for_card(
        cls,
        ctx: FraudContext,
        rng: Random,
        card: CardAttributes,
        *,
        foreign_share: float,
        billing_postal: str | None,
    ) -> Fraudster:
        foreign = rng.random() < foreign_share
        origin = ctx.origin(rng) if foreign else COUNTRIES[card.country]
        hosting = 0.4 if foreign else 0.1  # residential proxies in the card's own country
        ips = tuple(ctx.ip(rng, origin, hosting) for _ in range(1 if rng.random() < 0.7 else 3))
        roll = rng.random()
        drop = card.country if roll < 0.55 else origin.code if roll < 0.8 else "US"
        return cls(
            origin=origin,
            ips=ips,
            device=ctx.new_device(rng),
            email=ctx.new_email(rng),
            customer_id=None,
            billing_country=card.country if rng.random() < 0.8 else origin.code,
            billing_postal=billing_postal or ctx.new_postal(rng),
            drop_country=drop,
            drop_postal=ctx.new_postal(rng),
        )

    def apply(self, rng: Random, draft: Draft, merchant: Merchant) -> None:
        """Fill the session fields of a card-not-present draft."""
        draft.customer_id = self.customer_id
        draft.email_hash = self.email
        draft.device_id = self.device
        draft.ip = rng.choice(self.ips)
        draft.ip_country = self.origin.code
        draft.billing_country = self.billing_country
        draft.billing_postal_hash = self.billing_postal
        if merchant.category.physical:
            draft.shipping_country = self.drop_country
            draft.shipping_postal_hash = self.drop_postal


def _gap_ms(rng: Random, median_min: float, sigma: float = 1.0) -> int:
    return round(clipped_lognormal(rng, median_min, sigma, 0.5, 12 * 60) * MINUTE_MS)


def _label_all(
    labels: LabelMaker,
    rng: Random,
    drafts: list[Draft],
    start_ms: int,
    reason: LabelReason | None = None,
) -> None:
    """One cardholder, one decision: the whole episode is reported together, or not."""
    reported = labels.episode_reported(rng)
    notice = start_ms + labels.fraud_report_delay_ms(rng)
    for draft in drafts:
        draft.label = labels.fraud(
            rng, draft, reason=reason, reported=reported, not_before_ms=notice
        )


@dataclass(frozen=True, slots=True)
class StolenCard:
    """A compromised population card spent at new merchants; also the point-of-compromise
    cash-out (``name="point_of_compromise"``), which adds counterfeit card-present use."""

    ctx: FraudContext
    name: PatternName = "stolen_card"
    mean_transactions: float = 4.8
    counterfeit_share: float = 0.0  # episodes spent in person abroad with a cloned card

    def materialize(self, episode: Episode, rng: Random) -> Outcome:
        ctx = self.ctx
        cards = ctx.population.cards
        card = cards[episode.card if episode.card is not None else rng.randrange(len(cards))]
        customer = ctx.population.customers[card.customer]
        attributes = card.attributes
        knows_billing = rng.random() < 0.6
        fraudster = Fraudster.for_card(
            ctx,
            rng,
            attributes,
            foreign_share=0.5,
            billing_postal=customer.postal_hash if knows_billing else None,
        )
        if rng.random() < 0.15:  # phished together with the card
            fraudster.email = customer.email_hashes[0]
        if rng.random() < 0.2:
            fraudster.customer_id = new_id(rng, "cus_", 14)  # a fresh account
        payment_method = new_id(rng, "pm_", 24)
        counterfeit = rng.random() < self.counterfeit_share
        drafts: list[Draft] = []
        ts = episode.start_ms
        if not counterfeit and rng.random() < 0.3:
            merchant = ctx.pick_merchant(rng, ("digital_goods", "charity"))
            draft = ctx.draft(
                rng, episode, ts, merchant, attributes, payment_method,
                amount=ctx.tiny_amount(rng, merchant),
            )  # fmt: skip
            self._card_not_present(rng, draft, fraudster, merchant, knows_billing)
            if rng.random() < 0.5:
                draft.kind, draft.amount = "card_check", 0
            drafts.append(draft)
        n = rng.randint(2, 7) if not counterfeit else rng.randint(1, 4)
        for _ in range(n):
            ts += _gap_ms(rng, 20.0, 1.2)
            shop = self._counterfeit_merchant(rng, attributes) if counterfeit else None
            if shop is not None:
                draft = ctx.draft(
                    rng, episode, ts, shop, attributes, payment_method,
                    channel=Channel.IN_STORE,
                    amount=shop.draw_amount(rng, scale=rng.uniform(1.5, 4.0)),
                )  # fmt: skip
            else:
                merchant = ctx.pick_merchant(rng)
                draft = ctx.draft(
                    rng, episode, ts, merchant, attributes, payment_method,
                    amount=merchant.draw_amount(rng, scale=rng.uniform(1.5, 4.0)),
                )  # fmt: skip
                self._card_not_present(rng, draft, fraudster, merchant, knows_billing)
            drafts.append(draft)
        _label_all(ctx.labels, rng, drafts, episode.start_ms)
        return Outcome(drafts)

    def _card_not_present(
        self, rng: Random, draft: Draft, fraudster: Fraudster, merchant: Merchant, known: bool
    ) -> None:
        fraudster.apply(rng, draft, merchant)
        if known:
            avs = _AVS_KNOWN_BILLING if COUNTRIES[draft.card.country].avs else _AVS_KNOWN_NO_SUPPORT
        else:
            avs = _AVS_GUESSED
        draft.avs = avs.draw(rng)
        draft.cvv = _CVV_STOLEN.draw(rng)
        draft.three_ds = self.ctx.three_ds(rng, draft.card, merchant)

    def _counterfeit_merchant(self, rng: Random, card: CardAttributes) -> Merchant | None:
        """A shop abroad that takes a cloned magnetic stripe, or None to fall back online."""
        population = self.ctx.population
        countries = [c for c, _ in self.ctx.config.country_mix if c != card.country]
        for _ in range(8):
            if not countries:
                break
            pool = population.domestic[rng.choice(countries)]
            if not pool:
                continue
            merchant = population.merchants[pool.pick(rng)]
            if (
                Channel.IN_STORE in merchant.channels
                and merchant.category.name in _COUNTERFEIT_CATEGORIES
            ):
                return merchant
        return None


@dataclass(frozen=True, slots=True)
class AccountTakeover:
    """A customer's account used from a new device: stored card, changed email, new
    shipping address abroad."""

    ctx: FraudContext
    name: PatternName = "account_takeover"
    mean_transactions: float = 2.5

    def materialize(self, episode: Episode, rng: Random) -> Outcome:
        ctx = self.ctx
        customers = ctx.population.customers
        customer = customers[rng.randrange(len(customers))]
        card = ctx.population.cards[rng.choice(customer.cards)]
        fraudster = Fraudster.for_card(
            ctx, rng, card.attributes, foreign_share=0.6, billing_postal=customer.postal_hash
        )
        fraudster.customer_id = customer.customer_id
        fraudster.billing_country = customer.country
        if rng.random() < 0.3:
            fraudster.email = customer.email_hashes[0]  # not every attacker changes it
        if rng.random() < 0.7:
            others = [c for c, _ in ctx.config.country_mix if c != customer.country] or ["US"]
            fraudster.drop_country = (
                fraudster.origin.code
                if fraudster.origin.code != customer.country
                else rng.choice(others)
            )
        issuer_avs = COUNTRIES[card.attributes.country].avs
        drafts: list[Draft] = []
        ts = episode.start_ms
        for _ in range(rng.randint(1, 4)):
            merchant = ctx.pick_merchant(rng, _ATO_CATEGORIES)
            draft = ctx.draft(
                rng, episode, ts, merchant, card.attributes, card.payment_method,
                amount=merchant.draw_amount(rng, scale=rng.uniform(2.0, 5.0)),
            )  # fmt: skip
            fraudster.apply(rng, draft, merchant)
            draft.avs = (_AVS_KNOWN_BILLING if issuer_avs else _AVS_KNOWN_NO_SUPPORT).draw(rng)
            draft.cvv = _CVV_STORED.draw(rng)
            draft.three_ds = ctx.three_ds(rng, draft.card, merchant)
            drafts.append(draft)
            ts += _gap_ms(rng, 15.0)
        _label_all(ctx.labels, rng, drafts, episode.start_ms, reason="account_takeover")
        return Outcome(drafts)


@dataclass(frozen=True, slots=True)
class AvsCvvMismatch:
    """Partial card data (no CVV, no address): a few attempts failing AVS and CVV."""

    ctx: FraudContext
    name: PatternName = "avs_cvv_mismatch"
    mean_transactions: float = 2.0

    def materialize(self, episode: Episode, rng: Random) -> Outcome:
        ctx = self.ctx
        cards = ctx.population.cards
        if rng.random() < 0.6:
            attributes = cards[rng.randrange(len(cards))].attributes
        else:
            attributes = ctx.external_card(rng)
        fraudster = Fraudster.for_card(ctx, rng, attributes, foreign_share=0.7, billing_postal=None)
        payment_method = new_id(rng, "pm_", 24)
        merchant = ctx.pick_merchant(rng)
        drafts: list[Draft] = []
        ts = episode.start_ms
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.3:
                merchant = ctx.pick_merchant(rng)
            draft = ctx.draft(
                rng, episode, ts, merchant, attributes, payment_method,
                amount=merchant.draw_amount(rng, scale=rng.uniform(1.0, 3.0)),
            )  # fmt: skip
            fraudster.apply(rng, draft, merchant)
            draft.avs = _AVS_GUESSED.draw(rng)
            draft.cvv = _CVV_MISSING.draw(rng)
            draft.three_ds = ctx.three_ds(rng, draft.card, merchant)
            drafts.append(draft)
            ts += rng.randint(1, 10) * MINUTE_MS + rng.randrange(MINUTE_MS)
        for draft in drafts:
            draft.label = ctx.labels.fraud(rng, draft)
        return Outcome(drafts)
