"""Distances for the location check-in: great-circle (haversine) metres between two points.

Good to a few metres at the distances that matter here (a rep standing at, or kilometres
away from, an institution); no GIS extension needed.
"""

from __future__ import annotations

import math
from decimal import Decimal

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)


def haversine_m(lat1, lng1, lat2, lng2) -> int:
    """Metres between (lat1, lng1) and (lat2, lng2), in degrees (floats or Decimals), rounded."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp = p2 - p1
    dl = math.radians(float(lng2) - float(lng1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a))))


def distance_to(institution, lat, lng) -> int | None:
    """Metres from (lat, lng) to ``institution``, or None when either has no coordinates."""
    if lat is None or lng is None or institution is None:
        return None
    if institution.latitude is None or institution.longitude is None:
        return None
    return haversine_m(lat, lng, institution.latitude, institution.longitude)


def parse_coordinate(value, *, limit: int) -> Decimal | None:
    """A latitude (``limit`` 90) or longitude (180) from a form or JSON value, rounded to the
    column's six decimals; None for an empty value. Raises ValueError when it is not a number
    in range."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = Decimal(str(value).strip())
    if not number.is_finite() or abs(number) > limit:
        raise ValueError(value)
    return number.quantize(Decimal("0.000001"))
