"""The card holder's local time, from the card's issuing country.

A representative IANA zone per country (the most populous one for countries that
span several). Unknown countries give null, never a guess.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from features.columns import FloatArray, ObjectArray

__all__ = ["COUNTRY_ZONES", "local_hour_and_weekday"]

COUNTRY_ZONES: dict[str, str] = {
    "US": "America/New_York", "CA": "America/Toronto", "MX": "America/Mexico_City",
    "BR": "America/Sao_Paulo", "AR": "America/Argentina/Buenos_Aires", "CL": "America/Santiago",
    "CO": "America/Bogota", "PE": "America/Lima", "GB": "Europe/London", "IE": "Europe/Dublin",
    "FR": "Europe/Paris", "DE": "Europe/Berlin", "ES": "Europe/Madrid", "IT": "Europe/Rome",
    "NL": "Europe/Amsterdam", "BE": "Europe/Brussels", "LU": "Europe/Luxembourg",
    "CH": "Europe/Zurich", "AT": "Europe/Vienna", "PT": "Europe/Lisbon",
    "SE": "Europe/Stockholm", "NO": "Europe/Oslo", "DK": "Europe/Copenhagen",
    "FI": "Europe/Helsinki", "IS": "Atlantic/Reykjavik", "PL": "Europe/Warsaw",
    "CZ": "Europe/Prague", "SK": "Europe/Bratislava", "HU": "Europe/Budapest",
    "RO": "Europe/Bucharest", "BG": "Europe/Sofia", "GR": "Europe/Athens",
    "HR": "Europe/Zagreb", "SI": "Europe/Ljubljana", "EE": "Europe/Tallinn",
    "LV": "Europe/Riga", "LT": "Europe/Vilnius", "CY": "Asia/Nicosia", "MT": "Europe/Malta",
    "LI": "Europe/Vaduz", "UA": "Europe/Kyiv", "TR": "Europe/Istanbul", "RU": "Europe/Moscow",
    "IL": "Asia/Jerusalem", "AE": "Asia/Dubai", "SA": "Asia/Riyadh", "QA": "Asia/Qatar",
    "KW": "Asia/Kuwait", "EG": "Africa/Cairo", "NG": "Africa/Lagos", "KE": "Africa/Nairobi",
    "ZA": "Africa/Johannesburg", "MA": "Africa/Casablanca", "IN": "Asia/Kolkata",
    "PK": "Asia/Karachi", "BD": "Asia/Dhaka", "CN": "Asia/Shanghai", "HK": "Asia/Hong_Kong",
    "TW": "Asia/Taipei", "JP": "Asia/Tokyo", "KR": "Asia/Seoul", "SG": "Asia/Singapore",
    "MY": "Asia/Kuala_Lumpur", "TH": "Asia/Bangkok", "VN": "Asia/Ho_Chi_Minh",
    "ID": "Asia/Jakarta", "PH": "Asia/Manila", "AU": "Australia/Sydney",
    "NZ": "Pacific/Auckland",
}  # fmt: skip


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=65_536)  # bounded: a worker runs for months
def _offset_ms(zone_name: str, hour: int) -> int:
    """UTC offset of ``zone_name`` during the UTC hour ``hour`` (hours since the epoch).

    Every zone in the table changes offset on the hour, so one offset per UTC hour is
    exact; caching per (zone, hour) makes a batch cost a few lookups, not one timezone
    conversion per row.
    """
    moment = datetime.fromtimestamp(hour * 3600, UTC).astimezone(_zone(zone_name))
    offset = moment.utcoffset()
    return int(offset.total_seconds() * 1000) if offset is not None else 0


def local_hour_and_weekday(
    event_ms: np.ndarray, countries: ObjectArray
) -> tuple[FloatArray, FloatArray]:
    """Local hour (0-23) and ISO weekday (1-7) per row; NaN where the zone is unknown."""
    n = len(event_ms)
    hours = np.full(n, np.nan)
    weekdays = np.full(n, np.nan)
    if n == 0:
        return hours, weekdays
    times = np.asarray(event_ms, dtype=np.int64)
    zones = np.array([COUNTRY_ZONES.get(c) if c else None for c in countries], dtype=object)
    for zone_name in {z for z in zones if z is not None}:
        mask = zones == zone_name
        selected = times[mask]
        utc_hours = selected // 3_600_000
        unique, inverse = np.unique(utc_hours, return_inverse=True)
        offsets = np.array([_offset_ms(zone_name, int(h)) for h in unique], dtype=np.int64)
        local = selected + offsets[inverse]
        hours[mask] = (local // 3_600_000) % 24
        # 1970-01-01 was a Thursday: ISO weekday 4.
        weekdays[mask] = ((local // 86_400_000) + 3) % 7 + 1
    return hours, weekdays
