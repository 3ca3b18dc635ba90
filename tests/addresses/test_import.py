"""Importing the city's addresses: house coordinates (CSV, UTM) and OSM GeoJSON, idempotently."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from maengelmelder.addresses.importer import AddressFileError, import_addresses
from maengelmelder.addresses.models import Address
from maengelmelder.extensions import db

from .helpers import HOUSES, hk_csv, meridian_northing, osm_geojson


def _import(app, tmp_path, content: bytes, name: str = "hk.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return app.test_cli_runner().invoke(args=["addresses", "import", str(path)])


def _all(app) -> dict[tuple, Address]:
    with app.app_context():
        rows = db.session.scalars(select(Address)).all()
        db.session.expunge_all()
    return {(a.street, a.house_number, a.addition, a.postcode): a for a in rows}


def test_utm_coordinates_become_wgs84_checked_on_the_central_meridian(app):
    # On UTM 32N's central meridian (9° E) the easting is 500 000 m and the northing is
    # 0.9996 × the meridian arc: computed independently of pyproj (tests/addresses/helpers.py).
    northing = meridian_northing(50.1)
    assert northing == pytest.approx(5_549_749.26, abs=0.01)
    text = f"Straße;HNR;PLZ;Gemeinde;RW;HW\nHauptstraße;1;63450;Hanau;500000;{northing:.3f}\n"
    with app.app_context():
        result = import_addresses(db.session, text.encode())
        db.session.commit()
        house = db.session.scalars(select(Address)).one()
    assert result.added == 1
    assert house.lat == pytest.approx(50.1, abs=1e-7)
    assert house.lon == pytest.approx(9.0, abs=1e-7)
    assert (house.street, house.house_number, house.postcode, house.place) == (
        "Hauptstraße",
        "1",
        "63450",
        "Hanau",
    )


@pytest.mark.parametrize(("delimiter", "bom"), [(";", True), (",", False), (";", False)])
def test_csv_with_either_delimiter_and_with_or_without_bom(app, tmp_path, delimiter, bom):
    result = _import(app, tmp_path, hk_csv(delimiter=delimiter, bom=bom))
    assert result.exit_code == 0, result.output
    assert f"{len(HOUSES)} added, 0 updated, 0 unchanged, 0 refused" in result.output
    houses = _all(app)
    kaiser = houses[("Kaiserstraße", "12", "a", "63065")]
    assert kaiser.place == "Offenbach am Main"
    assert kaiser.lat == pytest.approx(50.10062, abs=1e-6)
    assert kaiser.lon == pytest.approx(8.76568, abs=1e-6)


def test_import_again_changes_nothing_and_a_moved_house_is_updated(app, tmp_path):
    assert _import(app, tmp_path, hk_csv()).exit_code == 0
    again = _import(app, tmp_path, hk_csv())
    assert f"0 added, 0 updated, {len(HOUSES)} unchanged, 0 refused" in again.output
    moved = [(s, n, a, lat + 0.0002 if n == "120" else lat, lon) for s, n, a, lat, lon in HOUSES]
    moved.append(("Goethestraße", "1", "", 50.1, 8.77))
    third = _import(app, tmp_path, hk_csv(moved))
    assert f"1 added, 1 updated, {len(HOUSES) - 1} unchanged, 0 refused" in third.output
    houses = _all(app)
    assert len(houses) == len(HOUSES) + 1
    assert houses[("Kaiserstraße", "120", "", "63065")].lat == pytest.approx(50.1013, abs=1e-6)


def test_refused_rows_are_named_with_line_and_reason(app, tmp_path):
    text = (
        "strasse,hausnummer,plz,ort,ostwert,nordwert\n"
        "Kaiserstraße,12,63065,Offenbach am Main,483229.139,5549831.179\n"
        ",5,63065,Offenbach am Main,483229.139,5549831.179\n"  # line 3: no street
        "Kaiserstraße,14,63065,Offenbach am Main,abc,5549831.179\n"  # line 4: bad
        "Unter den Linden,1,10117,Berlin,390000,5819000\n"  # line 5: far away
        "\n"
        "Kaiserstraße,16,63065,Offenbach am Main,483240.0,5549840.0\n"
    )
    result = _import(app, tmp_path, text.encode())
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("refused   line 3: missing street")
    assert lines[1].startswith("refused   line 4: bad coordinates")
    assert lines[2].startswith("refused   line 5: outside the city's area")
    assert lines[-1] == "2 added, 0 updated, 0 unchanged, 3 refused"
    assert set(_all(app)) == {
        ("Kaiserstraße", "12", "", "63065"),
        ("Kaiserstraße", "16", "", "63065"),
    }


def test_osm_geojson_import(app, tmp_path):
    collection = osm_geojson(
        [
            ("Kaiserstraße", "12a", 50.1005, 8.7655),
            ("Kaiserstraße", "14 B", 50.1006, 8.7656),
            (None, "3", 50.1, 8.77),  # feature 3: no street
        ]
    )
    collection["features"].append(  # a building outline: a point inside it counts
        {
            "type": "Feature",
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[8.770, 50.100], [8.771, 50.100], [8.771, 50.101], [8.770, 50.101]]
                ],
            },
            "properties": {"addr:street": "Goethestraße", "addr:housenumber": "7"},
        }
    )
    content = json.dumps(collection).encode()
    result = _import(app, tmp_path, content, "osm.geojson")
    assert result.exit_code == 0, result.output
    assert "refused   line 3: missing street" in result.output
    assert "3 added, 0 updated, 0 unchanged, 1 refused" in result.output
    houses = _all(app)
    assert houses[("Kaiserstraße", "12", "a", "63065")].lon == pytest.approx(8.7655)
    assert ("Kaiserstraße", "14", "b", "63065") in houses
    goethe = houses[("Goethestraße", "7", "", "")]
    assert 50.100 < goethe.lat < 50.101 and 8.770 < goethe.lon < 8.771
    again = _import(app, tmp_path, content, "osm.geojson")
    assert "0 added, 0 updated, 3 unchanged, 1 refused" in again.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name;value\nx;1\n", "Not an address file"),
        (b'{"type": "Feature"}', "Not a GeoJSON FeatureCollection"),
        (b"{not json", "Not valid JSON"),
        ("str;hnr;ostwert;nordwert\nStraße;1;1;2\n".encode("latin-1"), "not UTF-8"),
        (b"str;hnr;ostwert;nordwert\n;1;483229;5549831\n", "no address could be read"),
    ],
)
def test_a_file_nothing_can_be_read_from_fails_and_stores_nothing(app, tmp_path, content, message):
    result = _import(app, tmp_path, content)
    assert result.exit_code != 0
    assert message in result.output
    assert _all(app) == {}


def test_an_unreadable_file_is_an_error_of_the_service_too(app):
    with app.app_context(), pytest.raises(AddressFileError) as raised:
        import_addresses(db.session, b"a,b\n1,2\n")
    assert raised.value.message["de"].startswith("Keine Adressdatei")


def test_a_large_file_imports_in_batches(app, tmp_path):
    houses = [
        (f"Teststraße {i // 100}", str(i % 100 + 1), "", 50.09 + (i % 100) * 1e-4, 8.74 + i * 1e-6)
        for i in range(2_500)
    ]
    assert "2500 added" in _import(app, tmp_path, hk_csv(houses)).output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Address)) == 2_500
    assert "2500 unchanged" in _import(app, tmp_path, hk_csv(houses)).output


def test_control_characters_and_lone_surrogates_are_not_stored(app, tmp_path):
    collection = osm_geojson([("Kaiser\x00straße", "1\ud800", 50.1005, 8.7655)])
    content = json.dumps(collection).encode()  # escaped: \u0000 and \ud800 in the JSON text
    result = _import(app, tmp_path, content, "osm.geojson")
    assert result.exit_code == 0, result.output
    assert set(_all(app)) == {("Kaiser straße", "1", "", "63065")}
