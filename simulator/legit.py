"""Legitimate card traffic, one UTC day at a time.

Each card spends at its own rate, with a diurnal curve in its holder's local time and a
weekly curve. Customers mostly return to favourite merchants, pay amounts drawn from
the merchant's ticket distribution, from their usual devices and IPs, with AVS and CVV
mostly matching and 3-D Secure common in the EEA. Noise that also shows up in fraud is
there on purpose: trips abroad, new devices, VPN exits, gifts shipped elsewhere, the
odd failed CVV or zero-amount card check.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from random import Random
from typing import Final

import numpy as np

from contracts.events import AvsResult, Channel, CvvResult, ThreeDSResult
from simulator.catalog import COUNTRIES, random_ip
from simulator.config import SimulationConfig
from simulator.draft import Draft
from simulator.ids import new_digest, new_id
from simulator.labels import LabelMaker
from simulator.population import Customer, Merchant, Population
from simulator.sampling import Choice, numpy_stream, stream, weighted

__all__ = ["DIURNAL", "WEEKLY", "LegitTraffic"]

DAY_MS: Final = 86_400_000
HOUR_MS: Final = 3_600_000

# Relative activity per local hour (0-23) and per weekday (Monday first; mean 1).
DIURNAL: Final[tuple[float, ...]] = (
    0.15, 0.08, 0.05, 0.04, 0.04, 0.08, 0.2, 0.45, 0.75, 0.9, 1.0, 1.1,
    1.3, 1.2, 1.05, 1.0, 1.05, 1.2, 1.35, 1.4, 1.3, 1.05, 0.7, 0.35,
)  # fmt: skip
WEEKLY: Final[tuple[float, ...]] = (0.95, 0.97, 1.0, 1.02, 1.1, 1.1, 0.86)

_TRIP_START_PER_DAY: Final = 0.004  # about 1.5 trips a year
_NEW_DEVICE: Final = 0.02
_CARD_CHECK: Final = 0.004  # adding a card to a wallet triggers a zero-amount check

_AVS_SUPPORTED = Choice(
    (
        (AvsResult.MATCH, 0.9),
        (AvsResult.POSTAL_ONLY, 0.04),
        (AvsResult.STREET_ONLY, 0.02),
        (AvsResult.NO_MATCH, 0.015),
        (AvsResult.UNAVAILABLE, 0.025),
    )
)
_AVS_UNSUPPORTED = Choice(
    (
        (AvsResult.UNAVAILABLE, 0.55),
        (AvsResult.MATCH, 0.35),
        (AvsResult.POSTAL_ONLY, 0.04),
        (AvsResult.STREET_ONLY, 0.03),
        (AvsResult.NO_MATCH, 0.03),
    )
)
_CVV_ECOM = Choice(
    (
        (CvvResult.MATCH, 0.965),
        (CvvResult.NO_MATCH, 0.008),
        (CvvResult.NOT_PROCESSED, 0.006),
        (CvvResult.ISSUER_UNREGISTERED, 0.006),
        (CvvResult.NOT_PROVIDED, 0.015),
    )
)
_CVV_MOTO = Choice(
    ((CvvResult.MATCH, 0.9), (CvvResult.NOT_PROVIDED, 0.08), (CvvResult.NO_MATCH, 0.02))
)
# PSD2: strong customer authentication in the EEA, minus exemptions (low value, TRA).
_THREE_DS_SCA = Choice(
    (
        (ThreeDSResult.AUTHENTICATED, 0.74),
        (ThreeDSResult.ATTEMPTED, 0.06),
        (ThreeDSResult.FAILED, 0.01),
        (ThreeDSResult.NOT_REQUESTED, 0.19),
    )
)
_THREE_DS_OTHER = Choice(
    (
        (ThreeDSResult.NOT_REQUESTED, 0.86),
        (ThreeDSResult.AUTHENTICATED, 0.09),
        (ThreeDSResult.ATTEMPTED, 0.035),
        (ThreeDSResult.NOT_ENROLLED, 0.015),
    )
)


def _hour_cums() -> dict[int, tuple[float, ...]]:
    """Cumulative weights of each UTC hour, per UTC offset (local = UTC + offset)."""
    return {
        offset: tuple(itertools.accumulate(DIURNAL[(h + offset) % 24] for h in range(24)))
        for offset in range(-12, 15)
    }


class LegitTraffic:
    """Generates each day's legitimate drafts; remembers trips and newly seen devices."""

    def __init__(self, config: SimulationConfig, population: Population, labels: LabelMaker):
        self._config = config
        self._population = population
        self._labels = labels
        self._rates = np.array([card.rate for card in population.cards], dtype=np.float64)
        self._hour_cums = _hour_cums()
        self._trips: dict[int, tuple[int, str]] = {}  # customer -> (until_ms, country)
        self._new_devices: dict[int, list[str]] = {}
        self._destinations = tuple(
            (code, weight)
            for code, weight in config.country_mix
            if population.domestic[code]  # somewhere with shops to visit
        )

    def day(self, day: int, day_start_ms: int, weekday: int) -> list[Draft]:
        """Every legitimate draft of the UTC day starting at ``day_start_ms``."""
        rng = stream(self._config.seed, "legit", day)
        np_rng = numpy_stream(self._config.seed, "legit", day)
        self._update_trips(rng, np_rng, day_start_ms)
        counts = np_rng.poisson(self._rates * WEEKLY[weekday])
        drafts: list[Draft] = []
        cards = self._population.cards
        customers = self._population.customers
        for card_index in np.flatnonzero(counts).tolist():
            card = cards[card_index]
            customer = customers[card.customer]
            cum = self._hour_cums[COUNTRIES[customer.country].utc_offset]
            for _ in range(int(counts[card_index])):
                hour = bisect_right(cum, rng.random() * cum[-1])
                ts = day_start_ms + hour * HOUR_MS + rng.randrange(HOUR_MS)
                draft = self._one(rng, card_index, customer, ts)
                if draft is not None:
                    drafts.append(draft)
        return drafts

    def _update_trips(self, rng: Random, np_rng: np.random.Generator, day_start_ms: int) -> None:
        for customer, (until, _) in list(self._trips.items()):
            if until <= day_start_ms:
                del self._trips[customer]
        if not self._destinations:
            return
        starters = np.flatnonzero(
            np_rng.random(len(self._population.customers)) < _TRIP_START_PER_DAY
        )
        for customer_index in starters.tolist():
            home = self._population.customers[customer_index].country
            if customer_index in self._trips:
                continue
            destination = weighted(rng, self._destinations)
            if destination == home:
                continue
            until = day_start_ms + rng.randint(2, 10) * DAY_MS + rng.randrange(DAY_MS)
            self._trips[customer_index] = (until, destination)

    def _device(self, rng: Random, customer: Customer) -> str:
        extra = self._new_devices.get(customer.index)
        if rng.random() < _NEW_DEVICE:
            device = new_id(rng, "dev_", 20)
            known = self._new_devices.setdefault(customer.index, [])
            known.append(device)
            del known[:-4]  # people replace phones; keep the last few
            return device
        choices = customer.devices + tuple(extra) if extra else customer.devices
        return rng.choice(choices)

    def _merchant(self, rng: Random, customer: Customer, location: str) -> Merchant:
        population = self._population
        if location != customer.country and rng.random() < 0.7:
            return population.merchants[population.domestic[location].pick(rng)]
        if rng.random() < 0.8:
            favorite = bisect_right(customer.favorite_cum, rng.random() * customer.favorite_cum[-1])
            return population.merchants[customer.favorites[favorite]]
        home = population.domestic[customer.country]
        pool = home if home and rng.random() < 0.6 else population.online
        return population.merchants[pool.pick(rng)]

    def _one(self, rng: Random, card_index: int, customer: Customer, ts: int) -> Draft | None:
        card = self._population.cards[card_index]
        trip = self._trips.get(customer.index)
        location = trip[1] if trip is not None and ts < trip[0] else customer.country
        merchant = self._merchant(rng, customer, location)
        channel = merchant.draw_channel(rng)
        if channel is Channel.IN_STORE and merchant.country != location:
            if Channel.ECOMMERCE not in merchant.channels:
                return None  # nobody buys fuel from another country
            channel = Channel.ECOMMERCE
        draft = Draft(
            ts_ms=ts,
            transaction_id=new_id(rng, "pi_", 24),
            merchant_id=merchant.merchant_id,
            card=card.attributes,
            payment_method=card.payment_method,
            amount=merchant.draw_amount(rng),
            currency=merchant.currency,
            channel=channel,
        )
        if channel is Channel.IN_STORE:
            if rng.random() < 0.25:  # loyalty programmes identify the shopper
                draft.customer_id = customer.customer_id
        else:
            self._card_not_present(rng, draft, customer, merchant, location)
        draft.label = self._labels.legit(rng, draft)
        return draft

    def _card_not_present(
        self, rng: Random, draft: Draft, customer: Customer, merchant: Merchant, location: str
    ) -> None:
        channel = draft.channel
        issuer = COUNTRIES[draft.card.country]
        draft.billing_country = customer.country
        draft.billing_postal_hash = customer.postal_hash
        draft.avs = (_AVS_SUPPORTED if issuer.avs else _AVS_UNSUPPORTED).draw(rng)
        emails = customer.email_hashes
        if rng.random() < 0.005:  # a typo, a guest checkout with a throwaway address
            draft.email_hash = new_digest(rng, "email", self._config.hash_key)
        else:
            draft.email_hash = emails[1] if len(emails) > 1 and rng.random() < 0.05 else emails[0]
        if channel is Channel.RECURRING:
            draft.customer_id = customer.customer_id
            return  # merchant-initiated: no shopper session, no CVV, no 3DS
        if rng.random() < customer.logged_in_share:
            draft.customer_id = customer.customer_id
        if merchant.category.physical:
            gift = rng.random() < 0.04
            draft.shipping_country = (
                weighted(rng, self._config.country_mix) if gift else customer.country
            )
            draft.shipping_postal_hash = (
                customer.postal_hash
                if not gift and rng.random() < 0.88
                else new_digest(rng, "postal", self._config.hash_key)
            )
        if channel is Channel.MOTO:
            draft.cvv = _CVV_MOTO.draw(rng)
            return  # a phone order: no device, no IP
        draft.cvv = _CVV_ECOM.draw(rng)
        sca = issuer.eea and COUNTRIES[merchant.country].eea
        draft.three_ds = (_THREE_DS_SCA if sca else _THREE_DS_OTHER).draw(rng)
        draft.device_id = self._device(rng, customer)
        roll = rng.random()
        if location != customer.country and roll < 0.8:
            draft.ip_country = location  # hotel wifi or a local SIM
            draft.ip = random_ip(COUNTRIES[location], rng)
        elif roll < 0.92:
            draft.ip_country = customer.country
            draft.ip = rng.choice(customer.ips)
        elif roll < 0.99:
            draft.ip_country = customer.country
            draft.ip = random_ip(COUNTRIES[customer.country], rng)  # mobile data, a friend's
        else:
            exit_country = rng.choice(("US", "NL", "DE", "GB", "SE", "CH", "SG"))
            draft.ip_country = exit_country  # a VPN exit
            draft.ip = random_ip(COUNTRIES[exit_country], rng, hosting=True)
        if rng.random() < _CARD_CHECK:
            draft.kind = "card_check"
            draft.amount = 0
