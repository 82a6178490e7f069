"""The card holder's local time, from the card's issuing country.

A representative IANA zone per country (the most populous one for countries that
span several). Unknown countries give null, never a guess.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

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


def local_hour_and_weekday(
    event_ms: np.ndarray, countries: ObjectArray
) -> tuple[FloatArray, FloatArray]:
    """Local hour (0-23) and ISO weekday (1-7) per row; NaN where the zone is unknown."""
    n = len(event_ms)
    hours = np.full(n, np.nan)
    weekdays = np.full(n, np.nan)
    if n == 0:
        return hours, weekdays
    zones = np.array([COUNTRY_ZONES.get(c) if c else None for c in countries], dtype=object)
    utc = pd.to_datetime(np.asarray(event_ms, dtype=np.int64), unit="ms", utc=True)
    for zone_name in {z for z in zones if z is not None}:
        mask = zones == zone_name
        local = utc[mask].tz_convert(_zone(zone_name))
        hours[mask] = local.hour.to_numpy(dtype=np.float64)
        weekdays[mask] = (local.day_of_week.to_numpy(dtype=np.float64)) + 1.0
    return hours, weekdays
