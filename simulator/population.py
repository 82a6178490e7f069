"""The simulated world: a BIN table, customers with cards, devices and IPs, and merchants.

Built once per config from its own random stream, so changing fraud knobs never
changes who the customers are.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from random import Random
from types import MappingProxyType

from contracts.currency import minor_unit_exponent
from contracts.events import CardAttributes, CardBrand, Channel, Funding
from contracts.hashing import digest
from simulator.catalog import CATEGORIES, COUNTRIES, USD_RATES, Category, CategoryName, random_ip
from simulator.config import SimulationConfig
from simulator.ids import new_id
from simulator.sampling import stream, weighted

__all__ = [
    "BinInfo",
    "Card",
    "Customer",
    "Merchant",
    "MerchantPool",
    "Population",
    "build_population",
]


@dataclass(frozen=True, slots=True)
class BinInfo:
    """One row of the BIN table: the first six digits and what they say about a card."""

    bin: str
    brand: CardBrand
    funding: Funding
    country: str


@dataclass(frozen=True, slots=True)
class Card:
    """A customer's card: non-sensitive attributes, its token and how often it is used."""

    index: int
    customer: int  # index into Population.customers
    attributes: CardAttributes
    payment_method: str
    rate: float  # mean legitimate transactions per day


@dataclass(frozen=True, slots=True)
class Customer:
    """A cardholder: where they live, how they shop online, where they like to shop."""

    index: int
    customer_id: str
    country: str
    postal_hash: str
    email_hashes: tuple[str, ...]  # the first is the primary address
    devices: tuple[str, ...]
    ips: tuple[str, ...]
    cards: tuple[int, ...]
    favorites: tuple[int, ...]  # merchant indices
    favorite_cum: tuple[float, ...]  # cumulative weights over favorites
    logged_in_share: float  # share of online purchases made while signed in


@dataclass(frozen=True, slots=True)
class Merchant:
    """A merchant: what it sells, where, in which currency, at what typical ticket."""

    index: int
    merchant_id: str
    category: Category
    country: str
    currency: str
    median_minor: float  # median ticket in minor units of ``currency``
    max_minor: int  # the cap on any amount (the boundary maximum)
    channels: tuple[Channel, ...]
    channel_cum: tuple[float, ...]
    popularity: float

    def draw_amount(self, rng: Random, scale: float = 1.0) -> int:
        """A log-normal ticket in minor units, at least 1 and at most the cap."""
        value = self.median_minor * scale * rng.lognormvariate(0.0, self.category.sigma)
        return max(1, min(self.max_minor, round(value)))

    def draw_channel(self, rng: Random) -> Channel:
        return self.channels[bisect_right(self.channel_cum, rng.random() * self.channel_cum[-1])]


@dataclass(frozen=True, slots=True)
class MerchantPool:
    """Merchant indices with cumulative popularity weights, for weighted draws."""

    indices: tuple[int, ...]
    cum: tuple[float, ...]

    @classmethod
    def of(cls, merchants: Sequence[Merchant], weight: float = 1.0) -> MerchantPool:
        return cls(
            tuple(m.index for m in merchants),
            tuple(itertools.accumulate(m.popularity * weight for m in merchants)),
        )

    def __bool__(self) -> bool:
        return bool(self.indices)

    def pick(self, rng: Random) -> int:
        return self.indices[bisect_right(self.cum, rng.random() * self.cum[-1])]


@dataclass(frozen=True, slots=True)
class Population:
    """Everything that exists before the first transaction."""

    bins: tuple[BinInfo, ...]
    customers: tuple[Customer, ...]
    cards: tuple[Card, ...]
    merchants: tuple[Merchant, ...]
    domestic: Mapping[str, MerchantPool]  # merchants by country
    online: MerchantPool  # merchants that sell across borders
    by_category: Mapping[CategoryName, MerchantPool]
    cards_by_bin: Mapping[str, tuple[int, ...]]


_BRAND_MIX: dict[str, tuple[tuple[CardBrand, float], ...]] = {
    "US": ((CardBrand.VISA, 0.55), (CardBrand.MASTERCARD, 0.30), (CardBrand.AMEX, 0.10),
           (CardBrand.DISCOVER, 0.05)),
    "JP": ((CardBrand.JCB, 0.35), (CardBrand.VISA, 0.35), (CardBrand.MASTERCARD, 0.25),
           (CardBrand.AMEX, 0.05)),
    "HK": ((CardBrand.UNIONPAY, 0.25), (CardBrand.VISA, 0.45), (CardBrand.MASTERCARD, 0.30)),
    "SG": ((CardBrand.UNIONPAY, 0.1), (CardBrand.VISA, 0.5), (CardBrand.MASTERCARD, 0.35),
           (CardBrand.DINERS, 0.05)),
    "*": ((CardBrand.VISA, 0.56), (CardBrand.MASTERCARD, 0.40), (CardBrand.AMEX, 0.04)),
}  # fmt: skip

_FUNDING_EEA = ((Funding.CREDIT, 0.35), (Funding.DEBIT, 0.58), (Funding.PREPAID, 0.07))
_FUNDING_OTHER = ((Funding.CREDIT, 0.55), (Funding.DEBIT, 0.39), (Funding.PREPAID, 0.06))


def _bin_digits(rng: Random, brand: CardBrand) -> str:
    digits = "0123456789"
    tail = "".join(rng.choices(digits, k=6))
    prefix = {
        CardBrand.VISA: "4",
        CardBrand.MASTERCARD: "5" + rng.choice("12345"),
        CardBrand.AMEX: rng.choice(("34", "37")),
        CardBrand.DISCOVER: rng.choice(("6011", "65")),
        CardBrand.JCB: "35" + rng.choice("2345678"),
        CardBrand.UNIONPAY: "62",
        CardBrand.DINERS: "36",
    }.get(brand, "9")
    return (prefix + tail)[:6]


def _build_bins(config: SimulationConfig, rng: Random) -> tuple[BinInfo, ...]:
    rows: list[BinInfo] = []
    seen: set[str] = set()
    for country, weight in config.country_mix:
        brands = _BRAND_MIX.get(country, _BRAND_MIX["*"])
        funding = _FUNDING_EEA if COUNTRIES[country].eea else _FUNDING_OTHER
        for _ in range(3 + round(weight * 60)):
            brand = weighted(rng, brands)
            number = _bin_digits(rng, brand)
            while number in seen:
                number = _bin_digits(rng, brand)
            seen.add(number)
            rows.append(BinInfo(number, brand, weighted(rng, funding), country))
    return tuple(rows)


def _build_merchants(config: SimulationConfig, rng: Random) -> tuple[Merchant, ...]:
    categories = tuple(CATEGORIES.values())
    merchants: list[Merchant] = []
    for index in range(config.n_merchants):
        # The first merchants cover every category, so small worlds still have them all.
        category = (
            categories[index]
            if index < len(categories)
            else rng.choices(categories, weights=[c.share for c in categories])[0]
        )
        country = weighted(rng, config.country_mix)
        if category.international and rng.random() < config.international_merchant_share:
            currency = weighted(rng, config.currency_mix)
        else:
            currency = config.local_currency(country)
        exponent = 10 ** minor_unit_exponent(currency)
        median = category.median_usd * USD_RATES[currency] * exponent
        channels = tuple(c for c, _ in category.channels)
        merchants.append(
            Merchant(
                index=index,
                merchant_id=new_id(rng, "acct_", 16),
                category=category,
                country=country,
                currency=currency,
                median_minor=median * rng.lognormvariate(0.0, 0.35),
                max_minor=config.max_amount_major * exponent,
                channels=channels,
                channel_cum=tuple(itertools.accumulate(w for _, w in category.channels)),
                popularity=rng.lognormvariate(0.0, 1.2),
            )
        )
    return tuple(merchants)


def _pick_favorites(
    rng: Random, home: MerchantPool, online: MerchantPool, everyone: MerchantPool
) -> tuple[tuple[int, ...], tuple[float, ...]]:
    count = rng.randint(4, 12)
    chosen: dict[int, float] = {}
    for _ in range(count * 3):
        if len(chosen) >= count:
            break
        pool = home if home and rng.random() < 0.7 else (online or everyone)
        chosen.setdefault(pool.pick(rng), rng.lognormvariate(0.0, 0.8))
    favorites = tuple(chosen)
    return favorites, tuple(itertools.accumulate(chosen[i] for i in favorites))


def build_population(config: SimulationConfig) -> Population:
    """The deterministic population of ``config`` (drawn from its own random stream)."""
    rng = stream(config.seed, "population")
    key = config.hash_key
    bins = _build_bins(config, rng)
    bins_by_country: dict[str, list[BinInfo]] = {}
    for row in bins:
        bins_by_country.setdefault(row.country, []).append(row)

    merchants = _build_merchants(config, rng)
    everyone = MerchantPool.of(merchants)
    domestic = {
        country: MerchantPool.of([m for m in merchants if m.country == country])
        for country in COUNTRIES
    }
    online = MerchantPool.of([m for m in merchants if m.category.international])
    by_category = {
        name: MerchantPool.of([m for m in merchants if m.category.name == name])
        for name in CATEGORIES
    }

    customers: list[Customer] = []
    cards: list[Card] = []
    cards_by_bin: dict[str, list[int]] = {}
    extra_card_p = (config.cards_per_customer - 1) / 2
    for index in range(config.n_customers):
        country = weighted(rng, config.country_mix)
        home = COUNTRIES[country]
        card_ids: list[int] = []
        for _ in range(1 + (rng.random() < extra_card_p) + (rng.random() < extra_card_p)):
            # A few cardholders carry a card issued abroad (expats, cross-border banks).
            issuer = country if rng.random() < 0.97 else weighted(rng, config.country_mix)
            row = rng.choice(bins_by_country[issuer])
            attributes = CardAttributes(
                bin=row.bin,
                last4=f"{rng.randrange(10_000):04d}",
                brand=row.brand,
                funding=row.funding,
                country=row.country,
                fingerprint=new_id(rng, "fp_", 16),
            )
            card_index = len(cards)
            rate = config.txns_per_card_per_day * rng.gammavariate(2.0, 0.5)
            cards.append(Card(card_index, index, attributes, new_id(rng, "pm_", 24), rate))
            cards_by_bin.setdefault(row.bin, []).append(card_index)
            card_ids.append(card_index)
        favorites, favorite_cum = _pick_favorites(rng, domestic[country], online, everyone)
        customers.append(
            Customer(
                index=index,
                customer_id=new_id(rng, "cus_", 14),
                country=country,
                postal_hash=digest(f"{country}-{rng.randrange(100_000):05d}", key),
                email_hashes=tuple(
                    digest(f"{new_id(rng, 'u', 10)}@example.com", key)
                    for _ in range(1 + (rng.random() < 0.2))
                ),
                devices=tuple(new_id(rng, "dev_", 20) for _ in range(rng.randint(1, 3))),
                ips=tuple(
                    random_ip(home, rng, v6=rng.random() < 0.1) for _ in range(rng.randint(1, 3))
                ),
                cards=tuple(card_ids),
                favorites=favorites,
                favorite_cum=favorite_cum,
                logged_in_share=rng.uniform(0.6, 1.0),
            )
        )
    return Population(
        bins=bins,
        customers=tuple(customers),
        cards=tuple(cards),
        merchants=merchants,
        domestic=MappingProxyType(domestic),
        online=online,
        by_category=MappingProxyType(by_category),
        cards_by_bin=MappingProxyType({b: tuple(ids) for b, ids in cards_by_bin.items()}),
    )
