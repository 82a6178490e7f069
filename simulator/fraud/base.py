"""What every fraud pattern shares: episodes, outcomes, the pattern protocol, a context.

A pattern turns an :class:`Episode` (when, and optionally which card or merchant) into
fraudulent drafts, and may schedule follow-up episodes: a card that passed a card test
is later cashed out, a card skimmed at a point of compromise is later spent elsewhere.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from random import Random
from typing import Final, Protocol

from contracts.currency import minor_unit_exponent
from contracts.events import CardAttributes, Channel, ThreeDSResult
from simulator.catalog import (
    COUNTRIES,
    FRAUD_ORIGIN_COUNTRIES,
    USD_RATES,
    CategoryName,
    Country,
    random_ip,
)
from simulator.config import PatternName, SimulationConfig
from simulator.draft import Draft
from simulator.ids import new_digest, new_id
from simulator.labels import LabelMaker
from simulator.population import BinInfo, Merchant, MerchantPool, Population
from simulator.sampling import Choice

__all__ = ["MINUTE_MS", "Episode", "FraudContext", "FraudPattern", "Outcome"]

MINUTE_MS: Final = 60_000

_THREE_DS_FRAUD_SCA = Choice(
    (
        (ThreeDSResult.FAILED, 0.3),
        (ThreeDSResult.ATTEMPTED, 0.2),
        (ThreeDSResult.NOT_REQUESTED, 0.4),  # exemptions abused
        (ThreeDSResult.AUTHENTICATED, 0.1),  # one-time password phished too
    )
)
_THREE_DS_FRAUD_OTHER = Choice(
    (
        (ThreeDSResult.NOT_REQUESTED, 0.9),
        (ThreeDSResult.ATTEMPTED, 0.05),
        (ThreeDSResult.FAILED, 0.05),
    )
)


@dataclass(frozen=True, slots=True)
class Episode:
    """One scheduled fraud episode; ``card``/``merchant`` pin a target when known."""

    pattern: PatternName
    episode_id: str
    start_ms: int
    card: int | None = None  # index into Population.cards
    merchant: int | None = None  # index into Population.merchants


@dataclass(slots=True)
class Outcome:
    """The drafts an episode produced and the episodes it set in motion."""

    drafts: list[Draft] = field(default_factory=list)
    follow_ups: list[Episode] = field(default_factory=list)


class FraudPattern(Protocol):
    """A kind of fraud. Implementations live in this package, one class per pattern."""

    @property
    def name(self) -> PatternName: ...

    @property
    def mean_transactions(self) -> float:
        """Expected fraudulent transactions per episode (calibrates the fraud rate)."""
        ...

    def materialize(self, episode: Episode, rng: Random) -> Outcome: ...


class FraudContext:
    """Shared helpers and lookups for the patterns of one simulation run."""

    def __init__(self, config: SimulationConfig, population: Population, labels: LabelMaker):
        self.config = config
        self.population = population
        self.labels = labels
        online = [m for m in population.merchants if Channel.ECOMMERCE in m.channels]
        # Cash-out merchants: popular ones, weighted by what resells well.
        self.cashout = MerchantPool(
            tuple(m.index for m in online),
            tuple(itertools.accumulate(m.popularity * m.category.fraud_appeal for m in online)),
        )
        self.card_by_fingerprint = {c.attributes.fingerprint: c.index for c in population.cards}
        self.merchant_by_id = {m.merchant_id: m.index for m in population.merchants}
        self._counters: dict[str, Iterator[int]] = {}

    # ---- identities -------------------------------------------------------------

    def episode_id(self, pattern: PatternName) -> str:
        counter = self._counters.setdefault(pattern, itertools.count())
        return f"{pattern}-{next(counter):06d}"

    def new_email(self, rng: Random) -> str:
        return new_digest(rng, "email", self.config.hash_key)

    def new_postal(self, rng: Random) -> str:
        return new_digest(rng, "postal", self.config.hash_key)

    @staticmethod
    def new_device(rng: Random) -> str:
        return new_id(rng, "dev_", 20)

    def external_card(self, rng: Random, row: BinInfo | None = None) -> CardAttributes:
        """A card from outside the population (bought in a dump), optionally of one BIN."""
        row = row or rng.choice(self.population.bins)
        return CardAttributes(
            bin=row.bin,
            last4=f"{rng.randrange(10_000):04d}",
            brand=row.brand,
            funding=row.funding,
            country=row.country,
            fingerprint=new_id(rng, "fp_", 16),
        )

    # ---- where fraud comes from -------------------------------------------------

    @staticmethod
    def origin(rng: Random) -> Country:
        return COUNTRIES[rng.choice(FRAUD_ORIGIN_COUNTRIES)]

    @staticmethod
    def ip(rng: Random, country: Country, hosting_share: float) -> str:
        return random_ip(country, rng, hosting=rng.random() < hosting_share)

    # ---- what it buys -----------------------------------------------------------

    def merchant(self, index: int) -> Merchant:
        return self.population.merchants[index]

    def pick_merchant(self, rng: Random, categories: tuple[CategoryName, ...] = ()) -> Merchant:
        """A merchant from ``categories`` (uniformly: small shops have weak defences),
        or from the cash-out pool weighted by popularity and fraud appeal."""
        pools = [self.population.by_category[c] for c in categories]
        pools = [p for p in pools if p]
        if pools:
            pool = rng.choice(pools)
            return self.merchant(rng.choice(pool.indices))
        return self.merchant(self.cashout.pick(rng))

    @staticmethod
    def tiny_amount(rng: Random, merchant: Merchant) -> int:
        """A card tester's amount: the equivalent of 0.50-3.00 US dollars."""
        currency = merchant.currency
        usd = rng.uniform(0.5, 3.0)
        unit = int(10 ** minor_unit_exponent(currency))
        return max(1, round(usd * USD_RATES[currency] * unit))

    @staticmethod
    def three_ds(rng: Random, card: CardAttributes, merchant: Merchant) -> ThreeDSResult:
        sca = COUNTRIES[card.country].eea and COUNTRIES[merchant.country].eea
        return (_THREE_DS_FRAUD_SCA if sca else _THREE_DS_FRAUD_OTHER).draw(rng)

    def draft(
        self,
        rng: Random,
        episode: Episode,
        ts_ms: int,
        merchant: Merchant,
        card: CardAttributes,
        payment_method: str,
        *,
        channel: Channel = Channel.ECOMMERCE,
        amount: int | None = None,
    ) -> Draft:
        """A fraudulent draft with identity fields set; the pattern fills the rest."""
        return Draft(
            ts_ms=ts_ms,
            transaction_id=new_id(rng, "pi_", 24),
            merchant_id=merchant.merchant_id,
            card=card,
            payment_method=payment_method,
            amount=merchant.draw_amount(rng) if amount is None else amount,
            currency=merchant.currency,
            channel=channel,
            pattern=episode.pattern,
            episode_id=episode.episode_id,
        )
