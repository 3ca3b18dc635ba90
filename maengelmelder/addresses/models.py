"""The city's addresses as imported: one row per house (street, number, addition, postcode)."""

from __future__ import annotations

from sqlalchemy import Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

# Keys are compared bytewise on PostgreSQL too ("C"), so a prefix is a range of the index
# (`street_key >= 'kaiserstr' AND street_key < 'kaiserss'`), as it is on SQLite.
KEY = String(200).with_variant(String(200, collation="C"), "postgresql")

# Degrees of latitude per band: 0.001° ≈ 111 m. A reverse lookup reads the one or few bands
# its circle touches, each a range of longitudes in the (lat_band, lon, lat) index, which
# also holds what the distance is computed from.
BAND = 1000


class Address(db.Model):
    """A house with its position in WGS84, from the city's house coordinates or OSM."""

    __tablename__ = "addresses"
    __table_args__ = (
        UniqueConstraint(
            "street", "house_number", "addition", "postcode", name="uq_addresses_house"
        ),
        Index("ix_addresses_lat_band_lon_lat", "lat_band", "lon", "lat"),
        # Search reads a prefix of street_key in this order and stops at its limit.
        Index(
            "ix_addresses_search",
            "street_key",
            "place",
            "number_value",
            "house_number",
            "addition",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    street: Mapped[str] = mapped_column(String(200))  # as written
    house_number: Mapped[str] = mapped_column(String(20), default="")  # "12", or "" for none
    addition: Mapped[str] = mapped_column(String(20), default="")  # "a", or ""
    postcode: Mapped[str] = mapped_column(String(10), default="")
    place: Mapped[str] = mapped_column(String(120), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    street_key: Mapped[str] = mapped_column(KEY)  # folding.fold(street)
    number_value: Mapped[int] = mapped_column(Integer, default=0)  # for ordering: 12a → 12
    lat_band: Mapped[int] = mapped_column(Integer)  # floor(lat * BAND)
