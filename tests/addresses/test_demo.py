"""The demo city's streets: loaded by `demo load`, and every history report has an address."""

from __future__ import annotations

import random

import shapely
from sqlalchemy import func, select

from maengelmelder.addresses import service
from maengelmelder.addresses.models import Address
from maengelmelder.city import city
from maengelmelder.core.models import Report
from maengelmelder.demo.addresses import DemoStreets
from maengelmelder.extensions import db


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_load_adds_the_streets_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        houses = _count(Address)
        assert 3_000 < houses < 10_000
        assert f"{houses} addresses" in first.output
        assert _count(Address, Address.place != "Musterstadt") == 0
    again = runner.invoke(args=["demo", "load"])
    assert f"{houses} addresses" in again.output
    with app.app_context():
        assert _count(Address) == houses


def test_the_grid_answers_as_the_reverse_lookup_does(app):
    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    rng = random.Random(7)
    with app.app_context():
        boundary = city().boundary
        grid = DemoStreets(boundary)
        x0, y0, x1, y1 = boundary.bounds
        checked = 0
        while checked < 300:
            lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
            if not shapely.intersects_xy(boundary, lon, lat):
                continue
            found = service.reverse(db.session, lat, lon)
            assert found is not None
            assert grid.label_at(lon, lat) == found.label, (lat, lon)
            checked += 1
        assert service.search(db.session, "goethestr 1", 3)[0].label.startswith("Goethestraße 1, ")


def test_every_history_report_has_an_address(app):
    result = app.test_cli_runner().invoke(args=["demo", "history", "--reports", "400"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert _count(Report) == 400
        assert _count(Report, Report.address.is_(None)) == 0
        musterstadt = _count(Report, Report.address.like("%Musterstadt"))
        assert 200 < musterstadt < 400  # the others typed their own
