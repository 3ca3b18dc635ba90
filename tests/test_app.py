"""The app factory and its settings."""

from __future__ import annotations

import pytest

from maengelmelder import config
from maengelmelder.app import create_app


def test_without_settings_the_app_uses_sqlite_in_its_instance_folder(tmp_path, monkeypatch):
    for key in list(__import__("os").environ):
        if key.startswith("MAENGELMELDER_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("MAENGELMELDER_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'maengelmelder.db'}"
    assert app.config["MEDIA_DIR"] == str(tmp_path / "media")
    assert app.config["CITY_NAME"] == "Musterstadt (Demo)"
    # A secret key is made once and kept, so tracking links survive a restart.
    assert (tmp_path / "secret_key").exists()
    assert create_app().config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_settings_come_from_the_environment():
    env = {
        "MAENGELMELDER_DATABASE_URL": "postgresql+psycopg://u@db/mm",
        "MAENGELMELDER_REDIS_URL": "redis://r:6379/1",
        "MAENGELMELDER_MEDIA_DIR": "/srv/media",
        "MAENGELMELDER_SECRET_KEY": "s3cret",
        "MAENGELMELDER_CITY_NAME": "Offenbach am Main",
        "MAENGELMELDER_MAX_PHOTOS": "3",
        "MAENGELMELDER_MAX_UPLOAD_BYTES": "1000",
        "MAENGELMELDER_EMPTY_IS_DEFAULT": "",
    }
    cfg = config.from_env(env)
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/mm"
    assert cfg["REDIS_URL"] == "redis://r:6379/1"
    assert cfg["MEDIA_DIR"] == "/srv/media"
    assert cfg["SECRET_KEY"] == "s3cret"
    assert cfg["CITY_NAME"] == "Offenbach am Main"
    assert cfg["MAX_PHOTOS"] == 3
    assert cfg["MAX_CONTENT_LENGTH"] == 1000
    assert config.from_env({"MAENGELMELDER_MAX_PHOTOS": ""})["MAX_PHOTOS"] == 5


def test_a_wrong_number_in_the_environment_says_which_setting(monkeypatch):
    with pytest.raises(RuntimeError, match="MAENGELMELDER_MAX_PHOTOS"):
        config.from_env({"MAENGELMELDER_MAX_PHOTOS": "five"})


def test_config_override_wins(tmp_path):
    app = create_app({"CITY_NAME": "Teststadt", "INSTANCE_PATH": str(tmp_path), "TESTING": True})
    assert app.config["CITY_NAME"] == "Teststadt"
    assert app.testing


def test_a_city_boundary_that_is_not_a_polygon_is_refused(tmp_path):
    path = tmp_path / "line.geojson"
    path.write_text('{"type": "LineString", "coordinates": [[8, 50], [9, 51]]}')
    with pytest.raises(RuntimeError, match="Polygon"):
        create_app({"CITY_BOUNDARY": str(path), "INSTANCE_PATH": str(tmp_path)})


def test_unknown_api_paths_answer_json_404(client):
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404
    assert resp.json["error"]["code"] == "not_found"
    resp = client.delete("/api/v1/categories")
    assert resp.status_code == 405
    assert "GET" in resp.headers["Allow"]


def test_the_start_page_names_the_city(client):
    page = client.get("/").get_data(as_text=True)
    assert "Musterstadt (Demo)" in page and "Mängelmelder" in page
