"""Reference data the simulator draws from: countries, FX rates, merchant categories, IPs.

Everything here is static and synthetic. IP blocks are invented per country (one first
octet each) so that ``ip`` and ``ip_country`` stay consistent; they are not a geo-IP
database and must not be used as one.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from types import MappingProxyType
from typing import Final, Literal

from contracts.events import Channel
from contracts.geo import EEA_COUNTRIES

__all__ = [
    "CATEGORIES",
    "COUNTRIES",
    "DEFAULT_COUNTRY_MIX",
    "DEFAULT_CURRENCY_MIX",
    "FRAUD_ORIGIN_COUNTRIES",
    "USD_RATES",
    "Category",
    "CategoryName",
    "Country",
    "random_ip",
]

CategoryName = Literal[
    "groceries",
    "restaurants",
    "fuel",
    "fashion",
    "electronics",
    "digital_goods",
    "gaming",
    "travel",
    "gift_cards",
    "subscriptions",
    "marketplace",
    "charity",
]


@dataclass(frozen=True, slots=True)
class Country:
    """A country customers live in, merchants sell from, or fraud comes from."""

    code: str
    currency: str  # local currency (ISO 4217)
    utc_offset: int  # hours, a representative offset for diurnal patterns
    avs: bool  # issuers there support address verification
    first_octet: int  # the synthetic IPv4 /8 block for this country

    @property
    def eea(self) -> bool:
        return self.code in EEA_COUNTRIES


# code, currency, UTC offset, AVS support. The order fixes each country's IP block.
_COUNTRY_ROWS: tuple[tuple[str, str, int, bool], ...] = (
    ("US", "USD", -5, True), ("GB", "GBP", 0, True), ("DE", "EUR", 1, False),
    ("FR", "EUR", 1, False), ("CA", "CAD", -5, True), ("ES", "EUR", 1, False),
    ("IT", "EUR", 1, False), ("NL", "EUR", 1, False), ("AU", "AUD", 10, False),
    ("BR", "BRL", -3, False), ("MX", "MXN", -6, False), ("IN", "INR", 5, False),
    ("JP", "JPY", 9, False), ("SE", "SEK", 1, False), ("PL", "PLN", 1, False),
    ("IE", "EUR", 0, False), ("BE", "EUR", 1, False), ("AT", "EUR", 1, False),
    ("CH", "CHF", 1, False), ("DK", "DKK", 1, False), ("NO", "NOK", 1, False),
    ("SG", "SGD", 8, False), ("ZA", "ZAR", 2, False), ("NZ", "NZD", 12, False),
    ("CZ", "CZK", 1, False), ("PT", "EUR", 0, False), ("HU", "HUF", 1, False),
    ("RO", "RON", 2, False), ("AE", "AED", 4, False), ("HK", "HKD", 8, False),
    # Countries that appear mostly as the origin of fraudulent traffic in this simulator.
    ("RU", "USD", 3, False), ("NG", "USD", 1, False), ("VN", "USD", 7, False),
    ("ID", "USD", 7, False), ("UA", "USD", 2, False), ("CN", "USD", 8, False),
    ("PH", "USD", 8, False), ("TR", "USD", 3, False), ("PK", "USD", 5, False),
)  # fmt: skip

# Public-looking /8 blocks, skipping private, loopback, CGNAT, link-local and the
# documentation ranges' first octets.
_RESERVED_OCTETS = frozenset({10, 100, 127, 169, 172, 192, 198, 203})
_OCTETS = tuple(o for o in range(11, 224) if o not in _RESERVED_OCTETS)

COUNTRIES: Final[MappingProxyType[str, Country]] = MappingProxyType(
    {
        code: Country(code, currency, offset, avs, _OCTETS[index * 3])
        for index, (code, currency, offset, avs) in enumerate(_COUNTRY_ROWS)
    }
)

FRAUD_ORIGIN_COUNTRIES: Final[tuple[str, ...]] = (
    "RU", "NG", "VN", "ID", "UA", "CN", "PH", "TR", "PK", "BR", "RO", "US",
)  # fmt: skip

DEFAULT_COUNTRY_MIX: Final[tuple[tuple[str, float], ...]] = (
    ("US", 0.34), ("GB", 0.10), ("DE", 0.08), ("FR", 0.06), ("CA", 0.05), ("ES", 0.04),
    ("IT", 0.04), ("NL", 0.03), ("AU", 0.03), ("BR", 0.03), ("MX", 0.03), ("IN", 0.03),
    ("JP", 0.02), ("SE", 0.02), ("PL", 0.02), ("IE", 0.015), ("BE", 0.015), ("AT", 0.01),
    ("CH", 0.01), ("DK", 0.01), ("NO", 0.01), ("SG", 0.01), ("ZA", 0.01), ("NZ", 0.01),
    ("CZ", 0.01), ("PT", 0.01),
)  # fmt: skip

# Currencies that merchants selling across borders price in.
DEFAULT_CURRENCY_MIX: Final[tuple[tuple[str, float], ...]] = (
    ("USD", 0.6),
    ("EUR", 0.25),
    ("GBP", 0.15),
)

# Units of each currency per US dollar (rounded, static; the simulator's only FX).
USD_RATES: Final[MappingProxyType[str, float]] = MappingProxyType(
    {
        "USD": 1.0, "EUR": 0.92, "GBP": 0.79, "CAD": 1.36, "AUD": 1.52, "NZD": 1.65,
        "JPY": 150.0, "CHF": 0.88, "SEK": 10.5, "NOK": 10.6, "DKK": 6.9, "PLN": 4.0,
        "CZK": 23.0, "HUF": 360.0, "RON": 4.6, "BGN": 1.8, "SGD": 1.35, "HKD": 7.8,
        "MXN": 17.0, "BRL": 5.0, "INR": 83.0, "ZAR": 18.5, "AED": 3.67,
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Category:
    """A merchant category: how much people spend there, and how they pay."""

    name: CategoryName
    median_usd: float  # median ticket in US dollars
    sigma: float  # log-normal spread of the ticket
    channels: tuple[tuple[Channel, float], ...]
    share: float  # share of merchants in this category
    physical: bool  # ships goods, so a shipping address is sent
    international: bool  # sells online across borders
    fraud_appeal: float  # how attractive to fraudsters cashing out stolen cards


def _ch(ecom: float, moto: float, store: float, rec: float) -> tuple[tuple[Channel, float], ...]:
    pairs = (
        (Channel.ECOMMERCE, ecom),
        (Channel.MOTO, moto),
        (Channel.IN_STORE, store),
        (Channel.RECURRING, rec),
    )
    return tuple((c, w) for c, w in pairs if w > 0)


CATEGORIES: Final[MappingProxyType[CategoryName, Category]] = MappingProxyType(
    {
        c.name: c
        for c in (
            Category("groceries", 45, 0.7, _ch(0.15, 0, 0.85, 0), 0.16, True, False, 0.1),
            Category("restaurants", 30, 0.6, _ch(0.3, 0, 0.7, 0), 0.16, False, False, 0.1),
            Category("fuel", 50, 0.4, _ch(0, 0, 1, 0), 0.06, False, False, 0.2),
            Category("fashion", 70, 0.8, _ch(0.6, 0, 0.4, 0), 0.12, True, True, 1.0),
            Category("electronics", 180, 1.0, _ch(0.7, 0.02, 0.28, 0), 0.08, True, True, 3.0),
            Category("digital_goods", 15, 0.9, _ch(0.85, 0, 0, 0.15), 0.08, False, True, 1.5),
            Category("gaming", 20, 1.0, _ch(0.9, 0, 0, 0.1), 0.05, False, True, 1.5),
            Category("travel", 350, 0.9, _ch(0.85, 0.15, 0, 0), 0.06, False, True, 1.2),
            Category("gift_cards", 75, 0.6, _ch(0.7, 0, 0.3, 0), 0.04, False, True, 3.0),
            Category("subscriptions", 12, 0.4, _ch(0.1, 0, 0, 0.9), 0.06, False, True, 0.2),
            Category("marketplace", 40, 1.0, _ch(1, 0, 0, 0), 0.1, True, True, 1.0),
            Category("charity", 25, 1.0, _ch(1, 0, 0, 0), 0.04, False, True, 0.1),
        )
    }
)


def random_ip(country: Country, rng: Random, *, hosting: bool = False, v6: bool = False) -> str:
    """A synthetic address in ``country``'s block; hosting addresses use high subnets.

    >>> from random import Random
    >>> random_ip(COUNTRIES["US"], Random(1)).split(".")[0] == str(COUNTRIES["US"].first_octet)
    True
    """
    if v6:
        # 2001:db8::/32 is the documentation prefix: never routable, never someone's address.
        return (
            f"2001:db8:{country.first_octet:x}:{rng.getrandbits(16):x}"
            f"::{rng.getrandbits(16):x}:{rng.getrandbits(16):x}"
        )
    second = rng.randrange(200, 256) if hosting else rng.randrange(0, 200)
    return f"{country.first_octet}.{second}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
